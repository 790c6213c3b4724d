// Charges in, decisions out: the JSON wire format of the authorizer.
//
//   mandate::charge_document document;
//   std::string error;
//   if (!mandate::decode_charge(line, document, error)) {
//       print(mandate::encode_invalid(mandate::recover_charge_id(line).value_or(""), error));
//   } else {
//       const mandate::charge& request = document.view();
//       print(mandate::encode_decision(request, mandate::authorize(m, state, request)));
//   }
//
// A charge is one JSON object:
//
//   {"id": "ch_1", "amount": "12.50", "currency": "USD", "at": "2026-12-03T10:00:00Z",
//    "seller": {"id": "acct_staples", "domain": "staples.com", "country": "US",
//               "category": 5943},
//    "items": [{"sku": "A4-500", "category": "paper", "quantity": 2, "unit_price": "6.25"}],
//    "resource": "https://api.example.com/v1/enrich"}
//
// `amount` and `currency` are required; every other field is optional, but a field
// that is present must be valid (a wrong type, an empty string, an unknown currency
// or a malformed value rejects the whole charge). Amounts are decimal strings in
// major units, never JSON numbers. Unknown fields are ignored. A key given twice
// counts with its last value.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mandate/charge.hpp"
#include "mandate/decision.hpp"

namespace mandate {

namespace detail {
class charge_decoder;
}  // namespace detail

// At most this many line items in one charge.
inline constexpr std::size_t max_line_items = 10'000;

// One decoded charge and the memory its views point into.
//
// Moving a document keeps view() valid (the moved-from document becomes empty).
// Copying is not offered: decode again instead. Decoding into a document that
// was used before reuses its buffers.
class charge_document {
public:
    charge_document() = default;
    charge_document(const charge_document&) = delete;
    charge_document& operator=(const charge_document&) = delete;
    charge_document(charge_document&& other) noexcept;
    charge_document& operator=(charge_document&& other) noexcept;
    ~charge_document() = default;

    const charge& view() const noexcept { return charge_; }

    // Forgets the charge, keeping the buffers' capacity.
    void clear() noexcept;

private:
    // Where one string lives in text_; offsets survive text_ growing.
    struct text_ref {
        std::size_t offset = 0;
        std::size_t length = 0;
    };
    struct item_text {
        text_ref sku;
        text_ref category;
    };

    text_ref store(std::string_view text);
    std::string_view resolve(text_ref ref) const noexcept;
    // Points charge_ and items_ at text_ once every string is stored.
    void bind_views() noexcept;

    friend class detail::charge_decoder;

    // std::vector rather than std::string: moving a vector hands over its heap
    // buffer, so views stay valid, while a short std::string lives inline.
    std::vector<char> text_;
    std::vector<line_item> items_;
    std::vector<item_text> item_text_;
    text_ref id_;
    text_ref seller_id_;
    text_ref seller_domain_;
    text_ref seller_country_;
    text_ref resource_;
    charge charge_;
};

// Decodes one charge. On success fills `out` and returns true. On failure returns
// false, leaves `out` empty and sets `error` to a one-line reason. Never throws.
bool decode_charge(std::string_view json_text, charge_document& out, std::string& error);

// The charge's "id" when `json_text` is a JSON object whose "id" is a non-empty
// string, whatever else is wrong with it; for answering a charge that did not decode.
std::optional<std::string> recover_charge_id(std::string_view json_text) noexcept;

// One JSON line, without a newline:
//   {"id":"ch_1","decision":"approve"}
//   {"id":"ch_2","decision":"decline","reason":"amount_over_limit",
//    "rule":"office.mandate:6:3","detail":"12.50 USD is over the cap of 10.00 USD"}
// "rule" is left out when no clause decided; "id" is null when the charge has none.
std::string encode_decision(const charge& request, const decision& d);

// The answer to a charge that could not be decoded ("id" null when `id` is empty):
//   {"id":"ch_3","decision":"decline","reason":"invalid_charge","detail":"..."}
std::string encode_invalid(std::string_view id, std::string_view detail);

}  // namespace mandate
