// `mandate bench` run for real: its JSON figures hold together, the decisions it
// times are the ones `mandate check` gives for the same file, malformed lines are
// counted and skipped, and bad input exits as docs/cli.md says. Also
// bench/plot.py, run on a fixture report, draws one chart per scaling dimension
// from the right points.
//
// No figure is asserted: only the relations between them (median <= p99, the
// rate matching the mean), which hold on any machine.

#include <catch2/catch.hpp>

#include <sys/wait.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "mandate/json.hpp"
#include "tests/support.hpp"

namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;

const std::string source_dir = MANDATE_SOURCE_DIR;
const std::string binary = MANDATE_BINARY;

// Short runs: the tests check the figures' shape, not their size.
constexpr const char* quick = " --iterations 6400 --warmup 1ms";

constexpr const char* weekly_arguments =
    R"({"merchant_id": "acct_shop", "allowance": "25.00 USD", "zone": "America/New_York",
        "ends_at": "2027-01-01T00:00:00Z"})";

std::string quoted(const std::string& text) {
    REQUIRE(text.find('\'') == std::string::npos);
    return "'" + text + "'";
}

struct run_result {
    int exit_code = -1;
    std::string out;
    std::string err;
};

// `command` in the source directory, its output captured through files.
run_result run_in_source(const std::string& command, const mandate::testing::scratch_dir& dir) {
    const std::string line = "cd " + quoted(source_dir) + " && " + command + " </dev/null >" +
                             quoted(dir.file("stdout")) + " 2>" + quoted(dir.file("stderr"));
    const int status = std::system(line.c_str());
    run_result result;
    result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    result.out = mandate::testing::read_file(dir.file("stdout"));
    result.err = mandate::testing::read_file(dir.file("stderr"));
    return result;
}

run_result mandate_run(const std::string& arguments, const mandate::testing::scratch_dir& dir) {
    return run_in_source(quoted(binary) + " " + arguments, dir);
}

void write_text(const std::string& path, const std::string& text) {
    std::ofstream file(path, std::ios::binary | std::ios::trunc);
    file << text;
    REQUIRE(file.good());
}

json bench_json(const std::string& arguments, const mandate::testing::scratch_dir& dir) {
    const auto result = mandate_run("bench " + arguments + quick + " --json", dir);
    INFO("stderr: " << result.err);
    REQUIRE(result.exit_code == 0);
    return json::parse(result.out);
}

// What `mandate check` decides for the same file: approvals and declines by reason.
struct check_tally {
    std::uint64_t approved = 0;
    std::map<std::string, std::uint64_t> declines;
};

check_tally check_decisions(const std::string& arguments,
                            const mandate::testing::scratch_dir& dir) {
    const auto result = mandate_run("check " + arguments, dir);
    INFO("stderr: " << result.err);
    REQUIRE(result.exit_code == 0);
    check_tally tally;
    std::istringstream lines(result.out);
    for (std::string line; std::getline(lines, line);) {
        const auto decision = json::parse(line);
        if (decision.at("decision") == "approve") {
            ++tally.approved;
        } else {
            ++tally.declines[decision.at("reason").get<std::string>()];
        }
    }
    return tally;
}

// The figures must hold together whatever the machine.
void require_sane_figures(const json& figures) {
    INFO(figures.dump(2));
    const double min = figures.at("min_ns"), median = figures.at("median_ns");
    const double p90 = figures.at("p90_ns"), p99 = figures.at("p99_ns");
    const double p999 = figures.at("p999_ns"), max = figures.at("max_ns");
    CHECK(min > 0);
    CHECK(min <= median);
    CHECK(median <= p90);
    CHECK(p90 <= p99);
    CHECK(p99 <= p999);
    CHECK(p999 <= max);

    const std::uint64_t batch_size = figures.at("batch_size");
    const std::uint64_t checks = figures.at("checks");
    CHECK(batch_size == 64);
    CHECK(checks >= 6400);
    CHECK(checks == figures.at("batches").get<std::uint64_t>() * batch_size);

    // The rate is the mean's reciprocal, both from the same timed batches.
    const double mean = figures.at("mean_ns");
    const double rate = figures.at("checks_per_second");
    CHECK(mean >= min);
    CHECK(mean <= max);
    CHECK(rate == Approx(1e9 / mean).epsilon(0.01));

    CHECK(figures.at("timed").get<std::string>().find("mandate::decide alone") !=
          std::string::npos);
    const auto& memory = figures.at("memory");
#if defined(__SANITIZE_ADDRESS__)
    // The sanitizer's allocator does not report heap use: the figure is unknown.
    CHECK(memory.at("policy_heap_bytes").is_null());
#else
    CHECK(memory.at("policy_heap_bytes").get<std::uint64_t>() > 0);
#endif
    CHECK(memory.at("state_bytes").get<std::uint64_t>() > 0);
    CHECK(memory.at("replay_states_bytes").get<std::uint64_t>() >=
          memory.at("state_bytes").get<std::uint64_t>());
    CHECK(memory.at("peak_rss_bytes").get<std::uint64_t>() > 0);
    CHECK(memory.at("replay_states").get<std::uint64_t>() >= 1);
}

