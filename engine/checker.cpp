// The checker: every type error, unknown name and impossible window in a policy
// becomes one diagnostic at the place it was written. An expression that already
// failed has type `error`, which silences the checks that would follow from it,
// so one mistake gives one message.

#include "engine/checker.hpp"

#include <algorithm>
#include <limits>
#include <map>
#include <set>
#include <utility>

#include "grammar/parser.hpp"

namespace mandate::model {

std::string to_string(const type& t) {
    std::string name;
    switch (t.base) {
        case base_type::error: name = "<error>"; break;
        case base_type::boolean: name = "bool"; break;
        case base_type::integer: name = "int"; break;
        case base_type::money: name = "money"; break;
        case base_type::text: name = "text"; break;
        case base_type::time: name = "time"; break;
        case base_type::duration: name = "duration"; break;
        case base_type::zone: name = "zone"; break;
        case base_type::item: name = "item"; break;
        case base_type::seller: name = "seller"; break;
        case base_type::charge: name = "charge"; break;
        case base_type::empty: name = "nothing"; break;
    }
    return t.is_list ? "list<" + name + ">" : name;
}

}  // namespace mandate::model

namespace mandate::checker {

using model::base_type;
using model::type;

std::string check_domain_pattern(std::string_view pattern) {
    std::string_view rest = pattern;
    if (rest.starts_with("*.")) rest.remove_prefix(2);
    if (rest.empty()) return "a domain must not be empty";
    if (rest.size() > 253) return "a domain is at most 253 characters";
    std::size_t label_length = 0;
    for (std::size_t i = 0; i < rest.size(); ++i) {
        const char c = rest[i];
        if (c == '.') {
            if (label_length == 0) return "a domain has an empty label";
            label_length = 0;
            continue;
        }
        if (c == '*') return "'*' may only stand first, as \"*.example.com\"";
        const bool allowed = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
        if (!allowed) {
            if (c >= 'A' && c <= 'Z') return "domains are written in lower case";
            return "domains are lower-case ASCII letters, digits, '-' and '.'; write "
                   "internationalized domains in punycode (xn--...)";
        }
        if (++label_length > 63) return "a domain label is at most 63 characters";
    }
    if (label_length == 0) return "a domain must not end with '.'";
    return {};
}

bool is_country_code(std::string_view code) noexcept {
    return code.size() == 2 && code[0] >= 'A' && code[0] <= 'Z' && code[1] >= 'A' &&
           code[1] <= 'Z';
}

namespace {

constexpr std::size_t max_nested_quantifiers = 16;

const type error_type{base_type::error, false};
const type bool_type{base_type::boolean, false};
const type int_type{base_type::integer, false};
const type money_type{base_type::money, false};
const type text_type{base_type::text, false};
const type time_type{base_type::time, false};
const type duration_type{base_type::duration, false};
const type zone_type{base_type::zone, false};

type list_of(base_type base) { return type{base, true}; }

bool is_error(const type& t) { return t.base == base_type::error; }

type from_param(param_type p, bool is_list) {
    base_type base = base_type::text;
    switch (p) {
        case param_type::text: base = base_type::text; break;
        case param_type::integer: base = base_type::integer; break;
        case param_type::money: base = base_type::money; break;
        case param_type::time: base = base_type::time; break;
        case param_type::length: base = base_type::duration; break;
        case param_type::zone: base = base_type::zone; break;
    }
    return type{base, is_list};
}

struct field_entry {
    base_type owner;
    std::string_view name;
    model::field member;
    type result;
};

const field_entry field_table[] = {
    {base_type::charge, "id", model::field::charge_id, text_type},
    {base_type::charge, "amount", model::field::charge_amount, money_type},
    {base_type::charge, "currency", model::field::charge_currency, text_type},
    {base_type::charge, "at", model::field::charge_at, time_type},
    {base_type::charge, "seller", model::field::charge_seller, type{base_type::seller, false}},
    {base_type::charge, "items", model::field::charge_items, list_of(base_type::item)},
    {base_type::charge, "resource", model::field::charge_resource, text_type},
    {base_type::seller, "id", model::field::seller_id, text_type},
    {base_type::seller, "domain", model::field::seller_domain, text_type},
    {base_type::seller, "country", model::field::seller_country, text_type},
    {base_type::seller, "category", model::field::seller_category, int_type},
    {base_type::item, "sku", model::field::item_sku, text_type},
    {base_type::item, "category", model::field::item_category, text_type},
    {base_type::item, "quantity", model::field::item_quantity, int_type},
    {base_type::item, "unit_price", model::field::item_unit_price, money_type},
};

std::string field_names(base_type owner) {
    std::string names;
    for (const auto& entry : field_table) {
        if (entry.owner != owner) continue;
        if (!names.empty()) names += ", ";
        names += entry.name;
    }
    return names;
}

// Is the expression a constant the checker can look at (a literal, or a list of them)?
bool is_literal(const model::expr& e) {
    if (e.kind == model::expr_kind::literal) return true;
    if (e.kind != model::expr_kind::list) return false;
    return std::all_of(e.operands.begin(), e.operands.end(), is_literal);
}

class mandate_checker {
public:
    mandate_checker(std::string_view source, const std::string& file_name,
                    std::vector<diagnostic>& diagnostics)
        : source_(source), file_name_(file_name), diagnostics_(diagnostics) {}

