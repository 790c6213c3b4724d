// explain, policy tests and replay: what they show must be what the engine does.

#include <sys/wait.h>

#include <nlohmann/json.hpp>

#include <array>
#include <cstdio>
#include <filesystem>
#include <random>
#include <set>
#include <sstream>

#include "mandate/json.hpp"
#include "mandate/testing_tools.hpp"
#include "tests/support.hpp"

namespace {

namespace fs = std::filesystem;
using mandate::testing::scratch_dir;
using nlohmann::json;

const std::string source_dir = MANDATE_SOURCE_DIR;
const std::string binary = MANDATE_BINARY;

using mandate::testing::run_result;

std::string quoted(const std::string& text) { return "'" + text + "'"; }

// `mandate ARGUMENTS` run from the source directory.
run_result run(const std::string& arguments) {
    const std::string command =
        "cd " + quoted(source_dir) + " && " + quoted(binary) + " " + arguments + " 2>&1";
    return mandate::testing::run_shell(command);  // standard error in the output
}

void write_text(const fs::path& path, const std::string& text) {
    std::ofstream file(path, std::ios::binary | std::ios::trunc);
    file << text;
    REQUIRE(file.good());
}

// A decoded charge that stays alive with its text.
struct decoded {
    mandate::charge_document document;
    explicit decoded(const std::string& line) {
        std::string error;
        INFO(line);
        REQUIRE(mandate::decode_charge(line, document, error));
    }
    const mandate::charge& view() const { return document.view(); }
};

std::string two_digits(int n) { return (n < 10 ? "0" : "") + std::to_string(n); }

bool same(const mandate::decision& a, const mandate::decision& b) {
    return a.approved == b.approved && a.code == b.code && a.reason_name == b.reason_name &&
           a.clause == b.clause && a.line == b.line && a.column == b.column && a.detail == b.detail;
}

// Charges drawn from small pools so that every clause of the office example
// both passes and fails somewhere in the stream; times only move forward, with
// an occasional step back to exercise the out-of-order refusal.
std::vector<std::string> office_stream(std::size_t count, unsigned seed) {
    std::mt19937 random(seed);
    auto pick = [&](const auto& pool) { return pool[random() % pool.size()]; };
    // One value in six or so breaks its clause.
    const std::vector<std::string> sellers{"acct_staples",     "acct_staples", "acct_officedepot",
                                           "acct_officedepot", "acct_staples", "acct_amazon"};
    const std::vector<std::string> domains{"staples.com", "www.officedepot.com",
                                           "staples.com", "a.officedepot.com",
                                           "staples.com", "officedepot.com"};
    const std::vector<std::string> amounts{"0.50", "1.00", "0.25", "2.00", "0.75", "1.50",
                                           "4.99", "0.10", "0.20", "0.30", "9.00", "150.01"};
    const std::vector<std::string> currencies{"USD", "USD", "USD", "USD", "USD", "USD",
                                              "USD", "USD", "USD", "USD", "USD", "EUR"};
    const std::vector<int> categories{5943, 5111, 5943, 5111, 5943, 5411};
    const std::vector<std::string> countries{"US", "US", "CA", "US", "US", "CA",
                                             "US", "US", "CA", "KP", "US", "GB"};
    const std::vector<std::string> item_categories{"paper", "toner", "paper",
                                                   "toner", "paper", "snacks"};
    std::vector<std::string> lines;
    auto at = mandate::parse_rfc3339("2026-11-30T12:00:00Z").value();
    for (std::size_t i = 0; i < count; ++i) {
        // Mostly minutes apart (bursts reach the hourly limit), now and then hours.
        // About 3.7 minutes on average: 3600 charges span a little more than the
        // mandate's one valid week.
        const auto step = std::chrono::minutes(random() % 100 == 0 ? random() % 240 : random() % 6);
        at += (random() % 50 == 0) ? -std::chrono::duration_cast<mandate::duration>(step)
                                   : std::chrono::duration_cast<mandate::duration>(step);
        json charge{{"id", "ch_" + std::to_string(i)},
                    {"amount", pick(amounts)},
                    {"currency", pick(currencies)},
                    {"seller",
                     {{"id", pick(sellers)},
                      {"domain", pick(domains)},
                      {"country", pick(countries)},
                      {"category", pick(categories)}}},
                    {"items", json::array({{{"sku", "x"}, {"category", pick(item_categories)}}})}};
        if (random() % 30 != 0) charge["at"] = mandate::format_rfc3339(at);
        if (random() % 40 == 0) charge["seller"].erase("domain");
        lines.push_back(charge.dump());
    }
    return lines;
}

}  // namespace

