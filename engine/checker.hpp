// Parse tree to checked model: resolves names, checks types, parses literals.
#pragma once

#include <string_view>
#include <vector>

#include "engine/model.hpp"
#include "grammar/ast.hpp"
#include "mandate/diagnostic.hpp"

namespace mandate::checker {

struct check_result {
    std::vector<model::mandate> mandates;
    std::vector<diagnostic> diagnostics;
};

check_result check(const ast::policy_file& file, std::string_view source);

// Validates a domain pattern: lower-case ASCII labels, optionally "*." first.
// Returns an empty string when valid, else what is wrong.
std::string check_domain_pattern(std::string_view pattern);
// Validates a country code: two upper-case ASCII letters.
bool is_country_code(std::string_view code) noexcept;

}  // namespace mandate::checker
