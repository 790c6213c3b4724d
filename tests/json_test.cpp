#include <catch2/catch.hpp>

#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "mandate/json.hpp"

namespace {

using namespace mandate;
using namespace std::chrono_literals;

constexpr std::string_view full_charge = R"({
    "id": "ch_1", "amount": "12.50", "currency": "USD", "at": "2026-12-03T10:00:00Z",
    "seller": {"id": "acct_staples", "domain": "staples.com", "country": "US", "category": 5943},
    "items": [{"sku": "A4-500", "category": "paper", "quantity": 2, "unit_price": "6.25"},
              {"sku": "PEN-12"}],
    "resource": "https://api.example.com/v1/enrich"})";

currency code(std::string_view text) {
    auto found = currency::find(text);
    REQUIRE(found);
    return *found;
}

instant utc(date::year_month_day day, duration time_of_day) {
    return date::sys_days{day} + time_of_day;
}

charge_document decode_ok(std::string_view text) {
    charge_document document;
    std::string error;
    const bool decoded = decode_charge(text, document, error);
    INFO(error);
    REQUIRE(decoded);
    CHECK(error.empty());
    return document;
}

// Decodes text that must be rejected; returns the reason.
std::string decode_error(std::string_view text) {
    charge_document document;
    std::string error;
    REQUIRE_FALSE(decode_charge(text, document, error));
    CHECK(document.view().present == 0);
    CHECK(document.view().items.empty());
    CHECK_FALSE(error.empty());
    CHECK(error.find('\n') == std::string::npos);
    return error;
}

// A charge of 1.00 USD with `fields` added to the object.
std::string with(std::string_view fields) {
    return R"({"amount": "1.00", "currency": "USD", )" + std::string(fields) + "}";
}

void check_full_charge(const charge& request) {
    CHECK(request.present ==
          (field_id | field_amount | field_at | field_seller_id | field_seller_domain |
           field_seller_country | field_seller_category | field_items | field_resource));
    CHECK(request.id == "ch_1");
    CHECK(request.amount == money{1250, code("USD")});
    CHECK(request.at == utc(date::year{2026} / 12 / 3, 10h));
    CHECK(request.seller_id == "acct_staples");
    CHECK(request.seller_domain == "staples.com");
    CHECK(request.seller_country == "US");
    CHECK(request.seller_category == 5943);
    CHECK(request.resource == "https://api.example.com/v1/enrich");

    REQUIRE(request.items.size() == 2);
    CHECK(request.items[0].sku == "A4-500");
    CHECK(request.items[0].category == "paper");
    CHECK(request.items[0].quantity == 2);
    CHECK(request.items[0].unit_price == 625);
    CHECK(request.items[0].present == (item_sku | item_category | item_quantity | item_unit_price));
    CHECK(request.items[1].sku == "PEN-12");
    CHECK(request.items[1].present == item_sku);
}

}  // namespace

TEST_CASE("a complete charge decodes into every field", "[json]") {
    charge_document document = decode_ok(full_charge);
    check_full_charge(document.view());
}

TEST_CASE("only amount and currency are required", "[json]") {
    charge_document document = decode_ok(R"({"amount": "0.05", "currency": "USD"})");
    const charge& request = document.view();
    CHECK(request.present == field_amount);
    CHECK(request.amount.units == 5);
    CHECK(request.id.empty());
    CHECK(request.items.empty());
    CHECK_FALSE(request.has(field_at));

    CHECK(decode_error(R"({"currency": "USD"})") ==
          "the charge has no amount (a decimal string such as \"12.50\")");
    CHECK(decode_error(R"({"amount": "1.00"})") ==
          "the charge has no currency (a code such as \"USD\")");
    CHECK(decode_error("{}").find("no amount") != std::string::npos);
}

