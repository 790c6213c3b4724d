// The in-memory ledger: every table a std::map, one mutex around every transaction.
//
// A transaction writes to staged copies of the rows it changes, read before the
// committed rows so that it sees its own writes. Only when `work` returns are the
// staged nodes spliced into the committed maps, by moves that cannot throw, so a
// transaction is kept whole or not at all.
//
// The queries over many rows (children, holds_before, authorizations_of) scan the
// whole table: fine for tests and small stores, which is what this ledger is for.
#include "mandate/ledger.hpp"

#include <algorithm>
#include <array>
#include <cstdint>
#include <map>
#include <mutex>
#include <tuple>
#include <type_traits>
#include <utility>

#include "mandate/audit.hpp"

namespace mandate {

namespace {

// Rows carry the order they were first written in, which breaks ties between
// records made in the same microsecond ("creation order", "oldest first").
struct token_row {
    token_record record;
    std::uint64_t serial = 0;
};

struct authorization_row {
    authorization_record record;
    std::uint64_t serial = 0;
};

template <class Row>
using table = std::map<std::string, Row, std::less<>>;

using audit_trail = std::map<std::int64_t, audit_entry>;

struct tables {
    table<stored_policy> policies;
    table<token_row> tokens;
    table<stored_state> states;
    table<authorization_row> authorizations;
    table<stored_response> responses;
    audit_trail audit;
    std::uint64_t next_serial = 1;
};

// Committing moves staged rows over committed ones; these moves must not throw.
static_assert(std::is_nothrow_move_assignable_v<stored_policy>);
static_assert(std::is_nothrow_move_assignable_v<token_row>);
static_assert(std::is_nothrow_move_assignable_v<stored_state>);
static_assert(std::is_nothrow_move_assignable_v<authorization_row>);
static_assert(std::is_nothrow_move_assignable_v<stored_response>);
static_assert(std::is_nothrow_move_assignable_v<audit_entry>);

// Moves every staged row into `committed`, replacing rows with the same key.
// Splicing map nodes allocates nothing, so nothing here can fail halfway.
template <class Map>
void absorb(Map& committed, Map& staged) noexcept {
    while (!staged.empty()) {
        auto node = staged.extract(staged.begin());
        const auto found = committed.find(node.key());
        if (found != committed.end()) {
            found->second = std::move(node.mapped());
        } else {
            committed.insert(std::move(node));
        }
    }
}

void absorb(tables& committed, tables& staged) noexcept {
    absorb(committed.policies, staged.policies);
    absorb(committed.tokens, staged.tokens);
    absorb(committed.states, staged.states);
    absorb(committed.authorizations, staged.authorizations);
    absorb(committed.responses, staged.responses);
    absorb(committed.audit, staged.audit);
    committed.next_serial = staged.next_serial;
}

// The current row for `key`: the staged one when this transaction wrote it.
template <class Row>
const Row* current(const table<Row>& committed, const table<Row>& staged, std::string_view key) {
    if (const auto found = staged.find(key); found != staged.end()) {
        return &found->second;
    }
    if (const auto found = committed.find(key); found != committed.end()) {
        return &found->second;
    }
    return nullptr;
}

// Calls `visit` with every current row once, in no particular order.
template <class Row, class Visit>
void for_each_current(const table<Row>& committed, const table<Row>& staged, Visit visit) {
    for (const auto& [key, row] : staged) {
        visit(row);
    }
    for (const auto& [key, row] : committed) {
        if (!staged.contains(key)) {
            visit(row);
        }
    }
}

template <class Value>
std::optional<Value> copy_of(const Value* found) {
    return found != nullptr ? std::optional<Value>(*found) : std::nullopt;
}

// The authorizations that pass `keep`, oldest first, at most `limit`.
template <class Keep>
std::vector<authorization_record> oldest_authorizations(const tables& committed,
                                                        const tables& staged, Keep keep,
                                                        std::size_t limit) {
    std::vector<const authorization_row*> rows;
    for_each_current(committed.authorizations, staged.authorizations,
                     [&](const authorization_row& row) {
                         if (keep(row.record)) rows.push_back(&row);
                     });
    std::sort(rows.begin(), rows.end(), [](const authorization_row* a, const authorization_row* b) {
        return std::tie(a->record.at, a->serial) < std::tie(b->record.at, b->serial);
    });

    std::vector<authorization_record> records;
    records.reserve(std::min(limit, rows.size()));
    for (const authorization_row* row : rows) {
        if (records.size() == limit) break;
        records.push_back(row->record);
    }
    return records;
}

class memory_transaction final : public ledger_transaction {
public:
    explicit memory_transaction(const tables& committed) : committed_(committed) {
        staged_.next_serial = committed.next_serial;
    }

    tables& staged() noexcept { return staged_; }

    std::optional<stored_policy> find_policy(std::string_view hash) override {
        return copy_of(current(committed_.policies, staged_.policies, hash));
    }

