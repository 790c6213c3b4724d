#include "mandate/money.hpp"

#include <catch2/catch.hpp>

#include <boost/multiprecision/cpp_int.hpp>

#include <cstdint>
#include <limits>
#include <map>
#include <set>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace Catch {
template <>
struct StringMaker<mandate::minor_units> {
    static std::string convert(mandate::minor_units value) { return mandate::to_string(value); }
};
}  // namespace Catch

namespace {

using mandate::amount_error;
using mandate::currency;
using mandate::minor_units;
using wide_int = boost::multiprecision::checked_int128_t;
using big_int = boost::multiprecision::cpp_int;
__extension__ typedef unsigned __int128 unsigned_units;

constexpr minor_units units_max = std::numeric_limits<minor_units>::max();
constexpr minor_units units_min = std::numeric_limits<minor_units>::min();

currency currency_of(std::string_view code) {
    const auto found = currency::find(code);
    REQUIRE(found.has_value());
    return *found;
}

struct parse_result {
    amount_error error = amount_error::none;
    minor_units units = 0;
};

parse_result parse(std::string_view text, std::string_view code) {
    parse_result result;
    result.error = mandate::parse_amount(text, currency_of(code), result.units);
    return result;
}

// Deterministic pseudo-random source (splitmix64), so failures reproduce.
struct splitmix {
    std::uint64_t state;

    std::uint64_t next() {
        std::uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
        return z ^ (z >> 31);
    }

    std::uint64_t below(std::uint64_t bound) { return next() % bound; }

    // Spread over every magnitude, with extra weight on the edges of the range.
    minor_units units() {
        const auto high = static_cast<minor_units>(next());
        const auto wide = static_cast<minor_units>((static_cast<unsigned_units>(high) << 64) |
                                                   next());
        const auto small = static_cast<minor_units>(below(1000));
        switch (below(6)) {
        case 0:
            return wide;
        case 1: {
            const auto width = static_cast<int>(below(128));
            const minor_units mask = width == 127 ? units_max : (minor_units{1} << width) - 1;
            return (below(2) == 0 ? 1 : -1) * (wide & mask);
        }
        case 2:
            return units_max - small;
        case 3:
            return units_min + small;
        case 4:
            return small - 500;
        default: {
            const minor_units power = minor_units{1} << below(127);
            return (below(2) == 0 ? power : -power) + static_cast<minor_units>(below(3)) - 1;
        }
        }
    }

    std::int64_t factor() {
        const auto raw = static_cast<std::int64_t>(next());
        switch (below(4)) {
        case 0:
            return raw;
        case 1:
            return raw >> below(64);
        case 2: {
            constexpr std::int64_t edges[] = {0,  1,  -1, 2, -2, 10, INT64_MAX, INT64_MIN,
                                              INT64_MAX - 1, INT64_MIN + 1};
            return edges[below(std::size(edges))];
        }
        default:
            return static_cast<std::int64_t>(below(2001)) - 1000;
        }
    }
};

const wide_int wide_min{units_min};
const wide_int wide_max{units_max};

bool fits(const wide_int& value) { return value >= wide_min && value <= wide_max; }

// Runs `exact` in Boost and checks the helper's verdict and result against it.
template <class Exact>
void check_against_boost(bool helper_ok, minor_units helper_result, Exact exact) {
    wide_int expected;
    try {
        expected = exact();
    } catch (const std::overflow_error&) {
        // Beyond 2^128 - 1 in magnitude, so far outside minor_units.
        CHECK_FALSE(helper_ok);
        return;
    }

    if (!fits(expected)) {
        CHECK_FALSE(helper_ok);
        return;
    }
    REQUIRE(helper_ok);
    CHECK(wide_int{helper_result} == expected);
}

// The digits of a decimal amount with its leading zeros dropped and its fraction padded to
// `exponent` places: what format_units should give back after parsing it.
std::string canonical(const std::string& integer_digits, const std::string& fraction_digits,
                      int exponent) {
    const auto first_significant = integer_digits.find_first_not_of('0');
    std::string text = first_significant == std::string::npos
                           ? std::string("0")
                           : integer_digits.substr(first_significant);
    if (exponent > 0) {
        text += '.';
        text += fraction_digits;
        text.append(static_cast<std::size_t>(exponent) - fraction_digits.size(), '0');
    }
    return text;
}

}  // namespace

