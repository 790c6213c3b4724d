// Embedding mandate in an authorizer: compile a policy once, bind it for a token,
// then decide charges against that token's budget state.
//
// Built with the project and run by CTest from the repository root. It exits 0 only
// when every decision is the one written next to its charge, so it doubles as a test
// of the library and of the example in docs/api.md.

#include <cstdio>
#include <optional>
#include <string>
#include <string_view>

#include "mandate/json.hpp"
#include "mandate/policy.hpp"

namespace {

constexpr std::string_view policy_source = R"(# Pay-per-call API access for one agent.
mandate api_metering(payee: text, per_call: money, daily: money = 1.00 USD) {
  seller in [payee]
  currency USD
  amount <= per_call
  budget daily per day in "America/New_York"
  limit 3 charges per rolling 1m
}
)";

int failures = 0;

// Compares a decision with the expected outcome: "approve" or a reason name.
void expect(std::string_view label, const mandate::decision& d, std::string_view wanted) {
    const std::string_view got = d.approved ? std::string_view("approve") : d.reason_name;
    if (got == wanted) {
        std::printf("%-28s %s\n", std::string(label).c_str(), std::string(got).c_str());
        return;
    }
    std::printf("%-28s %s, expected %s (%s)\n", std::string(label).c_str(),
                std::string(got).c_str(), std::string(wanted).c_str(),
                mandate::describe(d).c_str());
    ++failures;
}

// A charge built in place, as an authorizer that already parsed its own request
// would: views over strings the caller keeps alive, and `present` naming the
// fields that were filled in.
mandate::charge make_charge(std::string_view id, std::string_view seller, std::string_view amount,
                            std::string_view code, std::string_view at) {
    mandate::charge request;
    request.id = id;
    request.seller_id = seller;

    const std::optional<mandate::currency> unit = mandate::currency::find(code);
    mandate::minor_units units = 0;
    if (unit && mandate::parse_amount(amount, *unit, units) == mandate::amount_error::none) {
        request.amount = mandate::money{units, *unit};
        request.present |= mandate::field_amount;
    }

    if (const auto instant = mandate::parse_rfc3339(at)) {
        request.at = *instant;
        request.present |= mandate::field_at;
    }
    request.present |= mandate::field_id | mandate::field_seller_id;
    return request;
}

}  // namespace

