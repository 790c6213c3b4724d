// A million tokens: what one costs in memory, and what authorizing a charge on a
// random one costs in time once the tokens no longer fit in the caches.
//
// The tokens are instances of four templates from the standard library (a weekly
// allowance, metered API calls with a rolling window, a one-time purchase, a team
// member's share), each bound for 1,000 merchants: 4,000 bound mandates shared by
// a million tokens, 250 each (or for one merchant: four bound mandates). A token is
// its budget state and a pointer to its bound mandate. Each charge goes to a random token, at its
// merchant or (one in eight) another one, for an amount between nothing and 1.3 times the
// template's cap; time moves on 50 ms per charge, so windows roll and refill.

#include <benchmark/benchmark.h>
#include <sys/mman.h>

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "bench/bench_support.hpp"

namespace {

using namespace mandate;
using mandate::bench::at_utc;
using mandate::bench::bind_or_throw;
using mandate::bench::code;
using mandate::bench::compile_or_throw;
using mandate::bench::heap_in_use;

constexpr const char* templates_policy = R"(
mandate weekly_allowance(merchant_id: text, allowance: money, ends_at: time) {
  seller in [merchant_id]
  amount <= allowance
  valid until ends_at
  budget allowance per week starting monday in "UTC"
}

mandate api_metering(payee: text, per_call: money, daily: money) {
  seller in [payee]
  amount <= per_call
  budget daily per day
  limit 1000 charges per rolling 1h
}

mandate one_time_purchase(merchant_id: text, max_amount: money, expires_at: time) {
  seller in [merchant_id]
  amount <= max_amount
  valid until expires_at
  budget max_amount total
  limit 1 charges total
}

mandate team_member(merchant_id: text, per_charge: money, monthly_share: money,
                    ends_at: time) {
  seller in [merchant_id]
  amount <= per_charge
  valid until ends_at
  budget monthly_share per month in "America/New_York"
  limit 100 charges per day in "America/New_York"
}
)";

constexpr std::size_t token_count = 1'000'000;

struct binding {
    std::shared_ptr<const bound_mandate> mandate;
    std::string merchant;
    minor_units cap = 0;  // per charge, in USD cents
};

std::string merchant_name(std::size_t k) { return "acct_" + std::to_string(10'000'000 + k); }

std::vector<binding> bind_templates(const std::shared_ptr<const policy>& compiled,
                                    std::size_t merchants_per_template) {
    std::vector<binding> bindings;
    for (std::size_t k = 0; k < merchants_per_template; ++k) {
        const std::string merchant = merchant_name(k);
        const std::string m = "\"" + merchant + "\"";
        bindings.push_back({bind_or_throw(compiled, "weekly_allowance",
                                          "{\"merchant_id\": " + m +
                                              ", \"allowance\": \"50.00 USD\", "
                                              "\"ends_at\": \"2027-06-01T00:00:00Z\"}"),
                            merchant, 5000});
        bindings.push_back({bind_or_throw(compiled, "api_metering",
                                          "{\"payee\": " + m +
                                              ", \"per_call\": \"0.05 USD\", "
                                              "\"daily\": \"1.00 USD\"}"),
                            merchant, 5});
        bindings.push_back({bind_or_throw(compiled, "one_time_purchase",
                                          "{\"merchant_id\": " + m +
                                              ", \"max_amount\": \"80.00 USD\", "
                                              "\"expires_at\": \"2027-06-01T00:00:00Z\"}"),
                            merchant, 8000});
        bindings.push_back({bind_or_throw(compiled, "team_member",
                                          "{\"merchant_id\": " + m +
                                              ", \"per_charge\": \"100.00 USD\", "
                                              "\"monthly_share\": \"500.00 USD\", "
                                              "\"ends_at\": \"2027-06-01T00:00:00Z\"}"),
                            merchant, 10000});
    }
    return bindings;
}

// A token: its bound mandate and its usage, side by side as an authorizer's table
// of tokens would hold them.
struct token {
    const binding* terms;
    budget_state state;
};

// Asks the kernel to back [begin, begin + bytes) with transparent huge pages, as far
// as whole 2 MiB pages fit inside it. Only advice: the figures say which was used.
void advise_huge_pages(void* begin, std::size_t bytes) {
    constexpr std::uintptr_t huge = std::uintptr_t{2} << 20;
    const auto first = (reinterpret_cast<std::uintptr_t>(begin) + huge - 1) & ~(huge - 1);
    const auto last = (reinterpret_cast<std::uintptr_t>(begin) + bytes) & ~(huge - 1);
    if (last > first) madvise(reinterpret_cast<void*>(first), last - first, MADV_HUGEPAGE);
}

