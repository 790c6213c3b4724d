// test, explain, replay: running policies on charges to see what they do. The
// work is in the library (mandate/testing_tools.hpp); this file reads files,
// parses options and picks the exit code.

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <sstream>

#include "cli/commands.hpp"
#include "mandate/json.hpp"
#include "mandate/testing_tools.hpp"

namespace mandate::cli {

namespace {

bool color_on(int fd) { return ::isatty(fd) == 1 && std::getenv("NO_COLOR") == nullptr; }

// ---- test -------------------------------------------------------------------------

int run_test(const std::vector<std::string>& paths_given) {
    const std::vector<std::string> paths =
        paths_given.empty() ? std::vector<std::string>{"."} : paths_given;
    const auto files = tools::find_test_files(paths);
    if (files.empty()) {
        std::cerr << "mandate: no test files (NAME.test.json) found in";
        for (const auto& path : paths) std::cerr << " '" << path << "'";
        std::cerr << "\n";
        return exit_usage;
    }
    tools::test_summary summary;
    const tools::test_output output{std::cout, color_on(STDOUT_FILENO)};
    for (const auto& file : files) tools::run_test_file(file, output, summary);
    std::cout << tools::summary_line(summary) << "\n";
    std::cout.flush();
    if (summary.broken_files > 0) return exit_usage;
    return summary.failed > 0 ? exit_refused : exit_ok;
}

// ---- explain ----------------------------------------------------------------------

struct explain_options {
    std::string policy_path;
    std::string charge;  // a file, "-" for standard input, or the JSON itself
    std::string mandate_name;
    std::string arguments = "{}";
    std::string history_path;
    bool json = false;
};

int run_explain(const explain_options& options) {
    std::shared_ptr<const bound_mandate> mandate;
    if (const int code =
            load_mandate(options.policy_path, options.mandate_name, options.arguments, mandate);
        code != exit_ok) {
        return code;
    }

    std::string text;
    if (!options.charge.empty() && options.charge.front() == '{') {
        text = options.charge;
    } else if (options.charge == "-") {
        std::ostringstream buffer;
        buffer << std::cin.rdbuf();
        text = buffer.str();
    } else if (std::string problem; !read_file(options.charge, text, problem)) {
        std::cerr << "mandate: cannot read charge file '" << options.charge << "': " << problem
                  << "\n";
        return exit_usage;
    }

    // Prior charges, decided and counted in order, so the budgets are not empty.
    budget_state state(*mandate);
    std::int64_t approved = 0;
    std::int64_t declined = 0;
    if (!options.history_path.empty()) {
        std::ifstream file;
        std::istream* input = open_charges(options.history_path, file);
        if (input == nullptr) return exit_usage;
        charge_document past;
        std::string error;
        for_each_charge_line(*input, [&](const std::string& line) {
            const bool ok = decode_charge(line, past, error) &&
                            authorize(*mandate, state, past.view()).approved;
            ++(ok ? approved : declined);
        });
    }

    charge_document document;
    std::string error;
    if (!decode_charge(text, document, error)) {
        const auto id = recover_charge_id(text);
        if (options.json) {
            std::cout << encode_invalid(id ? *id : std::string(), error) << "\n";
        } else {
            std::cout << "the charge cannot be read, so no clause looks at it\n"
                      << "decision: decline invalid_charge: " << error << "\n";
        }
        return exit_ok;
    }
    const tools::explanation e = tools::explain(*mandate, state, document.view());
    if (options.json) {
        std::cout << tools::render_json(e) << "\n";
    } else {
        if (!options.history_path.empty()) {
            std::cout << "history " << options.history_path << ": " << approved
                      << " approved and counted, " << declined << " declined\n";
        }
        std::cout << tools::render_text(e, color_on(STDOUT_FILENO));
    }
    return exit_ok;
}

// ---- replay -----------------------------------------------------------------------

struct replay_options {
    std::string policy_path;
    std::string history_path;
    std::string mandate_name;
    std::string arguments = "{}";
    std::string against_path;
    std::string against_mandate;
    std::string against_arguments;
    std::string report_path;
    std::size_t max_changes = 50;
    bool json = false;
};

// A bar on standard error while a long history is read, only on a terminal.
class progress_bar {
public:
    explicit progress_bar(const std::string& path) {
        std::error_code error;
        if (path == "-" || ::isatty(STDERR_FILENO) != 1) return;
        const auto size = std::filesystem::file_size(path, error);
        if (!error && size > 0) total_ = size;
    }
    ~progress_bar() {
        if (total_ > 0 && drawn_) std::cerr << "\r" << std::string(72, ' ') << "\r" << std::flush;
    }
    progress_bar(const progress_bar&) = delete;
    progress_bar& operator=(const progress_bar&) = delete;

