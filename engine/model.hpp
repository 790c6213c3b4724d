// The checked model: a mandate after name resolution and type checking.
//
// Produced by engine/checker.cpp from the parse tree, consumed by
// engine/compiler.cpp. Every expression has a type, every name is resolved to a
// parameter, a quantifier variable or a charge field, and every literal is
// already parsed into exact money, time or duration.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "grammar/ast.hpp"
#include "mandate/money.hpp"
#include "mandate/policy.hpp"
#include "mandate/time.hpp"

namespace mandate::model {

enum class base_type : std::uint8_t {
    error,  // already reported; suppresses follow-on diagnostics
    boolean,
    integer,
    money,
    text,
    time,
    duration,
    zone,
    item,
    seller,
    charge,
    empty,  // the element type of []
};

struct type {
    base_type base = base_type::error;
    bool is_list = false;

    friend bool operator==(const type&, const type&) = default;
};

std::string to_string(const type& t);

// Fields of the charge a clause can read, resolved by the checker.
enum class field : std::uint8_t {
    charge_id,
    charge_amount,
    charge_currency,
    charge_at,
    charge_seller,
    charge_items,
    charge_resource,
    seller_id,
    seller_domain,
    seller_country,
    seller_category,
    item_sku,
    item_category,
    item_quantity,
    item_unit_price,
};

enum class expr_kind : std::uint8_t {
    literal,
    list,
    parameter,     // index
    variable,      // slot
    charge,        // the whole charge (only as the base of a field access)
    field_access,  // operands[0].field
    logical_not,
    negate,
    binary,
    every,
    some,
    sum,
    count,
};

// A parsed literal value.
struct literal {
    bool boolean = false;
    std::int64_t integer = 0;
    money amount;
    std::string text;
    instant at{};
    duration length{};
    const date::time_zone* zone = nullptr;
};

struct expr {
    expr_kind kind = expr_kind::literal;
    type result;
    ast::location where;
    bool uses_charge = false;  // reads the charge or a variable bound over it
    bool uses_params = false;  // reads a parameter: resolved when a token binds
    literal value;             // literals
    ast::binary_op op = ast::binary_op::equal;
    std::uint32_t index = 0;  // parameter index or variable slot
    field member = field::charge_id;
    std::vector<expr> operands;
};

enum class window_kind : std::uint8_t { calendar, rolling, total };

struct window {
    window_kind kind = window_kind::total;
    calendar_unit unit = calendar_unit::day;
    date::weekday week_start = date::Monday;
    std::optional<expr> zone;    // calendar: zone-typed; absent means UTC
    std::optional<expr> length;  // rolling: duration-typed
};

struct clause {
    ast::clause_kind kind = ast::clause_kind::seller;
    ast::location where;
    std::optional<expr> value;
    ast::binary_op compare = ast::binary_op::less_equal;
    std::optional<expr> valid_from;
    std::optional<expr> valid_until;
    window per;
    std::string reason_code;  // custom codes; empty for built-in clauses
};

struct parameter {
    std::string name;
    type declared;
    ast::location where;
    std::optional<expr> default_value;
};

struct mandate {
    std::string name;
    ast::location where;
    std::vector<parameter> parameters;
    std::vector<clause> clauses;
    std::uint32_t variable_slots = 0;  // deepest quantifier nesting
    bool refunds_restore_budget = false;
};

}  // namespace mandate::model
