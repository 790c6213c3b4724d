// mandate lint: what a mandate allows that its author probably did not mean.
//
// Rules read the checked model (which clauses there are) and the compiled steps
// (their values). Values come from binding the mandate: with the caller's
// arguments, or with its defaults when those cover every parameter. Otherwise
// only the values written as literals are checked, and the report says which
// clauses were left unchecked.

#include <algorithm>
#include <cctype>
#include <deque>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <tuple>
#include <unordered_set>

#include "engine/checker.hpp"
#include "engine/program.hpp"
#include "grammar/parser.hpp"
#include "mandate/authoring.hpp"
#include "tools/describe.hpp"
#include "tools/lexer.hpp"

namespace mandate::authoring {

namespace {

namespace md = mandate::detail;

constexpr lint_rule rules[] = {
    {"L001", "unscoped-seller",
     "the mandate names no seller and no domain: a leaked credential pays anyone",
     "add `seller in [\"acct_...\"]` (or `domain in [\"shop.example\"]`) so the credential "
     "only pays the seller it is meant for"},
    {"L002", "no-expiry",
     "the mandate has no `valid until`, no lifetime budget and no lifetime count limit with a "
     "cap: the credential never runs out",
     "add `valid until TIME`, a lifetime budget such as `budget 100.00 USD total`, or "
     "`limit N charges total` with an `amount <=` cap"},
    {"L003", "no-currency",
     "nothing fixes the currency: no `currency`, no `amount <=` cap and no budget",
     "add `currency USD`, or a cap such as `amount <= 50.00 USD`"},
    {"L004", "cap-over-budget",
     "the per-charge cap is above a budget it sits in, so the cap never decides",
     "lower the cap to at most the smallest budget, or raise the budget"},
    {"L005", "budget-over-max", "a budget is larger than the allowed maximum (--max-budget)",
     "lower the budget, or split the spending across seller-scoped tokens under a grant"},
    {"L006", "wide-domain",
     "a wildcard domain covers more than one organisation (*.com, *.co.uk)",
     "name the organisation's own domain, such as \"*.example.com\""},
    {"L007", "never-approves",
     "a clause can never be satisfied, so the mandate declines every charge",
     "fix the clause's value: a cap above zero, a non-empty list, amounts in the allowed "
     "currency, validity windows that overlap"},
    {"L008", "duplicate-clause", "a clause is written twice",
     "remove one of the two copies"},
    {"L009", "shadowed-clause",
     "a clause never decides anything because a stricter clause of the same kind comes with it",
     "remove the looser clause, or make it the stricter one"},
};

const lint_rule& rule(std::string_view code) {
    for (const auto& r : rules) {
        if (r.code == code) return r;
    }
    return rules[0];
}

// ---- public suffixes -----------------------------------------------------------

// The Public Suffix List as Debian installs it (package publicsuffix). Without it,
// only single-label suffixes (`*.com`) are known to be public.
struct suffix_list {
    std::unordered_set<std::string> exact;
    std::unordered_set<std::string> wildcard_parents;  // "*.ck" -> "ck"

    suffix_list() {
        std::ifstream file("/usr/share/publicsuffix/public_suffix_list.dat");
        std::string line;
        while (std::getline(file, line)) {
            if (!line.empty() && line.back() == '\r') line.pop_back();
            if (line.empty() || line.starts_with("//") || line.starts_with("!")) continue;
            const auto space = line.find_first_of(" \t");
            if (space != std::string::npos) line.resize(space);
            if (line.starts_with("*.")) {
                wildcard_parents.insert(line.substr(2));
            } else {
                exact.insert(line);
            }
        }
    }

