// The authoring tools: fmt keeps the policy and is idempotent, each lint code
// fires on a small bad policy and never on the standard library, radius combines
// budgets, caps, limits and validity exactly, and graph writes well-formed DOT.

#include <catch2/catch.hpp>

#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <limits>
#include <map>
#include <random>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "engine/program.hpp"
#include "mandate/authoring.hpp"
#include "mandate/json.hpp"
#include "tests/support.hpp"

namespace {

namespace fs = std::filesystem;
using namespace mandate;

const std::string source_dir = MANDATE_SOURCE_DIR;
const std::string binary = MANDATE_BINARY;

using mandate::testing::run_result;

run_result run(const std::string& command) {
    return mandate::testing::run_shell(command);
}

void write_file(const std::string& path, const std::string& text) {
    std::ofstream out(path, std::ios::binary);
    out << text;
    REQUIRE(out.good());
}

// Every policy the property tests run on: the standard library and the
// well-formed policies of the fuzz corpus.
std::vector<fs::path> sample_policies() {
    std::vector<fs::path> paths;
    for (const auto* dir : {"/stdlib-policies", "/fuzz/corpus/policy"}) {
        for (const auto& entry : fs::directory_iterator(source_dir + dir)) {
            if (entry.path().extension() == ".mandate") paths.push_back(entry.path());
        }
    }
    std::sort(paths.begin(), paths.end());
    return paths;
}

// The compiled structure of a policy without its source positions.
std::string structure(const policy& compiled) {
    std::ostringstream out;
    for (const auto& program : compiled.image().mandates) {
        out << program->name << " params " << program->parameters.size() << " nodes "
            << program->nodes.size() << " constants " << program->constants.size() << " sets "
            << program->sets.size() << " windows " << program->window_count << "\n";
        for (const auto& s : program->steps) {
            out << int(s.kind) << " " << s.reason_name << " " << int(s.compare) << " "
                << int(s.window) << " " << int(s.unit) << " " << s.operand << " " << s.set
                << " " << s.from << " " << s.until << " " << s.zone << " " << s.length << "\n";
        }
        for (const auto& n : program->nodes) {
            out << int(n.code) << "," << int(n.op) << "," << n.a << "," << n.b << "," << n.c
                << ";";
        }
        out << "\n";
    }
    return out.str();
}

// Decisions (approve, or the reason) on a stream, rule positions left out.
std::vector<std::string> decisions(const std::shared_ptr<const policy>& compiled,
                                   const std::string& arguments,
                                   const std::vector<std::string>& charges) {
    testing::token t(compiled, arguments);
    std::vector<std::string> out;
    for (const auto& line : charges) {
        charge_document document;
        std::string error;
        if (!decode_charge(line, document, error)) continue;
        const decision d = t.authorize(document.view());
        out.push_back(d.approved ? "approve" : std::string(to_string(d.code)));
    }
    return out;
}

std::vector<authoring::lint_finding> findings(const std::string& source,
                                              authoring::lint_options options = {}) {
    const auto report = authoring::lint(source, "bad.mandate", options);
    INFO(render(report.errors));
    REQUIRE(report.errors.empty());
    return report.findings;
}

std::set<std::string> codes(const std::string& source, authoring::lint_options options = {}) {
    std::set<std::string> out;
    for (const auto& f : findings(source, options)) out.insert(std::string(f.rule->code));
    return out;
}

// Example arguments for each stdlib mandate: the ones stdlib-policies/README.md
// shows with its blast radius.
struct stdlib_example {
    const char* file;
    const char* mandate;
    const char* arguments;
    const char* from;
    const char* over;  // empty: no horizon beyond the mandate's validity
};

const stdlib_example stdlib_examples[] = {
    {"one_time_purchase.mandate", "one_time_purchase",
     R"({"merchant_id": "acct_shoes", "max_amount": "120.00 USD", )"
     R"("expires_at": "2026-12-10T00:00:00Z"})",
     "2026-12-03T00:00:00Z", ""},
    {"weekly_allowance.mandate", "weekly_allowance",
     R"({"merchant_id": "acct_grocer", "allowance": "25.00 USD", )"
     R"("zone": "America/New_York", "ends_at": "2027-01-01T00:00:00Z"})",
     "2026-12-07T05:00:00Z", ""},
    {"api_metering.mandate", "api_metering",
     R"({"payee": "acct_data", "per_call": "0.05 USD", "daily": "1.00 USD"})",
     "2026-12-03T00:00:00Z", "7d"},
    {"procurement.mandate", "procurement",
     R"({"suppliers": ["acct_staples", "acct_uline"], )"
     R"("merchant_categories": [5111, 5943], "item_categories": ["paper", )"
     R"("toner", "boxes"], "per_order": "400.00 USD", "monthly": "1500.00 USD", )"
     R"("order_total": "4000.00 USD", "ends_at": "2027-04-01T00:00:00Z", )"
     R"("zone": "America/Chicago"})",
     "2026-12-03T00:00:00Z", ""},
    {"subscription.mandate", "subscription",
     R"({"merchant_id": "acct_news", "price": "9.99 USD", )"
     R"("ends_at": "2027-12-01T00:00:00Z"})",
     "2026-12-01T00:00:00Z", ""},
    {"team_budget.mandate", "team_budget",
     R"({"sellers": ["acct_figma", "acct_github", "acct_aws"], )"
     R"("monthly": "2000.00 USD", "total": "5000.00 USD", )"
     R"("ends_at": "2027-06-01T00:00:00Z"})",
     "2026-12-01T00:00:00Z", ""},
    {"team_budget.mandate", "team_member",
     R"({"merchant_id": "acct_figma", "per_charge": "75.00 USD", )"
     R"("monthly_share": "300.00 USD", "ends_at": "2027-06-01T00:00:00Z"})",
     "2026-12-01T00:00:00Z", ""},
    {"grant.mandate", "grant", R"({"total": "60.00 USD", "ends_at": "2027-01-01T00:00:00Z"})",
     "2026-12-07T14:00:00Z", ""},
    {"office_supplies.mandate", "office_supplies", "{}", "2026-12-01T00:00:00Z", ""},
};

authoring::radius_report example_radius(const stdlib_example& e) {
    auto compiled = testing::compile_ok(
        testing::read_file(source_dir + "/stdlib-policies/" + e.file),
        std::string("stdlib-policies/") + e.file);
    auto bound = testing::bind_ok(compiled, e.mandate, e.arguments);
    authoring::radius_options options;
    options.from = parse_rfc3339(e.from);
    if (*e.over != '\0') options.over = parse_duration(e.over);
    return authoring::blast_radius(*bound, options);
}

}  // namespace