TEST_CASE("amounts are decimal strings in the currency's minor units", "[json]") {
    SECTION("exponent 0 and 3") {
        CHECK(decode_ok(R"({"amount": "1250", "currency": "JPY"})").view().amount.units == 1250);
        CHECK(decode_ok(R"({"amount": "1.234", "currency": "BHD"})").view().amount.units == 1234);
        CHECK(decode_ok(R"({"amount": "1.2", "currency": "BHD"})").view().amount.units == 1200);
        CHECK(decode_ok(R"({"amount": "12.5", "currency": "USD"})").view().amount.units == 1250);
    }

    SECTION("more decimals than the currency has") {
        CHECK(decode_error(R"({"amount": "12.5", "currency": "JPY"})") ==
              "amount \"12.5\" has more decimal places than JPY allows (0)");
        CHECK(decode_error(R"({"amount": "1.2345", "currency": "BHD"})") ==
              "amount \"1.2345\" has more decimal places than BHD allows (3)");
        CHECK(decode_error(R"({"amount": "1.001", "currency": "USD"})").find("USD allows (2)") !=
              std::string::npos);
    }

    SECTION("a JSON number is refused") {
        CHECK(decode_error(R"({"amount": 12.50, "currency": "USD"})") ==
              "amount must be a decimal string such as \"12.50\", not a JSON number");
        CHECK(decode_error(R"({"amount": 12, "currency": "USD"})") ==
              "amount must be a decimal string such as \"12.50\", not a JSON number");
        CHECK(decode_error(R"({"amount": null, "currency": "USD"})") ==
              "amount must be a decimal string such as \"12.50\", not null");
    }

    SECTION("negative, malformed, empty and huge amounts") {
        CHECK(decode_error(R"({"amount": "-1.00", "currency": "USD"})") ==
              "amount \"-1.00\" is negative");
        for (const char* text : {"1e3", "1.", ".5", "+1", " 1", "1,00", "12.50 USD", "0x10"}) {
            INFO(text);
            std::string error =
                decode_error(R"({"amount": ")" + std::string(text) + R"(", "currency": "USD"})");
            CHECK(error.find("is not a decimal amount") != std::string::npos);
        }
        CHECK(decode_error(R"({"amount": "", "currency": "USD"})") == "amount must not be empty");
        CHECK(decode_error(R"({"amount": ")" + std::string(60, '9') + R"(", "currency": "USD"})")
                  .find("is too large") != std::string::npos);
    }
}

TEST_CASE("currency must be a known upper-case code", "[json]") {
    CHECK(decode_error(R"({"amount": "1.00", "currency": "XYZ"})") == "unknown currency \"XYZ\"");
    CHECK(decode_error(R"({"amount": "1.00", "currency": "usd"})") ==
          "currency codes are upper case: \"USD\", not \"usd\"");
    CHECK(decode_error(R"({"amount": "1.00", "currency": 840})") ==
          "currency must be a code such as \"USD\", not a JSON number");
    CHECK(decode_error(R"({"amount": "1.00", "currency": ""})") == "unknown currency \"\"");

    // The amount is read in the currency given, whatever order the keys come in.
    CHECK(decode_ok(R"({"currency": "BHD", "amount": "2.5"})").view().amount ==
          money{2500, code("BHD")});
}

TEST_CASE("at is an RFC 3339 time with an offset", "[json]") {
    CHECK(decode_ok(with(R"("at": "2026-12-03T10:00:00.25+05:30")")).view().at ==
          utc(date::year{2026} / 12 / 3, 4h + 30min + 250ms));

    for (const char* text : {"2026-12-03T10:00:00", "2026-13-01T00:00:00Z", "2026-02-30T00:00:00Z",
                             "2026-12-03 10:00", "yesterday", ""}) {
        INFO(text);
        std::string error = decode_error(with(R"("at": ")" + std::string(text) + "\""));
        CHECK(error.rfind("at must be an RFC 3339 time", 0) == 0);
        CHECK(error.find(text) != std::string::npos);
    }
    CHECK(decode_error(with(R"("at": 1764756000)")) ==
          "at must be an RFC 3339 time with an offset such as \"2026-12-03T10:00:00Z\", "
          "not 1764756000");
}

