// The two ledgers behind one interface. The tests of the interface run against
// both; the SQLite ledger also has tests of its file: durability across reopening,
// its schema version, files it must refuse, and two objects sharing one file.
#include "mandate/ledger.hpp"
#include "tests/support.hpp"

#include <catch2/catch.hpp>

#include <sqlite3.h>

#include <cstdint>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <fstream>
#include <functional>
#include <limits>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <type_traits>
#include <vector>

namespace {

namespace fs = std::filesystem;

using mandate::audit_entry;
using mandate::authorization_record;
using mandate::currency;
using mandate::duration;
using mandate::hold_status;
using mandate::instant;
using mandate::ledger;
using mandate::ledger_error;
using mandate::ledger_transaction;
using mandate::minor_units;
using mandate::stored_policy;
using mandate::stored_response;
using mandate::stored_state;
using mandate::token_record;
using mandate::token_status;

// ---- stores ---------------------------------------------------------------------

using mandate::testing::scratch_dir;

struct memory_store {
    std::unique_ptr<ledger> open() { return mandate::make_memory_ledger(); }
};

struct sqlite_store {
    scratch_dir dir;
    std::string path = dir.file("ledger.db");

    std::unique_ptr<ledger> open() { return mandate::open_sqlite_ledger(path); }
};

// Runs `read` in a transaction of its own and returns what it returned.
template <class Read>
auto read(ledger& store, Read read_from) {
    std::optional<std::invoke_result_t<Read, ledger_transaction&>> result;
    store.transact([&](ledger_transaction& transaction) { result = read_from(transaction); });
    return std::move(*result);
}

// ---- records ----------------------------------------------------------------------

instant at_micros(std::int64_t micros) { return instant(duration(micros)); }

const std::string genesis(64, '0');

currency currency_of(std::string_view code) {
    const auto found = currency::find(code);
    REQUIRE(found.has_value());
    return *found;
}

token_record make_token(std::string id, std::string parent = "", instant created_at = {}) {
    token_record token;
    token.id = std::move(id);
    token.parent = std::move(parent);
    token.policy_hash = std::string(64, 'c');
    token.mandate = "office_supplies";
    token.arguments = R"({"seller":"acct_1","note":"café ☕ 日本"})";
    token.seller = "acct_1";
    token.card = {"visa", "4242", "credit", 12, 2031};
    token.created_at = created_at;
    token.expires_at = instant::max();
    token.lifetime = std::chrono::hours(24 * 30);
    token.status = token_status::active;
    return token;
}

authorization_record make_authorization(std::string id, std::string token, instant at,
                                        hold_status status = hold_status::held) {
    authorization_record record;
    record.id = std::move(id);
    record.token = token;
    record.chain = {token, "spt_grant", "spt_root"};
    record.charge_id = "ch_" + record.id;
    record.seller = "acct_1";
    record.amount = {1250, currency_of("USD")};
    record.captured = 1000;
    record.refunded = 250;
    record.at = at;
    record.status = status;
    record.updated_at = at + std::chrono::seconds(5);
    return record;
}

audit_entry make_entry(std::int64_t sequence, std::string token = "spt_a") {
    audit_entry entry;
    entry.sequence = sequence;
    entry.at = at_micros(1'800'000'000'000'000 + sequence);
    entry.actor = "seller:acct_1";
    entry.action = "authorize";
    entry.token = std::move(token);
    entry.seller = "acct_1";
    entry.request = R"({"amount":"12.50","currency":"USD"})";
    entry.outcome = R"({"approved":true})";
    entry.policy_hash = std::string(64, 'c');
    entry.previous_hash = sequence == 1 ? genesis : "hash-" + std::to_string(sequence - 1);
    entry.hash = "hash-" + std::to_string(sequence);
    return entry;
}

// Records with every field set to something a careless store would lose: the
// widest amounts of both signs, an instant before 1970 and the largest one, text
// in several scripts, bytes that are not text.
struct every_record {
    stored_policy policy{"wöchentlich.mandate",
                         "mandate café() {\n  amount <= 10.00 EUR  // 日本語 🚀\n}\n"};
    token_record root = make_token("spt_root", "", at_micros(-86'400'000'000));
    token_record child = make_token("spt_child", "spt_root", at_micros(1'800'000'000'123'456));
    stored_state state{std::numeric_limits<std::int64_t>::max(), ""};
    authorization_record widest =
        make_authorization("auth_widest", "spt_child", at_micros(1'800'000'000'500'000));
    authorization_record empty =
        make_authorization("auth_empty", "spt_child", at_micros(1'800'000'000'600'000));
    stored_response response{std::string(64, 'f'), R"({"approved":false,"reason":"🙅"})"};
    audit_entry entry = make_entry(1, "spt_child");

    every_record() {
        root.status = token_status::revoked;
        root.status_reason = "requested — by the owner";
        root.status_at = at_micros(1'800'000'000'999'999);
        root.card = {"amex", "0005", "prepaid", 1, 2099};
        child.seller = "*";
        child.lifetime = duration(1);

        state.bytes = std::string("\0\x01\xff\xfe", 4) + std::string(100'000, '\x7f') + "end";

        widest.amount = {std::numeric_limits<minor_units>::max(), currency_of("DAI")};
        widest.captured = std::numeric_limits<minor_units>::min();
        widest.refunded = -1;
        widest.status = hold_status::captured;

        // Nothing but keys: empty texts, no currency, an empty chain.
        empty.chain = {};
        empty.charge_id = "";
        empty.seller = "";
        empty.amount = {};
        empty.captured = 0;
        empty.refunded = 0;
        empty.status = hold_status::expired;
    }

    void put(ledger_transaction& transaction) const {
        transaction.put_policy(root.policy_hash, policy);
        transaction.put_token(root);
        transaction.put_token(child);
        transaction.put_state(child.id, state);
        transaction.put_authorization(widest);
        transaction.put_authorization(empty);
        transaction.put_response("idem_ключ", response);
        transaction.append_audit(entry);
    }

    void check(ledger_transaction& transaction) const {
        CHECK(transaction.find_policy(root.policy_hash) == policy);
        CHECK(transaction.find_token(root.id) == root);
        CHECK(transaction.find_token(child.id) == child);
        CHECK(transaction.children(root.id) == std::vector<std::string>{child.id});
        CHECK(transaction.state_version(child.id) == state.version);
        CHECK(transaction.find_state(child.id) == state);
        CHECK(transaction.find_response("idem_ключ") == response);

        const auto found = transaction.find_authorization(widest.id);
        REQUIRE(found.has_value());
        CHECK(mandate::to_string(found->amount.units) == "170141183460469231731687303715884105727");
        CHECK(found->amount.unit.code() == "DAI");
        CHECK(mandate::to_string(found->captured) == "-170141183460469231731687303715884105728");
        CHECK(*found == widest);
        CHECK(transaction.find_authorization(empty.id) == empty);
        CHECK(transaction.authorizations_of(child.id) ==
              std::vector<authorization_record>{widest, empty});

        CHECK(transaction.audit(1, 10) == std::vector<audit_entry>{entry});
        CHECK(transaction.head().sequence == 1);
        CHECK(transaction.head().hash == entry.hash);
    }
};

void bump_counter(ledger& store, const std::string& token) {
    store.transact([&](ledger_transaction& transaction) {
        const auto state = transaction.find_state(token);
        const std::int64_t count = state ? std::stoll(state->bytes) : 0;
        // Widen the window between the read and the write, where a lost update would hide.
        std::this_thread::yield();
        transaction.put_state(token, {count + 1, std::to_string(count + 1)});
    });
}

// `threads` threads, each bumping the counter `rounds` times through the store it
// is given; returns the counter's state afterwards.
stored_state count_concurrently(const std::vector<ledger*>& stores, int threads, int rounds) {
    std::mutex failures_mutex;
    std::vector<std::string> failures;
    std::vector<std::thread> workers;
    for (int index = 0; index < threads; ++index) {
        ledger& store = *stores[static_cast<std::size_t>(index) % stores.size()];
        workers.emplace_back([&store, &failures, &failures_mutex, rounds] {
            try {
                for (int round = 0; round < rounds; ++round) bump_counter(store, "spt_counter");
            } catch (const std::exception& error) {
                std::lock_guard lock(failures_mutex);
                failures.push_back(error.what());
            }
        });
    }
    for (auto& worker : workers) worker.join();

    for (const auto& failure : failures) FAIL_CHECK(failure);
    const auto state = read(*stores.front(), [](ledger_transaction& transaction) {
        return transaction.find_state("spt_counter");
    });
    REQUIRE(state.has_value());
    return *state;
}

// ---- both ledgers ---------------------------------------------------------------------

TEMPLATE_TEST_CASE("a ledger keeps every field of every record", "[ledger]", memory_store,
                   sqlite_store) {
    TestType factory;
    auto store = factory.open();
    const every_record records;

    store->transact([&](ledger_transaction& transaction) {
        records.put(transaction);
        // A transaction reads its own writes.
        records.check(transaction);
    });
    store->transact([&](ledger_transaction& transaction) { records.check(transaction); });
}

TEMPLATE_TEST_CASE("a ledger answers nothing for keys it does not hold", "[ledger]", memory_store,
                   sqlite_store) {
    TestType factory;
    auto store = factory.open();
    store->transact([](ledger_transaction& transaction) {
        CHECK_FALSE(transaction.find_policy("nope").has_value());
        CHECK_FALSE(transaction.find_token("spt_nope").has_value());
        CHECK(transaction.children("spt_nope").empty());
        CHECK(transaction.state_version("spt_nope") == 0);
        CHECK_FALSE(transaction.find_state("spt_nope").has_value());
        CHECK_FALSE(transaction.find_authorization("auth_nope").has_value());
        CHECK(transaction.holds_before(instant::max(), 10).empty());
        CHECK(transaction.authorizations_of("spt_nope").empty());
        CHECK_FALSE(transaction.find_response("nope").has_value());
        CHECK(transaction.head().sequence == 0);
        CHECK(transaction.head().hash == genesis);
        CHECK(transaction.audit(1, 10).empty());
    });
}

TEMPLATE_TEST_CASE("put replaces the record with the same key", "[ledger]", memory_store,
                   sqlite_store) {
    TestType factory;
    auto store = factory.open();
    token_record token = make_token("spt_1", "spt_grant");
    authorization_record hold = make_authorization("auth_1", "spt_1", at_micros(100));
    store->transact([&](ledger_transaction& transaction) {
        transaction.put_policy("h", {"a.mandate", "old"});
        transaction.put_token(token);
        transaction.put_state("spt_1", {1, "one"});
        transaction.put_authorization(hold);
        transaction.put_response("key", {"hash-1", "first"});
    });

    token.status = token_status::revoked;
    token.status_reason = "parent_revoked";
    token.status_at = at_micros(200);
    hold.status = hold_status::reversed;
    hold.captured = 0;
    hold.updated_at = at_micros(300);
    store->transact([&](ledger_transaction& transaction) {
        transaction.put_policy("h", {"b.mandate", "new"});
        transaction.put_token(token);
        transaction.put_state("spt_1", {2, "two"});
        transaction.put_authorization(hold);
        transaction.put_response("key", {"hash-2", "second"});
    });

    store->transact([&](ledger_transaction& transaction) {
        CHECK(transaction.find_policy("h") == stored_policy{"b.mandate", "new"});
        CHECK(transaction.find_token("spt_1") == token);
        CHECK(transaction.children("spt_grant") == std::vector<std::string>{"spt_1"});
        CHECK(transaction.state_version("spt_1") == 2);
        CHECK(transaction.find_state("spt_1") == stored_state{2, "two"});
        CHECK(transaction.find_authorization("auth_1") == hold);
        CHECK(transaction.authorizations_of("spt_1") == std::vector<authorization_record>{hold});
        CHECK(transaction.find_response("key") == stored_response{"hash-2", "second"});
    });
}

TEMPLATE_TEST_CASE("children come in creation order", "[ledger]", memory_store, sqlite_store) {
    TestType factory;
    auto store = factory.open();
    store->transact([](ledger_transaction& transaction) {
        transaction.put_token(make_token("spt_grant"));
        transaction.put_token(make_token("spt_b", "spt_grant", at_micros(2)));
        transaction.put_token(make_token("spt_a", "spt_grant", at_micros(1)));
        // The same microsecond as spt_a, written after it.
        transaction.put_token(make_token("spt_0", "spt_grant", at_micros(1)));
        transaction.put_token(make_token("spt_other", "spt_elsewhere", at_micros(0)));
        transaction.put_token(make_token("spt_grandchild", "spt_a", at_micros(0)));
    });
    store->transact([](ledger_transaction& transaction) {
        transaction.put_token(make_token("spt_c", "spt_grant", at_micros(3)));
        // Replacing a child does not move it.
        token_record revoked = make_token("spt_a", "spt_grant", at_micros(1));
        revoked.status = token_status::revoked;
        transaction.put_token(revoked);

        const std::vector<std::string> expected = {"spt_a", "spt_0", "spt_b", "spt_c"};
        CHECK(transaction.children("spt_grant") == expected);
    });

    const auto children = read(
        *store, [](ledger_transaction& transaction) { return transaction.children("spt_grant"); });
    CHECK(children == std::vector<std::string>{"spt_a", "spt_0", "spt_b", "spt_c"});
}

TEMPLATE_TEST_CASE("holds_before finds old holds still held, oldest first", "[ledger]",
                   memory_store, sqlite_store) {
    TestType factory;
    auto store = factory.open();
    store->transact([](ledger_transaction& transaction) {
        transaction.put_authorization(make_authorization("auth_10", "spt_1", at_micros(10)));
        transaction.put_authorization(make_authorization("auth_5", "spt_1", at_micros(5)));
        transaction.put_authorization(
            make_authorization("auth_7_captured", "spt_1", at_micros(7), hold_status::captured));
        transaction.put_authorization(make_authorization("auth_20", "spt_2", at_micros(20)));
        // The same microsecond as auth_5, written after it.
        transaction.put_authorization(make_authorization("auth_5b", "spt_2", at_micros(5)));
        transaction.put_authorization(
            make_authorization("auth_15_expired", "spt_2", at_micros(15), hold_status::expired));
        transaction.put_authorization(
            make_authorization("auth_3_reversed", "spt_2", at_micros(3), hold_status::reversed));
    });

    const auto ids = [&](instant cutoff, std::size_t limit) {
        std::vector<std::string> found;
        for (const auto& record : read(*store, [&](ledger_transaction& transaction) {
                 return transaction.holds_before(cutoff, limit);
             })) {
            CHECK(record.status == hold_status::held);
            found.push_back(record.id);
        }
        return found;
    };
    using ids_t = std::vector<std::string>;

    // A hold made at the cutoff is not before it.
    CHECK(ids(at_micros(20), 100) == ids_t{"auth_5", "auth_5b", "auth_10"});
    CHECK(ids(at_micros(21), 100) == ids_t{"auth_5", "auth_5b", "auth_10", "auth_20"});
    CHECK(ids(instant::max(), 2) == ids_t{"auth_5", "auth_5b"});
    CHECK(ids(instant::max(), 0).empty());
    CHECK(ids(at_micros(5), 100).empty());

    store->transact([](ledger_transaction& transaction) {
        auto captured = make_authorization("auth_5", "spt_1", at_micros(5), hold_status::captured);
        transaction.put_authorization(captured);
        // Inside the transaction, the change is already seen.
        CHECK(transaction.holds_before(at_micros(6), 100).size() == 1);
    });
    CHECK(ids(instant::max(), 100) == ids_t{"auth_5b", "auth_10", "auth_20"});
}

TEMPLATE_TEST_CASE("authorizations_of lists one token's authorizations, oldest first", "[ledger]",
                   memory_store, sqlite_store) {
    TestType factory;
    auto store = factory.open();
    const auto late = make_authorization("auth_late", "spt_1", at_micros(30));
    const auto early =
        make_authorization("auth_early", "spt_1", at_micros(10), hold_status::captured);
    const auto other = make_authorization("auth_other", "spt_2", at_micros(20));
    const auto middle = make_authorization("auth_middle", "spt_1", at_micros(20));
    store->transact([&](ledger_transaction& transaction) {
        transaction.put_authorization(late);
        transaction.put_authorization(early);
        transaction.put_authorization(other);
    });
    store->transact([&](ledger_transaction& transaction) {
        transaction.put_authorization(middle);
        CHECK(transaction.authorizations_of("spt_1") ==
              std::vector<authorization_record>{early, middle, late});
    });
    store->transact([&](ledger_transaction& transaction) {
        CHECK(transaction.authorizations_of("spt_1") ==
              std::vector<authorization_record>{early, middle, late});
        CHECK(transaction.authorizations_of("spt_2") == std::vector<authorization_record>{other});
    });
}

TEMPLATE_TEST_CASE("a state's version is read alone", "[ledger]", memory_store, sqlite_store) {
    TestType factory;
    auto store = factory.open();
    store->transact([](ledger_transaction& transaction) {
        CHECK(transaction.state_version("spt_1") == 0);
        transaction.put_state("spt_1", {1, "first"});
        CHECK(transaction.state_version("spt_1") == 1);
    });
    store->transact([](ledger_transaction& transaction) {
        transaction.put_state("spt_1", {7, "seventh"});
        transaction.put_state("spt_2", {3, ""});
    });
    store->transact([](ledger_transaction& transaction) {
        CHECK(transaction.state_version("spt_1") == 7);
        CHECK(transaction.find_state("spt_1") == stored_state{7, "seventh"});
        CHECK(transaction.find_state("spt_2") == stored_state{3, ""});
        CHECK(transaction.state_version("spt_3") == 0);
    });
}

TEMPLATE_TEST_CASE("the audit trail appends in sequence and reads in ranges", "[ledger]",
                   memory_store, sqlite_store) {
    TestType factory;
    auto store = factory.open();
    store->transact([](ledger_transaction& transaction) {
        for (std::int64_t sequence = 1; sequence <= 3; ++sequence) {
            transaction.append_audit(make_entry(sequence));
        }
    });
    store->transact([](ledger_transaction& transaction) {
        transaction.append_audit(make_entry(4, "spt_b"));
        transaction.append_audit(make_entry(5, "spt_b"));
        // Committed and staged records read as one trail.
        CHECK(transaction.audit(3, 10) == std::vector<audit_entry>{make_entry(3),
                                                                   make_entry(4, "spt_b"),
                                                                   make_entry(5, "spt_b")});
    });

    store->transact([](ledger_transaction& transaction) {
        const auto head = transaction.head();
        CHECK(head.sequence == 5);
        CHECK(head.hash == "hash-5");

        const auto all = transaction.audit(1, 100);
        REQUIRE(all.size() == 5);
        for (std::size_t index = 0; index < all.size(); ++index) {
            CHECK(all[index].sequence == static_cast<std::int64_t>(index) + 1);
        }
        CHECK(all[3] == make_entry(4, "spt_b"));
        CHECK(transaction.audit(2, 2) == std::vector<audit_entry>{make_entry(2), make_entry(3)});
        CHECK(transaction.audit(0, 1) == std::vector<audit_entry>{make_entry(1)});
        CHECK(transaction.audit(6, 10).empty());
        CHECK(transaction.audit(1, 0).empty());
    });
}

TEMPLATE_TEST_CASE("an audit record must follow the head", "[ledger]", memory_store, sqlite_store) {
    TestType factory;
    auto store = factory.open();
    const auto append = [&](std::int64_t sequence) {
        store->transact([&](ledger_transaction& transaction) {
            transaction.append_audit(make_entry(sequence));
        });
    };
    CHECK_THROWS_AS(append(2), ledger_error);
    append(1);
    CHECK_THROWS_AS(append(1), ledger_error);
    CHECK_THROWS_WITH(append(3), Catch::Contains("expected record 2"));
    append(2);

    const auto head =
        read(*store, [](ledger_transaction& transaction) { return transaction.head(); });
    CHECK(head.sequence == 2);
    CHECK(head.hash == "hash-2");
}

TEMPLATE_TEST_CASE("a transaction whose work throws leaves nothing behind", "[ledger]",
                   memory_store, sqlite_store) {
    TestType factory;
    auto store = factory.open();
    store->transact([](ledger_transaction& transaction) {
        transaction.put_state("spt_kept", {1, "before"});
        transaction.append_audit(make_entry(1));
    });

    struct stop {};
    const every_record records;
    CHECK_THROWS_AS(store->transact([&](ledger_transaction& transaction) {
        transaction.put_state("spt_kept", {2, "after"});
        transaction.put_policy("h", records.policy);
        transaction.put_token(records.root);
        transaction.put_authorization(records.widest);
        transaction.put_response("key", records.response);
        transaction.append_audit(make_entry(2));
        CHECK(transaction.state_version("spt_kept") == 2);
        throw stop{};
    }),
                    stop);

    store->transact([&](ledger_transaction& transaction) {
        CHECK(transaction.find_state("spt_kept") == stored_state{1, "before"});
        CHECK_FALSE(transaction.find_policy("h").has_value());
        CHECK_FALSE(transaction.find_token(records.root.id).has_value());
        CHECK_FALSE(transaction.find_authorization(records.widest.id).has_value());
        CHECK(transaction.holds_before(instant::max(), 10).empty());
        CHECK_FALSE(transaction.find_response("key").has_value());
        CHECK(transaction.head().sequence == 1);
        CHECK(transaction.audit(1, 10).size() == 1);

        // The ledger still works.
        transaction.put_state("spt_kept", {2, "after"});
        transaction.append_audit(make_entry(2));
    });
    CHECK(read(*store,
               [](ledger_transaction& transaction) { return transaction.head().sequence; }) == 2);
}

TEMPLATE_TEST_CASE("concurrent transactions never lose an update", "[ledger]", memory_store,
                   sqlite_store) {
    TestType factory;
    auto store = factory.open();
    const auto counter = count_concurrently({store.get()}, 4, 100);
    CHECK(counter.bytes == "400");
    CHECK(counter.version == 400);
}

TEMPLATE_TEST_CASE("a ledger describes itself", "[ledger]", memory_store, sqlite_store) {
    TestType factory;
    auto store = factory.open();
    if constexpr (std::is_same_v<TestType, sqlite_store>) {
        CHECK(store->describe() == "sqlite:" + factory.path);
    } else {
        CHECK(store->describe() == "memory");
    }
}

TEST_CASE("token and hold statuses have stable names", "[ledger]") {
    for (const auto status : {token_status::active, token_status::revoked, token_status::expired,
                              token_status::consumed}) {
        CHECK(mandate::parse_token_status(mandate::to_string(status)) == status);
    }
    for (const auto status :
         {hold_status::held, hold_status::captured, hold_status::reversed, hold_status::expired}) {
        CHECK(mandate::parse_hold_status(mandate::to_string(status)) == status);
    }
    CHECK(mandate::to_string(token_status::consumed) == "consumed");
    CHECK(mandate::to_string(hold_status::reversed) == "reversed");
    CHECK_FALSE(mandate::parse_token_status("Active").has_value());
    CHECK_FALSE(mandate::parse_token_status("held").has_value());
    CHECK_FALSE(mandate::parse_hold_status("").has_value());
    CHECK_FALSE(mandate::parse_hold_status("active").has_value());
}

// ---- the SQLite file ------------------------------------------------------------------

// The file opened with SQLite directly, to look at it or spoil it.
class raw_file {
public:
    explicit raw_file(const std::string& path) {
        const int result = sqlite3_open_v2(path.c_str(), &db_, SQLITE_OPEN_READWRITE, nullptr);
        INFO(sqlite3_errmsg(db_));
        REQUIRE(result == SQLITE_OK);
    }
    ~raw_file() { sqlite3_close(db_); }
    raw_file(const raw_file&) = delete;
    raw_file& operator=(const raw_file&) = delete;

    void execute(const std::string& sql) {
        const int result = sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, nullptr);
        INFO(sql << ": " << sqlite3_errmsg(db_));
        REQUIRE(result == SQLITE_OK);
    }

    std::string value(const std::string& sql) {
        sqlite3_stmt* statement = nullptr;
        REQUIRE(sqlite3_prepare_v2(db_, sql.c_str(), -1, &statement, nullptr) == SQLITE_OK);
        const bool has_row = sqlite3_step(statement) == SQLITE_ROW;
        const auto* text = has_row ? sqlite3_column_text(statement, 0) : nullptr;
        std::string answer = text != nullptr ? reinterpret_cast<const char*>(text) : "";
        sqlite3_finalize(statement);
        REQUIRE(has_row);
        return answer;
    }

private:
    sqlite3* db_ = nullptr;
};

void write_file(const std::string& path, const std::string& bytes) {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << bytes;
    REQUIRE(out.good());
}

TEST_CASE("an SQLite ledger keeps its records after it is closed", "[ledger]") {
    sqlite_store factory;
    const every_record records;
    factory.open()->transact([&](ledger_transaction& transaction) { records.put(transaction); });

    auto reopened = factory.open();
    reopened->transact([&](ledger_transaction& transaction) { records.check(transaction); });
}

TEST_CASE("an SQLite ledger marks its file with its schema version", "[ledger]") {
    sqlite_store factory;
    factory.open();

    raw_file file(factory.path);
    CHECK(file.value("PRAGMA user_version") == std::to_string(mandate::ledger_schema_version));
    CHECK(file.value("PRAGMA application_id") != "0");
    CHECK(file.value("PRAGMA journal_mode") == "wal");
    CHECK(file.value("SELECT COUNT(*) FROM sqlite_schema WHERE type = 'table' AND name IN "
                     "('policies', 'tokens', 'states', 'authorizations', 'responses', 'audit')") ==
          "6");
}

TEST_CASE("an SQLite ledger refuses a newer schema", "[ledger]") {
    sqlite_store factory;
    factory.open();
    const std::string newer = std::to_string(mandate::ledger_schema_version + 1);
    raw_file(factory.path).execute("PRAGMA user_version = " + newer);

    CHECK_THROWS_WITH(factory.open(), Catch::Contains("newer"));
    CHECK(raw_file(factory.path).value("PRAGMA user_version") == newer);
}

TEST_CASE("an SQLite ledger migrates a marked file that has no schema yet", "[ledger]") {
    sqlite_store factory;
    factory.open();
    const std::string application_id = raw_file(factory.path).value("PRAGMA application_id");

    scratch_dir other;
    const std::string path = other.file("marked.db");
    {
        sqlite3* db = nullptr;
        REQUIRE(sqlite3_open(path.c_str(), &db) == SQLITE_OK);
        const int result = sqlite3_exec(db, ("PRAGMA application_id = " + application_id).c_str(),
                                        nullptr, nullptr, nullptr);
        sqlite3_close(db);
        REQUIRE(result == SQLITE_OK);
    }

    const auto store = mandate::open_sqlite_ledger(path);
    store->transact([](ledger_transaction& transaction) {
        transaction.put_state("spt_1", {1, "x"});
    });
    CHECK(raw_file(path).value("PRAGMA user_version") ==
          std::to_string(mandate::ledger_schema_version));
}

TEST_CASE("an SQLite ledger refuses a file that is not SQLite, and leaves it alone", "[ledger]") {
    scratch_dir dir;
    const std::string path = dir.file("notes.txt");
    std::string garbage;
    for (int line = 0; line < 200; ++line)
        garbage += "not a database, line " + std::to_string(line) + "\n";
    write_file(path, garbage);

    CHECK_THROWS_AS(mandate::open_sqlite_ledger(path), ledger_error);
    CHECK_THROWS_WITH(mandate::open_sqlite_ledger(path), Catch::Contains("not a mandate ledger"));
    CHECK(mandate::testing::read_file(path) == garbage);
}

TEST_CASE("an SQLite ledger refuses another application's database", "[ledger]") {
    scratch_dir dir;
    const std::string path = dir.file("other.db");
    {
        sqlite3* db = nullptr;
        REQUIRE(sqlite3_open(path.c_str(), &db) == SQLITE_OK);
        const int result =
            sqlite3_exec(db, "CREATE TABLE tokens (id TEXT)", nullptr, nullptr, nullptr);
        sqlite3_close(db);
        REQUIRE(result == SQLITE_OK);
    }
    const std::string before = mandate::testing::read_file(path);

    CHECK_THROWS_WITH(mandate::open_sqlite_ledger(path), Catch::Contains("not a mandate ledger"));
    CHECK(mandate::testing::read_file(path) == before);
    CHECK(raw_file(path).value("PRAGMA journal_mode") == "delete");
}

TEST_CASE("an SQLite ledger reports a file it cannot create", "[ledger]") {
    scratch_dir dir;
    CHECK_THROWS_AS(mandate::open_sqlite_ledger(dir.file("missing/ledger.db")), ledger_error);
}

TEST_CASE("an SQLite ledger reports a corrupt file instead of crashing", "[ledger]") {
    sqlite_store factory;
    {
        auto store = factory.open();
        store->transact([](ledger_transaction& transaction) {
            for (int index = 0; index < 200; ++index) {
                const std::string id = "spt_" + std::to_string(index);
                transaction.put_token(make_token(id, "spt_grant", at_micros(index)));
                transaction.put_state(id, {1, std::string(300, 'x')});
            }
        });
    }

    // Keep the header and the schema on the first page; scramble every page after it.
    std::string bytes = mandate::testing::read_file(factory.path);
    REQUIRE(bytes.size() > 8192);
    for (std::size_t index = 4096; index < bytes.size(); ++index) {
        bytes[index] = static_cast<char>(bytes[index] ^ 0x5a);
    }
    write_file(factory.path, bytes);

    const auto read_everything = [&] {
        auto store = factory.open();
        store->transact([](ledger_transaction& transaction) {
            static_cast<void>(transaction.children("spt_grant"));
            static_cast<void>(transaction.find_state("spt_7"));
        });
    };
    CHECK_THROWS_AS(read_everything(), ledger_error);
}

TEST_CASE("two SQLite ledgers on one file see each other's commits", "[ledger]") {
    sqlite_store factory;
    auto first = factory.open();
    auto second = factory.open();

    first->transact([](ledger_transaction& transaction) {
        transaction.put_token(make_token("spt_1"));
        transaction.append_audit(make_entry(1));
    });
    second->transact([](ledger_transaction& transaction) {
        CHECK(transaction.find_token("spt_1") == make_token("spt_1"));
        CHECK(transaction.head().sequence == 1);
        transaction.put_state("spt_1", {1, "state"});
        transaction.append_audit(make_entry(2));
    });
    first->transact([](ledger_transaction& transaction) {
        CHECK(transaction.state_version("spt_1") == 1);
        CHECK(transaction.head().hash == "hash-2");
        // Both appended to one trail, so a third record from here must be 3.
        CHECK_THROWS_AS(transaction.append_audit(make_entry(2)), ledger_error);
    });
}

TEST_CASE("SQLite ledgers sharing a file never lose an update", "[ledger]") {
    sqlite_store factory;
    auto first = factory.open();
    auto second = factory.open();
    const auto counter = count_concurrently({first.get(), second.get()}, 4, 100);
    CHECK(counter.bytes == "400");
    CHECK(counter.version == 400);
}

}  // namespace
