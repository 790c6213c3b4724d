// Token cutting for the authoring tools; mirrors the token rules of
// grammar/grammar.hpp (time before duration before number, as `primary` tries them).

#include "tools/lexer.hpp"

namespace mandate::authoring::detail {

namespace {

bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_name_rest(char c) {
    return is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}
bool is_name_first(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }

std::size_t digits_at(std::string_view s, std::size_t i) {
    std::size_t n = 0;
    while (i + n < s.size() && is_digit(s[i + n])) ++n;
    return n;
}

// 2026-12-01T00:00:00Z, 2026-12-01T09:30:00.5+05:30: its length, or 0.
std::size_t time_at(std::string_view s, std::size_t i) {
    const auto fixed = [&](std::size_t at, std::size_t count) {
        return digits_at(s, at) >= count;
    };
    const auto is = [&](std::size_t at, std::string_view options) {
        return at < s.size() && options.find(s[at]) != std::string_view::npos;
    };
    std::size_t p = i;
    if (!fixed(p, 4) || !is(p + 4, "-") || !fixed(p + 5, 2) || !is(p + 7, "-") ||
        !fixed(p + 8, 2) || !is(p + 10, "Tt") || !fixed(p + 11, 2) || !is(p + 13, ":") ||
        !fixed(p + 14, 2) || !is(p + 16, ":") || !fixed(p + 17, 2)) {
        return 0;
    }
    p += 19;
    if (is(p, ".") && digits_at(s, p + 1) > 0) p += 1 + digits_at(s, p + 1);
    if (is(p, "Zz")) return p + 1 - i;
    if (is(p, "+-") && fixed(p + 1, 2) && is(p + 3, ":") && fixed(p + 4, 2)) return p + 6 - i;
    return 0;
}

// 1h30m, 250ms: its length, or 0.
std::size_t duration_at(std::string_view s, std::size_t i) {
    std::size_t p = i;
    bool any = false;
    for (;;) {
        const std::size_t n = digits_at(s, p);
        if (n == 0) break;
        std::size_t q = p + n;
        if (s.substr(q, 2) == "us" || s.substr(q, 2) == "ms") {
            q += 2;
        } else if (q < s.size() && std::string_view("smhdw").find(s[q]) != std::string_view::npos) {
            q += 1;
        } else {
            break;
        }
        p = q;
        any = true;
    }
    if (!any || (p < s.size() && is_name_rest(s[p]))) return 0;
    return p - i;
}

}  // namespace

bool lex(std::string_view source, std::vector<lex_token>& tokens, std::string& problem) {
    tokens.clear();
    std::size_t i = 0;
    std::uint32_t line = 1;
    std::uint32_t newlines = 0;
    while (i < source.size()) {
        const char c = source[i];
        if (c == '\n') {
            ++line;
            ++newlines;
            ++i;
            continue;
        }
        if (c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f') {
            ++i;
            continue;
        }
        lex_token t;
        t.offset = static_cast<std::uint32_t>(i);
        t.line = line;
        t.newlines_before = tokens.empty() ? 0 : newlines;
        newlines = 0;
        std::size_t length = 0;
        if (c == '#') {
            t.kind = token_kind::comment;
            while (i + length < source.size() && source[i + length] != '\n') ++length;
            // A carriage return before the line feed is line ending, not comment.
            while (length > 1 && source[i + length - 1] == '\r') --length;
        } else if (c == '"') {
            t.kind = token_kind::text;
            length = 1;
            while (i + length < source.size() && source[i + length] != '"') {
                if (source[i + length] == '\n') {
                    problem = "unterminated text on line " + std::to_string(line);
                    return false;
                }
                length += source[i + length] == '\\' ? 2u : 1u;
            }
            length += 1;
            if (i + length > source.size()) {
                problem = "unterminated text on line " + std::to_string(line);
                return false;
            }
        } else if (is_digit(c)) {
            if ((length = time_at(source, i)) != 0) {
                t.kind = token_kind::time;
            } else if ((length = duration_at(source, i)) != 0) {
                t.kind = token_kind::duration;
            } else {
                t.kind = token_kind::number;
                length = digits_at(source, i);
                if (i + length < source.size() && source[i + length] == '.' &&
                    digits_at(source, i + length + 1) > 0) {
                    length += 1 + digits_at(source, i + length + 1);
                }
            }
        } else if (is_name_first(c)) {
            t.kind = token_kind::word;
            while (i + length < source.size() && is_name_rest(source[i + length])) ++length;
        } else {
            t.kind = token_kind::punct;
            const std::string_view two = source.substr(i, 2);
            // `list<text>= [...]`: the '>' closes the type, the '=' starts the default.
            const std::size_t n = tokens.size();
            const bool closes_type = n >= 3 && tokens[n - 3].text == "list" &&
                                     tokens[n - 2].text == "<" &&
                                     tokens[n - 1].kind == token_kind::word;
            if (!closes_type && (two == "==" || two == "!=" || two == "<=" || two == ">=")) {
                length = 2;
            } else if (std::string_view("()[]{},:.<>=+-*").find(c) != std::string_view::npos) {
                length = 1;
            } else {
                problem = "unexpected character on line " + std::to_string(line);
                return false;
            }
        }
        t.text = source.substr(i, length);
        tokens.push_back(t);
        i += length;
    }
    return true;
}

}  // namespace mandate::authoring::detail
