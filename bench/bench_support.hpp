// What the benchmarks share: compiling and binding that stop the run with the
// diagnostics in view, times in December 2026 and the heap in use.
#pragma once

#include <malloc.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>

#include "mandate/policy.hpp"

namespace mandate::bench {

inline std::shared_ptr<const policy> compile_or_throw(std::string_view source,
                                                      std::string file_name = "bench.mandate") {
    auto compiled = compile(source, std::move(file_name));
    if (!compiled.ok()) throw std::runtime_error(render(compiled.diagnostics));
    return compiled.compiled;
}

inline std::shared_ptr<const bound_mandate> bind_or_throw(
    const std::shared_ptr<const policy>& compiled, std::string_view mandate_name,
    std::string_view arguments_json = "{}") {
    auto bound = bind(compiled, mandate_name, arguments_json);
    if (!bound.ok()) throw std::runtime_error(bound.errors.front());
    return bound.mandate;
}

inline currency code(std::string_view text) {
    const auto unit = currency::find(text);
    if (!unit) throw std::runtime_error("unknown currency " + std::string(text));
    return *unit;
}

// `seconds` after midnight UTC on `day` December 2026.
inline instant at_utc(int day, std::int64_t seconds) {
    const auto midnight = date::sys_days{date::year{2026} / 12 / day};
    return instant(std::chrono::duration_cast<duration>(midnight.time_since_epoch()) +
                   duration(seconds * 1'000'000));
}

// Bytes the allocator has handed out and not had back: the difference around
// building something is what it owns on the heap, allocator headers included.
// Large blocks (a table of a million tokens) are mapped on their own and counted
// apart from the arena (hblkhd): both are in use.
inline double heap_in_use() {
    const auto heap = mallinfo2();
    return static_cast<double>(heap.uordblks + heap.hblkhd);
}

// A xorshift generator cheap enough to run inside a timed loop: streams planned
// ahead would name only the few thousand tokens they hold.
class xorshift {
public:
    explicit xorshift(std::uint64_t seed) : state_(seed | 1) {}
    std::uint64_t operator()() noexcept {
        state_ ^= state_ << 13;
        state_ ^= state_ >> 7;
        state_ ^= state_ << 17;
        return state_;
    }

private:
    std::uint64_t state_;
};

}  // namespace mandate::bench