    bool is_public(std::string_view suffix) const {
        if (suffix.find('.') == std::string_view::npos) return true;
        if (exact.count(std::string(suffix)) != 0) return true;
        const auto dot = suffix.find('.');
        return wildcard_parents.count(std::string(suffix.substr(dot + 1))) != 0;
    }
};

const suffix_list& public_suffixes() {
    static const suffix_list list;
    return list;
}

// ---- what is known about each step ----------------------------------------------

struct step_facts {
    const md::step* s = nullptr;
    const model::clause* c = nullptr;
    bool known = false;  // the operand's value is known (for valid: see has_from/has_until)
    money amount;
    std::int64_t count = 0;
    bool has_from = false;
    bool has_until = false;
    instant from{};
    instant until{};
    const md::value_set* set = nullptr;
    std::optional<bool> constant;  // require / decline conditions that read nothing
    std::string key;               // the clause's tokens, for duplicates
    std::string window;            // budgets and limits
};

bool is_cap(const md::step& s) {
    return s.kind == md::step_kind::amount &&
           (s.compare == ast::binary_op::less_equal || s.compare == ast::binary_op::less);
}

// The most a charge can be under a cap.
minor_units cap_units(const step_facts& f) {
    return f.s->compare == ast::binary_op::less ? f.amount.units - 1 : f.amount.units;
}

std::string money_text(const money& m) { return format_money(m); }

class mandate_linter {
public:
    mandate_linter(const md::mandate_program& program, const model::mandate& checked,
                   const md::bound_image* bound, std::string_view source,
                   const std::string& file, const lint_options& options, lint_report& report)
        : program_(program), checked_(checked), bound_(bound), source_(source), file_(file),
          options_(options), report_(report) {}

    void run(const std::vector<std::string>& keys) {
        gather(keys);
        scope_rules();
        value_rules();
        repeat_rules();
    }

private:
    void gather(const std::vector<std::string>& keys) {
        static const std::vector<md::value> no_arguments;
        std::vector<const md::value_set*> literal_sets;
        for (const auto& slot : program_.sets) literal_sets.push_back(slot.compiled.get());
        md::eval_frame frame{program_, bound_ != nullptr ? bound_->arguments : no_arguments,
                             bound_ != nullptr ? bound_->sets : literal_sets};
        frame.scratch = &scratch_;
        // Conditions that read no charge may still hold quantifiers over literal lists.
        std::vector<md::value> variables(program_.variable_slots + 1);
        frame.variables = variables.data();
        const auto literal = [&](const std::optional<model::expr>& e, std::uint32_t node,
                                 md::value& out) {
            if (!e || node == md::no_node) return false;
            if (bound_ == nullptr && e->uses_params) return false;
            return md::evaluate(frame, node, out);
        };
        std::vector<std::uint32_t> unknown_lines;
        for (std::size_t i = 0; i < program_.steps.size(); ++i) {
            step_facts f;
            f.s = &program_.steps[i];
            f.c = &checked_.clauses.at(static_cast<std::size_t>(f.s->clause));
            f.key = i < keys.size() ? keys[i] : std::string();
            const md::step& s = *f.s;
            md::value v;
            switch (s.kind) {
                case md::step_kind::amount:
                case md::step_kind::budget:
                    if ((f.known = literal(f.c->value, s.operand, v))) {
                        f.amount = money{v.units, v.unit};
                    }
                    break;
                case md::step_kind::limit:
                    if ((f.known = literal(f.c->value, s.operand, v))) f.count = v.integer;
                    break;
                case md::step_kind::valid:
                    if ((f.has_from = literal(f.c->valid_from, s.from, v))) {
                        f.from = instant(duration(v.integer));
                    }
                    if ((f.has_until = literal(f.c->valid_until, s.until, v))) {
                        f.until = instant(duration(v.integer));
                    }
                    f.known = (f.has_from || !f.c->valid_from) &&
                              (f.has_until || !f.c->valid_until);
                    break;
                case md::step_kind::require:
                case md::step_kind::decline_when:
                    f.known = true;
                    if (f.c->value && !f.c->value->uses_charge &&
                        literal(f.c->value, s.operand, v) && v.kind == md::value_kind::boolean) {
                        f.constant = v.boolean;
                    }
                    break;
                default:
                    if (s.set != md::no_node) {
                        f.set = bound_ != nullptr ? bound_->sets[s.set] : literal_sets[s.set];
                    }
                    f.known = f.set != nullptr;
                    break;
            }
            if (s.kind == md::step_kind::budget || s.kind == md::step_kind::limit) {
                const md::resolved_step* r = bound_ != nullptr ? &bound_->steps[i] : nullptr;
                f.window = authoring::detail::window_label(s, r);
            }
            if (!f.known) unknown_lines.push_back(s.line);
            facts_.push_back(f);
        }
        if (unknown_lines.empty()) return;
        // One note per mandate: "lines 4, 5 and 7".
        std::string lines = unknown_lines.size() == 1 ? "line " : "lines ";
        for (std::size_t i = 0; i < unknown_lines.size(); ++i) {
            if (i > 0) lines += i + 1 == unknown_lines.size() ? " and " : ", ";
            lines += std::to_string(unknown_lines[i]);
        }
        report_.unchecked.push_back(
            file_ + ":" + std::to_string(checked_.where.line) + ": mandate '" + program_.name +
            "': the values on " + lines +
            " come from arguments and were not checked; pass --args to check them");
    }