    model::mandate check(const ast::mandate_decl& decl) {
        model::mandate m;
        m.name = decl.name;
        m.where = decl.where;

        // Parameters first: clauses refer to them by name.
        std::set<std::string> seen;
        for (const auto& p : decl.parameters) {
            if (!seen.insert(p.name).second) {
                error(p.where, "parameter '" + p.name + "' is declared twice");
                continue;
            }
            if (p.name == "charge") {
                error(p.where, "'charge' is the charge being decided and cannot name a parameter");
                continue;
            }
            model::parameter checked;
            checked.name = p.name;
            checked.where = p.where;
            checked.declared = from_param(p.type.type, p.type.is_list);
            if (p.default_value) {
                model::expr value = check_expr(*p.default_value, checked.declared);
                if (!is_error(value.result) && !is_literal(value)) {
                    error(p.default_value->where, "a default must be a literal value");
                } else if (!is_error(value.result)) {
                    expect(value, checked.declared, "the default of '" + p.name + "'");
                }
                checked.default_value = std::move(value);
            }
            parameters_.push_back(checked);
        }
        m.parameters = parameters_;

        for (const auto& c : decl.clauses) m.clauses.push_back(check_clause(c));
        m.variable_slots = max_slots_;
        m.refunds_restore_budget = !decl.refund_settings.empty();
        for (std::size_t i = 1; i < decl.refund_settings.size(); ++i) {
            error(decl.refund_settings[i], "'refunds restore budget' is given twice");
        }
        return m;
    }

private:
    // Diagnostics.
    void error(const ast::location& where, std::string message, std::string help = {}) {
        diagnostics_.push_back(grammar::make_diagnostic(source_, file_name_, where,
                                                        std::move(message), std::move(help)));
    }

    // Reports unless the type already failed; returns whether it matches.
    bool expect(const model::expr& e, const type& wanted, const std::string& what) {
        if (is_error(e.result)) return false;
        if (e.result == wanted) return true;
        // [] fits any list
        if (wanted.is_list && e.result.is_list && e.result.base == base_type::empty) return true;
        error(e.where, what + " must be " + model::to_string(wanted) + ", not " +
                           model::to_string(e.result));
        return false;
    }

    bool expect_independent(const model::expr& e, const std::string& what) {
        if (is_error(e.result) || !e.uses_charge) return true;
        error(e.where, what + " must not depend on the charge",
              "use a literal or a parameter here; conditions on the charge belong in "
              "'require' or 'decline ... when'");
        return false;
    }