    void put_policy(std::string_view hash, const stored_policy& policy) override {
        staged_.policies.insert_or_assign(std::string(hash), policy);
    }

    std::optional<token_record> find_token(std::string_view id) override {
        const token_row* row = current(committed_.tokens, staged_.tokens, id);
        return row != nullptr ? std::optional<token_record>(row->record) : std::nullopt;
    }

    void put_token(const token_record& token) override {
        const std::uint64_t serial = serial_of(token.id, &tables::tokens);
        staged_.tokens.insert_or_assign(token.id, token_row{token, serial});
    }

    std::vector<std::string> children(std::string_view parent) override {
        std::vector<const token_row*> rows;
        for_each_current(committed_.tokens, staged_.tokens, [&](const token_row& row) {
            if (row.record.parent == parent) rows.push_back(&row);
        });
        std::sort(rows.begin(), rows.end(), [](const token_row* a, const token_row* b) {
            return std::tie(a->record.created_at, a->serial) <
                   std::tie(b->record.created_at, b->serial);
        });

        std::vector<std::string> ids;
        ids.reserve(rows.size());
        for (const token_row* row : rows) ids.push_back(row->record.id);
        return ids;
    }

    std::int64_t state_version(std::string_view token) override {
        const stored_state* state = current(committed_.states, staged_.states, token);
        return state != nullptr ? state->version : 0;
    }

    std::optional<stored_state> find_state(std::string_view token) override {
        return copy_of(current(committed_.states, staged_.states, token));
    }

    void put_state(std::string_view token, const stored_state& state) override {
        staged_.states.insert_or_assign(std::string(token), state);
    }

    std::optional<authorization_record> find_authorization(std::string_view id) override {
        const authorization_row* row =
            current(committed_.authorizations, staged_.authorizations, id);
        return row != nullptr ? std::optional<authorization_record>(row->record) : std::nullopt;
    }

    void put_authorization(const authorization_record& record) override {
        const std::uint64_t serial = serial_of(record.id, &tables::authorizations);
        staged_.authorizations.insert_or_assign(record.id, authorization_row{record, serial});
    }

    std::vector<authorization_record> holds_before(instant cutoff, std::size_t limit) override {
        const auto old_hold = [cutoff](const authorization_record& record) {
            return record.status == hold_status::held && record.at < cutoff;
        };
        return oldest_authorizations(committed_, staged_, old_hold, limit);
    }

    std::vector<authorization_record> authorizations_of(std::string_view token) override {
        const auto of_token = [token](const authorization_record& record) {
            return record.token == token;
        };
        return oldest_authorizations(committed_, staged_, of_token, SIZE_MAX);
    }

    std::optional<stored_response> find_response(std::string_view key) override {
        return copy_of(current(committed_.responses, staged_.responses, key));
    }

    void put_response(std::string_view key, const stored_response& response) override {
        staged_.responses.insert_or_assign(std::string(key), response);
    }

    audit_head head() override {
        // Staged records all follow the committed ones, so the newest is staged if any is.
        const auto& newest = !staged_.audit.empty() ? staged_.audit : committed_.audit;
        if (newest.empty()) {
            return {0, genesis_hash()};
        }
        const audit_entry& last = newest.rbegin()->second;
        return {last.sequence, last.hash};
    }

    void append_audit(const audit_entry& entry) override {
        const std::int64_t expected = head().sequence + 1;
        if (entry.sequence != expected) {
            throw ledger_error("audit record " + std::to_string(entry.sequence) +
                               " does not follow the trail's head; expected record " +
                               std::to_string(expected));
        }
        staged_.audit.emplace(entry.sequence, entry);
    }

    std::vector<audit_entry> audit(std::int64_t from, std::size_t limit) override {
        std::vector<audit_entry> entries;
        // Staged records all follow the committed ones.
        const std::array<const audit_trail*, 2> trails = {&committed_.audit, &staged_.audit};
        for (const audit_trail* trail : trails) {
            for (auto it = trail->lower_bound(from); it != trail->end(); ++it) {
                if (entries.size() == limit) return entries;
                entries.push_back(it->second);
            }
        }
        return entries;
    }

private:
    // The serial of the row `id` already has, or a new one for a new row.
    template <class Row>
    std::uint64_t serial_of(const std::string& id, table<Row> tables::*rows) {
        if (const Row* row = current(committed_.*rows, staged_.*rows, id)) {
            return row->serial;
        }
        return staged_.next_serial++;
    }

    const tables& committed_;
    tables staged_;
};

class memory_ledger final : public ledger {
public:
    void transact(const std::function<void(ledger_transaction&)>& work) override {
        std::lock_guard lock(mutex_);
        memory_transaction transaction(committed_);
        work(transaction);
        absorb(committed_, transaction.staged());
    }

    std::string describe() const override { return "memory"; }

private:
    std::mutex mutex_;
    tables committed_;
};

}  // namespace

std::unique_ptr<ledger> make_memory_ledger() { return std::make_unique<memory_ledger>(); }

}  // namespace mandate
