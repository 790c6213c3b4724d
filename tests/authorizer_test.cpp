// The authorizer: tokens enforcing their mandates, grants and their children,
// the lifecycle, idempotency, concurrency (threads and processes), restarts and
// crashes, and the audit trail.

#include <catch2/catch.hpp>

#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "mandate/authorizer.hpp"
#include "tests/support.hpp"

namespace {

using namespace mandate;

const card_details test_card{"visa", "4242", "credit", 12, 2030};

// A clock the test moves by hand.
struct test_clock {
    std::atomic<std::int64_t> micros{0};

    explicit test_clock(std::string_view start) { set(start); }
    void set(std::string_view at) { micros = parse_rfc3339(at)->time_since_epoch().count(); }
    void advance(duration by) { micros += by.count(); }
    instant now() const { return instant(duration(micros.load())); }
    std::function<instant()> function() {
        return [this] { return now(); };
    }
};

using temp_dir = mandate::testing::scratch_dir;

authorizer_options clocked(test_clock& clock) {
    authorizer_options options;
    options.clock = clock.function();
    return options;
}

std::string charge_json(std::string_view key, std::string_view amount,
                        std::string_view seller = "acct_1", std::string_view currency = "USD") {
    return R"({"id":"ch_)" + std::string(key) + R"(","amount":")" + std::string(amount) +
           R"(","currency":")" + std::string(currency) + R"(","seller":{"id":")" +
           std::string(seller) + R"("},"idempotency_key":")" + std::string(key) + R"("})";
}

// A weekly budget at one seller, with a per-charge cap; grants get a total.
constexpr const char* team_policy = R"(
mandate seller_allowance(merchant: text, cap: money = 50.00 USD, weekly: money = 100.00 USD) {
  seller in [merchant]
  currency USD
  amount <= cap
  budget weekly per week starting monday
}

mandate team_grant(total: money) {
  currency USD
  budget total total
}

mandate one_shot(merchant: text, max: money) {
  seller in [merchant]
  amount <= max
  budget max total
  limit 1 charges total
}

mandate refundable(merchant: text) {
  seller in [merchant]
  budget 100.00 USD total
  refunds restore budget
}
)";

token_request token_for(std::string mandate, std::string arguments, std::string seller,
                        std::string parent = {}) {
    token_request request;
    request.policy_source = team_policy;
    request.policy_file = "team.mandate";
    request.mandate = std::move(mandate);
    request.arguments = std::move(arguments);
    request.seller = std::move(seller);
    request.parent = std::move(parent);
    if (request.parent.empty()) request.card = test_card;
    return request;
}

std::string created(authorizer& auth, const token_request& request) {
    const auto answer = auth.create_token(request);
    INFO(answer.to_json());
    REQUIRE(answer.ok());
    return answer.view.token.id;
}

authorization_answer pay(authorizer& auth, const std::string& token, std::string_view key,
                         std::string_view amount, std::string_view seller = "acct_1") {
    return auth.authorize({token, charge_json(key, amount, seller), {}});
}

money usd(minor_units cents) { return money{cents, *currency::find("USD")}; }

// What a token's first budget clause has spent, as its view reports it.
minor_units spent(authorizer& auth, const std::string& token) {
    const auto shown = auth.show_token(token);
    REQUIRE(shown.ok());
    REQUIRE_FALSE(shown.view.usage.budgets.empty());
    return shown.view.usage.budgets.front().spent.units;
}

std::size_t audit_size(authorizer& auth) { return auth.audit().size(); }

// Each test runs against both ledgers unless it is about SQLite itself.
struct ledger_kind {
    const char* name;
    std::function<std::unique_ptr<ledger>(const temp_dir&)> open;
};

std::vector<ledger_kind> ledger_kinds() {
    return {{"memory", [](const temp_dir&) { return make_memory_ledger(); }},
            {"sqlite", [](const temp_dir& dir) { return open_sqlite_ledger(dir.file("l.db")); }}};
}

}  // namespace

TEST_CASE("a token enforces its mandate and the seller it is granted to", "[authorizer]") {
    for (const auto& kind : ledger_kinds()) {
        SECTION(kind.name) {
            temp_dir dir;
            auto store = kind.open(dir);
            test_clock clock("2026-12-01T10:00:00Z");
            authorizer auth(*store, clocked(clock));
            const auto token =
                created(auth, token_for("seller_allowance", R"({"merchant": "acct_1"})", "acct_1"));
            CHECK(token.rfind("spt_", 0) == 0);
            CHECK(token.size() == 4 + 26);

            const auto approved = pay(auth, token, "k1", "40.00");
            INFO(approved.to_json());
            CHECK(approved.approved);
            CHECK(approved.authorization.rfind("auth_", 0) == 0);
            CHECK(approved.at == clock.now());

            const auto over_cap = pay(auth, token, "k2", "50.01");
            CHECK_FALSE(over_cap.approved);
            CHECK(over_cap.reason == "amount_over_limit");
            CHECK(over_cap.rule == "team.mandate:5:3");
            CHECK(over_cap.declined_by == token);

            CHECK(pay(auth, token, "k3", "50.00").approved);
            const auto over_budget = pay(auth, token, "k4", "10.01");
            CHECK(over_budget.reason == "budget_exceeded");
            CHECK(spent(auth, token) == 9000);

            // A charge from another seller, even one the mandate would allow.
            const auto other = pay(auth, token, "k5", "1.00", "acct_2");
            CHECK(other.reason == "seller_not_allowed");
            CHECK(pay(auth, "spt_doesnotexist", "k6", "1.00").reason == "unknown_token");
            const auto yen = auth.authorize({token, charge_json("k7", "100", "acct_1", "JPY"), {}});
            CHECK(yen.reason == "currency_not_allowed");
            CHECK(spent(auth, token) == 9000);

            // Calendar weeks: next Monday the weekly budget is fresh.
            clock.set("2026-12-07T00:00:00Z");
            CHECK(pay(auth, token, "k8", "50.00").approved);
            CHECK(spent(auth, token) == 5000);
        }
    }
}

