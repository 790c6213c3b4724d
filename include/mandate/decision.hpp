// The answer to one charge: approve, or decline with a stable reason and the
// clause that declined it.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "mandate/charge.hpp"
#include "mandate/money.hpp"
#include "mandate/time.hpp"

namespace mandate {

// Built-in reason codes. `custom` means a `require ... else decline CODE` or
// `decline CODE when ...` clause: the code is in decision::reason_name.
enum class reason : std::uint8_t {
    none,
    seller_not_allowed,
    domain_not_allowed,
    currency_not_allowed,
    amount_over_limit,
    amount_under_limit,
    category_not_allowed,
    country_not_allowed,
    not_yet_valid,
    expired,
    budget_exceeded,
    limit_exceeded,
    invalid_charge,
    custom,
};

std::string_view to_string(reason code) noexcept;

// What the values carried by a decline mean, for the human-readable detail.
enum class detail_kind : std::uint8_t {
    none,
    missing_field,       // `field` was needed and absent
    not_in_set,          // the charge's value is not in the clause's list
    over_limit,          // observed > limit (or >= for a strict cap)
    under_limit,         // observed < limit (or <= for a strict minimum)
    currency_mismatch,   // observed.unit differs from limit.unit
    before_start,        // at < bound
    at_or_after_end,     // at >= bound
    budget,              // spent + observed would exceed limit
    count,               // count + 1 would exceed count_limit
    overflow,            // money or integer arithmetic overflowed
    out_of_order,        // the charge is earlier than one already counted
    condition,           // a require/decline condition decided
    invalid_value,       // a charge value that can never match (non-ASCII domain)
};

struct decision {
    bool approved = false;
    reason code = reason::invalid_charge;
    std::string_view reason_name = "invalid_charge";  // static or owned by the policy

    // The clause that declined: its index in the mandate and its position in the
    // policy file. file is owned by the policy; clause is -1 when no clause did.
    std::int32_t clause = -1;
    std::string_view file;
    std::uint32_t line = 0;
    std::uint32_t column = 0;

    detail_kind detail = detail_kind::none;
    charge_field field{};
    money observed;
    money limit;
    money spent;
    instant bound{};
    std::int64_t count = 0;
    std::int64_t count_limit = 0;

    static decision approve() noexcept {
        decision d;
        d.approved = true;
        d.code = reason::none;
        d.reason_name = {};
        return d;
    }
};

// "office.mandate:6:3", or "" when no clause decided.
std::string rule_location(const decision& d);
// One sentence a person understands: "12.50 USD is over the cap of 10.00 USD".
std::string describe(const decision& d);
std::string_view to_string(charge_field field) noexcept;

}  // namespace mandate
