// decide answers from checks specialised at bind time; without them it runs the
// mandate's steps one by one. Both must give the same decision, field for field,
// on every charge: a specialised check that passed a charge its step declines
// would approve what the mandate forbids.

#include <random>
#include <string>
#include <vector>

#include "engine/program.hpp"
#include "mandate/budget.hpp"
#include "support.hpp"

namespace {

using namespace mandate;
using mandate::testing::compile_ok;

// The same bound mandate without its checks: decide then runs the steps.
std::shared_ptr<const bound_mandate> without_checks(const bound_mandate& mandate) {
    auto image = std::make_shared<detail::bound_image>(mandate.image());
    image->checks.clear();
    return std::make_shared<const bound_mandate>(std::move(image));
}

void require_same(const decision& a, const decision& b) {
    REQUIRE(a.approved == b.approved);
    REQUIRE(a.code == b.code);
    REQUIRE(a.reason_name == b.reason_name);
    REQUIRE(a.clause == b.clause);
    REQUIRE(a.file == b.file);
    REQUIRE(a.line == b.line);
    REQUIRE(a.column == b.column);
    REQUIRE(a.detail == b.detail);
    REQUIRE(a.field == b.field);
    REQUIRE(a.observed == b.observed);
    REQUIRE(a.limit == b.limit);
    REQUIRE(a.spent == b.spent);
    REQUIRE(a.bound == b.bound);
    REQUIRE(a.count == b.count);
    REQUIRE(a.count_limit == b.count_limit);
}

constexpr const char* windows_policy = R"(
mandate windows(cap: money = 150.00 USD) {
  seller in ["acct_staples", "acct_officedepot", "acct_uline", "acct_a_seller_with_a_long_id"]
  currency in [USD, EUR]
  amount <= cap
  amount > 0.00 USD
  amount >= 0.05 USD
  amount < 199.00 USD
  valid from 2026-12-01T00:00:00Z until 2026-12-20T00:00:00Z
  budget 400.00 USD per day in "America/New_York"
  budget 900.00 USD per rolling 6h
  budget 5000.00 USD total
  limit 12 charges per day
  limit 6 charges per rolling 1h
  limit 200 charges total
}
)";

// The office example's clauses, with a budget loose enough to approve often.
constexpr const char* conditions_policy = R"(
mandate conditions(zone: zone = "America/New_York") {
  seller in ["acct_staples", "acct_officedepot", "acct_uline", "acct_a_seller_with_a_long_id"]
  domain in ["staples.com", "*.officedepot.com"]
  category in [5111, 5943]
  decline sanctioned_country when charge.seller.country in ["KP", "IR"]
  country in ["US", "CA"]
  budget 2500.00 USD per week starting monday in zone
  require every item in charge.items: item.category in ["paper", "toner"]
    else decline item_not_allowed
}
)";

// Charges with every field varied, some missing, amounts near every bound, and
// times mostly moving forward.
std::vector<charge> random_charges(std::size_t count, std::uint64_t seed,
                                   std::vector<line_item>& items) {
    std::mt19937_64 random(seed);
    const std::string_view sellers[] = {"acct_staples", "acct_officedepot", "acct_uline",
                                        "acct_a_seller_with_a_long_id",
                                        "acct_a_seller_with_a_lonG_id", "acct_staplez", "",
                                        "acct_lookalike"};
    const std::string_view domains[] = {"staples.com", "www.officedepot.com", "STAPLES.COM.",
                                        "evil.com", "a..officedepot.com"};
    const std::string_view countries[] = {"US", "CA", "US", "CA", "US", "CA", "KP", "FR"};
    const char* codes[] = {"USD", "USD", "USD", "EUR", "JPY"};
    const std::string_view item_categories[] = {"paper", "toner", "gift_card"};
    items.resize(count);
    for (auto& line : items) {
        line.sku = "x";
        line.category = item_categories[random() % 8 == 0 ? 2 : random() % 2];
        line.present = static_cast<std::uint8_t>(item_sku | item_category);
    }
    std::vector<charge> charges(count);
    auto at = std::chrono::sys_days{std::chrono::year{2026} / 11 / 30}.time_since_epoch();
    instant when{std::chrono::duration_cast<duration>(at)};
    for (std::size_t i = 0; i < count; ++i) {
        charge& c = charges[i];
        const auto roll = random() % 100;
        c.amount.unit = *currency::find(codes[random() % 5]);
        c.amount.units = roll < 5 ? static_cast<minor_units>(random() % 10)
                                  : static_cast<minor_units>(random() % 25000);
        if (roll == 99) c.amount.units = -1;
        when += std::chrono::minutes(random() % 50 == 0 ? -3 : static_cast<int>(random() % 40));
        c.at = when;
        c.seller_id = sellers[random() % 8];
        c.seller_domain = domains[random() % 8 < 6 ? random() % 3 : 3 + random() % 2];
        c.seller_country = countries[random() % 8];
        c.seller_category = random() % 4 == 0 ? 5999 : 5111;
        c.items = std::span<const line_item>(&items[i], 1);
        c.present = field_amount | field_at | field_seller_id | field_seller_domain |
                    field_seller_country | field_seller_category | field_items;
        // Now and then a field is missing.
        if (random() % 40 == 0) c.present &= ~static_cast<std::uint32_t>(field_seller_id);
        if (random() % 40 == 0) c.present &= ~static_cast<std::uint32_t>(field_at);
        if (random() % 40 == 0) c.present &= ~static_cast<std::uint32_t>(field_seller_country);
    }
    return charges;
}

