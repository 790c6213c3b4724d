// The cost of deciding one charge with a compiled mandate, beside a hand-written
// C++ function that makes the same checks on the same inputs.
//
// The mandate is the typical one: a seller list, a currency, a per-charge cap, a
// validity window, two budgets and a count limit. Charges vary in seller, amount
// and time so that approvals and declines mix and nothing folds to a constant.
// Both sides read the same warm budget state and decide without recording.

#include <benchmark/benchmark.h>

#include <array>
#include <cstdint>
#include <random>
#include <vector>

#include "bench/bench_support.hpp"

namespace {

using mandate::bench::at_utc;

constexpr const char* typical_policy = R"(
mandate typical() {
  seller in ["acct_staples", "acct_officedepot", "acct_uline"]
  currency USD
  amount <= 150.00 USD
  valid from 2026-12-01T00:00:00Z until 2027-01-01T00:00:00Z
  budget 400.00 USD per day in "America/New_York"
  budget 5000.00 USD total
  limit 50 charges per rolling 1h
}
)";

constexpr std::array<std::string_view, 4> sellers = {"acct_staples", "acct_officedepot",
                                                     "acct_uline", "acct_lookalike"};

struct workload {
    std::shared_ptr<const mandate::bound_mandate> mandate;
    std::unique_ptr<mandate::budget_state> state;
    std::vector<mandate::charge> charges;
};

workload make_workload() {
    workload w;
    w.mandate = mandate::bench::bind_or_throw(
        mandate::bench::compile_or_throw(typical_policy, "typical.mandate"), "typical");
    w.state = std::make_unique<mandate::budget_state>(*w.mandate);
    const mandate::currency usd = *mandate::currency::find("USD");
    const mandate::currency eur = *mandate::currency::find("EUR");

    // Warm the state: forty approved charges earlier in the same hour and day.
    for (int i = 0; i < 40; ++i) {
        mandate::charge c;
        c.amount = {500 + i, usd};
        c.at = at_utc(15, 15 * 3600 + i * 30);
        c.seller_id = sellers[static_cast<std::size_t>(i % 3)];
        c.present = mandate::field_amount | mandate::field_at | mandate::field_seller_id;
        mandate::authorize(*w.mandate, *w.state, c);
    }

    // The stream: later in the same hour, varied sellers, amounts and currencies.
    std::mt19937_64 random(42);
    for (int i = 0; i < 4096; ++i) {
        mandate::charge c;
        const auto roll = random() % 100;
        c.amount = {static_cast<mandate::minor_units>(random() % 20000), roll < 3 ? eur : usd};
        c.at = at_utc(15, 15 * 3600 + 1200 + static_cast<std::int64_t>(random() % 2400));
        c.seller_id = sellers[random() % sellers.size()];
        c.present = mandate::field_amount | mandate::field_at | mandate::field_seller_id;
        w.charges.push_back(c);
    }
    return w;
}

// The twin: the same mandate written by hand against the same state layout.
struct twin {
    mandate::currency usd = *mandate::currency::find("USD");
    mandate::instant from = at_utc(1, 0);
    mandate::instant until = mandate::instant(std::chrono::duration_cast<mandate::duration>(
        date::sys_days{date::year{2027} / 1 / 1}.time_since_epoch()));

    bool decide(const mandate::budget_state& state, const mandate::charge& c) const noexcept {
        const std::string_view seller = c.seller_id;
        if (seller != "acct_staples" && seller != "acct_officedepot" && seller != "acct_uline") {
            return false;
        }
        if (c.amount.unit != usd) return false;
        if (c.amount.units > 15000) return false;
        if (c.at < from || c.at >= until) return false;

        const auto windows = state.windows();
        const auto& day = windows[0];
        const mandate::minor_units day_spent = day.current.contains(c.at) ? day.spent : 0;
        if (day_spent + c.amount.units > 40000) return false;
        if (windows[1].spent + c.amount.units > 500000) return false;

        const auto& hour = windows[2];
        const mandate::instant threshold = c.at - std::chrono::hours(1);
        std::int64_t count = hour.count;
        const auto capacity = static_cast<std::uint32_t>(hour.events.size());
        for (std::uint32_t i = 0; i < hour.size; ++i) {
            if (hour.events[(hour.head + i) % capacity].at > threshold) break;
            --count;
        }
        return count < 50;
    }
};

// Decides the stream in a loop; `decide` returns whether the charge is approved.
template <typename Decide>
void decide_stream(benchmark::State& bench, Decide&& decide) {
    const workload w = make_workload();
    std::size_t i = 0;
    std::int64_t approved = 0;
    for (auto _ : bench) {
        const bool ok = decide(w, w.charges[i++ & 4095]);
        approved += ok;
        benchmark::DoNotOptimize(ok);
    }
    bench.counters["approved_share"] =
        static_cast<double>(approved) / static_cast<double>(bench.iterations());
}

void compiled_mandate(benchmark::State& bench) {
    decide_stream(bench, [](const workload& w, const mandate::charge& c) {
        return mandate::decide(*w.mandate, *w.state, c).approved;
    });
}
BENCHMARK(compiled_mandate);

void native_twin(benchmark::State& bench) {
    const twin check;
    decide_stream(bench, [&check](const workload& w, const mandate::charge& c) {
        return check.decide(*w.state, c);
    });
}
BENCHMARK(native_twin);

// The twin must agree with the engine on every charge, or the ratio means nothing.
void twin_agrees(benchmark::State& bench) {
    const workload w = make_workload();
    const twin check;
    for (auto _ : bench) {
        for (const auto& c : w.charges) {
            if (mandate::decide(*w.mandate, *w.state, c).approved != check.decide(*w.state, c)) {
                bench.SkipWithError("the twin and the engine disagree");
                return;
            }
        }
    }
}
BENCHMARK(twin_agrees)->Iterations(1);

}  // namespace

BENCHMARK_MAIN();