    // Expressions. `hint` lets a text literal stand for a zone.
    model::expr check_expr(const ast::expr& e, std::optional<type> hint = std::nullopt) {
        model::expr out;
        out.where = e.where;
        switch (e.kind) {
            case ast::expr_kind::integer: return check_integer(e);
            case ast::expr_kind::decimal:
                error(e.where, "a decimal number needs a currency",
                      "write money with its currency, such as " + e.text + " USD");
                return out;
            case ast::expr_kind::money: return check_money(e);
            case ast::expr_kind::text:
                if (hint && hint->base == base_type::zone && !hint->is_list) {
                    return check_zone_text(e);
                }
                out.kind = model::expr_kind::literal;
                out.result = text_type;
                out.value.text = e.text;
                return out;
            case ast::expr_kind::time: {
                out.kind = model::expr_kind::literal;
                const auto at = parse_rfc3339(e.text);
                if (!at) {
                    error(e.where, "'" + e.text + "' is not a valid time",
                          "times are RFC 3339, such as 2026-12-01T00:00:00Z");
                    return out;
                }
                out.result = time_type;
                out.value.at = *at;
                return out;
            }
            case ast::expr_kind::duration: {
                out.kind = model::expr_kind::literal;
                const auto length = parse_duration(e.text);
                if (!length) {
                    error(e.where, "'" + e.text + "' is not a valid duration");
                    return out;
                }
                out.result = duration_type;
                out.value.length = *length;
                return out;
            }
            case ast::expr_kind::boolean:
                out.kind = model::expr_kind::literal;
                out.result = bool_type;
                out.value.boolean = e.text == "true";
                return out;
            case ast::expr_kind::currency_code: {
                out.kind = model::expr_kind::literal;
                if (!currency::find(e.text)) {
                    error(e.where, "unknown currency '" + e.text + "'",
                          "use an ISO 4217 code such as USD, EUR, JPY, or a stablecoin such "
                          "as USDC");
                    return out;
                }
                out.result = text_type;
                out.value.text = e.text;
                return out;
            }
            case ast::expr_kind::list: return check_list(e, hint);
            case ast::expr_kind::name: return check_name(e);
            case ast::expr_kind::field: return check_field(e);
            case ast::expr_kind::logical_not: {
                out.kind = model::expr_kind::logical_not;
                out.operands.push_back(check_expr(e.operands[0]));
                inherit(out);
                if (expect(out.operands[0], bool_type, "the operand of 'not'")) {
                    out.result = bool_type;
                }
                return out;
            }
            case ast::expr_kind::negate: {
                out.kind = model::expr_kind::negate;
                out.operands.push_back(check_expr(e.operands[0]));
                inherit(out);
                const type& t = out.operands[0].result;
                if (is_error(t)) return out;
                if (t == int_type || t == money_type || t == duration_type) {
                    out.result = t;
                } else {
                    error(e.where, "'-' applies to int, money and duration, not " +
                                       model::to_string(t));
                }
                return out;
            }
            case ast::expr_kind::binary: return check_binary(e);
            case ast::expr_kind::every:
            case ast::expr_kind::some:
            case ast::expr_kind::sum: return check_quantifier(e);
            case ast::expr_kind::count: {
                out.kind = model::expr_kind::count;
                out.operands.push_back(check_expr(e.operands[0]));
                inherit(out);
                const type& t = out.operands[0].result;
                if (is_error(t)) return out;
                if (!t.is_list) {
                    error(e.operands[0].where,
                          "count() takes a list, not " + model::to_string(t));
                    return out;
                }
                out.result = int_type;
                return out;
            }
        }
        return out;
    }

    static void inherit(model::expr& out) {
        for (const auto& operand : out.operands) {
            out.uses_charge = out.uses_charge || operand.uses_charge;
            out.uses_params = out.uses_params || operand.uses_params;
        }
    }

    model::expr check_integer(const ast::expr& e) {
        model::expr out;
        out.where = e.where;
        out.kind = model::expr_kind::literal;
        std::int64_t value = 0;
        for (const char c : e.text) {
            if (__builtin_mul_overflow(value, 10, &value) ||
                __builtin_add_overflow(value, c - '0', &value)) {
                error(e.where, "integer " + e.text + " is too large");
                return out;
            }
        }
        out.result = int_type;
        out.value.integer = value;
        return out;
    }

