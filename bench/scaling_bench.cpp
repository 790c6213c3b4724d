// How the cost of a decision grows: with the number of clauses in a mandate, the
// size of a seller list, the number of line items in a charge, the number of
// tokens, and threads working on independent tokens.
//
// Every benchmark is named scale_<dimension>/<n>, so that plots can group them
// by dimension. Each decides a stream of varied charges (sellers, amounts, times,
// approvals and declines), never one charge repeated.

#include <benchmark/benchmark.h>

#include <algorithm>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "bench/bench_support.hpp"

namespace {

using namespace mandate;
using mandate::bench::at_utc;
using mandate::bench::bind_or_throw;
using mandate::bench::code;
using mandate::bench::compile_or_throw;

constexpr std::size_t stream_size = 4096;

// Decides `charges` in turn against one token; counts the approved share.
void decide_stream(benchmark::State& bench, const bound_mandate& mandate,
                   const budget_state& state, const std::vector<charge>& charges) {
    std::size_t i = 0;
    std::int64_t approved = 0;
    for (auto _ : bench) {
        const decision d = decide(mandate, state, charges[i++ % charges.size()]);
        approved += d.approved;
        benchmark::DoNotOptimize(d.approved);
    }
    bench.counters["approved_share"] =
        static_cast<double>(approved) / static_cast<double>(bench.iterations());
}

// --- clauses: a mandate of n clauses, nearly all of which every charge passes --------

// Clause k of a mandate of n: caps, seller lists, conditions and calendar budgets in
// turn, so the mix of work stays the same as n grows. The last clause is a cap that
// one charge in five is over.
std::string clause(std::size_t k, std::size_t n) {
    if (k + 1 == n) return "  amount <= 160.00 USD\n";
    switch (k % 4) {
        case 0: return "  amount <= " + std::to_string(1000 + k) + ".00 USD\n";
        case 1:
            return "  seller in [\"acct_a\", \"acct_b\", \"acct_c\", \"acct_" +
                   std::to_string(k) + "\"]\n";
        case 2: return "  require charge.amount >= 0.01 USD or charge.seller.id == \"acct_z\"\n";
        default: return "  budget " + std::to_string(100000 + k) + ".00 USD per day\n";
    }
}

void scale_clauses(benchmark::State& bench) {
    const auto n = static_cast<std::size_t>(bench.range(0));
    std::string source = "mandate wide() {\n";
    for (std::size_t k = 0; k < n; ++k) source += clause(k, n);
    source += "}\n";
    const auto mandate = bind_or_throw(compile_or_throw(source), "wide");
    const budget_state state(*mandate);

    std::mt19937_64 random(7);
    const std::string_view sellers[] = {"acct_a", "acct_b", "acct_c"};
    std::vector<charge> charges(stream_size);
    for (auto& c : charges) {
        c.amount = {static_cast<minor_units>(100 + random() % 19900), code("USD")};
        c.at = at_utc(15, static_cast<std::int64_t>(random() % 86400));
        c.seller_id = sellers[random() % 3];
        c.present = field_amount | field_at | field_seller_id;
    }
    decide_stream(bench, *mandate, state, charges);
}
BENCHMARK(scale_clauses)->Arg(1)->Arg(4)->Arg(16)->Arg(64)->Arg(256);

// --- sellers: `seller in sellers` with a list of n sellers bound per token ----------

std::string seller_name(std::size_t k) { return "acct_" + std::to_string(1'000'000 + k * 7); }

void scale_sellers(benchmark::State& bench) {
    const auto n = static_cast<std::size_t>(bench.range(0));
    std::string arguments = "{\"sellers\": [";
    for (std::size_t k = 0; k < n; ++k) {
        arguments += (k == 0 ? "\"" : ", \"") + seller_name(k) + "\"";
    }
    arguments += "]}";
    const auto compiled = compile_or_throw(
        "mandate sellers(sellers: list<text>) {\n  seller in sellers\n"
        "  amount <= 150.00 USD\n}\n");
    const auto mandate = bind_or_throw(compiled, "sellers", arguments);
    const budget_state state(*mandate);

    // Three charges in four name a listed seller, anywhere in the list; the rest name
    // one that is not listed but looks alike.
    std::mt19937_64 random(11);
    std::vector<std::string> names(stream_size);
    std::vector<charge> charges(stream_size);
    for (std::size_t i = 0; i < stream_size; ++i) {
        const std::size_t k = random() % n;
        names[i] = random() % 4 == 0 ? seller_name(k) + "x" : seller_name(k);
        charges[i].amount = {static_cast<minor_units>(random() % 20000), code("USD")};
        charges[i].seller_id = names[i];
        charges[i].present = field_amount | field_seller_id;
    }
    decide_stream(bench, *mandate, state, charges);
}
BENCHMARK(scale_sellers)->RangeMultiplier(10)->Range(1, 100'000);

// --- line items: `require every item ...` over charges of n items -------------------

void scale_line_items(benchmark::State& bench) {
    const auto n = static_cast<std::size_t>(bench.range(0));
    const auto mandate = bind_or_throw(
        compile_or_throw("mandate items() {\n"
                         "  amount <= 1000000.00 USD\n"
                         "  require every item in charge.items:\n"
                         "    item.category in [\"paper\", \"toner\", \"ink\"] and\n"
                         "    item.quantity <= 10\n"
                         "    else decline item_not_allowed\n"
                         "}\n"),
        "items");
    const budget_state state(*mandate);

    // Few charges when they are long: the stream holds about 64k items at most.
    const std::size_t charges_count = std::clamp<std::size_t>(65536 / n, 4, 256);
    std::mt19937_64 random(13);
    const std::string_view categories[] = {"paper", "toner", "ink"};
    std::vector<std::vector<line_item>> items(charges_count);
    std::vector<charge> charges(charges_count);
    for (std::size_t i = 0; i < charges_count; ++i) {
        items[i].resize(n);
        for (auto& line : items[i]) {
            line.sku = "A4-500";
            line.category = categories[random() % 3];
            line.quantity = static_cast<std::int64_t>(1 + random() % 10);
            line.unit_price = 625;
            line.present = item_sku | item_category | item_quantity | item_unit_price;
        }
        // One charge in four has one line out of bounds somewhere: a decline.
        if (random() % 4 == 0) items[i][random() % n].quantity = 11;
        charges[i].amount = {static_cast<minor_units>(625 * n), code("USD")};
        charges[i].items = items[i];
        charges[i].present = field_amount | field_items;
    }
    decide_stream(bench, *mandate, state, charges);
    bench.counters["items_per_second"] = benchmark::Counter(
        static_cast<double>(n) * static_cast<double>(bench.iterations()),
        benchmark::Counter::kIsRate);
}
BENCHMARK(scale_line_items)->RangeMultiplier(10)->Range(1, 10'000);

// --- tokens: authorize (decide and record) charges on random tokens of n ------------

constexpr const char* token_policy = R"(
mandate allowance(merchant_id: text) {
  seller in [merchant_id]
  currency USD
  amount <= 150.00 USD
  budget 400.00 USD per day
  limit 50 charges per rolling 1h
}
)";

// Authorizes charges on random tokens of `states`: the token's merchant or (one in
// eight) another seller, 0.00 to 199.99 USD. Time moves on by `step_us` per charge,
// so a token's charges come in order and its windows fill and drain.
void authorize_random(benchmark::State& bench, const bound_mandate& mandate,
                      std::vector<budget_state>& states, std::uint64_t seed,
                      std::int64_t step_us) {
    mandate::bench::xorshift next(seed);
    const currency usd = code("USD");
    instant at = at_utc(2, 0);
    std::int64_t approved = 0;
    for (auto _ : bench) {
        const std::uint64_t roll = next();
        charge c;
        c.amount = {static_cast<minor_units>((roll & 0xffff) % 20000), usd};
        c.seller_id = (roll >> 16) % 8 == 0 ? "acct_other" : "acct_merchant";
        at += duration(step_us);
        c.at = at;
        c.present = field_amount | field_at | field_seller_id;
        const decision d = authorize(mandate, states[(roll >> 20) % states.size()], c);
        approved += d.approved;
        benchmark::DoNotOptimize(d.approved);
    }
    // Per thread, averaged over threads.
    bench.counters["approved_share"] = benchmark::Counter(
        static_cast<double>(approved) / static_cast<double>(bench.iterations()),
        benchmark::Counter::kAvgThreads);
    bench.SetItemsProcessed(bench.iterations());
}

const bound_mandate& shared_allowance() {
    static const auto mandate = bind_or_throw(compile_or_throw(token_policy), "allowance",
                                              R"({"merchant_id": "acct_merchant"})");
    return *mandate;
}

// Each token sees a charge about every three hours of charge time, whatever n is,
// so the share approved (about half) does not depend on n.
constexpr std::int64_t token_interval_us = 3 * 3600 * std::int64_t{1'000'000};

void scale_tokens(benchmark::State& bench) {
    const auto n = static_cast<std::int64_t>(bench.range(0));
    std::vector<budget_state> states(static_cast<std::size_t>(n),
                                     budget_state(shared_allowance()));
    authorize_random(bench, shared_allowance(), states, 17,
                     std::max<std::int64_t>(1, token_interval_us / n));
}
BENCHMARK(scale_tokens)->RangeMultiplier(10)->Range(1, 1'000'000);

// Each thread authorizes on its own tokens of one shared mandate: a bound mandate
// is immutable and shared without a lock.
void scale_threads(benchmark::State& bench) {
    constexpr std::int64_t tokens_per_thread = 10'000;
    std::vector<budget_state> states(tokens_per_thread, budget_state(shared_allowance()));
    authorize_random(bench, shared_allowance(), states,
                     19 + static_cast<std::uint64_t>(bench.thread_index()),
                     token_interval_us / tokens_per_thread);
}
// Real time: with two threads, each iteration's CPU time would hide serialization.
BENCHMARK(scale_threads)->Threads(1)->Threads(2)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
