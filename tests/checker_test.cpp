// The checker: each mistake in a well-formed policy is exactly one diagnostic at the
// place it was written, with the source line for the caret.

#include <catch2/catch.hpp>

#include <string>
#include <string_view>

#include "mandate/policy.hpp"
#include "tests/support.hpp"

namespace {

// Compiles `body` as the clauses of `mandate m(PARAMETERS) { ... }`, one clause per
// line starting on line 2, column 3.
std::string wrap(const std::string& parameters, const std::string& body) {
    return "mandate m(" + parameters + ") {\n  " + body + "\n}\n";
}

struct expected {
    std::uint32_t line;
    std::uint32_t column;
    const char* message_part;
};

// Compiles a source that must fail with exactly one diagnostic and checks it.
mandate::diagnostic check_one(const std::string& source, const expected& want) {
    const auto result = mandate::compile(source, "check.mandate");
    INFO(source);
    INFO(mandate::render(result.diagnostics));
    CHECK_FALSE(result.ok());
    REQUIRE(result.diagnostics.size() == 1);
    const mandate::diagnostic& d = result.diagnostics.front();
    CHECK(d.level == mandate::severity::error);
    CHECK(d.file == "check.mandate");
    CHECK(d.line == want.line);
    CHECK(d.column == want.column);
    CHECK_THAT(d.message, Catch::Contains(want.message_part));
    // The source line is the one the position is on.
    std::size_t begin = 0;
    for (std::uint32_t line = 1; line < want.line; ++line) begin = source.find('\n', begin) + 1;
    CHECK(d.source_line == source.substr(begin, source.find('\n', begin) - begin));
    return d;
}

void check_ok(const std::string& source) {
    const auto result = mandate::compile(source, "check.mandate");
    INFO(source);
    INFO(mandate::render(result.diagnostics));
    CHECK(result.ok());
    CHECK(result.diagnostics.empty());
}

}  // namespace

TEST_CASE("the example policy checks cleanly", "[checker]") {
    check_ok(mandate::testing::office_example);
}

TEST_CASE("money of two currencies cannot be compared or combined", "[checker]") {
    const auto d = check_one(wrap("", "require 10.00 USD < 12.00 EUR"), {2, 11, "USD"});
    CHECK_THAT(d.message, Catch::Contains("EUR"));
    CHECK(d.length == std::string_view("10.00 USD < 12.00 EUR").size());
    check_one(wrap("", "require 10.00 USD == 12.00 EUR"), {2, 11, "cannot combine USD with EUR"});
    check_one(wrap("", "require charge.amount <= 1.00 USD + 2.00 EUR"),
              {2, 28, "cannot combine USD with EUR"});
    check_one(wrap("", "require charge.amount in [1.00 USD, 2.00 EUR]"),
              {2, 39, "mixes currencies"});
    check_one(wrap("", "require 1.00 EUR in [1.00 USD, 2.00 USD]"),
              {2, 11, "cannot combine EUR with USD"});
    check_one(wrap("", "require 1.00 EUR not in [1.00 USD]"),
              {2, 11, "cannot combine EUR with USD"});
    // The same currency is fine.
    check_ok(wrap("", "require charge.amount <= 1.00 USD + 2.00 USD"));
    check_ok(wrap("", "require 1.00 USD in [1.00 USD, 2.00 USD]"));
}

TEST_CASE("a money literal has at most its currency's decimals", "[checker]") {
    const auto usd = check_one(wrap("", "amount <= 25.001 USD"), {2, 13, "more decimals"});
    CHECK(usd.length == std::string_view("25.001 USD").size());
    const auto jpy = check_one(wrap("", "amount <= 1.5 JPY"), {2, 13, "more decimals"});
    CHECK_THAT(jpy.help, Catch::Contains("whole number"));
    check_one(wrap("", "amount <= 1.2345 BHD"), {2, 13, "more decimals"});
    check_one(wrap("cap: money = 0.0000001 USDC", ""), {1, 24, "more decimals"});
    check_ok(wrap("", "amount <= 1.234 BHD"));
    check_ok(wrap("", "amount <= 1500 JPY"));
    check_ok(wrap("", "amount <= 0.000001 USDC"));
    check_ok(wrap("", "amount <= 25.5 USD"));
}

TEST_CASE("unknown currencies", "[checker]") {
    check_one(wrap("", "amount <= 10.00 USX"), {2, 13, "unknown currency 'USX'"});
    check_one(wrap("", "currency USX"), {2, 12, "unknown currency 'USX'"});
    check_one(wrap("", "currency in [USD, XXQ]"), {2, 21, "unknown currency 'XXQ'"});
    check_one(wrap("", "budget 5 ABC per day"), {2, 10, "unknown currency 'ABC'"});
}