// ---- fmt ------------------------------------------------------------------------

TEST_CASE("fmt is idempotent and keeps every policy's meaning", "[authoring]") {
    for (const auto& path : sample_policies()) {
        const std::string source = testing::read_file(path);
        if (!compile(source, "x.mandate").ok()) continue;  // the corpus's broken ones
        INFO(path.string());
        const auto once = authoring::format(source, path.string());
        INFO(render(once.diagnostics));
        REQUIRE(once.ok());
        const auto twice = authoring::format(once.text, path.string());
        REQUIRE(twice.ok());
        CHECK(twice.text == once.text);
        const auto before = testing::compile_ok(source);
        const auto after = testing::compile_ok(once.text);
        CHECK(structure(*after) == structure(*before));
    }
}

TEST_CASE("fmt keeps the meaning of every policy in the language reference", "[authoring]") {
    // The ```mandate blocks of docs/language.md: every construct of the language.
    const std::string page = testing::read_file(source_dir + "/docs/language.md");
    std::size_t blocks = 0;
    for (std::size_t at = page.find("```mandate\n"); at != std::string::npos;
         at = page.find("```mandate\n", at + 1)) {
        const std::size_t begin = at + 11;
        const std::string source = page.substr(begin, page.find("```", begin) - begin);
        INFO(source);
        const auto once = authoring::format(source, "doc.mandate");
        REQUIRE(once.ok());
        CHECK(authoring::format(once.text, "doc.mandate").text == once.text);
        CHECK(structure(*testing::compile_ok(once.text)) ==
              structure(*testing::compile_ok(source)));
        ++blocks;
    }
    CHECK(blocks >= 5);
}

TEST_CASE("fmt leaves the standard library as it is", "[authoring]") {
    for (const auto& entry : fs::directory_iterator(source_dir + "/stdlib-policies")) {
        if (entry.path().extension() != ".mandate") continue;
        INFO(entry.path().string());
        const std::string source = testing::read_file(entry.path());
        const auto formatted = authoring::format(source, entry.path().string());
        REQUIRE(formatted.ok());
        CHECK(formatted.text == source);
    }
}

TEST_CASE("fmt gives a messy policy the canonical layout and keeps its comments",
          "[authoring]") {
    const std::string messy =
        "# head comment\n\n\n"
        "mandate   shop ( cap : money = 10.00USD ,hosts:list < text >=[\"a.example\",] ){ # opens\n"
        "seller in[ \"acct_1\" ,\"acct_2\" ]   # the two shops\n"
        "\n\n"
        "   # own line\n"
        "amount<=cap*2 domain in hosts\n"
        "  require every item in charge.items:(item.quantity<=-1*-5) and count( charge.items )"
        ">0 else decline too_many\n"
        "budget 5 USD per week starting sunday in \"UTC\" limit 3 charges per rolling 1h\n"
        "}\n"
        "mandate other{valid until 2027-01-01T00:00:00Z}";
    const auto formatted = authoring::format(messy, "messy.mandate");
    INFO(render(formatted.diagnostics));
    REQUIRE(formatted.ok());
    const std::string expected =
        "# head comment\n"
        "\n"
        "mandate shop(cap: money = 10.00 USD, hosts: list<text> = [\"a.example\",]) {  # opens\n"
        "  seller in [\"acct_1\", \"acct_2\"]  # the two shops\n"
        "\n"
        "  # own line\n"
        "  amount <= cap * 2\n"
        "  domain in hosts\n"
        "  require every item in charge.items: (item.quantity <= -1 * -5)\n"
        "    and count(charge.items) > 0 else decline too_many\n"
        "  budget 5 USD per week starting sunday in \"UTC\"\n"
        "  limit 3 charges per rolling 1h\n"
        "}\n"
        "\n"
        "mandate other {\n"
        "  valid until 2027-01-01T00:00:00Z\n"
        "}\n";
    CHECK(formatted.text == expected);
    CHECK(structure(*testing::compile_ok(expected)) == structure(*testing::compile_ok(messy)));
}

TEST_CASE("fmt keeps the decisions of the office example", "[authoring]") {
    const std::string source =
        testing::read_file(source_dir + "/stdlib-policies/office_supplies.mandate");
    // Squash the layout, then format it back.
    std::string squashed;
    std::istringstream lines(source);
    std::string line;
    while (std::getline(lines, line)) {
        const auto hash = line.find('#');
        squashed += line.substr(0, hash) + "   ";
    }
    const auto formatted = authoring::format(squashed, "office.mandate");
    REQUIRE(formatted.ok());
    std::vector<std::string> charges;
    std::istringstream stream(testing::read_file(source_dir + "/examples/office_charges.jsonl"));
    while (std::getline(stream, line)) charges.push_back(line);
    const auto expected = decisions(testing::compile_ok(source), "{}", charges);
    CHECK(expected.size() > 10);
    CHECK(decisions(testing::compile_ok(formatted.text), "{}", charges) == expected);
    CHECK(decisions(testing::compile_ok(squashed), "{}", charges) == expected);
}

TEST_CASE("fmt refuses a policy that does not parse", "[authoring]") {
    const auto formatted = authoring::format("mandate x {\n  seller in [\"a\"\n}\n", "bad.mandate");
    REQUIRE_FALSE(formatted.ok());
    CHECK(formatted.text.empty());
    CHECK(formatted.diagnostics.at(0).line == 3);
}

// ---- lint -----------------------------------------------------------------------