// The timed decisions are check's: same approvals, same declines by reason.
void require_same_decisions(const json& figures, const check_tally& expected) {
    const auto& charges = figures.at("charges");
    CHECK(charges.at("approved").get<std::uint64_t>() == expected.approved);
    std::map<std::string, std::uint64_t> declines;
    for (const auto& [code, count] : charges.at("declines_by_reason").items()) {
        declines[code] = count.get<std::uint64_t>();
    }
    CHECK(declines == expected.declines);
}

// Lines that are not blank, and how many of them decode.
std::pair<std::uint64_t, std::uint64_t> count_charges(const std::string& path) {
    std::ifstream file(path);
    REQUIRE(file.good());
    std::uint64_t lines = 0, valid = 0;
    mandate::charge_document document;
    std::string error;
    for (std::string line; std::getline(file, line);) {
        if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
        ++lines;
        if (mandate::decode_charge(line, document, error)) ++valid;
    }
    return {lines, valid};
}

// Charges at acct_shop and elsewhere, every six hours through December, so the
// weekly allowance runs dry and renews.
std::string weekly_stream() {
    std::ostringstream out;
    for (int i = 0; i < 120; ++i) {
        const int day = 1 + i / 4;
        const int hour = (i % 4) * 6;
        char at[32];
        std::snprintf(at, sizeof at, "2026-12-%02dT%02d:00:00Z", day, hour);
        const std::string seller = i % 5 == 0 ? "acct_other" : "acct_shop";
        out << json{{"id", "ch_" + std::to_string(i)},
                    {"amount", std::to_string(1 + i % 9) + ".50"},
                    {"currency", "USD"},
                    {"at", at},
                    {"seller", {{"id", seller}}}}
                   .dump()
            << "\n";
    }
    return out.str();
}

}  // namespace

TEST_CASE("bench times the office example with check's decisions", "[bench-cli]") {
    const mandate::testing::scratch_dir dir("mandate-bench");
    const std::string policy = "stdlib-policies/office_supplies.mandate";
    const std::string charges = "examples/office_charges.jsonl";

    const json figures = bench_json(policy + " " + charges, dir);
    require_sane_figures(figures);
    CHECK(figures.at("mandate") == "office_supplies");
    CHECK(figures.at("policy") == policy);

    const auto [lines, valid] = count_charges(source_dir + "/" + charges);
    const auto& counted = figures.at("charges");
    CHECK(counted.at("lines").get<std::uint64_t>() == lines);
    CHECK(counted.at("decided").get<std::uint64_t>() == valid);
    CHECK(counted.at("skipped_malformed").get<std::uint64_t>() == lines - valid);
    CHECK(counted.at("approved").get<std::uint64_t>() +
              counted.at("declined").get<std::uint64_t>() ==
          valid);

    // check answers malformed lines too (as invalid_charge); bench cannot time
    // them, so they leave its tally.
    check_tally expected = check_decisions(policy + " " + charges, dir);
    if (lines > valid) {
        REQUIRE(expected.declines["invalid_charge"] >= lines - valid);
        expected.declines["invalid_charge"] -= lines - valid;
        if (expected.declines["invalid_charge"] == 0) expected.declines.erase("invalid_charge");
    }
    require_same_decisions(figures, expected);
}

TEST_CASE("bench decides each charge against the state check would hold", "[bench-cli]") {
    const mandate::testing::scratch_dir dir("mandate-bench");
    const std::string charges = dir.file("weekly.jsonl");
    write_text(charges, weekly_stream());
    const std::string arguments = "stdlib-policies/weekly_allowance.mandate " + quoted(charges) +
                                  " --args " + quoted(weekly_arguments);

    const json figures = bench_json(arguments, dir);
    require_sane_figures(figures);
    const check_tally expected = check_decisions(arguments, dir);
    // The stream must exhaust the allowance, or this would test nothing.
    REQUIRE(expected.declines.count("budget_exceeded") == 1);
    REQUIRE(expected.approved > 0);
    require_same_decisions(figures, expected);
    CHECK(figures.at("charges").at("decided") == 120);
    // One state per approval that changed it, plus the empty one.
    CHECK(figures.at("memory").at("replay_states").get<std::uint64_t>() <= expected.approved + 1);
}

