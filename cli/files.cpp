#include <iostream>
#include <sstream>

#include "cli/commands.hpp"

namespace mandate::cli {

bool read_file(const std::string& path, std::string& contents) {
    std::ifstream file(path, std::ios::binary);
    if (!file) return false;
    std::ostringstream buffer;
    buffer << file.rdbuf();
    if (file.bad()) return false;
    contents = buffer.str();
    return true;
}

int load_policy(const std::string& path, std::string& source, compile_result& compiled) {
    if (!read_file(path, source)) {
        std::cerr << "mandate: cannot read policy file '" << path << "'\n";
        return exit_usage;
    }
    compiled = compile(source, path);
    if (!compiled.diagnostics.empty()) std::cerr << render(compiled.diagnostics);
    return compiled.ok() ? exit_ok : exit_refused;
}

std::istream* open_charges(const std::string& path, std::ifstream& file) {
    if (path == "-") return &std::cin;
    file.open(path, std::ios::binary);
    if (!file) {
        std::cerr << "mandate: cannot read charges file '" << path << "'\n";
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