TEST_CASE("every lint code fires on a small bad policy", "[authoring]") {
    const std::string scoped = "  seller in [\"a\"]\n  valid until 2027-01-01T00:00:00Z\n";
    CHECK(codes("mandate m {\n  amount <= 5.00 USD\n  valid until 2027-01-01T00:00:00Z\n}\n") ==
          std::set<std::string>{"L001"});
    CHECK(codes("mandate m {\n  seller in [\"a\"]\n  amount <= 5.00 USD\n}\n") ==
          std::set<std::string>{"L002"});
    CHECK(codes("mandate m {\n" + scoped + "  limit 3 charges per day\n}\n") ==
          std::set<std::string>{"L003"});
    CHECK(codes("mandate m {\n" + scoped +
                "  amount <= 50.00 USD\n  budget 20.00 USD per day\n}\n") ==
          std::set<std::string>{"L004"});
    authoring::lint_options max;
    max.max_budget = authoring::parse_money_text("1000.00 USD");
    REQUIRE(max.max_budget);
    const std::string big = "mandate m {\n" + scoped + "  budget 1000.01 USD per month\n}\n";
    CHECK(codes(big, max) == std::set<std::string>{"L005"});
    CHECK(codes(big).empty());  // no maximum, no rule
    CHECK(codes("mandate m {\n" + scoped +
                "  currency USD\n  budget 1000.00 USD per month\n}\n", max).empty());
    for (const auto* wide : {"*.com", "*.co.uk", "*.io"}) {
        INFO(wide);
        CHECK(codes("mandate m {\n  domain in [\"shop.example\", \"" + std::string(wide) +
                    "\"]\n  valid until 2027-01-01T00:00:00Z\n  currency USD\n}\n") ==
              std::set<std::string>{"L006"});
    }
    CHECK(codes("mandate m {\n  domain in [\"*.officedepot.com\"]\n"
                "  valid until 2027-01-01T00:00:00Z\n  currency USD\n}\n").empty());
    CHECK(codes("mandate m {\n" + scoped + "  amount <= 0.00 USD\n}\n") ==
          std::set<std::string>{"L007"});
    CHECK(codes("mandate m {\n  seller in []\n  valid until 2027-01-01T00:00:00Z\n"
                "  currency USD\n}\n") == std::set<std::string>{"L007"});
    CHECK(codes("mandate m {\n" + scoped + "  currency EUR\n  amount <= 5.00 USD\n}\n") ==
          std::set<std::string>{"L007"});
    CHECK(codes("mandate m {\n" + scoped +
                "  amount >= 30.00 USD\n  budget 20.00 USD total\n}\n") ==
          std::set<std::string>{"L007"});
    CHECK(codes("mandate m {\n" + scoped + "  currency USD\n  require 1 > 2\n}\n") ==
          std::set<std::string>{"L007"});
    CHECK(codes("mandate m {\n" + scoped + "  budget 5.00 USD per day\n"
                "  budget 5.00 USD per day\n}\n") == std::set<std::string>{"L008"});
    CHECK(codes("mandate m {\n" + scoped + "  budget 5.00 USD per day\n"
                "  budget 9.00 USD per day\n}\n") == std::set<std::string>{"L009"});
    CHECK(codes("mandate m {\n" + scoped + "  budget 5.00 USD total\n"
                "  budget 9.00 USD per week\n}\n") == std::set<std::string>{"L009"});
    CHECK(codes("mandate m {\n  seller in [\"a\"]\n  seller in [\"a\", \"b\"]\n"
                "  valid until 2027-01-01T00:00:00Z\n  currency USD\n}\n") ==
          std::set<std::string>{"L009"});
}

TEST_CASE("a lint finding points at the clause with its line, caret and help", "[authoring]") {
    const auto found = findings("mandate m {\n  seller in [\"a\"]\n  valid until "
                                "2027-01-01T00:00:00Z\n  amount <= 50.00 USD\n"
                                "  budget 20.00 USD per day\n}\n");
    REQUIRE(found.size() == 1);
    const diagnostic& d = found[0].where;
    CHECK(d.file == "bad.mandate");
    CHECK(d.line == 4);
    CHECK(d.column == 3);
    CHECK(d.source_line == "  amount <= 50.00 USD");
    CHECK(d.help == std::string(found[0].rule->help));
    CHECK(d.render().find("^~~~~~") != std::string::npos);
    CHECK(d.message.find("20.00 USD per day in UTC (line 5)") != std::string::npos);
}

TEST_CASE("lint checks argument values when it can bind, and says when it cannot",
          "[authoring]") {
    const std::string source =
        "mandate m(cap: money, daily: money) {\n  seller in [\"a\"]\n"
        "  valid until 2027-01-01T00:00:00Z\n  amount <= cap\n  budget daily per day\n}\n";
    const auto unbound = authoring::lint(source, "p.mandate", {});
    CHECK(unbound.findings.empty());
    REQUIRE(unbound.unchecked.size() == 1);
    CHECK(unbound.unchecked[0].starts_with(
        "p.mandate:1: mandate 'm': the values on lines 4 and 5"));
    authoring::lint_options options;
    options.arguments = R"({"cap": "50.00 USD", "daily": "20.00 USD"})";
    const auto bound = authoring::lint(source, "p.mandate", options);
    REQUIRE(bound.findings.size() == 1);
    CHECK(bound.findings[0].rule->name == "cap-over-budget");
    CHECK(bound.unchecked.empty());
}

TEST_CASE("a lint: allow comment silences one code for its mandate", "[authoring]") {
    const std::string base =
        "mandate m {\n  amount <= 5.00 USD\n  valid until 2027-01-01T00:00:00Z\n}\n";
    CHECK(codes(base) == std::set<std::string>{"L001"});
    CHECK(codes("# lint: allow unscoped-seller: a grant\n" + base).empty());
    CHECK(codes("# lint: allow L001\n" + base).empty());
    CHECK(codes("# lint: allow L002\n" + base) == std::set<std::string>{"L001"});
    // Only the comment block right above counts, not one further up.
    CHECK(codes("# lint: allow L001\n\nmandate n {\n  seller in [\"a\"]\n  currency USD\n"
                "  valid until 2027-01-01T00:00:00Z\n}\n\n" + base) ==
          std::set<std::string>{"L001"});
}

