// The decision graph: a compiled mandate laid out for evaluation.
//
// A mandate compiles to a list of steps, one per clause, in source order. Built-in
// clauses (seller, amount, budget, ...) are specialized steps that compare the
// charge against operands resolved when a token binds its arguments. `require`
// and `decline ... when` conditions are expression trees stored as a flat array of
// nodes that refer to each other by index. Nothing here is looked up by name
// while deciding.
#pragma once

#include <array>
#include <cstdint>
#include <cstring>
#include <deque>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include "engine/model.hpp"
#include "mandate/charge.hpp"
#include "mandate/decision.hpp"
#include "mandate/policy.hpp"

namespace mandate::detail {

enum class value_kind : std::uint8_t {
    none,
    boolean,
    integer,
    money,
    text,
    time,
    duration,
    zone,
    item,
    items,  // the charge's line items
    list,   // a list resolved at compile or bind time
};

struct value;
using value_list = std::vector<value>;

// One runtime value. Plain data: copying it never allocates.
struct value {
    value_kind kind = value_kind::none;
    bool boolean = false;
    currency unit;
    std::int64_t integer = 0;  // int; time and duration in microseconds
    minor_units units = 0;
    std::string_view text;
    const date::time_zone* zone = nullptr;
    const line_item* item = nullptr;
    std::span<const line_item> items;
    const value_list* list = nullptr;
};

// A set resolved ahead of time, for `in` and the list clauses.
struct string_hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view text) const noexcept {
        return std::hash<std::string_view>{}(text);
    }
};

// A text's size and its first and last eight bytes (overlapping below sixteen
// bytes, zero-padded below eight). Two texts are equal when their keys are and,
// past sixteen bytes, their middles too: most texts differ in size or in the
// words the key holds, and are told apart without a call to memcmp.
struct text_key {
    std::uint64_t head = 0;
    std::uint64_t tail = 0;
    std::size_t size = 0;
    const char* data = nullptr;

    static text_key of(std::string_view text) noexcept {
        text_key key;
        key.size = text.size();
        key.data = text.data();
        if (text.size() >= 8) {
            std::memcpy(&key.head, text.data(), 8);
            std::memcpy(&key.tail, text.data() + text.size() - 8, 8);
        } else {
            for (std::size_t i = 0; i < text.size(); ++i) {
                key.head |= std::uint64_t{static_cast<unsigned char>(text[i])} << (8 * i);
            }
        }
        return key;
    }

    bool same_text(const text_key& other) const noexcept {
        return size == other.size && head == other.head && tail == other.tail &&
               (size <= 16 || std::memcmp(data + 8, other.data + 8, size - 16) == 0);
    }
};

struct value_set {
    // Below this many entries comparing keys beats hashing the charge's text.
    static constexpr std::size_t few_limit = 8;

    value_kind element = value_kind::none;
    // While there are few distinct texts, their keys are here too, inside the set:
    // comparing a handful of keys beats hashing the text, and reads no other memory.
    std::uint32_t few_count = 0;
    std::array<text_key, few_limit> few_texts{};
    std::deque<std::string> storage;  // owns the text the views below point at
    // Every distinct text is in `texts`.
    std::unordered_set<std::string_view, string_hash, std::equal_to<>> texts;
    std::vector<std::int64_t> integers;       // sorted
    std::vector<value> others;                // money and the rest: linear
    // Domains: exact names, and suffixes of `*.` wildcards ("example.com").
    std::unordered_set<std::string_view, string_hash, std::equal_to<>> exact_domains;
    std::unordered_set<std::string_view, string_hash, std::equal_to<>> wildcard_suffixes;
    std::vector<currency> currencies;

    void add_text(std::string_view text);
    // Inline: on the hot path of every seller clause.
    bool contains_text(std::string_view text) const noexcept {
        if (texts.size() > few_limit) return contains_long_text(text);
        // Which entry matches varies from charge to charge: compare every key
        // without stopping, so there is no branch to mispredict.
        const text_key key = text_key::of(text);
        bool keys_match = false;
        for (std::uint32_t i = 0; i < few_count; ++i) {
            const text_key& candidate = few_texts[i];
            keys_match |= (candidate.size == key.size) & (candidate.head == key.head) &
                          (candidate.tail == key.tail);
        }
        if (!keys_match) return false;
        if (key.size <= 16) return true;  // the key holds the whole text
        for (std::uint32_t i = 0; i < few_count; ++i) {
            if (few_texts[i].same_text(key)) return true;
        }
        return false;
    }
    bool contains_long_text(std::string_view text) const noexcept;
    bool contains_integer(std::int64_t number) const noexcept;
    bool contains(const value& v) const noexcept;
    // `domain` must already be normalized (lower case, no trailing dot).
    bool matches_domain(std::string_view domain) const noexcept;
};

enum class opcode : std::uint8_t {
    constant,      // program constant a
    parameter,     // bound argument a
    variable,      // quantifier variable in slot a
    charge_field,  // field a of the charge (model::field)
    item_field,    // field a of the item in slot b
    logical_not,   // a
    logical_and,   // a, b
    logical_or,    // a, b
    compare,       // a op b
    in_set,        // a in set slot b (negated when op is not_in)
    add,
    subtract,
    multiply,
    negate,
    every,  // list a, slot b, body c
    some,
    sum,
    count,  // list a
    list,   // elements: children[a .. a + b)
};

struct node {
    opcode code = opcode::constant;
    ast::binary_op op = ast::binary_op::equal;
    value_kind result = value_kind::none;
    std::uint32_t a = 0;
    std::uint32_t b = 0;
    std::uint32_t c = 0;
};

