// One JSON charge in, one JSON decision out, through the public API:
// decode_charge, authorize, encode_decision.
//
// 1,024 charges as JSON lines vary in id, seller, amount, time, country and items,
// so about half are approved and the rest declined for different reasons. The
// mandate's windows are `total` ones, so charges need not come in time order and
// the stream can go round; its budget is large enough not to run dry.

#include <benchmark/benchmark.h>

#include <cstdio>
#include <random>
#include <string>
#include <vector>

#include "bench/bench_support.hpp"
#include "mandate/json.hpp"

namespace {

using namespace mandate;
using mandate::bench::bind_or_throw;
using mandate::bench::compile_or_throw;

constexpr const char* round_trip_policy = R"(
mandate office() {
  seller in ["acct_staples", "acct_officedepot", "acct_uline"]
  currency USD
  amount <= 150.00 USD
  country in ["US", "CA"]
  valid from 2026-12-01T00:00:00Z until 2027-01-01T00:00:00Z
  budget 1000000000.00 USD total
  limit 1000000000 charges total
  require every item in charge.items: item.category in ["paper", "toner"]
    else decline item_not_allowed
}
)";

std::vector<std::string> charge_lines(std::size_t count) {
    std::mt19937_64 random(31);
    const char* sellers[] = {"acct_staples", "acct_officedepot", "acct_uline", "acct_lookalike"};
    const char* countries[] = {"US", "CA", "US", "FR"};
    const char* categories[] = {"paper", "toner", "paper", "gift_card"};
    std::vector<std::string> lines;
    for (std::size_t i = 0; i < count; ++i) {
        const auto cents = random() % 20000;
        char amount[32];
        std::snprintf(amount, sizeof amount, "%llu.%02llu",
                      static_cast<unsigned long long>(cents / 100),
                      static_cast<unsigned long long>(cents % 100));
        char when[32];
        std::snprintf(when, sizeof when, "2026-12-%02dT%02d:%02d:%02dZ",
                      static_cast<int>(1 + random() % 31), static_cast<int>(random() % 24),
                      static_cast<int>(random() % 60), static_cast<int>(random() % 60));
        lines.push_back(std::string("{\"id\":\"ch_") + std::to_string(100000 + i) +
                        "\",\"amount\":\"" + amount + "\",\"currency\":\"" +
                        (random() % 30 == 0 ? "EUR" : "USD") + "\",\"at\":\"" + when +
                        "\",\"seller\":{\"id\":\"" + sellers[random() % 4] +
                        "\",\"country\":\"" + countries[random() % 4] +
                        "\",\"category\":5943},\"items\":[{\"sku\":\"A4-500\",\"category\":\"" +
                        categories[random() % 4] + "\",\"quantity\":2,\"unit_price\":\"6.25\"}]}");
    }
    return lines;
}

void json_round_trip(benchmark::State& bench) {
    const auto mandate = bind_or_throw(compile_or_throw(round_trip_policy), "office");
    budget_state state(*mandate);
    const std::vector<std::string> lines = charge_lines(1024);

    charge_document document;  // reused: decoding keeps its buffers
    std::string error;
    std::size_t i = 0;
    std::int64_t approved = 0;
    std::int64_t bytes = 0;
    for (auto _ : bench) {
        const std::string& line = lines[i++ % lines.size()];
        if (!decode_charge(line, document, error)) {
            bench.SkipWithError(error.c_str());
            return;
        }
        const decision d = authorize(*mandate, state, document.view());
        const std::string answer = encode_decision(document.view(), d);
        approved += d.approved;
        bytes += static_cast<std::int64_t>(line.size() + answer.size());
        benchmark::DoNotOptimize(answer.data());
    }
    bench.counters["approved_share"] =
        static_cast<double>(approved) / static_cast<double>(bench.iterations());
    bench.SetBytesProcessed(bytes);
}
BENCHMARK(json_round_trip);

}  // namespace

BENCHMARK_MAIN();
