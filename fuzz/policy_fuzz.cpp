// Feeds arbitrary bytes to the policy compiler as a policy file.
//
// Whatever the bytes are, compiling must return either a policy or at least one
// error with a position, never crash or throw. When the bytes compile, every
// mandate is bound (with a sample argument for each parameter that has no default)
// and asked to decide a few fixed charges, so the decision graph is exercised too.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "mandate/charge.hpp"
#include "mandate/decision.hpp"
#include "mandate/diagnostic.hpp"
#include "mandate/money.hpp"
#include "mandate/policy.hpp"
#include "mandate/time.hpp"

namespace {

// A crash libFuzzer records with the input that caused it.
void require(bool holds) {
    if (!holds) {
        __builtin_trap();
    }
}

constexpr std::uint8_t every_item_field =
    mandate::item_sku | mandate::item_category | mandate::item_quantity | mandate::item_unit_price;

constexpr mandate::line_item paper_items[] = {
    {"A4-500", "paper", 2, 625, every_item_field},
    {"TN-12", "toner", 1, 0, every_item_field},
};

// A complete charge, one with only an amount, and one with nothing: together they
// reach approvals, declines on every clause kind and missing-field declines.
struct sample_charges {
    mandate::charge complete;
    mandate::charge amount_only;
    mandate::charge empty;
};

const sample_charges& samples() {
    static const sample_charges charges = [] {
        const auto usd = mandate::currency::find("USD");
        const auto at = mandate::parse_rfc3339("2026-12-03T10:00:00Z");

        sample_charges built{};
        mandate::charge& complete = built.complete;
        complete.id = "ch_fuzz";
        complete.amount = {1250, usd.value_or(mandate::currency{})};
        complete.at = at.value_or(mandate::instant{});
        complete.seller_id = "acct_staples";
        complete.seller_domain = "staples.com";
        complete.seller_country = "US";
        complete.seller_category = 5943;
        complete.items = paper_items;
        complete.resource = "https://api.example.com/v1/enrich";
        complete.present = mandate::field_id | mandate::field_amount | mandate::field_at |
                           mandate::field_seller_id | mandate::field_seller_domain |
                           mandate::field_seller_country | mandate::field_seller_category |
                           mandate::field_items | mandate::field_resource;

        built.amount_only.amount = complete.amount;
        built.amount_only.present = mandate::field_amount;
        return built;
    }();
    return charges;
}

bool same_outcome(const mandate::decision& first, const mandate::decision& second) {
    return first.approved == second.approved && first.code == second.code &&
           first.reason_name == second.reason_name && first.clause == second.clause &&
           first.detail == second.detail;
}

// A value of the right type for a parameter, so mandates without defaults bind too.
nlohmann::json sample_argument(mandate::param_type type) {
    switch (type) {
        case mandate::param_type::text:
            return "acct_staples";
        case mandate::param_type::integer:
            return 5;
        case mandate::param_type::money:
            return "10.00 USD";
        case mandate::param_type::time:
            return "2026-12-03T10:00:00Z";
        case mandate::param_type::length:
            return "1h";
        case mandate::param_type::zone:
            return "America/New_York";
    }
    return nullptr;
}

void exercise(const std::shared_ptr<const mandate::policy>& compiled,
              const std::string& mandate_name) {
    nlohmann::json arguments = nlohmann::json::object();
    for (const auto& parameter : compiled->parameters(mandate_name)) {
        if (!parameter.has_default) {
            const nlohmann::json sample = sample_argument(parameter.type);
            arguments[parameter.name] =
                parameter.is_list ? nlohmann::json::array({sample}) : sample;
        }
    }

    const mandate::bind_result bound = mandate::bind(compiled, mandate_name, arguments.dump());
    if (!bound.ok()) {
        return;
    }

    mandate::budget_state state(*bound.mandate);
    for (const mandate::charge* request :
         {&samples().complete, &samples().amount_only, &samples().empty}) {
        // Deciding does not change the state, so asking twice gives one answer.
        const mandate::decision first = mandate::decide(*bound.mandate, state, *request);
        const mandate::decision second = mandate::decide(*bound.mandate, state, *request);
        require(same_outcome(first, second));

        const mandate::decision authorized = mandate::authorize(*bound.mandate, state, *request);
        require(same_outcome(first, authorized));
        if (!authorized.approved) {
            require(!mandate::describe(authorized).empty());
            (void)mandate::rule_location(authorized);
        }
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* bytes, std::size_t size) {
    const std::string_view source(reinterpret_cast<const char*>(bytes), size);
    const mandate::compile_result result = mandate::compile(source, "fuzz.mandate");

    // A policy that does not compile must say why, and where.
    if (!result.ok()) {
        bool has_error = false;
        for (const auto& diagnostic : result.diagnostics) {
            has_error = has_error || diagnostic.level == mandate::severity::error;
        }
        require(has_error);
    }
    for (const auto& diagnostic : result.diagnostics) {
        require(diagnostic.line >= 1 && diagnostic.column >= 1);
        const std::string rendered = diagnostic.render();
        require(!rendered.empty() && rendered.back() == '\n');
    }
    (void)mandate::render(result.diagnostics);

    if (result.ok()) {
        for (const std::string& mandate_name : result.compiled->mandate_names()) {
            require(result.compiled->contains(mandate_name));
            exercise(result.compiled, mandate_name);
        }
    }
    return 0;
}