TEST_CASE("requests that cannot be decided are refused and change nothing", "[authorizer]") {
    auto store = make_memory_ledger();
    test_clock clock("2026-12-01T10:00:00Z");
    authorizer auth(*store, clocked(clock));
    const auto token =
        created(auth, token_for("seller_allowance", R"({"merchant": "acct_1"})", "acct_1"));
    const std::size_t records = audit_size(auth);

    const auto malformed = auth.authorize({token, R"({"amount": "1.00", )", {}});
    CHECK(malformed.error == refusal::malformed_request);
    const auto no_key = auth.authorize(
        {token, R"({"amount":"1.00","currency":"USD","seller":{"id":"acct_1"}})", {}});
    CHECK(no_key.error == refusal::missing_idempotency_key);
    for (const char* pan : {R"("card": {"number": "4000 0000 0000 0002"})",
                            R"("note": "4242424242424242")", R"("memo": 4242424242424242)"}) {
        const std::string body = R"({"amount":"1.00","currency":"USD","seller":{"id":"acct_1"},)" +
                                 std::string(pan) + R"(,"idempotency_key":"pan"})";
        const auto refused = auth.authorize({token, body, {}});
        INFO(body);
        CHECK(refused.error == refusal::card_number_refused);
        CHECK(refused.to_json().find("4242424242424242") == std::string::npos);
    }
    CHECK(audit_size(auth) == records);
    CHECK(spent(auth, token) == 0);

    // A card with a number is refused before any token exists.
    const auto card = parse_card(R"({"brand":"visa","number":"4242424242424242","last4":"4242"})");
    CHECK_FALSE(card.card);
    CHECK(card.error == refusal::card_number_refused);
    CHECK(parse_card(R"({"brand":"visa","last4":"4242","funding":"credit","exp_month":1,)"
                     R"("exp_year":2031,"cvc":"123"})")
              .error == refusal::card_number_refused);
    const auto good = parse_card(
        R"({"brand":"visa","last4":"4242","funding":"debit","exp_month":1,"exp_year":2031})");
    REQUIRE(good.card);
    CHECK(good.card->funding == "debit");

    auto expired_card = token_for("seller_allowance", R"({"merchant": "acct_1"})", "acct_1");
    expired_card.card = card_details{"visa", "4242", "credit", 11, 2026};
    CHECK(auth.create_token(expired_card).error == refusal::invalid_card);
    auto bad_policy = token_for("seller_allowance", "{}", "acct_1");
    bad_policy.policy_source = "mandate broken { amount <= }";
    const auto broken = auth.create_token(bad_policy);
    CHECK(broken.error == refusal::policy_error);
    CHECK_FALSE(broken.diagnostics.empty());
    CHECK(auth.create_token(token_for("seller_allowance", "{}", "acct_1")).error ==
          refusal::invalid_arguments);
    CHECK(audit_size(auth) == records);
}

TEST_CASE("a retried authorization returns the first answer and counts once", "[authorizer]") {
    auto store = make_memory_ledger();
    test_clock clock("2026-12-01T10:00:00Z");
    authorizer auth(*store, clocked(clock));
    const auto token =
        created(auth, token_for("seller_allowance", R"({"merchant": "acct_1"})", "acct_1"));

    const auto first = pay(auth, token, "retry", "30.00");
    REQUIRE(first.approved);
    CHECK_FALSE(first.replayed);
    clock.advance(std::chrono::minutes(5));
    const auto again = pay(auth, token, "retry", "30.00");
    CHECK(again.approved);
    CHECK(again.replayed);
    CHECK(again.authorization == first.authorization);
    CHECK(again.at == first.at);
    CHECK(spent(auth, token) == 3000);

    const auto conflict = pay(auth, token, "retry", "31.00");
    CHECK(conflict.error == refusal::idempotency_conflict);
    CHECK(spent(auth, token) == 3000);

    // Declines are answers too: the retry sees the same decline even after the
    // budget frees up.
    const auto declined = pay(auth, token, "big", "80.00");
    REQUIRE(declined.reason == "amount_over_limit");
    const auto declined_again = pay(auth, token, "big", "80.00");
    CHECK(declined_again.replayed);
    CHECK(declined_again.reason == "amount_over_limit");

    // Lifecycle requests are idempotent as well.
    const lifecycle_request capture{first.authorization, "20.00", "cap-1", {}, {}};
    const auto captured = auth.capture(capture);
    REQUIRE(captured.ok());
    const auto captured_again = auth.capture(capture);
    CHECK(captured_again.replayed);
    CHECK(captured_again.amount == captured.amount);
    CHECK(spent(auth, token) == 2000);
    CHECK(auth.capture({first.authorization, "10.00", "cap-1", {}, {}}).error ==
          refusal::idempotency_conflict);
}

TEST_CASE("a child counts against its grant, and the grant's limit binds", "[authorizer]") {
    for (const auto& kind : ledger_kinds()) {
        SECTION(kind.name) {
            temp_dir dir;
            auto store = kind.open(dir);
            test_clock clock("2026-12-01T10:00:00Z");
            authorizer auth(*store, clocked(clock));
            const auto grant =
                created(auth, token_for("team_grant", R"({"total": "120.00 USD"})", "*"));
            const auto child_1 = created(
                auth, token_for("seller_allowance", R"({"merchant": "acct_1"})", "acct_1", grant));
            const auto child_2 = created(
                auth, token_for("seller_allowance", R"({"merchant": "acct_2"})", "acct_2", grant));

            // A child cannot be minted for a seller its grant does not cover.
            const auto narrow = created(
                auth, token_for("seller_allowance", R"({"merchant": "acct_1"})", "acct_1", grant));
            auto wrong =
                token_for("seller_allowance", R"({"merchant": "acct_2"})", "acct_2", narrow);
            CHECK(auth.create_token(wrong).error == refusal::invalid_state);

            // A grant for "*" cannot be charged itself.
            CHECK(pay(auth, grant, "g", "1.00").reason == "seller_not_allowed");
            CHECK(pay(auth, child_1, "a", "50.00").approved);
            CHECK(pay(auth, child_2, "b", "50.00", "acct_2").approved);
            CHECK(spent(auth, grant) == 10000);

            // The child has room (50 of 100 this week) but the grant has 20 left.
            const auto over = pay(auth, child_1, "c", "30.00");
            CHECK(over.reason == "budget_exceeded");
            CHECK(over.declined_by == grant);
            CHECK(spent(auth, child_1) == 5000);
            CHECK(pay(auth, child_1, "d", "20.00").approved);
            CHECK(spent(auth, grant) == 12000);
            const auto shown = auth.show_token(grant);
            CHECK(shown.view.children == std::vector<std::string>{child_1, child_2, narrow});
            CHECK(shown.view.token.status == token_status::consumed);
            REQUIRE(shown.view.limits.max_amount);
            CHECK(*shown.view.limits.max_amount == usd(12000));

            // Revoking the grant stops every child, and it mints no more.
            const auto revoked = auth.revoke_token(grant);
            REQUIRE(revoked.ok());
            CHECK(auth.show_token(child_2).view.token.status == token_status::revoked);
            CHECK(auth.show_token(child_2).view.token.status_reason == "parent_revoked");
            CHECK(pay(auth, child_2, "e", "1.00", "acct_2").reason == "token_revoked");
            CHECK(auth.create_token(token_for("seller_allowance", R"({"merchant": "acct_1"})",
                                              "acct_1", grant))
                      .error == refusal::invalid_state);
        }
    }
}