TEST_CASE("optional text fields must be non-empty strings when present", "[json]") {
    CHECK(decode_error(with(R"("id": 17)")) == "id must be a string, not a JSON number");
    CHECK(decode_error(with(R"("id": null)")) == "id must be a string, not null");
    CHECK(decode_error(with(R"("id": "")")) == "id must not be empty");
    CHECK(decode_error(with(R"("resource": ["a"])")) ==
          "resource must be a string, not a JSON array");
    CHECK(decode_error(with(R"("seller": {"id": true})")) ==
          "seller.id must be a string, not a boolean");
    CHECK(decode_error(with(R"("seller": {"domain": ""})")) == "seller.domain must not be empty");
    CHECK(decode_error(with(R"("seller": "acct_staples")")) ==
          "seller must be a JSON object, not a string");
}

TEST_CASE("seller country is two upper-case letters", "[json]") {
    CHECK(decode_ok(with(R"("seller": {"country": "DE"})")).view().seller_country == "DE");
    CHECK(decode_ok(with(R"("seller": {"country": "DE"})")).view().present ==
          (field_amount | field_seller_country));

    for (const char* json_value : {R"("us")", R"("USA")", R"("U")", R"("U1")", "840", "null"}) {
        INFO(json_value);
        std::string error =
            decode_error(with(R"("seller": {"country": )" + std::string(json_value) + "}"));
        CHECK(error.rfind("seller.country must be two upper-case letters such as \"US\", not ",
                          0) == 0);
    }
}

TEST_CASE("seller category is an integer merchant category code", "[json]") {
    CHECK(decode_ok(with(R"("seller": {"category": 0})")).view().seller_category == 0);
    CHECK(decode_ok(with(R"("seller": {"category": 9999})")).view().seller_category == 9999);
    CHECK(decode_ok(with(R"("seller": {"category": 742})")).view().has(field_seller_category));

    const std::string prefix =
        "seller.category must be a merchant category code, an integer from 0 to 9999, not ";
    CHECK(decode_error(with(R"("seller": {"category": 10000})")) == prefix + "10000");
    CHECK(decode_error(with(R"("seller": {"category": -1})")) == prefix + "-1");
    CHECK(decode_error(with(R"("seller": {"category": 5943.0})")) == prefix + "5943.0");
    CHECK(decode_error(with(R"("seller": {"category": "5943"})")) == prefix + "\"5943\"");
    CHECK(decode_error(with(R"("seller": {"category": 18446744073709551615})")) ==
          prefix + "18446744073709551615");
}

TEST_CASE("line items", "[json]") {
    SECTION("an empty list is present with no lines") {
        charge_document document = decode_ok(with(R"("items": [])"));
        const charge& request = document.view();
        CHECK(request.has(field_items));
        CHECK(request.items.empty());
    }

    SECTION("unit prices are in the charge's currency") {
        charge_document document =
            decode_ok(R"({"amount": "500", "currency": "JPY", "items": [{"unit_price": "250"}]})");
        REQUIRE(document.view().items.size() == 1);
        CHECK(document.view().items[0].unit_price == 250);
        CHECK(document.view().items[0].present == item_unit_price);

        CHECK(decode_error(
                  R"({"amount": "500", "currency": "JPY", "items": [{"unit_price": "2.50"}]})") ==
              "items[0].unit_price \"2.50\" has more decimal places than JPY allows (0)");
    }

    SECTION("wrong shapes name the line") {
        CHECK(decode_error(with(R"("items": {"sku": "A"})")) ==
              "items must be a JSON array, not a JSON object");
        CHECK(decode_error(with(R"("items": [{"sku": "A"}, "B"])")) ==
              "items[1] must be a JSON object, not a string");
        CHECK(decode_error(with(R"("items": [{"sku": 5}])")) ==
              "items[0].sku must be a string, not a JSON number");
        CHECK(decode_error(with(R"("items": [{"category": ""}])")) ==
              "items[0].category must not be empty");
        CHECK(decode_error(with(R"("items": [{"unit_price": 6.25}])")) ==
              "items[0].unit_price must be a decimal string such as \"12.50\", not a JSON number");
        CHECK(decode_error(with(R"("items": [{"unit_price": "-6.25"}])")) ==
              "items[0].unit_price \"-6.25\" is negative");
    }

    SECTION("quantity is a positive integer") {
        CHECK(decode_ok(with(R"("items": [{"quantity": 9223372036854775807}])"))
                  .view()
                  .items[0]
                  .quantity == std::numeric_limits<std::int64_t>::max());
        for (const char* json_value : {"0", "-1", "1.5", "2.0", R"("2")", "9223372036854775808"}) {
            INFO(json_value);
            CHECK(
                decode_error(with(R"("items": [{"quantity": )" + std::string(json_value) + "}]")) ==
                "items[0].quantity must be a positive integer, not " + std::string(json_value));
        }
    }

    SECTION("at most 10,000 lines") {
        auto items_json = [](std::size_t count) {
            std::string text = R"("items": [)";
            for (std::size_t i = 0; i < count; ++i) {
                text += i == 0 ? R"({"quantity": 1})" : R"(,{"quantity": 1})";
            }
            return text + "]";
        };
        CHECK(decode_ok(with(items_json(max_line_items))).view().items.size() == max_line_items);
        CHECK(decode_error(with(items_json(max_line_items + 1))) ==
              "items has 10001 lines; at most 10000 are accepted");
    }
}

