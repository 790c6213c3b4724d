// A charge as the engine sees it: plain views over memory the caller owns.
//
// The hot path reads only this struct. It holds no strings of its own, so
// deciding a charge never allocates. `present` says which optional fields the
// caller filled in; a clause that needs a missing field declines the charge with
// `invalid_charge` instead of guessing.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

#include "mandate/money.hpp"
#include "mandate/time.hpp"

namespace mandate {

// Bits of charge::present and line_item::present.
enum charge_field : std::uint32_t {
    field_id = 1u << 0,
    field_amount = 1u << 1,  // amount.units and amount.unit
    field_at = 1u << 2,
    field_seller_id = 1u << 3,
    field_seller_domain = 1u << 4,
    field_seller_country = 1u << 5,
    field_seller_category = 1u << 6,  // merchant category code (MCC)
    field_items = 1u << 7,
    field_resource = 1u << 8,
};

enum item_field : std::uint8_t {
    item_sku = 1u << 0,
    item_category = 1u << 1,
    item_quantity = 1u << 2,
    item_unit_price = 1u << 3,  // in the charge's currency
};

struct line_item {
    std::string_view sku;
    std::string_view category;
    std::int64_t quantity = 0;
    minor_units unit_price = 0;
    std::uint8_t present = 0;
};

struct charge {
    std::string_view id;
    money amount;  // amount.unit is the charge's currency
    instant at{};
    std::string_view seller_id;
    std::string_view seller_domain;
    std::string_view seller_country;  // ISO 3166-1 alpha-2, upper case
    std::int32_t seller_category = 0;
    std::span<const line_item> items;
    std::string_view resource;
    std::uint32_t present = 0;

    bool has(charge_field field) const noexcept { return (present & field) != 0; }
};

}  // namespace mandate
