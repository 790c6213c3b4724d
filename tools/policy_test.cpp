// Policy tests: NAME.test.json beside NAME.mandate, a list of named cases, each a
// sequence of charges with the decision expected for each (docs/commands/test.md).
//
// A test file is checked whole before any case runs: a typo in a key, a missing
// expectation or a policy that does not compile makes the file an error, never a
// pass. Each case starts from a fresh budget state and decides its charges with
// mandate::authorize, as `mandate check` does.

#include <nlohmann/json.hpp>

#include <algorithm>
#include <filesystem>
#include <set>

#include "mandate/json.hpp"
#include "mandate/testing_tools.hpp"
#include "tools/explain_support.hpp"
#include "tools/file_text.hpp"

namespace mandate::tools {

namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;

constexpr std::string_view test_suffix = ".test.json";
constexpr std::int64_t max_repeat = 100'000;

// A file that cannot be run: what is wrong and where.
struct malformed {
    std::string message;
};

struct expected_charge {
    std::string line;           // the charge as `check` would read it
    std::optional<instant> at;  // set when it repeats with a time step
    std::string at_text;
    bool approve = true;
    std::string reason;
    std::optional<std::uint32_t> line_no;
    std::optional<std::uint32_t> column;
    std::int64_t repeat = 1;
    duration every{};
    json charge_object;  // kept to restamp "at" on repetitions
};

struct test_case {
    std::string name;
    std::string mandate;
    std::string args;
    std::vector<expected_charge> charges;
};

struct test_file {
    std::string policy_path;
    std::vector<test_case> cases;
};

bool ends_with(std::string_view text, std::string_view suffix) {
    return text.size() >= suffix.size() && text.substr(text.size() - suffix.size()) == suffix;
}

void only_keys(const json& object, std::initializer_list<std::string_view> allowed,
               const std::string& where) {
    for (const auto& [key, value] : object.items()) {
        if (std::find(allowed.begin(), allowed.end(), key) == allowed.end()) {
            std::string list;
            for (auto name : allowed) list += (list.empty() ? "" : ", ") + std::string(name);
            throw malformed{where + ": unknown key \"" + key + "\" (expected one of " + list + ")"};
        }
    }
}

std::string string_field(const json& object, const char* key, const std::string& where,
                         bool required) {
    if (!object.contains(key)) {
        if (required) throw malformed{where + ": \"" + key + "\" is required"};
        return {};
    }
    const json& value = object.at(key);
    if (!value.is_string() || value.get_ref<const std::string&>().empty()) {
        throw malformed{where + ": \"" + key + "\" must be a non-empty string"};
    }
    return value.get<std::string>();
}

// "8" or "8:3": the line (and column) of the clause expected to decline.
void parse_rule(const std::string& rule, expected_charge& c, const std::string& where) {
    const auto colon = rule.find(':');
    auto number = [&](std::string_view digits) -> std::uint32_t {
        if (digits.empty() || digits.size() > 9 ||
            digits.find_first_not_of("0123456789") != std::string_view::npos) {
            throw malformed{where + ": \"rule\" must be LINE or LINE:COLUMN, such as \"8:3\""};
        }
        return static_cast<std::uint32_t>(std::stoul(std::string(digits)));
    };
    const std::string_view text(rule);
    c.line_no = number(text.substr(0, colon));
    if (colon != std::string::npos) c.column = number(text.substr(colon + 1));
}

expected_charge parse_charge(const json& entry, const std::string& where) {
    if (!entry.is_object()) throw malformed{where + ": must be an object"};
    only_keys(entry, {"charge", "decision", "reason", "rule", "repeat", "every", "description"},
              where);
    expected_charge c;
    if (!entry.contains("charge")) throw malformed{where + ": \"charge\" is required"};
    const json& charge_json = entry.at("charge");
    if (charge_json.is_object()) {
        c.charge_object = charge_json;
        c.line = charge_json.dump();
    } else if (charge_json.is_string()) {
        // A raw line, to test how malformed input is answered.
        c.line = charge_json.get<std::string>();
    } else {
        throw malformed{where + ": \"charge\" must be a charge object or a string"};
    }

    const std::string decision = string_field(entry, "decision", where, true);
    if (decision != "approve" && decision != "decline") {
        throw malformed{where + ": \"decision\" must be \"approve\" or \"decline\", not \"" +
                        decision + "\""};
    }
    c.approve = decision == "approve";
    c.reason = string_field(entry, "reason", where, false);
    const std::string rule = string_field(entry, "rule", where, false);
    if (c.approve && (!c.reason.empty() || !rule.empty())) {
        throw malformed{where + ": an approved charge has no \"reason\" or \"rule\""};
    }
    if (!c.approve && c.reason.empty()) {
        throw malformed{where + ": a declined charge needs the \"reason\" it is declined with"};
    }
    if (!rule.empty()) parse_rule(rule, c, where);

    if (entry.contains("repeat")) {
        const json& repeat = entry.at("repeat");
        if (!repeat.is_number_integer() || repeat.get<std::int64_t>() < 1 ||
            repeat.get<std::int64_t>() > max_repeat) {
            throw malformed{where + ": \"repeat\" must be an integer from 1 to " +
                            std::to_string(max_repeat)};
        }
        c.repeat = repeat.get<std::int64_t>();
    }
    if (entry.contains("every")) {
        const json& every = entry.at("every");
        const auto length =
            every.is_string() ? parse_duration(every.get<std::string>()) : std::nullopt;
        if (!length || length->count() <= 0) {
            throw malformed{where + ": \"every\" must be a duration above zero, such as \"1h\""};
        }
        if (!entry.contains("repeat")) {
            throw malformed{where + ": \"every\" needs \"repeat\""};
        }
        const json* at = c.charge_object.is_object() && c.charge_object.contains("at")
                             ? &c.charge_object.at("at")
                             : nullptr;
        c.at =
            at != nullptr && at->is_string() ? parse_rfc3339(at->get<std::string>()) : std::nullopt;
        if (!c.at) {
            throw malformed{where + ": \"every\" needs a charge object with a valid \"at\""};
        }
        c.every = *length;
    }
    return c;
}

test_file parse_test_file(const std::string& path) {
    std::string text;
    if (std::string problem; !detail::read_file_text(path, text, problem)) {
        throw malformed{"cannot read the file: " + problem};
    }

    json root;
    try {
        root = json::parse(text);
    } catch (const json::parse_error& error) {
        throw malformed{std::string("not valid JSON: ") + error.what()};
    }
    if (!root.is_object()) throw malformed{"the file must hold one JSON object"};
    only_keys(root, {"policy", "mandate", "args", "description", "cases"}, "the file");

    test_file file;
    const fs::path test_path(path);
    const std::string policy = string_field(root, "policy", "the file", false);
    if (!policy.empty()) {
        file.policy_path = (test_path.parent_path() / policy).lexically_normal().string();
    } else if (ends_with(path, test_suffix)) {
        file.policy_path = path.substr(0, path.size() - test_suffix.size()) + ".mandate";
    } else {
        throw malformed{"\"policy\" is required when the file is not named NAME.test.json"};
    }

    const std::string default_mandate = string_field(root, "mandate", "the file", false);
    json default_args = json::object();
    if (root.contains("args")) {
        if (!root.at("args").is_object()) throw malformed{"\"args\" must be a JSON object"};
        default_args = root.at("args");
    }

    if (!root.contains("cases") || !root.at("cases").is_array() || root.at("cases").empty()) {
        throw malformed{"\"cases\" must be a non-empty array of cases"};
    }
    std::set<std::string> names;
    std::size_t index = 0;
    for (const json& entry : root.at("cases")) {
        const std::string where = "cases[" + std::to_string(index++) + "]";
        if (!entry.is_object()) throw malformed{where + ": must be an object"};
        only_keys(entry, {"name", "description", "mandate", "args", "charges"}, where);
        test_case c;
        c.name = string_field(entry, "name", where, true);
        if (!names.insert(c.name).second) {
            throw malformed{where + ": the case name \"" + c.name + "\" is used twice"};
        }
        const std::string named = where + " (" + c.name + ")";
        c.mandate = entry.contains("mandate") ? string_field(entry, "mandate", named, true)
                                              : default_mandate;
        json args = default_args;
        if (entry.contains("args")) {
            if (!entry.at("args").is_object()) {
                throw malformed{named + ": \"args\" must be a JSON object"};
            }
            // The case's arguments override the file's, key by key.
            for (const auto& [key, value] : entry.at("args").items()) args[key] = value;
        }
        c.args = args.dump();
        if (!entry.contains("charges") || !entry.at("charges").is_array() ||
            entry.at("charges").empty()) {
            throw malformed{named + ": \"charges\" must be a non-empty array"};
        }
        std::size_t k = 0;
        for (const json& charge_entry : entry.at("charges")) {
            c.charges.push_back(
                parse_charge(charge_entry, named + ".charges[" + std::to_string(k++) + "]"));
        }
        file.cases.push_back(std::move(c));
    }
    return file;
}

std::string expectation_text(const expected_charge& c) {
    if (c.approve) return "approve";
    // Appended piece by piece: GCC 12 warns falsely (-Wrestrict, bug 105329) on
    // a literal + std::string here.
    std::string text = "decline ";
    text += c.reason;
    if (c.line_no) {
        text += " at ";
        text += std::to_string(*c.line_no);
        if (c.column) {
            text += ':';
            text += std::to_string(*c.column);
        }
    }
    return text;
}

std::string outcome_text(const decision& d) {
    if (d.approved) return "approve";
    std::string text = "decline ";
    text += d.reason_name;
    if (d.clause >= 0) {
        text += " at ";
        text += std::to_string(d.line);
        text += ':';
        text += std::to_string(d.column);
    }
    text += " (";
    text += describe(d);
    text += ')';
    return text;
}

bool matches(const expected_charge& c, const decision& d) {
    if (c.approve != d.approved) return false;
    if (c.approve) return true;
    if (c.reason != d.reason_name) return false;
    if (c.line_no && (d.clause < 0 || *c.line_no != d.line)) return false;
    if (c.column && *c.column != d.column) return false;
    return true;
}

// Runs one case; returns "" when it passes, else what went wrong.
std::string run_case(const bound_mandate& mandate, const test_case& c) {
    budget_state state(mandate);
    charge_document document;
    std::string error;
    for (std::size_t i = 0; i < c.charges.size(); ++i) {
        const expected_charge& expected = c.charges[i];
        for (std::int64_t k = 0; k < expected.repeat; ++k) {
            std::string line = expected.line;
            if (expected.at && k > 0) {
                json stamped = expected.charge_object;
                stamped["at"] = format_rfc3339(*expected.at + expected.every * k);
                line = stamped.dump();
            }
            decision d;
            if (decode_charge(line, document, error)) {
                d = authorize(mandate, state, document.view());
            } else {
                d = decision{};  // declined invalid_charge, as `check` answers it
            }
            if (matches(expected, d)) continue;
            std::string where = "charge " + std::to_string(i + 1);
            if (expected.repeat > 1) {
                where += " (repetition " + std::to_string(k + 1) + " of " +
                         std::to_string(expected.repeat) + ")";
            }
            if (!decode_charge(line, document, error)) {
                return where + ": expected " + expectation_text(expected) +
                       "\n      got      decline invalid_charge (" + error + ")";
            }
            return where + ": expected " + expectation_text(expected) + "\n      got      " +
                   outcome_text(d);
        }
    }
    return {};
}

}  // namespace