TEST_CASE("unknown fields are ignored and a repeated key counts once, last", "[json]") {
    charge_document document =
        decode_ok(with(R"("idempotency_key": "k-1", "metadata": {"a": [1, 2]}, "id": "first",)"
                       R"( "id": "second")"));
    const charge& request = document.view();
    CHECK(request.id == "second");
    CHECK(request.present == (field_amount | field_id));

    // A bad value that is overridden by a later key does not count.
    CHECK(decode_ok(R"({"amount": 5, "amount": "5.00", "currency": "USD"})").view().amount.units ==
          500);
}

TEST_CASE("text that is not a JSON object is refused", "[json]") {
    for (const char* text : {"", "   ", "{", R"({"amount": "1.00",})", "{'amount': '1.00'}",
                             "amount=1.00", "{} {}", R"({"id": "a
b"})"}) {
        INFO(text);
        CHECK(decode_error(text).rfind("the charge is not valid JSON: ", 0) == 0);
    }

    CHECK(decode_error(R"([{"amount": "1.00", "currency": "USD"}])") ==
          "a charge must be a JSON object, not a JSON array");
    CHECK(decode_error(R"("ch_1")") == "a charge must be a JSON object, not a string");
    CHECK(decode_error("null") == "a charge must be a JSON object, not null");
    CHECK(decode_error("12.50") == "a charge must be a JSON object, not a JSON number");
}

TEST_CASE("invalid UTF-8 is refused and not echoed", "[json]") {
    std::string error = decode_error(
        "{\"id\": \"ch_\xff\", \"amount\": \"1.00\", "
        "\"currency\": \"USD\"}");
    CHECK(error.rfind("the charge is not valid JSON: ", 0) == 0);
    CHECK(error.find('\xff') == std::string::npos);
}

TEST_CASE("deep nesting and long strings do not break decoding", "[json]") {
    SECTION("deeply nested unknown field") {
        const std::size_t depth = 200'000;
        std::string nested = std::string(depth, '[') + std::string(depth, ']');
        CHECK(decode_ok(with(R"("extra": )" + nested)).view().present == field_amount);
        CHECK(decode_error(std::string(depth, '[')).rfind("the charge is not valid JSON", 0) == 0);
        CHECK(decode_error(std::string(depth, '{')).rfind("the charge is not valid JSON", 0) == 0);
    }

    SECTION("long values are kept whole, and cut short in messages") {
        const std::string long_id(1'000'000, 'x');
        CHECK(decode_ok(with(R"("id": ")" + long_id + "\"")).view().id == long_id);

        std::string error = decode_error(with(R"("seller": {"country": ")" + long_id + "\"}"));
        CHECK(error.size() < 200);
        CHECK(error.find("...") != std::string::npos);

        error = decode_error(R"({"amount": ")" + std::string(100'000, '1') +
                             R"(x", "currency": "USD"})");
        CHECK(error.size() < 200);
    }

    SECTION("control characters in a bad value stay escaped in the message") {
        std::string error = decode_error(with(R"("at": "2026\n12\u0001")"));
        CHECK(error.find(R"("2026\n12\u0001")") != std::string::npos);
    }
}

