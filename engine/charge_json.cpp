// Decoding charges from JSON and encoding decisions as JSON lines.
#include "mandate/json.hpp"

#include <cstdint>
#include <exception>
#include <limits>
#include <new>
#include <utility>

#include <nlohmann/json.hpp>

namespace mandate {

namespace {

using json = nlohmann::json;

// Values quoted in error messages are cut to this many bytes so that one bad
// field cannot turn the message into a megabyte.
constexpr std::size_t max_quoted_bytes = 40;

constexpr std::int64_t max_seller_category = 9999;

// JSON string syntax, also for invalid UTF-8 in a caller-built charge (replaced by
// U+FFFD) so that every line we write is valid JSON.
void append_json_string(std::string& out, std::string_view text) {
    out += json(std::string(text)).dump(-1, ' ', false, json::error_handler_t::replace);
}

// A value from the charge for an error message: escaped, so the message stays on
// one line, and shortened.
std::string quote_value(std::string_view value) {
    bool shortened = false;
    if (value.size() > max_quoted_bytes) {
        std::size_t end = max_quoted_bytes;
        // Back up to the start of a UTF-8 sequence rather than split a character.
        while (end > 0 && (static_cast<unsigned char>(value[end]) & 0xC0u) == 0x80u) {
            --end;
        }
        value = value.substr(0, end);
        shortened = true;
    }

    std::string text;
    append_json_string(text, value);
    if (shortened) {
        text.insert(text.size() - 1, "...");
    }
    return text;
}

std::string_view type_phrase(const json& value) noexcept {
    switch (value.type()) {
        case json::value_t::null:
            return "null";
        case json::value_t::object:
            return "a JSON object";
        case json::value_t::array:
            return "a JSON array";
        case json::value_t::string:
            return "a string";
        case json::value_t::boolean:
            return "a boolean";
        case json::value_t::number_integer:
        case json::value_t::number_unsigned:
        case json::value_t::number_float:
            return "a JSON number";
        default:
            return "an unsupported value";
    }
}

// What the value was, for "..., not X": the number itself, or its type.
std::string value_phrase(const json& value) {
    if (value.is_number()) {
        return value.dump();
    }
    if (value.is_string()) {
        return quote_value(value.get_ref<const std::string&>());
    }
    return std::string(type_phrase(value));
}

const json* member(const json& object, const char* key) {
    auto found = object.find(key);
    return found == object.end() ? nullptr : &*found;
}

std::string amount_problem(std::string_view path, std::string_view text, currency unit,
                           amount_error error) {
    std::string name(path);
    switch (error) {
        case amount_error::none:
            break;
        case amount_error::empty:
            return name + " must not be empty";
        case amount_error::negative:
            return name + " " + quote_value(text) + " is negative";
        case amount_error::too_many_decimals:
            return name + " " + quote_value(text) + " has more decimal places than " +
                   std::string(unit.code()) + " allows (" + std::to_string(unit.exponent()) + ")";
        case amount_error::overflow:
            return name + " " + quote_value(text) + " is too large";
        case amount_error::malformed:
            break;
    }
    return name + " " + quote_value(text) +
           " is not a decimal amount such as \"12.50\" (digits, an optional point and fraction)";
}

// The message of a parse_error without its "[json.exception...] " tag and without
// the "last read" echo of the input, which may be long or not UTF-8.
std::string parse_problem(const std::exception& failure) {
    std::string_view message = failure.what();
    if (auto tag_end = message.find("] "); tag_end != std::string_view::npos) {
        message.remove_prefix(tag_end + 2);
    }
    if (auto echo = message.find("; last read"); echo != std::string_view::npos) {
        message = message.substr(0, echo);
    }
    return "the charge is not valid JSON: " + std::string(message);
}

}  // namespace

// charge_document

charge_document::charge_document(charge_document&& other) noexcept
    : text_(std::move(other.text_)),
      items_(std::move(other.items_)),
      item_text_(std::move(other.item_text_)),
      id_(other.id_),
      seller_id_(other.seller_id_),
      seller_domain_(other.seller_domain_),
      seller_country_(other.seller_country_),
      resource_(other.resource_),
      charge_(other.charge_) {
    // The vectors' heap buffers moved with them, so charge_'s views are still
    // valid; only the moved-from document must forget them.
    other.clear();
}

charge_document& charge_document::operator=(charge_document&& other) noexcept {
    if (this != &other) {
        // std::allocator propagates on move assignment: the buffers are handed over,
        // never copied element by element, so the views stay valid.
        text_ = std::move(other.text_);
        items_ = std::move(other.items_);
        item_text_ = std::move(other.item_text_);
        id_ = other.id_;
        seller_id_ = other.seller_id_;
        seller_domain_ = other.seller_domain_;
        seller_country_ = other.seller_country_;
        resource_ = other.resource_;
        charge_ = other.charge_;
        other.clear();
    }
    return *this;
}

void charge_document::clear() noexcept {
    text_.clear();
    items_.clear();
    item_text_.clear();
    id_ = {};
    seller_id_ = {};
    seller_domain_ = {};
    seller_country_ = {};
    resource_ = {};
    charge_ = charge{};
}

charge_document::text_ref charge_document::store(std::string_view text) {
    text_ref ref{text_.size(), text.size()};
    text_.insert(text_.end(), text.begin(), text.end());
    return ref;
}

std::string_view charge_document::resolve(text_ref ref) const noexcept {
    if (ref.length == 0) {
        return {};
    }
    return {text_.data() + ref.offset, ref.length};
}

void charge_document::bind_views() noexcept {
    charge_.id = resolve(id_);
    charge_.seller_id = resolve(seller_id_);
    charge_.seller_domain = resolve(seller_domain_);
    charge_.seller_country = resolve(seller_country_);
    charge_.resource = resolve(resource_);

    for (std::size_t i = 0; i < items_.size(); ++i) {
        items_[i].sku = resolve(item_text_[i].sku);
        items_[i].category = resolve(item_text_[i].category);
    }
    charge_.items = std::span<const line_item>(items_.data(), items_.size());
}

// Decoding

namespace detail {

class charge_decoder {
public:
    charge_decoder(charge_document& out, std::string& error) : out_(out), error_(error) {}