TEST_CASE("explain gives the engine's decision on every charge of a stream", "[testing-tools]") {
    // The bundled policy: its sanctioned-country rule comes before the country list,
    // so every reason it has can be reached.
    const std::string path = source_dir + "/stdlib-policies/office_supplies.mandate";
    auto token = mandate::testing::token(
        mandate::testing::compile_ok(mandate::testing::read_file(path), path));
    std::set<std::string> reasons;
    std::size_t approved = 0;
    for (const auto& line : office_stream(3600, 20261203)) {
        decoded charge(line);
        const mandate::decision engine = token.decide(charge.view());
        const auto e = mandate::tools::explain(*token.mandate, *token.state, charge.view());
        INFO(line);
        INFO(mandate::tools::render_text(e, false));
        REQUIRE(e.consistent);
        REQUIRE(same(e.final, engine));
        REQUIRE(e.decision_json == mandate::encode_decision(charge.view(), engine));

        // The clause marked as deciding is the one the engine names, and every
        // clause before it passed.
        std::size_t deciding = 0;
        for (const auto& c : e.clauses) deciding += c.decides ? 1 : 0;
        if (engine.approved || engine.clause < 0) {
            REQUIRE(deciding == 0);
        } else {
            REQUIRE(deciding == 1);
            for (const auto& c : e.clauses) {
                if (c.clause < engine.clause)
                    REQUIRE(c.result == mandate::tools::clause_result::pass);
                if (c.clause == engine.clause) {
                    REQUIRE(c.decides);
                    REQUIRE(c.reason == engine.reason_name);
                    REQUIRE(c.line == engine.line);
                }
                if (c.clause > engine.clause) REQUIRE_FALSE(c.reached);
            }
        }
        if (engine.approved) {
            ++approved;
            for (const auto& c : e.clauses) {
                REQUIRE(c.result == mandate::tools::clause_result::pass);
            }
        }
        reasons.insert(engine.approved ? "approve" : std::string(engine.reason_name));
        token.authorize(charge.view());
    }
    // The stream reaches approvals and every reason, or it proves little. The
    // weekly budget of 25.00 USD bounds the approvals.
    CHECK(approved > 15);
    for (const char* reason :
         {"seller_not_allowed", "domain_not_allowed", "currency_not_allowed", "amount_over_limit",
          "category_not_allowed", "sanctioned_country", "country_not_allowed", "not_yet_valid",
          "expired", "budget_exceeded", "limit_exceeded", "item_not_allowed", "invalid_charge"}) {
        INFO(reason);
        CHECK(reasons.count(reason) == 1);
    }
}

TEST_CASE("explain evaluates the clauses after the deciding one", "[testing-tools]") {
    auto token = mandate::testing::make_token(mandate::testing::office_example);
    decoded charge(R"({"amount": "200.00", "currency": "USD", "at": "2026-12-02T15:00:00Z",
        "seller": {"id": "acct_amazon", "domain": "staples.com", "country": "US",
                   "category": 5943},
        "items": [{"category": "paper"}]})");
    const auto e = mandate::tools::explain(*token.mandate, *token.state, charge.view());
    REQUIRE(e.consistent);
    REQUIRE(e.clauses.size() == 13);
    const auto& seller = e.clauses[0];
    CHECK(seller.text == R"(seller in ["acct_staples", "acct_officedepot"])");
    CHECK(seller.result == mandate::tools::clause_result::fail);
    CHECK(seller.decides);
    CHECK(seller.compared == "charge seller acct_amazon");
    const auto& amount = e.clauses[3];
    CHECK(amount.text == "amount <= 150.00 USD");
    CHECK(amount.result == mandate::tools::clause_result::fail);
    CHECK_FALSE(amount.decides);
    CHECK_FALSE(amount.reached);
    CHECK(amount.reason == "amount_over_limit");
    CHECK(amount.detail == "200.00 USD is over the cap of 150.00 USD");
    CHECK(e.clauses[1].result == mandate::tools::clause_result::pass);
    const std::string text = mandate::tools::render_text(e, false);
    CHECK(text.find("amount <= 150.00 USD") != std::string::npos);
    CHECK(text.find("decision: decline seller_not_allowed at test.mandate:2:3") !=
          std::string::npos);
}

