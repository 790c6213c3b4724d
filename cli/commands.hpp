// What the command line's source files share: exit codes, reading policy and
// charge files, the options every ledger command takes, and the functions that
// add each group of commands to the parser.
#pragma once

#include <CLI/CLI.hpp>

#include <fstream>
#include <functional>
#include <istream>
#include <string>
#include <string_view>
#include <vector>

#include "mandate/authorizer.hpp"
#include "mandate/policy.hpp"

namespace mandate::cli {

// Exit codes shared by every command (docs/cli.md#exit-codes).
inline constexpr int exit_ok = 0;
// Policy errors, a refused request (its error JSON is on standard output), a
// broken audit trail.
inline constexpr int exit_refused = 1;
// A bad command line, a file that cannot be read, a ledger that cannot be opened.
inline constexpr int exit_usage = 2;

// A subcommand and what runs it once the command line has been parsed.
struct command {
    const CLI::App* subcommand = nullptr;
    std::function<int()> run;
};

// ---- files --------------------------------------------------------------------

// Reads a whole file. A directory, or a file that cannot be opened or read, is
// refused; `problem` says why ("is a directory"), for the caller's message.
bool read_file(const std::string& path, std::string& contents, std::string& problem);
bool read_file(const std::string& path, std::string& contents);

// Reads and compiles a policy, printing its diagnostics on standard error.
// Returns exit_ok, exit_refused (policy errors) or exit_usage (unreadable).
int load_policy(const std::string& path, std::string& source, compile_result& compiled);

// load_policy, then binds one mandate of it, printing the binding errors. Returns
// exit_ok, or the exit code to return (exit_usage for arguments that do not bind).
int load_mandate(const std::string& path, const std::string& name, const std::string& arguments,
                 std::string& source, compile_result& compiled,
                 std::shared_ptr<const bound_mandate>& bound);
int load_mandate(const std::string& path, const std::string& name, const std::string& arguments,
                 std::shared_ptr<const bound_mandate>& bound);

// Standard input for "-", else `path` opened into `file`. nullptr when the file
// cannot be read or is a directory, with the message printed on standard error.
std::istream* open_charges(const std::string& path, std::ifstream& file);

// True for a line of nothing but spaces and tabs: such lines get no answer.
bool is_blank(std::string_view line);

// Calls `answer` with each charge line of `input` that is not blank, in order,
// without its trailing carriage return.
void for_each_charge_line(std::istream& input,
                          const std::function<void(const std::string&)>& answer);

// ---- options ------------------------------------------------------------------

// Refuses a value that is not valid UTF-8: every text the commands take ends
// up in JSON, which cannot carry it.
CLI::Validator utf8_text();
// An RFC 3339 time with an offset: "2026-12-03T10:00:00Z".
CLI::Validator rfc3339_time();
// A duration above zero: "15m", "1h30m", "7d".
CLI::Validator positive_duration();

// What every ledger command needs to build its authorizer. The texts were
// checked by the parser (add_ledger_options).
struct ledger_settings {
    std::string path;
    std::string now;                   // RFC 3339; empty: the system clock
    std::string hold_lifetime = "7d";  // a duration (mandate::parse_duration)
};

// Adds --ledger and --now to `subcommand`, and --hold-lifetime when the command
// captures, reverses or expires holds. Returns --ledger, for callers to mark it
// required (every ledger command but check, where it is what turns the ledger on).
CLI::Option* add_ledger_options(CLI::App& subcommand, ledger_settings& settings,
                                bool with_hold_lifetime);

// Whether a command may create the ledger file. Commands that only read or that
// act on records which must already exist refuse a missing file, so that a
// mistyped path fails instead of answering from an empty ledger.
enum class ledger_use { create, existing };

// Opens the ledger, builds an authorizer on it with the settings' clock and
// hold lifetime, and returns what `body` returns. A ledger that cannot be opened
// is a usage error (message on standard error); a store failure during `body`
// prints a ledger_unavailable error JSON and exits 1.
int with_authorizer(const ledger_settings& settings, ledger_use use,
                    const std::function<int(authorizer&)>& body);

// ---- output -------------------------------------------------------------------

// Writes one JSON object and a newline on standard output.
void print_line(const std::string& json_line);

// Prints an answer; when `error` (a refusal code) is set, repeats its message on
// standard error. Returns exit_ok, or exit_refused for a refusal.
int print_answer(const std::string& json_line, std::string_view error, const std::string& message);

// Prints a refusal made by the command line itself, in the authorizer's shape
// {"error":{"code":...,"message":...}}. Returns exit_refused.
int print_refusal(std::string_view code, const std::string& message);

// ---- commands -----------------------------------------------------------------

struct check_options {
    std::string policy_path;
    std::string charges_path = "-";
    std::string mandate_name;
    std::string arguments = "{}";
    ledger_settings ledger;  // path empty: decide in memory, as before ledgers
};

// `check --ledger`: decides through authorizer::check, so budgets carry over
// from one run to the next.
int run_ledger_check(const check_options& options);

// token create|show|revoke|renew, authorize, capture, reverse, refund,
// expire-holds, audit verify|show.
void add_ledger_commands(CLI::App& app, std::vector<command>& commands);

// authorize, one charge or a stream of them.
void add_authorize_command(CLI::App& app, std::vector<command>& commands);

// bench: times a user's own rule set (bench_command.cpp).
void add_bench_command(CLI::App& app, std::vector<command>& commands);

// fmt, lint, radius, graph: reading and reviewing policy files (authoring_commands.cpp).
void add_authoring_commands(CLI::App& app, std::vector<command>& commands);

// test, explain, replay: running policies on charges to see what they do
// (testing_commands.cpp).
void add_testing_commands(CLI::App& app, std::vector<command>& commands);

}  // namespace mandate::cli