TEST_CASE("the standard library passes lint, with and without example arguments",
          "[authoring]") {
    for (const auto& e : stdlib_examples) {
        INFO(e.file << " " << e.mandate);
        const std::string source = testing::read_file(source_dir + "/stdlib-policies/" + e.file);
        authoring::lint_options options;
        options.mandate_name = e.mandate;
        auto report = authoring::lint(source, e.file, options);
        REQUIRE(report.errors.empty());
        CHECK(report.findings.empty());
        options.arguments = e.arguments;
        options.max_budget = authoring::parse_money_text("10000.00 USD");
        report = authoring::lint(source, e.file, options);
        for (const auto& f : report.findings) INFO(f.where.render());
        CHECK(report.findings.empty());
        CHECK(report.unchecked.empty());
    }
}

// ---- radius ---------------------------------------------------------------------

TEST_CASE("radius counts the calendar periods a horizon touches", "[authoring]") {
    auto compiled = testing::compile_ok(
        "mandate m {\n  seller in [\"a\"]\n  budget 25.00 USD per week in \"UTC\"\n}\n");
    auto bound = testing::bind_ok(compiled, "m", "{}");
    authoring::radius_options options;
    // Sunday to Tuesday: three days, two weeks.
    options.from = parse_rfc3339("2026-12-06T12:00:00Z");
    options.over = parse_duration("2d");
    auto report = authoring::blast_radius(*bound, options);
    REQUIRE(report.total);
    CHECK(report.total->units == 5000);
    CHECK(report.binding_clause == "test.mandate:3");
    // Without an end the weekly budget bounds nothing.
    options.over.reset();
    report = authoring::blast_radius(*bound, options);
    CHECK_FALSE(report.total);
    CHECK(radius_text(report, true).find("\x1b[1;31mUNBOUNDED") != std::string::npos);
    CHECK(radius_text(report, false).find('\x1b') == std::string::npos);
}

TEST_CASE("radius takes the least of budgets, count limits times the cap, and validity",
          "[authoring]") {
    auto compiled = testing::compile_ok(
        "mandate m {\n  seller in [\"a\"]\n  amount < 10.00 USD\n"
        "  valid from 2026-12-01T00:00:00Z until 2026-12-01T03:00:00Z\n"
        "  limit 2 charges per rolling 1h\n  budget 100.00 USD total\n}\n");
    auto bound = testing::bind_ok(compiled, "m", "{}");
    const auto report = authoring::blast_radius(*bound, {});
    REQUIRE(report.total);
    // Three hours, two charges an hour, each at most 9.99 USD.
    CHECK(report.total->units == 3 * 2 * 999);
    CHECK(report.binding_clause == "test.mandate:5");
    CHECK(report.binding_explanation.find("x 3 windows") != std::string::npos);
    REQUIRE(report.windows.size() == 1);
    CHECK(report.windows[0].amount->units == 2 * 999);
    const auto json = nlohmann::json::parse(authoring::radius_json(report));
    CHECK(json["total"]["minor_units"] == "5994");
    CHECK(json["bounded"] == true);
}

TEST_CASE("radius reports a mandate that can approve nothing", "[authoring]") {
    auto mixed = testing::bind_ok(
        testing::compile_ok("mandate m {\n  amount <= 5.00 USD\n  budget 5.00 EUR total\n}\n"),
        "m", "{}");
    CHECK(authoring::blast_radius(*mixed, {}).never_approves);
    auto expired = testing::bind_ok(
        testing::compile_ok("mandate m {\n  valid until 2026-01-01T00:00:00Z\n"
                            "  budget 5.00 USD total\n}\n"),
        "m", "{}");
    authoring::radius_options options;
    options.from = parse_rfc3339("2026-06-01T00:00:00Z");
    const auto report = authoring::blast_radius(*expired, options);
    CHECK(report.never_approves);
    REQUIRE(report.total);
    CHECK(report.total->units == 0);
}

TEST_CASE("the stdlib README states each mandate's radius as radius computes it",
          "[authoring]") {
    const std::string readme = testing::read_file(source_dir + "/stdlib-policies/README.md");
    for (const auto& e : stdlib_examples) {
        INFO(e.file << " " << e.mandate);
        const auto report = example_radius(e);
        REQUIRE(report.total);
        const std::string line = "blast radius: " + format_money(*report.total) + ", bound by " +
                                 report.binding_clause + " (" + report.binding_explanation + ")";
        CHECK(readme.find(line) != std::string::npos);
        CHECK(readme.find("`" + std::string(e.mandate) + "`") != std::string::npos);
    }
}

// ---- graph ----------------------------------------------------------------------

TEST_CASE("graph writes structurally valid DOT for every stdlib mandate", "[authoring]") {
    const std::regex declared(R"(^\s*([A-Za-z_][A-Za-z0-9_]*) \[)");
    const std::regex edge(R"(^\s*([A-Za-z_][A-Za-z0-9_]*) -> ([A-Za-z_][A-Za-z0-9_]*))");
    for (const auto& e : stdlib_examples) {
        INFO(e.file << " " << e.mandate);
        auto compiled = testing::compile_ok(
            testing::read_file(source_dir + "/stdlib-policies/" + e.file), e.file);
        const std::string dot = authoring::graph_dot(*compiled, e.mandate);
        REQUIRE(dot.starts_with("digraph \""));
        std::set<std::string> nodes;
        std::vector<std::pair<std::string, std::string>> edges;
        int depth = 0;
        bool in_text = false;
        for (std::size_t i = 0; i < dot.size(); ++i) {
            if (dot[i] == '\\' && in_text) {
                ++i;
                continue;
            }
            if (dot[i] == '"') in_text = !in_text;
            if (in_text) continue;
            if (dot[i] == '{') ++depth;
            if (dot[i] == '}') --depth;
            REQUIRE(depth >= 0);
        }
        CHECK(depth == 0);
        CHECK_FALSE(in_text);
        std::istringstream lines(dot);
        std::string line;
        std::smatch m;
        while (std::getline(lines, line)) {
            if (std::regex_search(line, m, edge)) {
                edges.emplace_back(m[1], m[2]);
            } else if (std::regex_search(line, m, declared)) {
                nodes.insert(m[1]);
            }
        }
        REQUIRE_FALSE(edges.empty());
        for (const auto& [from, to] : edges) {
            CHECK(nodes.count(from) == 1);
            CHECK(nodes.count(to) == 1);
        }
        // One step per clause, in order, ending in approval.
        const auto steps = compiled->image().find(e.mandate)->steps.size();
        CHECK(nodes.count("step" + std::to_string(steps)) == 1);
        CHECK(dot.find("step" + std::to_string(steps) + " -> approve") != std::string::npos);
    }
    auto office = testing::compile_ok(
        testing::read_file(source_dir + "/stdlib-policies/office_supplies.mandate"));
    const std::string dot = authoring::graph_dot(*office, "office_supplies");
    CHECK(dot.find("subgraph cluster_condition_") != std::string::npos);
    CHECK(dot.find("decline\\nitem_not_allowed") != std::string::npos);
    CHECK(authoring::graph_dot(*office, "nope").empty());
}