    model::expr check_money(const ast::expr& e) {
        model::expr out;
        out.where = e.where;
        out.kind = model::expr_kind::literal;
        const auto unit = currency::find(e.currency);
        if (!unit) {
            error(e.where, "unknown currency '" + e.currency + "'",
                  "use an ISO 4217 code such as USD, EUR, JPY, or a stablecoin such as USDC");
            return out;
        }
        minor_units units = 0;
        const amount_error problem = parse_amount(e.text, *unit, units);
        if (problem == amount_error::too_many_decimals) {
            const int exponent = unit->exponent();
            error(e.where,
                  e.text + " " + e.currency + " has more decimals than " + e.currency +
                      " allows (" + std::to_string(exponent) + ")",
                  exponent == 0 ? e.currency + " has no minor unit: write a whole number"
                                : "amounts are exact: round the amount yourself");
            return out;
        }
        if (problem != amount_error::none) {
            error(e.where, std::string(describe(problem)) + ": " + e.text + " " + e.currency);
            return out;
        }
        out.result = money_type;
        out.value.amount = money{units, *unit};
        return out;
    }

    model::expr check_zone_text(const ast::expr& e) {
        model::expr out;
        out.where = e.where;
        out.kind = model::expr_kind::literal;
        const date::time_zone* zone = find_zone(e.text);
        if (zone == nullptr) {
            error(e.where, "unknown time zone '" + e.text + "'",
                  "use an IANA name such as \"America/New_York\", \"Europe/Berlin\" or \"UTC\"");
            return out;
        }
        out.result = zone_type;
        out.value.zone = zone;
        out.value.text = e.text;
        return out;
    }

    model::expr check_list(const ast::expr& e, std::optional<type> hint) {
        model::expr out;
        out.where = e.where;
        out.kind = model::expr_kind::list;
        std::optional<type> element_hint;
        if (hint && hint->is_list) element_hint = type{hint->base, false};
        type element{base_type::empty, false};
        bool failed = false;
        for (const auto& operand : e.operands) {
            model::expr checked = check_expr(operand, element_hint);
            if (is_error(checked.result)) {
                failed = true;
            } else if (checked.result.is_list) {
                error(operand.where, "lists cannot contain lists");
                failed = true;
            } else if (checked.result.base == base_type::charge ||
                       checked.result.base == base_type::seller ||
                       checked.result.base == base_type::item) {
                error(operand.where, "lists hold values (text, int, money, time, duration, "
                                     "zone), not a whole " + model::to_string(checked.result),
                      "name the field you mean, such as charge.seller.id");
                failed = true;
            } else if (element.base == base_type::empty) {
                element = checked.result;
            } else if (checked.result != element) {
                error(operand.where, "list elements must all be " + model::to_string(element) +
                                         ", not " + model::to_string(checked.result));
                failed = true;
            }
            out.operands.push_back(std::move(checked));
        }
        inherit(out);
        if (!failed) out.result = type{element.base, true};
        // Money in one list must share a currency when written as literals.
        if (!failed && element.base == base_type::money) {
            for (const auto& operand : out.operands) {
                if (operand.kind == model::expr_kind::literal &&
                    out.operands[0].kind == model::expr_kind::literal &&
                    operand.value.amount.unit != out.operands[0].value.amount.unit) {
                    error(operand.where, "a list of money mixes currencies");
                    out.result = error_type;
                    break;
                }
            }
        }
        return out;
    }

