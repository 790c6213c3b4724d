// The mandate language's syntax: every form parses into the expected tree, and a
// syntax error is one diagnostic at the right place with a message that says what
// was expected.

#include <catch2/catch.hpp>

#include <string>
#include <string_view>

#include "grammar/parser.hpp"
#include "mandate/policy.hpp"

namespace {

using mandate::ast::binary_op;
using mandate::ast::clause_kind;
using mandate::ast::expr_kind;
using mandate::ast::window_kind;

mandate::grammar::parse_result parse(std::string_view source) {
    return mandate::grammar::parse(source, "test.mandate");
}

// Parses a source that must be valid and returns its only mandate.
mandate::ast::mandate_decl parse_one(std::string_view source) {
    auto result = parse(source);
    INFO(mandate::render(result.diagnostics));
    REQUIRE(result.ok());
    REQUIRE(result.file.mandates.size() == 1);
    return result.file.mandates.front();
}

// The single clause of `mandate m { CLAUSE }`.
mandate::ast::clause parse_clause(const std::string& clause) {
    const auto m = parse_one("mandate m {\n  " + clause + "\n}\n");
    REQUIRE(m.clauses.size() == 1);
    return m.clauses.front();
}

// The condition of `require EXPR`.
mandate::ast::expr parse_expr(const std::string& expression) {
    const auto c = parse_clause("require " + expression);
    REQUIRE(c.kind == clause_kind::require);
    REQUIRE(c.value.has_value());
    return *c.value;
}

// A source that must fail to parse: exactly one diagnostic.
mandate::diagnostic parse_error(std::string_view source) {
    auto result = parse(source);
    REQUIRE(result.diagnostics.size() == 1);
    return result.diagnostics.front();
}

}  // namespace

TEST_CASE("the office supplies example parses into its clauses", "[language]") {
    const auto m = parse_one(R"(# a comment before the mandate
mandate office_supplies(zone: zone = "America/New_York") {
  seller in ["acct_staples", "acct_officedepot"]   # trailing comment
  domain in ["staples.com", "*.officedepot.com"]
  currency USD
  amount <= 150.00 USD
  category in [5111, 5943]
  country in ["US", "CA"]
  valid from 2026-12-01T00:00:00Z until 2026-12-08T00:00:00Z
  budget 25.00 USD per week starting monday in zone
  budget 500.00 USD total
  limit 20 charges per day
  limit 5 charges per rolling 1h
  require every item in charge.items: item.category in ["paper", "toner"]
    else decline item_not_allowed
  decline sanctioned_country when charge.seller.country in ["KP", "IR"]
}
)");
    CHECK(m.name == "office_supplies");
    CHECK(m.where.line == 2);
    CHECK(m.where.column == 9);
    REQUIRE(m.parameters.size() == 1);
    CHECK(m.parameters[0].name == "zone");
    CHECK(m.parameters[0].type.type == mandate::param_type::zone);
    REQUIRE(m.parameters[0].default_value.has_value());
    CHECK(m.parameters[0].default_value->kind == expr_kind::text);
    CHECK(m.parameters[0].default_value->text == "America/New_York");

    REQUIRE(m.clauses.size() == 13);
    const clause_kind kinds[] = {
        clause_kind::seller,  clause_kind::domain,  clause_kind::currency, clause_kind::amount,
        clause_kind::category, clause_kind::country, clause_kind::valid,  clause_kind::budget,
        clause_kind::budget,  clause_kind::limit,   clause_kind::limit,   clause_kind::require,
        clause_kind::decline_when};
    for (std::size_t i = 0; i < m.clauses.size(); ++i) {
        INFO("clause " << i);
        CHECK(m.clauses[i].kind == kinds[i]);
        // The require clause spans two lines, so the last clause is on line 16.
        CHECK(m.clauses[i].where.line == (i < 12 ? i + 3 : 16));
        CHECK(m.clauses[i].where.column == 3);
    }
    CHECK(m.clauses[11].reason_code == "item_not_allowed");
    CHECK(m.clauses[12].reason_code == "sanctioned_country");
}

