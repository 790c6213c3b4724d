// replay --report: one self-contained HTML page (inline CSS and SVG, no script,
// no external resource) with spend against each budget over time, declines per
// day, and the replay's tables. Coordinates are computed in integers from minor
// units and microseconds; nothing about money goes through floating point.

#include <algorithm>
#include <sstream>

#include "mandate/testing_tools.hpp"

namespace mandate::tools {

namespace {

constexpr std::int64_t chart_width = 720;
constexpr std::int64_t chart_height = 200;
constexpr std::int64_t margin_left = 90;
constexpr std::int64_t margin_top = 16;
constexpr std::int64_t margin_bottom = 34;
constexpr std::size_t max_points = 1000;  // per series; more are merged, keeping peaks
constexpr std::size_t max_change_rows = 5000;

std::string escape(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    for (const char c : text) {
        switch (c) {
            case '&':
                out += "&amp;";
                break;
            case '<':
                out += "&lt;";
                break;
            case '>':
                out += "&gt;";
                break;
            case '"':
                out += "&quot;";
                break;
            case '\'':
                out += "&#39;";
                break;
            default:
                out += c;
        }
    }
    return out;
}

std::string number(std::int64_t value) { return std::to_string(value); }

// The points to draw: at most max_points, each the highest spend of a run of
// consecutive points, so a peak that touched the budget is never smoothed away.
std::vector<budget_series::point> thin(const std::vector<budget_series::point>& points) {
    if (points.size() <= max_points) return points;
    std::vector<budget_series::point> kept;
    const std::size_t run = (points.size() + max_points - 1) / max_points;
    for (std::size_t start = 0; start < points.size(); start += run) {
        const auto end =
            points.begin() + static_cast<std::ptrdiff_t>(std::min(points.size(), start + run));
        kept.push_back(
            *std::max_element(points.begin() + static_cast<std::ptrdiff_t>(start), end,
                              [](const auto& a, const auto& b) { return a.spent < b.spent; }));
    }
    return kept;
}

void budget_chart(std::ostringstream& out, const budget_series& series, std::size_t index) {
    const auto points = thin(series.points);
    // The clause as written may name a parameter ("budget daily per day"): show
    // the amount it was bound to as well.
    out << "<section class=\"budget\">\n<h3>" << escape(series.text) << " <small>("
        << escape(format_money(series.limit)) << ")</small></h3>\n";
    if (points.empty()) {
        out << "<p class=\"empty\">No charge with a time: nothing to draw.</p>\n</section>\n";
        return;
    }
    const instant t0 = series.points.front().at;
    const instant t1 = std::max(series.points.back().at, t0 + duration{1});
    minor_units top = series.limit.units;
    for (const auto& p : points) top = std::max(top, p.spent);
    if (top <= 0) top = 1;

    const auto x_of = [&](instant at) {
        const minor_units offset = (at - t0).count();
        const minor_units span = (t1 - t0).count();
        return margin_left + static_cast<std::int64_t>(offset * chart_width / span);
    };
    const auto y_of = [&](minor_units spent) {
        return margin_top + chart_height - static_cast<std::int64_t>(spent * chart_height / top);
    };
    const std::int64_t width = margin_left + chart_width + 20;
    const std::int64_t height = margin_top + chart_height + margin_bottom;
    const std::int64_t bottom = margin_top + chart_height;

    out << "<svg class=\"budget-chart\" id=\"budget-" << index << "\" width=\"" << width
        << "\" height=\"" << height << "\" viewBox=\"0 0 " << width << " " << height
        << "\" role=\"img\" aria-label=\"" << escape(series.text) << "\">\n"
        << "<rect class=\"plot\" x=\"" << margin_left << "\" y=\"" << margin_top << "\" width=\""
        << chart_width << "\" height=\"" << chart_height << "\"/>\n";
    const std::int64_t limit_y = y_of(series.limit.units);
    out << "<line class=\"limit\" x1=\"" << margin_left << "\" x2=\"" << margin_left + chart_width
        << "\" y1=\"" << limit_y << "\" y2=\"" << limit_y << "\"><title>budget "
        << escape(format_money(series.limit)) << "</title></line>\n"
        << "<text class=\"axis\" x=\"" << margin_left - 6 << "\" y=\"" << limit_y + 4
        << "\" text-anchor=\"end\">" << escape(format_money(series.limit)) << "</text>\n"
        << "<text class=\"axis\" x=\"" << margin_left - 6 << "\" y=\"" << bottom
        << "\" text-anchor=\"end\">0</text>\n";

    // A step line: spending holds its value until the next charge changes it.
    out << "<polyline class=\"spend\" points=\"";
    for (std::size_t i = 0; i < points.size(); ++i) {
        const std::int64_t x = x_of(points[i].at);
        if (i > 0) out << " " << x << "," << y_of(points[i - 1].spent);
        out << (i == 0 ? "" : " ") << x << "," << y_of(points[i].spent);
    }
    out << "\"/>\n";
    // A dot where the window came within the budget's last tenth: where declines begin.
    for (const auto& p : points) {
        if (p.spent * 10 < series.limit.units * 9) continue;
        out << "<circle class=\"near\" cx=\"" << x_of(p.at) << "\" cy=\"" << y_of(p.spent)
            << "\" r=\"3\"><title>" << escape(format_rfc3339(p.at)) << ": "
            << escape(format_money(money{p.spent, series.limit.unit})) << "</title></circle>\n";
    }
    out << "<text class=\"axis\" x=\"" << margin_left << "\" y=\"" << bottom + 18 << "\">"
        << escape(format_rfc3339(t0)) << "</text>\n"
        << "<text class=\"axis\" x=\"" << margin_left + chart_width << "\" y=\"" << bottom + 18
        << "\" text-anchor=\"end\">" << escape(format_rfc3339(t1)) << "</text>\n"
        << "</svg>\n</section>\n";
}

void daily_chart(std::ostringstream& out, const std::map<std::string, decision_counts>& days) {
    std::vector<std::pair<std::string, decision_counts>> rows;
    for (const auto& row : days) {
        if (row.first != "(no time)") rows.push_back(row);
    }
    if (rows.empty()) return;
    std::int64_t most = 1;
    for (const auto& [day, counts] : rows) most = std::max(most, counts.charges);
    const auto n = static_cast<std::int64_t>(rows.size());
    const std::int64_t slot = std::max<std::int64_t>(chart_width / n, 1);
    const std::int64_t bar = std::max<std::int64_t>(slot * 3 / 4, 1);
    const std::int64_t width = margin_left + std::max(chart_width, slot * n) + 20;
    const std::int64_t height = margin_top + chart_height + margin_bottom;
    const std::int64_t bottom = margin_top + chart_height;
    out << "<svg class=\"daily-chart\" width=\"" << width << "\" height=\"" << height
        << "\" viewBox=\"0 0 " << width << " " << height
        << "\" role=\"img\" aria-label=\"charges per day\">\n"
        << "<text class=\"axis\" x=\"" << margin_left - 6 << "\" y=\"" << margin_top + 4
        << "\" text-anchor=\"end\">" << most << "</text>\n"
        << "<text class=\"axis\" x=\"" << margin_left - 6 << "\" y=\"" << bottom
        << "\" text-anchor=\"end\">0</text>\n";
    for (std::int64_t i = 0; i < n; ++i) {
        const auto& [day, counts] = rows[static_cast<std::size_t>(i)];
        const std::int64_t x = margin_left + i * slot;
        const std::int64_t approved_h = counts.approved * chart_height / most;
        const std::int64_t declined_h = counts.declined * chart_height / most;
        const std::string title = escape(day) + ": " + number(counts.approved) + " approved, " +
                                  number(counts.declined) + " declined";
        out << "<rect class=\"approved\" x=\"" << x << "\" y=\"" << bottom - approved_h
            << "\" width=\"" << bar << "\" height=\"" << approved_h << "\"><title>" << title
            << "</title></rect>\n"
            << "<rect class=\"declined\" x=\"" << x << "\" y=\"" << bottom - approved_h - declined_h
            << "\" width=\"" << bar << "\" height=\"" << declined_h << "\"><title>" << title
            << "</title></rect>\n";
    }
    out << "<text class=\"axis\" x=\"" << margin_left << "\" y=\"" << bottom + 18 << "\">"
        << escape(rows.front().first) << "</text>\n"
        << "<text class=\"axis\" x=\"" << margin_left + slot * (n - 1) + bar << "\" y=\""
        << bottom + 18 << "\" text-anchor=\"end\">" << escape(rows.back().first) << "</text>\n"
        << "</svg>\n";
}

void counts_table(std::ostringstream& out, const std::string& id, const std::string& title,
                  const std::map<std::string, decision_counts>& rows) {
    out << "<table id=\"" << id << "\">\n<thead><tr><th>" << escape(title)
        << "</th><th>charges</th><th>approved</th><th>declined</th></tr></thead>\n<tbody>\n";
    for (const auto& [key, counts] : rows) {
        out << "<tr><td>" << escape(key) << "</td><td>" << counts.charges << "</td><td>"
            << counts.approved << "</td><td>" << counts.declined << "</td></tr>\n";
    }
    out << "</tbody>\n</table>\n";
}

constexpr const char* style = R"(
body { font: 14px/1.45 system-ui, sans-serif; margin: 2em auto; max-width: 900px;
       color: #1d2330; background: #ffffff; }
h1 { font-size: 1.4em; } h2 { font-size: 1.15em; margin-top: 2em; } h3 { font-size: 1em; }
table { border-collapse: collapse; margin: 0.5em 0 1em; }
th, td { border-bottom: 1px solid #d8dce4; padding: 3px 12px; text-align: right; }
th:first-child, td:first-child { text-align: left; }
th { background: #eef1f6; }
.figures { display: flex; gap: 2em; }
.figure b { display: block; font-size: 1.6em; }
.declined-figure b { color: #b3261e; }
svg .plot { fill: #f6f8fb; stroke: #c9cfda; }
svg .spend { fill: none; stroke: #1f6feb; stroke-width: 2; }
svg .limit { stroke: #b3261e; stroke-width: 1.5; stroke-dasharray: 6 4; }
svg .near { fill: #b3261e; }
svg .approved { fill: #2e9d5b; }
svg .declined { fill: #b3261e; }
svg .axis { font-size: 11px; fill: #58606e; }
.legend span { display: inline-block; width: 12px; height: 12px; margin: 0 4px 0 12px;
               vertical-align: middle; }
)";

}  // namespace

std::string render_replay_html(const replay_result& r) {
    std::ostringstream out;
    out << "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
        << "<title>Replay of " << escape(r.policy_file) << "</title>\n<style>" << style
        << "</style>\n</head>\n<body>\n"
        << "<h1>Replay of <code>" << escape(r.policy_file) << "</code></h1>\n"
        << "<div class=\"figures\">\n"
        << "<div class=\"figure\" id=\"total\"><b>" << r.total.charges << "</b>charges</div>\n"
        << "<div class=\"figure\" id=\"approved\"><b>" << r.total.approved << "</b>approved</div>\n"
        << "<div class=\"figure declined-figure\" id=\"declined\"><b>" << r.total.declined
        << "</b>declined</div>\n";
    for (const auto& [code, spent] : r.approved_spend) {
        out << "<div class=\"figure\"><b>" << escape(format_money(spent))
            << "</b>approved spend</div>\n";
    }
    out << "</div>\n";
    if (r.unreadable > 0) {
        out << "<p>" << r.unreadable
            << " lines did not decode and were declined <code>invalid_charge</code>.</p>\n";
    }

    out << "<h2>Spend against each budget</h2>\n"
        << "<p class=\"legend\"><span style=\"background:#1f6feb\"></span>spent in the window "
           "after each charge<span style=\"background:#b3261e\"></span>the budget</p>\n";
    if (r.budgets.empty()) out << "<p>The mandate has no budget.</p>\n";
    for (std::size_t i = 0; i < r.budgets.size(); ++i) budget_chart(out, r.budgets[i], i);

    out << "<h2>Charges per day (UTC)</h2>\n"
        << "<p class=\"legend\"><span style=\"background:#2e9d5b\"></span>approved"
           "<span style=\"background:#b3261e\"></span>declined</p>\n";
    daily_chart(out, r.by_day);
    counts_table(out, "by-day", "day", r.by_day);

    out << "<h2>Declined by reason</h2>\n<table id=\"by-reason\">\n<thead><tr><th>reason</th>"
           "<th>charges</th></tr></thead>\n<tbody>\n";
    for (const auto& [code, n] : r.by_reason) {
        out << "<tr><td><code>" << escape(code) << "</code></td><td>" << n << "</td></tr>\n";
    }
    out << "</tbody>\n</table>\n<h2>By seller</h2>\n";
    counts_table(out, "by-seller", "seller", r.by_seller);

    if (r.compared) {
        out << "<h2>Against <code>" << escape(r.old_policy_file) << "</code></h2>\n"
            << "<p>The old policy approved " << r.old_total.approved << " and declined "
            << r.old_total.declined << ". With the new one, " << r.newly_declined
            << " charges are now declined, " << r.newly_approved << " now approved and "
            << r.reason_changed << " declined for another reason.</p>\n"
            << "<table id=\"changes\">\n<thead><tr><th>line</th><th>id</th><th>at</th>"
               "<th>seller</th><th>amount</th><th>old</th><th>new</th></tr></thead>\n<tbody>\n";
        std::size_t shown = 0;
        for (const auto& c : r.changes) {
            if (shown++ == max_change_rows) break;
            out << "<tr><td>" << c.line << "</td><td>" << escape(c.id) << "</td><td>"
                << escape(c.at) << "</td><td>" << escape(c.seller) << "</td><td>"
                << escape(c.amount) << "</td><td>" << escape(c.old_decision) << "</td><td>"
                << escape(c.new_decision) << "</td></tr>\n";
        }
        out << "</tbody>\n</table>\n";
        if (r.changes.size() > max_change_rows) {
            out << "<p>" << r.changes.size() - max_change_rows
                << " more changes are not shown; <code>replay --json</code> lists them all.</p>\n";
        }
    }
    out << "</body>\n</html>\n";
    return out.str();
}

}  // namespace mandate::tools