    model::expr check_name(const ast::expr& e) {
        model::expr out;
        out.where = e.where;
        // Innermost variable first, then parameters, then the charge.
        for (std::size_t i = variables_.size(); i-- > 0;) {
            if (variables_[i].name == e.text) {
                out.kind = model::expr_kind::variable;
                out.index = static_cast<std::uint32_t>(i);
                out.result = variables_[i].element;
                out.uses_charge = variables_[i].over_charge;
                out.uses_params = variables_[i].over_params;
                return out;
            }
        }
        for (std::size_t i = 0; i < parameters_.size(); ++i) {
            if (parameters_[i].name == e.text) {
                out.kind = model::expr_kind::parameter;
                out.index = static_cast<std::uint32_t>(i);
                out.result = parameters_[i].declared;
                out.uses_params = true;
                return out;
            }
        }
        if (e.text == "charge") {
            out.kind = model::expr_kind::charge;
            out.result = type{base_type::charge, false};
            out.uses_charge = true;
            return out;
        }
        std::string known;
        for (const auto& p : parameters_) known += (known.empty() ? "" : ", ") + p.name;
        error(e.where, "unknown name '" + e.text + "'",
              known.empty() ? "the names in scope are 'charge' and quantifier variables"
                            : "parameters in scope: " + known + "; and 'charge'");
        return out;
    }

    model::expr check_field(const ast::expr& e) {
        model::expr out;
        out.where = e.where;
        out.kind = model::expr_kind::field_access;
        out.operands.push_back(check_expr(e.operands[0]));
        inherit(out);
        const type& base = out.operands[0].result;
        if (is_error(base)) return out;
        if (base.is_list || (base.base != base_type::charge && base.base != base_type::seller &&
                             base.base != base_type::item)) {
            error(e.where, model::to_string(base) + " has no fields");
            return out;
        }
        for (const auto& entry : field_table) {
            if (entry.owner == base.base && entry.name == e.text) {
                out.member = entry.member;
                out.result = entry.result;
                return out;
            }
        }
        error(e.where, "unknown field '" + e.text + "' of " + model::to_string(base),
              "fields of " + model::to_string(base) + ": " + field_names(base.base));
        return out;
    }

    static bool ordered(const type& t) {
        return !t.is_list && (t.base == base_type::integer || t.base == base_type::money ||
                              t.base == base_type::time || t.base == base_type::duration);
    }
    static bool equatable(const type& t) {
        return !t.is_list && (ordered(t) || t.base == base_type::text ||
                              t.base == base_type::boolean);
    }

    // Two money literals in different currencies can never be compared or added.
    void check_same_currency(const model::expr& left, const model::expr& right,
                             const ast::expr& e, model::expr& out) {
        if (left.result != money_type || right.result != money_type) return;
        if (left.kind != model::expr_kind::literal || right.kind != model::expr_kind::literal) {
            return;
        }
        if (left.value.amount.unit != right.value.amount.unit) {
            error(e.where,
                  "cannot combine " + std::string(left.value.amount.unit.code()) + " with " +
                      std::string(right.value.amount.unit.code()),
                  "money is never converted: use one currency");
            out.result = error_type;
        }
    }

