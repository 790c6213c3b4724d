// The names of token and hold statuses, as ledgers store them and answers show them.
#include "mandate/ledger.hpp"

#include <array>
#include <cstddef>

namespace mandate {

namespace {

// Indexed by the enumerator's value, so the tables follow the enums' order.
constexpr std::array<std::string_view, 4> token_status_names = {"active", "revoked", "expired",
                                                                "consumed"};
constexpr std::array<std::string_view, 4> hold_status_names = {"held", "captured", "reversed",
                                                               "expired"};

static_assert(static_cast<std::size_t>(token_status::consumed) + 1 == token_status_names.size());
static_assert(static_cast<std::size_t>(hold_status::expired) + 1 == hold_status_names.size());

template <class Status, std::size_t count>
std::string_view name_of(Status status, const std::array<std::string_view, count>& names) noexcept {
    const auto index = static_cast<std::size_t>(status);
    return index < names.size() ? names[index] : std::string_view("unknown");
}

template <class Status, std::size_t count>
std::optional<Status> status_named(std::string_view text,
                                   const std::array<std::string_view, count>& names) noexcept {
    for (std::size_t index = 0; index < names.size(); ++index) {
        if (names[index] == text) {
            return static_cast<Status>(index);
        }
    }
    return std::nullopt;
}

}  // namespace

std::string_view to_string(token_status status) noexcept {
    return name_of(status, token_status_names);
}

std::optional<token_status> parse_token_status(std::string_view text) noexcept {
    return status_named<token_status>(text, token_status_names);
}

std::string_view to_string(hold_status status) noexcept {
    return name_of(status, hold_status_names);
}

std::optional<hold_status> parse_hold_status(std::string_view text) noexcept {
    return status_named<hold_status>(text, hold_status_names);
}

}  // namespace mandate
