#include "cli/commands.hpp"

namespace mandate::cli {

void add_testing_commands(CLI::App&, std::vector<command>&) {}

}  // namespace mandate::cli