void require_checks_agree(const std::string& source, std::string_view arguments,
                          std::uint64_t seed) {
    const auto compiled = compile_ok(source);
    const auto fast = mandate::testing::bind_ok(compiled, "", arguments);
    REQUIRE(fast->image().checks.size() == fast->image().program->steps.size());
    const auto steps = without_checks(*fast);
    budget_state fast_state(*fast);
    budget_state steps_state(*steps);

    std::vector<line_item> items;
    std::size_t approved = 0;
    std::size_t declined = 0;
    for (const charge& c : random_charges(4000, seed, items)) {
        const decision a = authorize(*fast, fast_state, c);
        const decision b = authorize(*steps, steps_state, c);
        require_same(a, b);
        (a.approved ? approved : declined) += 1;
    }
    REQUIRE(encode_state(fast_state) == encode_state(steps_state));
    // The stream reaches both answers, or agreeing would prove little.
    CHECK(approved > 50);
    CHECK(declined > 50);
}

}  // namespace

TEST_CASE("specialised checks decide as the steps do", "[decide-checks]") {
    SECTION("caps, currencies, validity and every kind of window") {
        require_checks_agree(windows_policy, "{}", 1);
        require_checks_agree(windows_policy, R"({"cap": "60.00 USD"})", 2);
    }
    SECTION("domains, categories, countries and conditions") {
        require_checks_agree(conditions_policy, "{}", 3);
    }
}

TEST_CASE("a bound mandate whose steps were edited runs its steps", "[decide-checks]") {
    // Tools that probe one clause copy the image and keep only that step; the
    // checks of the whole mandate must not decide for it.
    const auto compiled = compile_ok(R"(
mandate two() {
  amount <= 10.00 USD
  seller in ["acct_staples"]
}
)");
    const auto mandate = mandate::testing::bind_ok(compiled, "two", "{}");
    auto program = std::make_shared<detail::mandate_program>(*mandate->image().program);
    auto image = std::make_shared<detail::bound_image>(mandate->image());
    program->steps.assign(1, program->steps[1]);
    image->steps.assign(1, mandate->image().steps[1]);
    image->program = program.get();
    const bound_mandate seller_only(image);
    const budget_state state(seller_only);

    charge c;
    c.amount = {5000, *currency::find("USD")};
    c.seller_id = "acct_staples";
    c.present = field_amount | field_seller_id;
    CHECK(decide(seller_only, state, c).approved);  // over the cap, which is not there
    c.seller_id = "acct_other";
    CHECK(decide(seller_only, state, c).code == reason::seller_not_allowed);
}

TEST_CASE("a seller list tells texts apart by every byte", "[decide-checks]") {
    // Short lists compare sizes and the first and last eight bytes before the
    // middle: a text that differs in any one byte, or is cut short, is not listed.
    const std::vector<std::string> listed = {"a", "abcdefg", "abcdefgh", "abcdefghijklmnop",
                                             "abcdefghijklmnopq",
                                             "0123456789_middle_0123456789"};
    for (const std::size_t extra : {std::size_t{0}, std::size_t{5}}) {  // few, then hashed
        detail::value_set set;
        for (const auto& text : listed) set.add_text(text);
        for (std::size_t k = 0; k < extra; ++k) set.add_text("filler_" + std::to_string(k));
        INFO("entries: " << listed.size() + extra);
        CHECK_FALSE(set.contains_text(""));
        for (const auto& text : listed) {
            CHECK(set.contains_text(text));
            CHECK_FALSE(set.contains_text(text.substr(0, text.size() - 1) + "!"));
            for (std::size_t i = 0; i < text.size(); ++i) {
                std::string changed = text;
                changed[i] = static_cast<char>(changed[i] ^ 0x20);
                INFO(changed);
                CHECK_FALSE(set.contains_text(changed));
            }
        }
    }
}