    bool decode(std::string_view json_text) {
        json root;
        try {
            root = json::parse(json_text);
        } catch (const json::parse_error& failure) {
            return fail(parse_problem(failure));
        }
        if (!root.is_object()) {
            return fail("a charge must be a JSON object, not " + std::string(type_phrase(root)));
        }

        charge& result = out_.charge_;
        if (!decode_text(root, "id", "id", out_.id_, result, field_id) || !decode_amount(root) ||
            !decode_at(root) || !decode_seller(root) || !decode_items(root) ||
            !decode_text(root, "resource", "resource", out_.resource_, result, field_resource)) {
            return false;
        }

        out_.bind_views();
        return true;
    }

private:
    bool fail(std::string message) {
        error_ = std::move(message);
        return false;
    }

    // A non-empty string field. Sets `field` in `result.present` when it is there.
    bool decode_text(const json& object, const char* key, std::string_view path,
                     charge_document::text_ref& ref, charge& result, charge_field field) {
        const json* value = member(object, key);
        if (value == nullptr) {
            return true;
        }
        if (!read_text(*value, path, ref)) {
            return false;
        }
        result.present |= field;
        return true;
    }

    bool read_text(const json& value, std::string_view path, charge_document::text_ref& ref) {
        if (!value.is_string()) {
            return fail(std::string(path) + " must be a string, not " +
                        std::string(type_phrase(value)));
        }
        const auto& text = value.get_ref<const std::string&>();
        if (text.empty()) {
            return fail(std::string(path) + " must not be empty");
        }
        ref = out_.store(text);
        return true;
    }

    // A decimal string in major units of `unit`.
    bool read_amount(const json& value, std::string_view path, currency unit, minor_units& units) {
        if (!value.is_string()) {
            return fail(std::string(path) + " must be a decimal string such as \"12.50\", not " +
                        std::string(type_phrase(value)));
        }
        const auto& text = value.get_ref<const std::string&>();
        amount_error error = parse_amount(text, unit, units);
        if (error != amount_error::none) {
            return fail(amount_problem(path, text, unit, error));
        }
        return true;
    }

