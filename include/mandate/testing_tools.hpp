// Tools for people who write budget policies: see what every clause says about
// one charge (explain), run a policy's tests (policy tests), and backtest a
// policy on past charges (replay).
//
// None of them decides anything itself. explain runs the engine's own decide on
// each clause alone and takes the final answer from mandate::decide; replay and
// the policy tests call mandate::authorize. So what these tools show is what an
// authorizer would do.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "mandate/budget.hpp"
#include "mandate/decision.hpp"
#include "mandate/policy.hpp"

namespace mandate::tools {

// ---- explain ------------------------------------------------------------------

// What a budget or limit clause held before the charge, and would hold after it.
struct window_report {
    bool is_budget = true;  // false: a count limit
    window_shape shape = window_shape::total;
    std::optional<period> current;  // calendar windows: the period the charge falls in
    money limit;                    // budgets
    money spent;                    // budgets: approved in the window before this charge
    std::int64_t count_limit = 0;   // limits
    std::int64_t count = 0;         // limits: approved in the window before this charge
};

enum class clause_result : std::uint8_t { pass, fail, not_evaluated };

struct clause_report {
    std::int32_t clause = 0;
    std::uint32_t line = 0;
    std::uint32_t column = 0;
    std::string kind;  // "seller", "amount", "budget", ...
    std::string text;  // the clause as written, on its first line
    clause_result result = clause_result::not_evaluated;
    // The clause the engine stops at: the first that fails. Clauses after it are
    // evaluated here for information, but the engine never looks at them.
    bool decides = false;
    bool reached = true;   // false after the deciding clause
    std::string compared;  // what the clause read from the charge: "charge 42.00 USD"
    std::string reason;    // when failed
    std::string detail;    // when failed: describe() of the clause's decline
    std::optional<window_report> window;
};

struct explanation {
    decision final;             // mandate::decide on the whole mandate
    std::string decision_json;  // encode_decision of it
    std::string refused;        // a decline before any clause ("" when none)
    std::string policy_file;
    std::string mandate_name;
    std::vector<clause_report> clauses;
    // True when the first failing clause (or the refusal before any clause) gives
    // exactly the final decision. explain() guarantees it; tests assert it.
    bool consistent = false;
};

// Explains how `mandate` decides `request` given the token's usage in `state`.
// Does not change the state.
explanation explain(const bound_mandate& mandate, const budget_state& state, const charge& request);

// One line per clause, aligned: `amount <= 150.00 USD   ok   (charge 42.00 USD)`.
std::string render_text(const explanation& e, bool color);
// One JSON object (pretty printed when indent >= 0).
std::string render_json(const explanation& e, int indent = -1);

// ---- policy tests ---------------------------------------------------------------

// The test files under `paths`: files named as given, directories searched
// recursively for *.test.json, in sorted order. Paths that do not exist are
// returned too, so that running them reports them as unreadable.
std::vector<std::string> find_test_files(const std::vector<std::string>& paths);

struct test_summary {
    int passed = 0;
    int failed = 0;
    int broken_files = 0;  // files that could not be read or run: never a pass
};

struct test_output {
    std::ostream& out;  // PASS, FAIL and ERROR lines and the closing line
    bool color = false;
};

// Runs every case of one test file; adds to `summary`. A file that cannot be
// read, parsed or run (its policy does not compile, a case does not bind) prints
// one ERROR line with the file and the problem and counts in broken_files.
void run_test_file(const std::string& path, const test_output& output, test_summary& summary);

// "12 passed, 1 failed" (and ", 1 test file could not be run").
std::string summary_line(const test_summary& summary);

// ---- replay -------------------------------------------------------------------

struct decision_counts {
    std::int64_t charges = 0;
    std::int64_t approved = 0;
    std::int64_t declined = 0;
};

// A charge whose decision differs between the old policy and the new.
struct changed_charge {
    std::int64_t line = 0;  // 1-based line of the history file
    std::string id;         // "" when none
    std::string at;         // RFC 3339, "" when none
    std::string seller;
    std::string amount;        // "12.50 USD"
    std::string old_decision;  // "approve" or the decline reason
    std::string new_decision;
};

// Spending in one budget window after each charge, for the report's chart.
struct budget_series {
    std::string text;  // "budget 25.00 USD per week"
    money limit;
    struct point {
        instant at;
        minor_units spent;
    };
    std::vector<point> points;
};

struct replay_result {
    decision_counts total;
    std::int64_t unreadable = 0;  // lines that did not decode (declined invalid_charge)
    std::map<std::string, std::int64_t> by_reason;
    std::map<std::string, decision_counts> by_seller;  // "(none)" without seller.id
    std::map<std::string, decision_counts> by_day;     // UTC date; "(no time)" without at
    std::map<std::string, money> approved_spend;       // by currency code
    bool compared = false;                             // --against given
    decision_counts old_total;
    std::int64_t newly_declined = 0;
    std::int64_t newly_approved = 0;
    std::int64_t reason_changed = 0;
    std::vector<changed_charge> changes;
    std::vector<budget_series> budgets;
    std::string policy_file;
    std::string old_policy_file;
};

// Decides past charges in order against an in-memory budget state, as `check`
// does, and against the old policy's own state when one is given.
class replayer {
public:
    replayer(std::shared_ptr<const bound_mandate> mandate,
             std::shared_ptr<const bound_mandate> old_mandate);
    ~replayer();
    replayer(const replayer&) = delete;
    replayer& operator=(const replayer&) = delete;

    // One line of the history (blank lines are the caller's to skip).
    void add(std::string_view line);
    const replay_result& result() const noexcept { return result_; }

private:
    struct state;
    std::shared_ptr<const bound_mandate> mandate_;
    std::shared_ptr<const bound_mandate> old_;
    std::unique_ptr<state> state_;
    replay_result result_;
};

std::string render_replay_text(const replay_result& result, std::size_t max_changes);
std::string render_replay_json(const replay_result& result);
// A self-contained HTML page: inline CSS and SVG, no scripts, no external resources.
std::string render_replay_html(const replay_result& result);

}  // namespace mandate::tools
