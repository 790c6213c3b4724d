// Names and sentences for decisions.
#include "mandate/decision.hpp"

#include <limits>
#include <string>

namespace mandate {

namespace {

std::string money_text(minor_units units, currency unit) {
    return format_money(money{units, unit});
}

std::string currency_text(currency unit) {
    return unit.valid() ? std::string(unit.code()) : std::string("no currency");
}

// For declines that carry no values: a sentence from the reason alone.
std::string describe_reason(const decision& d) {
    switch (d.code) {
        case reason::none:
            break;
        case reason::seller_not_allowed:
            return "the seller is not allowed";
        case reason::domain_not_allowed:
            return "the seller's domain is not allowed";
        case reason::currency_not_allowed:
            return "the currency is not allowed";
        case reason::amount_over_limit:
            return "the amount is over the limit";
        case reason::amount_under_limit:
            return "the amount is under the minimum";
        case reason::category_not_allowed:
            return "the merchant category is not allowed";
        case reason::country_not_allowed:
            return "the seller's country is not allowed";
        case reason::not_yet_valid:
            return "the mandate is not valid yet";
        case reason::expired:
            return "the mandate has expired";
        case reason::budget_exceeded:
            return "the charge would exceed the budget";
        case reason::limit_exceeded:
            return "the charge would exceed the limit on the number of charges";
        case reason::invalid_charge:
            return "the charge is not valid for this mandate";
        case reason::custom:
            return "a clause declined the charge with " + std::string(d.reason_name);
    }
    return "the charge was declined";
}

std::string describe_not_in_set(const decision& d) {
    // Currency lists are checked against the amount's currency.
    if (d.field == field_amount || d.code == reason::currency_not_allowed) {
        if (d.observed.unit.valid()) {
            return "the currency " + currency_text(d.observed.unit) + " is not in the allowed list";
        }
        return "the currency is not in the allowed list";
    }
    return std::string(to_string(d.field)) + " is not in the allowed list";
}

std::string describe_budget(const decision& d) {
    currency unit = d.observed.unit.valid() ? d.observed.unit : d.limit.unit;
    std::string amount = money_text(d.observed.units, unit);
    std::string budget = format_money(d.limit);

    minor_units total = 0;
    if (!checked_add(d.spent.units, d.observed.units, total)) {
        return amount + " on top of " + money_text(d.spent.units, unit) +
               " already spent is over the budget of " + budget;
    }
    return amount + " would bring spending in this window to " + money_text(total, unit) +
           ", over the budget of " + budget;
}

std::string describe_count(const decision& d) {
    // count is the charges already counted; this one would be the next.
    std::string ordinal = d.count < std::numeric_limits<std::int64_t>::max()
                              ? std::to_string(d.count + 1)
                              : std::to_string(d.count) + "+1";
    return "this would be charge " + ordinal + " in the window, over the limit of " +
           std::to_string(d.count_limit);
}

}  // namespace

std::string_view to_string(reason code) noexcept {
    switch (code) {
        case reason::none:
            return "none";
        case reason::seller_not_allowed:
            return "seller_not_allowed";
        case reason::domain_not_allowed:
            return "domain_not_allowed";
        case reason::currency_not_allowed:
            return "currency_not_allowed";
        case reason::amount_over_limit:
            return "amount_over_limit";
        case reason::amount_under_limit:
            return "amount_under_limit";
        case reason::category_not_allowed:
            return "category_not_allowed";
        case reason::country_not_allowed:
            return "country_not_allowed";
        case reason::not_yet_valid:
            return "not_yet_valid";
        case reason::expired:
            return "expired";
        case reason::budget_exceeded:
            return "budget_exceeded";
        case reason::limit_exceeded:
            return "limit_exceeded";
        case reason::invalid_charge:
            return "invalid_charge";
        case reason::custom:
            return "custom";
    }
    return "unknown";
}

std::string_view to_string(charge_field field) noexcept {
    switch (field) {
        case field_id:
            return "id";
        case field_amount:
            return "amount";
        case field_at:
            return "at";
        case field_seller_id:
            return "seller.id";
        case field_seller_domain:
            return "seller.domain";
        case field_seller_country:
            return "seller.country";
        case field_seller_category:
            return "seller.category";
        case field_items:
            return "items";
        case field_resource:
            return "resource";
    }
    return "an unknown field";
}

std::string rule_location(const decision& d) {
    if (d.clause < 0) {
        return {};
    }

    std::string position = std::to_string(d.line) + ":" + std::to_string(d.column);
    if (d.file.empty()) {
        return position;
    }
    return std::string(d.file) + ":" + position;
}

std::string describe(const decision& d) {
    if (d.approved) {
        return "the charge is within the mandate";
    }

    switch (d.detail) {
        case detail_kind::none:
            return describe_reason(d);
        case detail_kind::missing_field:
            return "the charge has no " + std::string(to_string(d.field)) +
                   ", which this clause needs";
        case detail_kind::not_in_set:
            return describe_not_in_set(d);
        case detail_kind::over_limit:
            // A strict cap ("under 10.00 USD") also declines the limit itself.
            return format_money(d.observed) +
                   (d.observed.units > d.limit.units ? " is over the cap of "
                                                     : " is not under the cap of ") +
                   format_money(d.limit);
        case detail_kind::under_limit:
            return format_money(d.observed) +
                   (d.observed.units < d.limit.units ? " is under the minimum of "
                                                     : " is not over the minimum of ") +
                   format_money(d.limit);
        case detail_kind::currency_mismatch:
            if (!d.observed.unit.valid()) {
                return "the charge has no currency but the clause is in " +
                       currency_text(d.limit.unit);
            }
            return "the charge is in " + currency_text(d.observed.unit) + " but the clause is in " +
                   currency_text(d.limit.unit);
        case detail_kind::before_start:
            return "the mandate is valid from " + format_rfc3339(d.bound);
        case detail_kind::at_or_after_end:
            return "the mandate expired at " + format_rfc3339(d.bound);
        case detail_kind::budget:
            return describe_budget(d);
        case detail_kind::count:
            return describe_count(d);
        case detail_kind::overflow:
            return "the amounts involved are too large to add up exactly";
        case detail_kind::out_of_order:
            return "the charge is dated before a charge already counted";
        case detail_kind::condition:
            return "the condition of this clause decided the decline";
        case detail_kind::invalid_value:
            return std::string(to_string(d.field)) + " has a value this clause can never match";
    }
    return describe_reason(d);
}

}  // namespace mandate
