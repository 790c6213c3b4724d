// Budget and limit windows as the engine reads them: shared by decide, record
// and the authorizer's view of a token's usage.
#pragma once

#include "engine/program.hpp"
#include "mandate/budget.hpp"

namespace mandate::detail {

// The start of a rolling window, t - D, exclusive. Saturates rather than wrapping
// when D reaches back past the earliest instant, which would empty the window.
inline instant rolling_threshold(instant at, duration length) noexcept {
    if (at.time_since_epoch() < duration::min() + length) return instant::min();
    return at - length;
}

// What a rolling window of `length` holds at `at`: charges at or before
// at - length have left the window (t - D, t].
inline window_usage rolling_usage(const budget_state::window& w, instant at,
                                  duration length) noexcept {
    const instant threshold = rolling_threshold(at, length);
    window_usage usage{w.spent, w.count};
    const auto capacity = static_cast<std::uint32_t>(w.events.size());
    // head < capacity and i < size <= capacity: one subtraction wraps the index,
    // where a modulo would divide on every charge.
    std::uint32_t slot = w.head;
    for (std::uint32_t i = 0; i < w.size; ++i, ++slot) {
        if (slot == capacity) slot = 0;
        const auto& event = w.events[slot];
        if (event.at > threshold) break;
        usage.spent -= event.amount;
        usage.count -= 1;
    }
    return usage;
}

// What a window holds at `at`, without changing it.
inline window_usage usage_at(const step& s, const resolved_step& r,
                             const budget_state::window& w, instant at) noexcept {
    switch (s.window) {
        case model::window_kind::total: return {w.spent, w.count};
        case model::window_kind::calendar:
            if (w.current.contains(at)) return {w.spent, w.count};
            return {};  // a new period begins
        case model::window_kind::rolling: return rolling_usage(w, at, r.length);
    }
    return {};
}

}  // namespace mandate::detail