    void advance(std::size_t bytes) {
        if (total_ == 0) return;
        done_ += bytes;
        ++lines_;
        const auto percent = static_cast<int>(std::min<std::uintmax_t>(done_ * 100 / total_, 100));
        if (percent == percent_) return;
        percent_ = percent;
        drawn_ = true;
        const int filled = percent * 40 / 100;
        std::cerr << "\r[" << std::string(static_cast<std::size_t>(filled), '#')
                  << std::string(static_cast<std::size_t>(40 - filled), ' ') << "] " << percent
                  << "%  " << lines_ << " charges" << std::flush;
    }

private:
    std::uintmax_t total_ = 0;
    std::uintmax_t done_ = 0;
    std::uint64_t lines_ = 0;
    int percent_ = -1;
    bool drawn_ = false;
};

int run_replay(const replay_options& options) {
    std::shared_ptr<const bound_mandate> mandate;
    if (const int code =
            load_mandate(options.policy_path, options.mandate_name, options.arguments, mandate);
        code != exit_ok) {
        return code;
    }
    std::shared_ptr<const bound_mandate> old;
    if (!options.against_path.empty()) {
        const std::string& args =
            options.against_arguments.empty() ? options.arguments : options.against_arguments;
        const std::string& name =
            options.against_mandate.empty() ? options.mandate_name : options.against_mandate;
        if (const int code = load_mandate(options.against_path, name, args, old); code != exit_ok) {
            return code;
        }
    }

    std::ifstream file;
    std::istream* input = open_charges(options.history_path, file);
    if (input == nullptr) return exit_usage;

    tools::replayer replay(mandate, old);
    {
        progress_bar bar(options.history_path);
        for_each_charge_line(*input, [&](const std::string& line) {
            replay.add(line);
            bar.advance(line.size() + 1);
        });
    }

    if (!options.report_path.empty()) {
        std::ofstream report(options.report_path, std::ios::binary | std::ios::trunc);
        report << tools::render_replay_html(replay.result());
        report.close();
        if (!report) {
            std::cerr << "mandate: cannot write report '" << options.report_path << "'\n";
            return exit_usage;
        }
    }
    if (options.json) {
        std::cout << tools::render_replay_json(replay.result()) << "\n";
    } else {
        std::cout << tools::render_replay_text(replay.result(), options.max_changes);
        if (!options.report_path.empty()) {
            std::cout << "\nreport written to " << options.report_path << "\n";
        }
    }
    return exit_ok;
}

}  // namespace

void add_testing_commands(CLI::App& app, std::vector<command>& commands) {
    // The options outlive this function: the parser fills them in later.
    auto test_paths = std::make_shared<std::vector<std::string>>();
    auto* test = app.add_subcommand(
        "test", "Run policy tests (NAME.test.json beside NAME.mandate); exit 1 on a failure");
    test->add_option("paths", *test_paths,
                     "Test files or directories searched recursively (default: .)");
    commands.push_back({test, [test_paths] { return run_test(*test_paths); }});

    auto explain = std::make_shared<explain_options>();
    auto* explain_command = app.add_subcommand(
        "explain", "Show every clause's verdict on one charge, with the values it compared");
    explain_command->add_option("policy", explain->policy_path, "Policy file (.mandate)")
        ->required();
    explain_command
        ->add_option("charge", explain->charge,
                     "The charge: a JSON file, - for standard input, or the JSON itself")
        ->required()
        ->check(utf8_text());
    explain_command->add_option("--mandate", explain->mandate_name,
                                "Mandate to use; may be left out when the file holds one");
    explain_command->add_option("--args", explain->arguments, "Arguments as a JSON object");
    explain_command->add_option("--history", explain->history_path,
                                "JSON-lines charges decided and counted first, as check would");
    explain_command->add_flag("--json", explain->json, "One JSON object instead of text");
    commands.push_back({explain_command, [explain] { return run_explain(*explain); }});

    auto replay = std::make_shared<replay_options>();
    auto* replay_command = app.add_subcommand(
        "replay", "Backtest a policy on past charges: declines by reason, seller and day");
    replay_command->add_option("policy", replay->policy_path, "Policy file (.mandate)")->required();
    replay_command
        ->add_option("history", replay->history_path,
                     "JSON-lines file of past charges in time order, or -")
        ->required();
    replay_command->add_option("--mandate", replay->mandate_name, "Mandate to use");
    replay_command->add_option("--args", replay->arguments, "Arguments as a JSON object");
    replay_command->add_option("--against", replay->against_path,
                               "The old policy: list the charges whose decision changes");
    replay_command->add_option("--against-mandate", replay->against_mandate,
                               "Mandate of the old policy (default: --mandate)");
    replay_command->add_option("--against-args", replay->against_arguments,
                               "Arguments of the old policy (default: --args)");
    replay_command->add_option("--report", replay->report_path,
                               "Write a self-contained HTML report to this file");
    replay_command->add_option("--max-changes", replay->max_changes,
                               "Changed charges listed in the text output (default 50)");
    replay_command->add_flag("--json", replay->json, "One JSON object instead of text");
    commands.push_back({replay_command, [replay] { return run_replay(*replay); }});
}

}  // namespace mandate::cli
