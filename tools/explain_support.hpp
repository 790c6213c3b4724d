// Small text helpers shared by explain, the policy tests and replay.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace mandate::tools {

// ANSI colours, or the text unchanged when colour is off (not a terminal).
struct paint {
    bool on = false;

    std::string wrap(std::string_view code, std::string_view text) const {
        if (!on) return std::string(text);
        return "\x1b[" + std::string(code) + "m" + std::string(text) + "\x1b[0m";
    }
    std::string green(std::string_view text) const { return wrap("32", text); }
    std::string red(std::string_view text) const { return wrap("31", text); }
    std::string bold(std::string_view text) const { return wrap("1", text); }
    std::string dim(std::string_view text) const { return wrap("2", text); }
};

// The clause that starts at line:column of `source`, to the end of that line,
// without a trailing comment or blanks: "amount <= 150.00 USD".
inline std::string clause_source(std::string_view source, std::uint32_t line,
                                 std::uint32_t column) {
    std::size_t start = 0;
    for (std::uint32_t l = 1; l < line && start != std::string_view::npos; ++l) {
        start = source.find('\n', start);
        if (start != std::string_view::npos) ++start;
    }
    if (start == std::string_view::npos) return {};
    start += column > 0 ? column - 1 : 0;
    if (start > source.size()) return {};
    std::size_t end = source.find_first_of("#\n", start);
    if (end == std::string_view::npos) end = source.size();
    while (end > start &&
           (source[end - 1] == ' ' || source[end - 1] == '\t' || source[end - 1] == '\r')) {
        --end;
    }
    return std::string(source.substr(start, end - start));
}

}  // namespace mandate::tools
