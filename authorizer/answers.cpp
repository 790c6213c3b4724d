// The JSON the authorizer answers with, and the way back for replayed answers.

#include <nlohmann/json.hpp>

#include "authorizer/answers.hpp"
#include "mandate/authorizer.hpp"

namespace mandate {

namespace {

using json = nlohmann::ordered_json;

// Text from callers may hold invalid UTF-8: replaced, never thrown over.
std::string dump(const json& value) {
    return value.dump(-1, ' ', false, json::error_handler_t::replace);
}

// Minor units as a JSON integer where they fit one, as a decimal string beyond.
json minor_units_json(minor_units units) {
    if (units >= std::numeric_limits<std::int64_t>::min() &&
        units <= std::numeric_limits<std::int64_t>::max()) {
        return static_cast<std::int64_t>(units);
    }
    return to_string(units);
}

json money_json(const money& amount) {
    if (!amount.unit.valid()) return nullptr;
    return {{"amount", format_units(amount.units, amount.unit.exponent())},
            {"currency", amount.unit.code()}};
}

json error_json(const std::string& code, const std::string& message) {
    return {{"code", code}, {"message", message}};
}

json card_json(const card_details& card) {
    return {{"brand", card.brand},
            {"last4", card.last4},
            {"funding", card.funding},
            {"exp_month", card.exp_month},
            {"exp_year", card.exp_year}};
}

json instant_json(instant at) {
    if (at == instant::max() || at == instant{}) return nullptr;
    return format_rfc3339(at);
}

std::string text_of(const json& object, const char* key) {
    const auto found = object.find(key);
    if (found == object.end() || !found->is_string()) return {};
    return found->get<std::string>();
}

}  // namespace

std::string token_view::to_json(bool for_seller) const {
    json out;
    out["id"] = token.id;
    out["object"] = "shared_payment_token";
    out["status"] = to_string(token.status);
    if (token.status != token_status::active) {
        out["deactivated_reason"] = to_string(token.status);
        out["deactivated_detail"] = token.status_reason;
        out["deactivated_at"] = instant_json(token.status_at);
    }
    out["created_at"] = instant_json(token.created_at);
    out["seller_details"] = {{"seller", token.seller}};
    out["payment_method_details"] = {{"type", "card"}, {"card", card_json(token.card)}};

    json usage_limit_fields = json::object();
    if (limits.unit) usage_limit_fields["currency"] = limits.unit->code();
    if (limits.max_amount) {
        usage_limit_fields["max_amount"] = minor_units_json(limits.max_amount->units);
        if (!limits.unit) usage_limit_fields["currency"] = limits.max_amount->unit.code();
    }
    if (limits.per_charge) {
        usage_limit_fields["max_amount_per_charge"] = minor_units_json(limits.per_charge->units);
        if (!usage_limit_fields.contains("currency")) {
            usage_limit_fields["currency"] = limits.per_charge->unit.code();
        }
    }
    usage_limit_fields["expires_at"] =
        limits.expires_at ? instant_json(*limits.expires_at) : json(nullptr);
    out["usage_limits"] = usage_limit_fields;

    json details = {{"authorizations", usage.authorizations},
                    {"amount_held", money_json(usage.held)},
                    {"amount_captured", money_json(usage.captured)},
                    {"amount_refunded", money_json(usage.refunded)}};
    json budgets = json::array();
    for (const auto& line : usage.budgets) {
        json entry = {{"clause", line.clause},
                      {"rule", line.rule},
                      {"limit", money_json(line.limit)},
                      {"spent", money_json(line.spent)},
                      {"remaining", money_json(line.remaining)}};
        if (line.window) {
            entry["window"] = {{"start", format_rfc3339(line.window->start)},
                               {"end", format_rfc3339(line.window->end)}};
        }
        budgets.push_back(std::move(entry));
    }
    details["budgets"] = std::move(budgets);
    json counts = json::array();
    for (const auto& line : usage.limits) {
        counts.push_back({{"clause", line.clause},
                          {"rule", line.rule},
                          {"limit", line.limit},
                          {"used", line.used}});
    }
    details["limits"] = std::move(counts);
    out["usage_details"] = std::move(details);

    if (!for_seller) {
        out["parent"] = token.parent.empty() ? json(nullptr) : json(token.parent);
        out["children"] = children;
        out["mandate"] = token.mandate;
        out["arguments"] = json::parse(token.arguments, nullptr, false);
        out["policy_hash"] = token.policy_hash;
        out["expires_at"] = instant_json(token.expires_at);
        if (token.lifetime.count() > 0) out["lifetime"] = format_duration(token.lifetime);
    }
    return dump(out);
}

std::string token_answer::to_json() const {
    if (ok()) {
        json out = json::parse(view.to_json(), nullptr, false);
        if (replayed) out["idempotent_replayed"] = true;
        return dump(out);
    }
    json out = {{"error", error_json(error, message)}};
    if (!diagnostics.empty()) {
        json list = json::array();
        for (const auto& d : diagnostics) {
            list.push_back({{"file", d.file},
                            {"line", d.line},
                            {"column", d.column},
                            {"message", d.message}});
        }
        out["error"]["diagnostics"] = std::move(list);
    }
    return dump(out);
}

std::string authorization_answer::to_json() const {
    json out;
    out["id"] = charge_id.empty() ? json(nullptr) : json(charge_id);
    if (!ok()) {
        out["error"] = error_json(error, message);
        return dump(out);
    }
    out["decision"] = approved ? "approve" : "decline";
    if (!approved) out["reason"] = reason;
    out["authorization"] = authorization.empty() ? json(nullptr) : json(authorization);
    if (amount.unit.valid()) {
        out["amount"] = format_units(amount.units, amount.unit.exponent());
        out["currency"] = amount.unit.code();
    }
    out["at"] = instant_json(at);
    if (!approved) {
        if (!rule.empty()) out["rule"] = rule;
        if (!declined_by.empty()) out["declined_by"] = declined_by;
        if (!detail.empty()) out["detail"] = detail;
    }
    if (replayed) out["idempotent_replayed"] = true;
    return dump(out);
}

std::string lifecycle_answer::to_json() const {
    json out;
    out["authorization"] = record.id.empty() ? json(nullptr) : json(record.id);
    out["action"] = action;
    if (!ok()) {
        out["error"] = error_json(error, message);
        return dump(out);
    }
    out["status"] = to_string(record.status);
    out["amount"] = format_units(amount.units, amount.unit.exponent());
    out["currency"] = amount.unit.code();
    out["budget_released"] = format_units(released.units, released.unit.exponent());
    const int exponent = record.amount.unit.exponent();
    out["authorized"] = format_units(record.amount.units, exponent);
    out["captured"] = format_units(record.captured, exponent);
    out["refunded"] = format_units(record.refunded, exponent);
    if (replayed) out["idempotent_replayed"] = true;
    return dump(out);
}

namespace detail {

std::optional<authorization_answer> authorization_from_json(std::string_view text) {
    const json in = json::parse(text, nullptr, false);
    if (!in.is_object()) return std::nullopt;
    authorization_answer answer;
    answer.charge_id = text_of(in, "id");
    if (const auto error = in.find("error"); error != in.end() && error->is_object()) {
        answer.error = text_of(*error, "code");
        answer.message = text_of(*error, "message");
        return answer;
    }
    answer.approved = text_of(in, "decision") == "approve";
    answer.reason = text_of(in, "reason");
    answer.detail = text_of(in, "detail");
    answer.rule = text_of(in, "rule");
    answer.declined_by = text_of(in, "declined_by");
    answer.authorization = text_of(in, "authorization");
    if (const auto unit = currency::find(text_of(in, "currency"))) {
        minor_units units = 0;
        if (parse_amount(text_of(in, "amount"), *unit, units) == amount_error::none) {
            answer.amount = money{units, *unit};
        }
    }
    if (const auto at = parse_rfc3339(text_of(in, "at"))) answer.at = *at;
    return answer;
}

std::optional<lifecycle_answer> lifecycle_from_json(std::string_view text) {
    const json in = json::parse(text, nullptr, false);
    if (!in.is_object()) return std::nullopt;
    lifecycle_answer answer;
    answer.action = text_of(in, "action");
    answer.record.id = text_of(in, "authorization");
    if (const auto error = in.find("error"); error != in.end() && error->is_object()) {
        answer.error = text_of(*error, "code");
        answer.message = text_of(*error, "message");
        return answer;
    }
    const auto unit = currency::find(text_of(in, "currency"));
    if (!unit) return std::nullopt;
    const auto units_of = [&](const char* key) -> std::optional<minor_units> {
        minor_units units = 0;
        if (parse_amount(text_of(in, key), *unit, units) != amount_error::none) return std::nullopt;
        return units;
    };
    const auto amount = units_of("amount");
    const auto released = units_of("budget_released");
    const auto authorized = units_of("authorized");
    const auto captured = units_of("captured");
    const auto refunded = units_of("refunded");
    const auto status = parse_hold_status(text_of(in, "status"));
    if (!amount || !released || !authorized || !captured || !refunded || !status) {
        return std::nullopt;
    }
    answer.amount = money{*amount, *unit};
    answer.released = money{*released, *unit};
    answer.record.amount = money{*authorized, *unit};
    answer.record.captured = *captured;
    answer.record.refunded = *refunded;
    answer.record.status = *status;
    return answer;
}

}  // namespace detail

}  // namespace mandate
