// Small descriptions of compiled steps shared by lint, radius and graph.
#pragma once

#include <string>

#include "engine/program.hpp"

namespace mandate::authoring::detail {

// "seller in", "amount <=", "budget", ...: the clause as the policy spells it.
std::string clause_label(const mandate::detail::step& s);

// "total", "per day in UTC", "per week starting sunday in Europe/Berlin",
// "per rolling 1h". `resolved` gives the zone and length; null leaves them out.
std::string window_label(const mandate::detail::step& s,
                         const mandate::detail::resolved_step* resolved);

// "file:line".
std::string clause_position(const std::string& file, const mandate::detail::step& s);

}  // namespace mandate::authoring::detail