TEST_CASE("explain shows what each window holds before the charge", "[testing-tools]") {
    auto token = mandate::testing::make_token(mandate::testing::office_example);
    const std::string seller = R"("seller": {"id": "acct_staples", "domain": "staples.com",
        "country": "US", "category": 5943}, "items": [])";
    decoded first(R"({"amount": "20.00", "currency": "USD", "at": "2026-12-02T15:00:00Z", )" +
                  seller + "}");
    REQUIRE(token.authorize(first.view()).approved);
    decoded second(R"({"amount": "6.00", "currency": "USD", "at": "2026-12-02T15:30:00Z", )" +
                   seller + "}");
    const auto e = mandate::tools::explain(*token.mandate, *token.state, second.view());
    REQUIRE(e.consistent);
    REQUIRE_FALSE(e.final.approved);
    CHECK(e.final.reason_name == "budget_exceeded");

    const auto& weekly = e.clauses[7];
    REQUIRE(weekly.window);
    CHECK(weekly.window->spent == mandate::money{2000, weekly.window->limit.unit});
    CHECK(weekly.window->limit.units == 2500);
    REQUIRE(weekly.window->current);
    // Monday 2026-11-30 00:00 in New York.
    CHECK(mandate::format_rfc3339(weekly.window->current->start) == "2026-11-30T05:00:00Z");
    CHECK(weekly.compared ==
          "spent 20.00 USD of 25.00 USD, with this charge 26.00 USD, 5.00 USD left "
          "(window 2026-11-30T05:00:00Z to 2026-12-07T05:00:00Z)");
    const auto& hourly = e.clauses[10];
    REQUIRE(hourly.window);
    CHECK(hourly.window->count == 1);
    CHECK(hourly.window->count_limit == 5);
    CHECK(hourly.result == mandate::tools::clause_result::pass);

    const json explained = json::parse(mandate::tools::render_json(e));
    CHECK(explained["decision"]["reason"] == "budget_exceeded");
    CHECK(explained["clauses"][7]["window"]["left"] == "5.00 USD");
    CHECK(explained["clauses"][7]["decides"] == true);
}

TEST_CASE("explain reports a charge refused before any clause", "[testing-tools]") {
    auto token = mandate::testing::make_token(mandate::testing::office_example);
    decoded undated(R"({"amount": "1.00", "currency": "USD"})");
    const auto e = mandate::tools::explain(*token.mandate, *token.state, undated.view());
    REQUIRE(e.consistent);
    CHECK(e.final.reason_name == "invalid_charge");
    CHECK(e.refused ==
          "the charge has no at, which the mandate's calendar and rolling windows need");
    for (const auto& c : e.clauses) CHECK(c.result == mandate::tools::clause_result::not_evaluated);
}