    model::expr check_binary(const ast::expr& e) {
        using ast::binary_op;
        model::expr out;
        out.where = e.where;
        out.kind = model::expr_kind::binary;
        out.op = e.op;
        out.operands.push_back(check_expr(e.operands[0]));
        std::optional<type> right_hint;
        out.operands.push_back(check_expr(e.operands[1], right_hint));
        inherit(out);
        const model::expr& left = out.operands[0];
        const model::expr& right = out.operands[1];
        if (is_error(left.result) || is_error(right.result)) return out;
        const type& lt = left.result;
        const type& rt = right.result;
        const std::string op = ast::to_string(e.op);

        switch (e.op) {
            case binary_op::logical_and:
            case binary_op::logical_or:
                if (expect(left, bool_type, "the left side of '" + op + "'") &&
                    expect(right, bool_type, "the right side of '" + op + "'")) {
                    out.result = bool_type;
                }
                return out;
            case binary_op::equal:
            case binary_op::not_equal:
                if (lt != rt || !equatable(lt)) {
                    error(e.where, "cannot compare " + model::to_string(lt) + " with " +
                                       model::to_string(rt) + " using '" + op + "'");
                    return out;
                }
                out.result = bool_type;
                check_same_currency(left, right, e, out);
                return out;
            case binary_op::less:
            case binary_op::less_equal:
            case binary_op::greater:
            case binary_op::greater_equal:
                if (lt != rt || !ordered(lt)) {
                    error(e.where, "cannot order " + model::to_string(lt) + " and " +
                                       model::to_string(rt) + " with '" + op + "'",
                          "'<', '<=', '>' and '>=' compare int, money, time or duration of "
                          "the same type");
                    return out;
                }
                out.result = bool_type;
                check_same_currency(left, right, e, out);
                return out;
            case binary_op::in:
            case binary_op::not_in:
                if (!rt.is_list) {
                    error(right.where, "the right side of '" + op + "' must be a list, not " +
                                           model::to_string(rt));
                    return out;
                }
                if (lt.is_list || !equatable(lt) ||
                    (rt.base != base_type::empty && rt.base != lt.base)) {
                    error(e.where, "cannot look for " + model::to_string(lt) + " in " +
                                       model::to_string(rt));
                    return out;
                }
                if (!expect_independent(right, "the list after '" + op + "'")) return out;
                out.result = bool_type;
                // Money looked for in a written list of another currency never matches.
                if (right.kind == model::expr_kind::list && !right.operands.empty()) {
                    check_same_currency(left, right.operands.front(), e, out);
                }
                return out;
            case binary_op::add:
            case binary_op::subtract:
                if (lt == rt && (lt == int_type || lt == money_type || lt == duration_type)) {
                    out.result = lt;
                    check_same_currency(left, right, e, out);
                    return out;
                }
                if (lt == time_type && rt == duration_type) {
                    out.result = time_type;
                    return out;
                }
                if (e.op == binary_op::subtract && lt == time_type && rt == time_type) {
                    out.result = duration_type;
                    return out;
                }
                error(e.where, "cannot apply '" + op + "' to " + model::to_string(lt) +
                                   " and " + model::to_string(rt));
                return out;
            case binary_op::multiply:
                if (lt == int_type && rt == int_type) {
                    out.result = int_type;
                } else if ((lt == money_type || lt == duration_type) && rt == int_type) {
                    out.result = lt;
                } else if (lt == int_type && (rt == money_type || rt == duration_type)) {
                    // Normalize to value * count.
                    std::swap(out.operands[0], out.operands[1]);
                    out.result = rt;
                } else {
                    error(e.where, "cannot multiply " + model::to_string(lt) + " by " +
                                       model::to_string(rt),
                          "money and durations multiply by an int");
                }
                return out;
        }
        return out;
    }

    model::expr check_quantifier(const ast::expr& e) {
        model::expr out;
        out.where = e.where;
        out.kind = e.kind == ast::expr_kind::every  ? model::expr_kind::every
                   : e.kind == ast::expr_kind::some ? model::expr_kind::some
                                                    : model::expr_kind::sum;
        out.operands.push_back(check_expr(e.operands[0]));
        const model::expr& list = out.operands[0];
        type element = error_type;
        if (!is_error(list.result)) {
            if (!list.result.is_list) {
                error(list.where, "expected a list to iterate over, not " +
                                      model::to_string(list.result));
            } else {
                element = type{list.result.base, false};
            }
        }
        for (const auto& v : variables_) {
            if (v.name == e.variable) {
                error(e.variable_where, "'" + e.variable + "' is already a variable here",
                      "choose another name");
                element = error_type;
            }
        }
        // The evaluator keeps quantifier variables in a fixed frame.
        if (variables_.size() >= max_nested_quantifiers) {
            error(e.where, "quantifiers nest at most " + std::to_string(max_nested_quantifiers) +
                               " deep");
            element = error_type;
        }
        const auto slot = static_cast<std::uint32_t>(variables_.size());
        variables_.push_back({e.variable, element, list.uses_charge, list.uses_params});
        max_slots_ = std::max<std::uint32_t>(max_slots_, slot + 1);
        out.index = slot;
        out.operands.push_back(check_expr(e.operands[1]));
        variables_.pop_back();
        inherit(out);
        if (is_error(element)) return out;

        const model::expr& body = out.operands[1];
        if (out.kind == model::expr_kind::sum) {
            if (is_error(body.result)) return out;
            if (body.result != int_type && body.result != money_type) {
                error(body.where, "sum() adds int or money, not " + model::to_string(body.result));
                return out;
            }
            out.result = body.result;
            return out;
        }
        if (expect(body, bool_type, "the condition after ':'")) out.result = bool_type;
        return out;
    }

