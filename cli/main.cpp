// The `mandate` command line: compile policies and decide charges.

#include <CLI/CLI.hpp>

#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>

#include "mandate/json.hpp"
#include "mandate/policy.hpp"

namespace {

// Exit codes shared by every command.
constexpr int exit_ok = 0;
constexpr int exit_policy_error = 1;
constexpr int exit_usage = 2;

bool read_file(const std::string& path, std::string& contents) {
    std::ifstream file(path, std::ios::binary);
    if (!file) return false;
    std::ostringstream buffer;
    buffer << file.rdbuf();
    if (file.bad()) return false;
    contents = buffer.str();
    return true;
}

// Reads and compiles a policy; prints diagnostics. Returns an exit code on failure.
int load_policy(const std::string& path, mandate::compile_result& compiled) {
    std::string source;
    if (!read_file(path, source)) {
        std::cerr << "mandate: cannot read policy file '" << path << "'\n";
        return exit_usage;
    }
    compiled = mandate::compile(source, path);
    if (!compiled.diagnostics.empty()) std::cerr << mandate::render(compiled.diagnostics);
    return compiled.ok() ? exit_ok : exit_policy_error;
}

struct check_options {
    std::string policy_path;
    std::string charges_path = "-";
    std::string mandate_name;
    std::string arguments = "{}";
};

int run_check(const check_options& options) {
    mandate::compile_result compiled;
    if (const int code = load_policy(options.policy_path, compiled); code != exit_ok) return code;

    const auto bound = mandate::bind(compiled.compiled, options.mandate_name, options.arguments);
    if (!bound.ok()) {
        for (const auto& error : bound.errors) std::cerr << "mandate: " << error << "\n";
        return exit_usage;
    }

    std::ifstream file;
    std::istream* input = &std::cin;
    if (options.charges_path != "-") {
        file.open(options.charges_path, std::ios::binary);
        if (!file) {
            std::cerr << "mandate: cannot read charges file '" << options.charges_path << "'\n";
            return exit_usage;
        }
        input = &file;
    }

    // One decision per non-blank line, in input order; approved charges count
    // against the budgets of the ones after them.
    mandate::budget_state state(*bound.mandate);
    mandate::charge_document document;
    std::string line;
    std::string error;
    while (std::getline(*input, line)) {
        if (!line.empty() && line.back() == '\r') line.pop_back();
        if (line.find_first_not_of(" \t") == std::string::npos) continue;
        if (!mandate::decode_charge(line, document, error)) {
            const auto id = mandate::recover_charge_id(line);
            std::cout << mandate::encode_invalid(id ? *id : std::string(), error) << "\n";
            continue;
        }
        const mandate::charge& request = document.view();
        const mandate::decision d = mandate::authorize(*bound.mandate, state, request);
        std::cout << mandate::encode_decision(request, d) << "\n";
    }
    std::cout.flush();
    return exit_ok;
}

}  // namespace

int main(int argc, char** argv) {
    CLI::App app{"mandate: spending mandates for AI agents, compiled and enforced"};
    app.require_subcommand(1);
    app.set_version_flag("--version", "mandate 0.1.0");

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

    std::string compile_path;
    auto* compile_command =
        app.add_subcommand("compile", "Check a policy file and print its diagnostics");
    compile_command->add_option("policy", compile_path, "Policy file (.mandate)")->required();

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

    if (*check_command) return run_check(check);
    if (*compile_command) {
        mandate::compile_result compiled;
        const int code = load_policy(compile_path, compiled);
        if (code == exit_ok) {
            const auto names = compiled.compiled->mandate_names();
            std::cout << compile_path << ": ok, " << names.size()
                      << (names.size() == 1 ? " mandate" : " mandates") << "\n";
        }
        return code;
    }
    return exit_usage;
}