TEST_CASE("renewal mints a fresh child each period under one grant", "[authorizer]") {
    auto store = make_memory_ledger();
    test_clock clock("2026-12-01T10:00:00Z");
    authorizer auth(*store, clocked(clock));
    const auto grant = created(auth, token_for("team_grant", R"({"total": "250.00 USD"})", "*"));
    auto request = token_for("seller_allowance",
                             R"({"merchant": "acct_1", "weekly": "100.00 USD"})", "acct_1", grant);
    request.lifetime = std::chrono::hours(24 * 7);
    std::string child = created(auth, request);

    for (int week = 0; week < 3; ++week) {
        INFO("week " << week);
        CHECK(pay(auth, child, "w" + std::to_string(week) + "a", "50.00").approved);
        CHECK(pay(auth, child, "w" + std::to_string(week) + "b", "50.00").approved == (week < 2));
        if (week == 2) break;
        clock.advance(std::chrono::hours(24 * 7));
        // The week is over: the child has expired.
        CHECK(pay(auth, child, "late" + std::to_string(week), "1.00").reason == "token_expired");
        const auto renewed = auth.renew_token(child);
        REQUIRE(renewed.ok());
        CHECK(renewed.view.token.id != child);
        CHECK(renewed.view.token.parent == grant);
        CHECK(renewed.view.token.expires_at == clock.now() + std::chrono::hours(24 * 7));
        child = renewed.view.token.id;
    }
    // 50 + 50, 50 + 50, then 50 and the grant's 250 is reached: the grant is
    // consumed, and nothing under it can pay or renew.
    CHECK(spent(auth, grant) == 25000);
    CHECK(auth.show_token(grant).view.token.status == token_status::consumed);
    const auto last = pay(auth, child, "after", "1.00");
    CHECK(last.reason == "token_consumed");
    CHECK(last.declined_by == grant);
    CHECK(auth.renew_token(child).error == refusal::invalid_state);
    CHECK(auth.renew_token(grant).error == refusal::invalid_state);
}

TEST_CASE("capture, reverse, refund and expiry move the budget", "[authorizer]") {
    auto store = make_memory_ledger();
    test_clock clock("2026-12-01T10:00:00Z");
    authorizer auth(*store, clocked(clock));
    const auto token =
        created(auth, token_for("seller_allowance", R"({"merchant": "acct_1"})", "acct_1"));

    const auto held = pay(auth, token, "h1", "40.00");
    REQUIRE(held.approved);
    CHECK(auth.capture({held.authorization, "40.01", "c0", {}, {}}).error ==
          refusal::invalid_amount);
    CHECK(auth.capture({held.authorization, "1.00 EUR", "c0b", {}, {}}).error ==
          refusal::invalid_amount);
    const auto partial = auth.capture({held.authorization, "30.00", "c1", {}, {}});
    REQUIRE(partial.ok());
    CHECK(partial.amount == usd(3000));
    CHECK(partial.released == usd(1000));
    CHECK(partial.record.status == hold_status::captured);
    CHECK(spent(auth, token) == 3000);
    CHECK(auth.capture({held.authorization, {}, "c2", {}, {}}).error == refusal::invalid_state);
    CHECK(auth.reverse({held.authorization, {}, "r0", {}, {}}).error == refusal::invalid_state);

    const auto second = pay(auth, token, "h2", "20.00");
    REQUIRE(second.approved);
    CHECK(spent(auth, token) == 5000);
    const auto reversed = auth.reverse({second.authorization, {}, "r1", {}, {}});
    REQUIRE(reversed.ok());
    CHECK(reversed.record.status == hold_status::reversed);
    CHECK(spent(auth, token) == 3000);
    CHECK(auth.refund({second.authorization, {}, "f0", {}, {}}).error == refusal::invalid_state);

    // Refunds leave the budget alone unless the mandate says otherwise.
    const auto refunded = auth.refund({held.authorization, "10.00", "f1", {}, {}});
    REQUIRE(refunded.ok());
    CHECK(refunded.released == usd(0));
    CHECK(spent(auth, token) == 3000);
    CHECK(auth.refund({held.authorization, "20.01", "f2", {}, {}}).error ==
          refusal::invalid_amount);
    CHECK(auth.refund({held.authorization, {}, "f3", {}, {}}).amount == usd(2000));

    const auto shop = created(auth, token_for("refundable", R"({"merchant": "acct_1"})", "acct_1"));
    const auto bought = pay(auth, shop, "s1", "60.00");
    REQUIRE(auth.capture({bought.authorization, {}, "s1c", {}, {}}).ok());
    const auto back = auth.refund({bought.authorization, "25.00", "s1r", {}, {}});
    CHECK(back.released == usd(2500));
    CHECK(spent(auth, shop) == 3500);

    // A hold never captured is released after the hold lifetime.
    const auto forgotten = pay(auth, token, "h3", "10.00");
    REQUIRE(forgotten.approved);
    CHECK(spent(auth, token) == 4000);
    clock.advance(std::chrono::hours(24 * 2));
    CHECK(auth.expire_holds().empty());
    clock.advance(std::chrono::hours(24 * 5));
    CHECK(auth.capture({forgotten.authorization, {}, "late", {}, {}}).error ==
          refusal::invalid_state);
    const auto expired = auth.expire_holds();
    REQUIRE(expired.size() == 1);
    CHECK(expired[0].id == forgotten.authorization);
    CHECK(auth.find_authorization(forgotten.authorization)->status == hold_status::expired);
    // The week the hold counted in has ended: nothing of it is left to release.
    const auto usage = auth.show_token(token).view.usage;
    CHECK(usage.held == usd(0));
    CHECK(usage.captured == usd(3000));
    CHECK(usage.refunded == usd(3000));
}

TEST_CASE("a token whose lifetime budget is spent is consumed", "[authorizer]") {
    auto store = make_memory_ledger();
    test_clock clock("2026-12-01T10:00:00Z");
    authorizer auth(*store, clocked(clock));
    const auto token = created(
        auth, token_for("one_shot", R"({"merchant": "acct_1", "max": "25.00 USD"})", "acct_1"));
    const auto view = auth.show_token(token).view;
    REQUIRE(view.limits.max_amount);
    CHECK(*view.limits.max_amount == usd(2500));
    CHECK(view.limits.per_charge == usd(2500));
    const std::string seller_view = view.to_json(true);
    CHECK(seller_view.find("\"max_amount\":2500") != std::string::npos);
    CHECK(seller_view.find("arguments") == std::string::npos);
    CHECK(seller_view.find("\"last4\":\"4242\"") != std::string::npos);

    const auto bought = pay(auth, token, "once", "12.00");
    REQUIRE(bought.approved);
    CHECK(auth.show_token(token).view.token.status == token_status::consumed);
    CHECK(pay(auth, token, "twice", "1.00").reason == "token_consumed");
    // A reversed hold means the charge never happened: the token is usable again.
    REQUIRE(auth.reverse({bought.authorization, {}, "undo", {}, {}}).ok());
    CHECK(auth.show_token(token).view.token.status == token_status::active);
    CHECK(pay(auth, token, "again", "25.00").approved);
}

TEST_CASE("concurrent authorizations never approve more than the budget", "[authorizer]") {
    for (const auto& kind : ledger_kinds()) {
        SECTION(kind.name) {
            temp_dir dir;
            auto store = kind.open(dir);
            authorizer auth(*store);
            const auto token =
                created(auth, token_for("team_grant", R"({"total": "100.00 USD"})", "*"));
            const auto child =
                created(auth, token_for("seller_allowance",
                                        R"({"merchant": "acct_1", "weekly": "1000.00 USD"})",
                                        "acct_1", token));
            constexpr int threads = 4;
            constexpr int each = 60;
            std::atomic<int> approved{0};
            std::vector<std::thread> workers;
            for (int t = 0; t < threads; ++t) {
                workers.emplace_back([&, t] {
                    for (int i = 0; i < each; ++i) {
                        const auto key = "t" + std::to_string(t) + "_" + std::to_string(i);
                        if (pay(auth, child, key, "1.00").approved) ++approved;
                        // Every tenth request is a retry of the one before.
                        if (i % 10 == 9) pay(auth, child, key, "1.00");
                    }
                });
            }
            for (auto& w : workers) w.join();
            CHECK(approved == 100);
            CHECK(spent(auth, token) == 10000);
            CHECK(auth.verify_audit().ok());
        }
    }
}