    bool decode_amount(const json& root) {
        const json* amount = member(root, "amount");
        if (amount == nullptr) {
            return fail("the charge has no amount (a decimal string such as \"12.50\")");
        }
        const json* code = member(root, "currency");
        if (code == nullptr) {
            return fail("the charge has no currency (a code such as \"USD\")");
        }

        if (!code->is_string()) {
            return fail("currency must be a code such as \"USD\", not " +
                        std::string(type_phrase(*code)));
        }
        const auto& code_text = code->get_ref<const std::string&>();
        std::optional<currency> unit = currency::find(code_text);
        if (!unit) {
            return fail(unknown_currency(code_text));
        }

        charge& result = out_.charge_;
        if (!read_amount(*amount, "amount", *unit, result.amount.units)) {
            return false;
        }
        result.amount.unit = *unit;
        result.present |= field_amount;
        return true;
    }

    static std::string unknown_currency(const std::string& code) {
        std::string upper = code;
        for (char& c : upper) {
            if (c >= 'a' && c <= 'z') {
                c = static_cast<char>(c - 'a' + 'A');
            }
        }
        if (upper != code && currency::find(upper)) {
            return "currency codes are upper case: " + quote_value(upper) + ", not " +
                   quote_value(code);
        }
        return "unknown currency " + quote_value(code);
    }

    bool decode_at(const json& root) {
        const json* at = member(root, "at");
        if (at == nullptr) {
            return true;
        }

        std::optional<instant> parsed;
        if (at->is_string()) {
            parsed = parse_rfc3339(at->get_ref<const std::string&>());
        }
        if (!parsed) {
            return fail(
                "at must be an RFC 3339 time with an offset such as "
                "\"2026-12-03T10:00:00Z\", not " +
                value_phrase(*at));
        }
        out_.charge_.at = *parsed;
        out_.charge_.present |= field_at;
        return true;
    }

    bool decode_seller(const json& root) {
        const json* seller = member(root, "seller");
        if (seller == nullptr) {
            return true;
        }
        if (!seller->is_object()) {
            return fail("seller must be a JSON object, not " + std::string(type_phrase(*seller)));
        }

        charge& result = out_.charge_;
        if (!decode_text(*seller, "id", "seller.id", out_.seller_id_, result, field_seller_id) ||
            !decode_text(*seller, "domain", "seller.domain", out_.seller_domain_, result,
                         field_seller_domain)) {
            return false;
        }

        // ISO 3166-1 alpha-2 exactly as the standard writes it; "us" is refused
        // rather than guessed at.
        if (const json* country = member(*seller, "country")) {
            if (!is_country_code(*country)) {
                return fail("seller.country must be two upper-case letters such as \"US\", not " +
                            value_phrase(*country));
            }
            out_.seller_country_ = out_.store(country->get_ref<const std::string&>());
            result.present |= field_seller_country;
        }

        if (const json* category = member(*seller, "category")) {
            std::int64_t code = 0;
            if (!read_integer(*category, code) || code < 0 || code > max_seller_category) {
                return fail(
                    "seller.category must be a merchant category code, an integer "
                    "from 0 to 9999, not " +
                    value_phrase(*category));
            }
            result.seller_category = static_cast<std::int32_t>(code);
            result.present |= field_seller_category;
        }
        return true;
    }

    static bool is_country_code(const json& value) {
        if (!value.is_string()) {
            return false;
        }
        const auto& text = value.get_ref<const std::string&>();
        return text.size() == 2 && text[0] >= 'A' && text[0] <= 'Z' && text[1] >= 'A' &&
               text[1] <= 'Z';
    }

    // A JSON integer that fits in int64 (1.0 and 1e3 are not integers here).
    static bool read_integer(const json& value, std::int64_t& out) {
        if (value.is_number_unsigned()) {
            auto unsigned_value = value.get<std::uint64_t>();
            if (unsigned_value >
                static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
                return false;
            }
            out = static_cast<std::int64_t>(unsigned_value);
            return true;
        }
        if (value.is_number_integer()) {
            out = value.get<std::int64_t>();
            return true;
        }
        return false;
    }

