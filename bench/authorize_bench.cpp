// Durable authorizations per second: the whole authorizer path (JSON charge in,
// idempotency lookup, token chain, decide, hold, budget state, audit record,
// JSON answer out) against the SQLite ledger with synchronous=FULL, beside the
// in-memory ledger.
//
// Requests arrive either as batches (authorize_all, as `mandate authorize
// --stream` sends them) or from several threads calling authorize() at once,
// where group commit gathers them into shared transactions. Each request is a
// distinct charge on one of many tokens, with a fresh idempotency key, at
// amounts that mix approvals and declines.

#include <benchmark/benchmark.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include <unistd.h>

#include "mandate/authorizer.hpp"

namespace {

using namespace mandate;

constexpr const char* policy = R"(
mandate allowance(merchant: text) {
  seller in [merchant]
  currency USD
  amount <= 50.00 USD
  budget 100000.00 USD per week starting monday in "America/New_York"
  limit 100000 charges per day
}
)";

constexpr int token_count = 256;

struct fixture {
    std::filesystem::path file;
    std::unique_ptr<ledger> store;
    std::unique_ptr<authorizer> auth;
    std::vector<std::string> tokens;
    std::atomic<std::uint64_t> next_key{0};

    explicit fixture(bool durable, std::size_t max_batch = 256) {
        if (durable) {
            file = std::filesystem::temp_directory_path() /
                   ("mandate_authorize_bench_" + std::to_string(::getpid()) + ".db");
            remove_files();
            store = open_sqlite_ledger(file.string());
        } else {
            store = make_memory_ledger();
        }
        authorizer_options options;
        options.max_batch = max_batch;
        auth = std::make_unique<authorizer>(*store, options);
        for (int i = 0; i < token_count; ++i) {
            token_request request;
            request.policy_source = policy;
            request.policy_file = "allowance.mandate";
            request.arguments = R"({"merchant": "acct_)" + std::to_string(i) + R"("})";
            request.seller = "acct_" + std::to_string(i);
            request.card = card_details{"visa", "4242", "credit", 12, 2030};
            const auto answer = auth->create_token(request);
            if (!answer.ok()) throw std::runtime_error(answer.to_json());
            tokens.push_back(answer.view.token.id);
        }
    }
    ~fixture() {
        auth.reset();
        store.reset();
        remove_files();
    }
    void remove_files() {
        if (file.empty()) return;
        for (const char* suffix : {"", "-wal", "-shm"}) {
            std::filesystem::remove(file.string() + suffix);
        }
    }

    // A charge on a random token; about one in ten is over the cap and declines.
    authorization_request request(std::mt19937& random) {
        const int token = static_cast<int>(random() % token_count);
        const unsigned cents = 100 + random() % 5500;
        const std::uint64_t key = next_key++;
        authorization_request r;
        r.token = tokens[static_cast<std::size_t>(token)];
        r.charge = R"({"id":"ch_)" + std::to_string(key) + R"(","amount":")" +
                   std::to_string(cents / 100) + "." + std::to_string(cents % 100 / 10) +
                   std::to_string(cents % 10) + R"(","currency":"USD","seller":{"id":"acct_)" +
                   std::to_string(token) + R"("},"idempotency_key":"k)" + std::to_string(key) +
                   R"("})";
        return r;
    }
};

void authorize_batches(benchmark::State& state, bool durable) {
    const auto batch = static_cast<std::size_t>(state.range(0));
    fixture f(durable, std::max<std::size_t>(batch, 256));
    std::mt19937 random(42);
    std::int64_t approved = 0;
    for (auto _ : state) {
        state.PauseTiming();
        std::vector<authorization_request> requests;
        for (std::size_t i = 0; i < batch; ++i) requests.push_back(f.request(random));
        state.ResumeTiming();
        const auto answers = f.auth->authorize_all(requests);
        for (const auto& a : answers) approved += a.approved ? 1 : 0;
    }
    state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(batch));
    state.counters["approved"] = benchmark::Counter(
        static_cast<double>(approved) / static_cast<double>(state.iterations() * batch));
}

void BM_sqlite_authorize_all(benchmark::State& state) { authorize_batches(state, true); }
void BM_memory_authorize_all(benchmark::State& state) { authorize_batches(state, false); }

BENCHMARK(BM_sqlite_authorize_all)->Arg(1)->Arg(16)->Arg(64)->Arg(256)->Arg(1024)->UseRealTime();
BENCHMARK(BM_memory_authorize_all)->Arg(1)->Arg(256)->UseRealTime();

// Threads calling authorize() one request at a time: group commit at work.
std::unique_ptr<fixture> shared;

void BM_sqlite_authorize_threads(benchmark::State& state) {
    if (state.thread_index() == 0) shared = std::make_unique<fixture>(true);
    std::mt19937 random(static_cast<unsigned>(state.thread_index()) + 7);
    for (auto _ : state) {
        state.PauseTiming();
        const auto request = shared->request(random);
        state.ResumeTiming();
        benchmark::DoNotOptimize(shared->auth->authorize(request));
    }
    state.SetItemsProcessed(state.iterations());
    if (state.thread_index() == 0) shared.reset();
}

BENCHMARK(BM_sqlite_authorize_threads)->Threads(1)->Threads(8)->Threads(32)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
