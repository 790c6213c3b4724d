// Compiling policies and deciding charges.
//
//   auto compiled = mandate::compile(source, "office.mandate");
//   if (!compiled.ok()) { print(mandate::render(compiled.diagnostics)); }
//   auto bound = mandate::bind(compiled.policy, "office_supplies", "{}");
//   mandate::budget_state state(*bound.mandate);
//   mandate::decision d = mandate::authorize(*bound.mandate, state, charge);
//
// A compiled policy and a bound mandate are immutable and may be shared by any
// number of threads. A budget_state belongs to one token: the caller serializes
// access to it. decide, record and authorize never allocate (except a rolling
// window growing past its largest size so far), never throw and never look
// anything up by name.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "mandate/charge.hpp"
#include "mandate/decision.hpp"
#include "mandate/diagnostic.hpp"
#include "mandate/money.hpp"
#include "mandate/time.hpp"

namespace mandate {

namespace detail {
struct policy_image;
struct mandate_program;
struct bound_image;
}  // namespace detail

// The parameter types of the language.
// `length` is the language's `duration` (the name would shadow mandate::duration).
enum class param_type : std::uint8_t { text, integer, money, time, length, zone };

struct parameter_info {
    std::string name;
    param_type type;
    bool is_list = false;
    bool has_default = false;
};

// A compiled policy file: one or more mandates.
class policy {
public:
    explicit policy(std::shared_ptr<const detail::policy_image> image);

    const std::string& file_name() const noexcept;
    std::vector<std::string> mandate_names() const;
    bool contains(std::string_view mandate_name) const noexcept;
    std::vector<parameter_info> parameters(std::string_view mandate_name) const;

    const detail::policy_image& image() const noexcept { return *image_; }
    const std::shared_ptr<const detail::policy_image>& shared_image() const noexcept {
        return image_;
    }

private:
    std::shared_ptr<const detail::policy_image> image_;
};

struct compile_result {
    std::shared_ptr<const policy> compiled;  // null when there are errors
    std::vector<diagnostic> diagnostics;     // errors, then warnings

    bool ok() const noexcept { return compiled != nullptr; }
};

// Parses, checks and compiles a policy's source text. Never throws for bad input:
// every mistake is a diagnostic with its position.
compile_result compile(std::string_view source, std::string file_name);

// A mandate with its parameters bound to arguments: what a token enforces.
class bound_mandate {
public:
    explicit bound_mandate(std::shared_ptr<const detail::bound_image> image);

    std::string_view name() const noexcept;
    const detail::bound_image& image() const noexcept { return *image_; }

private:
    std::shared_ptr<const detail::bound_image> image_;
};

struct bind_result {
    std::shared_ptr<const bound_mandate> mandate;  // null on error
    std::vector<std::string> errors;               // one line each

    bool ok() const noexcept { return mandate != nullptr; }
};

// Binds a mandate's parameters from a JSON object of arguments: money as
// "0.05 USD", times as RFC 3339 strings, durations as "1h", zones as IANA names,
// integers as JSON integers, lists as arrays. Parameters with defaults may be left
// out; unknown names and wrong types are errors. An empty mandate_name picks the
// only mandate of a one-mandate policy.
bind_result bind(const std::shared_ptr<const policy>& compiled, std::string_view mandate_name,
                 std::string_view arguments_json);

// The budgets and limits one token has used so far. Sized for one bound mandate.
class budget_state {
public:
    explicit budget_state(const bound_mandate& mandate);
    budget_state(const budget_state& other);
    budget_state(budget_state&& other) noexcept;
    budget_state& operator=(const budget_state& other);
    budget_state& operator=(budget_state&& other) noexcept;
    ~budget_state() = default;

    // One approved charge a rolling window still counts.
    struct event {
        instant at;
        minor_units amount;
    };

    // The slots of a rolling window's ring: an owned array and its length, copied
    // with the state. Half a std::vector: the ring keeps its own size and head.
    class event_slots {
    public:
        event_slots() = default;
        event_slots(const event_slots& other);
        event_slots(event_slots&& other) noexcept
            : slots_(std::exchange(other.slots_, nullptr)),
              capacity_(std::exchange(other.capacity_, 0)) {}
        event_slots& operator=(const event_slots& other);
        event_slots& operator=(event_slots&& other) noexcept;
        ~event_slots() { delete[] slots_; }

        // The number of slots (the ring's capacity), not how many are in use.
        std::uint32_t size() const noexcept { return capacity_; }
        event& operator[](std::uint32_t slot) noexcept { return slots_[slot]; }
        const event& operator[](std::uint32_t slot) const noexcept { return slots_[slot]; }
        event* begin() noexcept { return slots_; }
        event* end() noexcept { return slots_ + capacity_; }
        // Replaces the slots with `capacity` empty ones.
        void reset(std::uint32_t capacity);

    private:
        event* slots_ = nullptr;
        std::uint32_t capacity_ = 0;
    };

    // Per budget or limit clause, in source order. 64 bytes: one cache line.
    struct window {
        minor_units spent = 0;     // approved minor units in the current window
        std::int64_t count = 0;    // approved charges in the current window
        // Rolling windows: the approved charges still inside the window, oldest
        // first, as a ring of `events.size()` slots starting at `head`.
        std::uint32_t head = 0;
        std::uint32_t size = 0;
        period current{};          // calendar windows: the period counted so far
        event_slots events;
    };

    std::span<const window> windows() const noexcept { return {window_data(), window_count_}; }
    std::span<window> windows() noexcept { return {window_data(), window_count_}; }
    // The latest charge time counted, so that charges are counted in time order.
    instant latest() const noexcept { return latest_; }
    void set_latest(instant at) noexcept { latest_ = at; }
    std::int64_t approved_count() const noexcept { return approved_; }
    void add_approved() noexcept { ++approved_; }
    void set_approved_count(std::int64_t count) noexcept { approved_ = count; }

    // The memory the state holds: itself, windows that did not fit inside it, and
    // every rolling window's slots.
    std::size_t owned_bytes() const noexcept;

private:
    // Most mandates have one or two budgets and limits: their windows live inside
    // the state, so a token's usage is one block of memory, read with one miss.
    static constexpr std::uint32_t inline_windows = 2;

    const window* window_data() const noexcept {
        return spilled_ ? spilled_.get() : inline_;
    }
    window* window_data() noexcept { return spilled_ ? spilled_.get() : inline_; }
    void copy_windows_from(const budget_state& other);

    window inline_[inline_windows];
    std::unique_ptr<window[]> spilled_;  // when there are more windows than fit inside
    std::uint32_t window_count_ = 0;
    instant latest_ = instant::min();
    std::int64_t approved_ = 0;
};

// Decides a charge against a bound mandate and the token's usage so far.
// Does not change the state.
decision decide(const bound_mandate& mandate, const budget_state& state,
                const charge& request) noexcept;

// Counts an approved charge in every budget and limit window.
void record(const bound_mandate& mandate, budget_state& state, const charge& request) noexcept;

// decide, then record when approved.
decision authorize(const bound_mandate& mandate, budget_state& state,
                   const charge& request) noexcept;

}  // namespace mandate