TEST_CASE("a moved document keeps its views valid", "[json]") {
    // Short strings are the risky case: a moved std::string would take them inline.
    constexpr std::string_view short_charge =
        R"({"id": "a", "amount": "1.00", "currency": "USD", "seller": {"id": "s",)"
        R"( "country": "FR"}, "items": [{"sku": "k"}]})";

    SECTION("move construction") {
        charge_document source = decode_ok(short_charge);
        charge_document target(std::move(source));
        CHECK(source.view().present == 0);
        CHECK(source.view().id.empty());

        // Reusing the moved-from document must not touch the moved one.
        std::string error;
        REQUIRE(decode_charge(full_charge, source, error));
        CHECK(target.view().id == "a");
        CHECK(target.view().seller_id == "s");
        CHECK(target.view().seller_country == "FR");
        REQUIRE(target.view().items.size() == 1);
        CHECK(target.view().items[0].sku == "k");
        check_full_charge(source.view());
    }

    SECTION("move assignment") {
        charge_document target = decode_ok(full_charge);
        {
            charge_document source = decode_ok(short_charge);
            target = std::move(source);
        }
        CHECK(target.view().id == "a");
        CHECK(target.view().seller_id == "s");
        CHECK(target.view().items[0].sku == "k");
    }

    SECTION("documents in a growing vector") {
        std::vector<charge_document> documents;
        for (int i = 0; i < 50; ++i) {
            documents.push_back(decode_ok(with(R"("id": "c)" + std::to_string(i) + "\"")));
        }
        for (int i = 0; i < 50; ++i) {
            CHECK(documents[static_cast<std::size_t>(i)].view().id == "c" + std::to_string(i));
        }
    }
}

TEST_CASE("decoding into a used document replaces the charge", "[json]") {
    charge_document document;
    std::string error;
    REQUIRE(decode_charge(full_charge, document, error));

    REQUIRE(decode_charge(R"({"amount": "3", "currency": "JPY", "items": [{"sku": "z"}]})",
                          document, error));
    const charge& request = document.view();
    CHECK(request.present == (field_amount | field_items));
    CHECK(request.id.empty());
    CHECK(request.seller_domain.empty());
    CHECK(request.amount == money{3, code("JPY")});
    REQUIRE(request.items.size() == 1);
    CHECK(request.items[0].sku == "z");

    // A failed decode leaves nothing of the previous charge behind.
    CHECK_FALSE(
        decode_charge(R"({"amount": "1.00", "currency": "USD", "id": 1})", document, error));
    CHECK(error == "id must be a string, not a JSON number");
    CHECK(document.view().present == 0);
    CHECK(document.view().items.empty());

    REQUIRE(decode_charge(full_charge, document, error));
    CHECK(error.empty());
    check_full_charge(document.view());
}

TEST_CASE("encoding decisions", "[json]") {
    charge request;
    request.id = "ch_1";
    request.present = field_id | field_amount;

    SECTION("approve") {
        CHECK(encode_decision(request, decision::approve()) ==
              R"({"id":"ch_1","decision":"approve"})");
    }

    SECTION("decline by a clause") {
        decision d;
        d.code = reason::amount_over_limit;
        d.reason_name = to_string(d.code);
        d.clause = 2;
        d.file = "office.mandate";
        d.line = 6;
        d.column = 3;
        d.detail = detail_kind::over_limit;
        d.observed = money{1250, code("USD")};
        d.limit = money{1000, code("USD")};
        CHECK(encode_decision(request, d) ==
              R"({"id":"ch_1","decision":"decline","reason":"amount_over_limit",)"
              R"("rule":"office.mandate:6:3","detail":"12.50 USD is over the cap of 10.00 USD"})");
    }

    SECTION("decline with a custom code and no clause, charge without id") {
        decision d;
        d.code = reason::custom;
        d.reason_name = "needs_review";
        d.detail = detail_kind::condition;
        request.present = field_amount;
        CHECK(encode_decision(request, d) ==
              R"({"id":null,"decision":"decline","reason":"needs_review",)"
              R"("detail":"the condition of this clause decided the decline"})");
    }

    SECTION("reason name falls back to the code") {
        decision d;
        d.code = reason::expired;
        d.reason_name = {};
        std::string line = encode_decision(request, d);
        CHECK(line.find(R"("reason":"expired")") != std::string::npos);
    }

    SECTION("ids are escaped") {
        const std::string id = std::string("a\"b\\c\nd") + '\x01' + "\t\xc3\xa9";
        request.id = id;
        CHECK(encode_decision(request, decision::approve()) ==
              "{\"id\":\"a\\\"b\\\\c\\nd\\u0001\\t\xc3\xa9\",\"decision\":\"approve\"}");

        // Invalid UTF-8 from a caller-built charge still gives valid JSON.
        request.id = "x\xff";
        auto parsed =
            nlohmann::json::parse(encode_decision(request, decision::approve()), nullptr, false);
        REQUIRE_FALSE(parsed.is_discarded());
        CHECK(parsed["id"] == "x\xef\xbf\xbd");
    }
}

