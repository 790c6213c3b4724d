#include "cli/commands.hpp"

namespace mandate::cli {

void add_authoring_commands(CLI::App&, std::vector<command>&) {}

}  // namespace mandate::cli
