// explain: every clause of a mandate evaluated for one charge.
//
// Each clause is judged by the engine itself: a copy of the bound mandate whose
// program holds that one step is handed to mandate::decide. Steps do not depend
// on each other (decide walks them in order and stops at the first that fails),
// so the first clause that fails alone is the clause that declines the whole
// mandate, and the values compared come from the same decision the engine makes.

#include <nlohmann/json.hpp>

#include <algorithm>
#include <memory>
#include <optional>
#include <sstream>

#include "engine/program.hpp"
#include "mandate/json.hpp"
#include "mandate/testing_tools.hpp"
#include "tools/explain_support.hpp"

namespace mandate::tools {

namespace {

using detail::step_kind;

std::string_view kind_name(step_kind kind) noexcept {
    switch (kind) {
        case step_kind::seller:
            return "seller";
        case step_kind::domain:
            return "domain";
        case step_kind::currency:
            return "currency";
        case step_kind::amount:
            return "amount";
        case step_kind::category:
            return "category";
        case step_kind::country:
            return "country";
        case step_kind::valid:
            return "valid";
        case step_kind::budget:
            return "budget";
        case step_kind::limit:
            return "limit";
        case step_kind::require:
            return "require";
        case step_kind::decline_when:
            return "decline";
    }
    return "clause";
}

// Runs decide on one step at a time: a copy of the bound mandate whose program
// holds only that step. The copy shares everything else (arguments, sets,
// strings) with the original, which must outlive it.
class step_probe {
public:
    explicit step_probe(const bound_mandate& mandate)
        : original_(mandate.image()),
          program_(std::make_shared<detail::mandate_program>(*original_.program)),
          image_(std::make_shared<detail::bound_image>(original_)) {
        image_->program = program_.get();
    }

    std::size_t size() const noexcept { return original_.program->steps.size(); }
    const detail::step& step(std::size_t i) const { return original_.program->steps[i]; }
    const detail::resolved_step& resolved(std::size_t i) const { return original_.steps[i]; }

    // The checks decide makes before any clause: a program with no steps.
    decision before_clauses(const budget_state& state, const charge& request) {
        program_->steps.clear();
        image_->steps.clear();
        narrow_checks(*image_, original_, std::nullopt);
        return run(state, request);
    }

    decision only(std::size_t i, const budget_state& state, const charge& request) {
        program_->steps.assign(1, original_.program->steps[i]);
        image_->steps.assign(1, original_.steps[i]);
        narrow_checks(*image_, original_, i);
        return run(state, request);
    }

private:
    // A bound image may carry, beside its steps, a per-step array the engine
    // decides from when its size matches the steps (bind's specialised checks).
    // Keep it in step with the one step probed, so the probe runs the same code
    // as the whole mandate does; images without one are left alone.
    template <typename Image>
    static void narrow_checks(Image& image, const Image& original, std::optional<std::size_t> i) {
        if constexpr (requires { image.checks.assign(1, original.checks[0]); }) {
            const bool aligned = original.checks.size() == original.steps.size();
            if (i && aligned) {
                image.checks.assign(1, original.checks[*i]);
            } else {
                // No step (matches no checks), or no specialised checks to use.
                image.checks.clear();
            }
        }
    }

    decision run(const budget_state& state, const charge& request) {
        const bound_mandate single(image_);
        return decide(single, state, request);
    }