std::vector<std::string> find_test_files(const std::vector<std::string>& paths) {
    std::vector<std::string> files;
    for (const std::string& path : paths) {
        std::error_code error;
        if (fs::is_directory(path, error)) {
            std::vector<std::string> found;
            for (fs::recursive_directory_iterator it(path, error), end; !error && it != end;
                 it.increment(error)) {
                // "./a.test.json" is printed as "a.test.json".
                const std::string name = it->path().lexically_normal().string();
                if (ends_with(name, test_suffix) && it->is_regular_file(error)) {
                    found.push_back(name);
                }
            }
            std::sort(found.begin(), found.end());
            files.insert(files.end(), found.begin(), found.end());
        } else {
            files.push_back(path);  // a file, or a path that does not exist: an error later
        }
    }
    return files;
}

void run_test_file(const std::string& path, const test_output& output, test_summary& summary) {
    const paint p{output.color};
    auto broken = [&](const std::string& message) {
        output.out << p.red("ERROR") << " " << path << ": " << message << "\n";
        ++summary.broken_files;
    };

    test_file file;
    try {
        file = parse_test_file(path);
    } catch (const malformed& problem) {
        broken(problem.message);
        return;
    }

    std::string source;
    if (std::string problem; !detail::read_file_text(file.policy_path, source, problem)) {
        broken("cannot read policy file '" + file.policy_path + "': " + problem);
        return;
    }
    const compile_result compiled = compile(source, file.policy_path);
    if (!compiled.ok()) {
        broken("the policy " + file.policy_path + " does not compile:\n" +
               render(compiled.diagnostics));
        return;
    }

    // Bind every case first: a case that cannot bind is a broken file, not a failure.
    std::vector<std::shared_ptr<const bound_mandate>> bound;
    for (const test_case& c : file.cases) {
        bind_result result = mandate::bind(compiled.compiled, c.mandate, c.args);
        if (!result.ok()) {
            std::string errors;
            for (const auto& e : result.errors) errors += (errors.empty() ? "" : "; ") + e;
            broken("case \"" + c.name + "\": cannot bind the mandate: " + errors);
            return;
        }
        bound.push_back(result.mandate);
    }

    for (std::size_t i = 0; i < file.cases.size(); ++i) {
        const std::string failure = run_case(*bound[i], file.cases[i]);
        if (failure.empty()) {
            ++summary.passed;
            output.out << p.green("PASS") << "  " << path << " > " << file.cases[i].name << "\n";
        } else {
            ++summary.failed;
            output.out << p.red("FAIL") << "  " << path << " > " << file.cases[i].name << "\n"
                       << "      " << failure << "\n";
        }
    }
}

std::string summary_line(const test_summary& summary) {
    std::string line =
        std::to_string(summary.passed) + " passed, " + std::to_string(summary.failed) + " failed";
    if (summary.broken_files > 0) {
        line += ", " + std::to_string(summary.broken_files) +
                (summary.broken_files == 1 ? " test file" : " test files") + " could not be run";
    }
    return line;
}

}  // namespace mandate::tools