    void add(std::string_view code, const ast::location& where, std::string message) {
        lint_finding finding;
        finding.rule = &rule(code);
        finding.mandate = program_.name;
        finding.where = grammar::make_diagnostic(source_, file_, where, std::move(message),
                                                 std::string(finding.rule->help));
        finding.where.level = severity::warning;
        report_.findings.push_back(std::move(finding));
    }

    ast::location keyword(const step_facts& f) const {
        ast::location where = f.c->where;
        std::size_t length = 0;
        while (where.offset + length < source_.size() &&
               std::isalpha(static_cast<unsigned char>(source_[where.offset + length]))) {
            ++length;
        }
        where.length = static_cast<std::uint32_t>(std::max<std::size_t>(length, 1));
        return where;
    }

    ast::location name_location() const { return checked_.where; }

    bool any(md::step_kind kind) const {
        return std::any_of(facts_.begin(), facts_.end(),
                           [&](const step_facts& f) { return f.s->kind == kind; });
    }

    void scope_rules() {
        if (!any(md::step_kind::seller) && !any(md::step_kind::domain)) {
            add("L001", name_location(),
                "mandate '" + program_.name + "' has no `seller in` or `domain in` clause: "
                "its credential pays any seller");
        }
        const bool expires = std::any_of(facts_.begin(), facts_.end(), [](const auto& f) {
            return f.s->kind == md::step_kind::valid && f.s->until != md::no_node;
        });
        // What runs out without a `valid until`: a lifetime budget, or a lifetime count
        // limit with a per-charge cap (at most N charges of at most the cap each, the
        // bound radius gives). A count limit without a cap bounds the number of
        // charges, not the money.
        const auto lifetime = [&](md::step_kind kind) {
            return std::any_of(facts_.begin(), facts_.end(), [&](const auto& f) {
                return f.s->kind == kind && f.s->window == model::window_kind::total;
            });
        };
        const bool capped =
            std::any_of(facts_.begin(), facts_.end(), [](const auto& f) { return is_cap(*f.s); });
        const bool used_up =
            lifetime(md::step_kind::budget) || (lifetime(md::step_kind::limit) && capped);
        if (!expires && !used_up) {
            add("L002", name_location(),
                "mandate '" + program_.name + "' has no `valid until`, no lifetime budget "
                "and no lifetime count limit with a cap: it never expires and is never used up");
        }
        const bool fixed_currency = std::any_of(facts_.begin(), facts_.end(), [](const auto& f) {
            return f.s->kind == md::step_kind::currency || is_cap(*f.s) ||
                   f.s->kind == md::step_kind::budget;
        });
        if (!fixed_currency) {
            add("L003", name_location(),
                "mandate '" + program_.name + "' accepts charges in any currency and any amount");
        }
    }

    // The location of a list element that is a text literal with this value.
    ast::location element_location(const step_facts& f, std::string_view value) const {
        if (f.c->value && f.c->value->kind == model::expr_kind::list) {
            for (const auto& element : f.c->value->operands) {
                if (element.kind == model::expr_kind::literal && element.value.text == value) {
                    return element.where;
                }
            }
        }
        return keyword(f);
    }