TEST_CASE("encoding charges that did not decode", "[json]") {
    const std::string detail = "amount \"1.001\" has more decimal places than USD allows (2)";
    CHECK(encode_invalid("ch_3", detail) ==
          R"({"id":"ch_3","decision":"decline","reason":"invalid_charge",)"
          R"json("detail":"amount \"1.001\" has more decimal places than USD allows (2)"})json");
    CHECK(encode_invalid("", "the charge is not valid JSON") ==
          R"({"id":null,"decision":"decline","reason":"invalid_charge",)"
          R"("detail":"the charge is not valid JSON"})");

    SECTION("the id is recovered when the text is a JSON object") {
        const std::string text = R"({"id": "ch_\"9", "amount": 12.5, "currency": "USD"})";
        charge_document document;
        std::string error;
        REQUIRE_FALSE(decode_charge(text, document, error));
        std::optional<std::string> id = recover_charge_id(text);
        REQUIRE(id);
        CHECK(*id == "ch_\"9");
        CHECK(encode_invalid(*id, error) ==
              R"({"id":"ch_\"9","decision":"decline","reason":"invalid_charge",)"
              R"("detail":"amount must be a decimal string such as \"12.50\", )"
              R"(not a JSON number"})");
    }

    SECTION("no id to recover") {
        CHECK_FALSE(recover_charge_id(R"({"id": "ch_1", )"));
        CHECK_FALSE(recover_charge_id(R"(["ch_1"])"));
        CHECK_FALSE(recover_charge_id(R"({"id": 7})"));
        CHECK_FALSE(recover_charge_id(R"({"id": ""})"));
        CHECK_FALSE(recover_charge_id(R"({"amount": "1.00"})"));
        CHECK_FALSE(recover_charge_id(""));
    }
}