TEST_CASE("mandate explain prints every clause and takes a history", "[testing-tools]") {
    scratch_dir dir("mandate-explain");
    write_text(dir.path() / "history.jsonl",
               R"({"amount": "20.00", "currency": "USD", "at": "2026-12-03T10:00:00Z", )"
               R"("seller": {"id": "acct_shop"}})"
               "\n");
    const std::string args = R"('{"merchant_id": "acct_shop", "allowance": "25.00 USD", )"
                             R"("ends_at": "2027-01-01T00:00:00Z"}')";
    const std::string charge = R"('{"id": "ch_2", "amount": "6.00", "currency": "USD", )"
                               R"("at": "2026-12-04T10:00:00Z", "seller": {"id": "acct_shop"}}')";
    auto result = run("explain stdlib-policies/weekly_allowance.mandate " + charge + " --args " +
                      args + " --history " + quoted(dir.file("history.jsonl")));
    INFO(result.output);
    REQUIRE(result.exit_code == 0);
    CHECK(result.output.find("amount <= allowance") != std::string::npos);
    CHECK(result.output.find("(charge 6.00 USD)") != std::string::npos);
    CHECK(result.output.find("spent 20.00 USD of 25.00 USD") != std::string::npos);
    CHECK(result.output.find("decision: decline budget_exceeded at "
                             "stdlib-policies/weekly_allowance.mandate:8:3") != std::string::npos);

    result = run("explain stdlib-policies/weekly_allowance.mandate " + charge + " --args " + args +
                 " --json");
    REQUIRE(result.exit_code == 0);
    const json explained = json::parse(result.output);
    CHECK(explained["decision"]["decision"] == "approve");
    CHECK(explained["clauses"].size() == 4);

    result =
        run("explain stdlib-policies/weekly_allowance.mandate no-such-file.json --args " + args);
    CHECK(result.exit_code == 2);
}

TEST_CASE("the standard policies pass their tests, and each has tests", "[testing-tools]") {
    const auto result = run("test stdlib-policies");
    INFO(result.output);
    REQUIRE(result.exit_code == 0);
    CHECK(result.output.find(" 0 failed") != std::string::npos);
    CHECK(result.output.find("FAIL") == std::string::npos);
    for (const auto& entry : fs::directory_iterator(source_dir + "/stdlib-policies")) {
        if (entry.path().extension() != ".mandate") continue;
        const std::string stem = entry.path().stem().string();
        INFO(stem);
        CHECK(fs::exists(entry.path().parent_path() / (stem + ".test.json")));
        CHECK(result.output.find("stdlib-policies/" + stem + ".test.json > ") != std::string::npos);
    }
}

TEST_CASE("a failing policy test fails the run with the charge that differs", "[testing-tools]") {
    scratch_dir dir("mandate-policy-test");
    write_text(dir.path() / "cap.mandate", "mandate cap {\n  amount <= 10.00 USD\n}\n");
    write_text(dir.path() / "cap.test.json", R"({
      "cases": [
        {"name": "small", "charges": [
          {"charge": {"amount": "10.00", "currency": "USD"}, "decision": "approve"}]},
        {"name": "large", "charges": [
          {"charge": {"amount": "1.00", "currency": "USD"}, "decision": "approve"},
          {"charge": {"id": "big", "amount": "10.01", "currency": "USD"}, "decision": "approve"}]},
        {"name": "wrong rule", "charges": [
          {"charge": {"amount": "10.01", "currency": "USD"}, "decision": "decline",
           "reason": "amount_over_limit", "rule": "3:3"}]}
      ]})");
    const auto result = run("test " + quoted(dir.path().string()));
    INFO(result.output);
    CHECK(result.exit_code == 1);
    CHECK(result.output.find("PASS  " + dir.file("cap.test.json") + " > small") !=
          std::string::npos);
    CHECK(result.output.find("FAIL  " + dir.file("cap.test.json") + " > large") !=
          std::string::npos);
    CHECK(result.output.find("charge 2: expected approve") != std::string::npos);
    CHECK(result.output.find("got      decline amount_over_limit at 2:3") != std::string::npos);
    CHECK(result.output.find("expected decline amount_over_limit at 3:3") != std::string::npos);
    CHECK(result.output.find("1 passed, 2 failed") != std::string::npos);
}