TEST_CASE("currency table is sorted, unique and found by code", "[money]") {
    const std::set<std::string_view> stablecoins{"DAI", "EURC", "PYUSD", "USDC", "USDT"};
    REQUIRE(currency::table_size() > 150);

    std::set<std::string_view> seen;
    std::string_view previous;
    for (std::size_t i = 0; i < currency::table_size(); ++i) {
        const currency unit = currency::at(i);
        const std::string_view code = unit.code();
        INFO("table index " << i << " code " << code);
        REQUIRE(unit.valid());
        CHECK(unit.index() == i + 1);

        const bool three_upper = code.size() == 3 && code.find_first_not_of(
                                     "ABCDEFGHIJKLMNOPQRSTUVWXYZ") == std::string_view::npos;
        CHECK((three_upper || stablecoins.count(code) == 1));
        CHECK(previous < code);
        CHECK(seen.insert(code).second);
        CHECK(unit.exponent() >= 0);
        CHECK(unit.exponent() <= 18);

        const auto found = currency::find(code);
        REQUIRE(found.has_value());
        CHECK(*found == unit);
        previous = code;
    }

    for (const auto code : stablecoins) {
        CHECK(seen.count(code) == 1);
    }
    CHECK_FALSE(currency::at(currency::table_size()).valid());
}

TEST_CASE("currency exponents follow ISO 4217 minor units", "[money]") {
    const std::map<std::string_view, int> not_two{
        {"BIF", 0},  {"CLP", 0},  {"DJF", 0},   {"GNF", 0},  {"ISK", 0},  {"JPY", 0},
        {"KMF", 0},  {"KRW", 0},  {"PYG", 0},   {"RWF", 0},  {"UGX", 0},  {"UYI", 0},
        {"VND", 0},  {"VUV", 0},  {"XAF", 0},   {"XOF", 0},  {"XPF", 0},  {"BHD", 3},
        {"IQD", 3},  {"JOD", 3},  {"KWD", 3},   {"LYD", 3},  {"OMR", 3},  {"TND", 3},
        {"CLF", 4},  {"UYW", 4},  {"EURC", 6},  {"PYUSD", 6}, {"USDC", 6}, {"USDT", 6},
        {"DAI", 18},
    };

    for (const auto& [code, exponent] : not_two) {
        INFO(code);
        CHECK(currency_of(code).exponent() == exponent);
    }

    // Everything else in the table, EUR and USD among them, has two places.
    for (std::size_t i = 0; i < currency::table_size(); ++i) {
        const currency unit = currency::at(i);
        if (not_two.count(unit.code()) == 0) {
            INFO(unit.code());
            CHECK(unit.exponent() == 2);
        }
    }
    CHECK(currency_of("USD").exponent() == 2);
    CHECK(currency_of("EUR").exponent() == 2);
}

TEST_CASE("currency lookup rejects what is not a listed upper-case code", "[money]") {
    const std::vector<std::string_view> not_codes{
        "",    "usd", "Usd", "usdc", "US",  "USDX",   "USD ", " USD",
        "XAU", "XDR", "XXX", "HRK",  "ZZZ", "PYUSDC", "U5D",  std::string_view("US\0D", 4)};
    for (const std::string_view code : not_codes) {
        INFO("code '" << code << "'");
        CHECK_FALSE(currency::find(code).has_value());
    }

    const currency none;
    CHECK_FALSE(none.valid());
    CHECK(none.index() == 0);
    CHECK(none.code().empty());
    CHECK(none.exponent() == 0);
    CHECK(currency_of("USD") != none);
    CHECK(currency_of("USD") != currency_of("USDC"));
}

