// mandate fmt: the canonical layout of a policy file.
//
// The parse tree drops comments, so the formatter works on the tokens of the
// source and takes from the parse tree only where each mandate and clause starts.
// It decides white space and nothing else: before returning, it lexes its own
// output and refuses it unless the tokens (comments included) are the input's.

#include <cstddef>
#include <set>
#include <string>
#include <vector>

#include "grammar/parser.hpp"
#include "mandate/authoring.hpp"
#include "tools/lexer.hpp"

namespace mandate::authoring {

namespace {

using detail::lex_token;
using detail::token_kind;

constexpr std::size_t max_width = 90;
constexpr std::size_t clause_indent = 2;
constexpr std::size_t continuation_indent = 4;

bool is_punct(const lex_token& t, std::string_view text) {
    return t.kind == token_kind::punct && t.text == text;
}
bool is_word(const lex_token& t, std::string_view text) {
    return t.kind == token_kind::word && t.text == text;
}

// Words after which a '-' negates rather than subtracts: they end no operand.
bool starts_operand(const lex_token& t) {
    if (t.kind == token_kind::punct) return !is_punct(t, ")") && !is_punct(t, "]");
    if (t.kind != token_kind::word) return false;
    static const std::set<std::string_view> words = {
        "in",    "not",  "and",     "or",      "every", "some", "budget", "limit",
        "require", "when", "from", "until", "rolling", "amount", "seller", "domain",
        "currency", "category", "country"};
    return words.count(t.text) != 0;
}

// One unit laid out by the line filler: a mandate header or a clause.
struct unit {
    std::vector<const lex_token*> tokens;
    std::vector<bool> space_before;  // between tokens[i - 1] and tokens[i] on one line
    std::vector<bool> break_before;  // the filler may start a new line at tokens[i]
    // Breaks used only inside a stretch between two break_before points that does
    // not fit on a line of its own: after a comma inside a parameter's list default.
    std::vector<bool> soft_break_before;
};

class formatter {
public:
    formatter(const std::vector<lex_token>& tokens, const std::set<std::uint32_t>& clause_starts)
        : tokens_(tokens), clause_starts_(clause_starts) {}

    std::string run() {
        std::size_t i = 0;
        bool first = true;
        bool after_mandate = false;
        while (i < tokens_.size()) {
            const lex_token& t = tokens_[i];
            if (!first && (t.newlines_before >= 2 || after_mandate)) out_ += "\n";
            first = false;
            if (t.kind == token_kind::comment) {
                out_ += std::string(t.text) + "\n";
                after_mandate = false;
                ++i;
                continue;
            }
            i = mandate_decl(i);
            after_mandate = true;
        }
        return out_;
    }

private:
    // From `mandate` to its closing brace; returns the index after it.
    std::size_t mandate_decl(std::size_t i) {
        unit header;
        std::size_t paren_depth = 0;
        std::size_t open_column = 0;
        for (; i < tokens_.size(); ++i) {
            const lex_token& t = tokens_[i];
            add(header, t);
            if (is_punct(t, "(") && ++paren_depth == 1 && header.tokens.size() == 3) {
                // "mandate NAME(": parameters continue under the first one.
                open_column = std::string_view("mandate ").size() +
                              header.tokens[1]->text.size() + 1;
            }
            if (is_punct(t, ")") && paren_depth > 0) --paren_depth;
            if (is_punct(t, "{")) break;
        }
        // After a comma between parameters; continuation lines line up after '('.
        for (std::size_t k = 1; k < header.tokens.size(); ++k) {
            const bool after_comma = is_punct(*header.tokens[k - 1], ",");
            const std::size_t depth = header_depth(header, k);
            header.break_before[k] = after_comma && depth == 1;
            header.soft_break_before[k] = after_comma && depth > 1;
        }
        fill(header, 0, open_column == 0 ? continuation_indent : open_column);
        ++i;
        i = trailing_comments(i);
        out_ += "\n";

        // The body: clauses and own-line comments until '}'.
        bool first = true;
        while (i < tokens_.size() && !is_punct(tokens_[i], "}")) {
            const lex_token& t = tokens_[i];
            if (!first && t.newlines_before >= 2) out_ += "\n";
            first = false;
            if (t.kind == token_kind::comment) {
                out_ += std::string(clause_indent, ' ') + std::string(t.text) + "\n";
                ++i;
                continue;
            }
            i = clause(i);
        }
        if (i < tokens_.size()) {
            out_ += "}";
            i = trailing_comments(i + 1);
            out_ += "\n";
        }
        return i;
    }

