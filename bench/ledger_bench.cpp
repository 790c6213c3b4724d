// The ledgers' raw throughput: transactions of 1, 10 and 100 authorizations'
// worth of reads and writes (find the token, the idempotent answer and the budget
// state; write the state, the hold and the answer; append an audit record). The
// SQLite ledger commits to a file under the temporary directory with
// synchronous=FULL, so every transaction waits for the disk once: items/s is the
// number of authorizations a group commit of that size can store per second.
// The memory ledger beside it is what the same work costs without SQLite.

#include <benchmark/benchmark.h>

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <memory>
#include <random>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "mandate/ledger.hpp"

namespace {

namespace fs = std::filesystem;

constexpr int token_count = 1000;

// A directory of its own under the temporary directory, removed afterwards.
class scratch_dir {
public:
    scratch_dir() {
        std::string pattern = (fs::temp_directory_path() / "mandate-bench-XXXXXX").string();
        if (mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
        path_ = pattern;
    }
    ~scratch_dir() {
        std::error_code ignored;
        fs::remove_all(path_, ignored);
    }
    scratch_dir(const scratch_dir&) = delete;
    scratch_dir& operator=(const scratch_dir&) = delete;

    std::string file(const std::string& name) const { return (path_ / name).string(); }

private:
    fs::path path_;
};

// Ids shaped like the authorizer's: a prefix and 26 random base32 characters, so
// that keys land all over the indexes as they do in production.
class id_source {
public:
    std::string next(std::string_view prefix) {
        static constexpr std::string_view alphabet = "abcdefghijklmnopqrstuvwxyz234567";
        std::string id(prefix);
        for (int index = 0; index < 26; ++index) id += alphabet[random_() % alphabet.size()];
        return id;
    }

private:
    std::mt19937_64 random_{20261203};
};

std::vector<std::string> token_ids(id_source& ids) {
    std::vector<std::string> tokens;
    for (int index = 0; index < token_count; ++index) tokens.push_back(ids.next("spt_"));
    return tokens;
}

void add_tokens(mandate::ledger& store, const std::vector<std::string>& tokens) {
    store.transact([&](mandate::ledger_transaction& transaction) {
        for (const std::string& id : tokens) {
            mandate::token_record token;
            token.id = id;
            token.policy_hash = std::string(64, 'c');
            token.mandate = "typical";
            token.arguments = R"({"seller":"acct_1"})";
            token.seller = "acct_1";
            token.card = {"visa", "4242", "credit", 12, 2031};
            transaction.put_token(token);
        }
    });
}

// One authorization's worth of ledger work.
void authorize_once(mandate::ledger_transaction& transaction, const std::string& token_id_text,
                    id_source& ids, std::int64_t serial) {
    const std::string key = ids.next("idem_");

    benchmark::DoNotOptimize(transaction.find_token(token_id_text));
    benchmark::DoNotOptimize(transaction.find_response(key));
    const auto state = transaction.find_state(token_id_text);
    const std::int64_t version = state ? state->version + 1 : 1;
    transaction.put_state(token_id_text, {version, std::string(120, 's')});

    mandate::authorization_record hold;
    hold.id = ids.next("auth_");
    hold.token = token_id_text;
    hold.chain = {token_id_text};
    hold.seller = "acct_1";
    hold.amount = {1250, *mandate::currency::find("USD")};
    hold.at = mandate::instant(mandate::duration(serial));
    transaction.put_authorization(hold);
    transaction.put_response(key, {std::string(64, 'r'), R"({"approved":true})"});

    mandate::audit_entry entry;
    const mandate::audit_head head = transaction.head();
    entry.sequence = head.sequence + 1;
    entry.actor = "seller:acct_1";
    entry.action = "authorize";
    entry.token = token_id_text;
    entry.seller = "acct_1";
    entry.request = R"({"amount":"12.50","currency":"USD"})";
    entry.outcome = R"({"approved":true})";
    entry.previous_hash = head.hash;
    entry.hash = std::string(64, 'a');
    transaction.append_audit(entry);
}

void transact(benchmark::State& state,
              const std::function<std::unique_ptr<mandate::ledger>(const scratch_dir&)>& open) {
    const scratch_dir dir;
    const auto store = open(dir);
    id_source ids;
    const std::vector<std::string> tokens = token_ids(ids);
    add_tokens(*store, tokens);
    const std::int64_t batch = state.range(0);

    std::int64_t serial = 0;
    for (auto _ : state) {
        store->transact([&](mandate::ledger_transaction& transaction) {
            for (std::int64_t index = 0; index < batch; ++index, ++serial) {
                const auto& token = tokens[static_cast<std::size_t>(serial) % tokens.size()];
                authorize_once(transaction, token, ids, serial);
            }
        });
    }
    state.SetItemsProcessed(serial);
}

std::unique_ptr<mandate::ledger> open_sqlite(const scratch_dir& dir) {
    return mandate::open_sqlite_ledger(dir.file("bench.db"));
}

std::unique_ptr<mandate::ledger> open_memory(const scratch_dir&) {
    return mandate::make_memory_ledger();
}

}  // namespace

BENCHMARK_CAPTURE(transact, sqlite, open_sqlite)->Arg(1)->Arg(10)->Arg(100)->UseRealTime();
BENCHMARK_CAPTURE(transact, memory, open_memory)->Arg(1)->Arg(10)->Arg(100)->UseRealTime();

BENCHMARK_MAIN();