TEST_CASE("a test file that cannot be run never passes", "[testing-tools]") {
    scratch_dir dir("mandate-policy-test");
    write_text(dir.path() / "cap.mandate", "mandate cap {\n  amount <= 10.00 USD\n}\n");
    const std::string good_charge = R"({"charge": {"amount": "1.00", "currency": "USD"}, )";
    const std::vector<std::pair<std::string, std::string>> broken{
        {"not valid JSON", "{\"cases\": ["},
        {"unknown key \"expect\"",
         R"({"cases": [{"name": "a", "charges": [)" + good_charge + R"("expect": "approve"}]}]})"},
        {"\"decision\" is required", R"({"cases": [{"name": "a", "charges": [)"
                                     R"({"charge": {"amount": "1.00", "currency": "USD"}}]}]})"},
        {"needs the \"reason\"", R"({"cases": [{"name": "a", "charges": [)" + good_charge +
                                     R"("decision": "decline"}]}]})"},
        {"\"cases\" must be a non-empty array", R"({"cases": []})"},
        {"\"charges\" must be a non-empty array", R"({"cases": [{"name": "a", "charges": []}]})"},
        {"is used twice", R"({"cases": [{"name": "a", "charges": [)" + good_charge +
                              R"("decision": "approve"}]}, {"name": "a", "charges": [)" +
                              good_charge + R"("decision": "approve"}]}]})"},
        {"cannot read policy file",
         R"({"policy": "missing.mandate", "cases": [{"name": "a", "charges": [)" + good_charge +
             R"("decision": "approve"}]}]})"},
        {"cannot bind the mandate",
         R"({"args": {"nope": 1}, "cases": [{"name": "a", "charges": [)" + good_charge +
             R"("decision": "approve"}]}]})"},
        {"\"rule\" must be LINE or LINE:COLUMN",
         R"({"cases": [{"name": "a", "charges": [)" + good_charge +
             R"("decision": "decline", "reason": "x", "rule": "two"}]}]})"},
    };
    for (const auto& [message, text] : broken) {
        INFO(message);
        write_text(dir.path() / "cap.test.json", text);
        const auto result = run("test " + quoted(dir.file("cap.test.json")));
        INFO(result.output);
        CHECK(result.exit_code == 2);
        CHECK(result.output.find("ERROR " + dir.file("cap.test.json") + ": ") != std::string::npos);
        CHECK(result.output.find(message) != std::string::npos);
        CHECK(result.output.find("PASS") == std::string::npos);
        CHECK(result.output.find("0 passed, 0 failed, 1 test file could not be run") !=
              std::string::npos);
    }

    // A policy that does not compile shows its diagnostics.
    write_text(dir.path() / "cap.mandate", "mandate cap {\n  amount <= 10.005 USD\n}\n");
    write_text(dir.path() / "cap.test.json", R"({"cases": [{"name": "a", "charges": [)" +
                                                 good_charge + R"("decision": "approve"}]}]})");
    auto result = run("test " + quoted(dir.path().string()));
    CHECK(result.exit_code == 2);
    CHECK(result.output.find("does not compile") != std::string::npos);
    CHECK(result.output.find("has more decimals than USD allows") != std::string::npos);

    // Paths that hold no test file, or do not exist, are usage errors too.
    result = run("test " + quoted(dir.file("nothing-here.test.json")));
    CHECK(result.exit_code == 2);
    CHECK(result.output.find("cannot read the file") != std::string::npos);
    fs::create_directory(dir.path() / "empty");
    result = run("test " + quoted(dir.file("empty")));
    CHECK(result.exit_code == 2);
    CHECK(result.output.find("no test files") != std::string::npos);
}

TEST_CASE("policy tests repeat a charge with its time moving forward", "[testing-tools]") {
    scratch_dir dir("mandate-policy-test");
    write_text(dir.path() / "hourly.mandate",
               "mandate hourly {\n  limit 3 charges per rolling 1h\n}\n");
    write_text(dir.path() / "hourly.test.json", R"({"cases": [
      {"name": "spaced out", "charges": [
        {"charge": {"amount": "1.00", "currency": "USD", "at": "2026-12-03T10:00:00Z"},
         "repeat": 10, "every": "20m", "decision": "approve"}]},
      {"name": "bunched", "charges": [
        {"charge": {"amount": "1.00", "currency": "USD", "at": "2026-12-03T10:00:00Z"},
         "repeat": 4, "every": "19m", "decision": "approve"}]}]})");
    std::ostringstream out;
    mandate::tools::test_summary summary;
    mandate::tools::run_test_file(dir.file("hourly.test.json"), {out, false}, summary);
    INFO(out.str());
    CHECK(summary.passed == 1);
    CHECK(summary.failed == 1);
    CHECK(summary.broken_files == 0);
    CHECK(out.str().find("charge 1 (repetition 4 of 4): expected approve") != std::string::npos);
    CHECK(out.str().find("got      decline limit_exceeded at 2:3") != std::string::npos);
}