TEST_CASE("amounts parse into minor units of the currency", "[money]") {
    SECTION("JPY has no decimals") {
        CHECK(parse("1500", "JPY").units == 1500);
        CHECK(parse("1500", "JPY").error == amount_error::none);
        CHECK(parse("1.5", "JPY").error == amount_error::too_many_decimals);
        CHECK(parse("1.0", "JPY").error == amount_error::too_many_decimals);
        CHECK(parse("0", "JPY").units == 0);
    }
    SECTION("USD has two") {
        CHECK(parse("12.50", "USD").units == 1250);
        CHECK(parse("12.5", "USD").units == 1250);
        CHECK(parse("12", "USD").units == 1200);
        CHECK(parse("0.01", "USD").units == 1);
        CHECK(parse("1.001", "USD").error == amount_error::too_many_decimals);
        CHECK(parse("1.000", "USD").error == amount_error::too_many_decimals);
    }
    SECTION("BHD has three") {
        CHECK(parse("1.234", "BHD").units == 1234);
        CHECK(parse("0.005", "BHD").units == 5);
        CHECK(parse("7.5", "BHD").units == 7500);
        CHECK(parse("1.2345", "BHD").error == amount_error::too_many_decimals);
    }
    SECTION("CLF has four, USDC six") {
        CHECK(parse("1.0001", "CLF").units == 10001);
        CHECK(parse("1.000001", "USDC").units == 1000001);
        CHECK(parse("1.5", "USDC").units == 1500000);
        CHECK(parse("0.0000001", "USDC").error == amount_error::too_many_decimals);
    }
    SECTION("DAI has eighteen") {
        const auto one_wei_over = parse("1.000000000000000001", "DAI");
        CHECK(one_wei_over.error == amount_error::none);
        CHECK(one_wei_over.units == minor_units{1000000000000000001});
        CHECK(parse("2", "DAI").units == minor_units{2000000000000000000});
        CHECK(parse("0.0000000000000000001", "DAI").error == amount_error::too_many_decimals);
    }
    SECTION("leading zeros are allowed and do not overflow") {
        CHECK(parse("007.50", "USD").units == 750);
        CHECK(parse("00.00", "USD").units == 0);
        CHECK(parse(std::string(60, '0') + "1", "JPY").units == 1);
        CHECK(parse(std::string(60, '0') + "1.000000000000000001", "DAI").units ==
              minor_units{1000000000000000001});
    }
}

TEST_CASE("malformed amounts are rejected with a reason", "[money]") {
    const std::vector<std::pair<std::string, amount_error>> cases{
        {"", amount_error::empty},
        {"1.", amount_error::malformed},
        {".5", amount_error::malformed},
        {".", amount_error::malformed},
        {"+1", amount_error::malformed},
        {"1e3", amount_error::malformed},
        {" 1", amount_error::malformed},
        {"1 ", amount_error::malformed},
        {"1,00", amount_error::malformed},
        {"1..0", amount_error::malformed},
        {"1.2.3", amount_error::malformed},
        {"12.5x", amount_error::malformed},
        {"abc", amount_error::malformed},
        {"0x10", amount_error::malformed},
        {"-", amount_error::malformed},
        {"--1", amount_error::malformed},
        {"-1e3", amount_error::malformed},
        {std::string("1\0", 2), amount_error::malformed},
        {"\xef\xbc\x91", amount_error::malformed},  // a full-width digit one
        {"-1", amount_error::negative},
        {"-1.00", amount_error::negative},
        {"-0", amount_error::negative},
        {"-1.001", amount_error::negative},
    };

    for (const auto& [text, expected] : cases) {
        INFO("amount '" << text << "'");
        minor_units out = 42;
        CHECK(mandate::parse_amount(text, currency_of("USD"), out) == expected);
    }

    minor_units out = 0;
    CHECK(mandate::parse_amount("1", currency{}, out) == amount_error::malformed);
}