TEST_CASE("parameters of every type, with and without defaults", "[language]") {
    const auto m = parse_one(
        "mandate m(a: text, b: int = 3, c: money = 1.50 USD, d: time = 2026-01-01T00:00:00Z,\n"
        "          e: duration = 1h30m, f: zone = \"UTC\", g: list<text> = [\"x\", \"y\"],\n"
        "          h: list < int >) {}");
    REQUIRE(m.parameters.size() == 8);
    CHECK(m.parameters[0].type.type == mandate::param_type::text);
    CHECK_FALSE(m.parameters[0].default_value.has_value());
    CHECK(m.parameters[1].type.type == mandate::param_type::integer);
    CHECK(m.parameters[1].default_value->kind == expr_kind::integer);
    CHECK(m.parameters[2].type.type == mandate::param_type::money);
    CHECK(m.parameters[2].default_value->kind == expr_kind::money);
    CHECK(m.parameters[2].default_value->text == "1.50");
    CHECK(m.parameters[2].default_value->currency == "USD");
    CHECK(m.parameters[3].type.type == mandate::param_type::time);
    CHECK(m.parameters[3].default_value->kind == expr_kind::time);
    CHECK(m.parameters[4].type.type == mandate::param_type::length);
    CHECK(m.parameters[4].default_value->kind == expr_kind::duration);
    CHECK(m.parameters[4].default_value->text == "1h30m");
    CHECK(m.parameters[5].type.type == mandate::param_type::zone);
    CHECK(m.parameters[6].type.is_list);
    CHECK(m.parameters[6].type.type == mandate::param_type::text);
    CHECK(m.parameters[6].default_value->kind == expr_kind::list);
    CHECK(m.parameters[6].default_value->operands.size() == 2);
    CHECK(m.parameters[7].type.is_list);
    CHECK(m.parameters[7].type.type == mandate::param_type::integer);
    CHECK(m.parameters[7].where.line == 3);
}

TEST_CASE("a file holds several mandates, or none", "[language]") {
    auto result = parse("mandate a {}\n# between\nmandate b() { currency USD }\n");
    REQUIRE(result.ok());
    REQUIRE(result.file.mandates.size() == 2);
    CHECK(result.file.mandates[0].name == "a");
    CHECK(result.file.mandates[0].clauses.empty());
    CHECK(result.file.mandates[1].name == "b");
    CHECK(result.file.mandates[1].where.line == 3);
    CHECK(result.file.mandates[1].clauses.size() == 1);

    auto empty = parse("  # only a comment\n");
    CHECK(empty.ok());
    CHECK(empty.file.mandates.empty());
}

TEST_CASE("list clauses take a list literal or a name", "[language]") {
    const auto seller = parse_clause("seller in [\"a\", \"b\",]");
    CHECK(seller.kind == clause_kind::seller);
    REQUIRE(seller.value->kind == expr_kind::list);
    CHECK(seller.value->operands.size() == 2);
    CHECK(seller.value->operands[1].text == "b");

    const auto domain = parse_clause("domain in allowed_domains");
    CHECK(domain.kind == clause_kind::domain);
    CHECK(domain.value->kind == expr_kind::name);
    CHECK(domain.value->text == "allowed_domains");

    const auto category = parse_clause("category in [5111, 5943]");
    CHECK(category.kind == clause_kind::category);
    REQUIRE(category.value->operands.size() == 2);
    CHECK(category.value->operands[0].kind == expr_kind::integer);
    CHECK(category.value->operands[0].text == "5111");

    const auto country = parse_clause("country in []");
    CHECK(country.kind == clause_kind::country);
    CHECK(country.value->kind == expr_kind::list);
    CHECK(country.value->operands.empty());
}

TEST_CASE("currency takes one code or a list of codes", "[language]") {
    const auto one = parse_clause("currency USD");
    CHECK(one.kind == clause_kind::currency);
    CHECK(one.value->kind == expr_kind::currency_code);
    CHECK(one.value->text == "USD");

    const auto many = parse_clause("currency in [USD, EUR, USDC]");
    REQUIRE(many.value->kind == expr_kind::list);
    REQUIRE(many.value->operands.size() == 3);
    CHECK(many.value->operands[2].kind == expr_kind::currency_code);
    CHECK(many.value->operands[2].text == "USDC");
}