TEST_CASE("processes sharing one ledger file never over-spend", "[authorizer][process]") {
    temp_dir dir;
    const std::string file = dir.file("shared.db");
    std::string token;
    {
        auto store = open_sqlite_ledger(file);
        authorizer auth(*store);
        token = created(auth, token_for("team_grant", R"({"total": "100.00 USD"})", "*"));
        token = created(
            auth, token_for("seller_allowance",
                            R"({"merchant": "acct_1", "weekly": "1000.00 USD"})", "acct_1", token));
    }
    constexpr int processes = 3;
    constexpr int each = 60;
    std::vector<pid_t> children;
    for (int p = 0; p < processes; ++p) {
        const pid_t pid = ::fork();
        REQUIRE(pid >= 0);
        if (pid == 0) {
            int approved = 0;
            try {
                auto store = open_sqlite_ledger(file);
                authorizer auth(*store);
                for (int i = 0; i < each; ++i) {
                    const auto key = "p" + std::to_string(p) + "_" + std::to_string(i);
                    const auto answer = auth.authorize({token, charge_json(key, "1.00"), {}});
                    if (!answer.ok()) ::_exit(200);
                    approved += answer.approved ? 1 : 0;
                }
            } catch (...) {
                ::_exit(201);
            }
            ::_exit(approved);
        }
        children.push_back(pid);
    }
    int approved = 0;
    for (const pid_t pid : children) {
        int status = 0;
        REQUIRE(::waitpid(pid, &status, 0) == pid);
        REQUIRE(WIFEXITED(status));
        const int code = WEXITSTATUS(status);
        REQUIRE(code <= each);
        approved += code;
    }
    CHECK(approved == 100);
    auto store = open_sqlite_ledger(file);
    authorizer auth(*store);
    CHECK(spent(auth, token) == 10000);
    CHECK(auth.show_token(token).view.usage.authorizations == 100);
    CHECK(auth.verify_audit().ok());
}

TEST_CASE("the ledger survives a restart, windows included", "[authorizer]") {
    temp_dir dir;
    const std::string file = dir.file("restart.db");
    test_clock clock("2026-12-01T10:00:00Z");
    std::string token;
    std::string hold;
    {
        auto store = open_sqlite_ledger(file);
        authorizer auth(*store, clocked(clock));
        token = created(auth, token_for("seller_allowance", R"({"merchant": "acct_1"})", "acct_1"));
        CHECK(pay(auth, token, "a", "50.00").approved);
        const auto second = pay(auth, token, "b", "40.00");
        REQUIRE(second.approved);
        hold = second.authorization;
    }
    {
        auto store = open_sqlite_ledger(file);
        authorizer auth(*store, clocked(clock));
        CHECK(spent(auth, token) == 9000);
        CHECK(pay(auth, token, "c", "10.01").reason == "budget_exceeded");
        CHECK(pay(auth, token, "a", "50.00").replayed);
        REQUIRE(auth.capture({hold, "30.00", "cap", {}, {}}).ok());
        CHECK(spent(auth, token) == 8000);
    }
    clock.set("2026-12-08T09:00:00Z");  // the next Tuesday: a new week
    {
        auto store = open_sqlite_ledger(file);
        authorizer auth(*store, clocked(clock));
        CHECK(spent(auth, token) == 0);
        CHECK(pay(auth, token, "d", "50.00").approved);
        CHECK(spent(auth, token) == 5000);
        CHECK(auth.verify_audit().ok());
    }
}

TEST_CASE("killing the process mid-stream loses no answered approval", "[authorizer][process]") {
    temp_dir dir;
    const std::string file = dir.file("crash.db");
    std::string token;
    {
        auto store = open_sqlite_ledger(file);
        authorizer auth(*store);
        token =
            created(auth, token_for("seller_allowance",
                                    R"({"merchant": "acct_1", "weekly": "300.00 USD"})", "acct_1"));
    }
    int pipe_fds[2];
    REQUIRE(::pipe(pipe_fds) == 0);
    const pid_t pid = ::fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
        ::close(pipe_fds[0]);
        try {
            auto store = open_sqlite_ledger(file);
            authorizer auth(*store);
            for (int i = 0; i < 100000; ++i) {
                const auto answer =
                    auth.authorize({token, charge_json(std::to_string(i), "0.07"), {}});
                // Tell the parent only once the answer is durable, as a client would hear it.
                const std::string line = (answer.approved ? answer.authorization : "-") + "\n";
                if (::write(pipe_fds[1], line.data(), line.size()) < 0) ::_exit(2);
            }
        } catch (...) {
            ::_exit(3);
        }
        ::_exit(0);
    }
    ::close(pipe_fds[1]);
    // Read answers for a while, then kill the writer without warning.
    std::string received;
    char buffer[4096];
    while (std::count(received.begin(), received.end(), '\n') < 300) {
        const ssize_t n = ::read(pipe_fds[0], buffer, sizeof buffer);
        if (n <= 0) break;
        received.append(buffer, static_cast<std::size_t>(n));
    }
    ::kill(pid, SIGKILL);
    int status = 0;
    ::waitpid(pid, &status, 0);
    ::close(pipe_fds[0]);

    std::vector<std::string> answered;
    std::size_t start = 0;
    for (std::size_t end; (end = received.find('\n', start)) != std::string::npos;
         start = end + 1) {
        const std::string line = received.substr(start, end - start);
        if (line != "-") answered.push_back(line);
    }
    REQUIRE(answered.size() >= 200);

    auto store = open_sqlite_ledger(file);
    authorizer auth(*store);
    for (const auto& id : answered) {
        const auto hold = auth.find_authorization(id);
        REQUIRE(hold);
        CHECK(hold->status == hold_status::held);
    }
    const auto view = auth.show_token(token).view;
    // Every approval in the ledger is in the budget, and the budget is not over-spent.
    CHECK(view.usage.authorizations >= static_cast<std::int64_t>(answered.size()));
    CHECK(view.usage.budgets.front().spent.units == 7 * view.usage.authorizations);
    CHECK(view.usage.held.units == 7 * view.usage.authorizations);
    CHECK(view.usage.budgets.front().spent.units <= 30000);
    CHECK(auth.verify_audit().ok());
    // The ledger carries on where it stopped.
    CHECK(pay(auth, token, "after-crash", "0.07").approved);
}