    static std::size_t header_depth(const unit& u, std::size_t k) {
        std::size_t depth = 0;
        for (std::size_t j = 0; j < k; ++j) {
            if (is_punct(*u.tokens[j], "(") || is_punct(*u.tokens[j], "[")) ++depth;
            if ((is_punct(*u.tokens[j], ")") || is_punct(*u.tokens[j], "]")) && depth > 0) {
                --depth;
            }
        }
        return depth;
    }

    // Comments on the same line as what was just written.
    std::size_t trailing_comments(std::size_t i) {
        while (i < tokens_.size() && tokens_[i].kind == token_kind::comment &&
               tokens_[i].newlines_before == 0) {
            out_ += "  " + std::string(tokens_[i].text);
            ++i;
        }
        return i;
    }

    // One clause: its tokens up to the next clause or '}', with the comments that
    // share its lines; own-line comments after its last token belong to the body.
    std::size_t clause(std::size_t i) {
        std::size_t end = i + 1;
        std::size_t last_code = i;
        for (; end < tokens_.size(); ++end) {
            const lex_token& t = tokens_[end];
            if (is_punct(t, "}") || clause_starts_.count(t.offset) != 0) break;
            if (t.kind != token_kind::comment) last_code = end;
        }
        std::size_t stop = last_code + 1;
        while (stop < end && tokens_[stop].kind == token_kind::comment &&
               tokens_[stop].newlines_before == 0) {
            ++stop;
        }
        unit u;
        int depth = 0;
        for (std::size_t k = i; k < stop; ++k) {
            const lex_token& t = tokens_[k];
            add(u, t);
            const std::size_t n = u.tokens.size() - 1;
            if (n == 0) continue;
            const lex_token* previous = previous_code(u, n);
            if (previous == nullptr) continue;
            const bool after_separator = is_punct(*previous, ",") || is_punct(*previous, ":");
            const bool before_joiner = is_word(t, "and") || is_word(t, "or");
            const bool before_tail = depth == 0 && (is_word(t, "else") || is_word(t, "when") ||
                                                    is_word(t, "until"));
            u.break_before[n] = after_separator || before_joiner || before_tail;
            if (is_punct(t, "(") || is_punct(t, "[")) ++depth;
            if (is_punct(t, ")") || is_punct(t, "]")) --depth;
        }
        fill(u, clause_indent, continuation_indent);
        out_ += "\n";
        return stop;
    }

    static const lex_token* previous_code(const unit& u, std::size_t n) {
        for (std::size_t k = n; k-- > 0;) {
            if (u.tokens[k]->kind != token_kind::comment) return u.tokens[k];
        }
        return nullptr;
    }

    // Appends a token and decides the space in front of it.
    static void add(unit& u, const lex_token& t) {
        bool space = true;
        if (!u.tokens.empty()) {
            const lex_token* previous = previous_code(u, u.tokens.size());
            if (previous == nullptr) {
                space = true;
            } else if (t.kind == token_kind::comment) {
                space = true;
            } else if (is_punct(t, ")") || is_punct(t, "]") || is_punct(t, ",") ||
                       is_punct(t, ":") || is_punct(t, ".")) {
                space = false;
            } else if (is_punct(*previous, "(") || is_punct(*previous, "[") ||
                       is_punct(*previous, ".")) {
                space = false;
            } else if (is_punct(t, "(")) {
                // sum(...), count(...) and the mandate's parameter list.
                space = !(is_word(*previous, "sum") || is_word(*previous, "count") ||
                          (previous->kind == token_kind::word && u.tokens.size() == 2 &&
                           is_word(*u.tokens[0], "mandate")));
            } else if ((is_punct(t, "<") && is_word(*previous, "list")) ||
                       (is_punct(*previous, "<") && u.tokens.size() >= 2 &&
                        is_word(*u.tokens[u.tokens.size() - 2], "list")) ||
                       (is_punct(t, ">") && u.tokens.size() >= 3 &&
                        is_word(*u.tokens[u.tokens.size() - 3], "list") &&
                        is_punct(*u.tokens[u.tokens.size() - 2], "<"))) {
                space = false;  // list<text>
            } else if (is_punct(*previous, "-") && u.tokens.size() >= 2) {
                // No space after a negation: -5, -cap.
                const lex_token* before = u.tokens.size() >= 2 ? previous_before(u) : nullptr;
                space = !(before == nullptr || starts_operand(*before));
            }
        }
        u.tokens.push_back(&t);
        u.space_before.push_back(space);
        u.break_before.push_back(false);
        u.soft_break_before.push_back(false);
    }

    // The code token before the last code token of `u`.
    static const lex_token* previous_before(const unit& u) {
        std::size_t seen = 0;
        for (std::size_t k = u.tokens.size(); k-- > 0;) {
            if (u.tokens[k]->kind == token_kind::comment) continue;
            if (++seen == 2) return u.tokens[k];
        }
        return nullptr;
    }

