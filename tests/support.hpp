// Helpers shared by the test files: compiling and binding that fail the test with
// the diagnostics in view, a token (policy, bound mandate, budget state), and the
// language example from the mandate issue.
#pragma once

#include <catch2/catch.hpp>

#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>

#include "mandate/policy.hpp"

namespace mandate::testing {

// The whole file, bytes as they are; fails the test when it cannot be read.
inline std::string read_file(const std::filesystem::path& path) {
    std::error_code error;
    const auto size = std::filesystem::file_size(path, error);
    INFO(path.string());
    REQUIRE_FALSE(error);
    std::string bytes(static_cast<std::size_t>(size), '\0');
    std::ifstream in(path, std::ios::binary);
    in.read(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    REQUIRE(in.good());
    return bytes;
}

// What a shell command printed and how it ended.
struct run_result {
    int exit_code = -1;  // -1 when it did not exit (a signal)
    std::string output;
};

// Runs `command` with sh and collects its standard output (the command redirects
// standard error itself where the test wants it).
inline run_result run_shell(const std::string& command) {
    run_result result;
    FILE* pipe = ::popen(command.c_str(), "r");
    REQUIRE(pipe != nullptr);
    std::array<char, 4096> buffer{};
    std::size_t read = 0;
    while ((read = std::fread(buffer.data(), 1, buffer.size(), pipe)) > 0) {
        result.output.append(buffer.data(), read);
    }
    const int status = ::pclose(pipe);
    result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    return result;
}

// A fresh directory under the temporary directory, removed with its contents.
class scratch_dir {
public:
    explicit scratch_dir(const std::string& prefix = "mandate-test") {
        std::string pattern =
            (std::filesystem::temp_directory_path() / (prefix + "-XXXXXX")).string();
        if (::mkdtemp(pattern.data()) == nullptr) {
            throw std::runtime_error("cannot create a directory like " + pattern);
        }
        path_ = pattern;
    }
    ~scratch_dir() {
        std::error_code ignored;
        std::filesystem::remove_all(path_, ignored);
    }
    scratch_dir(const scratch_dir&) = delete;
    scratch_dir& operator=(const scratch_dir&) = delete;

    const std::filesystem::path& path() const noexcept { return path_; }
    std::string file(const std::string& name) const { return (path_ / name).string(); }

private:
    std::filesystem::path path_;
};

// The example the language was specified with, verbatim.
inline constexpr const char* office_example =
    "mandate office_supplies(zone: zone = \"America/New_York\") {\n"
    R"(  seller in ["acct_staples", "acct_officedepot"]
  domain in ["staples.com", "*.officedepot.com"]
  currency USD
  amount <= 150.00 USD
  category in [5111, 5943]
  country in ["US", "CA"]
  valid from 2026-12-01T00:00:00Z until 2026-12-08T00:00:00Z
  budget 25.00 USD per week starting monday in zone
  budget 500.00 USD total
  limit 20 charges per day
  limit 5 charges per rolling 1h
  require every item in charge.items: item.category in ["paper", "toner"]
    else decline item_not_allowed
  decline sanctioned_country when charge.seller.country in ["KP", "IR"]
}
)";

inline std::shared_ptr<const policy> compile_ok(const std::string& source,
                                                std::string file_name = "test.mandate") {
    auto result = compile(source, std::move(file_name));
    INFO(source);
    INFO(render(result.diagnostics));
    REQUIRE(result.ok());
    return result.compiled;
}

inline std::shared_ptr<const bound_mandate> bind_ok(const std::shared_ptr<const policy>& compiled,
                                                    std::string_view name,
                                                    std::string_view arguments) {
    auto result = bind(compiled, name, arguments);
    std::string errors;
    for (const auto& e : result.errors) errors += e + "\n";
    INFO(errors);
    REQUIRE(result.ok());
    return result.mandate;
}

// A policy, one bound mandate and its token's state.
struct token {
    std::shared_ptr<const policy> compiled;
    std::shared_ptr<const bound_mandate> mandate;
    std::unique_ptr<budget_state> state;

    token(std::shared_ptr<const policy> policy_, std::string_view arguments = "{}",
          std::string_view name = "")
        : compiled(std::move(policy_)),
          mandate(bind_ok(compiled, name, arguments)),
          state(std::make_unique<budget_state>(*mandate)) {}

    decision authorize(const charge& request) {
        return mandate::authorize(*mandate, *state, request);
    }
    decision decide(const charge& request) const {
        return mandate::decide(*mandate, *state, request);
    }
};

inline token make_token(const std::string& source, std::string_view arguments = "{}",
                        std::string_view name = "") {
    return token(compile_ok(source), arguments, name);
}

}  // namespace mandate::testing
