// Tools for people who write mandates: a formatter, a linter, the blast radius of
// a bound mandate, and its decision graph in Graphviz DOT.
//
//   auto formatted = mandate::authoring::format(source, "office.mandate");
//   auto report = mandate::authoring::lint(source, "office.mandate", {});
//   auto radius = mandate::authoring::blast_radius(*bound.mandate, {});
//   std::string dot = mandate::authoring::graph_dot(*compiled.compiled, "office_supplies");
//
// None of these change what a policy means: the formatter only moves white space
// and refuses to write text whose tokens differ from the input's.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "mandate/diagnostic.hpp"
#include "mandate/money.hpp"
#include "mandate/policy.hpp"
#include "mandate/time.hpp"

namespace mandate::authoring {

// ---- fmt ----------------------------------------------------------------------

struct format_result {
    std::string text;                     // the canonical layout; empty when !ok()
    std::vector<diagnostic> diagnostics;  // why the source could not be formatted

    bool ok() const noexcept { return diagnostics.empty(); }
};

// Lays a policy out canonically: one clause per line, two-space indent, clauses
// wrapped at 90 columns, comments kept where they were. A source that does not
// parse is refused with its syntax diagnostic. format(format(x)) == format(x).
format_result format(std::string_view source, const std::string& file_name);

// ---- lint ---------------------------------------------------------------------

struct lint_rule {
    std::string_view code;     // stable: "L001"
    std::string_view name;     // stable: "unscoped-seller"
    std::string_view summary;  // what the rule finds
    std::string_view help;     // how to fix it
};

// Every rule, in code order.
std::span<const lint_rule> lint_rules() noexcept;
// The rule with this code or name, or nullptr.
const lint_rule* find_lint_rule(std::string_view code_or_name) noexcept;

struct lint_options {
    // L005: a budget above this is reported. Unset: the rule is off.
    std::optional<money> max_budget;
    // Arguments to bind each mandate with (a JSON object), so that values that come
    // from parameters can be checked too. Empty: lint the literals only; a mandate
    // whose defaults cover every parameter is bound with its defaults.
    std::string arguments;
    // Only this mandate; empty for every mandate in the file.
    std::string mandate_name;
};

struct lint_finding {
    const lint_rule* rule = nullptr;
    std::string mandate;
    diagnostic where;  // level warning; the caller raises it to error per --deny
};

struct lint_report {
    std::vector<diagnostic> errors;      // the policy does not compile
    std::vector<lint_finding> findings;  // in source order
    // What could not be checked and why ("the budget of line 5 comes from an
    // argument"), one line each, prefixed with file:line.
    std::vector<std::string> unchecked;
};

// Lints every mandate of a policy file. A policy that does not compile has only
// errors. Findings are suppressed by a comment `# lint: allow CODE-OR-NAME` on
// the mandate's line, in the comment block right above it, or inside its body.
// "1000.00 USD": an amount, one space, a currency code. nullopt when malformed.
std::optional<money> parse_money_text(std::string_view text);

lint_report lint(std::string_view source, const std::string& file_name,
                 const lint_options& options);

// ---- radius -------------------------------------------------------------------

struct radius_options {
    // The horizon starts here (default: the mandate's `valid from`, else `now`)
    // and ends at the first of `valid until` and start + over.
    std::optional<instant> from;
    std::optional<duration> over;
    instant now{};
};

// One clause's bound on the money that can leave over the horizon.
struct radius_term {
    std::string clause;       // "file:line"
    std::uint32_t line = 0;
    std::string explanation;  // "25.00 USD per week x 2 weeks touched"
    std::optional<money> amount;  // unset: this clause alone bounds nothing, or see below
    // The clause bounds the money, but the bound is more than minor_units can hold.
    bool exceeds_representable = false;
};

// The most one window of a budget or limit clause can pass.
struct radius_window {
    std::string clause;  // "file:line"
    std::uint32_t line = 0;
    std::string window;           // "per week starting monday in America/New_York"
    std::optional<money> amount;  // unset: unbounded, unless exceeds_representable
    bool exceeds_representable = false;
};

struct radius_report {
    std::string mandate;
    std::string file;
    bool never_approves = false;  // e.g. the validity window misses the horizon
    std::optional<money> total;   // unset: unbounded, unless exceeds_representable
    // Bounded, but every bound is more than minor_units can hold (2^127 - 1 minor
    // units); binding_clause names the clause that bounds it.
    bool exceeds_representable = false;
    std::string binding_clause;   // "file:line" of the term that gives `total`
    std::string binding_explanation;
    std::optional<instant> horizon_start;
    std::optional<instant> horizon_end;  // unset: no end
    std::vector<radius_term> terms;
    std::vector<radius_window> windows;
    std::vector<std::string> notes;
};

// The most money that can leave under a bound mandate over the horizon: the
// least of its lifetime budgets, its calendar and rolling budgets times the
// periods the horizon touches, and its count limits times its per-charge cap.
// Conditions (`require`, `decline ... when`) only lower the real figure.
radius_report blast_radius(const bound_mandate& mandate, const radius_options& options);

std::string radius_text(const radius_report& report, bool color);
std::string radius_json(const radius_report& report);

// ---- graph --------------------------------------------------------------------

// The compiled decision graph of one mandate as a Graphviz digraph: the steps in
// order, each with its clause, reason code and source position; approval after
// the last step; the expression nodes of each condition in a cluster.
// Empty when the policy has no such mandate.
std::string graph_dot(const policy& compiled, std::string_view mandate_name);

}  // namespace mandate::authoring
