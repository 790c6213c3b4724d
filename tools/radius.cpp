// mandate radius: the most money a bound mandate lets leave, and which clause
// holds it there.
//
// Every budget and count limit gives an upper bound on what the horizon can
// pass; the least of them is the blast radius. Calendar windows count the
// periods the horizon touches (a 3-day horizon from Sunday to Tuesday touches two
// weeks), rolling windows the window lengths needed to cover it; both are counted
// exactly, however many there are. Money is in minor units, multiplied with
// overflow checks: a bound too large to hold is reported as such, never wrapped.

#include <algorithm>
#include <nlohmann/json.hpp>

#include "engine/program.hpp"
#include "mandate/authoring.hpp"
#include "tools/describe.hpp"

namespace mandate::authoring {

namespace {

namespace md = mandate::detail;
using authoring::detail::clause_position;
using authoring::detail::window_label;

// Charges carry RFC 3339 times, whose years have four digits: none is dated at or
// after the start of the year 10000, so no horizon needs to reach further. Ending
// it there also keeps every instant, length and calendar year below in range.
instant end_of_charges() {
    return instant(std::chrono::duration_cast<duration>(
        date::sys_days{date::year{10000} / 1 / 1}.time_since_epoch()));
}

// The local day the calendar period of `unit` holding local day `day` begins on,
// as calendar_period (engine/time.cpp) computes it.
date::local_days period_first(date::local_days day, calendar_unit unit, date::weekday week_start) {
    const date::year_month_day civil{day};
    switch (unit) {
        case calendar_unit::day: return day;
        case calendar_unit::week: return day - (date::weekday{day} - week_start);
        case calendar_unit::month: return date::local_days{civil.year() / civil.month() / 1};
        case calendar_unit::year: return date::local_days{civil.year() / 1 / 1};
    }
    return day;
}

// The local day the period after the one beginning on `first` begins on.
date::local_days next_first(date::local_days first, calendar_unit unit) {
    const date::year_month_day civil{first};
    switch (unit) {
        case calendar_unit::day: return first + date::days{1};
        case calendar_unit::week: return first + date::weeks{1};
        case calendar_unit::month:
            return date::local_days{(civil.year() / civil.month() + date::months{1}) / 1};
        case calendar_unit::year: return date::local_days{(civil.year() + date::years{1}) / 1 / 1};
    }
    return first + date::days{1};
}

// The periods from the one beginning on `first` to the one beginning on `last`,
// both counted.
std::int64_t periods_between(date::local_days first, date::local_days last, calendar_unit unit) {
    const date::year_month_day a{first};
    const date::year_month_day b{last};
    const std::int64_t years = int{b.year()} - int{a.year()};
    switch (unit) {
        case calendar_unit::day: return (last - first).count() + 1;
        case calendar_unit::week: return (last - first).count() / 7 + 1;
        case calendar_unit::month:
            return years * 12 + (std::int64_t{unsigned{b.month()}} - unsigned{a.month()}) + 1;
        case calendar_unit::year: return years + 1;
    }
    return (last - first).count() + 1;
}

// How many windows of step `s` the horizon [start, end) touches, counted exactly
// without walking them; nullopt when there is no end. `end` is after `start` and
// not after end_of_charges().
std::optional<std::int64_t> windows_touched(const md::step& s, const md::resolved_step& r,
                                            instant start, std::optional<instant> end) {
    switch (s.window) {
        case model::window_kind::total: return 1;
        case model::window_kind::rolling: {
            if (!end) return std::nullopt;
            // Charges in any half-open stretch of one window length all fall into
            // one window (t - D, t], so ceil(length / D) windows cover the horizon.
            const auto length = (*end - start).count();
            const auto window = r.length.count();
            if (window <= 0) return std::nullopt;
            return length / window + (length % window != 0 ? 1 : 0);
        }
        case model::window_kind::calendar: {
            if (!end) return std::nullopt;
            // Periods are told apart by the local day they begin on, so the count is
            // the distance from the period of the first instant to that of the last.
            const auto local_day = [&](instant at) {
                return date::floor<date::days>(r.zone->to_local(at));
            };
            const date::local_days first = period_first(local_day(start), s.unit, s.week_start);
            date::local_days last =
                period_first(local_day(*end - duration{1}), s.unit, s.week_start);
            // A clock set back across midnight (00:00 to 23:00, as in Beirut) brings the
            // local day back: the horizon may end in the repeated hour after already
            // reaching the next day. Count every period that begins before the end.
            while (r.zone->to_sys(next_first(last, s.unit), date::choose::earliest) < *end) {
                last = next_first(last, s.unit);
            }
            // A local day a zone skipped altogether (Samoa, 30 December 2011) is still
            // counted: one period more than any charge can use, never one less.
            return periods_between(first, last, s.unit);
        }
    }
    return std::nullopt;
}

std::string count_text(std::int64_t n, const md::step& s) {
    if (s.window == model::window_kind::rolling) {
        return std::to_string(n) + (n == 1 ? " window" : " windows");
    }
    return std::to_string(n) + " " + std::string(to_string(s.unit)) + (n == 1 ? "" : "s") +
           " touched";
}

}  // namespace

radius_report blast_radius(const bound_mandate& mandate, const radius_options& options) {
    const md::bound_image& bound = mandate.image();
    const md::mandate_program& program = *bound.program;
    radius_report report;
    report.mandate = program.name;
    report.file = bound.policy->file_name;
    const auto where = [&](const md::step& s) { return clause_position(report.file, s); };

    // Validity: the intersection of every `valid` clause.
    instant valid_from = instant::min();
    instant valid_until = instant::max();
    const md::step* until_step = nullptr;
    for (std::size_t i = 0; i < program.steps.size(); ++i) {
        if (program.steps[i].kind != md::step_kind::valid) continue;
        valid_from = std::max(valid_from, bound.steps[i].from);
        if (bound.steps[i].until < valid_until) {
            valid_until = bound.steps[i].until;
            until_step = &program.steps[i];
        }
    }
    instant start = options.from ? *options.from
                                 : (valid_from != instant::min() ? valid_from : options.now);
    start = std::max(start, valid_from);
    std::optional<instant> end;
    if (valid_until != instant::max()) end = valid_until;
    if (options.over) {
        // Compared before adding, so that a long --over cannot overflow the clock.
        const instant over_end =
            *options.over >= end_of_charges() - start ? end_of_charges() : start + *options.over;
        if (!end || over_end < *end) end = over_end;
    }
    bool clamped = false;
    if (end && *end >= end_of_charges()) {
        end = end_of_charges();
        clamped = true;
    }
    report.horizon_start = start;
    report.horizon_end = end;
    if (until_step != nullptr && end == valid_until) {
        report.notes.push_back("the horizon ends when the mandate expires (" + where(*until_step) +
                               ")");
    }
    if (clamped) {
        report.notes.push_back("the horizon ends at " + format_rfc3339(end_of_charges()) +
                               ": no charge can be dated later (times have four-digit years)");
    }

    // The currency every money clause shares, and the per-charge cap.
    std::optional<currency> unit;
    bool mixed = false;
    std::optional<minor_units> cap;
    const md::step* cap_step = nullptr;
    for (std::size_t i = 0; i < program.steps.size(); ++i) {
        const md::step& s = program.steps[i];
        if (s.kind != md::step_kind::amount && s.kind != md::step_kind::budget) continue;
        const money& amount = bound.steps[i].amount;
        if (unit && *unit != amount.unit) mixed = true;
        if (!unit) unit = amount.unit;
        if (s.kind == md::step_kind::amount &&
            (s.compare == ast::binary_op::less_equal || s.compare == ast::binary_op::less)) {
            const minor_units most =
                s.compare == ast::binary_op::less ? amount.units - 1 : amount.units;
            if (!cap || most < *cap) {
                cap = std::max<minor_units>(most, 0);
                cap_step = &s;
            }
        }
    }
    if (mixed) {
        report.never_approves = true;
        report.notes.push_back(
            "the mandate's amounts and budgets are in different currencies: money is never "
            "converted, so no charge can pass them all");
    }
    if (end && *end <= start) {
        report.never_approves = true;
        report.notes.push_back("the horizon is empty: the mandate is not valid in it");
    }
    if (report.never_approves) {
        report.total = money{0, unit.value_or(currency{})};
        report.binding_explanation = "nothing can be approved";
        return report;
    }
    if (!unit) {
        report.notes.push_back(
            "no `amount <=` cap and no budget: charges of any amount, in any currency the "
            "mandate accepts, are approved");
    }

    // One term per budget and count limit, and one for the cap alone.
    const auto add_term = [&](const md::step& s, std::string explanation,
                              std::optional<minor_units> units, bool too_large) {
        radius_term term;
        term.clause = where(s);
        term.line = s.line;
        term.explanation = std::move(explanation);
        if (units && unit) term.amount = money{*units, *unit};
        term.exceeds_representable = too_large;
        report.terms.push_back(std::move(term));
    };
    for (std::size_t i = 0; i < program.steps.size(); ++i) {
        const md::step& s = program.steps[i];
        const md::resolved_step& r = bound.steps[i];
        if (s.kind != md::step_kind::budget && s.kind != md::step_kind::limit) continue;
        const std::string window = window_label(s, &r);
        const auto touched = windows_touched(s, r, start, end);
        std::string explanation;
        std::optional<minor_units> units;
        minor_units per_window = 0;
        bool window_bounded = true;
        bool per_window_fits = true;
        if (s.kind == md::step_kind::budget) {
            per_window = r.amount.units;
            explanation = "budget " + format_money(r.amount) + " " + window;
        } else {
            explanation = "limit " + std::to_string(r.count) + " charges " + window;
            if (cap && unit) {
                per_window_fits = checked_mul(*cap, r.count, per_window);
                explanation += " x cap " + format_money({*cap, *unit});
            } else {
                window_bounded = false;
                explanation += ", with no per-charge cap";
            }
        }
        // A finite bound that is more than minor_units can hold is said as such:
        // never wrapped, and never called unbounded.
        bool too_large = false;
        if (window_bounded && touched) {
            minor_units product = 0;
            if (per_window_fits && checked_mul(per_window, *touched, product)) {
                units = product;
            } else {
                too_large = true;
            }
            if (s.window != model::window_kind::total) {
                explanation += " x " + count_text(*touched, s);
            }
        } else if (window_bounded) {
            explanation += ", with no end to the horizon";
        }
        add_term(s, explanation, units, too_large);

        if (s.window != model::window_kind::total) {
            radius_window w;
            w.clause = where(s);
            w.line = s.line;
            w.window = window;
            if (window_bounded && unit) {
                if (per_window_fits) w.amount = money{per_window, *unit};
                w.exceeds_representable = !per_window_fits;
            }
            report.windows.push_back(std::move(w));
        }
    }
    if (cap_step != nullptr && unit) {
        add_term(*cap_step,
                 "cap " + format_money({*cap, *unit}) + " a charge, with no limit on how many",
                 std::nullopt, false);
    }

    // The least bound wins; a window is also never more than the total.
    for (const auto& term : report.terms) {
        if (!term.amount) continue;
        if (!report.total || term.amount->units < report.total->units) {
            report.total = term.amount;
            report.binding_clause = term.clause;
            report.binding_explanation = term.explanation;
        }
    }
    for (auto& w : report.windows) {
        if (report.total && (!w.amount || report.total->units < w.amount->units)) {
            w.amount = report.total;
            w.exceeds_representable = false;
        }
    }
    if (!report.total) {
        for (const auto& term : report.terms) {
            if (!term.exceeds_representable) continue;
            report.exceeds_representable = true;
            report.binding_clause = term.clause;
            report.binding_explanation = term.explanation;
            break;
        }
    }
    if (!report.total && !report.exceeds_representable) {
        report.notes.push_back(
            "UNBOUNDED: nothing limits the total; add a lifetime budget (`budget X total`), "
            "a `valid until` with a periodic budget, or a count limit with an `amount <=` cap");
    }
    bool conditions = false;
    for (const auto& s : program.steps) {
        conditions = conditions || s.kind == md::step_kind::require ||
                     s.kind == md::step_kind::decline_when;
    }
    if (conditions) {
        report.notes.push_back(
            "`require` and `decline ... when` conditions are not counted; they can only "
            "lower the figure");
    }
    report.notes.push_back(
        "a token under a grant is also held to the grant's budgets, which may be lower");
    return report;
}

namespace {

std::string money_or(const std::optional<money>& amount, const char* otherwise) {
    return amount ? format_money(*amount) : otherwise;
}

constexpr const char* too_large_text = "exceeds the largest representable amount";

// A term's or a window's amount: the money, too large to hold, or unbounded.
std::string bound_text(const std::optional<money>& amount, bool too_large,
                       const std::string& red, const std::string& reset) {
    if (amount) return format_money(*amount);
    return too_large ? std::string(too_large_text) : red + "unbounded" + reset;
}

}  // namespace

std::string radius_text(const radius_report& report, bool color) {
    const std::string red = color ? "\x1b[1;31m" : "";
    const std::string bold = color ? "\x1b[1m" : "";
    const std::string reset = color ? "\x1b[0m" : "";
    std::string text = "mandate " + report.mandate + " (" + report.file + ")\n";
    text += "horizon: " +
            (report.horizon_start ? format_rfc3339(*report.horizon_start) : std::string("?")) +
            " to " +
            (report.horizon_end ? format_rfc3339(*report.horizon_end) : std::string("no end")) +
            "\n";
    if (report.never_approves) {
        text += "blast radius: " + bold + money_or(report.total, "0") + reset +
                " (nothing can be approved)\n";
    } else if (report.total) {
        text += "blast radius: " + bold + format_money(*report.total) + reset + ", bound by " +
                report.binding_clause + " (" + report.binding_explanation + ")\n";
    } else if (report.exceeds_representable) {
        text += "blast radius: " + bold + too_large_text + reset + ", bound by " +
                report.binding_clause + " (" + report.binding_explanation + ")\n";
    } else {
        text += "blast radius: " + red + "UNBOUNDED" + reset + "\n";
    }
    if (!report.terms.empty()) {
        text += "clauses:\n";
        for (const auto& term : report.terms) {
            text += "  " + term.clause + ": " + term.explanation + " = " +
                    bound_text(term.amount, term.exceeds_representable, red, reset) + "\n";
        }
    }
    if (!report.windows.empty()) {
        text += "per window:\n";
        for (const auto& w : report.windows) {
            text += "  " + w.clause + ": " +
                    (w.exceeds_representable
                         ? std::string(too_large_text)
                         : "at most " + bound_text(w.amount, false, red, reset)) +
                    " " + w.window + "\n";
        }
    }
    for (const auto& note : report.notes) {
        const bool alarm = note.starts_with("UNBOUNDED");
        text += "note: " + (alarm ? red : std::string()) + note + (alarm ? reset : "") + "\n";
    }
    return text;
}

std::string radius_json(const radius_report& report) {
    using nlohmann::json;
    const auto amount = [](const std::optional<money>& m) -> json {
        if (!m) return nullptr;
        return json{{"amount", format_units(m->units, m->unit.exponent())},
                    {"currency", std::string(m->unit.code())},
                    {"minor_units", to_string(m->units)}};
    };
    json out;
    out["mandate"] = report.mandate;
    out["file"] = report.file;
    out["bounded"] = report.total.has_value() || report.exceeds_representable;
    out["exceeds_representable"] = report.exceeds_representable;
    out["never_approves"] = report.never_approves;
    out["total"] = amount(report.total);
    out["binding"] =
        (report.total || report.exceeds_representable) && !report.binding_clause.empty()
            ? json{{"clause", report.binding_clause}, {"explanation", report.binding_explanation}}
            : json(nullptr);
    out["horizon"] = {
        {"from", report.horizon_start ? json(format_rfc3339(*report.horizon_start)) : json()},
        {"until", report.horizon_end ? json(format_rfc3339(*report.horizon_end)) : json()}};
    out["terms"] = json::array();
    for (const auto& t : report.terms) {
        out["terms"].push_back({{"clause", t.clause},
                                {"explanation", t.explanation},
                                {"bound", amount(t.amount)},
                                {"exceeds_representable", t.exceeds_representable}});
    }
    out["windows"] = json::array();
    for (const auto& w : report.windows) {
        out["windows"].push_back({{"clause", w.clause},
                                  {"window", w.window},
                                  {"at_most", amount(w.amount)},
                                  {"exceeds_representable", w.exceeds_representable}});
    }
    out["notes"] = report.notes;
    return out.dump();
}

}  // namespace mandate::authoring