TEST_CASE("replay counts what authorize decides, and what changed", "[testing-tools]") {
    const auto policy = mandate::testing::compile_ok(
        "mandate new_cap {\n  amount <= 10.00 USD\n  budget 30.00 USD per day\n}\n", "new.mandate");
    const auto old_policy = mandate::testing::compile_ok(
        "mandate old_cap {\n  amount <= 20.00 USD\n  budget 40.00 USD per day\n}\n", "old.mandate");
    const auto bound = mandate::testing::bind_ok(policy, "", "{}");
    const auto old_bound = mandate::testing::bind_ok(old_policy, "", "{}");

    std::vector<std::string> lines;
    std::mt19937 random(7);
    for (int i = 0; i < 400; ++i) {
        const int day = 1 + i / 40;
        json charge{{"id", "c" + std::to_string(i)},
                    {"amount", std::to_string(1 + random() % 18) + ".00"},
                    {"currency", "USD"},
                    {"at", "2026-12-" + two_digits(day) + "T" + two_digits(i % 40 / 2) + ":00:00Z"},
                    {"seller", {{"id", i % 3 == 0 ? "acct_a" : "acct_b"}}}};
        lines.push_back(charge.dump());
    }
    lines.push_back("not a charge");

    mandate::tools::replayer replay(bound, old_bound);
    for (const auto& line : lines) replay.add(line);
    const auto& r = replay.result();

    // The same charges through authorize, one state per policy.
    mandate::budget_state state(*bound);
    mandate::budget_state old_state(*old_bound);
    std::int64_t approved = 0;
    std::int64_t changes = 0;
    std::map<std::string, std::int64_t> reasons;
    mandate::charge_document document;
    std::string error;
    for (const auto& line : lines) {
        if (!mandate::decode_charge(line, document, error)) {
            ++reasons["invalid_charge"];
            continue;
        }
        const auto d = mandate::authorize(*bound, state, document.view());
        const auto old_d = mandate::authorize(*old_bound, old_state, document.view());
        approved += d.approved ? 1 : 0;
        if (!d.approved) ++reasons[std::string(d.reason_name)];
        if (d.approved != old_d.approved || d.reason_name != old_d.reason_name) ++changes;
    }
    CHECK(r.total.charges == static_cast<std::int64_t>(lines.size()));
    CHECK(r.total.approved == approved);
    CHECK(r.total.declined == r.total.charges - approved);
    CHECK(r.by_reason == reasons);
    CHECK(r.unreadable == 1);
    CHECK(static_cast<std::int64_t>(r.changes.size()) == changes);
    CHECK(r.newly_declined + r.newly_approved + r.reason_changed == changes);
    CHECK(r.newly_declined > 0);
    std::int64_t by_day = 0;
    for (const auto& [day, counts] : r.by_day) by_day += counts.charges;
    CHECK(by_day == r.total.charges);
    CHECK(r.by_day.size() == 11);  // ten days and the unreadable line
    REQUIRE(r.budgets.size() == 1);
    CHECK(r.budgets[0].text == "budget 30.00 USD per day");
    for (const auto& point : r.budgets[0].points) CHECK(point.spent <= 3000);

    const std::string html = mandate::tools::render_replay_html(r);
    CHECK(html.find("<svg class=\"budget-chart\"") != std::string::npos);
    CHECK(html.find("<polyline class=\"spend\"") != std::string::npos);
    CHECK(html.find("<table id=\"changes\">") != std::string::npos);
    // Self-contained: nothing to fetch.
    CHECK(html.find("http") == std::string::npos);
    CHECK(html.find("<script") == std::string::npos);
}