TEST_CASE("amount clauses take all four comparisons", "[language]") {
    const std::pair<std::string, binary_op> forms[] = {{"<=", binary_op::less_equal},
                                                       {"<", binary_op::less},
                                                       {">=", binary_op::greater_equal},
                                                       {">", binary_op::greater}};
    for (const auto& [op, expected] : forms) {
        INFO(op);
        const auto c = parse_clause("amount " + op + " 12.50 USD");
        CHECK(c.kind == clause_kind::amount);
        CHECK(c.compare == expected);
        CHECK(c.value->kind == expr_kind::money);
        CHECK(c.value->text == "12.50");
        CHECK(c.value->currency == "USD");
    }
}

TEST_CASE("valid takes from, until or both", "[language]") {
    const auto both = parse_clause("valid from 2026-12-01T00:00:00Z until 2026-12-08T00:00:00Z");
    CHECK(both.kind == clause_kind::valid);
    REQUIRE(both.valid_from.has_value());
    REQUIRE(both.valid_until.has_value());
    CHECK(both.valid_from->kind == expr_kind::time);
    CHECK(both.valid_from->text == "2026-12-01T00:00:00Z");
    CHECK(both.valid_until->text == "2026-12-08T00:00:00Z");

    const auto from = parse_clause("valid from start");
    CHECK(from.valid_from.has_value());
    CHECK_FALSE(from.valid_until.has_value());

    const auto until = parse_clause("valid until 2026-12-08T09:30:00.5+05:30");
    CHECK_FALSE(until.valid_from.has_value());
    REQUIRE(until.valid_until.has_value());
    CHECK(until.valid_until->text == "2026-12-08T09:30:00.5+05:30");
}

TEST_CASE("budget and limit windows", "[language]") {
    const auto day = parse_clause("budget 25.00 USD per day");
    CHECK(day.kind == clause_kind::budget);
    CHECK(day.per.kind == window_kind::calendar);
    CHECK(day.per.unit == mandate::calendar_unit::day);
    CHECK_FALSE(day.per.zone.has_value());
    CHECK_FALSE(day.per.week_start.has_value());

    const auto week =
        parse_clause("budget 25.00 USD per week starting sunday in \"Europe/Berlin\"");
    CHECK(week.per.unit == mandate::calendar_unit::week);
    REQUIRE(week.per.week_start.has_value());
    CHECK(*week.per.week_start == date::Sunday);
    REQUIRE(week.per.zone.has_value());
    CHECK(week.per.zone->text == "Europe/Berlin");

    CHECK(parse_clause("budget 1 USD per month").per.unit == mandate::calendar_unit::month);
    CHECK(parse_clause("budget 1 USD per year in tz").per.unit == mandate::calendar_unit::year);
    CHECK(parse_clause("budget 1 USD per year in tz").per.zone->kind == expr_kind::name);

    const auto rolling = parse_clause("budget 100 JPY per rolling 7d");
    CHECK(rolling.per.kind == window_kind::rolling);
    REQUIRE(rolling.per.length.has_value());
    CHECK(rolling.per.length->kind == expr_kind::duration);
    CHECK(rolling.per.length->text == "7d");

    const auto total = parse_clause("budget 500.00 USD total");
    CHECK(total.per.kind == window_kind::total);
    CHECK(total.value->kind == expr_kind::money);

    const auto limit = parse_clause("limit 5 charges per rolling 15m");
    CHECK(limit.kind == clause_kind::limit);
    CHECK(limit.value->kind == expr_kind::integer);
    CHECK(limit.value->text == "5");
    CHECK(limit.per.kind == window_kind::rolling);

    const auto limit_total = parse_clause("limit 3 charges total");
    CHECK(limit_total.per.kind == window_kind::total);
}

