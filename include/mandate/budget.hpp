// What an authorizer needs from a mandate beyond deciding: what its budgets and
// limits are, how much of each is used, how to give back a hold that was not
// captured, and how to store a token's usage durably.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mandate/policy.hpp"

namespace mandate {

enum class window_shape : std::uint8_t { calendar, rolling, total };

// One budget or limit clause, as bound for a token.
struct window_limit {
    bool is_budget = true;  // false: a count limit
    window_shape shape = window_shape::total;
    money amount;             // budgets
    std::int64_t count = 0;   // limits
    std::int32_t clause = 0;  // index in the mandate
    std::uint32_t line = 0;
    std::uint32_t column = 0;
    std::string text;  // the clause as written, one line: "budget 25.00 USD per week"
};

// The promises a bound mandate makes, in the shape sellers know as usage_limits.
struct mandate_limits {
    std::optional<currency> only_currency;  // a currency clause with one currency
    std::optional<money> per_charge;        // the tightest `amount <=` cap
    std::optional<instant> valid_until;     // the earliest `valid ... until`
    // The most that can ever be approved in total: the smallest `budget ... total`,
    // or a per-charge cap times a `limit N charges total`, whichever is smaller.
    std::optional<money> lifetime;
    bool refunds_restore_budget = false;
    std::vector<window_limit> windows;  // by window index (budget_state::windows order)
};

mandate_limits limits_of(const bound_mandate& mandate);

// What window `index` holds at `at`: rolling windows without the charges that
// have left them, calendar windows empty once a new period begins.
struct window_usage {
    minor_units spent = 0;
    std::int64_t count = 0;
};
window_usage usage_at(const bound_mandate& mandate, const budget_state& state, std::size_t index,
                      instant at) noexcept;

// True when a lifetime (`total`) budget is spent to the last minor unit or a
// lifetime count limit is reached: no charge can ever be approved again.
bool exhausted(const bound_mandate& mandate, const budget_state& state) noexcept;

// Gives back part of a charge approved at `at` that still counts `counted` minor
// units (its amount, or less after an earlier release): `amount` of them from
// every budget window that still counts it and, when `uncount` (a reversal: the
// charge never happened), the whole charge from every window, count limits
// included. Windows the charge has already left are unchanged: their period is
// over. In a rolling window the charge is found by its time and the amount it
// still counts, so two charges alike in both are interchangeable. Returns the
// most any budget window gave back (0 when none still counted the charge).
minor_units release(const bound_mandate& mandate, budget_state& state, instant at,
                    minor_units counted, minor_units amount, bool uncount) noexcept;

// A token's state as bytes (little-endian, versioned), and back. decode_state
// returns false, leaving `state` unchanged, when the bytes are malformed or were
// made for a mandate with other windows.
std::string encode_state(const budget_state& state);
bool decode_state(std::string_view bytes, const bound_mandate& mandate, budget_state& state);

}  // namespace mandate
