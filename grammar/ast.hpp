// The parse tree of a policy file: what the text says, before any checking.
//
// Produced by grammar/parser.cpp, consumed by engine/checker.cpp. Every node keeps
// the position it was written at so that the checker's diagnostics point at it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "mandate/policy.hpp"
#include "mandate/time.hpp"

namespace mandate::ast {

struct location {
    std::uint32_t offset = 0;  // byte offset in the source
    std::uint32_t line = 1;
    std::uint32_t column = 1;
    std::uint32_t length = 1;  // bytes covered, for the caret underline
};

enum class expr_kind : std::uint8_t {
    integer,        // 20
    decimal,        // 1.5 without a currency: always a checker error
    money,          // 12.50 USD
    text,           // "staples.com" (text holds the unescaped value)
    time,           // 2026-12-01T00:00:00Z
    duration,       // 1h30m
    boolean,        // true, false
    currency_code,  // USD written alone
    list,           // [a, b]
    name,           // a parameter, a quantifier variable or `charge`
    field,          // operands[0].text_of_field
    logical_not,    // not e
    negate,         // -e
    binary,         // operands[0] op operands[1]
    every,          // every variable in operands[0]: operands[1]
    some,           // some variable in operands[0]: operands[1]
    sum,            // sum(variable in operands[0]: operands[1])
    count,          // count(operands[0])
};

enum class binary_op : std::uint8_t {
    logical_or,
    logical_and,
    equal,
    not_equal,
    less,
    less_equal,
    greater,
    greater_equal,
    in,
    not_in,
    add,
    subtract,
    multiply,
};

const char* to_string(binary_op op) noexcept;

struct expr {
    expr_kind kind = expr_kind::integer;
    location where;
    std::string text;      // literal text, name, field name, currency code, text value
    std::string currency;  // money literals
    binary_op op = binary_op::equal;
    std::string variable;  // quantifiers and sum
    location variable_where;
    std::vector<expr> operands;
};

struct type_ref {
    param_type type = param_type::text;
    bool is_list = false;
    location where;
};

struct parameter {
    std::string name;
    location where;
    type_ref type;
    std::optional<expr> default_value;
};

enum class clause_kind : std::uint8_t {
    seller,
    domain,
    currency,
    amount,
    category,
    country,
    valid,
    budget,
    limit,
    require,
    decline_when,
};

const char* to_string(clause_kind kind) noexcept;

enum class window_kind : std::uint8_t { calendar, rolling, total };

struct window {
    window_kind kind = window_kind::total;
    location where;
    calendar_unit unit = calendar_unit::day;
    std::optional<date::weekday> week_start;
    location week_start_where;
    std::optional<expr> zone;    // `in ZONE`
    std::optional<expr> length;  // `rolling LENGTH`
};

struct clause {
    clause_kind kind = clause_kind::seller;
    location where;
    std::optional<expr> value;  // the list, cap, budget, count or condition
    binary_op compare = binary_op::less_equal;  // amount clauses
    std::optional<expr> valid_from;
    std::optional<expr> valid_until;
    window per;
    std::string reason_code;  // require ... else decline CODE, decline CODE when ...
    location reason_where;
};

struct mandate_decl {
    std::string name;
    location where;
    std::vector<parameter> parameters;
    std::vector<clause> clauses;
    // Each `refunds restore budget` in the body (more than one is an error).
    std::vector<location> refund_settings;
};

struct policy_file {
    std::string file_name;
    std::vector<mandate_decl> mandates;
};

}  // namespace mandate::ast