TEST_CASE("the audit trail records everything and detects tampering", "[authorizer][audit]") {
    temp_dir dir;
    const std::string file = dir.file("audit.db");
    test_clock clock("2026-12-01T10:00:00Z");
    {
        auto store = open_sqlite_ledger(file);
        authorizer auth(*store, clocked(clock));
        const auto grant =
            created(auth, token_for("team_grant", R"({"total": "100.00 USD"})", "*"));
        auto request = token_for("seller_allowance", R"({"merchant": "acct_1"})", "acct_1", grant);
        request.lifetime = std::chrono::hours(24);
        const auto child = created(auth, request);
        const auto ok = pay(auth, child, "a", "10.00");
        pay(auth, child, "b", "99.00");
        REQUIRE(auth.capture({ok.authorization, "5.00", "c", {}, {}}).ok());
        REQUIRE(auth.refund({ok.authorization, {}, "r", {}, {}}).ok());
        const auto renewed = auth.renew_token(child);
        REQUIRE(auth.revoke_token(grant).ok());

        const auto entries = auth.audit();
        std::vector<std::string> actions;
        for (const auto& e : entries) actions.push_back(e.action);
        CHECK(actions == std::vector<std::string>{"token.create", "token.grant", "authorize",
                                                  "authorize", "capture", "refund", "token.renew",
                                                  "token.revoke"});
        CHECK(entries[3].outcome.find("amount_over_limit") != std::string::npos);
        CHECK(entries[3].actor == "seller:acct_1");
        CHECK(entries[2].policy_hash == sha256_hex(team_policy));
        audit_filter by_token;
        by_token.token = child;
        CHECK(auth.audit(by_token).size() == 5);
        audit_filter by_seller;
        by_seller.seller = "acct_1";
        CHECK(auth.audit(by_seller).size() == 6);
        CHECK(auth.verify_audit().ok());
        CHECK(auth.verify_audit().checked() == 8);
    }

    // Edit one record's outcome behind the ledger's back.
    sqlite3* db = nullptr;
    REQUIRE(sqlite3_open(file.c_str(), &db) == SQLITE_OK);
    REQUIRE(sqlite3_exec(db,
                         "UPDATE audit SET outcome = replace(outcome, 'decline', 'approve') "
                         "WHERE sequence = 4",
                         nullptr, nullptr, nullptr) == SQLITE_OK);
    CHECK(sqlite3_changes(db) == 1);
    sqlite3_close(db);

    auto store = open_sqlite_ledger(file);
    authorizer auth(*store, clocked(clock));
    const auto verdict = auth.verify_audit();
    CHECK_FALSE(verdict.ok());
    CHECK(verdict.first_bad() == 4);
}

TEST_CASE("a reversal releases its own charge, not another at the same time", "[authorizer]") {
    auto store = make_memory_ledger();
    // The clock stands still: both holds are counted at the same instant.
    test_clock clock("2026-12-01T10:00:00Z");
    authorizer auth(*store, clocked(clock));
    token_request request = token_for("refundable", R"({"merchant": "acct_1"})", "acct_1");
    request.policy_source = R"(
mandate hourly(merchant: text) {
  seller in [merchant]
  budget 100.00 USD per rolling 1h
}
)";
    request.mandate = "hourly";
    const auto token = created(auth, request);
    const auto big = pay(auth, token, "big", "90.00");
    const auto small = pay(auth, token, "small", "10.00");
    REQUIRE(big.approved);
    REQUIRE(small.approved);
    REQUIRE(big.at == small.at);
    const auto reversed = auth.reverse({small.authorization, {}, "undo", {}, {}});
    REQUIRE(reversed.ok());
    CHECK(reversed.released == usd(1000));
    CHECK(spent(auth, token) == 9000);
    CHECK(pay(auth, token, "again", "90.00").reason == "budget_exceeded");
    CHECK(pay(auth, token, "fits", "10.00").approved);

    // A partial capture leaves the rest of its own charge only.
    clock.advance(std::chrono::hours(2));
    const auto a = pay(auth, token, "a", "30.00");
    const auto b = pay(auth, token, "b", "30.00");
    REQUIRE(auth.capture({a.authorization, "20.00", "cap-a", {}, {}}).released == usd(1000));
    REQUIRE(auth.reverse({b.authorization, {}, "rev-b", {}, {}}).released == usd(3000));
    CHECK(spent(auth, token) == 2000);
}

TEST_CASE("nothing but a seller-scoped shared payment token can be charged", "[authorizer]") {
    auto store = make_memory_ledger();
    test_clock clock("2026-12-01T10:00:00Z");
    authorizer auth(*store, clocked(clock));
    const auto grant = created(auth, token_for("team_grant", R"({"total": "100.00 USD"})", "*"));
    CHECK(pay(auth, grant, "star", "1.00", "*").reason == "seller_not_allowed");
    CHECK(pay(auth, "", "empty", "1.00").reason == "unknown_token");

    // The state `check` keeps is not a token, whatever its id.
    check_request check;
    check.policy_source = team_policy;
    check.policy_file = "team.mandate";
    check.mandate = "team_grant";
    check.arguments = R"({"total": "100.00 USD"})";
    check.charge = R"({"id": "c1", "amount": "1.00", "currency": "USD"})";
    REQUIRE(auth.check(check).approved);
    const std::string state_id = "chk_" + sha256_hex(sha256_hex(team_policy) + "\nteam_grant\n" +
                                                     R"({"total":"100.00 USD"})")
                                              .substr(0, 26);
    CHECK(pay(auth, state_id, "chk", "1.00", "*").reason == "unknown_token");
    auto child = token_for("seller_allowance", R"({"merchant": "acct_1"})", "acct_1", state_id);
    CHECK(auth.create_token(child).error == refusal::not_found);

    // Deep JSON is refused before it is parsed.
    const std::string deep = R"({"amount":"1.00","currency":"USD","seller":{"id":"acct_1"},)"
                             R"("idempotency_key":"deep","x":)" +
                             std::string(100000, '[') + std::string(100000, ']') + "}";
    CHECK(auth.authorize({grant, deep, {}}).error == refusal::malformed_request);
    auto nested = token_for("team_grant", "{\"total\": " + std::string(5000, '[') + "}", "*");
    CHECK(auth.create_token(nested).error == refusal::invalid_arguments);
}

TEST_CASE("grants nest at most 15 deep, and a consumed child does not renew", "[authorizer]") {
    auto store = make_memory_ledger();
    test_clock clock("2026-12-01T10:00:00Z");
    authorizer auth(*store, clocked(clock));
    std::string parent = created(auth, token_for("team_grant", R"({"total": "100.00 USD"})", "*"));
    for (int depth = 1; depth <= 15; ++depth) {
        parent = created(auth, token_for("team_grant", R"({"total": "100.00 USD"})", "*", parent));
    }
    CHECK(auth.create_token(token_for("team_grant", R"({"total": "100.00 USD"})", "*", parent))
              .error == refusal::invalid_state);
    const auto leaf = created(
        auth, token_for("one_shot", R"({"merchant": "acct_1", "max": "5.00 USD"})", "acct_1",
                        created(auth, token_for("team_grant", R"({"total": "9.00 USD"})", "*"))));
    REQUIRE(pay(auth, leaf, "once", "5.00").approved);
    CHECK(auth.show_token(leaf).view.token.status == token_status::consumed);
    CHECK(auth.renew_token(leaf).error == refusal::invalid_state);
}

