// Deciding a charge: walk the steps in source order, the first that fails
// declines. This is the hot path: no allocation, no exceptions, no lookups by
// name, no time zone arithmetic unless a calendar window rolls over in record().

#include <algorithm>
#include <span>

#include "engine/program.hpp"
#include "engine/windows.hpp"
#include "mandate/policy.hpp"

namespace mandate {

namespace {

using detail::bound_image;
using detail::check_op;
using detail::resolved_step;
using detail::step;
using detail::step_kind;
using detail::value;
using detail::rolling_threshold;
using detail::usage_at;

constexpr std::size_t max_variable_slots = 16;
constexpr std::size_t max_domain_length = 253;

// The decline helpers write into the caller's decision in place: a decision is
// about 190 bytes, and building one elsewhere to copy it costs more than deciding.
void decline(decision& d, const bound_image& bound, const step& s, detail_kind detail) noexcept {
    d.approved = false;
    d.code = s.code;
    d.reason_name = s.reason_name;
    d.clause = s.clause;
    d.file = bound.policy->file_name;
    d.line = s.line;
    d.column = s.column;
    d.detail = detail;
}

void decline_as(decision& d, const bound_image& bound, const step& s, reason code,
                detail_kind detail) noexcept {
    decline(d, bound, s, detail);
    d.code = code;
    d.reason_name = to_string(code);
}

// Money is never converted: a charge that meets a cap or budget in another
// currency declines.
void currency_mismatch(decision& d, const bound_image& bound, const step& s,
                       const money& observed, const money& limit) noexcept {
    decline_as(d, bound, s, reason::currency_not_allowed, detail_kind::currency_mismatch);
    d.observed = observed;
    d.limit = limit;
}

void missing_field(decision& d, const bound_image& bound, const step& s,
                   charge_field field) noexcept {
    decline_as(d, bound, s, reason::invalid_charge, detail_kind::missing_field);
    d.field = field;
}

decision invalid_charge(detail_kind detail, charge_field field) noexcept {
    decision d;
    d.detail = detail;
    d.field = field;
    return d;
}

// Lower-cases an ASCII domain into `buffer` and drops one trailing dot. Returns
// false for anything that is not a host name (labels of letters, digits, '-' and
// '_', none empty) or is too long to be a domain: "evil.com/.shop.com" or
// "a..shop.com" must not reach the suffix match of a "*.shop.com" rule.
bool normalize_domain(std::string_view domain, char* buffer, std::string_view& out) noexcept {
    if (!domain.empty() && domain.back() == '.') domain.remove_suffix(1);
    if (domain.empty() || domain.size() > max_domain_length) return false;
    char previous = '.';
    for (std::size_t i = 0; i < domain.size(); ++i) {
        const char c = domain[i];
        const bool label_char = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                                (c >= '0' && c <= '9') || c == '-' || c == '_';
        if (!label_char && !(c == '.' && previous != '.')) return false;
        buffer[i] = (c >= 'A' && c <= 'Z') ? static_cast<char>(c + ('a' - 'A')) : c;
        previous = c;
    }
    if (previous == '.') return false;
    out = std::string_view(buffer, domain.size());
    return true;
}

void fault_decision(decision& d, const bound_image& bound, const step& s,
                    const detail::eval_frame& frame) noexcept {
    switch (frame.failure) {
        case detail::fault::missing_field: return missing_field(d, bound, s, frame.missing);
        case detail::fault::currency_mismatch:
            return currency_mismatch(d, bound, s, frame.left, frame.right);
        case detail::fault::overflow:
        case detail::fault::none: break;
    }
    decline_as(d, bound, s, reason::invalid_charge, detail_kind::overflow);
}

// spent + amount within the budget, overflow declining.
inline bool within_budget(minor_units spent, const money& amount,
                          const detail::check& c) noexcept {
    minor_units after = 0;
    return checked_add(spent, amount.units, after) && after <= c.units;
}

// Checks step i against the charge. The same code serves two callers: without
// Explain it only answers pass or fail, so the loop that approves a charge never
// builds a decision; with Explain it fills `out` with the decline, and runs only
// for the step that failed.
template <bool Explain>
[[gnu::always_inline]] inline bool check_step(const bound_image& bound, std::size_t i,
                                              std::span<const budget_state::window> windows,
                                              const charge& request, decision& out) noexcept {
    const step& s = bound.program->steps[i];
    const resolved_step& r = bound.steps[i];
    const money& amount = request.amount;
    switch (s.kind) {
        case step_kind::seller:
            if (!request.has(field_seller_id)) {
                if constexpr (Explain) missing_field(out, bound, s, field_seller_id);
                return false;
            }
            if (!r.set->contains_text(request.seller_id)) {
                if constexpr (Explain) {
                    decline(out, bound, s, detail_kind::not_in_set);
                    out.field = field_seller_id;
                }
                return false;
            }
            return true;
        case step_kind::domain: {
            if (!request.has(field_seller_domain)) {
                if constexpr (Explain) missing_field(out, bound, s, field_seller_domain);
                return false;
            }
            char buffer[max_domain_length];
            std::string_view domain;
            if (!normalize_domain(request.seller_domain, buffer, domain)) {
                if constexpr (Explain) {
                    decline(out, bound, s, detail_kind::invalid_value);
                    out.field = field_seller_domain;
                }
                return false;
            }
            if (!r.set->matches_domain(domain)) {
                if constexpr (Explain) {
                    decline(out, bound, s, detail_kind::not_in_set);
                    out.field = field_seller_domain;
                }
                return false;
            }
            return true;
        }
        case step_kind::currency: {
            const auto& allowed = r.set->currencies;
            if (std::find(allowed.begin(), allowed.end(), amount.unit) == allowed.end()) {
                if constexpr (Explain) {
                    decline(out, bound, s, detail_kind::not_in_set);
                    out.field = field_amount;
                    out.observed = amount;
                }
                return false;
            }
            return true;
        }
        case step_kind::amount: {
            if (r.amount.unit != amount.unit) {
                if constexpr (Explain) currency_mismatch(out, bound, s, amount, r.amount);
                return false;
            }
            bool within = true;
            switch (s.compare) {
                case ast::binary_op::less: within = amount.units < r.amount.units; break;
                case ast::binary_op::less_equal: within = amount.units <= r.amount.units; break;
                case ast::binary_op::greater: within = amount.units > r.amount.units; break;
                default: within = amount.units >= r.amount.units; break;
            }
            if (!within) {
                if constexpr (Explain) {
                    const bool cap = s.code == reason::amount_over_limit;
                    decline(out, bound, s,
                            cap ? detail_kind::over_limit : detail_kind::under_limit);
                    out.observed = amount;
                    out.limit = r.amount;
                }
                return false;
            }
            return true;
        }
        case step_kind::category:
            if (!request.has(field_seller_category)) {
                if constexpr (Explain) missing_field(out, bound, s, field_seller_category);
                return false;
            }
            if (!r.set->contains_integer(request.seller_category)) {
                if constexpr (Explain) {
                    decline(out, bound, s, detail_kind::not_in_set);
                    out.field = field_seller_category;
                }
                return false;
            }
            return true;
        case step_kind::country:
            if (!request.has(field_seller_country)) {
                if constexpr (Explain) missing_field(out, bound, s, field_seller_country);
                return false;
            }
            if (!r.set->contains_text(request.seller_country)) {
                if constexpr (Explain) {
                    decline(out, bound, s, detail_kind::not_in_set);
                    out.field = field_seller_country;
                }
                return false;
            }
            return true;
        case step_kind::valid:
            if (!request.has(field_at)) {
                if constexpr (Explain) missing_field(out, bound, s, field_at);
                return false;
            }
            if (request.at < r.from) {
                if constexpr (Explain) {
                    decline_as(out, bound, s, reason::not_yet_valid, detail_kind::before_start);
                    out.bound = r.from;
                }
                return false;
            }
            if (request.at >= r.until) {
                if constexpr (Explain) {
                    decline(out, bound, s, detail_kind::at_or_after_end);
                    out.bound = r.until;
                }
                return false;
            }
            return true;
        case step_kind::budget: {
            if (r.amount.unit != amount.unit) {
                if constexpr (Explain) currency_mismatch(out, bound, s, amount, r.amount);
                return false;
            }
            const window_usage usage = usage_at(s, r, windows[s.window_index], request.at);
            minor_units after = 0;
            if (!checked_add(usage.spent, amount.units, after) || after > r.amount.units) {
                if constexpr (Explain) {
                    decline(out, bound, s, detail_kind::budget);
                    out.observed = amount;
                    out.spent = money{usage.spent, amount.unit};
                    out.limit = r.amount;
                }
                return false;
            }
            return true;
        }
        case step_kind::limit: {
            const window_usage usage = usage_at(s, r, windows[s.window_index], request.at);
            if (usage.count >= r.count) {
                if constexpr (Explain) {
                    decline(out, bound, s, detail_kind::count);
                    out.count = usage.count;
                    out.count_limit = r.count;
                }
                return false;
            }
            return true;
        }
        case step_kind::require:
        case step_kind::decline_when: {
            // Quantifier variables live only while a condition runs.
            value variables[max_variable_slots];
            detail::eval_frame frame{*bound.program, bound.arguments, bound.sets};
            frame.request = &request;
            frame.variables = variables;
            value result;
            if (!detail::evaluate(frame, s.operand, result)) {
                if constexpr (Explain) fault_decision(out, bound, s, frame);
                return false;
            }
            const bool declines = s.kind == step_kind::require ? !result.boolean : result.boolean;
            if (declines) {
                if constexpr (Explain) decline(out, bound, s, detail_kind::condition);
                return false;
            }
            return true;
        }
    }
    // A step kind this build does not know: fail closed.
    if constexpr (Explain) decline(out, bound, s, detail_kind::none);
    return false;
}

// The decline of the first step from `first` on that fails. Kept out of line: the
// approving loop pays nothing for building decisions.
[[gnu::noinline]] decision explain_decline(const bound_image& bound,
                                                    std::span<const budget_state::window> windows,
                                                    const charge& request,
                                                    std::size_t first) noexcept {
    decision d;
    const std::size_t steps = bound.program->steps.size();
    for (std::size_t i = first; i < steps; ++i) {
        if (!check_step<true>(bound, i, windows, request, d)) return d;
    }
    // Every step passes when asked again: decide is deterministic, so this is a bug.
    // Fail closed with the step that failed first.
    decline(d, bound, bound.program->steps[first], detail_kind::none);
    return d;
}

}  // namespace

decision decide(const bound_mandate& mandate, const budget_state& state,
                const charge& request) noexcept {
    const bound_image& bound = mandate.image();

    // Every charge needs a non-negative amount in a known currency.
    if (!request.has(field_amount) || !request.amount.unit.valid()) {
        return invalid_charge(detail_kind::missing_field, field_amount);
    }
    if (request.amount.units < 0) {
        return invalid_charge(detail_kind::invalid_value, field_amount);
    }
    // Time windows count charges in time order; an earlier charge than one already
    // counted would rewrite history.
    const bool specialised = bound.checks_apply();
    if (specialised ? bound.has_time_windows : bound.program->has_time_windows) {
        if (!request.has(field_at)) return invalid_charge(detail_kind::missing_field, field_at);
        if (request.at < state.latest()) {
            decision d = invalid_charge(detail_kind::out_of_order, field_at);
            d.bound = state.latest();
            return d;
        }
    }

    const auto windows = state.windows();
    decision unused;
    if (!specialised) {
        const std::size_t steps = bound.program->steps.size();
        for (std::size_t i = 0; i < steps; ++i) {
            if (!check_step<false>(bound, i, windows, request, unused)) {
                return explain_decline(bound, windows, request, i);
            }
        }
        return decision::approve();
    }

    // The specialised checks. Time windows may read request.at: it is present
    // whenever the mandate has one (checked above).
    const money& amount = request.amount;
    const detail::check* checks = bound.checks.data();
    const std::size_t steps = bound.checks.size();
    for (std::size_t i = 0; i < steps; ++i) {
        const detail::check& c = checks[i];
        bool pass = false;
        switch (c.op) {
            case check_op::general:
                pass = check_step<false>(bound, i, windows, request, unused);
                break;
            case check_op::seller_in:
                pass = request.has(field_seller_id) && c.set->contains_text(request.seller_id);
                break;
            case check_op::currency_is: pass = amount.unit == c.unit; break;
            case check_op::currency_in: {
                const auto& allowed = c.set->currencies;
                pass = std::find(allowed.begin(), allowed.end(), amount.unit) != allowed.end();
                break;
            }
            case check_op::amount_at_most:
                pass = amount.unit == c.unit && amount.units <= c.units;
                break;
            case check_op::amount_below:
                pass = amount.unit == c.unit && amount.units < c.units;
                break;
            case check_op::amount_at_least:
                pass = amount.unit == c.unit && amount.units >= c.units;
                break;
            case check_op::amount_above:
                pass = amount.unit == c.unit && amount.units > c.units;
                break;
            case check_op::valid_between:
                pass = request.has(field_at) && request.at >= c.from && request.at < c.until;
                break;
            case check_op::budget_total:
                pass = amount.unit == c.unit && within_budget(windows[c.window].spent, amount, c);
                break;
            case check_op::budget_calendar: {
                const auto& w = windows[c.window];
                const minor_units spent = w.current.contains(request.at) ? w.spent : 0;
                pass = amount.unit == c.unit && within_budget(spent, amount, c);
                break;
            }
            case check_op::budget_rolling: {
                const minor_units spent =
                    detail::rolling_usage(windows[c.window], request.at, c.length).spent;
                pass = amount.unit == c.unit && within_budget(spent, amount, c);
                break;
            }
            case check_op::limit_total: pass = windows[c.window].count < c.count; break;
            case check_op::limit_calendar: {
                const auto& w = windows[c.window];
                pass = !w.current.contains(request.at) || w.count < c.count;
                break;
            }
            case check_op::limit_rolling:
                pass = detail::rolling_usage(windows[c.window], request.at, c.length).count <
                       c.count;
                break;
        }
        if (!pass) [[unlikely]] return explain_decline(bound, windows, request, i);
    }
    return decision::approve();
}

namespace detail {

std::vector<check> specialize(const mandate_program& program,
                              const std::vector<resolved_step>& steps) {
    std::vector<check> checks;
    if (steps.size() != program.steps.size()) return checks;  // decide runs the steps
    checks.reserve(steps.size());
    for (std::size_t i = 0; i < steps.size(); ++i) {
        const step& s = program.steps[i];
        const resolved_step& r = steps[i];
        check c;
        c.units = r.amount.units;
        c.unit = r.amount.unit;
        c.from = r.from;
        c.until = r.until;
        c.count = r.count;
        c.length = r.length;
        c.set = r.set;
        c.window = s.window_index;
        const auto by_window = [&](check_op total, check_op calendar, check_op rolling) {
            switch (s.window) {
                case model::window_kind::total: return total;
                case model::window_kind::calendar: return calendar;
                case model::window_kind::rolling: return rolling;
            }
            return check_op::general;
        };
        switch (s.kind) {
            case step_kind::seller:
                if (c.set != nullptr) c.op = check_op::seller_in;
                break;
            case step_kind::currency:
                if (c.set == nullptr) break;
                if (c.set->currencies.size() == 1) {
                    c.op = check_op::currency_is;
                    c.unit = c.set->currencies.front();
                } else {
                    c.op = check_op::currency_in;
                }
                break;
            case step_kind::amount:
                switch (s.compare) {
                    case ast::binary_op::less: c.op = check_op::amount_below; break;
                    case ast::binary_op::less_equal: c.op = check_op::amount_at_most; break;
                    case ast::binary_op::greater: c.op = check_op::amount_above; break;
                    default: c.op = check_op::amount_at_least; break;
                }
                break;
            case step_kind::valid: c.op = check_op::valid_between; break;
            case step_kind::budget:
                c.op = by_window(check_op::budget_total, check_op::budget_calendar,
                                 check_op::budget_rolling);
                break;
            case step_kind::limit:
                c.op = by_window(check_op::limit_total, check_op::limit_calendar,
                                 check_op::limit_rolling);
                break;
            default: break;  // general: the step itself runs
        }
        checks.push_back(c);
    }
    return checks;
}

}  // namespace detail

namespace {

// Counts an approved charge in the window of step `i`. The step itself is read
// only when a calendar window starts a new period.
void count_in_window(budget_state::window& w, model::window_kind kind, duration length,
                     const bound_image& bound, std::size_t i, const charge& request) noexcept {
    const instant at = request.at;
    switch (kind) {
        case model::window_kind::total: break;
        case model::window_kind::calendar:
            if (!w.current.contains(at)) {
                const step& s = bound.program->steps[i];
                w.current = calendar_period(at, s.unit, s.week_start, bound.steps[i].zone);
                w.spent = 0;
                w.count = 0;
            }
            break;
        case model::window_kind::rolling: {
            const instant threshold = rolling_threshold(at, length);
            auto capacity = w.events.size();
            while (w.size > 0 && w.events[w.head].at <= threshold) {
                w.spent -= w.events[w.head].amount;
                w.count -= 1;
                if (++w.head == capacity) w.head = 0;
                w.size -= 1;
            }
            if (w.size == capacity) {
                // Grow the ring: the only allocation, once per new high-water mark.
                // Two to start: most tokens hold a charge or two per window, and a
                // million tokens feel every event slot (32 bytes) they do not use.
                budget_state::event_slots grown;
                grown.reset(std::max<std::uint32_t>(2, capacity * 2));
                for (std::uint32_t k = 0; k < w.size; ++k) {
                    grown[k] = w.events[(w.head + k) % capacity];
                }
                w.events = std::move(grown);
                w.head = 0;
                capacity = w.events.size();
            }
            // head < capacity and size < capacity: one subtraction wraps the slot.
            std::uint32_t slot = w.head + w.size;
            if (slot >= capacity) slot -= capacity;
            w.events[slot] = {at, request.amount.units};
            w.size += 1;
            break;
        }
    }
    minor_units spent = 0;
    // Overflow here is impossible after an approval: decide checked the sum.
    if (checked_add(w.spent, request.amount.units, spent)) w.spent = spent;
    w.count += 1;
}

}  // namespace

void record(const bound_mandate& mandate, budget_state& state, const charge& request) noexcept {
    const bound_image& bound = mandate.image();
    const auto windows = state.windows();

    if (bound.checks_apply()) {
        // The checks decide just read: the steps themselves only for a new period.
        for (std::size_t i = 0; i < bound.checks.size(); ++i) {
            const detail::check& c = bound.checks[i];
            model::window_kind kind = model::window_kind::total;
            switch (c.op) {
                case check_op::budget_total:
                case check_op::limit_total: kind = model::window_kind::total; break;
                case check_op::budget_calendar:
                case check_op::limit_calendar: kind = model::window_kind::calendar; break;
                case check_op::budget_rolling:
                case check_op::limit_rolling: kind = model::window_kind::rolling; break;
                default: continue;
            }
            count_in_window(windows[c.window], kind, c.length, bound, i, request);
        }
    } else {
        const detail::mandate_program& program = *bound.program;
        for (std::size_t i = 0; i < program.steps.size(); ++i) {
            const step& s = program.steps[i];
            if (s.kind != step_kind::budget && s.kind != step_kind::limit) continue;
            count_in_window(windows[s.window_index], s.window, bound.steps[i].length, bound, i,
                            request);
        }
    }
    if (request.has(field_at) && request.at > state.latest()) state.set_latest(request.at);
    state.add_approved();
}

decision authorize(const bound_mandate& mandate, budget_state& state,
                   const charge& request) noexcept {
    const decision d = decide(mandate, state, request);
    if (d.approved) record(mandate, state, request);
    return d;
}

}  // namespace mandate