TEST_CASE("unknown time zones", "[checker]") {
    check_one(wrap("", "budget 5.00 USD per day in \"Mars/Olympus\""),
              {2, 30, "unknown time zone 'Mars/Olympus'"});
    check_one(wrap("z: zone = \"America/Nowhere\"", "budget 5.00 USD per day in z"),
              {1, 21, "unknown time zone"});
    check_one(wrap("zs: list<zone> = [\"UTC\", \"Bogus/Zone\"]", ""), {1, 36, "unknown time zone"});
    check_ok(wrap("", "budget 5.00 USD per week in \"Europe/Berlin\""));
}

TEST_CASE("unknown names and fields", "[checker]") {
    const auto name = check_one(wrap("cap: money", "amount <= cpa"), {2, 13, "unknown name 'cpa'"});
    CHECK_THAT(name.help, Catch::Contains("cap"));
    const auto field = check_one(wrap("", "require charge.sellr.id == \"x\""),
                                 {2, 11, "unknown field 'sellr' of charge"});
    CHECK_THAT(field.help, Catch::Contains("seller"));
    check_one(wrap("", "require charge.seller.name == \"x\""), {2, 11, "unknown field 'name'"});
    check_one(wrap("", "require every i in charge.items: i.price > 0.00 USD"),
              {2, 36, "unknown field 'price' of item"});
    check_one(wrap("", "require charge.amount.units > 0"), {2, 11, "money has no fields"});
    // A quantifier's variable is not visible outside its body.
    check_one(wrap("", "require (some i in charge.items: i.quantity > 1) and i.quantity > 2"),
              {2, 56, "unknown name 'i'"});
}

TEST_CASE("parameters of the wrong type, in defaults and in use", "[checker]") {
    check_one(wrap("cap: money = 10", ""), {1, 24, "the default of 'cap' must be money, not int"});
    check_one(wrap("n: int = \"five\"", ""), {1, 20, "must be int, not text"});
    check_one(wrap("when: time = 1h", ""), {1, 24, "must be time, not duration"});
    check_one(wrap("sellers: list<text> = [1, 2]", ""), {1, 33, "must be list<text>"});
    check_one(wrap("cap: int", "amount <= cap"), {2, 13, "must be money, not int"});
    check_one(wrap("sellers: text", "seller in sellers"), {2, 13, "must be list<text>"});
    check_one(wrap("n: money", "limit n charges per day"), {2, 9, "must be int, not money"});
    check_one(wrap("length: int", "limit 2 charges per rolling length"),
              {2, 31, "must be duration, not int"});
    check_one(wrap("z: text", "budget 1.00 USD per day in z"), {2, 30, "must be zone, not text"});
    check_one(wrap("start: duration", "valid from start"), {2, 14, "must be time, not duration"});
    check_one(wrap("n: int", "require n == \"3\""), {2, 11, "cannot compare int with text"});
    check_ok(wrap("cap: money = 10.00 USD, n: int = 3, start: time = 2026-01-01T00:00:00Z",
                  "amount <= cap\n  limit n charges per day\n  valid from start"));
}

TEST_CASE("domain patterns are lower-case ASCII", "[checker]") {
    const auto upper = check_one(wrap("", "domain in [\"Staples.com\"]"), {2, 14, "lower case"});
    CHECK_THAT(upper.message, Catch::Contains("Staples.com"));
    check_one(wrap("", "domain in [\"ok.com\", \"bücher.de\"]"), {2, 24, "punycode"});
    check_one(wrap("", "domain in [\"a.*.com\"]"), {2, 14, "'*' may only stand first"});
    check_one(wrap("", "domain in [\"shop.com.\"]"), {2, 14, "must not end with '.'"});
    check_one(wrap("", "domain in [\"\"]"), {2, 14, "must not be empty"});
    check_ok(wrap("", "domain in [\"xn--bcher-kva.de\", \"*.example.com\", \"a-b.c0m\"]"));
}

TEST_CASE("windows that can never be satisfied", "[checker]") {
    check_one(wrap("", "valid from 2026-12-08T00:00:00Z until 2026-12-01T00:00:00Z"),
              {2, 41, "validity window is empty"});
    check_one(wrap("", "valid from 2026-12-01T00:00:00Z until 2026-12-01T00:00:00Z"),
              {2, 41, "validity window is empty"});
    check_one(wrap("", "budget 0.00 USD per day"), {2, 10, "the budget must be more than zero"});
    check_one(wrap("", "budget 0 JPY total"), {2, 10, "the budget must be more than zero"});
    check_one(wrap("", "limit 0 charges per week"),
              {2, 9, "the number of charges must be more than zero"});
    check_one(wrap("", "limit 3 charges per rolling 0s"),
              {2, 31, "a rolling window must be longer than zero"});
    check_one(wrap("", "budget 1.00 USD per rolling 0ms"),
              {2, 31, "a rolling window must be longer than zero"});
    check_one(wrap("", "budget 1.00 USD per day starting monday"),
              {2, 36, "'starting' applies to weeks only"});
    check_one(wrap("", "limit 3 charges per month starting sunday"),
              {2, 38, "'starting' applies to weeks only"});
    check_ok(wrap("", "budget 1.00 USD per week starting sunday\n"
                      "  limit 1 charges per rolling 1us"));
}

