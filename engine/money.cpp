#include "mandate/money.hpp"

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>

namespace mandate {

namespace {

__extension__ typedef unsigned __int128 unsigned_units;

struct currency_entry {
    std::string_view code;
    int exponent;
};

// Every active ISO 4217 code that has a minor unit, plus stablecoins at their token decimals.
// Sorted by code; entry 0 is the "none" currency.
//
// Left out on purpose:
// - XAG, XAU, XPD, XPT (precious metals), XBA, XBB, XBC, XBD (bond market units), XDR, XSU,
//   XUA (accounting units), XTS (testing) and XXX (no currency): ISO gives them no minor unit,
//   so no amount in them is exact, and no charge should be made in them.
// - HRK: withdrawn when Croatia moved to the euro in 2023.
// Kept while ISO still lists them during a changeover: ANG (to XCG), BGN (to EUR), CUC,
// SLL (to SLE), ZWL (to ZWG).
constexpr std::array currency_table{
    currency_entry{"", 0},
    currency_entry{"AED", 2},   currency_entry{"AFN", 2},   currency_entry{"ALL", 2},
    currency_entry{"AMD", 2},   currency_entry{"ANG", 2},   currency_entry{"AOA", 2},
    currency_entry{"ARS", 2},   currency_entry{"AUD", 2},   currency_entry{"AWG", 2},
    currency_entry{"AZN", 2},   currency_entry{"BAM", 2},   currency_entry{"BBD", 2},
    currency_entry{"BDT", 2},   currency_entry{"BGN", 2},   currency_entry{"BHD", 3},
    currency_entry{"BIF", 0},   currency_entry{"BMD", 2},   currency_entry{"BND", 2},
    currency_entry{"BOB", 2},   currency_entry{"BOV", 2},   currency_entry{"BRL", 2},
    currency_entry{"BSD", 2},   currency_entry{"BTN", 2},   currency_entry{"BWP", 2},
    currency_entry{"BYN", 2},   currency_entry{"BZD", 2},   currency_entry{"CAD", 2},
    currency_entry{"CDF", 2},   currency_entry{"CHE", 2},   currency_entry{"CHF", 2},
    currency_entry{"CHW", 2},   currency_entry{"CLF", 4},   currency_entry{"CLP", 0},
    currency_entry{"CNY", 2},   currency_entry{"COP", 2},   currency_entry{"COU", 2},
    currency_entry{"CRC", 2},   currency_entry{"CUC", 2},   currency_entry{"CUP", 2},
    currency_entry{"CVE", 2},   currency_entry{"CZK", 2},   currency_entry{"DAI", 18},
    currency_entry{"DJF", 0},   currency_entry{"DKK", 2},   currency_entry{"DOP", 2},
    currency_entry{"DZD", 2},   currency_entry{"EGP", 2},   currency_entry{"ERN", 2},
    currency_entry{"ETB", 2},   currency_entry{"EUR", 2},   currency_entry{"EURC", 6},
    currency_entry{"FJD", 2},   currency_entry{"FKP", 2},   currency_entry{"GBP", 2},
    currency_entry{"GEL", 2},   currency_entry{"GHS", 2},   currency_entry{"GIP", 2},
    currency_entry{"GMD", 2},   currency_entry{"GNF", 0},   currency_entry{"GTQ", 2},
    currency_entry{"GYD", 2},   currency_entry{"HKD", 2},   currency_entry{"HNL", 2},
    currency_entry{"HTG", 2},   currency_entry{"HUF", 2},   currency_entry{"IDR", 2},
    currency_entry{"ILS", 2},   currency_entry{"INR", 2},   currency_entry{"IQD", 3},
    currency_entry{"IRR", 2},   currency_entry{"ISK", 0},   currency_entry{"JMD", 2},
    currency_entry{"JOD", 3},   currency_entry{"JPY", 0},   currency_entry{"KES", 2},
    currency_entry{"KGS", 2},   currency_entry{"KHR", 2},   currency_entry{"KMF", 0},
    currency_entry{"KPW", 2},   currency_entry{"KRW", 0},   currency_entry{"KWD", 3},
    currency_entry{"KYD", 2},   currency_entry{"KZT", 2},   currency_entry{"LAK", 2},
    currency_entry{"LBP", 2},   currency_entry{"LKR", 2},   currency_entry{"LRD", 2},
    currency_entry{"LSL", 2},   currency_entry{"LYD", 3},   currency_entry{"MAD", 2},
    currency_entry{"MDL", 2},   currency_entry{"MGA", 2},   currency_entry{"MKD", 2},
    currency_entry{"MMK", 2},   currency_entry{"MNT", 2},   currency_entry{"MOP", 2},
    currency_entry{"MRU", 2},   currency_entry{"MUR", 2},   currency_entry{"MVR", 2},
    currency_entry{"MWK", 2},   currency_entry{"MXN", 2},   currency_entry{"MXV", 2},
    currency_entry{"MYR", 2},   currency_entry{"MZN", 2},   currency_entry{"NAD", 2},
    currency_entry{"NGN", 2},   currency_entry{"NIO", 2},   currency_entry{"NOK", 2},
    currency_entry{"NPR", 2},   currency_entry{"NZD", 2},   currency_entry{"OMR", 3},
    currency_entry{"PAB", 2},   currency_entry{"PEN", 2},   currency_entry{"PGK", 2},
    currency_entry{"PHP", 2},   currency_entry{"PKR", 2},   currency_entry{"PLN", 2},
    currency_entry{"PYG", 0},   currency_entry{"PYUSD", 6}, currency_entry{"QAR", 2},
    currency_entry{"RON", 2},   currency_entry{"RSD", 2},   currency_entry{"RUB", 2},
    currency_entry{"RWF", 0},   currency_entry{"SAR", 2},   currency_entry{"SBD", 2},
    currency_entry{"SCR", 2},   currency_entry{"SDG", 2},   currency_entry{"SEK", 2},
    currency_entry{"SGD", 2},   currency_entry{"SHP", 2},   currency_entry{"SLE", 2},
    currency_entry{"SLL", 2},   currency_entry{"SOS", 2},   currency_entry{"SRD", 2},
    currency_entry{"SSP", 2},   currency_entry{"STN", 2},   currency_entry{"SVC", 2},
    currency_entry{"SYP", 2},   currency_entry{"SZL", 2},   currency_entry{"THB", 2},
    currency_entry{"TJS", 2},   currency_entry{"TMT", 2},   currency_entry{"TND", 3},
    currency_entry{"TOP", 2},   currency_entry{"TRY", 2},   currency_entry{"TTD", 2},
    currency_entry{"TWD", 2},   currency_entry{"TZS", 2},   currency_entry{"UAH", 2},
    currency_entry{"UGX", 0},   currency_entry{"USD", 2},   currency_entry{"USDC", 6},
    currency_entry{"USDT", 6},  currency_entry{"USN", 2},   currency_entry{"UYI", 0},
    currency_entry{"UYU", 2},   currency_entry{"UYW", 4},   currency_entry{"UZS", 2},
    currency_entry{"VED", 2},   currency_entry{"VES", 2},   currency_entry{"VND", 0},
    currency_entry{"VUV", 0},   currency_entry{"WST", 2},   currency_entry{"XAF", 0},
    currency_entry{"XCD", 2},   currency_entry{"XCG", 2},   currency_entry{"XOF", 0},
    currency_entry{"XPF", 0},   currency_entry{"YER", 2},   currency_entry{"ZAR", 2},
    currency_entry{"ZMW", 2},   currency_entry{"ZWG", 2},   currency_entry{"ZWL", 2},
};

constexpr std::size_t max_code_length = 5;
constexpr int max_exponent = 18;  // 10^18 still fits the int64_t factor of checked_mul
constexpr int max_digits = 39;    // of the largest minor_units magnitude, 2^127

// Packs an upper-case code of 3 to 5 letters into an integer, big-endian and zero padded, so
// integer order is string order and lookup compares one word per step. 0 means "not a code".
constexpr std::uint64_t pack_code(std::string_view code) noexcept {
    if (code.size() < 3 || code.size() > max_code_length) {
        return 0;
    }

    std::uint64_t key = 0;
    for (std::size_t i = 0; i < max_code_length; ++i) {
        std::uint64_t letter = 0;
        if (i < code.size()) {
            const char c = code[i];
            if (c < 'A' || c > 'Z') {
                return 0;
            }
            letter = static_cast<std::uint64_t>(static_cast<unsigned char>(c));
        }
        key = (key << 8) | letter;
    }
    return key;
}

constexpr auto make_keys() noexcept {
    std::array<std::uint64_t, currency_table.size()> keys{};
    for (std::size_t i = 0; i < currency_table.size(); ++i) {
        keys[i] = pack_code(currency_table[i].code);
    }
    return keys;
}

constexpr auto currency_keys = make_keys();

constexpr bool table_is_well_formed() noexcept {
    for (std::size_t i = 1; i < currency_table.size(); ++i) {
        const bool valid_code = currency_keys[i] != 0;
        const bool ascending = currency_keys[i - 1] < currency_keys[i];
        const int exponent = currency_table[i].exponent;
        if (!valid_code || !ascending || exponent < 0 || exponent > max_exponent) {
            return false;
        }
    }
    return currency_table[0].code.empty() && currency_keys[0] == 0;
}

static_assert(table_is_well_formed(), "currency table must be sorted, unique and well formed");
static_assert(currency_table.size() <= UINT16_MAX, "currency index is 16 bits");

constexpr std::array<std::int64_t, max_exponent + 1> powers_of_ten = [] {
    std::array<std::int64_t, max_exponent + 1> powers{1};
    for (std::size_t i = 1; i < powers.size(); ++i) {
        powers[i] = powers[i - 1] * 10;
    }
    return powers;
}();

// Appends the digits [first, last) to `value`, failing on overflow. Up to 18 digits at a time
// fit in 64 bits, so the 128-bit checks run once per chunk instead of once per digit.
bool accumulate_digits(const char* first, const char* last, minor_units& value) noexcept {
    constexpr std::ptrdiff_t chunk_digits = powers_of_ten.size() - 1;
    while (first != last) {
        const auto length = std::min(last - first, chunk_digits);
        const char* const chunk_end = first + length;
        std::int64_t chunk = 0;
        for (; first != chunk_end; ++first) {
            chunk = chunk * 10 + (*first - '0');
        }

        const auto shift = powers_of_ten[static_cast<std::size_t>(length)];
        if (!checked_mul(value, shift, value) || !checked_add(value, chunk, value)) {
            return false;
        }
    }
    return true;
}

bool is_digit(char c) noexcept { return c >= '0' && c <= '9'; }

// The grammar and the arithmetic, for a text that carries no sign.
amount_error parse_unsigned(std::string_view text, int exponent, minor_units& out) noexcept {
    if (text.empty()) {
        return amount_error::empty;
    }

    const char* const begin = text.data();
    const char* const end = begin + text.size();
    const char* integer_end = begin;
    while (integer_end != end && is_digit(*integer_end)) {
        ++integer_end;
    }
    if (integer_end == begin) {
        return amount_error::malformed;
    }

    const char* fraction_begin = integer_end;
    const char* fraction_end = integer_end;
    if (integer_end != end) {
        if (*integer_end != '.') {
            return amount_error::malformed;
        }
        fraction_begin = integer_end + 1;
        fraction_end = fraction_begin;
        while (fraction_end != end && is_digit(*fraction_end)) {
            ++fraction_end;
        }
        if (fraction_end == fraction_begin || fraction_end != end) {
            return amount_error::malformed;
        }
    }

    // Reject extra places even when they are zeros: the amount must be written as the
    // currency is, and nothing is ever rounded.
    const auto fraction_digits = fraction_end - fraction_begin;
    if (fraction_digits > exponent) {
        return amount_error::too_many_decimals;
    }

    minor_units value = 0;
    if (!accumulate_digits(begin, integer_end, value) ||
        !accumulate_digits(fraction_begin, fraction_end, value)) {
        return amount_error::overflow;
    }

    const auto missing_places = static_cast<std::size_t>(exponent - fraction_digits);
    if (!checked_mul(value, powers_of_ten[missing_places], value)) {
        return amount_error::overflow;
    }

    out = value;
    return amount_error::none;
}

// Decimal digits of `value`, written backwards so they end at `last`; returns the first.
char* write_digits(unsigned_units value, char* last) noexcept {
    do {
        *--last = static_cast<char>('0' + static_cast<int>(value % 10));
        value /= 10;
    } while (value != 0);
    return last;
}

unsigned_units magnitude(minor_units value) noexcept {
    // Unsigned negation is defined for the minimum value too.
    const auto bits = static_cast<unsigned_units>(value);
    return value < 0 ? unsigned_units{0} - bits : bits;
}

}  // namespace

std::optional<currency> currency::find(std::string_view code) noexcept {
    const std::uint64_t key = pack_code(code);
    if (key == 0) {
        return std::nullopt;
    }

    const auto first = currency_keys.begin() + 1;
    const auto found = std::lower_bound(first, currency_keys.end(), key);
    if (found == currency_keys.end() || *found != key) {
        return std::nullopt;
    }
    return currency(static_cast<std::uint16_t>(found - currency_keys.begin()));
}

std::string_view currency::code() const noexcept {
    return index_ < currency_table.size() ? currency_table[index_].code : std::string_view{};
}

int currency::exponent() const noexcept {
    return index_ < currency_table.size() ? currency_table[index_].exponent : 0;
}

std::size_t currency::table_size() noexcept { return currency_table.size() - 1; }

currency currency::at(std::size_t table_index) noexcept {
    if (table_index >= table_size()) {
        return currency{};
    }
    return currency(static_cast<std::uint16_t>(table_index + 1));
}

std::string_view describe(amount_error error) noexcept {
    switch (error) {
    case amount_error::none:
        return "ok";
    case amount_error::empty:
        return "amount is empty";
    case amount_error::malformed:
        return "amount must be digits with an optional '.' and fraction, like 12.50";
    case amount_error::negative:
        return "amount must not be negative";
    case amount_error::too_many_decimals:
        return "amount has more decimal places than the currency allows";
    case amount_error::overflow:
        return "amount is too large";
    }
    return "unknown amount error";
}

amount_error parse_amount(std::string_view text, currency unit, minor_units& out) noexcept {
    // Without a known currency the places are unknown, so nothing can be read exactly.
    if (!unit.valid()) {
        return amount_error::malformed;
    }

    const int exponent = unit.exponent();
    if (!text.empty() && text.front() == '-') {
        // Name the sign as the reason only when the rest is a number at all.
        minor_units ignored = 0;
        const amount_error rest = parse_unsigned(text.substr(1), exponent, ignored);
        const bool numeric = rest != amount_error::empty && rest != amount_error::malformed;
        return numeric ? amount_error::negative : amount_error::malformed;
    }
    return parse_unsigned(text, exponent, out);
}

std::string to_string(minor_units value) {
    std::array<char, max_digits + 1> buffer{};
    char* const last = buffer.data() + buffer.size();
    char* first = write_digits(magnitude(value), last);
    if (value < 0) {
        *--first = '-';
    }
    return std::string(first, last);
}

std::string format_units(minor_units units, int exponent) {
    const auto places = static_cast<std::size_t>(std::clamp(exponent, 0, max_digits));

    // Room for the sign, a leading zero and the point around the digits.
    std::array<char, max_digits + 3> buffer{};
    char* const last = buffer.data() + buffer.size();
    char* first = write_digits(magnitude(units), last);
    if (places > 0) {
        // At least one digit before the point: 5 BHD minor units is 0.005.
        char* const point = last - places;
        while (first >= point) {
            *--first = '0';
        }
        std::move(first, point, first - 1);
        --first;
        *(point - 1) = '.';
    }

    if (units < 0) {
        *--first = '-';
    }
    return std::string(first, last);
}

std::string format_money(const money& amount) {
    std::string text = format_units(amount.units, amount.unit.exponent());
    const std::string_view code = amount.unit.code();
    if (!code.empty()) {
        text += ' ';
        text += code;
    }
    return text;
}

}  // namespace mandate