    void value_rules() {
        // Money clauses: caps, minimums and budgets.
        std::vector<const step_facts*> caps, minimums, budgets, money_clauses;
        const step_facts* currencies = nullptr;
        for (const auto& f : facts_) {
            if (!f.known) continue;
            if (is_cap(*f.s)) caps.push_back(&f);
            if (f.s->kind == md::step_kind::amount && !is_cap(*f.s)) minimums.push_back(&f);
            if (f.s->kind == md::step_kind::budget) budgets.push_back(&f);
            if (f.s->kind == md::step_kind::amount || f.s->kind == md::step_kind::budget) {
                money_clauses.push_back(&f);
            }
            if (f.s->kind == md::step_kind::currency && currencies == nullptr) currencies = &f;
        }

        for (const step_facts* cap : caps) {
            const step_facts* lowest = nullptr;
            for (const step_facts* b : budgets) {
                if (b->amount.unit != cap->amount.unit || b->amount.units >= cap_units(*cap)) {
                    continue;
                }
                if (lowest == nullptr || b->amount.units < lowest->amount.units) lowest = b;
            }
            if (lowest != nullptr) {
                add("L004", keyword(*cap),
                    "the cap of " + money_text(cap->amount) + " a charge is above the budget of " +
                        money_text(lowest->amount) + " " + lowest->window + " (line " +
                        std::to_string(lowest->s->line) + "): no charge over " +
                        money_text(lowest->amount) + " can pass");
            }
            if (cap_units(*cap) < 0 ||
                (cap->s->compare == ast::binary_op::less && cap->amount.units <= 0)) {
                add("L007", keyword(*cap),
                    "`amount " + std::string(ast::to_string(cap->s->compare)) + " " +
                        money_text(cap->amount) + "` is never true: charges are never negative");
            } else if (cap_units(*cap) == 0) {
                add("L007", keyword(*cap),
                    "`amount <= " + money_text(cap->amount) +
                        "` approves only charges of zero: nothing can be bought");
            }
        }

        validity_rules();

        for (const step_facts* minimum : minimums) {
            const minor_units least = minimum->s->compare == ast::binary_op::greater
                                          ? minimum->amount.units + 1
                                          : minimum->amount.units;
            for (const step_facts* other : money_clauses) {
                if (other == minimum || other->amount.unit != minimum->amount.unit) continue;
                const minor_units most = is_cap(*other->s) ? cap_units(*other)
                                         : other->s->kind == md::step_kind::budget
                                             ? other->amount.units
                                             : least;
                if (least > most) {
                    add("L007", keyword(*minimum),
                        "every charge must be at least " +
                            format_money({least, minimum->amount.unit}) +
                            ", but line " + std::to_string(other->s->line) + " allows at most " +
                            format_money({most, minimum->amount.unit}));
                    break;
                }
            }
        }

        // Money clauses in two currencies, or outside the allowed currencies.
        for (std::size_t i = 0; i < money_clauses.size(); ++i) {
            const step_facts& f = *money_clauses[i];
            if (currencies != nullptr && currencies->set != nullptr &&
                std::find(currencies->set->currencies.begin(), currencies->set->currencies.end(),
                          f.amount.unit) == currencies->set->currencies.end()) {
                add("L007", keyword(f),
                    "this clause is in " + std::string(f.amount.unit.code()) +
                        ", which the currency clause on line " +
                        std::to_string(currencies->s->line) +
                        " does not allow: money is never converted, so no charge passes both");
                continue;
            }
            if (i > 0 && money_clauses[0]->amount.unit != f.amount.unit) {
                add("L007", keyword(f),
                    "this clause is in " + std::string(f.amount.unit.code()) + " but line " +
                        std::to_string(money_clauses[0]->s->line) + " is in " +
                        std::string(money_clauses[0]->amount.unit.code()) +
                        ": money is never converted, so no charge passes both");
            }
        }

        for (const auto& f : facts_) {
            if (!f.known) continue;
            switch (f.s->kind) {
                case md::step_kind::seller:
                case md::step_kind::domain:
                case md::step_kind::category:
                case md::step_kind::country:
                case md::step_kind::currency:
                    if (f.set != nullptr && f.set->texts.empty() && f.set->integers.empty() &&
                        f.set->others.empty() && f.set->exact_domains.empty() &&
                        f.set->wildcard_suffixes.empty() && f.set->currencies.empty()) {
                        add("L007", keyword(f),
                            "the list of `" + authoring::detail::clause_label(*f.s) +
                                "` is empty: no charge is in it");
                    }
                    break;
                case md::step_kind::require:
                    if (f.constant == false) {
                        add("L007", keyword(f), "this condition is always false");
                    }
                    break;
                case md::step_kind::decline_when:
                    if (f.constant == true) {
                        add("L007", keyword(f), "this condition is always true");
                    }
                    break;
                case md::step_kind::budget:
                    if (options_.max_budget) {
                        if (options_.max_budget->unit != f.amount.unit) {
                            report_.unchecked.push_back(
                                file_ + ":" + std::to_string(f.s->line) + ": the budget is in " +
                                std::string(f.amount.unit.code()) + ", --max-budget in " +
                                std::string(options_.max_budget->unit.code()) +
                                "; they were not compared");
                        } else if (f.amount.units > options_.max_budget->units) {
                            add("L005", keyword(f),
                                "the budget of " + money_text(f.amount) + " " + f.window +
                                    " is above the maximum of " +
                                    money_text(*options_.max_budget));
                        }
                    }
                    break;
                default: break;
            }
            if (f.s->kind == md::step_kind::domain && f.set != nullptr) {
                std::vector<std::string_view> wide;
                for (const auto suffix : f.set->wildcard_suffixes) {
                    if (public_suffixes().is_public(suffix)) wide.push_back(suffix);
                }
                std::sort(wide.begin(), wide.end());
                for (const auto suffix : wide) {
                    const std::string pattern = "*." + std::string(suffix);
                    add("L006", element_location(f, pattern),
                        "\"" + pattern + "\" matches every domain under the public suffix ." +
                            std::string(suffix) + ", not one organisation");
                }
            }
        }
    }