TEST_CASE("graph names every reason a step can decline with", "[authoring][graph]") {
    // A window with a start declines early charges as not_yet_valid and late ones as
    // expired; caps and budgets refuse a charge in another currency.
    auto compiled = testing::compile_ok(R"(mandate m() {
  valid from 2026-12-01T00:00:00Z until 2027-01-01T00:00:00Z
  amount <= 5.00 USD
  budget 20.00 USD total
  valid until 2027-02-01T00:00:00Z
}
)");
    const std::string dot = authoring::graph_dot(*compiled, "m");
    CHECK(dot.find("decline1 [label=\"decline\\nexpired | not_yet_valid\"") != std::string::npos);
    CHECK(dot.find("decline2 [label=\"decline\\namount_over_limit | currency_not_allowed\"") !=
          std::string::npos);
    CHECK(dot.find("decline3 [label=\"decline\\nbudget_exceeded | currency_not_allowed\"") !=
          std::string::npos);
    // Without a start, a validity window only ever says expired.
    CHECK(dot.find("decline4 [label=\"decline\\nexpired\"") != std::string::npos);
}

// ---- the command line -----------------------------------------------------------

TEST_CASE("mandate fmt checks, rewrites in place, and never touches a broken file",
          "[authoring]") {
    testing::scratch_dir dir("mandate-fmt");
    const std::string messy = dir.file("messy.mandate");
    const std::string broken = dir.file("broken.mandate");
    const std::string tidy = dir.file("tidy.mandate");
    write_file(messy, "mandate m{seller in[\"a\"] # note\n}");
    write_file(broken, "mandate m {\n  seller in [\n}\n");
    write_file(tidy, "mandate m {\n  seller in [\"a\"]\n}\n");

    auto result = run("'" + binary + "' fmt --check '" + messy + "' '" + tidy + "' 2>&1");
    CHECK(result.exit_code == 1);
    CHECK(result.output == messy + "\n");
    CHECK(testing::read_file(messy) == "mandate m{seller in[\"a\"] # note\n}");

    result = run("'" + binary + "' fmt '" + messy + "' '" + broken + "' 2>&1");
    CHECK(result.exit_code == 1);
    CHECK(result.output.find(broken + ":3:1: error:") != std::string::npos);
    CHECK(testing::read_file(messy) == "mandate m {\n  seller in [\"a\"]  # note\n}\n");
    CHECK(testing::read_file(broken) == "mandate m {\n  seller in [\n}\n");
    std::size_t files = 0;
    for ([[maybe_unused]] const auto& entry : fs::directory_iterator(dir.path())) ++files;
    CHECK(files == 3);  // no temporary file left behind

    CHECK(run("'" + binary + "' fmt --check '" + messy + "' '" + tidy + "'").exit_code == 0);
    CHECK(run("'" + binary + "' fmt /nonexistent.mandate 2>/dev/null").exit_code == 2);
}

TEST_CASE("mandate lint exit codes follow --deny, -D warnings and --allow", "[authoring]") {
    testing::scratch_dir dir("mandate-lint");
    const std::string bad = dir.file("bad.mandate");
    write_file(bad, "mandate m {\n  amount <= 5.00 USD\n  valid until 2027-01-01T00:00:00Z\n}\n");
    const std::string lint = "'" + binary + "' lint '" + bad + "'";

    auto result = run(lint + " 2>&1");
    CHECK(result.exit_code == 0);
    CHECK(result.output.find(bad + ":1:9: warning: ") != std::string::npos);
    CHECK(result.output.find("[L001 unscoped-seller]") != std::string::npos);
    CHECK(result.output.find("= help: ") != std::string::npos);
    CHECK(result.output.find("1 warning, 0 errors") != std::string::npos);

    result = run(lint + " -D warnings 2>&1");
    CHECK(result.exit_code == 1);
    CHECK(result.output.find(bad + ":1:9: error: ") != std::string::npos);
    CHECK(run(lint + " --deny L001 >/dev/null").exit_code == 1);
    CHECK(run(lint + " --deny no-expiry >/dev/null").exit_code == 0);
    CHECK(run(lint + " --deny-all --allow unscoped-seller").output.empty());
    CHECK(run(lint + " --deny-all --allow unscoped-seller").exit_code == 0);
    CHECK(run(lint + " --deny L999 2>/dev/null").exit_code == 2);
    CHECK(run(lint + " --max-budget 12 2>/dev/null").exit_code == 2);

    const std::string config = dir.file("lint.json");
    write_file(config, R"({"deny": ["L001"]})");
    CHECK(run(lint + " --config '" + config + "' >/dev/null").exit_code == 1);

    result = run("cd '" + source_dir + "' && '" + binary +
                 "' lint -D warnings stdlib-policies/*.mandate 2>&1");
    CHECK(result.exit_code == 0);
    CHECK(result.output.find("warning") == std::string::npos);
    CHECK(result.output.find("error") == std::string::npos);
}