    // Clauses.
    model::clause check_clause(const ast::clause& c) {
        model::clause out;
        out.kind = c.kind;
        out.where = c.where;
        out.compare = c.compare;
        out.reason_code = c.reason_code;
        using ast::clause_kind;
        switch (c.kind) {
            case clause_kind::seller:
                out.value = check_list_operand(*c.value, list_of(base_type::text), "seller");
                break;
            case clause_kind::domain:
                out.value = check_list_operand(*c.value, list_of(base_type::text), "domain");
                if (out.value && is_literal(*out.value)) {
                    for (const auto& element : out.value->operands) {
                        const std::string problem = check_domain_pattern(element.value.text);
                        if (!problem.empty()) {
                            error(element.where, "invalid domain pattern \"" +
                                                     element.value.text + "\": " + problem,
                                  "write domains as \"shop.example.com\" or \"*.example.com\"");
                        }
                    }
                }
                break;
            case clause_kind::currency: {
                model::expr value = check_expr(*c.value);
                if (value.result == text_type) {
                    // currency USD: a one-element list
                    model::expr list;
                    list.kind = model::expr_kind::list;
                    list.where = value.where;
                    list.result = list_of(base_type::text);
                    list.uses_params = value.uses_params;
                    list.operands.push_back(std::move(value));
                    value = std::move(list);
                }
                if (expect(value, list_of(base_type::text), "the currency clause's operand") &&
                    expect_independent(value, "the currency list")) {
                    for (const auto& element : value.operands) {
                        if (element.kind == model::expr_kind::literal &&
                            !currency::find(element.value.text)) {
                            error(element.where, "unknown currency '" + element.value.text + "'");
                        }
                    }
                }
                out.value = std::move(value);
                break;
            }
            case clause_kind::amount: {
                model::expr value = check_expr(*c.value);
                if (expect(value, money_type, "the amount's bound")) {
                    expect_independent(value, "the amount's bound");
                }
                out.value = std::move(value);
                break;
            }
            case clause_kind::category: {
                out.value = check_list_operand(*c.value, list_of(base_type::integer), "category");
                if (out.value && is_literal(*out.value)) {
                    for (const auto& element : out.value->operands) {
                        if (element.value.integer < 0 || element.value.integer > 9999) {
                            error(element.where, "a merchant category code is 0 to 9999");
                        }
                    }
                }
                break;
            }
            case clause_kind::country: {
                out.value = check_list_operand(*c.value, list_of(base_type::text), "country");
                if (out.value && is_literal(*out.value)) {
                    for (const auto& element : out.value->operands) {
                        if (!is_country_code(element.value.text)) {
                            error(element.where, "\"" + element.value.text +
                                                     "\" is not a country code",
                                  "use ISO 3166-1 alpha-2 codes in upper case, such as \"US\"");
                        }
                    }
                }
                break;
            }
            case clause_kind::valid: check_valid(c, out); break;
            case clause_kind::budget:
            case clause_kind::limit: check_window_clause(c, out); break;
            case clause_kind::require:
            case clause_kind::decline_when: {
                model::expr value = check_expr(*c.value);
                expect(value, bool_type, "the condition");
                out.value = std::move(value);
                if (out.kind == clause_kind::require && out.reason_code.empty()) {
                    out.reason_code = "requirement_not_met";
                }
                break;
            }
        }
        return out;
    }

    std::optional<model::expr> check_list_operand(const ast::expr& e, const type& wanted,
                                                  const std::string& clause) {
        model::expr value = check_expr(e, wanted);
        if (expect(value, wanted, "the " + clause + " list")) {
            expect_independent(value, "the " + clause + " list");
        }
        return value;
    }

