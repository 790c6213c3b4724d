// Feeds arbitrary bytes to the charge decoder as one JSON line.
//
// Decoding must either produce a charge or reject it with a reason, never crash or
// throw. A decoded charge is answered with a decline and an approval, so the views
// into the document and the JSON encoder are exercised on whatever it decoded.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>

#include "mandate/charge.hpp"
#include "mandate/decision.hpp"
#include "mandate/json.hpp"

namespace {

// A crash libFuzzer records with the input that caused it.
void require(bool holds) {
    if (!holds) {
        __builtin_trap();
    }
}

// A decline carrying the charge's own amount, as an amount cap would.
mandate::decision over_cap(const mandate::charge& request) {
    mandate::decision declined;
    declined.approved = false;
    declined.code = mandate::reason::amount_over_limit;
    declined.reason_name = mandate::to_string(mandate::reason::amount_over_limit);
    declined.clause = 0;
    declined.file = "fuzz.mandate";
    declined.line = 3;
    declined.column = 3;
    declined.detail = mandate::detail_kind::over_limit;
    declined.field = mandate::field_amount;
    declined.observed = request.amount;
    declined.limit = {1, request.amount.unit};
    declined.bound = request.at;
    return declined;
}

// Touches every view the document hands out, so a dangling one is caught here.
std::size_t view_length(const mandate::charge& request) {
    std::size_t length = request.id.size() + request.seller_id.size() +
                         request.seller_domain.size() + request.seller_country.size() +
                         request.resource.size();
    for (const mandate::line_item& item : request.items) {
        length += item.sku.size() + item.category.size();
    }
    return length;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* bytes, std::size_t size) {
    const std::string_view line(reinterpret_cast<const char*>(bytes), size);

    mandate::charge_document document;
    std::string error;
    if (!mandate::decode_charge(line, document, error)) {
        // A rejected charge always says why, and can still be answered.
        require(!error.empty());
        const std::string answer =
            mandate::encode_invalid(mandate::recover_charge_id(line).value_or(""), error);
        require(!answer.empty() && answer.front() == '{' && answer.back() == '}');
        return 0;
    }

    // amount and currency are required: a decoded charge always has them.
    const mandate::charge& request = document.view();
    require(request.has(mandate::field_amount) && request.amount.unit.valid());
    require(request.items.size() <= mandate::max_line_items);
    const std::size_t length = view_length(request);

    const mandate::decision declined = over_cap(request);
    require(!mandate::describe(declined).empty());
    const std::string decline_line = mandate::encode_decision(request, declined);
    require(!decline_line.empty() && decline_line.back() == '}');
    const std::string approve_line =
        mandate::encode_decision(request, mandate::decision::approve());
    require(!approve_line.empty() && approve_line.back() == '}');

    // Moving the document keeps its views valid, and decoding again into a used
    // document gives the same charge.
    mandate::charge_document moved = std::move(document);
    require(view_length(moved.view()) == length);
    std::string again_error;
    require(mandate::decode_charge(line, moved, again_error));
    require(view_length(moved.view()) == length);
    require(mandate::encode_decision(moved.view(), declined) == decline_line);
    return 0;
}
