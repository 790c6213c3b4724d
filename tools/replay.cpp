// replay: past charges decided again, in order, by a new or changed policy.
//
// Each charge goes through mandate::authorize against an in-memory budget state,
// as `mandate check` decides a file: approved charges count against the budgets
// of the ones after them. With an old policy, each charge is also decided by it
// against its own state, so the two histories diverge exactly as the two
// policies would have made them.

#include <nlohmann/json.hpp>

#include <algorithm>
#include <array>
#include <sstream>

#include "engine/program.hpp"
#include "mandate/json.hpp"
#include "mandate/testing_tools.hpp"

namespace mandate::tools {

namespace {

std::string decision_word(const decision& d) {
    return d.approved ? std::string("approve") : std::string(d.reason_name);
}

void count(decision_counts& counts, bool approved) {
    ++counts.charges;
    ++(approved ? counts.approved : counts.declined);
}

std::string utc_day(instant at) { return format_rfc3339(at).substr(0, 10); }

}  // namespace

struct replayer::state {
    budget_state current;
    std::unique_ptr<budget_state> old;
    charge_document document;
    std::string error;
    std::int64_t line = 0;
    std::vector<std::size_t> budget_windows;  // budget_series i is window budget_windows[i]

    state(const bound_mandate& mandate, const bound_mandate* old_mandate)
        : current(mandate),
          old(old_mandate != nullptr ? std::make_unique<budget_state>(*old_mandate) : nullptr) {}
};

replayer::replayer(std::shared_ptr<const bound_mandate> mandate,
                   std::shared_ptr<const bound_mandate> old_mandate)
    : mandate_(std::move(mandate)),
      old_(std::move(old_mandate)),
      state_(std::make_unique<state>(*mandate_, old_.get())) {
    result_.policy_file = mandate_->image().policy->file_name;
    result_.compared = old_ != nullptr;
    if (old_) result_.old_policy_file = old_->image().policy->file_name;
    const mandate_limits limits = limits_of(*mandate_);
    for (std::size_t i = 0; i < limits.windows.size(); ++i) {
        if (!limits.windows[i].is_budget) continue;
        state_->budget_windows.push_back(i);
        budget_series series;
        series.text = limits.windows[i].text;
        series.limit = limits.windows[i].amount;
        result_.budgets.push_back(std::move(series));
    }
}

replayer::~replayer() = default;

void replayer::add(std::string_view line) {
    state& s = *state_;
    ++s.line;
    const bool readable = decode_charge(line, s.document, s.error);
    // A line that does not decode is declined invalid_charge by both policies.
    decision d;
    decision old_d;
    const charge* request = nullptr;
    if (readable) {
        request = &s.document.view();
        d = authorize(*mandate_, s.current, *request);
        if (old_) old_d = authorize(*old_, *s.old, *request);
    } else {
        ++result_.unreadable;
    }

    count(result_.total, d.approved);
    if (!d.approved) ++result_.by_reason[std::string(d.reason_name)];
    const bool has_seller = request != nullptr && request->has(field_seller_id);
    const std::string seller = has_seller ? std::string(request->seller_id) : "(none)";
    count(result_.by_seller[seller], d.approved);
    const bool has_at = request != nullptr && request->has(field_at);
    count(result_.by_day[has_at ? utc_day(request->at) : "(no time)"], d.approved);

    if (d.approved) {
        const std::string code(request->amount.unit.code());
        auto [it, inserted] =
            result_.approved_spend.try_emplace(code, money{0, request->amount.unit});
        minor_units sum = 0;
        if (checked_add(it->second.units, request->amount.units, sum)) it->second.units = sum;
    }
    if (has_at) {
        for (std::size_t i = 0; i < s.budget_windows.size(); ++i) {
            const window_usage usage =
                usage_at(*mandate_, s.current, s.budget_windows[i], request->at);
            result_.budgets[i].points.push_back({request->at, usage.spent});
        }
    }

    if (!old_) return;
    count(result_.old_total, old_d.approved);
    const std::string before = decision_word(old_d);
    const std::string after = decision_word(d);
    if (before == after) return;
    if (old_d.approved) {
        ++result_.newly_declined;
    } else if (d.approved) {
        ++result_.newly_approved;
    } else {
        ++result_.reason_changed;
    }
    changed_charge change;
    change.line = s.line;
    change.old_decision = before;
    change.new_decision = after;
    if (request != nullptr) {
        if (request->has(field_id)) change.id = std::string(request->id);
        if (has_at) change.at = format_rfc3339(request->at);
        if (has_seller) change.seller = seller;
        change.amount = format_money(request->amount);
    }
    result_.changes.push_back(std::move(change));
}

namespace {

std::string pad(std::string text, std::size_t width) {
    if (text.size() < width) text.append(width - text.size(), ' ');
    return text;
}

std::string right(const std::string& text, std::size_t width) {
    return text.size() < width ? std::string(width - text.size(), ' ') + text : text;
}

void counts_table(std::ostringstream& out, const std::string& title,
                  const std::map<std::string, decision_counts>& rows) {
    std::size_t width = title.size();
    for (const auto& [key, counts] : rows) width = std::max(width, key.size());
    out << "  " << pad(title, width) << "  " << right("charges", 8) << "  " << right("approved", 8)
        << "  " << right("declined", 8) << "\n";
    for (const auto& [key, counts] : rows) {
        out << "  " << pad(key, width) << "  " << right(std::to_string(counts.charges), 8) << "  "
            << right(std::to_string(counts.approved), 8) << "  "
            << right(std::to_string(counts.declined), 8) << "\n";
    }
}

std::string decision_text(const std::string& word) {
    return word == "approve" ? word : "decline " + word;
}

// The changed charges, one a row. Each column is as wide as its longest entry
// among the rows shown, two spaces more, and never narrower than a usual entry
// (an id like ch_over_week, a seller like acct_officedepot), so that most tables
// line up alike.
void changes_table(std::ostringstream& out, const std::vector<changed_charge>& changes,
                   std::size_t max_changes) {
    const std::size_t shown = std::min(changes.size(), max_changes);
    std::vector<std::array<std::string, 6>> rows;
    rows.reserve(shown);
    for (std::size_t i = 0; i < shown; ++i) {
        const changed_charge& c = changes[i];
        rows.push_back({std::to_string(c.line), c.id, c.at, c.seller, c.amount,
                        decision_text(c.old_decision)});
    }
    std::array<std::size_t, 6> width{6, 14, 22, 18, 14, 26};
    for (const auto& row : rows) {
        for (std::size_t k = 0; k < row.size(); ++k) {
            width[k] = std::max(width[k], row[k].size() + 2);
        }
    }
    const std::array<std::string, 6> titles{"line", "id", "at", "seller", "amount", "old"};
    out << "\n  ";
    for (std::size_t k = 0; k < titles.size(); ++k) out << pad(titles[k], width[k]);
    out << "new\n";
    for (std::size_t i = 0; i < rows.size(); ++i) {
        out << "  ";
        for (std::size_t k = 0; k < rows[i].size(); ++k) out << pad(rows[i][k], width[k]);
        out << decision_text(changes[i].new_decision) << "\n";
    }
    if (changes.size() > shown) {
        out << "  ... and " << (changes.size() - shown)
            << " more (--max-changes, or --json for all)\n";
    }
}

nlohmann::ordered_json or_null(const std::string& text) {
    return text.empty() ? nlohmann::ordered_json() : nlohmann::ordered_json(text);
}

nlohmann::ordered_json counts_json(const decision_counts& counts) {
    return {
        {"charges", counts.charges}, {"approved", counts.approved}, {"declined", counts.declined}};
}

}  // namespace

std::string render_replay_text(const replay_result& r, std::size_t max_changes) {
    std::ostringstream out;
    out << "replayed " << r.total.charges << " charges through " << r.policy_file << "\n"
        << "  approved " << r.total.approved << ", declined " << r.total.declined;
    if (r.unreadable > 0) out << " (" << r.unreadable << " lines did not decode)";
    out << "\n";
    for (const auto& [code, spent] : r.approved_spend) {
        out << "  approved spend " << format_money(spent) << "\n";
    }
    if (!r.by_reason.empty()) {
        out << "\ndeclined by reason\n";
        std::vector<std::pair<std::string, std::int64_t>> reasons(r.by_reason.begin(),
                                                                  r.by_reason.end());
        std::stable_sort(reasons.begin(), reasons.end(),
                         [](const auto& a, const auto& b) { return a.second > b.second; });
        std::size_t width = 0;
        for (const auto& [code, n] : reasons) width = std::max(width, code.size());
        for (const auto& [code, n] : reasons) {
            out << "  " << pad(code, width) << "  " << right(std::to_string(n), 8) << "\n";
        }
    }
    out << "\nby seller\n";
    counts_table(out, "seller", r.by_seller);
    out << "\nby day (UTC)\n";
    counts_table(out, "day", r.by_day);
    if (!r.budgets.empty()) {
        out << "\nhighest spend in one window\n";
        for (const auto& b : r.budgets) {
            minor_units peak = 0;
            for (const auto& p : b.points) peak = std::max(peak, p.spent);
            out << "  " << b.text << ": " << format_money(money{peak, b.limit.unit}) << " of "
                << format_money(b.limit) << "\n";
        }
    }
    if (r.compared) {
        out << "\nagainst " << r.old_policy_file << " (approved " << r.old_total.approved
            << ", declined " << r.old_total.declined << ")\n"
            << "  " << r.newly_declined << " now declined, " << r.newly_approved
            << " now approved, " << r.reason_changed << " declined for another reason\n";
        if (!r.changes.empty()) changes_table(out, r.changes, max_changes);
    }
    return out.str();
}

std::string render_replay_json(const replay_result& r) {
    nlohmann::ordered_json json;
    json["policy"] = r.policy_file;
    json["total"] = counts_json(r.total);
    json["unreadable"] = r.unreadable;
    auto& spend = json["approved_spend"] = nlohmann::ordered_json::object();
    for (const auto& [code, spent] : r.approved_spend) {
        spend[code] = format_units(spent.units, spent.unit.exponent());
    }
    json["by_reason"] = r.by_reason;
    auto& sellers = json["by_seller"] = nlohmann::ordered_json::object();
    for (const auto& [seller, counts] : r.by_seller) sellers[seller] = counts_json(counts);
    auto& days = json["by_day"] = nlohmann::ordered_json::object();
    for (const auto& [day, counts] : r.by_day) days[day] = counts_json(counts);
    auto& budgets = json["budgets"] = nlohmann::ordered_json::array();
    for (const auto& b : r.budgets) {
        minor_units peak = 0;
        for (const auto& p : b.points) peak = std::max(peak, p.spent);
        budgets.push_back({{"clause", b.text},
                           {"budget", format_money(b.limit)},
                           {"highest_spend", format_money(money{peak, b.limit.unit})}});
    }
    if (r.compared) {
        nlohmann::ordered_json against;
        against["policy"] = r.old_policy_file;
        against["total"] = counts_json(r.old_total);
        against["newly_declined"] = r.newly_declined;
        against["newly_approved"] = r.newly_approved;
        against["reason_changed"] = r.reason_changed;
        auto& changes = against["changes"] = nlohmann::ordered_json::array();
        for (const auto& c : r.changes) {
            changes.push_back({{"line", c.line},
                               {"id", or_null(c.id)},
                               {"at", or_null(c.at)},
                               {"seller", or_null(c.seller)},
                               {"amount", c.amount},
                               {"old", c.old_decision},
                               {"new", c.new_decision}});
        }
        json["against"] = std::move(against);
    }
    return json.dump();
}

}  // namespace mandate::tools