TEST_CASE("mandate radius and graph on the command line", "[authoring]") {
    auto result = run("cd '" + source_dir + "' && '" + binary +
                      "' radius stdlib-policies/one_time_purchase.mandate --json --from "
                      "2026-12-03T00:00:00Z --args '" + stdlib_examples[0].arguments + "'");
    REQUIRE(result.exit_code == 0);
    const auto json = nlohmann::json::parse(result.output);
    CHECK(json["total"]["amount"] == "120.00");
    CHECK(json["binding"]["clause"].get<std::string>().starts_with(
        "stdlib-policies/one_time_purchase.mandate:"));

    result = run("cd '" + source_dir + "' && '" + binary +
                 "' radius stdlib-policies/one_time_purchase.mandate 2>&1");
    CHECK(result.exit_code == 2);
    CHECK(result.output.find("missing argument 'merchant_id'") != std::string::npos);

    result = run("cd '" + source_dir + "' && '" + binary +
                 "' graph stdlib-policies/team_budget.mandate --mandate team_member");
    CHECK(result.exit_code == 0);
    CHECK(result.output.starts_with("digraph \"team_member\""));
    CHECK(run("cd '" + source_dir + "' && '" + binary +
              "' graph stdlib-policies/team_budget.mandate 2>/dev/null")
              .exit_code == 2);
}

// ---- what the review found --------------------------------------------------------

TEST_CASE("fmt, lint, radius, graph and compile refuse a directory given as a policy",
          "[authoring]") {
    testing::scratch_dir dir("mandate-dir");
    fs::create_directory(dir.path() / "d");
    const std::string d = dir.file("d");
    for (const std::string command : {"fmt", "fmt --check", "lint", "radius", "graph", "compile"}) {
        INFO(command);
        const auto result = run("'" + binary + "' " + command + " '" + d + "' 2>&1");
        CHECK(result.exit_code == 2);
        CHECK(result.output == "mandate: cannot read policy file '" + d + "': is a directory\n");
    }
    const std::string config = "'" + binary + "' lint --config '" + d + "' '" + source_dir +
                               "/stdlib-policies/grant.mandate' 2>&1";
    const auto result = run(config);
    CHECK(result.exit_code == 2);
    CHECK(result.output == "mandate: cannot read lint config '" + d + "': is a directory\n");
    // A missing file says why too.
    CHECK(run("'" + binary + "' lint '" + dir.file("nope.mandate") + "' 2>&1").output ==
          "mandate: cannot read policy file '" + dir.file("nope.mandate") +
              "': no such file or directory\n");
}

TEST_CASE("mandate lint refuses --args that are not a JSON object", "[authoring]") {
    testing::scratch_dir dir("mandate-lint-args");
    const std::string policy = dir.file("p.mandate");
    write_file(policy, "mandate m(cap: money) {\n  seller in [\"a\"]\n  amount <= cap\n"
                       "  valid until 2027-01-01T00:00:00Z\n}\n");
    const std::string lint = "'" + binary + "' lint '" + policy + "' -D warnings";
    for (const std::string arguments : {"{bad", "[1, 2]", "\"text\"", "{\"cap\": "}) {
        INFO(arguments);
        const auto result = run(lint + " --args '" + arguments + "' 2>&1");
        CHECK(result.exit_code == 2);
        CHECK(result.output.starts_with("mandate: --args must be a JSON object"));
        CHECK(result.output.find("note:") == std::string::npos);
    }
    // Well-formed arguments are bound and checked.
    auto result = run(lint + " --args '{\"cap\": \"5.00 USD\"}' 2>&1");
    CHECK(result.exit_code == 0);
    CHECK(result.output.empty());
    result = run(lint + " --args '{\"cap\": \"0.00 USD\"}' 2>&1");
    CHECK(result.exit_code == 1);
    CHECK(result.output.find("[L007 never-approves]") != std::string::npos);
}

TEST_CASE("lint finds validity clauses that leave no time to approve anything",
          "[authoring]") {
    const std::string head = "mandate m {\n  seller in [\"a\"]\n  amount <= 5.00 USD\n";
    const auto found = findings(head + "  valid until 2027-01-01T00:00:00Z\n"
                                       "  valid from 2028-01-01T00:00:00Z\n}\n");
    REQUIRE(found.size() == 1);
    CHECK(found[0].rule->code == "L007");
    const diagnostic& d = found[0].where;
    CHECK(d.line == 5);
    CHECK(d.column == 3);
    CHECK(d.source_line == "  valid from 2028-01-01T00:00:00Z");
    CHECK(d.message.find("on line 4") != std::string::npos);
    CHECK(d.render().find("    |   ^~~~~\n") != std::string::npos);
    CHECK_FALSE(d.help.empty());
    // Until is exclusive: a window that ends where the other starts is empty too.
    CHECK(codes(head + "  valid from 2027-01-01T00:00:00Z\n"
                       "  valid until 2027-01-01T00:00:00Z\n}\n") ==
          std::set<std::string>{"L007"});
    CHECK(codes(head + "  valid from 2026-01-01T00:00:00Z until 2027-01-01T00:00:00Z\n"
                       "  valid from 2027-06-01T00:00:00Z until 2028-01-01T00:00:00Z\n}\n") ==
          std::set<std::string>{"L007"});
    // Windows that overlap are fine (the narrower one is only shadowing, L009 or none).
    CHECK(codes(head + "  valid from 2026-01-01T00:00:00Z\n"
                       "  valid until 2027-01-01T00:00:00Z\n}\n").empty());
    // And radius agrees that nothing can be approved.
    auto bound = testing::bind_ok(
        testing::compile_ok(head + "  valid until 2027-01-01T00:00:00Z\n"
                                   "  valid from 2028-01-01T00:00:00Z\n}\n"),
        "m", "{}");
    CHECK(authoring::blast_radius(*bound, {}).never_approves);
}

TEST_CASE("L002 is not reported when a lifetime count limit and a cap bound the mandate",
          "[authoring]") {
    const std::string bounded =
        "mandate m {\n  seller in [\"a\"]\n  amount <= 10.00 USD\n  limit 1 charges total\n}\n";
    CHECK(codes(bounded).empty());
    // As radius says: at most one charge of at most the cap.
    const auto radius =
        authoring::blast_radius(*testing::bind_ok(testing::compile_ok(bounded), "m", "{}"), {});
    REQUIRE(radius.total);
    CHECK(radius.total->units == 1000);
    // Without the cap, or with a periodic limit, nothing runs out: still L002.
    CHECK(codes("mandate m {\n  seller in [\"a\"]\n  currency USD\n  limit 1 charges total\n}\n") ==
          std::set<std::string>{"L002"});
    CHECK(codes("mandate m {\n  seller in [\"a\"]\n  amount <= 10.00 USD\n"
                "  limit 1 charges per day\n}\n") == std::set<std::string>{"L002"});
    // A cap that comes from a parameter bounds it as well (radius binds it).
    CHECK(codes("mandate m(cap: money) {\n  seller in [\"a\"]\n  amount <= cap\n"
                "  limit 3 charges total\n}\n").empty());
}