    // Several `valid` clauses all hold only in the intersection of their windows:
    // from the latest `from` to the earliest `until`. When that is empty no charge
    // is ever valid (one clause alone cannot be empty: the checker refuses it).
    void validity_rules() {
        const step_facts* latest_from = nullptr;
        const step_facts* earliest_until = nullptr;
        for (const auto& f : facts_) {
            if (f.s->kind != md::step_kind::valid) continue;
            if (f.has_from && (latest_from == nullptr || f.from > latest_from->from)) {
                latest_from = &f;
            }
            if (f.has_until && (earliest_until == nullptr || f.until < earliest_until->until)) {
                earliest_until = &f;
            }
        }
        if (latest_from == nullptr || earliest_until == nullptr ||
            latest_from == earliest_until || latest_from->from < earliest_until->until) {
            return;
        }
        // Reported at the later of the two clauses, naming the earlier one.
        const bool from_later = latest_from->s->line > earliest_until->s->line ||
                                (latest_from->s->line == earliest_until->s->line &&
                                 latest_from->s->column > earliest_until->s->column);
        const step_facts& here = from_later ? *latest_from : *earliest_until;
        const step_facts& there = from_later ? *earliest_until : *latest_from;
        const std::string from_text = "`valid from " + format_rfc3339(latest_from->from) + "`";
        const std::string until_text =
            "`valid until " + format_rfc3339(earliest_until->until) + "`";
        add("L007", keyword(here),
            (from_later ? from_text : until_text) + " and " +
                (from_later ? until_text : from_text) + " on line " +
                std::to_string(there.s->line) +
                " leave no time when both hold: every charge is declined");
    }

    static bool subset(const md::value_set& a, const md::value_set& b) {
        for (const auto text : a.texts) {
            if (b.texts.count(text) == 0) return false;
        }
        for (const auto n : a.integers) {
            if (!std::binary_search(b.integers.begin(), b.integers.end(), n)) return false;
        }
        for (const auto c : a.currencies) {
            if (std::find(b.currencies.begin(), b.currencies.end(), c) == b.currencies.end()) {
                return false;
            }
        }
        return a.others.empty() && a.exact_domains.empty() && a.wildcard_suffixes.empty();
    }

    void repeat_rules() {
        std::set<const step_facts*> reported;
        for (std::size_t i = 0; i < facts_.size(); ++i) {
            for (std::size_t j = 0; j < i; ++j) {
                if (!facts_[i].key.empty() && facts_[i].key == facts_[j].key) {
                    add("L008", keyword(facts_[i]),
                        "this clause repeats line " + std::to_string(facts_[j].s->line));
                    reported.insert(&facts_[i]);
                    break;
                }
            }
        }
        for (std::size_t i = 0; i < facts_.size(); ++i) {
            const step_facts& loose = facts_[i];
            if (!loose.known || reported.count(&loose) != 0) continue;
            for (std::size_t j = 0; j < facts_.size(); ++j) {
                const step_facts& strict = facts_[j];
                if (i == j || !strict.known || reported.count(&strict) != 0) continue;
                const std::string why = shadows(strict, loose, j < i);
                if (!why.empty()) {
                    add("L009", keyword(loose), why);
                    reported.insert(&loose);
                    break;
                }
            }
        }
    }

