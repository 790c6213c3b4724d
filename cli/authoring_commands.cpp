// fmt, lint, radius and graph: commands for the people who write mandates. The
// work is done by the library (include/mandate/authoring.hpp); this file reads
// files, writes them back safely, and turns settings into exit codes.

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "cli/commands.hpp"
#include "mandate/authoring.hpp"

namespace mandate::cli {

namespace {

// ---- fmt ------------------------------------------------------------------------

// Writes `text` next to `path` and renames it over `path`, keeping the file's
// permissions, so that a failure at any point leaves the old file whole. A
// symbolic link is followed to the file it names, which is the one rewritten:
// renaming over the link itself would replace it with a copy and leave its
// target unformatted.
bool replace_file(const std::string& link_or_path, const std::string& text, std::string& problem) {
    std::error_code error;
    const std::string path = std::filesystem::canonical(link_or_path, error).string();
    if (error) {
        problem = error.message();
        return false;
    }
    struct stat original {};
    if (::stat(path.c_str(), &original) != 0) {
        problem = std::strerror(errno);
        return false;
    }
    std::string temp = path + ".fmt-XXXXXX";
    const int fd = ::mkstemp(temp.data());
    if (fd < 0) {
        problem = std::string("cannot create a temporary file: ") + std::strerror(errno);
        return false;
    }
    bool ok = ::fchmod(fd, original.st_mode & 07777) == 0;
    std::size_t written = 0;
    while (ok && written < text.size()) {
        const ssize_t n = ::write(fd, text.data() + written, text.size() - written);
        if (n < 0 && errno == EINTR) continue;
        ok = n > 0;
        if (ok) written += static_cast<std::size_t>(n);
    }
    ok = ok && ::fsync(fd) == 0;
    const int saved = errno;
    ok = ::close(fd) == 0 && ok;
    if (ok && ::rename(temp.c_str(), path.c_str()) == 0) return true;
    problem = std::strerror(ok ? errno : saved);
    ::unlink(temp.c_str());
    return false;
}

struct fmt_options {
    std::vector<std::string> files;
    bool check = false;
};

int run_fmt(const fmt_options& options) {
    int status = exit_ok;
    for (const auto& path : options.files) {
        std::string source;
        const bool from_stdin = path == "-";
        if (from_stdin) {
            std::ostringstream buffer;
            buffer << std::cin.rdbuf();
            source = buffer.str();
        } else if (std::string problem; !read_file(path, source, problem)) {
            std::cerr << "mandate: cannot read policy file '" << path << "': " << problem << "\n";
            status = exit_usage;
            continue;
        }
        const auto formatted = authoring::format(source, from_stdin ? "<stdin>" : path);
        if (!formatted.ok()) {
            std::cerr << render(formatted.diagnostics);
            std::cerr << "mandate: " << path << " was not formatted\n";
            status = std::max(status, exit_refused);
            continue;
        }
        if (from_stdin && !options.check) {
            std::cout << formatted.text;
            continue;
        }
        if (formatted.text == source) continue;
        if (options.check) {
            std::cout << path << "\n";
            status = std::max(status, exit_refused);
            continue;
        }
        std::string problem;
        if (!replace_file(path, formatted.text, problem)) {
            std::cerr << "mandate: cannot write '" << path << "': " << problem
                      << " (the file is unchanged)\n";
            status = exit_usage;
        }
    }
    return status;
}

// ---- lint -----------------------------------------------------------------------

struct lint_settings {
    std::vector<std::string> files;
    std::string max_budget;
    std::vector<std::string> deny;
    std::vector<std::string> allow;
    bool deny_all = false;
    std::string config;
    std::string arguments;
    std::string mandate_name;
};

// A config file: {"max_budget": "1000.00 USD", "deny": ["L001"], "allow": ["L009"]}.
// The command line adds to it and its --max-budget wins.
bool read_lint_config(lint_settings& settings) {
    if (settings.config.empty()) return true;
    std::string text;
    if (std::string problem; !read_file(settings.config, text, problem)) {
        std::cerr << "mandate: cannot read lint config '" << settings.config << "': " << problem
                  << "\n";
        return false;
    }
    const auto json = nlohmann::json::parse(text, nullptr, false);
    const auto strings = [](const nlohmann::json& list, std::vector<std::string>& out) {
        if (!list.is_array()) return false;
        for (const auto& item : list) {
            if (!item.is_string()) return false;
            out.push_back(item.get<std::string>());
        }
        return true;
    };
    bool ok = json.is_object();
    if (ok) {
        for (const auto& [key, value] : json.items()) {
            if (key == "max_budget" && value.is_string()) {
                if (settings.max_budget.empty()) settings.max_budget = value.get<std::string>();
            } else if (key == "deny") {
                ok = ok && strings(value, settings.deny);
            } else if (key == "allow") {
                ok = ok && strings(value, settings.allow);
            } else if (key == "deny_all" && value.is_boolean()) {
                settings.deny_all = settings.deny_all || value.get<bool>();
            } else {
                ok = false;
            }
        }
    }
    if (!ok) {
        std::cerr << "mandate: lint config '" << settings.config
                  << "' must be a JSON object with max_budget (text), deny and allow (lists of "
                     "codes) and deny_all (boolean)\n";
    }
    return ok;
}

// --args must be a JSON object: anything else is a bad command line, not a note,
// so that `-D warnings` in CI cannot pass because nothing was bound.
bool arguments_usable(const std::string& arguments) {
    if (arguments.empty()) return true;
    std::string problem;
    try {
        if (nlohmann::json::parse(arguments).is_object()) return true;
        problem = "it is not an object";
    } catch (const nlohmann::json::parse_error& error) {
        problem = error.what();
        // "[json.exception.parse_error.101] parse error at line 1, ..." without the tag.
        if (const auto tag_end = problem.find("] "); tag_end != std::string::npos) {
            problem.erase(0, tag_end + 2);
        }
    }
    std::cerr << "mandate: --args must be a JSON object such as '{\"cap\": \"10.00 USD\"}': "
              << problem << "\n";
    return false;
}

int run_lint(lint_settings settings) {
    if (!read_lint_config(settings)) return exit_usage;
    if (!arguments_usable(settings.arguments)) return exit_usage;
    authoring::lint_options options;
    options.arguments = settings.arguments;
    options.mandate_name = settings.mandate_name;
    if (!settings.max_budget.empty()) {
        options.max_budget = authoring::parse_money_text(settings.max_budget);
        if (!options.max_budget) {
            std::cerr << "mandate: --max-budget must be an amount and a currency, such as "
                         "\"1000.00 USD\"\n";
            return exit_usage;
        }
    }
    std::set<const authoring::lint_rule*> denied;
    std::set<const authoring::lint_rule*> allowed;
    bool deny_all = settings.deny_all;
    for (const auto& [names, into] : {std::pair{&settings.deny, &denied},
                                      std::pair{&settings.allow, &allowed}}) {
        for (const auto& name : *names) {
            if (name == "warnings" && into == &denied) {
                deny_all = true;
                continue;
            }
            const auto* rule = authoring::find_lint_rule(name);
            if (rule == nullptr) {
                std::cerr << "mandate: unknown lint code '" << name
                          << "' (see mandate lint --list)\n";
                return exit_usage;
            }
            into->insert(rule);
        }
    }

    int status = exit_ok;
    std::size_t warnings = 0;
    std::size_t errors = 0;
    for (const auto& path : settings.files) {
        std::string source;
        if (std::string problem; !read_file(path, source, problem)) {
            std::cerr << "mandate: cannot read policy file '" << path << "': " << problem << "\n";
            status = exit_usage;
            continue;
        }
        const auto report = authoring::lint(source, path, options);
        if (!report.errors.empty()) {
            std::cerr << render(report.errors);
            status = std::max(status, exit_refused);
            continue;
        }
        for (const auto& finding : report.findings) {
            if (allowed.count(finding.rule) != 0) continue;
            diagnostic d = finding.where;
            const bool error = deny_all || denied.count(finding.rule) != 0;
            d.level = error ? severity::error : severity::warning;
            d.message += " [" + std::string(finding.rule->code) + " " +
                         std::string(finding.rule->name) + "]";
            std::cout << d.render();
            (error ? errors : warnings) += 1;
        }
        for (const auto& note : report.unchecked) std::cout << "note: " << note << "\n";
    }
    if (errors + warnings > 0) {
        std::cout << warnings << (warnings == 1 ? " warning, " : " warnings, ") << errors
                  << (errors == 1 ? " error\n" : " errors\n");
    }
    if (errors > 0) status = std::max(status, exit_refused);
    return status;
}

int list_lint_rules() {
    for (const auto& rule : authoring::lint_rules()) {
        std::cout << rule.code << "  " << rule.name << ": " << rule.summary << "\n";
    }
    return exit_ok;
}

// ---- radius and graph -----------------------------------------------------------

struct radius_settings {
    std::string policy_path;
    std::string mandate_name;
    std::string arguments = "{}";
    std::string over;
    std::string from;
    std::string now;
    std::string color = "auto";
    bool json = false;
};

int run_radius(const radius_settings& settings) {
    std::string source;
    compile_result compiled;
    std::shared_ptr<const bound_mandate> bound;
    if (const int code = load_mandate(settings.policy_path, settings.mandate_name,
                                      settings.arguments, source, compiled, bound);
        code != exit_ok) {
        return code;
    }
    authoring::radius_options options;
    if (!settings.over.empty()) options.over = parse_duration(settings.over);
    if (!settings.from.empty()) options.from = parse_rfc3339(settings.from);
    options.now = settings.now.empty()
                      ? std::chrono::time_point_cast<duration>(std::chrono::system_clock::now())
                      : *parse_rfc3339(settings.now);
    const auto report = authoring::blast_radius(*bound, options);
    if (settings.json) {
        std::cout << authoring::radius_json(report) << "\n";
    } else {
        const bool color = settings.color == "always" ||
                           (settings.color == "auto" && ::isatty(STDOUT_FILENO) == 1);
        std::cout << authoring::radius_text(report, color);
    }
    return exit_ok;
}

int run_graph(const std::string& path, std::string name) {
    std::string source;
    compile_result compiled;
    if (const int code = load_policy(path, source, compiled); code != exit_ok) return code;
    const auto names = compiled.compiled->mandate_names();
    if (name.empty()) {
        if (names.size() != 1) {
            std::cerr << "mandate: " << path << " holds " << names.size()
                      << " mandates: name one with --mandate\n";
            return exit_usage;
        }
        name = names.front();
    }
    const std::string dot = authoring::graph_dot(*compiled.compiled, name);
    if (dot.empty()) {
        std::cerr << "mandate: no mandate named '" << name << "' in " << path << "\n";
        return exit_usage;
    }
    std::cout << dot;
    return exit_ok;
}

}  // namespace

void add_authoring_commands(CLI::App& app, std::vector<command>& commands) {
    static fmt_options fmt;
    auto* fmt_command = app.add_subcommand(
        "fmt", "Rewrite policy files in the canonical layout (comments are kept)");
    fmt_command->add_option("files", fmt.files, "Policy files, or - for standard input")
        ->required();
    fmt_command->add_flag("--check", fmt.check,
                          "Change nothing; list the files that would change and exit 1");
    commands.push_back({fmt_command, [] { return run_fmt(fmt); }});

    static lint_settings lint;
    static bool list_rules = false;
    auto* lint_command =
        app.add_subcommand("lint", "Warn about mandates that allow more than they probably mean");
    lint_command->add_option("files", lint.files, "Policy files");
    lint_command->add_option("--max-budget", lint.max_budget,
                             "Warn about budgets above this, e.g. \"1000.00 USD\"");
    lint_command->add_option("--deny,-D", lint.deny,
                             "Make this code (L004 or cap-over-budget) an error; "
                             "-D warnings makes every warning one")
        ->allow_extra_args(false);
    lint_command->add_option("--allow", lint.allow, "Do not report this code")
        ->allow_extra_args(false);
    lint_command->add_flag("--deny-all", lint.deny_all, "Every warning is an error");
    lint_command->add_option("--config", lint.config,
                             "JSON settings: max_budget, deny, allow, deny_all");
    lint_command->add_option("--args", lint.arguments,
                             "Arguments (JSON object) to check values that come from parameters");
    lint_command->add_option("--mandate", lint.mandate_name, "Lint only this mandate");
    lint_command->add_flag("--list", list_rules, "List the lint codes");
    commands.push_back({lint_command, [] {
                            if (list_rules) return list_lint_rules();
                            if (lint.files.empty()) {
                                std::cerr << "mandate: lint needs at least one policy file\n";
                                return exit_usage;
                            }
                            return run_lint(lint);
                        }});

    static radius_settings radius;
    auto* radius_command = app.add_subcommand(
        "radius", "The most money that can leave under a mandate, and the clause that bounds it");
    radius_command->add_option("policy", radius.policy_path, "Policy file (.mandate)")
        ->required();
    radius_command->add_option("--mandate", radius.mandate_name,
                               "Mandate to use; may be left out when the file holds one");
    radius_command->add_option("--args", radius.arguments, "Arguments as a JSON object");
    radius_command->add_option("--over", radius.over, "Horizon length, e.g. 30d")
        ->check(positive_duration());
    radius_command->add_option("--from", radius.from,
                               "Horizon start (default: the mandate's `valid from`, else now)")
        ->check(rfc3339_time());
    radius_command->add_option("--now", radius.now, "The time taken as now (RFC 3339)")
        ->check(rfc3339_time());
    radius_command->add_flag("--json", radius.json, "One JSON object");
    radius_command->add_option("--color", radius.color, "auto, always or never")
        ->check(CLI::IsMember({"auto", "always", "never"}));
    commands.push_back({radius_command, [] { return run_radius(radius); }});

    static std::string graph_path;
    static std::string graph_mandate;
    auto* graph_command = app.add_subcommand(
        "graph", "The compiled decision graph in Graphviz DOT (mandate graph p | dot -Tsvg)");
    graph_command->add_option("policy", graph_path, "Policy file (.mandate)")->required();
    graph_command->add_option("--mandate", graph_mandate,
                              "Mandate to draw; may be left out when the file holds one");
    commands.push_back({graph_command, [] { return run_graph(graph_path, graph_mandate); }});
}

}  // namespace mandate::cli
