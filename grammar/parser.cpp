// Source text to parse tree: runs the PEGTL grammar with a parse-tree selector and
// converts the generic nodes into the typed tree of ast.hpp.

#include "grammar/parser.hpp"

#include <tao/pegtl/contrib/limit_depth.hpp>
#include <tao/pegtl/contrib/parse_tree.hpp>

#include <stdexcept>
#include <utility>

#include "grammar/grammar.hpp"

namespace mandate::grammar {

namespace {

namespace pt = tao::pegtl::parse_tree;

// Which rules become nodes. Operator chains fold away when they hold one operand.
template <typename Rule>
using selector = pt::selector<
    Rule,
    pt::store_content::on<identifier, mandate_name, field_name, reason_code, currency_code,
                          time_literal, duration_literal, number_literal, text_literal,
                          boolean_literal, list_literal, quantifier_kind, quantifier, sum_call,
                          count_call, number_or_money, op_multiply, op_add, op_subtract,
                          op_equal, op_not_equal, op_less_equal, op_greater_equal, op_less,
                          op_greater, op_in, op_not_in, amount_op, negated, logical_not,
                          seller_clause, domain_clause, currency_clause, amount_clause,
                          category_clause, country_clause, valid_clause, valid_from,
                          valid_until, budget_clause, limit_clause, require_clause,
                          decline_clause, refund_clause, calendar_unit_word, weekday, calendar_window,
                          rolling_window, total_window, window_zone, scalar_type, list_type,
                          parameter, default_value, mandate_decl>,
    pt::fold_one::on<postfix, multiplicative, additive, comparison, conjunction,
                     disjunction>>;

using node = pt::node;

// Policies are written by people: nothing legitimate nests this deep, and the
// limits keep the recursive stages after the parser far from the stack's end.
constexpr std::size_t max_rule_depth = 600;
constexpr std::size_t max_expression_depth = 200;

template <typename Rule>
struct depth_limited : pegtl::limit_depth<max_rule_depth> {};

ast::location location_of(const node& n) {
    ast::location where;
    const auto begin = n.begin();
    where.offset = static_cast<std::uint32_t>(begin.byte);
    where.line = static_cast<std::uint32_t>(begin.line);
    where.column = static_cast<std::uint32_t>(begin.column);
    if (n.has_content()) {
        const auto length = n.string_view().size();
        where.length = static_cast<std::uint32_t>(length == 0 ? 1 : length);
    }
    return where;
}

// Thrown inside the converter only, turned into a diagnostic by parse().
struct convert_error : std::runtime_error {
    ast::location where;
    convert_error(const ast::location& at, const std::string& message)
        : std::runtime_error(message), where(at) {}
};

std::string unescape_text(std::string_view quoted) {
    std::string value;
    value.reserve(quoted.size());
    // Drop the quotes; the grammar guarantees them.
    for (std::size_t i = 1; i + 1 < quoted.size(); ++i) {
        char c = quoted[i];
        if (c == '\\' && i + 2 < quoted.size()) {
            ++i;
            switch (quoted[i]) {
                case 'n': c = '\n'; break;
                case 't': c = '\t'; break;
                default: c = quoted[i]; break;
            }
        }
        value.push_back(c);
    }
    return value;
}

ast::binary_op operator_of(const node& n) {
    if (n.is_type<op_multiply>()) return ast::binary_op::multiply;
    if (n.is_type<op_add>()) return ast::binary_op::add;
    if (n.is_type<op_subtract>()) return ast::binary_op::subtract;
    if (n.is_type<op_equal>()) return ast::binary_op::equal;
    if (n.is_type<op_not_equal>()) return ast::binary_op::not_equal;
    if (n.is_type<op_less_equal>()) return ast::binary_op::less_equal;
    if (n.is_type<op_greater_equal>()) return ast::binary_op::greater_equal;
    if (n.is_type<op_less>()) return ast::binary_op::less;
    if (n.is_type<op_greater>()) return ast::binary_op::greater;
    if (n.is_type<op_in>()) return ast::binary_op::in;
    if (n.is_type<op_not_in>()) return ast::binary_op::not_in;
    throw convert_error(location_of(n), "internal: unknown operator " + std::string(n.type));
}

ast::expr convert_expr(const node& n, std::size_t depth);

void check_depth(const node& n, std::size_t depth) {
    if (depth > max_expression_depth) {
        throw convert_error(location_of(n), "this expression nests too deeply (more than " +
                                                std::to_string(max_expression_depth) +
                                                " levels)");
    }
}

// A left-associative chain: operand (op operand)*, or operands joined by one fixed op.
ast::expr convert_chain(const node& n, std::optional<ast::binary_op> fixed_op,
                        std::size_t depth) {
    const auto& kids = n.children;
    // Each operator adds a level to the left-deep tree.
    check_depth(n, depth + kids.size() / 2);
    ast::expr left = convert_expr(*kids.at(0), depth + kids.size() / 2);
    std::size_t i = 1;
    while (i < kids.size()) {
        ast::expr combined;
        combined.kind = ast::expr_kind::binary;
        combined.where = left.where;
        if (fixed_op) {
            combined.op = *fixed_op;
        } else {
            combined.op = operator_of(*kids.at(i));
            ++i;
        }
        ast::expr right = convert_expr(*kids.at(i), depth + 1);
        ++i;
        const auto end = right.where.offset + right.where.length;
        combined.where.length = end > left.where.offset ? end - left.where.offset : 1;
        combined.operands.push_back(std::move(left));
        combined.operands.push_back(std::move(right));
        left = std::move(combined);
    }
    return left;
}

ast::expr convert_expr(const node& n, std::size_t depth) {
    check_depth(n, depth);
    ++depth;
    ast::expr e;
    e.where = location_of(n);

    if (n.is_type<number_or_money>()) {
        const node& number = *n.children.at(0);
        e.text = number.string();
        const bool has_fraction = e.text.find('.') != std::string::npos;
        if (n.children.size() == 2) {
            e.kind = ast::expr_kind::money;
            e.currency = n.children[1]->string();
        } else {
            e.kind = has_fraction ? ast::expr_kind::decimal : ast::expr_kind::integer;
        }
        return e;
    }
    if (n.is_type<time_literal>()) {
        e.kind = ast::expr_kind::time;
        e.text = n.string();
        return e;
    }
    if (n.is_type<duration_literal>()) {
        e.kind = ast::expr_kind::duration;
        e.text = n.string();
        return e;
    }
    if (n.is_type<text_literal>()) {
        e.kind = ast::expr_kind::text;
        e.text = unescape_text(n.string_view());
        return e;
    }
    if (n.is_type<boolean_literal>()) {
        e.kind = ast::expr_kind::boolean;
        e.text = n.string();
        return e;
    }
    if (n.is_type<currency_code>()) {
        e.kind = ast::expr_kind::currency_code;
        e.text = n.string();
        return e;
    }
    if (n.is_type<identifier>()) {
        e.kind = ast::expr_kind::name;
        e.text = n.string();
        return e;
    }
    if (n.is_type<list_literal>()) {
        e.kind = ast::expr_kind::list;
        for (const auto& child : n.children) e.operands.push_back(convert_expr(*child, depth));
        return e;
    }
    if (n.is_type<postfix>()) {
        // primary followed by one or more field names
        ast::expr current = convert_expr(*n.children.at(0), depth + n.children.size());
        for (std::size_t i = 1; i < n.children.size(); ++i) {
            ast::expr access;
            access.kind = ast::expr_kind::field;
            // From the start of the base to the end of the field name, so that an
            // operator's location, taken from its left operand, starts where it does.
            const ast::location name = location_of(*n.children[i]);
            access.where = current.where;
            access.where.length = name.offset + name.length - current.where.offset;
            access.text = n.children[i]->string();
            access.operands.push_back(std::move(current));
            current = std::move(access);
        }
        return current;
    }
    if (n.is_type<negated>() || n.is_type<logical_not>()) {
        e.kind = n.is_type<negated>() ? ast::expr_kind::negate : ast::expr_kind::logical_not;
        // negated holds [op_subtract, operand]; logical_not holds [operand]
        e.operands.push_back(convert_expr(*n.children.back(), depth));
        return e;
    }
    if (n.is_type<multiplicative>() || n.is_type<additive>() || n.is_type<comparison>()) {
        return convert_chain(n, std::nullopt, depth);
    }
    if (n.is_type<conjunction>()) return convert_chain(n, ast::binary_op::logical_and, depth);
    if (n.is_type<disjunction>()) return convert_chain(n, ast::binary_op::logical_or, depth);
    if (n.is_type<quantifier>() || n.is_type<sum_call>()) {
        std::size_t i = 0;
        if (n.is_type<quantifier>()) {
            e.kind = n.children.at(0)->string() == "every" ? ast::expr_kind::every
                                                           : ast::expr_kind::some;
            ++i;
        } else {
            e.kind = ast::expr_kind::sum;
        }
        e.variable = n.children.at(i)->string();
        e.variable_where = location_of(*n.children.at(i));
        e.operands.push_back(convert_expr(*n.children.at(i + 1), depth));
        e.operands.push_back(convert_expr(*n.children.at(i + 2), depth));
        return e;
    }
    if (n.is_type<count_call>()) {
        e.kind = ast::expr_kind::count;
        e.operands.push_back(convert_expr(*n.children.at(0), depth));
        return e;
    }
    throw convert_error(e.where, "internal: unexpected node " + std::string(n.type));
}

ast::window convert_window(const node& n) {
    ast::window w;
    w.where = location_of(n);
    if (n.is_type<total_window>()) {
        w.kind = ast::window_kind::total;
        return w;
    }
    if (n.is_type<rolling_window>()) {
        w.kind = ast::window_kind::rolling;
        w.length = convert_expr(*n.children.at(0), 0);
        return w;
    }
    w.kind = ast::window_kind::calendar;
    for (const auto& child : n.children) {
        if (child->is_type<calendar_unit_word>()) {
            const auto word = child->string_view();
            w.unit = word == "day"     ? calendar_unit::day
                     : word == "week"  ? calendar_unit::week
                     : word == "month" ? calendar_unit::month
                                       : calendar_unit::year;
        } else if (child->is_type<weekday>()) {
            static constexpr std::string_view names[] = {"sunday",   "monday", "tuesday",
                                                         "wednesday", "thursday", "friday",
                                                         "saturday"};
            for (unsigned d = 0; d < 7; ++d) {
                if (child->string_view() == names[d]) w.week_start = date::weekday{d};
            }
            w.week_start_where = location_of(*child);
        } else if (child->is_type<window_zone>()) {
            w.zone = convert_expr(*child->children.at(0), 0);
        }
    }
    return w;
}

ast::clause convert_clause(const node& n) {
    ast::clause c;
    c.where = location_of(n);
    const auto& kids = n.children;

    if (n.is_type<seller_clause>()) c.kind = ast::clause_kind::seller;
    else if (n.is_type<domain_clause>()) c.kind = ast::clause_kind::domain;
    else if (n.is_type<currency_clause>()) c.kind = ast::clause_kind::currency;
    else if (n.is_type<category_clause>()) c.kind = ast::clause_kind::category;
    else if (n.is_type<country_clause>()) c.kind = ast::clause_kind::country;
    else if (n.is_type<amount_clause>()) c.kind = ast::clause_kind::amount;
    else if (n.is_type<valid_clause>()) c.kind = ast::clause_kind::valid;
    else if (n.is_type<budget_clause>()) c.kind = ast::clause_kind::budget;
    else if (n.is_type<limit_clause>()) c.kind = ast::clause_kind::limit;
    else if (n.is_type<require_clause>()) c.kind = ast::clause_kind::require;
    else if (n.is_type<decline_clause>()) c.kind = ast::clause_kind::decline_when;
    else throw convert_error(c.where, "internal: unexpected clause " + std::string(n.type));

    switch (c.kind) {
        case ast::clause_kind::amount:
            c.compare = operator_of(*kids.at(0)->children.at(0));
            c.value = convert_expr(*kids.at(1), 0);
            break;
        case ast::clause_kind::valid:
            for (const auto& child : kids) {
                if (child->is_type<valid_from>()) {
                    c.valid_from = convert_expr(*child->children.at(0), 0);
                } else {
                    c.valid_until = convert_expr(*child->children.at(0), 0);
                }
            }
            break;
        case ast::clause_kind::budget:
        case ast::clause_kind::limit:
            c.value = convert_expr(*kids.at(0), 0);
            c.per = convert_window(*kids.at(1));
            break;
        case ast::clause_kind::require:
            c.value = convert_expr(*kids.at(0), 0);
            if (kids.size() > 1) {
                c.reason_code = kids[1]->string();
                c.reason_where = location_of(*kids[1]);
            }
            break;
        case ast::clause_kind::decline_when:
            c.reason_code = kids.at(0)->string();
            c.reason_where = location_of(*kids.at(0));
            c.value = convert_expr(*kids.at(1), 0);
            break;
        default:
            c.value = convert_expr(*kids.at(0), 0);
            break;
    }
    return c;
}

ast::type_ref convert_type(const node& n) {
    ast::type_ref t;
    t.where = location_of(n);
    const node* scalar = &n;
    if (n.is_type<list_type>()) {
        t.is_list = true;
        scalar = n.children.at(0).get();
    }
    const auto word = scalar->string_view();
    t.type = word == "text"       ? param_type::text
             : word == "int"      ? param_type::integer
             : word == "money"    ? param_type::money
             : word == "time"     ? param_type::time
             : word == "duration" ? param_type::length
                                  : param_type::zone;
    return t;
}

ast::mandate_decl convert_mandate(const node& n) {
    ast::mandate_decl m;
    m.where = location_of(*n.children.at(0));
    m.name = n.children.at(0)->string();
    for (std::size_t i = 1; i < n.children.size(); ++i) {
        const node& child = *n.children[i];
        if (child.is_type<parameter>()) {
            ast::parameter p;
            p.name = child.children.at(0)->string();
            p.where = location_of(*child.children.at(0));
            p.type = convert_type(*child.children.at(1));
            if (child.children.size() > 2) {
                p.default_value = convert_expr(*child.children[2]->children.at(0), 0);
            }
            m.parameters.push_back(std::move(p));
        } else if (child.is_type<refund_clause>()) {
            m.refund_settings.push_back(location_of(child));
        } else {
            m.clauses.push_back(convert_clause(child));
        }
    }
    return m;
}

}  // namespace

diagnostic make_diagnostic(std::string_view source, const std::string& file_name,
                           const ast::location& where, std::string message, std::string help) {
    diagnostic d;
    d.file = file_name;
    d.line = where.line;
    d.column = where.column;
    d.message = std::move(message);
    d.help = std::move(help);

    // The source line holding the offset, without its line break.
    const std::size_t offset = std::min<std::size_t>(where.offset, source.size());
    std::size_t begin = source.rfind('\n', offset == 0 ? 0 : offset - 1);
    begin = (begin == std::string_view::npos || offset == 0) ? 0 : begin + 1;
    if (offset > 0 && source[offset - 1] == '\n') begin = offset;
    std::size_t end = source.find('\n', offset);
    if (end == std::string_view::npos) end = source.size();
    d.source_line = std::string(source.substr(begin, end - begin));
    if (!d.source_line.empty() && d.source_line.back() == '\r') d.source_line.pop_back();

    // Underline at most to the end of the line.
    const std::size_t column_index = offset - begin;
    const std::size_t room =
        d.source_line.size() > column_index ? d.source_line.size() - column_index : 1;
    d.length = static_cast<std::uint32_t>(
        std::max<std::size_t>(1, std::min<std::size_t>(where.length, room)));
    return d;
}

parse_result parse(std::string_view source, const std::string& file_name) {
    parse_result result;
    result.file.file_name = file_name;
    pegtl::memory_input input(source.data(), source.size(), file_name);
    try {
        auto root = pt::parse<policy_file, selector, depth_limited, control>(input);
        if (!root) {
            ast::location start;
            result.diagnostics.push_back(make_diagnostic(source, file_name, start,
                                                         "expected a mandate declaration"));
            return result;
        }
        for (const auto& child : root->children) {
            result.file.mandates.push_back(convert_mandate(*child));
        }
    } catch (const pegtl::parse_error& error) {
        ast::location where;
        if (!error.positions().empty()) {
            const auto& p = error.positions().front();
            where.offset = static_cast<std::uint32_t>(p.byte);
            where.line = static_cast<std::uint32_t>(p.line);
            where.column = static_cast<std::uint32_t>(p.column);
        }
        std::string message(error.message());
        if (message.find("nesting depth") != std::string::npos) {
            message = "the policy nests too deeply here";
        }
        result.diagnostics.push_back(make_diagnostic(source, file_name, where, std::move(message)));
    } catch (const convert_error& error) {
        result.diagnostics.push_back(make_diagnostic(source, file_name, error.where, error.what()));
    }
    return result;
}

}  // namespace mandate::grammar