inline constexpr std::uint32_t no_node = 0xffffffffu;

enum class step_kind : std::uint8_t {
    seller,
    domain,
    currency,
    amount,
    category,
    country,
    valid,
    budget,
    limit,
    require,
    decline_when,
};

struct step {
    step_kind kind = step_kind::seller;
    reason code = reason::none;
    std::string_view reason_name;  // points into the program's strings
    std::int32_t clause = 0;
    std::uint32_t line = 0;
    std::uint32_t column = 0;
    ast::binary_op compare = ast::binary_op::less_equal;
    std::uint32_t operand = no_node;  // list, cap, budget, count or condition
    std::uint32_t set = no_node;      // set slot for list clauses
    std::uint32_t from = no_node;     // valid
    std::uint32_t until = no_node;
    // budget and limit windows
    model::window_kind window = model::window_kind::total;
    calendar_unit unit = calendar_unit::day;
    date::weekday week_start = date::Monday;
    std::uint32_t zone = no_node;
    std::uint32_t length = no_node;
    std::uint32_t window_index = 0;
};

// A set whose elements are known when the program compiles (built once) or only
// when a token binds its arguments (built per binding).
struct set_slot {
    std::uint32_t list = no_node;
    bool is_domain = false;
    bool is_currency = false;
    std::shared_ptr<const value_set> compiled;  // null when it needs arguments
};

struct mandate_program {
    std::string name;
    std::vector<model::parameter> parameters;
    std::vector<node> nodes;
    std::vector<std::uint32_t> children;
    std::vector<value> constants;
    std::deque<std::string> strings;  // text constants and reason codes
    std::vector<set_slot> sets;
    std::vector<step> steps;
    std::vector<std::uint32_t> defaults;  // per parameter: its default's node, or no_node
    std::uint32_t variable_slots = 0;
    std::uint32_t window_count = 0;
    bool has_time_windows = false;  // calendar or rolling: charges must come in time order
    bool refunds_restore_budget = false;
};

struct policy_image {
    std::string file_name;
    std::string source;
    std::vector<std::unique_ptr<mandate_program>> mandates;

    const mandate_program* find(std::string_view name) const noexcept;
};

// What one step needs once the arguments are known.
struct resolved_step {
    money amount;                // amount cap, budget
    std::int64_t count = 0;      // limit
    instant from = instant::min();
    instant until = instant::max();
    duration length{};           // rolling windows
    const date::time_zone* zone = nullptr;
    const value_set* set = nullptr;
};

// A step specialised for deciding once a token's arguments are known: the test
// and its operands side by side, one cache line each, so the loop that approves
// a charge reads one array and branches once per step. Built by bind. A failed
// check is explained by running its step, so both always agree on the answer.
enum class check_op : std::uint8_t {
    general,  // no special form: run the step (domain, category, country, conditions)
    seller_in,
    currency_is,  // one currency
    currency_in,
    amount_at_most,
    amount_below,
    amount_at_least,
    amount_above,
    valid_between,
    budget_total,
    budget_calendar,
    budget_rolling,
    limit_total,
    limit_calendar,
    limit_rolling,
};

struct check {
    minor_units units = 0;  // amount cap or minimum, budget
    instant from = instant::min();
    instant until = instant::max();
    std::int64_t count = 0;  // limit
    duration length{};       // rolling windows
    const value_set* set = nullptr;
    std::uint32_t window = 0;  // window index
    currency unit;             // of units; currency_is: the currency
    check_op op = check_op::general;
};

// One check per step of `program`, from the steps as bound.
std::vector<check> specialize(const mandate_program& program,
                              const std::vector<resolved_step>& steps);

struct bound_image {
    // What decide and record read first, side by side.
    // One per step of `checks_program`, or none: decide runs the steps themselves
    // when the checks are not those of this image's program and steps (a copy of
    // an image whose steps were edited).
    std::vector<check> checks;
    const mandate_program* checks_program = nullptr;
    bool has_time_windows = false;  // the program's, copied here
    std::shared_ptr<const policy_image> policy;
    const mandate_program* program = nullptr;
    std::vector<value> arguments;
    std::deque<std::string> strings;   // text arguments
    std::deque<value_list> lists;      // list arguments
    std::vector<std::shared_ptr<const value_set>> owned_sets;
    std::vector<const value_set*> sets;  // by set slot
    std::vector<resolved_step> steps;

    // Reads nothing outside this image.
    bool checks_apply() const noexcept {
        return !checks.empty() && checks_program == program && checks.size() == steps.size();
    }
};

// Evaluation of expression nodes, shared by bind (no charge) and decide.
enum class fault : std::uint8_t { none, missing_field, currency_mismatch, overflow };

struct eval_frame {
    eval_frame(const mandate_program& p, const std::vector<value>& args,
               const std::vector<const value_set*>& resolved_sets) noexcept
        : program(p), arguments(args), sets(resolved_sets) {}

    const mandate_program& program;
    const std::vector<value>& arguments;
    const std::vector<const value_set*>& sets;
    const charge* request = nullptr;  // null while binding
    std::deque<value_list>* scratch = nullptr;  // list storage while binding; null when deciding
    value* variables = nullptr;
    fault failure = fault::none;
    charge_field missing{};
    money left;   // operands of a currency mismatch
    money right;
};

bool evaluate(eval_frame& frame, std::uint32_t index, value& out) noexcept;

// Builds a set from an evaluated list value.
std::shared_ptr<const value_set> build_set(const value& list, bool is_domain, bool is_currency);

}  // namespace mandate::detail
