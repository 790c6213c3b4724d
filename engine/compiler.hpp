// Checked model to decision graph.
#pragma once

#include <memory>

#include "engine/model.hpp"
#include "engine/program.hpp"

namespace mandate::compiler {

std::unique_ptr<detail::mandate_program> compile(const model::mandate& checked);

}  // namespace mandate::compiler