TEST_CASE("bench skips malformed charge lines and says how many", "[bench-cli]") {
    const mandate::testing::scratch_dir dir("mandate-bench");
    const std::string charges = dir.file("mixed.jsonl");
    write_text(charges, R"({"id": "ch_1", "amount": "1.00", "currency": "USD"})"
                        "\n"
                        "not json at all\n"
                        "   \n"
                        R"({"id": "ch_bad", "amount": 1.00, "currency": "USD"})"
                        "\n"
                        R"({"id": "ch_2", "amount": "2.00", "currency": "USD"})"
                        "\r\n");
    const std::string policy = dir.file("p.mandate");
    write_text(policy, "mandate small() {\n  amount <= 1.50 USD\n}\n");

    const auto result =
        mandate_run("bench " + quoted(policy) + " " + quoted(charges) + quick + " --json", dir);
    INFO("stderr: " << result.err);
    REQUIRE(result.exit_code == 0);
    const json figures = json::parse(result.out);
    require_sane_figures(figures);
    const auto& counted = figures.at("charges");
    CHECK(counted.at("lines") == 4);
    CHECK(counted.at("decided") == 2);
    CHECK(counted.at("skipped_malformed") == 2);
    CHECK(counted.at("approved") == 1);
    CHECK(counted.at("declines_by_reason") == json{{"amount_over_limit", 1}});
    // Named by their line in the file, blank lines counted.
    CHECK(result.err.find("skipped line 2: ") != std::string::npos);
    CHECK(result.err.find("skipped line 4 (id ch_bad): ") != std::string::npos);
}

TEST_CASE("bench checks the timed approvals against the replay", "[bench-cli]") {
    // A count of checks that is not a whole number of passes, after a warm-up
    // that stops anywhere in the stream: the approvals must still add up, or
    // bench exits 1.
    const mandate::testing::scratch_dir dir("mandate-bench");
    const auto result = mandate_run(
        "bench stdlib-policies/office_supplies.mandate "
        "examples/office_charges.jsonl --iterations 6464 "
        "--warmup 30ms --json",
        dir);
    INFO("stderr: " << result.err);
    REQUIRE(result.exit_code == 0);
    const json figures = json::parse(result.out);
    CHECK(figures.at("checks") == 6464);
}

TEST_CASE("bench prints a summary a person can read", "[bench-cli]") {
    const mandate::testing::scratch_dir dir("mandate-bench");
    const auto result =
        mandate_run("bench stdlib-policies/office_supplies.mandate examples/office_charges.jsonl" +
                        std::string(quick),
                    dir);
    INFO("stderr: " << result.err);
    REQUIRE(result.exit_code == 0);
    CHECK(result.out.find("mandate::decide alone") != std::string::npos);
    CHECK(std::regex_search(result.out, std::regex(R"(speed +[0-9,]+ checks/s)")));
    CHECK(std::regex_search(result.out,
                            std::regex(R"(latency +median [0-9.]+ (ns|us|ms) +p90 .* p99 .*)"
                                       R"(p99\.9 .* max )")));
    CHECK(result.out.find("peak RSS of the whole process") != std::string::npos);
    // Standard error is not a terminal here: no progress line.
    CHECK(result.err.find('\r') == std::string::npos);
}

TEST_CASE("bench refuses bad input with the documented exit codes", "[bench-cli]") {
    const mandate::testing::scratch_dir dir("mandate-bench");
    const std::string office = "stdlib-policies/office_supplies.mandate ";

    SECTION("a charges file that cannot be read") {
        const auto result = mandate_run("bench " + office + "no/such/file.jsonl", dir);
        CHECK(result.exit_code == 2);
        CHECK(result.err.find("cannot read charges file 'no/such/file.jsonl'") !=
              std::string::npos);
        CHECK(result.out.empty());
    }
    SECTION("no charges file") {
        const auto result = mandate_run("bench " + office, dir);
        CHECK(result.exit_code == 2);
        CHECK(result.err.find("bench needs CHARGES") != std::string::npos);
        CHECK(result.out.empty());
    }
    SECTION("a file with no charge that can be decided") {
        const std::string charges = dir.file("bad.jsonl");
        write_text(charges, "{\n[1, 2]\n");
        const auto result = mandate_run("bench " + office + quoted(charges), dir);
        CHECK(result.exit_code == 2);
        CHECK(result.err.find("every charge line is malformed") != std::string::npos);
        CHECK(result.out.empty());
    }
    SECTION("a policy with an error") {
        const std::string policy = dir.file("broken.mandate");
        write_text(policy, "mandate broken() {\n  amount <= 12.505 USD\n}\n");
        const auto result =
            mandate_run("bench " + quoted(policy) + " examples/office_charges.jsonl", dir);
        CHECK(result.exit_code == 1);
        CHECK(result.err.find(policy + ":2:13: error:") != std::string::npos);
        CHECK(result.err.find("^") != std::string::npos);
        CHECK(result.out.empty());
    }
    SECTION("arguments the mandate cannot be bound with") {
        const auto result = mandate_run(
            "bench stdlib-policies/weekly_allowance.mandate "
            "examples/office_charges.jsonl --args '{}'",
            dir);
        CHECK(result.exit_code == 2);
        CHECK(result.err.find("missing argument") != std::string::npos);
    }
    SECTION("a duration that does not parse, and both --duration and --iterations") {
        CHECK(mandate_run("bench " + office + "examples/office_charges.jsonl --duration 1x", dir)
                  .exit_code == 2);
        CHECK(mandate_run(
                  "bench " + office + "examples/office_charges.jsonl --duration 1s --iterations 64",
                  dir)
                  .exit_code == 2);
    }
}