    bool decode_items(const json& root) {
        const json* items = member(root, "items");
        if (items == nullptr) {
            return true;
        }
        if (!items->is_array()) {
            return fail("items must be a JSON array, not " + std::string(type_phrase(*items)));
        }
        if (items->size() > max_line_items) {
            return fail("items has " + std::to_string(items->size()) + " lines; at most " +
                        std::to_string(max_line_items) + " are accepted");
        }

        out_.items_.reserve(items->size());
        out_.item_text_.reserve(items->size());
        for (std::size_t i = 0; i < items->size(); ++i) {
            if (!decode_item((*items)[i], "items[" + std::to_string(i) + "]")) {
                return false;
            }
        }
        out_.charge_.present |= field_items;
        return true;
    }

    bool decode_item(const json& value, const std::string& path) {
        if (!value.is_object()) {
            return fail(path + " must be a JSON object, not " + std::string(type_phrase(value)));
        }

        line_item item;
        charge_document::item_text text;
        if (const json* sku = member(value, "sku")) {
            if (!read_text(*sku, path + ".sku", text.sku)) {
                return false;
            }
            item.present |= item_sku;
        }
        if (const json* category = member(value, "category")) {
            if (!read_text(*category, path + ".category", text.category)) {
                return false;
            }
            item.present |= item_category;
        }

        if (const json* quantity = member(value, "quantity")) {
            if (!read_integer(*quantity, item.quantity) || item.quantity <= 0) {
                return fail(path + ".quantity must be a positive integer, not " +
                            value_phrase(*quantity));
            }
            item.present |= item_quantity;
        }

        if (const json* price = member(value, "unit_price")) {
            // decode_amount ran first, so the charge's currency is known.
            if (!read_amount(*price, path + ".unit_price", out_.charge_.amount.unit,
                             item.unit_price)) {
                return false;
            }
            item.present |= item_unit_price;
        }

        out_.items_.push_back(item);
        out_.item_text_.push_back(text);
        return true;
    }

    charge_document& out_;
    std::string& error_;
};

}  // namespace detail

bool decode_charge(std::string_view json_text, charge_document& out, std::string& error) {
    out.clear();
    error.clear();
    try {
        detail::charge_decoder decoder(out, error);
        if (decoder.decode(json_text)) {
            return true;
        }
        out.clear();
        return false;
    } catch (const std::bad_alloc&) {
        out.clear();
        try {
            error = "the charge is too large to decode";
        } catch (...) {
            error.clear();
        }
        return false;
    } catch (...) {
        // Every type is checked before a value is read, so this is a bug; still
        // decline rather than let it escape into the authorizer.
        out.clear();
        try {
            error = "the charge could not be decoded";
        } catch (...) {
            error.clear();
        }
        return false;
    }
}

std::optional<std::string> recover_charge_id(std::string_view json_text) noexcept {
    try {
        json root = json::parse(json_text, nullptr, false);
        if (root.is_discarded() || !root.is_object()) {
            return std::nullopt;
        }
        const json* id = member(root, "id");
        if (id == nullptr || !id->is_string() || id->get_ref<const std::string&>().empty()) {
            return std::nullopt;
        }
        return id->get<std::string>();
    } catch (...) {
        return std::nullopt;
    }
}

// Encoding

std::string encode_decision(const charge& request, const decision& d) {
    std::string line = "{\"id\":";
    if (request.has(field_id)) {
        append_json_string(line, request.id);
    } else {
        line += "null";
    }

    if (d.approved) {
        line += ",\"decision\":\"approve\"}";
        return line;
    }

    line += ",\"decision\":\"decline\",\"reason\":";
    append_json_string(line, d.reason_name.empty() ? to_string(d.code) : d.reason_name);
    if (std::string rule = rule_location(d); !rule.empty()) {
        line += ",\"rule\":";
        append_json_string(line, rule);
    }
    line += ",\"detail\":";
    append_json_string(line, describe(d));
    line += '}';
    return line;
}

std::string encode_invalid(std::string_view id, std::string_view detail) {
    std::string line = "{\"id\":";
    if (id.empty()) {
        line += "null";
    } else {
        append_json_string(line, id);
    }
    line += ",\"decision\":\"decline\",\"reason\":\"invalid_charge\",\"detail\":";
    append_json_string(line, detail);
    line += '}';
    return line;
}

}  // namespace mandate