TEST_CASE("amounts that do not fit minor units overflow", "[money]") {
    const std::string forty_digits = "1" + std::string(39, '0');
    CHECK(parse(forty_digits, "JPY").error == amount_error::overflow);
    CHECK(parse(forty_digits, "USD").error == amount_error::overflow);

    // The largest value parses in every exponent; one more minor unit does not.
    // The magnitude of the minimum is the maximum plus one.
    const std::string past_digits = mandate::to_string(units_min).substr(1);
    for (const auto code : {"JPY", "USD", "BHD", "CLF", "USDC", "DAI"}) {
        INFO(code);
        const int exponent = currency_of(code).exponent();
        const auto largest = parse(mandate::format_units(units_max, exponent), code);
        CHECK(largest.error == amount_error::none);
        CHECK(largest.units == units_max);

        const auto split = past_digits.size() - static_cast<std::size_t>(exponent);
        const std::string past = exponent == 0 ? past_digits
                                               : past_digits.substr(0, split) + "." +
                                                     past_digits.substr(split);
        CHECK(parse(past, code).error == amount_error::overflow);
    }

    // Overflow found only when the missing places are filled in.
    CHECK(parse("170141183460469231731687303715884105727", "JPY").error == amount_error::none);
    CHECK(parse("1701411834604692317316873037158841057.28", "USD").error ==
          amount_error::overflow);
    CHECK(parse("1701411834604692317316873037158841057", "USD").error == amount_error::none);
    CHECK(parse("1701411834604692317316873037158841058", "USD").error ==
          amount_error::overflow);
    CHECK(parse("170141183460469231732", "DAI").error == amount_error::overflow);
    CHECK(parse("170141183460469231731", "DAI").error == amount_error::none);
}

TEST_CASE("every amount error has its own description", "[money]") {
    const std::vector<amount_error> errors{amount_error::none,      amount_error::empty,
                                           amount_error::malformed, amount_error::negative,
                                           amount_error::too_many_decimals,
                                           amount_error::overflow};
    std::set<std::string_view> descriptions;
    for (const auto error : errors) {
        const std::string_view text = mandate::describe(error);
        CHECK_FALSE(text.empty());
        CHECK(descriptions.insert(text).second);
    }

    // And each is reachable from parse_amount.
    CHECK(parse("1", "USD").error == amount_error::none);
    CHECK(parse("", "USD").error == amount_error::empty);
    CHECK(parse("1e3", "USD").error == amount_error::malformed);
    CHECK(parse("-1", "USD").error == amount_error::negative);
    CHECK(parse("0.001", "USD").error == amount_error::too_many_decimals);
    CHECK(parse(std::string(40, '9'), "USD").error == amount_error::overflow);
}

TEST_CASE("minor units format as decimal amounts", "[money]") {
    CHECK(mandate::format_units(1250, 2) == "12.50");
    CHECK(mandate::format_units(1250, 0) == "1250");
    CHECK(mandate::format_units(-5, 3) == "-0.005");
    CHECK(mandate::format_units(-1250, 2) == "-12.50");
    CHECK(mandate::format_units(0, 2) == "0.00");
    CHECK(mandate::format_units(0, 0) == "0");
    CHECK(mandate::format_units(5, 18) == "0.000000000000000005");
    CHECK(mandate::format_units(units_min, 0) == "-170141183460469231731687303715884105728");
    CHECK(mandate::format_units(units_min, 2) == "-1701411834604692317316873037158841057.28");
    CHECK(mandate::format_units(units_max, 18) == "170141183460469231731.687303715884105727");

    CHECK(mandate::format_money({1250, currency_of("USD")}) == "12.50 USD");
    CHECK(mandate::format_money({1500, currency_of("JPY")}) == "1500 JPY");
    CHECK(mandate::format_money({-5, currency_of("BHD")}) == "-0.005 BHD");
    CHECK(mandate::format_money({1000001, currency_of("USDC")}) == "1.000001 USDC");
}

TEST_CASE("to_string agrees with Boost.Multiprecision", "[money]") {
    CHECK(mandate::to_string(0) == "0");
    CHECK(mandate::to_string(-1) == "-1");
    CHECK(mandate::to_string(units_min) == "-170141183460469231731687303715884105728");
    CHECK(mandate::to_string(units_max) == "170141183460469231731687303715884105727");

    // Boost reads the text back to the same value, and the text is in canonical form.
    splitmix random{7};
    for (int i = 0; i < 3000; ++i) {
        const minor_units value = random.units();
        const std::string text = mandate::to_string(value);
        INFO(text);
        REQUIRE(wide_int{text} == wide_int{value});

        const auto digits = std::string_view(text).substr(value < 0 ? 1 : 0);
        CHECK(digits.find_first_not_of("0123456789") == std::string_view::npos);
        CHECK((digits == "0" || digits.front() != '0'));
    }
}

