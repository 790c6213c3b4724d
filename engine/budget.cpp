// Budgets seen from outside the hot path: limits for token views, usage,
// releasing holds, and the byte form a ledger stores.

#include "mandate/budget.hpp"

#include <algorithm>
#include <bit>
#include <cstring>

#include "engine/program.hpp"
#include "engine/windows.hpp"

namespace mandate {

namespace {

using detail::bound_image;
using detail::resolved_step;
using detail::step;
using detail::step_kind;

bool is_window(const step& s) noexcept {
    return s.kind == step_kind::budget || s.kind == step_kind::limit;
}

window_shape shape_of(model::window_kind kind) noexcept {
    switch (kind) {
        case model::window_kind::calendar:
            return window_shape::calendar;
        case model::window_kind::rolling:
            return window_shape::rolling;
        case model::window_kind::total:
            break;
    }
    return window_shape::total;
}

// The clause as written on its line, from its first column, without a trailing
// comment or blanks.
std::string clause_text(const std::string& source, const step& s) {
    std::size_t start = 0;
    for (std::uint32_t line = 1; line < s.line && start != std::string::npos; ++line) {
        start = source.find('\n', start);
        if (start != std::string::npos) ++start;
    }
    if (start == std::string::npos) return {};
    start += s.column > 0 ? s.column - 1 : 0;
    if (start > source.size()) return {};
    std::size_t end = source.find_first_of("#\n", start);
    if (end == std::string::npos) end = source.size();
    while (end > start &&
           (source[end - 1] == ' ' || source[end - 1] == '\t' || source[end - 1] == '\r')) {
        --end;
    }
    return source.substr(start, end - start);
}

void keep_smaller(std::optional<money>& current, const money& candidate) {
    if (!current || (current->unit == candidate.unit && candidate.units < current->units)) {
        current = candidate;
    }
}

minor_units give_back(minor_units from, minor_units amount) noexcept {
    return amount >= from ? 0 : from - amount;
}

// Returns what the window gave back.
minor_units release_rolling(budget_state::window& w, instant at, minor_units counted,
                            minor_units amount, bool uncount) {
    const auto capacity = static_cast<std::uint32_t>(w.events.size());
    for (std::uint32_t i = 0; i < w.size; ++i) {
        auto& event = w.events[(w.head + i) % capacity];
        if (event.at != at || event.amount != counted) continue;
        if (!uncount) {
            const minor_units given = std::min(amount, event.amount);
            event.amount -= given;
            w.spent = give_back(w.spent, given);
            return given;
        }
        // The charge never happened: it leaves the ring with all it still counts.
        const minor_units given = event.amount;
        w.spent = give_back(w.spent, given);
        w.count = std::max<std::int64_t>(0, w.count - 1);
        for (std::uint32_t k = i; k + 1 < w.size; ++k) {
            w.events[(w.head + k) % capacity] = w.events[(w.head + k + 1) % capacity];
        }
        w.size -= 1;
        return given;
    }
    return 0;
}

// Little-endian fixed-width fields.
class writer {
public:
    void u32(std::uint32_t v) { bytes(&v, sizeof v); }
    void i64(std::int64_t v) { bytes(&v, sizeof v); }
    void units(minor_units v) { bytes(&v, sizeof v); }
    void at(instant v) { i64(v.time_since_epoch().count()); }
    std::string take() { return std::move(out_); }

private:
    void bytes(const void* data, std::size_t size) {
        static_assert(std::endian::native == std::endian::little);
        out_.append(static_cast<const char*>(data), size);
    }
    std::string out_;
};

class reader {
public:
    explicit reader(std::string_view in) : in_(in) {}
    bool u32(std::uint32_t& v) { return bytes(&v, sizeof v); }
    bool i64(std::int64_t& v) { return bytes(&v, sizeof v); }
    bool units(minor_units& v) { return bytes(&v, sizeof v); }
    bool at(instant& v) {
        std::int64_t micros = 0;
        if (!i64(micros)) return false;
        v = instant(duration(micros));
        return true;
    }
    bool done() const noexcept { return in_.empty(); }

private:
    bool bytes(void* data, std::size_t size) {
        if (in_.size() < size) return false;
        std::memcpy(data, in_.data(), size);
        in_.remove_prefix(size);
        return true;
    }
    std::string_view in_;
};

constexpr std::uint32_t state_magic = 0x3154534d;  // "MST1"
constexpr std::uint32_t max_events = 1u << 26;

}  // namespace

mandate_limits limits_of(const bound_mandate& mandate) {
    const bound_image& bound = mandate.image();
    const auto& program = *bound.program;
    mandate_limits limits;
    limits.refunds_restore_budget = program.refunds_restore_budget;
    limits.windows.resize(program.window_count);
    std::optional<money> lifetime_budget;
    std::optional<std::int64_t> lifetime_count;

    for (std::size_t i = 0; i < program.steps.size(); ++i) {
        const step& s = program.steps[i];
        const resolved_step& r = bound.steps[i];
        switch (s.kind) {
            case step_kind::currency:
                if (r.set->currencies.size() == 1) limits.only_currency = r.set->currencies[0];
                break;
            case step_kind::amount:
                if (s.compare == ast::binary_op::less_equal)
                    keep_smaller(limits.per_charge, r.amount);
                if (s.compare == ast::binary_op::less && r.amount.units > 0) {
                    keep_smaller(limits.per_charge, money{r.amount.units - 1, r.amount.unit});
                }
                break;
            case step_kind::valid:
                if (r.until != instant::max() &&
                    (!limits.valid_until || r.until < *limits.valid_until)) {
                    limits.valid_until = r.until;
                }
                break;
            case step_kind::budget:
            case step_kind::limit: {
                window_limit& w = limits.windows[s.window_index];
                w.is_budget = s.kind == step_kind::budget;
                w.shape = shape_of(s.window);
                w.amount = r.amount;
                w.count = r.count;
                w.clause = s.clause;
                w.line = s.line;
                w.column = s.column;
                w.text = clause_text(bound.policy->source, s);
                if (s.window != model::window_kind::total) break;
                if (w.is_budget) {
                    keep_smaller(lifetime_budget, r.amount);
                } else if (!lifetime_count || r.count < *lifetime_count) {
                    lifetime_count = r.count;
                }
                break;
            }
            default:
                break;
        }
    }

    limits.lifetime = lifetime_budget;
    if (lifetime_count && limits.per_charge) {
        minor_units most = 0;
        if (checked_mul(limits.per_charge->units, *lifetime_count, most)) {
            keep_smaller(limits.lifetime, money{most, limits.per_charge->unit});
        }
    }
    return limits;
}

window_usage usage_at(const bound_mandate& mandate, const budget_state& state, std::size_t index,
                      instant at) noexcept {
    const bound_image& bound = mandate.image();
    const auto& steps = bound.program->steps;
    for (std::size_t i = 0; i < steps.size(); ++i) {
        if (is_window(steps[i]) && steps[i].window_index == index) {
            return detail::usage_at(steps[i], bound.steps[i], state.windows()[index], at);
        }
    }
    return {};
}

bool exhausted(const bound_mandate& mandate, const budget_state& state) noexcept {
    const bound_image& bound = mandate.image();
    const auto& steps = bound.program->steps;
    for (std::size_t i = 0; i < steps.size(); ++i) {
        const step& s = steps[i];
        if (!is_window(s) || s.window != model::window_kind::total) continue;
        const auto& w = state.windows()[s.window_index];
        if (s.kind == step_kind::budget && w.spent >= bound.steps[i].amount.units) return true;
        if (s.kind == step_kind::limit && w.count >= bound.steps[i].count) return true;
    }
    return false;
}

minor_units release(const bound_mandate& mandate, budget_state& state, instant at,
                    minor_units counted, minor_units amount, bool uncount) noexcept {
    const bound_image& bound = mandate.image();
    minor_units most = 0;
    for (const step& s : bound.program->steps) {
        if (!is_window(s)) continue;
        budget_state::window& w = state.windows()[s.window_index];
        minor_units given = 0;
        switch (s.window) {
            case model::window_kind::calendar:
                if (!w.current.contains(at)) break;  // its period is over
                [[fallthrough]];
            case model::window_kind::total:
                given = std::min(uncount ? counted : amount, w.spent);
                w.spent -= given;
                if (uncount) w.count = std::max<std::int64_t>(0, w.count - 1);
                break;
            case model::window_kind::rolling:
                given = release_rolling(w, at, counted, amount, uncount);
                break;
        }
        if (s.kind == step_kind::budget) most = std::max(most, given);
    }
    return most;
}

std::string encode_state(const budget_state& state) {
    writer out;
    out.u32(state_magic);
    out.u32(static_cast<std::uint32_t>(state.windows().size()));
    out.at(state.latest());
    out.i64(state.approved_count());
    for (const auto& w : state.windows()) {
        out.i64(w.count);
        out.units(w.spent);
        out.at(w.current.start);
        out.at(w.current.end);
        out.u32(w.size);
        const auto capacity = static_cast<std::uint32_t>(w.events.size());
        for (std::uint32_t i = 0; i < w.size; ++i) {
            const auto& event = w.events[(w.head + i) % capacity];
            out.at(event.at);
            out.units(event.amount);
        }
    }
    return out.take();
}

bool decode_state(std::string_view bytes, const bound_mandate& mandate, budget_state& state) {
    reader in(bytes);
    std::uint32_t magic = 0;
    std::uint32_t windows = 0;
    if (!in.u32(magic) || magic != state_magic || !in.u32(windows)) return false;
    budget_state decoded(mandate);
    if (windows != decoded.windows().size()) return false;
    instant latest{};
    std::int64_t approved = 0;
    if (!in.at(latest) || !in.i64(approved) || approved < 0) return false;
    decoded.set_latest(latest);
    decoded.set_approved_count(approved);
    for (auto& w : decoded.windows()) {
        std::uint32_t size = 0;
        if (!in.i64(w.count) || !in.units(w.spent) || !in.at(w.current.start) ||
            !in.at(w.current.end) || !in.u32(size) || size > max_events || w.count < 0 ||
            w.spent < 0) {
            return false;
        }
        w.events.reset(size);
        for (auto& event : w.events) {
            if (!in.at(event.at) || !in.units(event.amount) || event.amount < 0) return false;
        }
        w.head = 0;
        w.size = size;
    }
    if (!in.done()) return false;
    state = std::move(decoded);
    return true;
}

}  // namespace mandate
