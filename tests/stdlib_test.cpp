// Every mandate in stdlib-policies/ compiles, binds with typical arguments, and
// enforces what its comment promises.

#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "mandate/json.hpp"
#include "mandate/policy.hpp"
#include "tests/support.hpp"

namespace {

std::shared_ptr<const mandate::policy> load(const std::string& name) {
    const std::string path = std::string(MANDATE_SOURCE_DIR) + "/stdlib-policies/" + name;
    std::ifstream file(path);
    REQUIRE(file.good());
    std::ostringstream source;
    source << file.rdbuf();
    return mandate::testing::compile_ok(source.str(), name);
}

mandate::decision run(mandate::testing::token& t, const std::string& json) {
    mandate::charge_document document;
    std::string error;
    REQUIRE(mandate::decode_charge(json, document, error));
    return t.authorize(document.view());
}

std::string charge_json(const std::string& seller, const std::string& amount, const std::string& at,
                        const std::string& currency = "USD") {
    return R"({"amount": ")" + amount + R"(", "currency": ")" + currency + R"(", "at": ")" + at +
           R"(", "seller": {"id": ")" + seller + R"("}})";
}

}  // namespace

TEST_CASE("every stdlib policy compiles", "[stdlib]") {
    const std::filesystem::path dir = std::filesystem::path(MANDATE_SOURCE_DIR) / "stdlib-policies";
    int count = 0;
    for (const auto& entry : std::filesystem::directory_iterator(dir)) {
        if (entry.path().extension() != ".mandate") continue;
        INFO(entry.path().string());
        load(entry.path().filename().string());
        ++count;
    }
    CHECK(count >= 5);
}

TEST_CASE("api_metering caps each call and the day, and stops retry loops", "[stdlib]") {
    auto policy = load("api_metering.mandate");
    mandate::testing::token t(policy, R"({"payee": "acct_data", "per_call": "0.05 USD",
                                              "daily": "0.12 USD"})");
    CHECK(run(t, charge_json("acct_data", "0.05", "2026-12-03T10:00:00Z")).approved);
    CHECK(run(t, charge_json("acct_data", "0.06", "2026-12-03T10:00:01Z")).code ==
          mandate::reason::amount_over_limit);
    CHECK(run(t, charge_json("acct_other", "0.01", "2026-12-03T10:00:02Z")).code ==
          mandate::reason::seller_not_allowed);
    CHECK(run(t, charge_json("acct_data", "0.05", "2026-12-03T10:00:03Z")).approved);
    CHECK(run(t, charge_json("acct_data", "0.05", "2026-12-03T10:00:04Z")).code ==
          mandate::reason::budget_exceeded);
    // The next UTC day has a fresh budget.
    CHECK(run(t, charge_json("acct_data", "0.05", "2026-12-04T00:00:00Z")).approved);
}

TEST_CASE("one_time_purchase approves one charge and nothing after it", "[stdlib]") {
    auto policy = load("one_time_purchase.mandate");
    mandate::testing::token t(policy, R"({"merchant_id": "acct_shop",
        "max_amount": "80.00 EUR", "expires_at": "2026-12-10T00:00:00Z"})");
    CHECK(run(t, charge_json("acct_shop", "80.00", "2026-12-03T10:00:00Z")).code ==
          mandate::reason::currency_not_allowed);
    CHECK(run(t, charge_json("acct_shop", "79.99", "2026-12-03T10:00:00Z", "EUR")).approved);
    // 0.01 more fits the 80.00 EUR lifetime budget, so the count limit declines it;
    // 0.02 more does not fit, and the budget (written first) declines it.
    CHECK(run(t, charge_json("acct_shop", "0.01", "2026-12-03T10:01:00Z", "EUR")).code ==
          mandate::reason::limit_exceeded);
    CHECK(run(t, charge_json("acct_shop", "0.02", "2026-12-03T10:02:00Z", "EUR")).code ==
          mandate::reason::budget_exceeded);
}

TEST_CASE("subscription charges exactly the price once a month", "[stdlib]") {
    auto policy = load("subscription.mandate");
    mandate::testing::token t(policy, R"({"merchant_id": "acct_news",
        "price": "1200 JPY", "zone": "Asia/Tokyo", "ends_at": "2027-12-01T00:00:00Z"})");
    const auto jpy = [](const std::string& amount, const std::string& at) {
        return charge_json("acct_news", amount, at, "JPY");
    };
    CHECK(run(t, jpy("1199", "2026-12-01T00:00:00Z")).code == mandate::reason::amount_under_limit);
    CHECK(run(t, jpy("1200", "2026-12-01T00:00:00Z")).approved);
    CHECK(run(t, jpy("1200", "2026-12-20T00:00:00Z")).code == mandate::reason::limit_exceeded);
    // 2026-12-31T15:00Z is already January 1st in Tokyo.
    CHECK(run(t, jpy("1200", "2026-12-31T15:00:00Z")).approved);
}

TEST_CASE("weekly_allowance renews at the week start in the owner's zone", "[stdlib]") {
    auto policy = load("weekly_allowance.mandate");
    mandate::testing::token t(policy, R"({"merchant_id": "acct_shop",
        "allowance": "25.00 USD", "zone": "America/New_York",
        "ends_at": "2027-01-01T00:00:00Z"})");
    // Sunday 2026-12-06 23:30 in New York is still the week of Monday 11-30.
    CHECK(run(t, charge_json("acct_shop", "25.00", "2026-12-07T04:30:00Z")).approved);
    CHECK(run(t, charge_json("acct_shop", "0.01", "2026-12-07T04:59:59Z")).code ==
          mandate::reason::budget_exceeded);
    // Monday 00:00 in New York is 05:00Z.
    CHECK(run(t, charge_json("acct_shop", "25.00", "2026-12-07T05:00:00Z")).approved);
}

TEST_CASE("grant: one total budget until an end, for children to draw from", "[stdlib]") {
    mandate::testing::token grant(load("grant.mandate"),
                                  R"({"total": "60.00 USD", "ends_at": "2027-01-01T00:00:00Z"})");
    CHECK(run(grant, charge_json("acct_any", "45.00", "2026-12-07T14:00:00Z")).approved);
    const auto over = run(grant, charge_json("acct_other", "15.01", "2026-12-14T14:00:00Z"));
    CHECK(over.code == mandate::reason::budget_exceeded);
    CHECK(run(grant, charge_json("acct_other", "15.00", "2026-12-14T14:00:00Z")).approved);
    mandate::testing::token later(load("grant.mandate"),
                                  R"({"total": "60.00 USD", "ends_at": "2027-01-01T00:00:00Z"})");
    CHECK(run(later, charge_json("acct_any", "1.00", "2027-01-01T00:00:00Z")).code ==
          mandate::reason::expired);
    CHECK(run(later, charge_json("acct_any", "1.00", "2026-12-31T23:59:59Z", "EUR")).code ==
          mandate::reason::currency_not_allowed);
}