    // Why `strict` makes `loose` redundant, or empty. Ties go to the earlier clause.
    std::string shadows(const step_facts& strict, const step_facts& loose, bool strict_first) {
        const md::step& a = *strict.s;
        const md::step& b = *loose.s;
        const std::string line = " (line " + std::to_string(a.line) + ")";
        const auto tighter = [&](auto x, auto y) { return x < y || (x == y && strict_first); };
        if (is_cap(a) && is_cap(b) && strict.amount.unit == loose.amount.unit &&
            tighter(cap_units(strict), cap_units(loose))) {
            return "this cap never decides: the cap of " + money_text(strict.amount) + line +
                   " is as low or lower";
        }
        if (a.kind == b.kind &&
            (a.kind == md::step_kind::budget || a.kind == md::step_kind::limit) &&
            (strict.window == loose.window || a.window == model::window_kind::total)) {
            const bool lower = a.kind == md::step_kind::budget
                                   ? strict.amount.unit == loose.amount.unit &&
                                         tighter(strict.amount.units, loose.amount.units)
                                   : tighter(strict.count, loose.count);
            if (lower) {
                const std::string what = a.kind == md::step_kind::budget
                                             ? money_text(strict.amount)
                                             : std::to_string(strict.count) + " charges";
                return "this " + authoring::detail::clause_label(b) +
                       " never decides: " + what + " " + strict.window + line +
                       " is as low or lower";
            }
        }
        if (a.kind == md::step_kind::valid && b.kind == md::step_kind::valid) {
            const bool until = !loose.has_from && loose.has_until && strict.has_until &&
                               tighter(strict.until, loose.until);
            const bool from = !loose.has_until && loose.has_from && strict.has_from &&
                              tighter(loose.from, strict.from);
            if (until || from) return "this validity never decides: line" + line.substr(6) +
                                      " is as narrow or narrower";
        }
        if (a.kind == b.kind && a.set != md::no_node && strict.set != nullptr &&
            loose.set != nullptr && a.kind != md::step_kind::domain &&
            subset(*strict.set, *loose.set) && (strict_first || !subset(*loose.set, *strict.set))) {
            return "this list never decides: every value allowed on line " +
                   std::to_string(a.line) + " is also in this one";
        }
        return {};
    }