// ---- bench/plot.py ---------------------------------------------------------------

namespace {

// The points of every <polyline> in an SVG, in order.
std::vector<std::size_t> polyline_point_counts(const std::string& svg) {
    std::vector<std::size_t> counts;
    const std::regex polyline(R"re(<polyline[^>]* points="([^"]*)")re");
    for (auto it = std::sregex_iterator(svg.begin(), svg.end(), polyline);
         it != std::sregex_iterator(); ++it) {
        std::istringstream points((*it)[1].str());
        std::size_t count = 0;
        for (std::string point; points >> point;) ++count;
        counts.push_back(count);
    }
    return counts;
}

}  // namespace

TEST_CASE("plot.py draws one chart per scaling dimension", "[bench-cli]") {
    const mandate::testing::scratch_dir dir("mandate-plot");
    const std::string out = dir.file("plots");
    const auto result = run_in_source(
        "python3 bench/plot.py --out " + quoted(out) + " tests/fixtures/bench_scaling.json", dir);
    INFO("stderr: " << result.err);
    REQUIRE(result.exit_code == 0);

    // Four dimensions; the failed scale_tokens run and compiled_mandate draw nothing.
    std::vector<std::string> written;
    for (const auto& entry : fs::directory_iterator(out)) {
        written.push_back(entry.path().filename().string());
    }
    std::sort(written.begin(), written.end());
    CHECK(written == std::vector<std::string>{"scale_clauses.svg", "scale_line_items.svg",
                                              "scale_sellers.svg", "scale_threads.svg"});

    const std::string clauses = mandate::testing::read_file(out + "/scale_clauses.svg");
    CHECK(polyline_point_counts(clauses) == std::vector<std::size_t>{5});
    // The _median aggregate (30 x 1.02), not the mean of the repetitions.
    CHECK(clauses.find("n = 1: 30.6 ns") != std::string::npos);
    CHECK(clauses.find("log x") != std::string::npos);

    const std::string sellers = mandate::testing::read_file(out + "/scale_sellers.svg");
    CHECK(polyline_point_counts(sellers) == std::vector<std::size_t>{6});
    CHECK(sellers.find("n = 10000: 45.0 ns") != std::string::npos);  // reported in us
    CHECK(sellers.find(">100k<") != std::string::npos);              // a tick label

    const std::string items = mandate::testing::read_file(out + "/scale_line_items.svg");
    CHECK(polyline_point_counts(items) == std::vector<std::size_t>{3, 3});
    CHECK(items.find("log y") != std::string::npos);

    const std::string threads = mandate::testing::read_file(out + "/scale_threads.svg");
    CHECK(polyline_point_counts(threads) == std::vector<std::size_t>{2});
    CHECK(threads.find("n = 2: 19.0 ns") != std::string::npos);
    CHECK(threads.find("log x") == std::string::npos);
}

TEST_CASE("plot.py refuses a report it cannot read", "[bench-cli]") {
    const mandate::testing::scratch_dir dir("mandate-plot");
    const std::string report = dir.file("peers.json");
    write_text(report, R"({"results": []})");
    const auto result = run_in_source(
        "python3 bench/plot.py --out " + quoted(dir.file("plots")) + " " + quoted(report), dir);
    CHECK(result.exit_code == 2);
    CHECK(result.err.find("not a Google Benchmark JSON report") != std::string::npos);
    CHECK_FALSE(fs::exists(dir.file("plots")));
}