TEST_CASE("radius counts rolling windows exactly however many there are", "[authoring]") {
    auto bound = testing::bind_ok(
        testing::compile_ok("mandate m {\n  seller in [\"a\"]\n"
                            "  valid from 2026-01-01T00:00:00Z until 2028-01-01T00:00:00Z\n"
                            "  budget 1.00 USD per rolling 1m\n}\n"),
        "m", "{}");
    const auto report = authoring::blast_radius(*bound, {});
    REQUIRE(report.total);
    // 730 days of 1440 minutes.
    CHECK(report.total->units == minor_units{730} * 1440 * 100);
    CHECK(format_money(*report.total) == "1051200.00 USD");
    const std::string text = authoring::radius_text(report, false);
    CHECK(text.find("UNBOUNDED") == std::string::npos);
    CHECK(text.find("x 1051200 windows") != std::string::npos);

    // An --over far past the year 9999 ends where charge times end, without overflow.
    authoring::radius_options options;
    options.from = parse_rfc3339("2026-01-01T00:00:00Z");
    options.over = duration(std::numeric_limits<std::int64_t>::max());
    auto open = testing::bind_ok(
        testing::compile_ok("mandate m {\n  seller in [\"a\"]\n  budget 1.00 USD per day\n}\n"),
        "m", "{}");
    const auto far = authoring::blast_radius(*open, options);
    REQUIRE(far.total);
    REQUIRE(far.horizon_end);
    CHECK(format_rfc3339(*far.horizon_end) == "10000-01-01T00:00:00Z");
    // Days from 2026-01-01 to 10000-01-01.
    const auto days = (date::sys_days{date::year{10000} / 1 / 1} -
                       date::sys_days{date::year{2026} / 1 / 1}).count();
    CHECK(far.total->units == minor_units{days} * 100);
}

TEST_CASE("radius counts the calendar periods a horizon touches as the engine walks them",
          "[authoring]") {
    // The count radius computes against the periods calendar_period gives, one after
    // the other, on horizons across daylight-saving changes, including a clock set
    // back across midnight (St John's, 2007: 00:01 back to 23:01).
    struct zone_case {
        const char* zone;
        const char* from;
    };
    const zone_case zones[] = {{"UTC", "2026-01-01T00:00:00Z"},
                               {"America/New_York", "2026-01-01T00:00:00Z"},
                               {"Asia/Beirut", "2026-01-01T00:00:00Z"},
                               {"Australia/Lord_Howe", "2026-01-01T00:00:00Z"},
                               {"America/St_Johns", "2006-01-01T00:00:00Z"}};
    const char* units[] = {"day", "week starting sunday", "month", "year"};
    std::mt19937_64 random(11);
    std::vector<std::pair<instant, instant>> fixed{
        // Ends in St John's repeated hour, after its first pass of midnight.
        {*parse_rfc3339("2007-11-03T12:00:00Z"), *parse_rfc3339("2007-11-04T02:45:00Z")},
        {*parse_rfc3339("2007-11-04T02:40:00Z"), *parse_rfc3339("2007-11-04T03:45:00Z")},
    };
    for (const auto& z : zones) {
        const date::time_zone* zone = find_zone(z.zone);
        REQUIRE(zone != nullptr);
        for (const char* unit : units) {
            INFO(z.zone << " " << unit);
            const std::string policy = "mandate m {\n  seller in [\"a\"]\n  budget 0.01 USD per " +
                                       std::string(unit) + " in \"" + z.zone + "\"\n}\n";
            auto bound = testing::bind_ok(testing::compile_ok(policy), "m", "{}");
            const auto& step = bound->image().program->steps.at(1);
            auto horizons = fixed;
            const instant base = *parse_rfc3339(z.from);
            for (int i = 0; i < 60; ++i) {
                const auto offset = std::chrono::minutes(random() % (4 * 365 * 1440));
                const auto length = std::chrono::minutes(1 + random() % (i < 30 ? 3000 : 800000));
                horizons.emplace_back(base + offset, base + offset + length);
            }
            for (const auto& [start, end] : horizons) {
                std::int64_t walked = 0;
                for (instant at = start; at < end;) {
                    at = calendar_period(at, step.unit, step.week_start, zone).end;
                    ++walked;
                }
                authoring::radius_options options;
                options.from = start;
                options.over = end - start;
                const auto report = authoring::blast_radius(*bound, options);
                INFO(format_rfc3339(start) << " to " << format_rfc3339(end));
                REQUIRE(report.total);
                CHECK(report.total->units == walked);
            }
        }
    }
}

TEST_CASE("radius says a bound too large to hold exceeds the largest representable amount",
          "[authoring]") {
    // 10^37 minor units a charge, 1000 charges a day, for four years: over 2^127.
    auto bound = testing::bind_ok(
        testing::compile_ok("mandate m {\n  seller in [\"a\"]\n"
                            "  amount <= 100000000000000000000000000000000000.00 USD\n"
                            "  limit 1000 charges per day\n"
                            "  valid from 2026-01-01T00:00:00Z until 2030-01-01T00:00:00Z\n}\n"),
        "m", "{}");
    const auto report = authoring::blast_radius(*bound, {});
    CHECK_FALSE(report.total);
    CHECK(report.exceeds_representable);
    CHECK(report.binding_clause == "test.mandate:4");
    const std::string text = authoring::radius_text(report, false);
    CHECK(text.find("blast radius: exceeds the largest representable amount, bound by "
                    "test.mandate:4") != std::string::npos);
    CHECK(text.find("UNBOUNDED") == std::string::npos);
    CHECK(text.find("unbounded per day") == std::string::npos);
    const auto json = nlohmann::json::parse(authoring::radius_json(report));
    CHECK(json["bounded"] == true);
    CHECK(json["exceeds_representable"] == true);
    CHECK(json["total"].is_null());
    CHECK(json["windows"][0]["exceeds_representable"] == true);
    // A smaller bound elsewhere still wins.
    auto both = testing::bind_ok(
        testing::compile_ok("mandate m {\n  seller in [\"a\"]\n"
                            "  amount <= 100000000000000000000000000000000000.00 USD\n"
                            "  limit 1000 charges per day\n  budget 50.00 USD total\n"
                            "  valid from 2026-01-01T00:00:00Z until 2030-01-01T00:00:00Z\n}\n"),
        "m", "{}");
    const auto least = authoring::blast_radius(*both, {});
    REQUIRE(least.total);
    CHECK(least.total->units == 5000);
    CHECK_FALSE(least.exceeds_representable);
}