TEST_CASE("one token that cannot be read does not refuse the rest of its batch", "[authorizer]") {
    temp_dir dir;
    const std::string file = dir.file("poison.db");
    std::string good;
    std::string broken;
    {
        auto store = open_sqlite_ledger(file);
        authorizer auth(*store);
        good = created(auth, token_for("seller_allowance", R"({"merchant": "acct_1"})", "acct_1"));
        broken =
            created(auth, token_for("seller_allowance", R"({"merchant": "acct_1"})", "acct_1"));
        REQUIRE(pay(auth, broken, "first", "1.00").approved);
    }
    sqlite3* db = nullptr;
    REQUIRE(sqlite3_open(file.c_str(), &db) == SQLITE_OK);
    const std::string corrupt =
        "UPDATE states SET bytes = x'00', version = version + 1 "
        "WHERE token = '" +
        broken + "'";
    REQUIRE(sqlite3_exec(db, corrupt.c_str(), nullptr, nullptr, nullptr) == SQLITE_OK);
    sqlite3_close(db);

    auto store = open_sqlite_ledger(file);
    authorizer auth(*store);
    const std::vector<authorization_request> batch = {{good, charge_json("g1", "1.00"), {}},
                                                      {broken, charge_json("b1", "1.00"), {}},
                                                      {good, charge_json("g2", "1.00"), {}}};
    const auto answers = auth.authorize_all(batch);
    CHECK(answers[0].approved);
    CHECK(answers[1].error == refusal::ledger_unavailable);
    CHECK(answers[2].approved);
    CHECK(spent(auth, good) == 200);
}

TEST_CASE("stored answers and policies stay as they were first written", "[authorizer]") {
    auto store = make_memory_ledger();
    test_clock clock("2026-12-01T10:00:00Z");
    authorizer auth(*store, clocked(clock));
    const auto first =
        created(auth, token_for("seller_allowance", R"({"merchant": "acct_1"})", "acct_1"));
    auto renamed = token_for("seller_allowance", R"({"merchant": "acct_2"})", "acct_2");
    renamed.policy_file = "copy.mandate";
    created(auth, renamed);
    CHECK(pay(auth, first, "over", "60.00").rule == "team.mandate:5:3");

    const auto held = pay(auth, first, "h", "20.00");
    const lifecycle_request capture{held.authorization, {}, "cap", {}, {}};
    REQUIRE(auth.capture(capture).record.refunded == 0);
    REQUIRE(auth.refund({held.authorization, "4.00", "ref", {}, {}}).ok());
    const auto replayed = auth.capture(capture);
    CHECK(replayed.replayed);
    CHECK(replayed.record.refunded == 0);
    CHECK(replayed.record.status == hold_status::captured);

    // Another seller cannot act on the hold, and learns nothing from trying.
    const auto other = auth.refund({held.authorization, {}, "steal", {}, "acct_2"});
    CHECK(other.error == refusal::not_found);
    CHECK(auth.refund({held.authorization, "1.00", "mine", {}, "acct_1"}).ok());
}

namespace {

// Rows of one table of an SQLite ledger, read beside the open ledger.
std::int64_t sqlite_rows(const std::string& file, const std::string& sql) {
    sqlite3* db = nullptr;
    REQUIRE(sqlite3_open_v2(file.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK);
    sqlite3_stmt* statement = nullptr;
    REQUIRE(sqlite3_prepare_v2(db, sql.c_str(), -1, &statement, nullptr) == SQLITE_OK);
    REQUIRE(sqlite3_step(statement) == SQLITE_ROW);
    const std::int64_t rows = sqlite3_column_int64(statement, 0);
    sqlite3_finalize(statement);
    sqlite3_close(db);
    return rows;
}

void sqlite_execute(const std::string& file, const std::string& sql) {
    sqlite3* db = nullptr;
    REQUIRE(sqlite3_open(file.c_str(), &db) == SQLITE_OK);
    char* error = nullptr;
    const int result = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &error);
    INFO(sql << ": " << (error != nullptr ? error : ""));
    sqlite3_free(error);
    sqlite3_close(db);
    REQUIRE(result == SQLITE_OK);
}

}  // namespace

TEST_CASE("card numbers in keys and reasons are refused and change nothing", "[authorizer]") {
    temp_dir dir;
    const std::string file = dir.file("cards.db");
    auto store = open_sqlite_ledger(file);
    test_clock clock("2026-12-01T10:00:00Z");
    authorizer auth(*store, clocked(clock));
    const auto grant = created(auth, token_for("team_grant", R"({"total": "100.00 USD"})", "*"));
    auto child_request =
        token_for("seller_allowance", R"({"merchant": "acct_1"})", "acct_1", grant);
    const auto child = created(auth, child_request);
    const auto held = pay(auth, child, "h", "10.00");
    REQUIRE(held.approved);
    const auto captured = pay(auth, child, "c", "5.00");
    REQUIRE(auth.capture({captured.authorization, {}, "cap", {}, {}}).ok());

    const std::size_t records = audit_size(auth);
    const auto responses = [&] { return sqlite_rows(file, "SELECT COUNT(*) FROM responses"); };
    const std::int64_t stored = responses();
    const std::string pan = "4242424242424242";
    const auto refused = [&](const std::string& code, const std::string& answer) {
        INFO(answer);
        CHECK(code == refusal::card_number_refused);
        CHECK(answer.find(pan) == std::string::npos);
    };

    auto keyed = child_request;
    keyed.idempotency_key = "order " + pan;
    const auto create = auth.create_token(keyed);
    refused(create.error, create.to_json());
    const auto revoke = auth.revoke_token(child, "card " + pan);
    refused(revoke.error, revoke.to_json());
    const auto revoke_keyed = auth.revoke_token(revoke_request{child, "requested", pan, "owner"});
    refused(revoke_keyed.error, revoke_keyed.to_json());
    const auto renew = auth.renew_token(renew_request{child, "renew " + pan, "owner"});
    refused(renew.error, renew.to_json());
    const auto capture = auth.capture({held.authorization, {}, "cap " + pan, {}, {}});
    refused(capture.error, capture.to_json());
    const auto reverse = auth.reverse({held.authorization, {}, pan, {}, {}});
    refused(reverse.error, reverse.to_json());
    const auto refund = auth.refund({captured.authorization, {}, "refund-" + pan, {}, {}});
    refused(refund.error, refund.to_json());
    // A card number where the token id goes would be kept as an unknown token's id.
    const auto as_token = auth.authorize({pan, charge_json("t", "1.00"), {}});
    refused(as_token.error, as_token.to_json());

    CHECK(audit_size(auth) == records);
    CHECK(responses() == stored);
    CHECK(auth.show_token(child).view.token.status == token_status::active);
    CHECK(auth.show_token(grant).view.children == std::vector<std::string>{child});
    CHECK(auth.find_authorization(held.authorization)->status == hold_status::held);
    CHECK(auth.find_authorization(captured.authorization)->refunded == 0);
}

