// Source text to parse tree. Syntax errors become diagnostics, never exceptions.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "grammar/ast.hpp"
#include "mandate/diagnostic.hpp"

namespace mandate::grammar {

struct parse_result {
    ast::policy_file file;
    std::vector<diagnostic> diagnostics;  // at most one: parsing stops at the first error

    bool ok() const noexcept { return diagnostics.empty(); }
};

parse_result parse(std::string_view source, const std::string& file_name);

// The diagnostic for a position in `source`, with the source line filled in.
diagnostic make_diagnostic(std::string_view source, const std::string& file_name,
                           const ast::location& where, std::string message,
                           std::string help = {});

}  // namespace mandate::grammar
