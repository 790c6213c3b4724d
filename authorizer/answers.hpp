// Reading back answers stored for idempotency keys.
#pragma once

#include <optional>
#include <string_view>

#include "mandate/authorizer.hpp"

namespace mandate::detail {

std::optional<authorization_answer> authorization_from_json(std::string_view text);
std::optional<lifecycle_answer> lifecycle_from_json(std::string_view text);

}  // namespace mandate::detail