    void check_valid(const ast::clause& c, model::clause& out) {
        if (c.valid_from) {
            out.valid_from = check_expr(*c.valid_from);
            if (expect(*out.valid_from, time_type, "'valid from'")) {
                expect_independent(*out.valid_from, "'valid from'");
            }
        }
        if (c.valid_until) {
            out.valid_until = check_expr(*c.valid_until);
            if (expect(*out.valid_until, time_type, "'valid until'")) {
                expect_independent(*out.valid_until, "'valid until'");
            }
        }
        if (out.valid_from && out.valid_until &&
            out.valid_from->kind == model::expr_kind::literal &&
            out.valid_until->kind == model::expr_kind::literal &&
            out.valid_from->result == time_type && out.valid_until->result == time_type &&
            out.valid_from->value.at >= out.valid_until->value.at) {
            error(c.valid_until->where,
                  "this validity window is empty: 'until' is not after 'from'",
                  "the mandate holds for from <= t < until");
        }
    }

    void check_window_clause(const ast::clause& c, model::clause& out) {
        const bool is_budget = c.kind == ast::clause_kind::budget;
        model::expr value = check_expr(*c.value);
        const type wanted = is_budget ? money_type : int_type;
        const std::string what = is_budget ? "the budget" : "the number of charges";
        if (expect(value, wanted, what) && expect_independent(value, what) &&
            value.kind == model::expr_kind::literal) {
            const bool positive =
                is_budget ? value.value.amount.units > 0 : value.value.integer > 0;
            if (!positive) {
                error(value.where, what + " must be more than zero",
                      "a window that allows nothing declines every charge");
            }
        }
        out.value = std::move(value);

        const ast::window& w = c.per;
        out.per.kind = w.kind == ast::window_kind::calendar  ? model::window_kind::calendar
                       : w.kind == ast::window_kind::rolling ? model::window_kind::rolling
                                                             : model::window_kind::total;
        out.per.unit = w.unit;
        if (w.week_start) {
            if (w.unit != calendar_unit::week) {
                error(w.week_start_where, "'starting' applies to weeks only",
                      "write 'per week starting monday'");
            }
            out.per.week_start = *w.week_start;
        }
        if (w.zone) {
            model::expr zone = check_expr(*w.zone, zone_type);
            if (expect(zone, zone_type, "the window's time zone")) {
                expect_independent(zone, "the window's time zone");
            }
            out.per.zone = std::move(zone);
        }
        if (w.length) {
            model::expr length = check_expr(*w.length);
            if (expect(length, duration_type, "a rolling window's length") &&
                expect_independent(length, "a rolling window's length") &&
                length.kind == model::expr_kind::literal &&
                length.value.length <= duration::zero()) {
                error(length.where, "a rolling window must be longer than zero");
            }
            out.per.length = std::move(length);
        }
    }

    struct variable {
        std::string name;
        type element;
        bool over_charge;
        bool over_params;
    };

    std::string_view source_;
    const std::string& file_name_;
    std::vector<diagnostic>& diagnostics_;
    std::vector<model::parameter> parameters_;
    std::vector<variable> variables_;
    std::uint32_t max_slots_ = 0;
};

}  // namespace

check_result check(const ast::policy_file& file, std::string_view source) {
    check_result result;
    if (file.mandates.empty()) {
        result.diagnostics.push_back(grammar::make_diagnostic(
            source, file.file_name, ast::location{}, "the file holds no mandate",
            "declare one: mandate NAME(PARAMETERS) { CLAUSES }"));
        return result;
    }
    std::map<std::string, ast::location> names;
    for (const auto& decl : file.mandates) {
        const auto [previous, inserted] = names.emplace(decl.name, decl.where);
        if (!inserted) {
            result.diagnostics.push_back(grammar::make_diagnostic(
                source, file.file_name, decl.where,
                "mandate '" + decl.name + "' is declared twice",
                "the first is at line " + std::to_string(previous->second.line)));
            continue;
        }
        mandate_checker checker(source, file.file_name, result.diagnostics);
        result.mandates.push_back(checker.check(decl));
    }
    return result;
}

}  // namespace mandate::checker
