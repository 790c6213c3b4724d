// The tokens of a policy's source, comments included: what the formatter lays
// out and where the linter finds `# lint: allow` comments. The grammar decides
// what a policy means; this lexer only has to cut text the grammar accepted.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace mandate::authoring::detail {

enum class token_kind : std::uint8_t { word, number, text, time, duration, punct, comment };

struct lex_token {
    token_kind kind = token_kind::word;
    std::string_view text;  // into the source
    std::uint32_t offset = 0;
    std::uint32_t line = 1;
    std::uint32_t newlines_before = 0;  // line breaks between the previous token and this one
};

// Cuts `source` into tokens. False (with `problem`) on a byte no token starts with.
bool lex(std::string_view source, std::vector<lex_token>& tokens, std::string& problem);

}  // namespace mandate::authoring::detail
