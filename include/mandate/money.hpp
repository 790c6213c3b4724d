// Exact money: an integer count of minor units and its currency.
//
// Amounts are never floating point. A currency's exponent (ISO 4217 "minor unit")
// says how many decimal places its major unit has: USD 2, JPY 0, BHD 3, USDC 6,
// DAI 18. Minor units are a signed 128-bit integer, wide enough for 18-decimal
// assets (about 1.7e20 whole units). Every arithmetic helper here checks for
// overflow and reports it instead of wrapping or throwing, so the evaluator can
// use them on the hot path and decline with a reason.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace mandate {

// Signed count of a currency's minor units (cents for USD, yen for JPY).
__extension__ typedef __int128 minor_units;

// A currency from the built-in table: every active ISO 4217 code plus common
// stablecoins. A default-constructed currency is "none" and matches nothing.
class currency {
public:
    constexpr currency() = default;

    // Looks a code up ("USD", "usdc" is not accepted: codes are upper case).
    static std::optional<currency> find(std::string_view code) noexcept;

    std::string_view code() const noexcept;
    // Decimal places of the major unit: 2 for USD, 0 for JPY, 3 for BHD.
    int exponent() const noexcept;
    bool valid() const noexcept { return index_ != 0; }
    std::uint16_t index() const noexcept { return index_; }

    friend constexpr bool operator==(currency, currency) = default;

    // Number of currencies in the table (not counting "none"), for tests and documentation.
    static std::size_t table_size() noexcept;
    // The table_index-th currency in code order, 0-based; "none" when out of range.
    // at(i).index() is i + 1, since index 0 is "none".
    static currency at(std::size_t table_index) noexcept;

private:
    explicit constexpr currency(std::uint16_t index) : index_(index) {}
    std::uint16_t index_ = 0;
};

struct money {
    minor_units units = 0;
    currency unit;

    friend constexpr bool operator==(const money&, const money&) = default;
};

// Why a decimal amount string was rejected.
enum class amount_error {
    none,
    empty,               // ""
    malformed,           // not digits with an optional '.' and fraction ("1e3", "1.", ".5", "+1")
    negative,            // "-1.00"
    too_many_decimals,   // "1.001" in USD, "1.5" in JPY
    overflow,            // does not fit in minor_units
};

std::string_view describe(amount_error error) noexcept;

// Parses a non-negative decimal amount in major units ("12.50") into minor units of
// `unit`. Fewer decimals than the exponent are allowed ("12.5" USD is 1250); more are
// an error, never rounded. Leading zeros are allowed; signs, exponents, spaces are not.
// A "none" currency has no known places, so every text is `malformed` for it.
amount_error parse_amount(std::string_view text, currency unit, minor_units& out) noexcept;

// "12.50" for 1250 USD, "1250" for 1250 JPY, "-0.005" for -5 BHD.
std::string format_units(minor_units units, int exponent);
// "12.50 USD".
std::string format_money(const money& amount);
// Decimal digits of a 128-bit integer, for messages and JSON.
std::string to_string(minor_units value);

// Overflow-checked arithmetic: return false (and leave `out` unspecified) on overflow.
inline bool checked_add(minor_units a, minor_units b, minor_units& out) noexcept {
    return !__builtin_add_overflow(a, b, &out);
}
inline bool checked_sub(minor_units a, minor_units b, minor_units& out) noexcept {
    return !__builtin_sub_overflow(a, b, &out);
}
inline bool checked_mul(minor_units a, std::int64_t b, minor_units& out) noexcept {
    return !__builtin_mul_overflow(a, static_cast<minor_units>(b), &out);
}

}  // namespace mandate