    const detail::bound_image& original_;
    std::shared_ptr<detail::mandate_program> program_;
    std::shared_ptr<detail::bound_image> image_;
};

// What a clause reads from the charge, in words, or "" when the charge lacks it
// (the clause's decline then says so).
std::string compared_value(step_kind kind, const charge& request) {
    switch (kind) {
        case step_kind::seller:
            return request.has(field_seller_id) ? "charge seller " + std::string(request.seller_id)
                                                : "";
        case step_kind::domain:
            return request.has(field_seller_domain)
                       ? "charge domain " + std::string(request.seller_domain)
                       : "";
        case step_kind::currency:
            return "charge " + std::string(request.amount.unit.code());
        case step_kind::amount:
            return "charge " + format_money(request.amount);
        case step_kind::category:
            return request.has(field_seller_category)
                       ? "charge category " + std::to_string(request.seller_category)
                       : "";
        case step_kind::country:
            return request.has(field_seller_country)
                       ? "charge country " + std::string(request.seller_country)
                       : "";
        case step_kind::valid:
            return request.has(field_at) ? "charge at " + format_rfc3339(request.at) : "";
        default:
            return "";
    }
}

window_report window_of(const bound_mandate& mandate, const budget_state& state,
                        const mandate_limits& limits, const detail::step& s,
                        const detail::resolved_step& r, const charge& request) {
    const window_limit& w = limits.windows[s.window_index];
    const window_usage usage = usage_at(mandate, state, s.window_index, request.at);
    window_report report;
    report.is_budget = w.is_budget;
    report.shape = w.shape;
    report.limit = w.amount;
    report.spent = money{usage.spent, w.amount.unit};
    report.count_limit = w.count;
    report.count = usage.count;
    if (s.window == model::window_kind::calendar && r.zone != nullptr && request.has(field_at)) {
        report.current = calendar_period(request.at, s.unit, s.week_start, r.zone);
    }
    return report;
}

std::string window_words(const window_report& w, const charge& request) {
    std::string words;
    if (w.is_budget) {
        minor_units after = 0;
        const bool same = request.amount.unit == w.limit.unit;
        words = "spent " + format_money(w.spent) + " of " + format_money(w.limit);
        if (same && checked_add(w.spent.units, request.amount.units, after)) {
            words += ", with this charge " + format_money(money{after, w.limit.unit});
        }
        minor_units left = 0;
        if (checked_sub(w.limit.units, w.spent.units, left)) {
            words += ", " + format_money(money{left, w.limit.unit}) + " left";
        }
    } else {
        words = std::to_string(w.count) + " of " + std::to_string(w.count_limit) +
                " charges used, " + std::to_string(w.count_limit - w.count) + " left";
    }
    if (w.current) {
        words += " (window " + format_rfc3339(w.current->start) + " to " +
                 format_rfc3339(w.current->end) + ")";
    }
    return words;
}

std::string position(const clause_report& c) {
    return std::to_string(c.line) + ":" + std::to_string(c.column);
}

bool same_decision(const decision& a, const decision& b) noexcept {
    return a.approved == b.approved && a.code == b.code && a.reason_name == b.reason_name &&
           a.clause == b.clause && a.line == b.line && a.column == b.column;
}

}  // namespace

explanation explain(const bound_mandate& mandate, const budget_state& state,
                    const charge& request) {
    const detail::bound_image& bound = mandate.image();
    explanation e;
    e.final = decide(mandate, state, request);
    e.decision_json = encode_decision(request, e.final);
    e.policy_file = bound.policy->file_name;
    e.mandate_name = std::string(mandate.name());

    step_probe probe(mandate);
    const mandate_limits limits = limits_of(mandate);
    const decision before = probe.before_clauses(state, request);
    const bool refused = !before.approved;
    if (refused) {
        const bool undated =
            before.detail == detail_kind::missing_field && before.field == field_at;
        e.refused = undated ? "the charge has no at, which the mandate's calendar and rolling "
                              "windows need"
                            : describe(before);
    }

    const decision* first_failure = refused ? &before : nullptr;
    decision deciding;
    for (std::size_t i = 0; i < probe.size(); ++i) {
        const detail::step& s = probe.step(i);
        clause_report c;
        c.clause = s.clause;
        c.line = s.line;
        c.column = s.column;
        c.kind = std::string(kind_name(s.kind));
        c.text = clause_source(bound.policy->source, s.line, s.column);
        c.reached = first_failure == nullptr;
        if (s.kind == step_kind::budget || s.kind == step_kind::limit) {
            c.window = window_of(mandate, state, limits, s, probe.resolved(i), request);
        }
        if (refused) {
            c.result = clause_result::not_evaluated;
            e.clauses.push_back(std::move(c));
            continue;
        }
        const decision d = probe.only(i, state, request);
        c.result = d.approved ? clause_result::pass : clause_result::fail;
        c.compared = compared_value(s.kind, request);
        if (c.window) c.compared = window_words(*c.window, request);
        if (s.kind == step_kind::require || s.kind == step_kind::decline_when) {
            // A condition's clause passes when require's condition holds or
            // decline's does not; a fault (a missing field) shows in the detail.
            if (d.approved || d.detail == detail_kind::condition) {
                const bool holds = (s.kind == step_kind::require) == d.approved;
                c.compared = std::string("condition is ") + (holds ? "true" : "false");
            }
        }
        if (!d.approved) {
            c.reason = std::string(d.reason_name);
            c.detail = describe(d);
            if (first_failure == nullptr) {
                c.decides = true;
                deciding = d;
                first_failure = &deciding;
            }
        }
        e.clauses.push_back(std::move(c));
    }
    e.consistent =
        first_failure == nullptr ? e.final.approved : same_decision(*first_failure, e.final);
    return e;
}

std::string render_text(const explanation& e, bool color) {
    const paint p{color};
    std::ostringstream out;
    out << e.policy_file << ": mandate " << e.mandate_name << "\n";
    if (!e.refused.empty()) {
        out << "  refused before any clause: " << e.refused << "\n";
    }
    std::size_t width = 0;
    std::size_t position_width = 0;
    for (const auto& c : e.clauses) {
        width = std::max(width, c.text.size());
        position_width = std::max(position_width, position(c).size());
    }
    for (const auto& c : e.clauses) {
        // Status words padded to one width; the padding goes after the colour codes.
        std::string status;
        switch (c.result) {
            case clause_result::pass:
                status = p.green("ok");
                break;
            case clause_result::fail:
                status = p.red("FAIL");
                break;
            case clause_result::not_evaluated:
                status = p.dim("--");
                break;
        }
        const std::size_t status_width = c.result == clause_result::fail ? 4 : 2;
        const std::string at = position(c);
        out << "  " << at << std::string(position_width - at.size() + 2, ' ') << c.text
            << std::string(width - c.text.size() + 3, ' ') << status;
        if (!c.compared.empty()) {
            out << std::string(4 - status_width + 3, ' ') << "(" << c.compared << ")";
        }
        if (c.result == clause_result::fail) {
            out << "\n"
                << std::string(2 + position_width + 2 + width + 3, ' ') << c.reason << ": "
                << c.detail;
            if (c.decides) out << p.bold("   <- decides");
            if (!c.reached) out << p.dim("   (the engine stops before this clause)");
        }
        out << "\n";
    }
    if (e.final.approved) {
        out << "decision: " << p.green("approve") << "\n";
    } else {
        out << "decision: " << p.red("decline") << " " << e.final.reason_name;
        const std::string rule = rule_location(e.final);
        if (!rule.empty()) out << " at " << rule;
        out << ": " << describe(e.final) << "\n";
    }
    return out.str();
}

std::string render_json(const explanation& e, int indent) {
    nlohmann::ordered_json json;
    json["decision"] = nlohmann::ordered_json::parse(e.decision_json);
    json["policy"] = e.policy_file;
    json["mandate"] = e.mandate_name;
    json["refused"] =
        e.refused.empty() ? nlohmann::ordered_json() : nlohmann::ordered_json(e.refused);
    auto& clauses = json["clauses"] = nlohmann::ordered_json::array();
    for (const auto& c : e.clauses) {
        nlohmann::ordered_json item;
        item["clause"] = c.clause;
        item["rule"] =
            e.policy_file + ":" + std::to_string(c.line) + ":" + std::to_string(c.column);
        item["kind"] = c.kind;
        item["text"] = c.text;
        item["result"] = c.result == clause_result::pass   ? "ok"
                         : c.result == clause_result::fail ? "fail"
                                                           : "not_evaluated";
        item["decides"] = c.decides;
        item["reached"] = c.reached;
        item["compared"] = c.compared;
        if (c.result == clause_result::fail) {
            item["reason"] = c.reason;
            item["detail"] = c.detail;
        }
        if (c.window) {
            const window_report& w = *c.window;
            nlohmann::ordered_json window;
            window["shape"] = w.shape == window_shape::calendar  ? "calendar"
                              : w.shape == window_shape::rolling ? "rolling"
                                                                 : "total";
            if (w.is_budget) {
                window["budget"] = format_money(w.limit);
                window["spent"] = format_money(w.spent);
                minor_units left = 0;
                window["left"] =
                    checked_sub(w.limit.units, w.spent.units, left)
                        ? nlohmann::ordered_json(format_money(money{left, w.limit.unit}))
                        : nlohmann::ordered_json();
            } else {
                window["limit"] = w.count_limit;
                window["used"] = w.count;
                window["left"] = w.count_limit - w.count;
            }
            if (w.current) {
                window["period"] = {{"start", format_rfc3339(w.current->start)},
                                    {"end", format_rfc3339(w.current->end)}};
            }
            item["window"] = std::move(window);
        }
        clauses.push_back(std::move(item));
    }
    return json.dump(indent);
}

}  // namespace mandate::tools
