// The `mandate` command line: compile policies and decide charges, in memory
// (check, compile) or through the authorizer and its ledger (the other commands,
// in ledger_commands.cpp and authorize_command.cpp).

#include <CLI/CLI.hpp>

#include <iostream>
#include <string>
#include <vector>

#include "cli/commands.hpp"
#include "mandate/json.hpp"
#include "mandate/policy.hpp"

namespace {

using namespace mandate::cli;

// Decides every charge against one in-memory budget state that starts empty.
int run_check(const check_options& options) {
    std::shared_ptr<const mandate::bound_mandate> bound;
    if (const int code =
            load_mandate(options.policy_path, options.mandate_name, options.arguments, bound);
        code != exit_ok) {
        return code;
    }

    std::ifstream file;
    std::istream* input = open_charges(options.charges_path, file);
    if (input == nullptr) return exit_usage;

    // One decision per non-blank line, in input order; approved charges count
    // against the budgets of the ones after them.
    mandate::budget_state state(*bound);
    mandate::charge_document document;
    std::string error;
    for_each_charge_line(*input, [&](const std::string& line) {
        if (!mandate::decode_charge(line, document, error)) {
            const auto id = mandate::recover_charge_id(line);
            std::cout << mandate::encode_invalid(id ? *id : std::string(), error) << "\n";
            return;
        }
        const mandate::charge& request = document.view();
        const mandate::decision d = mandate::authorize(*bound, state, request);
        std::cout << mandate::encode_decision(request, d) << "\n";
    });
    std::cout.flush();
    return exit_ok;
}

int run_compile(const std::string& path) {
    std::string source;
    mandate::compile_result compiled;
    const int code = load_policy(path, source, compiled);
    if (code == exit_ok) {
        const auto names = compiled.compiled->mandate_names();
        std::cout << path << ": ok, " << names.size()
                  << (names.size() == 1 ? " mandate" : " mandates") << "\n";
    }
    return code;
}

}  // namespace

int main(int argc, char** argv) {
    CLI::App app{"mandate: spending mandates for AI agents, compiled and enforced"};
    app.require_subcommand(1);
    app.set_version_flag("--version", "mandate 0.1.0");
    std::vector<command> commands;

    check_options check;
    auto* check_command = app.add_subcommand(
        "check", "Decide a file of JSON-lines charges against a mandate, one decision per line");
    check_command->add_option("policy", check.policy_path, "Policy file (.mandate)")->required();
    check_command->add_option("charges", check.charges_path,
                              "JSON-lines file of charges, or - for standard input (default)");
    check_command->add_option("--mandate", check.mandate_name,
                              "Mandate to use; may be left out when the file holds one");
    check_command->add_option("--args", check.arguments,
                              "Arguments as a JSON object, e.g. {\"payee\": \"acct_1\", "
                              "\"per_call\": \"0.05 USD\"}");
    add_ledger_options(*check_command, check.ledger, false)
        ->description("Keep budgets in this SQLite ledger across runs (created on first use)");
    commands.push_back({check_command, [&check] {
                            return check.ledger.path.empty() ? run_check(check)
                                                             : run_ledger_check(check);
                        }});

    std::string compile_path;
    auto* compile_command =
        app.add_subcommand("compile", "Check a policy file and print its diagnostics");
    compile_command->add_option("policy", compile_path, "Policy file (.mandate)")->required();
    commands.push_back({compile_command, [&compile_path] { return run_compile(compile_path); }});

    add_ledger_commands(app, commands);
    add_bench_command(app, commands);
    add_authoring_commands(app, commands);
    add_testing_commands(app, commands);

    try {
        app.parse(argc, argv);
    } catch (const CLI::CallForHelp& help) {
        return app.exit(help);
    } catch (const CLI::CallForAllHelp& help) {
        return app.exit(help);
    } catch (const CLI::CallForVersion& version) {
        return app.exit(version);
    } catch (const CLI::ParseError& error) {
        std::cerr << "mandate: " << error.what() << "\n"
                  << "Run 'mandate --help' or 'mandate COMMAND --help' for usage.\n";
        return exit_usage;
    }

    for (const auto& c : commands) {
        if (*c.subcommand) return c.run();
    }
    return exit_usage;
}