TEST_CASE("format and parse round-trip", "[money]") {
    splitmix random{11};
    for (const auto code : {"JPY", "USD", "BHD", "CLF", "USDC", "DAI"}) {
        const currency unit = currency_of(code);
        const int exponent = unit.exponent();
        INFO(code);

        // minor units -> text -> minor units
        for (int i = 0; i < 1000; ++i) {
            const minor_units value = random.units();
            const std::string text = mandate::format_units(value, exponent);
            INFO(text);
            if (value < 0) {
                CHECK(parse(text, code).error == amount_error::negative);
                if (value != units_min) {
                    CHECK(text.substr(1) == mandate::format_units(-value, exponent));
                    CHECK(text.front() == '-');
                }
                continue;
            }
            const auto parsed = parse(text, code);
            REQUIRE(parsed.error == amount_error::none);
            CHECK(parsed.units == value);
        }

        // text -> minor units -> text, with Boost as the arithmetic oracle
        for (int i = 0; i < 500; ++i) {
            std::string integer_digits;
            const auto integer_length = 1 + random.below(45);
            for (std::uint64_t d = 0; d < integer_length; ++d) {
                // Favour zeros so leading zeros and short values come up often.
                const auto digit = random.below(3) == 0 ? 0 : random.below(10);
                integer_digits += static_cast<char>('0' + digit);
            }
            std::string fraction_digits;
            const auto fraction_length = random.below(static_cast<std::uint64_t>(exponent) + 1);
            for (std::uint64_t d = 0; d < fraction_length; ++d) {
                fraction_digits += static_cast<char>('0' + random.below(10));
            }

            const std::string text = fraction_digits.empty()
                                         ? integer_digits
                                         : integer_digits + "." + fraction_digits;
            const std::string padded = fraction_digits + std::string(
                static_cast<std::size_t>(exponent) - fraction_digits.size(), '0');
            // Boost reads a leading 0 as octal, so hand it the digits without one.
            const std::string all_digits = integer_digits + padded;
            const auto first_significant = all_digits.find_first_not_of('0');
            const big_int expected{first_significant == std::string::npos
                                       ? std::string("0")
                                       : all_digits.substr(first_significant)};
            INFO(text);

            const auto parsed = parse(text, code);
            if (expected > big_int{wide_max}) {
                CHECK(parsed.error == amount_error::overflow);
                continue;
            }
            REQUIRE(parsed.error == amount_error::none);
            CHECK(big_int{parsed.units} == expected);
            CHECK(mandate::format_units(parsed.units, exponent) ==
                  canonical(integer_digits, fraction_digits, exponent));
        }
    }
}

TEST_CASE("checked arithmetic agrees with Boost checked_int128_t", "[money]") {
    splitmix random{2024};
    for (int i = 0; i < 4000; ++i) {
        const minor_units a = random.units();
        const minor_units b = random.units();
        const std::int64_t factor = random.factor();
        INFO("a=" << mandate::to_string(a) << " b=" << mandate::to_string(b)
                  << " factor=" << factor);

        minor_units sum = 0;
        const bool sum_ok = mandate::checked_add(a, b, sum);
        check_against_boost(sum_ok, sum, [&] { return wide_int{a} + wide_int{b}; });

        minor_units difference = 0;
        const bool difference_ok = mandate::checked_sub(a, b, difference);
        check_against_boost(difference_ok, difference,
                            [&] { return wide_int{a} - wide_int{b}; });

        minor_units product = 0;
        const bool product_ok = mandate::checked_mul(a, factor, product);
        check_against_boost(product_ok, product, [&] { return wide_int{a} * wide_int{factor}; });
    }

    // The edges themselves.
    minor_units out = 0;
    CHECK_FALSE(mandate::checked_add(units_max, 1, out));
    CHECK_FALSE(mandate::checked_sub(units_min, 1, out));
    CHECK_FALSE(mandate::checked_mul(units_min, -1, out));
    REQUIRE(mandate::checked_mul(units_max, -1, out));
    CHECK(out == units_min + 1);
}