TEST_CASE("a decoded charge round-trips through the decision line", "[json]") {
    charge_document document = decode_ok(with(R"("id": "ch_\u00e9\"")"));
    decision d;
    d.code = reason::seller_not_allowed;
    d.reason_name = to_string(d.code);
    d.detail = detail_kind::missing_field;
    d.field = field_seller_id;

    auto line = nlohmann::json::parse(encode_decision(document.view(), d));
    CHECK(line["id"] == "ch_\xc3\xa9\"");
    CHECK(line["decision"] == "decline");
    CHECK(line["reason"] == "seller_not_allowed");
    CHECK_FALSE(line.contains("rule"));
    CHECK(line["detail"] == "the charge has no seller.id, which this clause needs");
}

TEST_CASE("names of reasons and fields", "[json]") {
    CHECK(to_string(reason::amount_over_limit) == "amount_over_limit");
    CHECK(to_string(reason::budget_exceeded) == "budget_exceeded");
    CHECK(to_string(reason::invalid_charge) == "invalid_charge");
    CHECK(to_string(reason::not_yet_valid) == "not_yet_valid");

    CHECK(to_string(field_id) == "id");
    CHECK(to_string(field_amount) == "amount");
    CHECK(to_string(field_at) == "at");
    CHECK(to_string(field_seller_id) == "seller.id");
    CHECK(to_string(field_seller_domain) == "seller.domain");
    CHECK(to_string(field_seller_country) == "seller.country");
    CHECK(to_string(field_seller_category) == "seller.category");
    CHECK(to_string(field_items) == "items");
    CHECK(to_string(field_resource) == "resource");
    CHECK(to_string(static_cast<charge_field>(field_id | field_at)) == "an unknown field");
}

TEST_CASE("rule locations", "[json]") {
    decision d;
    CHECK(rule_location(d).empty());

    d.clause = 0;
    d.file = "office.mandate";
    d.line = 12;
    d.column = 5;
    CHECK(rule_location(d) == "office.mandate:12:5");
    d.file = {};
    CHECK(rule_location(d) == "12:5");
}

TEST_CASE("describe gives one sentence from the decision's values", "[json]") {
    const currency usd = code("USD");
    decision d;

    SECTION("approve") {
        CHECK(describe(decision::approve()) == "the charge is within the mandate");
    }

    SECTION("caps and minimums") {
        d.detail = detail_kind::over_limit;
        d.observed = money{1250, usd};
        d.limit = money{1000, usd};
        CHECK(describe(d) == "12.50 USD is over the cap of 10.00 USD");
        d.observed = money{1000, usd};
        CHECK(describe(d) == "10.00 USD is not under the cap of 10.00 USD");

        d.detail = detail_kind::under_limit;
        d.observed = money{50, usd};
        d.limit = money{100, usd};
        CHECK(describe(d) == "0.50 USD is under the minimum of 1.00 USD");
        d.observed = money{7, code("BHD")};
        d.limit = money{7, code("BHD")};
        CHECK(describe(d) == "0.007 BHD is not over the minimum of 0.007 BHD");
    }

    SECTION("budget and count") {
        d.detail = detail_kind::budget;
        d.observed = money{1250, usd};
        d.spent = money{1750, usd};
        d.limit = money{2500, usd};
        CHECK(describe(d) ==
              "12.50 USD would bring spending in this window to 30.00 USD, over the budget of "
              "25.00 USD");

        d.detail = detail_kind::count;
        d.count = 5;
        d.count_limit = 5;
        CHECK(describe(d) == "this would be charge 6 in the window, over the limit of 5");
    }

    SECTION("currencies and fields") {
        d.detail = detail_kind::currency_mismatch;
        d.observed = money{100, code("EUR")};
        d.limit = money{100, usd};
        CHECK(describe(d) == "the charge is in EUR but the clause is in USD");

        d.detail = detail_kind::missing_field;
        d.field = field_seller_domain;
        CHECK(describe(d) == "the charge has no seller.domain, which this clause needs");

        d.detail = detail_kind::not_in_set;
        d.field = field_seller_id;
        CHECK(describe(d) == "seller.id is not in the allowed list");
        d.field = field_seller_country;
        CHECK(describe(d) == "seller.country is not in the allowed list");
        d.field = field_amount;
        CHECK(describe(d) == "the currency EUR is not in the allowed list");

        d.detail = detail_kind::invalid_value;
        d.field = field_seller_domain;
        CHECK(describe(d) == "seller.domain has a value this clause can never match");
    }

    SECTION("validity period") {
        d.detail = detail_kind::before_start;
        d.bound = utc(date::year{2026} / 12 / 1, 0h);
        CHECK(describe(d) == "the mandate is valid from 2026-12-01T00:00:00Z");

        d.detail = detail_kind::at_or_after_end;
        d.bound = utc(date::year{2027} / 1 / 1, 12h + 30min);
        CHECK(describe(d) == "the mandate expired at 2027-01-01T12:30:00Z");
    }

    SECTION("declines that carry no values still get a sentence") {
        d.detail = detail_kind::none;
        d.code = reason::expired;
        CHECK(describe(d) == "the mandate has expired");
        d.code = reason::custom;
        d.reason_name = "needs_review";
        CHECK(describe(d) == "a clause declined the charge with needs_review");

        d.detail = detail_kind::overflow;
        CHECK(describe(d) == "the amounts involved are too large to add up exactly");
        d.detail = detail_kind::out_of_order;
        CHECK(describe(d) == "the charge is dated before a charge already counted");
    }
}