TEST_CASE("a token view reports its status as of now and writes nothing", "[authorizer]") {
    auto store = make_memory_ledger();
    test_clock clock("2026-12-01T10:00:00Z");
    authorizer auth(*store, clocked(clock));
    const auto stored_status = [&](const std::string& id) {
        token_status status{};
        store->transact([&](ledger_transaction& tx) { status = tx.find_token(id)->status; });
        return status;
    };

    // The token's own lifetime.
    auto hourly = token_for("seller_allowance", R"({"merchant": "acct_1"})", "acct_1");
    hourly.lifetime = std::chrono::hours(1);
    const auto short_lived = created(auth, hourly);
    const instant ends = clock.now() + std::chrono::hours(1);

    // The mandate's validity.
    token_request dated = token_for("seller_allowance", "{}", "acct_1");
    dated.policy_source = R"(
mandate until_noon(merchant: text) {
  seller in [merchant]
  valid until 2026-12-01T12:00:00Z
}
)";
    dated.mandate = "until_noon";
    dated.arguments = R"({"merchant": "acct_1"})";
    const auto until_noon = created(auth, dated);

    // A grant's lifetime: its child has none of its own.
    auto daily_grant = token_for("team_grant", R"({"total": "100.00 USD"})", "*");
    daily_grant.lifetime = std::chrono::hours(3);
    const auto grant = created(auth, daily_grant);
    const auto child =
        created(auth, token_for("seller_allowance", R"({"merchant": "acct_1"})", "acct_1", grant));
    const std::size_t records = audit_size(auth);

    for (const auto& id : {short_lived, until_noon, grant, child}) {
        CHECK(auth.show_token(id).view.token.status == token_status::active);
    }

    clock.set("2026-12-01T12:30:00Z");
    const auto lapsed = auth.show_token(short_lived).view.token;
    CHECK(lapsed.status == token_status::expired);
    CHECK(lapsed.status_reason == "token lifetime ended");
    CHECK(lapsed.status_at == ends);
    const auto noon = auth.show_token(until_noon).view.token;
    CHECK(noon.status == token_status::expired);
    CHECK(noon.status_reason == "mandate validity ended");
    CHECK(noon.status_at == *parse_rfc3339("2026-12-01T12:00:00Z"));
    const std::string seller_view = auth.show_token(until_noon).view.to_json(true);
    CHECK(seller_view.find(R"("status":"expired")") != std::string::npos);
    CHECK(seller_view.find(R"("deactivated_at":"2026-12-01T12:00:00Z")") != std::string::npos);
    CHECK(auth.show_token(child).view.token.status == token_status::active);

    clock.set("2026-12-01T13:00:00Z");
    CHECK(auth.show_token(grant).view.token.status == token_status::expired);
    const auto orphan = auth.show_token(child).view;
    CHECK(orphan.token.status == token_status::expired);
    CHECK(orphan.token.status_reason == "parent_expired");
    CHECK(orphan.token.status_at == *parse_rfc3339("2026-12-01T13:00:00Z"));
    CHECK(orphan.to_json(true).find(grant) == std::string::npos);

    // Only looked at: the ledger still says active, and the trail is as it was.
    for (const auto& id : {short_lived, until_noon, grant, child}) {
        CHECK(stored_status(id) == token_status::active);
    }
    CHECK(audit_size(auth) == records);
    // A charge finds the same, and declines for the grant.
    const auto declined = pay(auth, child, "late", "1.00");
    CHECK(declined.reason == "token_expired");
    CHECK(declined.declined_by == grant);
}

TEST_CASE("the seller's limits are the tightest of the token and its grants", "[authorizer]") {
    auto store = make_memory_ledger();
    test_clock clock("2026-12-01T10:00:00Z");
    authorizer auth(*store, clocked(clock));
    auto small_grant = token_for("team_grant", R"({"total": "10.00 USD"})", "*");
    small_grant.lifetime = std::chrono::hours(48);
    const auto grant = created(auth, small_grant);
    auto request = token_for("seller_allowance", R"({"merchant": "acct_1"})", "acct_1", grant);
    request.lifetime = std::chrono::hours(24 * 7);
    const auto child = created(auth, request);

    const auto view = auth.show_token(child).view;
    REQUIRE(view.limits.max_amount);
    CHECK(*view.limits.max_amount == usd(1000));
    CHECK(view.limits.per_charge == usd(1000));
    CHECK(view.limits.unit == currency::find("USD"));
    CHECK(view.limits.expires_at == clock.now() + std::chrono::hours(48));
    const std::string seller_view = view.to_json(true);
    INFO(seller_view);
    CHECK(seller_view.find(R"("max_amount":1000)") != std::string::npos);
    CHECK(seller_view.find(R"("max_amount_per_charge":1000)") != std::string::npos);
    CHECK(seller_view.find(R"("expires_at":"2026-12-03T10:00:00Z")") != std::string::npos);
    CHECK(seller_view.find(grant) == std::string::npos);

    // A tighter child keeps its own limits.
    const auto tight = created(
        auth,
        token_for("one_shot", R"({"merchant": "acct_1", "max": "4.00 USD"})", "acct_1", grant));
    const auto tight_view = auth.show_token(tight).view;
    CHECK(tight_view.limits.max_amount == usd(400));
    CHECK(tight_view.limits.per_charge == usd(400));
}

TEST_CASE("idempotency keys are scoped by what they are about", "[authorizer]") {
    auto store = make_memory_ledger();
    test_clock clock("2026-12-01T10:00:00Z");
    authorizer auth(*store, clocked(clock));
    const auto token_1 =
        created(auth, token_for("seller_allowance", R"({"merchant": "acct_1"})", "acct_1"));
    const auto token_2 =
        created(auth, token_for("seller_allowance", R"({"merchant": "acct_2"})", "acct_2"));

    // Two sellers, one key, different charges: each is its own request.
    const auto first = auth.authorize({token_1, charge_json("order_1", "10.00"), {}});
    const auto second = auth.authorize({token_2, charge_json("order_1", "20.00", "acct_2"), {}});
    INFO(second.to_json());
    REQUIRE(first.approved);
    REQUIRE(second.approved);
    CHECK_FALSE(second.replayed);
    CHECK(second.authorization != first.authorization);
    CHECK(spent(auth, token_2) == 2000);
    // Within one token a key still means one request.
    CHECK(auth.authorize({token_1, charge_json("order_1", "11.00"), {}}).error ==
          refusal::idempotency_conflict);
    CHECK(auth.authorize({token_1, charge_json("order_1", "10.00"), {}}).replayed);

    // Captures of two authorizations with one key.
    const auto capture_1 = auth.capture({first.authorization, "5.00", "cap", {}, {}});
    const auto capture_2 = auth.capture({second.authorization, {}, "cap", {}, {}});
    REQUIRE(capture_1.ok());
    REQUIRE(capture_2.ok());
    CHECK_FALSE(capture_2.replayed);
    CHECK(capture_2.amount == usd(2000));
    CHECK(auth.refund({first.authorization, {}, "cap", {}, {}}).ok());

    // Token creation: scoped by the grant and the seller.
    const auto grant_1 = created(auth, token_for("team_grant", R"({"total": "50.00 USD"})", "*"));
    const auto grant_2 = created(auth, token_for("team_grant", R"({"total": "50.00 USD"})", "*"));
    auto under_1 = token_for("seller_allowance", R"({"merchant": "acct_1"})", "acct_1", grant_1);
    auto under_2 = token_for("seller_allowance", R"({"merchant": "acct_1"})", "acct_1", grant_2);
    under_1.idempotency_key = under_2.idempotency_key = "child";
    const auto child_1 = auth.create_token(under_1);
    const auto child_2 = auth.create_token(under_2);
    REQUIRE(child_1.ok());
    REQUIRE(child_2.ok());
    CHECK_FALSE(child_2.replayed);
    CHECK(child_2.view.token.parent == grant_2);
    const auto again = auth.create_token(under_1);
    CHECK(again.replayed);
    CHECK(again.view.token.id == child_1.view.token.id);
}