TEST_CASE("the replay report renders in headless Chromium", "[testing-tools][browser]") {
    scratch_dir dir("mandate-replay");
    std::ostringstream history;
    for (int i = 0; i < 300; ++i) {
        const int day = 1 + i / 30;
        history << json{{"id", "h" + std::to_string(i)},
                        {"amount", std::to_string(2 + i % 9) + ".50"},
                        {"currency", "USD"},
                        {"at",
                         "2026-12-" + two_digits(day) + "T" + two_digits(i % 30 / 2) + ":00:00Z"},
                        {"seller", {{"id", i % 4 == 0 ? "acct_other" : "acct_shop"}}}}
                       .dump()
                << "\n";
    }
    write_text(dir.path() / "history.jsonl", history.str());
    const std::string args = R"('{"merchant_id": "acct_shop", "allowance": "40.00 USD", )"
                             R"("ends_at": "2027-01-01T00:00:00Z"}')";
    const std::string old_args = R"('{"merchant_id": "acct_shop", "allowance": "60.00 USD", )"
                                 R"("ends_at": "2027-01-01T00:00:00Z"}')";
    const std::string report = dir.file("report.html");
    const auto replayed = run(
        "replay stdlib-policies/weekly_allowance.mandate " + quoted(dir.file("history.jsonl")) +
        " --args " + args + " --against stdlib-policies/weekly_allowance.mandate --against-args " +
        old_args + " --report " + quoted(report));
    INFO(replayed.output);
    REQUIRE(replayed.exit_code == 0);
    REQUIRE(fs::exists(report));

    if (!fs::exists("/usr/bin/chromium")) {
        WARN(
            "SKIPPED: /usr/bin/chromium is not installed (scripts/setup.sh installs it); "
            "the replay report was not checked in a browser");
        return;
    }
    const std::string browser_dir = source_dir + "/tests/browser";
    const std::string command =
        "cd " + quoted(browser_dir) +
        " && ([ node_modules/.package-lock.json -nt package-lock.json ] || npm ci "
        "--no-audit --no-fund --loglevel=error) && node report_test.mjs " +
        quoted(report) + " " + quoted(dir.file("report.png")) + " 2>&1";
    FILE* pipe = ::popen(command.c_str(), "r");
    REQUIRE(pipe != nullptr);
    std::string output;
    std::array<char, 4096> buffer{};
    std::size_t read = 0;
    while ((read = std::fread(buffer.data(), 1, buffer.size(), pipe)) > 0) {
        output.append(buffer.data(), read);
    }
    const int status = ::pclose(pipe);
    INFO(output);
    REQUIRE(WIFEXITED(status));
    REQUIRE(WEXITSTATUS(status) == 0);
    CHECK(output.find("report_test: ok") != std::string::npos);
    CHECK(fs::file_size(dir.path() / "report.png") > 10'000);
}

// ---- what the review found --------------------------------------------------------

TEST_CASE("check, explain, replay and test refuse a directory given as a file",
          "[testing-tools]") {
    scratch_dir dir("mandate-dir");
    fs::create_directory(dir.path() / "d");
    const std::string d = quoted(dir.file("d"));
    const std::string policy = "stdlib-policies/office_supplies.mandate";
    const std::string charge = R"('{"amount": "1.00", "currency": "USD"}')";
    const std::string charges_message =
        "mandate: cannot read charges file '" + dir.file("d") + "': is a directory\n";
    const std::vector<std::pair<std::string, std::string>> commands{
        {"check " + policy + " " + d, charges_message},
        {"replay " + policy + " " + d, charges_message},
        {"explain " + policy + " " + d,
         "mandate: cannot read charge file '" + dir.file("d") + "': is a directory\n"},
        {"explain " + policy + " " + charge + " --history " + d, charges_message},
        {"check " + d, "mandate: cannot read policy file '" + dir.file("d") +
                           "': is a directory\n"},
        {"explain " + d + " " + charge,
         "mandate: cannot read policy file '" + dir.file("d") + "': is a directory\n"},
        {"replay " + d + " examples/office_charges.jsonl",
         "mandate: cannot read policy file '" + dir.file("d") + "': is a directory\n"},
        {"replay " + policy + " examples/office_charges.jsonl --against " + d,
         "mandate: cannot read policy file '" + dir.file("d") + "': is a directory\n"},
    };
    for (const auto& [command, message] : commands) {
        INFO(command);
        const auto result = run(command);
        CHECK(result.exit_code == 2);
        CHECK(result.output == message);
    }

    // A policy test whose policy is a directory is an error, never a pass.
    write_text(dir.path() / "dir.test.json",
               R"({"policy": "d", "cases": [{"name": "a", "charges": [)"
               R"({"charge": {"amount": "1.00", "currency": "USD"}, "decision": "approve"}]}]})");
    const auto result = run("test " + quoted(dir.file("dir.test.json")));
    CHECK(result.exit_code == 2);
    CHECK(result.output.find("ERROR " + dir.file("dir.test.json") + ": cannot read policy file '" +
                             dir.file("d") + "': is a directory") != std::string::npos);
}

TEST_CASE("explain and replay on a policy that does not compile", "[testing-tools]") {
    scratch_dir dir("mandate-broken");
    const std::string broken = dir.file("broken.mandate");
    write_text(broken, "mandate m {\n  seller in [\"a\"]\n  amount <= 12.505 USD\n}\n");
    const std::string good = "stdlib-policies/office_supplies.mandate";
    const std::string charge = R"('{"amount": "1.00", "currency": "USD"}')";
    const std::string history = "examples/office_charges.jsonl";
    for (const std::string& command :
         {"explain " + quoted(broken) + " " + charge,
          "explain " + quoted(broken) + " " + charge + " --json",
          "replay " + quoted(broken) + " " + history,
          "replay " + quoted(broken) + " " + history + " --json",
          "replay " + good + " " + history + " --against " + quoted(broken),
          "replay " + good + " " + history + " --against " + quoted(broken) + " --json"}) {
        INFO(command);
        const auto result = run(command);
        INFO(result.output);
        CHECK(result.exit_code == 1);
        CHECK(result.output.starts_with(broken + ":3:13: error: 12.505 USD has more decimals"));
        CHECK(result.output.find("  3 |   amount <= 12.505 USD\n") != std::string::npos);
        CHECK(result.output.find("    |             ^~~~~~~~~~\n") != std::string::npos);
        CHECK(result.output.find("= help: ") != std::string::npos);
        // Nothing was decided.
        CHECK(result.output.find("decision") == std::string::npos);
        CHECK(result.output.find("replayed") == std::string::npos);
    }
}

TEST_CASE("replay sizes the columns of changed charges from what they hold", "[testing-tools]") {
    const auto policy = mandate::testing::compile_ok(
        "mandate m {\n  amount <= 10.00 USD\n}\n", "new.mandate");
    const auto old_policy = mandate::testing::compile_ok(
        "mandate m {\n  amount <= 5.00 USD\n  budget 6.00 USD total\n}\n", "old.mandate");
    mandate::tools::replayer replay(mandate::testing::bind_ok(policy, "", "{}"),
                                    mandate::testing::bind_ok(old_policy, "", "{}"));
    replay.add(R"({"id": "a_rather_long_charge_id", "amount": "9.00", "currency": "USD", )"
               R"("seller": {"id": "acct_with_a_long_seller_name"}})");
    replay.add(R"({"id": "c2", "amount": "5.00", "currency": "USD"})");
    replay.add(R"({"id": "c3", "amount": "5.00", "currency": "USD"})");
    const std::string text = mandate::tools::render_replay_text(replay.result(), 50);
    INFO(text);
    std::vector<std::string> rows;
    std::istringstream lines(text.substr(text.find("  line ")));
    for (std::string line; std::getline(lines, line);) rows.push_back(line);
    REQUIRE(rows.size() == 3);
    // Every column starts where its title does, after at least two spaces.
    const auto column = [&](const std::string& title) { return rows[0].find(title); };
    CHECK(rows[1].find("a_rather_long_charge_id  ") != std::string::npos);
    CHECK(rows[1].find("acct_with_a_long_seller_name  ") == column("seller"));
    CHECK(rows[1].find("decline amount_over_limit  approve") == column("old"));
    CHECK(rows[2].find("decline budget_exceeded") == column("old"));
    CHECK(rows[2].find("approve", column("old") + 1) == column("new"));
    CHECK(rows[1].find("approve", column("old") + 10) == column("new"));
}
