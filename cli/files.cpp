#include <iostream>

#include "cli/commands.hpp"
#include "tools/file_text.hpp"

namespace mandate::cli {

bool read_file(const std::string& path, std::string& contents, std::string& problem) {
    return tools::detail::read_file_text(path, contents, problem);
}

bool read_file(const std::string& path, std::string& contents) {
    std::string problem;
    return read_file(path, contents, problem);
}

int load_policy(const std::string& path, std::string& source, compile_result& compiled) {
    std::string problem;
    if (!read_file(path, source, problem)) {
        std::cerr << "mandate: cannot read policy file '" << path << "': " << problem << "\n";
        return exit_usage;
    }
    compiled = compile(source, path);
    if (!compiled.diagnostics.empty()) std::cerr << render(compiled.diagnostics);
    return compiled.ok() ? exit_ok : exit_refused;
}

int load_mandate(const std::string& path, const std::string& name, const std::string& arguments,
                 std::string& source, compile_result& compiled,
                 std::shared_ptr<const bound_mandate>& bound) {
    if (const int code = load_policy(path, source, compiled); code != exit_ok) return code;
    auto result = mandate::bind(compiled.compiled, name, arguments);
    if (!result.ok()) {
        for (const auto& error : result.errors) std::cerr << "mandate: " << error << "\n";
        return exit_usage;
    }
    bound = std::move(result.mandate);
    return exit_ok;
}

int load_mandate(const std::string& path, const std::string& name, const std::string& arguments,
                 std::shared_ptr<const bound_mandate>& bound) {
    std::string source;
    compile_result compiled;
    return load_mandate(path, name, arguments, source, compiled, bound);
}

std::istream* open_charges(const std::string& path, std::ifstream& file) {
    if (path == "-") return &std::cin;
    // An ifstream opens a directory and then reads no line from it: refuse it first.
    std::string problem = tools::detail::stream_problem(path);
    if (problem.empty()) {
        file.open(path, std::ios::binary);
        if (!file) problem = "cannot be opened";
    }
    if (!problem.empty()) {
        std::cerr << "mandate: cannot read charges file '" << path << "': " << problem << "\n";
        return nullptr;
    }
    return &file;
}

bool is_blank(std::string_view line) { return line.find_first_not_of(" \t") == line.npos; }

void for_each_charge_line(std::istream& input,
                          const std::function<void(const std::string&)>& answer) {
    std::string line;
    while (std::getline(input, line)) {
        if (!line.empty() && line.back() == '\r') line.pop_back();
        if (is_blank(line)) continue;
        answer(line);
    }
}

}  // namespace mandate::cli
