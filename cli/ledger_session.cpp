// The options every ledger command shares, and the authorizer they build from
// them.

#include <filesystem>
#include <iostream>
#include <memory>
#include <system_error>

#include <nlohmann/json.hpp>

#include "cli/commands.hpp"
#include "mandate/ledger.hpp"
#include "mandate/time.hpp"

namespace mandate::cli {

namespace {

using json = nlohmann::ordered_json;

}  // namespace

CLI::Validator utf8_text() {
    return CLI::Validator(
        [](std::string& text) -> std::string {
            try {
                (void)json(text).dump();
                return {};
            } catch (const json::type_error&) {
                return "the value is not valid UTF-8";
            }
        },
        "");
}

CLI::Validator positive_duration() {
    return CLI::Validator(
        [](std::string& text) -> std::string {
            const auto length = parse_duration(text);
            if (length && length->count() > 0) return {};
            return "expected a duration above zero, such as 15m, 1h30m or 7d";
        },
        "DURATION");
}

CLI::Validator rfc3339_time() {
    return CLI::Validator(
        [](std::string& text) -> std::string {
            if (parse_rfc3339(text)) return {};
            return "expected an RFC 3339 time with an offset, such as 2026-12-03T10:00:00Z";
        },
        "RFC3339");
}

CLI::Option* add_ledger_options(CLI::App& subcommand, ledger_settings& settings,
                                bool with_hold_lifetime) {
    auto* ledger = subcommand.add_option("--ledger", settings.path,
                                         "SQLite ledger file (created by the commands that "
                                         "write the first records: token create, authorize, "
                                         "check)");
    ledger->check(utf8_text());
    subcommand
        .add_option("--now", settings.now,
                    "The authorizer's clock, fixed at this RFC 3339 time (default: the system "
                    "clock)")
        ->check(rfc3339_time())
        ->needs(ledger);
    if (with_hold_lifetime) {
        subcommand
            .add_option("--hold-lifetime", settings.hold_lifetime,
                        "A hold not captured within this long expires (default 7d)")
            ->check(positive_duration());
    }
    return ledger;
}

int with_authorizer(const ledger_settings& settings, ledger_use use,
                    const std::function<int(authorizer&)>& body) {
    std::error_code unknown;
    if (use == ledger_use::existing && !std::filesystem::exists(settings.path, unknown)) {
        std::cerr << "mandate: no ledger at '" << settings.path
                  << "'; only token create, authorize and check create one\n";
        return exit_usage;
    }

    authorizer_options options;
    if (!settings.now.empty()) {
        const auto now = parse_rfc3339(settings.now);
        if (!now) return exit_usage;  // the parser's check refused it already
        options.clock = [at = *now] { return at; };
    }
    const auto hold_lifetime = parse_duration(settings.hold_lifetime);
    if (!hold_lifetime) return exit_usage;
    options.hold_lifetime = *hold_lifetime;

    std::unique_ptr<ledger> store;
    try {
        store = open_sqlite_ledger(settings.path);
    } catch (const std::exception& failure) {
        std::cerr << "mandate: " << failure.what() << "\n";
        return exit_usage;
    }

    // The authorizer turns store failures into ledger_unavailable answers where
    // it answers; the reads that return plain records throw them instead.
    try {
        authorizer auth(*store, std::move(options));
        return body(auth);
    } catch (const ledger_error& failure) {
        return print_refusal(refusal::ledger_unavailable, failure.what());
    } catch (const std::exception& failure) {
        return print_refusal("internal_error", failure.what());
    }
}

void print_line(const std::string& json_line) { std::cout << json_line << '\n' << std::flush; }

int print_answer(const std::string& json_line, std::string_view error, const std::string& message) {
    print_line(json_line);
    if (error.empty()) return exit_ok;
    std::cerr << "mandate: refused (" << error << "): " << message << "\n";
    return exit_refused;
}

int print_refusal(std::string_view code, const std::string& message) {
    const json out = {{"error", {{"code", code}, {"message", message}}}};
    return print_answer(out.dump(-1, ' ', false, json::error_handler_t::replace), code, message);
}

}  // namespace mandate::cli