TEST_CASE("a ledger from schema 1 keeps its global keys' first answers", "[authorizer]") {
    temp_dir dir;
    const std::string file = dir.file("v1.db");
    test_clock clock("2026-12-01T10:00:00Z");
    std::string token_1;
    std::string token_2;
    std::string first;
    {
        auto store = open_sqlite_ledger(file);
        authorizer auth(*store, clocked(clock));
        token_1 =
            created(auth, token_for("seller_allowance", R"({"merchant": "acct_1"})", "acct_1"));
        token_2 =
            created(auth, token_for("seller_allowance", R"({"merchant": "acct_2"})", "acct_2"));
        const auto approved = pay(auth, token_1, "order_1", "10.00");
        REQUIRE(approved.approved);
        first = approved.authorization;
    }
    // Write the key back as schema 1 did, global, and mark the file as schema 1.
    const std::string scoped = "authorize:30:" + token_1 + ":order_1";
    REQUIRE(sqlite_rows(file, "SELECT COUNT(*) FROM responses WHERE key = '" + scoped + "'") == 1);
    sqlite_execute(file, "UPDATE responses SET key = 'authorize:order_1' WHERE key = '" + scoped +
                             "'; PRAGMA user_version = 1");

    auto store = open_sqlite_ledger(file);
    authorizer auth(*store, clocked(clock));
    CHECK(sqlite_rows(file, "PRAGMA user_version") == 2);
    CHECK(sqlite_rows(file,
                      "SELECT COUNT(*) FROM responses WHERE key IN "
                      "('v1:authorize:order_1', 'v1:present')") == 2);
    const auto retried = pay(auth, token_1, "order_1", "10.00");
    CHECK(retried.replayed);
    CHECK(retried.authorization == first);
    CHECK(spent(auth, token_1) == 1000);
    // An old key keeps its old scope: another token's request with it conflicts.
    CHECK(pay(auth, token_2, "order_1", "1.00", "acct_2").error == refusal::idempotency_conflict);
    CHECK(pay(auth, token_2, "order_2", "1.00", "acct_2").approved);
}

TEST_CASE("a capture or refund of an amount that is not one says why", "[authorizer]") {
    auto store = make_memory_ledger();
    test_clock clock("2026-12-01T10:00:00Z");
    authorizer auth(*store, clocked(clock));
    const auto token =
        created(auth, token_for("seller_allowance", R"({"merchant": "acct_1"})", "acct_1"));
    const auto held = pay(auth, token, "h", "40.00");
    const auto other = pay(auth, token, "o", "10.00");
    REQUIRE(held.approved);
    REQUIRE(auth.capture({other.authorization, {}, "cap-o", {}, {}}).ok());
    const std::size_t records = audit_size(auth);

    const auto euros = auth.capture({held.authorization, "5.00 EUR", "c1", {}, {}});
    CHECK(euros.error == refusal::invalid_amount);
    CHECK(euros.message == "the amount is in EUR, but " + held.authorization +
                               " was authorized in USD; nothing is converted");
    const auto junk = auth.capture({held.authorization, "abc", "c2", {}, {}});
    CHECK(junk.error == refusal::invalid_amount);
    CHECK(junk.message.find("write it in USD as \"40.00\" or \"40.00 USD\"") != std::string::npos);
    CHECK(junk.message.find("at most") == std::string::npos);
    const auto places = auth.capture({held.authorization, "1.001", "c3", {}, {}});
    CHECK(places.message.find("more decimal places") != std::string::npos);
    const auto unknown = auth.capture({held.authorization, "1.00 XYZ", "c4", {}, {}});
    CHECK(unknown.message == "the amount's currency must be USD, the hold's, as in \"40.00 USD\"");

    const auto refund = auth.refund({other.authorization, "2.00 EUR", "r1", {}, {}});
    CHECK(refund.error == refusal::invalid_amount);
    CHECK(refund.message.find("in EUR") != std::string::npos);
    CHECK(auth.refund({other.authorization, "two", "r2", {}, {}}).message.find("\"10.00 USD\"") !=
          std::string::npos);
    // Amounts that parse but do not fit keep their message.
    CHECK(auth.capture({held.authorization, "40.01", "c5", {}, {}}).message.find("at most") !=
          std::string::npos);
    CHECK(audit_size(auth) == records);
    CHECK(auth.capture({held.authorization, "5.00 USD", "c1", {}, {}}).ok());
}

TEST_CASE("renew and revoke with an idempotency key replay the first answer", "[authorizer]") {
    auto store = make_memory_ledger();
    test_clock clock("2026-12-01T10:00:00Z");
    authorizer auth(*store, clocked(clock));
    const auto grant = created(auth, token_for("team_grant", R"({"total": "100.00 USD"})", "*"));
    const auto child =
        created(auth, token_for("seller_allowance", R"({"merchant": "acct_1"})", "acct_1", grant));
    const std::size_t records = audit_size(auth);

    const auto renewed = auth.renew_token(renew_request{child, "renew-1", "owner"});
    REQUIRE(renewed.ok());
    CHECK_FALSE(renewed.replayed);
    // The reply was lost; the retry finds the old token renewed, and the key says
    // it is the same request.
    const auto retried = auth.renew_token(renew_request{child, "renew-1", "owner"});
    INFO(retried.to_json());
    REQUIRE(retried.ok());
    CHECK(retried.replayed);
    CHECK(retried.view.token.id == renewed.view.token.id);
    CHECK(auth.renew_token(child).error == refusal::invalid_state);
    CHECK(audit_size(auth) == records + 1);

    const std::string fresh = renewed.view.token.id;
    const auto revoked = auth.revoke_token(revoke_request{fresh, "lost card", "revoke-1", "owner"});
    REQUIRE(revoked.ok());
    const auto revoked_again =
        auth.revoke_token(revoke_request{fresh, "lost card", "revoke-1", "owner"});
    REQUIRE(revoked_again.ok());
    CHECK(revoked_again.replayed);
    CHECK(revoked_again.view.token.status == token_status::revoked);
    CHECK(revoked_again.view.token.status_reason == "lost card");
    CHECK(auth.revoke_token(revoke_request{fresh, "other", "revoke-1", "owner"}).error ==
          refusal::idempotency_conflict);
    CHECK(auth.revoke_token(fresh).error == refusal::invalid_state);
    CHECK(audit_size(auth) == records + 2);
}