    // The break points the filler uses: every break_before, and the soft breaks of
    // each stretch between them that would not fit on a continuation line alone.
    static std::vector<bool> break_points(const unit& u, std::size_t next_indent) {
        std::vector<bool> breaks = u.break_before;
        std::size_t k = 0;
        while (k < u.tokens.size()) {
            std::size_t end = k + 1;
            std::size_t width = u.tokens[k]->text.size();
            while (end < u.tokens.size() && !u.break_before[end]) {
                width += (u.space_before[end] ? 1 : 0) + u.tokens[end]->text.size();
                ++end;
            }
            if (next_indent + width > max_width) {
                for (std::size_t j = k + 1; j < end; ++j) {
                    breaks[j] = breaks[j] || u.soft_break_before[j];
                }
            }
            k = end;
        }
        return breaks;
    }

    static bool is_closer(const lex_token& t) { return is_punct(t, "]") || is_punct(t, ")"); }

    // Greedy line filling: a segment (the tokens between two break points) moves
    // to a new line when it would pass the width. Comments end their line. A line
    // that starts with a closing ']' or ')' lines up with the start of the unit,
    // not with its continuation lines.
    void fill(const unit& u, std::size_t first_indent, std::size_t next_indent) {
        const std::vector<bool> breaks = break_points(u, next_indent);
        std::string line(first_indent, ' ');
        bool fresh = true;  // nothing but indent on `line`
        bool continued = false;  // `line` is a continuation line, its indent not yet written
        const auto new_line = [&] {
            out_ += line + "\n";
            line.clear();
            fresh = true;
            continued = true;
        };
        // Writes the indent of a continuation line before its first token.
        const auto start_line = [&](const lex_token& first) {
            if (!continued) return;
            line = std::string(is_closer(first) ? first_indent : next_indent, ' ');
            continued = false;
        };
        std::size_t k = 0;
        while (k < u.tokens.size()) {
            const lex_token& t = *u.tokens[k];
            if (t.kind == token_kind::comment) {
                if (t.newlines_before == 0 && !fresh) {
                    line += "  " + std::string(t.text);
                } else {
                    if (!fresh) new_line();
                    start_line(t);
                    line += std::string(t.text);
                    fresh = false;
                }
                ++k;
                if (k < u.tokens.size()) new_line();
                continue;
            }
            // The segment [k, end): up to the next break point or comment.
            std::size_t end = k + 1;
            while (end < u.tokens.size() && !breaks[end] &&
                   u.tokens[end]->kind != token_kind::comment) {
                ++end;
            }
            std::string segment;
            for (std::size_t j = k; j < end; ++j) {
                if (j > k && u.space_before[j]) segment += ' ';
                segment += u.tokens[j]->text;
            }
            const std::string lead = u.space_before[k] ? " " : "";
            if (!fresh && line.size() + lead.size() + segment.size() > max_width && breaks[k]) {
                new_line();
            }
            start_line(t);
            line += (fresh ? "" : lead) + segment;
            fresh = false;
            k = end;
        }
        if (continued) start_line(*u.tokens.back());
        out_ += line;
    }

    const std::vector<lex_token>& tokens_;
    const std::set<std::uint32_t>& clause_starts_;
    std::string out_;
};

bool same_tokens(const std::vector<lex_token>& a, const std::vector<lex_token>& b) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i) {
        if (a[i].kind != b[i].kind || a[i].text != b[i].text) return false;
    }
    return true;
}

}  // namespace

format_result format(std::string_view source, const std::string& file_name) {
    format_result result;
    grammar::parse_result parsed = grammar::parse(source, file_name);
    if (!parsed.ok()) {
        result.diagnostics = std::move(parsed.diagnostics);
        return result;
    }
    std::set<std::uint32_t> clause_starts;
    for (const auto& m : parsed.file.mandates) {
        for (const auto& c : m.clauses) clause_starts.insert(c.where.offset);
        for (const auto& r : m.refund_settings) clause_starts.insert(r.offset);
    }
    std::vector<lex_token> tokens;
    std::string problem;
    if (!detail::lex(source, tokens, problem)) {
        result.diagnostics.push_back(
            grammar::make_diagnostic(source, file_name, {}, "cannot format: " + problem));
        return result;
    }
    std::string text = formatter(tokens, clause_starts).run();

    // Refuse to return anything that is not the same policy.
    std::vector<lex_token> again;
    const bool relexed = detail::lex(text, again, problem);
    if (!relexed || !same_tokens(tokens, again) || !grammar::parse(text, file_name).ok()) {
        result.diagnostics.push_back(grammar::make_diagnostic(
            source, file_name, {},
            "internal formatter error: the formatted text would not be the same policy; "
            "the file was left as it is"));
        return result;
    }
    result.text = std::move(text);
    return result;
}

}  // namespace mandate::authoring