TEST_CASE("mandate fmt rewrites the file a symbolic link points to", "[authoring]") {
    testing::scratch_dir dir("mandate-fmt-link");
    fs::create_directory(dir.path() / "policies");
    const std::string real = dir.file("policies/real.mandate");
    write_file(real, "mandate m{seller in[\"a\"]}");
    fs::permissions(real, fs::perms::owner_read | fs::perms::owner_write | fs::perms::group_read);
    // A chain: link -> middle -> policies/real.mandate, the last one relative.
    fs::create_symlink("policies/real.mandate", dir.path() / "middle.mandate");
    fs::create_symlink(dir.file("middle.mandate"), dir.path() / "link.mandate");

    const auto result = run("'" + binary + "' fmt '" + dir.file("link.mandate") + "' 2>&1");
    INFO(result.output);
    CHECK(result.exit_code == 0);
    CHECK(fs::is_symlink(dir.path() / "link.mandate"));
    CHECK(fs::is_symlink(dir.path() / "middle.mandate"));
    CHECK(fs::read_symlink(dir.path() / "middle.mandate") == "policies/real.mandate");
    CHECK(testing::read_file(real) == "mandate m {\n  seller in [\"a\"]\n}\n");
    CHECK(fs::status(real).permissions() ==
          (fs::perms::owner_read | fs::perms::owner_write | fs::perms::group_read));
    std::size_t files = 0;
    for ([[maybe_unused]] const auto& entry : fs::directory_iterator(dir.path() / "policies")) {
        ++files;
    }
    CHECK(files == 1);  // no temporary file left beside the target
}

TEST_CASE("lint, radius and graph on a policy that does not compile", "[authoring]") {
    testing::scratch_dir dir("mandate-broken");
    const std::string broken = dir.file("broken.mandate");
    write_file(broken, "mandate m {\n  seller in [\"a\"]\n  amount <= 12.505 USD\n}\n");
    for (const std::string command : {"lint", "lint -D warnings", "radius", "radius --json",
                                      "graph", "graph --mandate m"}) {
        INFO(command);
        const auto result = run("'" + binary + "' " + command + " '" + broken + "' 2>&1");
        CHECK(result.exit_code == 1);
        CHECK(result.output.starts_with(broken + ":3:13: error: 12.505 USD has more decimals"));
        CHECK(result.output.find("  3 |   amount <= 12.505 USD\n") != std::string::npos);
        CHECK(result.output.find("    |             ^~~~~~~~~~\n") != std::string::npos);
        CHECK(result.output.find("= help: ") != std::string::npos);
        CHECK(result.output.find("digraph") == std::string::npos);
        CHECK(result.output.find("blast radius") == std::string::npos);
    }
}

TEST_CASE("fmt breaks a long list default and lines a closing bracket up with its clause",
          "[authoring]") {
    const std::string header =
        "mandate shop(hosts: list<text> = [\"aaaaaaaaaaaaaa.example\", "
        "\"bbbbbbbbbbbbbbbbb.example\", \"cccccccccccccccccccc.example\", \"ddddd.example\"]) {\n"
        "  domain in hosts\n}\n";
    const auto formatted = authoring::format(header, "h.mandate");
    REQUIRE(formatted.ok());
    CHECK(formatted.text ==
          "mandate shop(hosts: list<text> = [\"aaaaaaaaaaaaaa.example\", "
          "\"bbbbbbbbbbbbbbbbb.example\",\n"
          "             \"cccccccccccccccccccc.example\", \"ddddd.example\"]) {\n"
          "  domain in hosts\n}\n");
    std::istringstream lines(formatted.text);
    for (std::string line; std::getline(lines, line);) CHECK(line.size() <= 90);
    CHECK(authoring::format(formatted.text, "h.mandate").text == formatted.text);

    // A bracket that a comment pushes onto a line of its own.
    const std::string commented =
        "mandate m(a: text  # first\n) {\n  seller in [\"a\",  # one\n  \"b\",  # two\n  ]\n}\n";
    const auto closed = authoring::format(commented, "c.mandate");
    REQUIRE(closed.ok());
    CHECK(closed.text == "mandate m(a: text  # first\n) {\n"
                         "  seller in [\"a\",  # one\n    \"b\",  # two\n  ]\n}\n");
    CHECK(authoring::format(closed.text, "c.mandate").text == closed.text);
    CHECK(structure(*testing::compile_ok(closed.text)) ==
          structure(*testing::compile_ok(commented)));
}

TEST_CASE("the comments of the standard library name only parameters that exist",
          "[authoring]") {
    // A snake_case word in a comment is a parameter or a mandate of its file.
    const std::regex word("[a-z]+(_[a-z]+)+");
    for (const auto& entry : fs::directory_iterator(source_dir + "/stdlib-policies")) {
        if (entry.path().extension() != ".mandate") continue;
        INFO(entry.path().string());
        const std::string source = testing::read_file(entry.path());
        const auto compiled = testing::compile_ok(source);
        std::set<std::string> names;
        for (const auto& program : compiled->image().mandates) {
            names.insert(program->name);
            for (const auto& p : program->parameters) names.insert(std::string(p.name));
        }
        std::istringstream lines(source);
        for (std::string line; std::getline(lines, line);) {
            const auto hash = line.find('#');
            if (hash == std::string::npos) continue;
            const std::string comment = line.substr(hash);
            for (std::sregex_iterator it(comment.begin(), comment.end(), word), end; it != end;
                 ++it) {
                INFO(line);
                CHECK(names.count(it->str()) == 1);
            }
        }
    }
}