TEST_CASE("require and decline clauses", "[language]") {
    const auto plain = parse_clause("require charge.amount >= 1.00 USD");
    CHECK(plain.kind == clause_kind::require);
    CHECK(plain.reason_code.empty());

    const auto coded = parse_clause("require charge.id != \"\" else decline no_id");
    CHECK(coded.reason_code == "no_id");
    CHECK(coded.reason_where.column == 40);

    const auto decline = parse_clause("decline too_late when charge.at >= 2027-01-01T00:00:00Z");
    CHECK(decline.kind == clause_kind::decline_when);
    CHECK(decline.reason_code == "too_late");
    CHECK(decline.value->kind == expr_kind::binary);
    CHECK(decline.value->op == binary_op::greater_equal);
}

TEST_CASE("expression literals", "[language]") {
    CHECK(parse_expr("x == 12.50 USD").operands[1].kind == expr_kind::money);
    CHECK(parse_expr("x == 20").operands[1].kind == expr_kind::integer);
    CHECK(parse_expr("x == 1.5").operands[1].kind == expr_kind::decimal);
    CHECK(parse_expr("x == 2026-12-01T00:00:00Z").operands[1].kind == expr_kind::time);
    CHECK(parse_expr("x == true").operands[1].kind == expr_kind::boolean);
    CHECK(parse_expr("x == false").operands[1].text == "false");
    CHECK(parse_expr("x == EUR").operands[1].kind == expr_kind::currency_code);
    for (const char* length : {"30s", "15m", "1h", "7d", "2w", "250ms", "1h30m"}) {
        INFO(length);
        const auto e = parse_expr(std::string("x == ") + length);
        CHECK(e.operands[1].kind == expr_kind::duration);
        CHECK(e.operands[1].text == length);
    }

    const auto text = parse_expr(R"(x == "a \"q\" \\ b\n")");
    CHECK(text.operands[1].kind == expr_kind::text);
    CHECK(text.operands[1].text == "a \"q\" \\ b\n");

    const auto list = parse_expr("x in [1, 2, 3]");
    CHECK(list.op == binary_op::in);
    CHECK(list.operands[1].operands.size() == 3);
}

TEST_CASE("field access chains", "[language]") {
    const auto e = parse_expr("charge.seller.country == \"US\"");
    const auto& field = e.operands[0];
    CHECK(field.kind == expr_kind::field);
    CHECK(field.text == "country");
    REQUIRE(field.operands.size() == 1);
    CHECK(field.operands[0].kind == expr_kind::field);
    CHECK(field.operands[0].text == "seller");
    CHECK(field.operands[0].operands[0].kind == expr_kind::name);
    CHECK(field.operands[0].operands[0].text == "charge");
    // A field access covers its base: "charge.seller.country" from column 11.
    CHECK(field.where.column == 11);
    CHECK(field.where.length == std::string_view("charge.seller.country").size());
}

TEST_CASE("operator precedence: * over + - over comparisons over not, and, or", "[language]") {
    // a or b and not c  ==  a or (b and (not c))
    const auto logic = parse_expr("a or b and not c");
    REQUIRE(logic.kind == expr_kind::binary);
    CHECK(logic.op == binary_op::logical_or);
    CHECK(logic.operands[0].text == "a");
    const auto& conjunction = logic.operands[1];
    CHECK(conjunction.op == binary_op::logical_and);
    CHECK(conjunction.operands[1].kind == expr_kind::logical_not);
    CHECK(conjunction.operands[1].operands[0].text == "c");

    // a + b * 2 < c - d  ==  (a + (b * 2)) < (c - d)
    const auto arithmetic = parse_expr("a + b * 2 < c - d");
    CHECK(arithmetic.op == binary_op::less);
    CHECK(arithmetic.operands[0].op == binary_op::add);
    CHECK(arithmetic.operands[0].operands[1].op == binary_op::multiply);
    CHECK(arithmetic.operands[1].op == binary_op::subtract);

    // left associative: a - b - c  ==  (a - b) - c
    const auto chain = parse_expr("a - b - c == d");
    CHECK(chain.operands[0].op == binary_op::subtract);
    CHECK(chain.operands[0].operands[0].op == binary_op::subtract);
    CHECK(chain.operands[0].operands[1].text == "c");

    // 'or' at the top of a clause's expression keeps both operands.
    const auto either = parse_expr("a or b");
    CHECK(either.op == binary_op::logical_or);
    CHECK(either.operands[1].text == "b");
    CHECK(parse_clause("require a or b").reason_code.empty());

    const auto grouped = parse_expr("(a or b) and c");
    CHECK(grouped.op == binary_op::logical_and);
    CHECK(grouped.operands[0].op == binary_op::logical_or);

    const auto negative = parse_expr("-a == b");
    CHECK(negative.operands[0].kind == expr_kind::negate);
}

