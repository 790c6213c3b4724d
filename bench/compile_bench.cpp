// What compiling costs, and whether a large rule set slows the checks down.
//
// compile_stdlib/<name>: parse, check and compile one policy of stdlib-policies/.
// compile_rule_set/10000: a policy of 10,000 distinct mandates, with the heap it
// keeps. decide_in_rule_set/<n>: 1,024 tokens bound to mandates of a policy of n
// distinct mandates (every token to the same one when n is 1), charges decided on
// random tokens: the check should cost the same whatever n is.

#include <benchmark/benchmark.h>

#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
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

std::string read_stdlib(const std::string& name) {
    const auto path =
        std::filesystem::path(__FILE__).parent_path().parent_path() / "stdlib-policies" / name;
    std::ifstream in(path, std::ios::binary);
    if (!in) throw std::runtime_error("cannot read " + path.string());
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

void compile_stdlib(benchmark::State& bench, const std::string& name) {
    const std::string source = read_stdlib(name);
    for (auto _ : bench) {
        auto compiled = compile(source, name);
        if (!compiled.ok()) {
            bench.SkipWithError(render(compiled.diagnostics).c_str());
            return;
        }
        benchmark::DoNotOptimize(compiled.compiled);
    }
}
BENCHMARK_CAPTURE(compile_stdlib, office_supplies, "office_supplies.mandate")
    ->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(compile_stdlib, procurement, "procurement.mandate")
    ->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(compile_stdlib, team_budget, "team_budget.mandate")
    ->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(compile_stdlib, weekly_allowance, "weekly_allowance.mandate")
    ->Unit(benchmark::kMicrosecond);

// Mandate k of a rule set: its own name, seller and budget. The cap is the same
// in all, so that charges meet the same mix of answers whatever the rule set.
std::string rule(std::size_t k) {
    const std::string n = std::to_string(k);
    return "mandate m" + n + "() {\n" +
           "  seller in [\"acct_" + n + "\", \"acct_shared\"]\n"
           "  currency USD\n" +
           "  amount <= 100.00 USD\n" +
           "  valid from 2026-12-01T00:00:00Z until 2027-01-01T00:00:00Z\n" +
           "  budget " + std::to_string(400 + k % 7) + ".00 USD per day in \"America/New_York\"\n" +
           "  limit 50 charges per rolling 1h\n" +
           "}\n";
}

std::string rule_set(std::size_t n) {
    std::string source;
    for (std::size_t k = 0; k < n; ++k) source += rule(k);
    return source;
}

void compile_rule_set(benchmark::State& bench) {
    const auto n = static_cast<std::size_t>(bench.range(0));
    const std::string source = rule_set(n);
    double kept = 0;
    for (auto _ : bench) {
        const double before = heap_in_use();
        auto compiled = compile(source, "rules.mandate");
        kept = heap_in_use() - before;
        if (!compiled.ok()) {
            bench.SkipWithError(render(compiled.diagnostics).c_str());
            return;
        }
        benchmark::DoNotOptimize(compiled.compiled);
    }
    bench.counters["source_bytes"] = static_cast<double>(source.size());
    bench.counters["heap_bytes"] = kept;
    bench.counters["heap_bytes_per_mandate"] = kept / static_cast<double>(n);
}
BENCHMARK(compile_rule_set)->Arg(1)->Arg(10'000)->Unit(benchmark::kMillisecond);

void decide_in_rule_set(benchmark::State& bench) {
    const auto n = static_cast<std::size_t>(bench.range(0));
    const auto compiled = compile_or_throw(rule_set(n), "rules.mandate");

    constexpr std::size_t token_count = 1024;
    std::mt19937_64 random(29);
    std::vector<std::shared_ptr<const bound_mandate>> mandates;
    std::vector<std::string> own_seller;
    std::vector<budget_state> states;
    for (std::size_t t = 0; t < token_count; ++t) {
        const std::size_t k = n == 1 ? 0 : random() % n;
        mandates.push_back(bind_or_throw(compiled, "m" + std::to_string(k)));
        own_seller.push_back("acct_" + std::to_string(k));
        states.emplace_back(*mandates.back());
    }

    struct planned {
        std::size_t token;
        charge request;
    };
    std::vector<planned> plan;
    for (std::size_t i = 0; i < 4096; ++i) {
        planned p;
        p.token = random() % token_count;
        const auto roll = random() % 8;
        p.request.seller_id = roll < 4   ? std::string_view(own_seller[p.token])
                              : roll < 7 ? std::string_view("acct_shared")
                                         : std::string_view("acct_other");
        p.request.amount = {static_cast<minor_units>(random() % 20000), code("USD")};
        p.request.at = at_utc(15, static_cast<std::int64_t>(random() % 86400));
        p.request.present = field_amount | field_at | field_seller_id;
        plan.push_back(p);
    }

    std::size_t i = 0;
    std::int64_t approved = 0;
    for (auto _ : bench) {
        const planned& p = plan[i++ % plan.size()];
        const decision d = decide(*mandates[p.token], states[p.token], p.request);
        approved += d.approved;
        benchmark::DoNotOptimize(d.approved);
    }
    bench.counters["approved_share"] =
        static_cast<double>(approved) / static_cast<double>(bench.iterations());
}
BENCHMARK(decide_in_rule_set)->Arg(1)->Arg(10'000);

}  // namespace

BENCHMARK_MAIN();
