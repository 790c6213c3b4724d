#include "cli/commands.hpp"

namespace mandate::cli {

void add_bench_command(CLI::App&, std::vector<command>&) {}

}  // namespace mandate::cli