int main() {
    // 1. Compile once. A policy with mistakes gives diagnostics, never an exception.
    const mandate::compile_result broken =
        mandate::compile("mandate oops {\n  amount <= 12.505 USD\n}\n", "oops.mandate");
    if (broken.ok() || broken.diagnostics.empty() || broken.diagnostics.front().line != 2) {
        std::printf("expected a diagnostic on line 2 of oops.mandate\n");
        ++failures;
    } else {
        std::printf("%s", mandate::render(broken.diagnostics).c_str());
    }

    const mandate::compile_result compiled = mandate::compile(policy_source, "metering.mandate");
    if (!compiled.ok()) {
        std::printf("%s", mandate::render(compiled.diagnostics).c_str());
        return 1;
    }

    // 2. Bind the mandate's parameters for one token. `daily` keeps its default.
    const mandate::bind_result bound =
        mandate::bind(compiled.compiled, "api_metering",
                      R"({"payee": "acct_weather", "per_call": "0.05 USD", "daily": "0.20 USD"})");
    if (!bound.ok()) {
        for (const std::string& error : bound.errors) std::printf("bind: %s\n", error.c_str());
        return 1;
    }
    const mandate::bound_mandate& token = *bound.mandate;

    // Binding checks arguments against the declared types.
    const mandate::bind_result wrong =
        mandate::bind(compiled.compiled, "api_metering", R"({"payee": "acct_weather"})");
    if (wrong.ok() || wrong.errors.empty()) {
        std::printf("expected bind to refuse a missing per_call\n");
        ++failures;
    }

    // 3. One budget_state per token; the caller serializes access to it.
    mandate::budget_state state(token);

    // decide() looks without counting; authorize() decides and counts approvals.
    const mandate::charge first =
        make_charge("ch_1", "acct_weather", "0.05", "USD", "2026-12-01T10:00:00Z");
    expect("decide ch_1", mandate::decide(token, state, first), "approve");
    expect("decide ch_1 again", mandate::decide(token, state, first), "approve");
    expect("authorize ch_1", mandate::authorize(token, state, first), "approve");

    // Each charge with the decision it must get, in time order.
    struct scripted_charge {
        std::string_view id, seller, amount, currency, at, expected;
    };
    constexpr scripted_charge script[] = {
        {"ch_2", "acct_weather", "0.10", "USD", "2026-12-01T10:00:05Z", "amount_over_limit"},
        {"ch_3", "acct_other", "0.05", "USD", "2026-12-01T10:00:06Z", "seller_not_allowed"},
        {"ch_4", "acct_weather", "0.05", "EUR", "2026-12-01T10:00:07Z", "currency_not_allowed"},
        {"ch_5", "acct_weather", "0.05", "USD", "2026-12-01T10:00:10Z", "approve"},
        {"ch_6", "acct_weather", "0.05", "USD", "2026-12-01T10:00:20Z", "approve"},
        // Three approved in the last minute: the rolling limit declines a fourth.
        {"ch_7", "acct_weather", "0.05", "USD", "2026-12-01T10:00:30Z", "limit_exceeded"},
        // The window is (t - 1m, t]: at 10:01:00 the charge of 10:00:00 has left it.
        {"ch_8", "acct_weather", "0.05", "USD", "2026-12-01T10:01:00Z", "approve"},
        // Earlier than a charge already counted: declined rather than rewriting history.
        {"ch_9", "acct_weather", "0.05", "USD", "2026-12-01T10:00:59Z", "invalid_charge"},
    };
    for (const scripted_charge& c : script) {
        const mandate::charge request = make_charge(c.id, c.seller, c.amount, c.currency, c.at);
        expect(c.id, mandate::authorize(token, state, request), c.expected);
    }
    if (state.approved_count() != 4) {
        std::printf("expected 4 approved charges, counted %lld\n",
                    static_cast<long long>(state.approved_count()));
        ++failures;
    }

    // 4. Charges as JSON, decisions as JSON lines: what `mandate check` does.
    mandate::charge_document document;
    std::string error;
    const std::string_view over_budget =
        R"({"id": "ch_10", "amount": "0.05", "currency": "USD", "at": "2026-12-01T10:05:00Z",
            "seller": {"id": "acct_weather"}})";
    if (!mandate::decode_charge(over_budget, document, error)) {
        std::printf("ch_10 did not decode: %s\n", error.c_str());
        return 1;
    }
    const mandate::decision spent = mandate::authorize(token, state, document.view());
    expect("ch_10 over the daily budget", spent, "budget_exceeded");
    const std::string line = mandate::encode_decision(document.view(), spent);
    std::printf("%s\n", line.c_str());
    if (line.find(R"("reason":"budget_exceeded","rule":"metering.mandate:6:3")") ==
        std::string::npos) {
        ++failures;
    }

    // The next New York day starts a new budget period.
    const std::string_view next_day =
        R"({"id": "ch_11", "amount": "0.05", "currency": "USD", "at": "2026-12-02T05:00:00Z",
            "seller": {"id": "acct_weather"}})";
    if (mandate::decode_charge(next_day, document, error)) {
        expect("ch_11 next day", mandate::authorize(token, state, document.view()), "approve");
    } else {
        ++failures;
    }

    // A charge that does not decode is declined with invalid_charge, never guessed at.
    const std::string_view malformed = R"({"id": "ch_12", "amount": 0.05, "currency": "USD"})";
    if (mandate::decode_charge(malformed, document, error)) {
        std::printf("ch_12 should not decode\n");
        ++failures;
    } else {
        const std::string answer =
            mandate::encode_invalid(mandate::recover_charge_id(malformed).value_or(""), error);
        std::printf("%s\n", answer.c_str());
        if (answer.find(R"({"id":"ch_12","decision":"decline","reason":"invalid_charge")") != 0) {
            ++failures;
        }
    }

    // 5. Another token bound to the same mandate has budgets of its own.
    mandate::budget_state other_token(token);
    const mandate::charge fresh =
        make_charge("ch_13", "acct_weather", "0.05", "USD", "2026-12-01T10:05:00Z");
    expect("ch_13 on another token", mandate::authorize(token, other_token, fresh), "approve");

    std::printf("%s\n", failures == 0 ? "all decisions as expected" : "UNEXPECTED DECISIONS");
    return failures == 0 ? 0 : 1;
}