void million_tokens(benchmark::State& bench) {
    const auto compiled = compile_or_throw(templates_policy, "templates.mandate");

    const double heap_before_bindings = heap_in_use();
    const auto merchants = static_cast<std::size_t>(bench.range(0));
    const std::vector<binding> bindings = bind_templates(compiled, merchants);
    const double heap_before_tokens = heap_in_use();

    // Everything the tokens own is counted: the table and each state's windows.
    std::vector<token> tokens;
    tokens.reserve(token_count);
    // An authorizer keeping a million tokens in memory would back its table with
    // huge pages: a random token then costs a cache miss, not a page walk too.
    const bool huge_pages = bench.range(1) != 0;
    if (huge_pages) advise_huge_pages(tokens.data(), token_count * sizeof(token));
    for (std::size_t t = 0; t < token_count; ++t) {
        const binding& b = bindings[t % bindings.size()];
        tokens.push_back(token{&b, budget_state(*b.mandate)});
    }
    const double heap_after_tokens = heap_in_use();

    // Each charge draws its token, amount and seller in the loop.
    mandate::bench::xorshift next(0x9e3779b97f4a7c15ull);

    const currency usd = code("USD");
    instant at = at_utc(2, 0);
    std::int64_t approved = 0;
    for (auto _ : bench) {
        const std::uint64_t roll = next();
        const std::size_t t = (roll >> 20) % token_count;
        token& k = tokens[t];
        const binding& b = *k.terms;
        charge c;
        c.amount = {static_cast<minor_units>((roll & 0xffff) %
                                             static_cast<std::uint64_t>(b.cap * 13 / 10 + 1)),
                    usd};
        at += std::chrono::milliseconds(50);
        c.at = at;
        c.seller_id = (roll >> 16) % 8 == 0 ? std::string_view("acct_other") : b.merchant;
        c.present = field_amount | field_at | field_seller_id;
        const decision d = authorize(*b.mandate, k.state, c);
        approved += d.approved;
        benchmark::DoNotOptimize(d.approved);
    }
    const double heap_after_run = heap_in_use();

    const auto n = static_cast<double>(token_count);
    bench.counters["approved_share"] =
        static_cast<double>(approved) / static_cast<double>(bench.iterations());
    bench.counters["bytes_per_token"] = (heap_after_tokens - heap_before_tokens) / n;
    // Rolling windows keep the charges still inside them: what tokens hold after use.
    bench.counters["bytes_per_token_used"] = (heap_after_run - heap_before_tokens) / n;
    bench.counters["bytes_per_binding"] =
        (heap_before_tokens - heap_before_bindings) / static_cast<double>(bindings.size());
    bench.counters["sizeof_budget_state"] = static_cast<double>(sizeof(budget_state));
}
// The floor under million_tokens: the same table, the same draws and charges, but
// instead of authorizing, the loop reads the token's first window and counts the
// charge in it when it fits under the cap: what touching one random token of a
// million costs on this machine before any mandate is checked.
void million_tokens_floor(benchmark::State& bench) {
    const auto compiled = compile_or_throw(templates_policy, "templates.mandate");
    const std::vector<binding> bindings =
        bind_templates(compiled, static_cast<std::size_t>(bench.range(0)));
    std::vector<token> tokens;
    tokens.reserve(token_count);
    if (bench.range(1) != 0) advise_huge_pages(tokens.data(), token_count * sizeof(token));
    for (std::size_t t = 0; t < token_count; ++t) {
        const binding& b = bindings[t % bindings.size()];
        tokens.push_back(token{&b, budget_state(*b.mandate)});
    }

    mandate::bench::xorshift next(0x9e3779b97f4a7c15ull);
    std::int64_t approved = 0;
    for (auto _ : bench) {
        const std::uint64_t roll = next();
        token& k = tokens[(roll >> 20) % token_count];
        const binding& b = *k.terms;
        const auto units = static_cast<minor_units>(
            (roll & 0xffff) % static_cast<std::uint64_t>(b.cap * 13 / 10 + 1));
        const bool seller_ok = (roll >> 16) % 8 != 0;
        auto& w = k.state.windows()[0];
        const bool fits = seller_ok && units <= b.cap;
        w.spent += fits ? units : 0;
        w.count += fits;
        approved += fits;
        benchmark::DoNotOptimize(w.spent);
    }
    bench.counters["approved_share"] =
        static_cast<double>(approved) / static_cast<double>(bench.iterations());
}
BENCHMARK(million_tokens_floor)->Args({1'000, 0})->Args({1'000, 1});

// million_tokens/<merchants per template>: 1,000 gives 4,000 bound mandates, 250
// tokens each; 1 gives four, shared by 250,000 tokens each, which shows what the
// bound mandates' memory costs beside the tokens' own.
// The second argument backs the token table with huge pages (1) or not (0).
BENCHMARK(million_tokens)->Args({1'000, 0})->Args({1, 0})->Args({1'000, 1})->Args({1, 1});

}  // namespace

BENCHMARK_MAIN();