TEST_CASE("every comparison operator", "[language]") {
    const std::pair<std::string, binary_op> forms[] = {
        {"==", binary_op::equal},        {"!=", binary_op::not_equal},
        {"<", binary_op::less},          {"<=", binary_op::less_equal},
        {">", binary_op::greater},       {">=", binary_op::greater_equal},
        {"in", binary_op::in},           {"not in", binary_op::not_in},
        {"not   in", binary_op::not_in}};
    for (const auto& [op, expected] : forms) {
        INFO(op);
        const auto e = parse_expr("a " + op + " b");
        CHECK(e.kind == expr_kind::binary);
        CHECK(e.op == expected);
        CHECK(e.operands[0].text == "a");
        CHECK(e.operands[1].text == "b");
    }
    // "index" is a name, not "in" followed by "dex".
    const auto name = parse_expr("index == 1");
    CHECK(name.operands[0].kind == expr_kind::name);
    CHECK(name.operands[0].text == "index");
}

TEST_CASE("quantifiers, sum and count", "[language]") {
    const auto every = parse_expr("every item in charge.items: item.quantity <= 10");
    CHECK(every.kind == expr_kind::every);
    CHECK(every.variable == "item");
    REQUIRE(every.operands.size() == 2);
    CHECK(every.operands[0].kind == expr_kind::field);
    CHECK(every.operands[1].op == binary_op::less_equal);

    const auto some = parse_expr("some x in [\"a\", \"b\"]: x == charge.id");
    CHECK(some.kind == expr_kind::some);
    CHECK(some.variable == "x");
    CHECK(some.operands[0].kind == expr_kind::list);

    const auto sum = parse_expr(
        "sum(item in charge.items: item.unit_price * item.quantity) <= charge.amount");
    CHECK(sum.op == binary_op::less_equal);
    CHECK(sum.operands[0].kind == expr_kind::sum);
    CHECK(sum.operands[0].variable == "item");
    CHECK(sum.operands[0].operands[1].op == binary_op::multiply);

    const auto count = parse_expr("count(charge.items) > 0");
    CHECK(count.operands[0].kind == expr_kind::count);
    CHECK(count.operands[0].operands[0].kind == expr_kind::field);
}

TEST_CASE("expression positions point at the source", "[language]") {
    // "require " puts the expression at column 11 of line 2 ("mandate m {\n  require ").
    const auto e = parse_expr("charge.amount <= 10.00 USD");
    CHECK(e.where.line == 2);
    CHECK(e.where.column == 11);
    CHECK(e.where.length == std::string_view("charge.amount <= 10.00 USD").size());
    CHECK(e.operands[1].where.column == 28);
}