TEST_CASE("a mandate name is declared once per file", "[checker]") {
    const auto d = check_one("mandate a {}\nmandate b {}\nmandate a {\n  currency USD\n}\n",
                             {3, 9, "mandate 'a' is declared twice"});
    CHECK_THAT(d.help, Catch::Contains("line 1"));
}

TEST_CASE("a decimal needs a currency", "[checker]") {
    const auto d =
        check_one(wrap("", "amount <= 12.50"), {2, 13, "a decimal number needs a currency"});
    CHECK_THAT(d.help, Catch::Contains("12.50 USD"));
    check_one(wrap("", "require charge.amount > 1.5"), {2, 27, "needs a currency"});
}

TEST_CASE("caps, budgets, windows and lists must not depend on the charge", "[checker]") {
    check_one(wrap("", "amount <= charge.amount"), {2, 13, "must not depend on the charge"});
    check_one(wrap("", "budget charge.amount per day"), {2, 10, "must not depend on the charge"});
    check_one(wrap("", "limit charge.seller.category charges per day"),
              {2, 9, "must not depend on the charge"});
    check_one(wrap("", "valid until charge.at + 1h"), {2, 15, "must not depend on the charge"});
    check_one(wrap("", "limit 2 charges per rolling charge.at - charge.at"),
              {2, 31, "must not depend on the charge"});
    check_one(wrap("", "seller in [charge.id]"), {2, 13, "must not depend on the charge"});
    check_one(wrap("", "require charge.id in [charge.resource]"),
              {2, 24, "must not depend on the charge"});
}

TEST_CASE("other type errors are one diagnostic each", "[checker]") {
    check_one(wrap("", "require charge.amount"), {2, 11, "the condition must be bool, not money"});
    check_one(wrap("", "require 1 + \"a\" == 2"), {2, 11, "cannot apply '+' to int and text"});
    check_one(wrap("", "require charge.at * 2 == charge.at"), {2, 11, "cannot multiply time"});
    check_one(wrap("", "require count(charge.amount) > 0"), {2, 17, "count() takes a list"});
    check_one(wrap("", "require sum(i in charge.items: i.sku) > 0"),
              {2, 34, "sum() adds int or money"});
    check_one(wrap("", "require every i in charge.amount: true"),
              {2, 22, "expected a list to iterate over"});
    check_one(wrap("", "category in [5111, 10000]"), {2, 22, "0 to 9999"});
    check_one(wrap("", "country in [\"us\"]"), {2, 15, "is not a country code"});
    check_one(wrap("a: text, a: int", ""), {1, 20, "parameter 'a' is declared twice"});
}

TEST_CASE("one mistake gives one diagnostic, independent mistakes one each", "[checker]") {
    // The unknown name poisons the comparison and the 'and': still one message.
    const auto one = mandate::compile(wrap("", "require nope > 1 and nope < 3 or true"),
                                      "check.mandate");
    // Two unrelated mistakes are two messages, in source order.
    const auto two = mandate::compile(
        wrap("", "amount <= 1.001 USD\n  budget 0.00 USD per day"), "check.mandate");
    REQUIRE(two.diagnostics.size() == 2);
    CHECK(two.diagnostics[0].line == 2);
    CHECK(two.diagnostics[1].line == 3);
    // Each use of an unknown name is its own mistake.
    REQUIRE(one.diagnostics.size() == 2);
    CHECK(one.diagnostics[0].column == 11);
    CHECK(one.diagnostics[1].column == 24);
}

TEST_CASE("a checker diagnostic renders with its caret under the mistake", "[checker]") {
    const auto result =
        mandate::compile("mandate m {\n  amount <= 25.001 USD\n}\n", "office.mandate");
    REQUIRE(result.diagnostics.size() == 1);
    const std::string text = mandate::render(result.diagnostics);
    CHECK_THAT(text, Catch::StartsWith("office.mandate:2:13: error: 25.001 USD has more decimals "
                                       "than USD allows (2)\n"
                                       "  2 |   amount <= 25.001 USD\n"
                                       "    |             ^~~~~~~~~~\n"
                                       "    = help: "));
}

TEST_CASE("whole records cannot be put in lists, and an empty file is refused",
          "[checker]") {
    const auto records = mandate::compile(
        "mandate m() {\n  require every s in [charge.seller]: true\n}\n", "records.mandate");
    REQUIRE_FALSE(records.ok());
    REQUIRE(records.diagnostics.size() == 1);
    CHECK(records.diagnostics[0].line == 2);
    CHECK(records.diagnostics[0].message.find("not a whole seller") != std::string::npos);

    const auto empty = mandate::compile("# nothing here\n", "empty.mandate");
    REQUIRE_FALSE(empty.ok());
    REQUIRE(empty.diagnostics.size() == 1);
    CHECK(empty.diagnostics[0].message == "the file holds no mandate");
}
