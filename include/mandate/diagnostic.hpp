// A user-facing message about a policy file: where, what, and how to fix it.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace mandate {

enum class severity : std::uint8_t { error, warning };

struct diagnostic {
    severity level = severity::error;
    std::string file;
    std::uint32_t line = 0;    // 1-based
    std::uint32_t column = 0;  // 1-based, in bytes
    std::uint32_t length = 1;  // width of the caret underline
    std::string message;
    std::string help;         // empty when there is nothing useful to add
    std::string source_line;  // the line of the file the position is on

    // "file:line:col: error: message", the source line, a caret under the
    // column, and a "help:" line when there is one. Ends with a newline.
    std::string render() const;
};

std::string render(const std::vector<diagnostic>& diagnostics);

}  // namespace mandate
