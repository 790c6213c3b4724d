// Golden runs of the command line on the bundled examples: the exact output a
// new user sees from `make run` is pinned here, so any change to a decision,
// reason, rule position or detail text shows up as a diff.

#include <catch2/catch.hpp>

#include "tests/support.hpp"

#include <array>
#include <cstdio>
#include <fstream>
#include <set>
#include <sstream>
#include <string>

#include <nlohmann/json.hpp>

namespace {

using mandate::testing::run_result;

run_result run(const std::string& command) {
    return mandate::testing::run_shell(command);
}


using mandate::testing::read_file;

const std::string source_dir = MANDATE_SOURCE_DIR;
const std::string binary = MANDATE_BINARY;

}  // namespace

TEST_CASE("the bundled office example gives the pinned decisions", "[golden]") {
    // Relative paths, as `make run` passes them, so rule positions match.
    const auto result = run("cd '" + source_dir + "' && '" + binary +
                            "' check stdlib-policies/office_supplies.mandate "
                            "examples/office_charges.jsonl");
    REQUIRE(result.exit_code == 0);
    CHECK(result.output == read_file(source_dir + "/examples/office_charges.expected.jsonl"));
}

TEST_CASE("the bundled office example exercises every reason code", "[golden]") {
    const std::string expected = read_file(source_dir + "/examples/office_charges.expected.jsonl");
    std::set<std::string> reasons;
    std::size_t approvals = 0;
    std::istringstream lines(expected);
    for (std::string line; std::getline(lines, line);) {
        const auto decision = nlohmann::json::parse(line);
        if (decision.at("decision") == "approve") {
            ++approvals;
        } else {
            reasons.insert(decision.at("reason").get<std::string>());
        }
    }
    CHECK(approvals >= 3);
    for (const char* code : {"seller_not_allowed", "domain_not_allowed", "currency_not_allowed",
                             "amount_over_limit", "category_not_allowed", "country_not_allowed",
                             "not_yet_valid", "expired", "budget_exceeded", "limit_exceeded",
                             "invalid_charge", "item_not_allowed", "sanctioned_country"}) {
        INFO(code);
        CHECK(reasons.count(code) == 1);
    }
}

TEST_CASE("the command line reports policy errors with exit code 1", "[golden]") {
    const std::string scratch = "/tmp/mandate_golden_bad.mandate";
    {
        std::ofstream bad(scratch);
        bad << "mandate bad() {\n  amount <= 25.001 USD\n}\n";
    }
    const auto result = run("'" + binary + "' compile " + scratch + " 2>&1");
    CHECK(result.exit_code == 1);
    CHECK(result.output.find(scratch + ":2:13: error:") != std::string::npos);
    CHECK(result.output.find("amount <= 25.001 USD") != std::string::npos);
    CHECK(result.output.find("^") != std::string::npos);
}

TEST_CASE("the command line exits 2 on usage errors and unreadable files", "[golden]") {
    CHECK(run("'" + binary + "' check /nonexistent/policy.mandate 2>/dev/null").exit_code == 2);
    CHECK(run("'" + binary + "' frobnicate 2>/dev/null").exit_code == 2);
    CHECK(run("cd '" + source_dir + "' && '" + binary +
              "' check stdlib-policies/office_supplies.mandate /nonexistent.jsonl 2>/dev/null")
              .exit_code == 2);
    CHECK(run("cd '" + source_dir + "' && '" + binary +
              "' check stdlib-policies/office_supplies.mandate --args '{\"nope\": 1}' "
              "</dev/null 2>/dev/null")
              .exit_code == 2);
    CHECK(run("'" + binary + "' check --help >/dev/null").exit_code == 0);
}