TEST_CASE("syntax errors are one diagnostic at the mistake", "[language]") {
    struct expected_error {
        const char* source;
        std::uint32_t line;
        std::uint32_t column;
        const char* message_part;
    };
    const expected_error cases[] = {
        // a misspelt clause keyword
        {"mandate m {\n  sellr in [\"a\"]\n}\n", 2, 3, "expected a clause"},
        // missing '{'
        {"mandate m\n  currency USD\n}\n", 2, 3, "expected '{'"},
        // missing mandate name
        {"mandate {\n}\n", 1, 9, "expected a mandate name"},
        // something that is not a mandate at top level
        {"currency USD\n", 1, 1, "expected a mandate declaration"},
        // unterminated list
        {"mandate m {\n  seller in [\"a\", \"b\"\n}\n", 3, 1, "expected ',' or ']'"},
        // unterminated text
        {"mandate m {\n  seller in [\"abc]\n}\n", 2, 19, "unterminated text"},
        // missing 'in'
        {"mandate m {\n  seller [\"a\"]\n}\n", 2, 10, "expected 'in'"},
        // amount without comparison
        {"mandate m {\n  amount 10.00 USD\n}\n", 2, 10, "amount <= CAP"},
        // budget without window
        {"mandate m {\n  budget 10.00 USD\n}\n", 3, 1, "expected a window"},
        // per with nonsense
        {"mandate m {\n  budget 10.00 USD per fortnight\n}\n", 2, 24, "after 'per'"},
        // limit without 'charges'
        {"mandate m {\n  limit 5 per day\n}\n", 2, 11, "expected 'charges'"},
        // starting without a weekday
        {"mandate m {\n  budget 1 USD per week starting someday\n}\n", 2, 34, "weekday"},
        // require ... else without decline
        {"mandate m {\n  require true else reject\n}\n", 2, 21, "expected 'decline'"},
        // decline without when
        {"mandate m {\n  decline nope if true\n}\n", 2, 16, "expected 'when'"},
        // a dangling operator
        {"mandate m {\n  require charge.amount <=\n}\n", 3, 1, "expected an operand"},
        // an unknown parameter type
        {"mandate m(a: float) {}\n", 1, 14, "expected a type"},
        // parameter without ':'
        {"mandate m(a text) {}\n", 1, 13, "expected ':'"},
        // list type without closing '>'
        {"mandate m(a: list<text) {}\n", 1, 23, "expected '>'"},
        // a missing ')' in the parameter list
        {"mandate m(a: text {}\n", 1, 19, "expected ')'"},
        // field access without a name
        {"mandate m {\n  require charge. == 1\n}\n", 2, 18, "expected a field name"},
        // a quantifier without ':'
        {"mandate m {\n  require every x in charge.items x\n}\n", 2, 35, "expected ':'"},
        // a reserved word as a parameter name
        {"mandate m(in: text) {}\n", 1, 11, "expected a parameter"},
        // a missing closing brace
        {"mandate m {\n  currency USD\n", 3, 1, "expected a clause"},
    };
    for (const auto& c : cases) {
        INFO(c.source);
        const auto d = parse_error(c.source);
        CHECK(d.file == "test.mandate");
        CHECK(d.line == c.line);
        CHECK(d.column == c.column);
        CHECK_THAT(d.message, Catch::Contains(c.message_part));
        CHECK(d.level == mandate::severity::error);
    }
}

TEST_CASE("a syntax error's diagnostic holds its source line", "[language]") {
    const auto d = parse_error("mandate m {\n  currency USD\n  amount 10.00 USD\n}\n");
    CHECK(d.line == 3);
    CHECK(d.column == 10);
    CHECK(d.source_line == "  amount 10.00 USD");
}

TEST_CASE("compile reports a syntax error once, rendered with a caret", "[language]") {
    const auto result = mandate::compile("mandate m {\n  limit 5 per day\n}\n", "office.mandate");
    REQUIRE_FALSE(result.ok());
    REQUIRE(result.diagnostics.size() == 1);
    const std::string text = mandate::render(result.diagnostics);
    CHECK(text ==
          "office.mandate:2:11: error: expected 'charges': limit N charges per ...\n"
          "  2 |   limit 5 per day\n"
          "    |           ^\n");
}

TEST_CASE("render underlines the length and adds help", "[language]") {
    mandate::diagnostic d;
    d.file = "p.mandate";
    d.line = 12;
    d.column = 5;
    d.length = 3;
    d.message = "unknown currency 'USX'";
    d.help = "use an ISO 4217 code";
    d.source_line = "\tab USX";
    CHECK(d.render() ==
          "p.mandate:12:5: error: unknown currency 'USX'\n"
          "  12 | \tab USX\n"
          "     | \t   ^~~\n"
          "     = help: use an ISO 4217 code\n");
}

TEST_CASE("parsing never throws on odd input", "[language]") {
    const char* inputs[] = {"", "mandate", "mandate m(", "mandate m {", "mandate m { require (",
                            "mandate m { require [[[[", "\xff\xfe", "mandate m { seller in \"",
                            "mandate m { require -", "}}}}"};
    for (const char* input : inputs) {
        INFO(input);
        const auto result = parse(input);
        if (std::string_view(input).empty()) {
            CHECK(result.ok());
        } else {
            CHECK(result.diagnostics.size() == 1);
        }
    }
}
