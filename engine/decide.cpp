// Deciding a charge: walk the steps in source order, the first that fails
// declines. This is the hot path: no allocation, no exceptions, no lookups by
// name, no time zone arithmetic unless a calendar window rolls over in record().

#include <algorithm>

#include "engine/program.hpp"
#include "engine/windows.hpp"
#include "mandate/policy.hpp"

namespace mandate {

namespace {

using detail::bound_image;
using detail::resolved_step;
using detail::step;
using detail::step_kind;
using detail::value;
using detail::rolling_threshold;
using detail::usage_at;

constexpr std::size_t max_variable_slots = 16;
constexpr std::size_t max_domain_length = 253;

decision decline(const bound_image& bound, const step& s, detail_kind detail) noexcept {
    decision d;
    d.approved = false;
    d.code = s.code;
    d.reason_name = s.reason_name;
    d.clause = s.clause;
    d.file = bound.policy->file_name;
    d.line = s.line;
    d.column = s.column;
    d.detail = detail;
    return d;
}

decision decline_as(const bound_image& bound, const step& s, reason code,
                    detail_kind detail) noexcept {
    decision d = decline(bound, s, detail);
    d.code = code;
    d.reason_name = to_string(code);
    return d;
}

// Money is never converted: a charge that meets a cap or budget in another
// currency declines.
decision currency_mismatch(const bound_image& bound, const step& s, const money& observed,
                           const money& limit) noexcept {
    decision d = decline_as(bound, s, reason::currency_not_allowed, detail_kind::currency_mismatch);
    d.observed = observed;
    d.limit = limit;
    return d;
}

decision missing_field(const bound_image& bound, const step& s, charge_field field) noexcept {
    decision d = decline_as(bound, s, reason::invalid_charge, detail_kind::missing_field);
    d.field = field;
    return d;
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

decision fault_decision(const bound_image& bound, const step& s,
                        const detail::eval_frame& frame) noexcept {
    switch (frame.failure) {
        case detail::fault::missing_field: return missing_field(bound, s, frame.missing);
        case detail::fault::currency_mismatch:
            return currency_mismatch(bound, s, frame.left, frame.right);
        case detail::fault::overflow:
        case detail::fault::none: break;
    }
    return decline_as(bound, s, reason::invalid_charge, detail_kind::overflow);
}

}  // namespace

decision decide(const bound_mandate& mandate, const budget_state& state,
                const charge& request) noexcept {
    const bound_image& bound = mandate.image();
    const detail::mandate_program& program = *bound.program;

    // Every charge needs a non-negative amount in a known currency.
    if (!request.has(field_amount) || !request.amount.unit.valid()) {
        return invalid_charge(detail_kind::missing_field, field_amount);
    }
    if (request.amount.units < 0) {
        return invalid_charge(detail_kind::invalid_value, field_amount);
    }
    // Time windows count charges in time order; an earlier charge than one already
    // counted would rewrite history.
    if (program.has_time_windows) {
        if (!request.has(field_at)) return invalid_charge(detail_kind::missing_field, field_at);
        if (request.at < state.latest()) {
            decision d = invalid_charge(detail_kind::out_of_order, field_at);
            d.bound = state.latest();
            return d;
        }
    }

    const auto windows = state.windows();
    const money& amount = request.amount;

    for (std::size_t i = 0; i < program.steps.size(); ++i) {
        const step& s = program.steps[i];
        const resolved_step& r = bound.steps[i];
        switch (s.kind) {
            case step_kind::seller:
                if (!request.has(field_seller_id)) return missing_field(bound, s, field_seller_id);
                if (!r.set->contains_text(request.seller_id)) {
                    decision d = decline(bound, s, detail_kind::not_in_set);
                    d.field = field_seller_id;
                    return d;
                }
                break;
            case step_kind::domain: {
                if (!request.has(field_seller_domain)) {
                    return missing_field(bound, s, field_seller_domain);
                }
                char buffer[max_domain_length];
                std::string_view domain;
                if (!normalize_domain(request.seller_domain, buffer, domain)) {
                    decision d = decline(bound, s, detail_kind::invalid_value);
                    d.field = field_seller_domain;
                    return d;
                }
                if (!r.set->matches_domain(domain)) {
                    decision d = decline(bound, s, detail_kind::not_in_set);
                    d.field = field_seller_domain;
                    return d;
                }
                break;
            }
            case step_kind::currency: {
                const auto& allowed = r.set->currencies;
                if (std::find(allowed.begin(), allowed.end(), amount.unit) == allowed.end()) {
                    decision d = decline(bound, s, detail_kind::not_in_set);
                    d.field = field_amount;
                    d.observed = amount;
                    return d;
                }
                break;
            }
            case step_kind::amount: {
                if (r.amount.unit != amount.unit) {
                    return currency_mismatch(bound, s, amount, r.amount);
                }
                bool within = true;
                switch (s.compare) {
                    case ast::binary_op::less: within = amount.units < r.amount.units; break;
                    case ast::binary_op::less_equal: within = amount.units <= r.amount.units; break;
                    case ast::binary_op::greater: within = amount.units > r.amount.units; break;
                    default: within = amount.units >= r.amount.units; break;
                }
                if (!within) {
                    const bool cap = s.code == reason::amount_over_limit;
                    decision d =
                        decline(bound, s, cap ? detail_kind::over_limit : detail_kind::under_limit);
                    d.observed = amount;
                    d.limit = r.amount;
                    return d;
                }
                break;
            }
            case step_kind::category:
                if (!request.has(field_seller_category)) {
                    return missing_field(bound, s, field_seller_category);
                }
                if (!r.set->contains_integer(request.seller_category)) {
                    decision d = decline(bound, s, detail_kind::not_in_set);
                    d.field = field_seller_category;
                    return d;
                }
                break;
            case step_kind::country:
                if (!request.has(field_seller_country)) {
                    return missing_field(bound, s, field_seller_country);
                }
                if (!r.set->contains_text(request.seller_country)) {
                    decision d = decline(bound, s, detail_kind::not_in_set);
                    d.field = field_seller_country;
                    return d;
                }
                break;
            case step_kind::valid:
                if (!request.has(field_at)) return missing_field(bound, s, field_at);
                if (request.at < r.from) {
                    decision d = decline_as(bound, s, reason::not_yet_valid,
                                            detail_kind::before_start);
                    d.bound = r.from;
                    return d;
                }
                if (request.at >= r.until) {
                    decision d = decline(bound, s, detail_kind::at_or_after_end);
                    d.bound = r.until;
                    return d;
                }
                break;
            case step_kind::budget: {
                if (r.amount.unit != amount.unit) {
                    return currency_mismatch(bound, s, amount, r.amount);
                }
                const window_usage usage =
                    usage_at(s, r, windows[s.window_index], request.at);
                minor_units after = 0;
                if (!checked_add(usage.spent, amount.units, after) || after > r.amount.units) {
                    decision d = decline(bound, s, detail_kind::budget);
                    d.observed = amount;
                    d.spent = money{usage.spent, amount.unit};
                    d.limit = r.amount;
                    return d;
                }
                break;
            }
            case step_kind::limit: {
                const window_usage usage =
                    usage_at(s, r, windows[s.window_index], request.at);
                if (usage.count >= r.count) {
                    decision d = decline(bound, s, detail_kind::count);
                    d.count = usage.count;
                    d.count_limit = r.count;
                    return d;
                }
                break;
            }
            case step_kind::require:
            case step_kind::decline_when: {
                // Quantifier variables live only while a condition runs.
                value variables[max_variable_slots];
                detail::eval_frame frame{program, bound.arguments, bound.sets};
                frame.request = &request;
                frame.variables = variables;
                value result;
                if (!detail::evaluate(frame, s.operand, result)) {
                    return fault_decision(bound, s, frame);
                }
                const bool declines =
                    s.kind == step_kind::require ? !result.boolean : result.boolean;
                if (declines) return decline(bound, s, detail_kind::condition);
                break;
            }
        }
    }
    return decision::approve();
}

void record(const bound_mandate& mandate, budget_state& state, const charge& request) noexcept {
    const bound_image& bound = mandate.image();
    const detail::mandate_program& program = *bound.program;
    const auto windows = state.windows();
    const instant at = request.at;

    for (std::size_t i = 0; i < program.steps.size(); ++i) {
        const step& s = program.steps[i];
        if (s.kind != step_kind::budget && s.kind != step_kind::limit) continue;
        const resolved_step& r = bound.steps[i];
        budget_state::window& w = windows[s.window_index];

        switch (s.window) {
            case model::window_kind::total: break;
            case model::window_kind::calendar:
                if (!w.current.contains(at)) {
                    w.current = calendar_period(at, s.unit, s.week_start, r.zone);
                    w.spent = 0;
                    w.count = 0;
                }
                break;
            case model::window_kind::rolling: {
                const instant threshold = rolling_threshold(at, r.length);
                auto capacity = static_cast<std::uint32_t>(w.events.size());
                while (w.size > 0 && w.events[w.head].at <= threshold) {
                    w.spent -= w.events[w.head].amount;
                    w.count -= 1;
                    w.head = (w.head + 1) % capacity;
                    w.size -= 1;
                }
                if (w.size == capacity) {
                    // Grow the ring: the only allocation, once per new high-water mark.
                    std::vector<budget_state::window::event> grown;
                    grown.reserve(std::max<std::size_t>(8, std::size_t{capacity} * 2));
                    for (std::uint32_t k = 0; k < w.size; ++k) {
                        grown.push_back(w.events[(w.head + k) % capacity]);
                    }
                    grown.resize(grown.capacity());
                    w.events = std::move(grown);
                    w.head = 0;
                    capacity = static_cast<std::uint32_t>(w.events.size());
                }
                w.events[(w.head + w.size) % capacity] = {at, request.amount.units};
                w.size += 1;
                break;
            }
        }
        minor_units spent = 0;
        // Overflow here is impossible after an approval: decide checked the sum.
        if (checked_add(w.spent, request.amount.units, spent)) w.spent = spent;
        w.count += 1;
    }
    if (request.has(field_at) && at > state.latest()) state.set_latest(at);
    state.add_approved();
}

decision authorize(const bound_mandate& mandate, budget_state& state,
                   const charge& request) noexcept {
    const decision d = decide(mandate, state, request);
    if (d.approved) record(mandate, state, request);
    return d;
}

}  // namespace mandate