    const md::mandate_program& program_;
    const model::mandate& checked_;
    const md::bound_image* bound_;
    std::string_view source_;
    const std::string& file_;
    const lint_options& options_;
    lint_report& report_;
    std::vector<step_facts> facts_;
    std::deque<md::value_list> scratch_;
};

// `# lint: allow L001, no-expiry`: the codes a comment allows.
std::vector<const lint_rule*> allowed_by(std::string_view comment) {
    std::vector<const lint_rule*> allowed;
    const auto at = comment.find("lint:");
    if (at == std::string_view::npos) return allowed;
    std::string_view rest = comment.substr(at + 5);
    while (!rest.empty() && rest.front() == ' ') rest.remove_prefix(1);
    if (!rest.starts_with("allow")) return allowed;
    rest.remove_prefix(5);
    std::string word;
    const auto flush = [&] {
        if (const lint_rule* r = find_lint_rule(word)) allowed.push_back(r);
        word.clear();
    };
    for (const char c : rest) {
        if (std::isalnum(static_cast<unsigned char>(c)) || c == '-') {
            word += c;
        } else {
            flush();
            if (c == ':') break;  // the reason follows
        }
    }
    flush();
    return allowed;
}

}  // namespace

std::span<const lint_rule> lint_rules() noexcept { return rules; }

std::optional<money> parse_money_text(std::string_view text) {
    const auto space = text.find(' ');
    if (space == std::string_view::npos) return std::nullopt;
    const auto unit = currency::find(text.substr(space + 1));
    if (!unit) return std::nullopt;
    minor_units units = 0;
    if (parse_amount(text.substr(0, space), *unit, units) != amount_error::none) {
        return std::nullopt;
    }
    return money{units, *unit};
}

const lint_rule* find_lint_rule(std::string_view code_or_name) noexcept {
    for (const auto& r : rules) {
        if (r.code == code_or_name || r.name == code_or_name) return &r;
    }
    return nullptr;
}

lint_report lint(std::string_view source, const std::string& file_name,
                 const lint_options& options) {
    lint_report report;
    compile_result compiled = compile(source, file_name);
    if (!compiled.ok()) {
        report.errors = std::move(compiled.diagnostics);
        return report;
    }
    grammar::parse_result parsed = grammar::parse(source, file_name);
    checker::check_result checked = checker::check(parsed.file, source);
    std::vector<authoring::detail::lex_token> tokens;
    std::string problem;
    authoring::detail::lex(source, tokens, problem);

    const md::policy_image& image = compiled.compiled->image();
    if (!options.mandate_name.empty() && image.find(options.mandate_name) == nullptr) {
        report.errors.push_back(grammar::make_diagnostic(
            source, file_name, {}, "no mandate named '" + options.mandate_name + "'"));
        return report;
    }
    for (std::size_t m = 0; m < checked.mandates.size() && m < image.mandates.size(); ++m) {
        const model::mandate& mandate = checked.mandates[m];
        const md::mandate_program& program = *image.mandates[m];
        if (!options.mandate_name.empty() && program.name != options.mandate_name) continue;

        // The mandate's lines: the comments right above it through its '}'.
        const ast::mandate_decl& decl = parsed.file.mandates[m];
        std::size_t first = 0;
        while (first < tokens.size() && tokens[first].offset < decl.where.offset) ++first;
        if (first > 0) --first;  // the `mandate` keyword
        std::size_t last = first;
        while (last < tokens.size() && tokens[last].text != "}") ++last;
        std::uint32_t top = tokens[first].line;
        for (std::size_t k = first; k-- > 0;) {
            if (tokens[k].kind != authoring::detail::token_kind::comment ||
                tokens[k].line + 1 < top || tokens[k + 1].newlines_before > 1) {
                break;
            }
            top = tokens[k].line;
        }
        const std::uint32_t bottom = last < tokens.size() ? tokens[last].line : 0xffffffffu;
        std::set<const lint_rule*> allowed;
        for (const auto& t : tokens) {
            if (t.kind != authoring::detail::token_kind::comment || t.line < top ||
                t.line > bottom) {
                continue;
            }
            for (const lint_rule* r : allowed_by(t.text)) allowed.insert(r);
        }

        // Each clause's tokens, for duplicates.
        std::vector<std::string> keys;
        for (std::size_t c = 0; c < decl.clauses.size(); ++c) {
            const std::uint32_t begin = decl.clauses[c].where.offset;
            const std::uint32_t end = c + 1 < decl.clauses.size()
                                          ? decl.clauses[c + 1].where.offset
                                          : (last < tokens.size() ? tokens[last].offset : 0);
            std::string key;
            for (const auto& t : tokens) {
                if (t.offset < begin || t.offset >= end ||
                    t.kind == authoring::detail::token_kind::comment) {
                    continue;
                }
                key += std::string(t.text) + " ";
            }
            keys.push_back(key);
        }

        // Bind with the caller's arguments, or with the defaults when they cover
        // every parameter.
        std::shared_ptr<const bound_mandate> bound;
        const bool all_defaults =
            std::all_of(program.parameters.begin(), program.parameters.end(),
                        [](const auto& p) { return p.default_value.has_value(); });
        if (!options.arguments.empty() || all_defaults) {
            bind_result b = mandate::bind(compiled.compiled, program.name,
                                 options.arguments.empty() ? "{}" : options.arguments);
            if (b.ok()) {
                bound = b.mandate;
            } else {
                for (const auto& error : b.errors) {
                    report.unchecked.push_back(file_name + ": mandate '" + program.name +
                                               "' could not be bound: " + error);
                }
            }
        }

        lint_report one;
        mandate_linter(program, mandate, bound ? &bound->image() : nullptr, source, file_name,
                       options, one)
            .run(keys);
        for (auto& finding : one.findings) {
            if (allowed.count(finding.rule) == 0) report.findings.push_back(std::move(finding));
        }
        for (auto& note : one.unchecked) report.unchecked.push_back(std::move(note));
    }
    std::stable_sort(report.findings.begin(), report.findings.end(),
                     [](const lint_finding& a, const lint_finding& b) {
                         return std::tie(a.where.line, a.where.column) <
                                std::tie(b.where.line, b.where.column);
                     });
    return report;
}

}  // namespace mandate::authoring
