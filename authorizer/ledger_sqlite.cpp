// The SQLite ledger: one file in WAL mode, one connection per ledger object.
//
// Every transaction begins with BEGIN IMMEDIATE, which takes the file's write lock
// before the first read: two processes sharing the file queue up instead of both
// reading a budget and both spending it. Commits are flushed to disk
// (synchronous=FULL) before transact returns.
//
// Every statement is prepared once, when the ledger opens, and reused; an
// authorization runs about ten of them, so preparing each time would cost more
// than running them.
//
// The file is marked as a mandate ledger (PRAGMA application_id) and carries its
// schema version (PRAGMA user_version). A ledger refuses, without writing to it,
// a file that is not SQLite, an SQLite database of another application, or a
// ledger newer than this build; an older ledger is migrated when opened.
#include "mandate/ledger.hpp"

#include <sqlite3.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <array>
#include <cstdint>
#include <limits>
#include <mutex>
#include <span>
#include <utility>

#include "mandate/audit.hpp"

namespace mandate {

namespace {

// "MNDT" in ASCII: marks the file as a mandate ledger.
constexpr std::int64_t ledger_application_id = 0x4d4e4454;

// How long a transaction waits for another connection's write lock.
constexpr int busy_timeout_ms = 30'000;

// synchronous=FULL: a commit is on disk (the WAL fsynced) before transact returns.
// A 64 MiB page cache keeps a busy ledger's indexes in memory. Checkpointing every
// 10,000 pages (about 40 MB of WAL) rather than every 1,000 copies a hot page back
// to the database once instead of ten times: with random ids, a group commit of
// 100 authorizations dirties hundreds of pages, and the default checkpoints after
// every other commit.
constexpr const char* connection_settings =
    "PRAGMA synchronous = FULL;"
    "PRAGMA foreign_keys = ON;"
    "PRAGMA cache_size = -65536;"
    "PRAGMA wal_autocheckpoint = 10000;"
    "PRAGMA temp_store = MEMORY";

struct migration {
    int version;  // the schema version after this migration
    const char* sql;
};

// Instants and durations are INTEGER microseconds since 1970-01-01T00:00:00Z.
// Money is exact: minor units as decimal TEXT (they are 128-bit), the currency as
// its code ('' for none). Tables are STRICT, so a value of the wrong type is
// refused instead of converted. Rows are written with upserts, which keep their
// rowid, so ordering by rowid gives the order in which records were first written.
constexpr std::array migrations = {
    migration{1, R"sql(
        CREATE TABLE policies (
            hash TEXT PRIMARY KEY,
            file_name TEXT NOT NULL,
            source TEXT NOT NULL
        ) STRICT;

        CREATE TABLE tokens (
            id TEXT PRIMARY KEY,
            parent TEXT NOT NULL,  -- '' for a root token
            policy_hash TEXT NOT NULL,
            mandate TEXT NOT NULL,
            arguments TEXT NOT NULL,
            seller TEXT NOT NULL,
            card_brand TEXT NOT NULL,
            card_last4 TEXT NOT NULL,
            card_funding TEXT NOT NULL,
            card_exp_month INTEGER NOT NULL,
            card_exp_year INTEGER NOT NULL,
            created_at INTEGER NOT NULL,
            expires_at INTEGER NOT NULL,
            lifetime INTEGER NOT NULL,
            status TEXT NOT NULL,
            status_reason TEXT NOT NULL,
            status_at INTEGER NOT NULL
        ) STRICT;
        CREATE INDEX tokens_by_parent ON tokens (parent, created_at);

        CREATE TABLE states (
            token TEXT PRIMARY KEY,
            version INTEGER NOT NULL,
            bytes BLOB NOT NULL
        ) STRICT;

        CREATE TABLE authorizations (
            id TEXT PRIMARY KEY,
            token TEXT NOT NULL,
            chain TEXT NOT NULL,  -- JSON array of token ids
            charge_id TEXT NOT NULL,
            seller TEXT NOT NULL,
            amount TEXT NOT NULL,
            currency TEXT NOT NULL,
            captured TEXT NOT NULL,
            refunded TEXT NOT NULL,
            at INTEGER NOT NULL,
            status TEXT NOT NULL,
            updated_at INTEGER NOT NULL
        ) STRICT;
        CREATE INDEX authorizations_by_status ON authorizations (status, at);
        CREATE INDEX authorizations_by_token ON authorizations (token, at);

        CREATE TABLE responses (
            key TEXT PRIMARY KEY,
            request_hash TEXT NOT NULL,
            response TEXT NOT NULL
        ) STRICT;

        CREATE TABLE audit (
            sequence INTEGER PRIMARY KEY,
            at INTEGER NOT NULL,
            actor TEXT NOT NULL,
            action TEXT NOT NULL,
            token TEXT NOT NULL,
            seller TEXT NOT NULL,
            request TEXT NOT NULL,
            outcome TEXT NOT NULL,
            policy_hash TEXT NOT NULL,
            previous_hash TEXT NOT NULL,
            hash TEXT NOT NULL
        ) STRICT;
        CREATE INDEX audit_by_token ON audit (token);
        CREATE INDEX audit_by_seller ON audit (seller);
    )sql"},
    // Schema 2 scopes idempotency keys by what they are about (the token, the
    // authorization, the grant and the seller). Keys written under schema 1 were
    // global ("authorize:" + key); they move under 'v1:' so that no new key can
    // spell one, and keep their global meaning. A marker row says that some exist,
    // so that ledgers without them are never searched for them. The keys of
    // `check --ledger` were scoped already and stay as they are.
    migration{2, R"sql(
        UPDATE responses SET key = 'v1:' || key WHERE substr(key, 1, 6) <> 'check:';
        INSERT INTO responses (key, request_hash, response)
            SELECT 'v1:present', '', ''
            WHERE EXISTS (SELECT 1 FROM responses WHERE substr(key, 1, 3) = 'v1:');
    )sql"},
};

static_assert(migrations.back().version == ledger_schema_version,
              "the last migration must create the schema this build writes");

// The columns of each table, in the order statements bind and read them. The
// first column is the key.
using column_list = std::span<const std::string_view>;

constexpr std::array<std::string_view, 3> policy_columns = {"hash", "file_name", "source"};
constexpr std::array<std::string_view, 17> token_columns = {
    "id",         "parent",     "policy_hash",  "mandate",        "arguments",     "seller",
    "card_brand", "card_last4", "card_funding", "card_exp_month", "card_exp_year", "created_at",
    "expires_at", "lifetime",   "status",       "status_reason",  "status_at"};
constexpr std::array<std::string_view, 3> state_columns = {"token", "version", "bytes"};
constexpr std::array<std::string_view, 12> authorization_columns = {
    "id",       "token",    "chain",    "charge_id", "seller", "amount",
    "currency", "captured", "refunded", "at",        "status", "updated_at"};
constexpr std::array<std::string_view, 3> response_columns = {"key", "request_hash", "response"};
constexpr std::array<std::string_view, 11> audit_columns = {
    "sequence", "at",      "actor",       "action",        "token", "seller",
    "request",  "outcome", "policy_hash", "previous_hash", "hash"};

std::string joined(column_list columns, std::string_view before, std::string_view after) {
    std::string text;
    for (const std::string_view column : columns) {
        if (!text.empty()) text += ", ";
        text.append(before).append(column).append(after);
    }
    return text;
}

std::string parameters(std::size_t count) {
    std::string text;
    for (std::size_t index = 1; index <= count; ++index) {
        if (index > 1) text += ", ";
        text += '?';
        text += std::to_string(index);
    }
    return text;
}

std::string select_sql(std::string_view table, column_list columns, std::string_view rest) {
    return "SELECT " + joined(columns, "", "") + " FROM " + std::string(table) + " " +
           std::string(rest);
}

// Inserts a row, or updates the row with the same key in place (keeping its rowid).
std::string upsert_sql(std::string_view table, column_list columns) {
    return "INSERT INTO " + std::string(table) + " (" + joined(columns, "", "") + ") VALUES (" +
           parameters(columns.size()) + ") ON CONFLICT (" + std::string(columns.front()) +
           ") DO UPDATE SET (" + joined(columns.subspan(1), "", "") + ") = (" +
           joined(columns.subspan(1), "excluded.", "") + ")";
}

// ---- errors ---------------------------------------------------------------------

[[noreturn]] void fail(sqlite3* db, std::string_view what) {
    const char* file = sqlite3_db_filename(db, "main");
    std::string message = "ledger ";
    message += file != nullptr && *file != '\0' ? file : "(not open)";
    message.append(": ").append(what).append(": ").append(sqlite3_errmsg(db));
    if (sqlite3_errcode(db) == SQLITE_BUSY) {
        message += " (another connection holds the write lock; waited up to " +
                   std::to_string(busy_timeout_ms / 1000) + " s)";
    } else if (sqlite3_errcode(db) == SQLITE_NOTADB) {
        message += " (it is not an SQLite database, so not a mandate ledger)";
    }
    throw ledger_error(message);
}

void check(sqlite3* db, int result, std::string_view what) {
    if (result != SQLITE_OK) fail(db, what);
}

// The start of a statement's SQL, enough to tell which statement failed.
std::string excerpt(std::string_view sql) {
    constexpr std::size_t shown = 48;
    return sql.size() <= shown ? std::string(sql) : std::string(sql.substr(0, shown)) + "...";
}

[[noreturn]] void corrupt(std::string_view what, std::string_view value) {
    throw ledger_error("ledger holds " + std::string(what) + " '" + std::string(value) +
                       "' that this build cannot read; the file may be corrupt");
}

// ---- statements -----------------------------------------------------------------

// The bytes of a BLOB parameter (a plain string_view binds as TEXT).
struct blob {
    std::string_view bytes;
};

// One use of a prepared statement: binds its parameters, steps through its rows
// and reads their columns. Resets the statement and clears its parameters when it
// goes out of scope, so the statement holds no lock and no pointer into the
// caller's strings.
class cursor {
public:
    cursor(sqlite3* db, sqlite3_stmt* statement) noexcept : db_(db), statement_(statement) {}
    cursor(cursor&& other) noexcept
        : db_(other.db_), statement_(std::exchange(other.statement_, nullptr)) {}
    cursor(const cursor&) = delete;
    cursor& operator=(const cursor&) = delete;
    cursor& operator=(cursor&&) = delete;

    ~cursor() {
        if (statement_ != nullptr) {
            sqlite3_reset(statement_);
            sqlite3_clear_bindings(statement_);
        }
    }

    void bind(int index, std::string_view text) {
        // A null pointer would bind NULL; an empty text is still text.
        const char* first = text.data() != nullptr ? text.data() : "";
        check(
            db_,
            sqlite3_bind_text64(statement_, index, first, text.size(), SQLITE_STATIC, SQLITE_UTF8),
            "cannot bind a text");
    }
    void bind(int index, const std::string& text) { bind(index, std::string_view(text)); }
    void bind(int index, blob value) {
        const char* first = value.bytes.data() != nullptr ? value.bytes.data() : "";
        check(db_, sqlite3_bind_blob64(statement_, index, first, value.bytes.size(), SQLITE_STATIC),
              "cannot bind a blob");
    }
    void bind(int index, std::int64_t value) {
        check(db_, sqlite3_bind_int64(statement_, index, value), "cannot bind an integer");
    }
    void bind(int index, duration length) { bind(index, std::int64_t{length.count()}); }
    void bind(int index, instant at) { bind(index, at.time_since_epoch()); }
    void bind(int index, minor_units units) {
        const std::string digits = to_string(units);
        check(db_,
              sqlite3_bind_text64(statement_, index, digits.data(), digits.size(), SQLITE_TRANSIENT,
                                  SQLITE_UTF8),
              "cannot bind an amount");
    }

    // Steps to the next row: true when there is one.
    bool next() {
        const int result = sqlite3_step(statement_);
        if (result == SQLITE_ROW) return true;
        if (result == SQLITE_DONE) return false;
        fail(db_, excerpt(sqlite3_sql(statement_)));
    }

    // Runs a statement that returns no rows.
    void finish() {
        if (next()) fail(db_, "a write returned rows");
    }

    std::int64_t integer(int column) const { return sqlite3_column_int64(statement_, column); }
    instant time(int column) const { return instant(duration(integer(column))); }

    // Valid until the next step.
    std::string_view text_view(int column) const {
        const auto* first = sqlite3_column_text(statement_, column);
        const auto size = static_cast<std::size_t>(sqlite3_column_bytes(statement_, column));
        return first != nullptr ? std::string_view(reinterpret_cast<const char*>(first), size)
                                : std::string_view();
    }
    std::string text(int column) const { return std::string(text_view(column)); }

    std::string bytes(int column) const {
        const void* first = sqlite3_column_blob(statement_, column);
        const auto size = static_cast<std::size_t>(sqlite3_column_bytes(statement_, column));
        return first != nullptr ? std::string(static_cast<const char*>(first), size)
                                : std::string();
    }

private:
    sqlite3* db_;
    sqlite3_stmt* statement_;
};

struct finalizer {
    void operator()(sqlite3_stmt* statement) const noexcept { sqlite3_finalize(statement); }
};

// A statement prepared once and run many times.
class statement {
public:
    statement(sqlite3* db, const std::string& sql) : db_(db) {
        sqlite3_stmt* prepared = nullptr;
        const int result = sqlite3_prepare_v3(db, sql.c_str(), static_cast<int>(sql.size() + 1),
                                              SQLITE_PREPARE_PERSISTENT, &prepared, nullptr);
        prepared_.reset(prepared);
        if (result != SQLITE_OK) fail(db, "cannot prepare " + excerpt(sql));
    }

    // Binds `values` to ?1, ?2, ... in order.
    template <class... Values>
    cursor run(const Values&... values) {
        cursor rows(db_, prepared_.get());
        int index = 0;
        (rows.bind(++index, values), ...);
        return rows;
    }

private:
    sqlite3* db_;
    std::unique_ptr<sqlite3_stmt, finalizer> prepared_;
};

// Every statement the ledger runs, prepared when it opens.
struct statements {
    explicit statements(sqlite3* db)
        : begin(db, "BEGIN IMMEDIATE"),
          commit(db, "COMMIT"),
          rollback(db, "ROLLBACK"),
          find_policy(db, select_sql("policies", policy_columns, "WHERE hash = ?1")),
          put_policy(db, upsert_sql("policies", policy_columns)),
          find_token(db, select_sql("tokens", token_columns, "WHERE id = ?1")),
          put_token(db, upsert_sql("tokens", token_columns)),
          children(db, "SELECT id FROM tokens WHERE parent = ?1 ORDER BY created_at, rowid"),
          state_version(db, "SELECT version FROM states WHERE token = ?1"),
          find_state(db, "SELECT version, bytes FROM states WHERE token = ?1"),
          put_state(db, upsert_sql("states", state_columns)),
          find_authorization(db,
                             select_sql("authorizations", authorization_columns, "WHERE id = ?1")),
          put_authorization(db, upsert_sql("authorizations", authorization_columns)),
          holds_before(db, select_sql("authorizations", authorization_columns,
                                      "WHERE status = 'held' AND at < ?1 "
                                      "ORDER BY at, rowid LIMIT ?2")),
          authorizations_of(db, select_sql("authorizations", authorization_columns,
                                           "WHERE token = ?1 ORDER BY at, rowid")),
          find_response(db, "SELECT request_hash, response FROM responses WHERE key = ?1"),
          put_response(db, upsert_sql("responses", response_columns)),
          head(db, "SELECT sequence, hash FROM audit ORDER BY sequence DESC LIMIT 1"),
          append_audit(db, "INSERT INTO audit (" + joined(audit_columns, "", "") + ") VALUES (" +
                               parameters(audit_columns.size()) + ")"),
          audit(db, select_sql("audit", audit_columns,
                               "WHERE sequence >= ?1 ORDER BY sequence LIMIT ?2")) {}

    statement begin, commit, rollback;
    statement find_policy, put_policy;
    statement find_token, put_token, children;
    statement state_version, find_state, put_state;
    statement find_authorization, put_authorization, holds_before, authorizations_of;
    statement find_response, put_response;
    statement head, append_audit, audit;
};

// ---- rows -------------------------------------------------------------------------

minor_units read_units(const cursor& row, int column) {
    // Accumulated as a negative number, which has room for the most negative value.
    const std::string_view text = row.text_view(column);
    const bool negative = !text.empty() && text.front() == '-';
    const std::string_view digits = negative ? text.substr(1) : text;
    minor_units value = 0;
    for (const char digit : digits) {
        if (digit < '0' || digit > '9' || !checked_mul(value, 10, value) ||
            !checked_sub(value, digit - '0', value)) {
            corrupt("an amount", text);
        }
    }
    if (digits.empty() || (!negative && value == std::numeric_limits<minor_units>::min())) {
        corrupt("an amount", text);
    }
    return negative ? value : -value;
}

currency read_currency(const cursor& row, int column) {
    const std::string_view code = row.text_view(column);
    if (code.empty()) return currency{};
    const auto found = currency::find(code);
    if (!found) corrupt("a currency", code);
    return *found;
}

token_status read_token_status(const cursor& row, int column) {
    const auto status = parse_token_status(row.text_view(column));
    if (!status) corrupt("a token status", row.text_view(column));
    return *status;
}

hold_status read_hold_status(const cursor& row, int column) {
    const auto status = parse_hold_status(row.text_view(column));
    if (!status) corrupt("a hold status", row.text_view(column));
    return *status;
}

std::string chain_text(const std::vector<std::string>& chain) {
    try {
        return nlohmann::json(chain).dump();
    } catch (const nlohmann::json::exception& error) {
        throw ledger_error(std::string("cannot store an authorization's chain: ") + error.what());
    }
}

std::vector<std::string> read_chain(const cursor& row, int column) {
    const std::string_view text = row.text_view(column);
    const auto chain = nlohmann::json::parse(text, nullptr, false);
    if (!chain.is_array()) corrupt("an authorization chain", text);

    std::vector<std::string> tokens;
    tokens.reserve(chain.size());
    for (const auto& token : chain) {
        if (!token.is_string()) corrupt("an authorization chain", text);
        tokens.push_back(token.get<std::string>());
    }
    return tokens;
}

token_record read_token(const cursor& row) {
    token_record token;
    token.id = row.text(0);
    token.parent = row.text(1);
    token.policy_hash = row.text(2);
    token.mandate = row.text(3);
    token.arguments = row.text(4);
    token.seller = row.text(5);
    token.card.brand = row.text(6);
    token.card.last4 = row.text(7);
    token.card.funding = row.text(8);
    token.card.exp_month = static_cast<int>(row.integer(9));
    token.card.exp_year = static_cast<int>(row.integer(10));
    token.created_at = row.time(11);
    token.expires_at = row.time(12);
    token.lifetime = duration(row.integer(13));
    token.status = read_token_status(row, 14);
    token.status_reason = row.text(15);
    token.status_at = row.time(16);
    return token;
}

authorization_record read_authorization(const cursor& row) {
    authorization_record record;
    record.id = row.text(0);
    record.token = row.text(1);
    record.chain = read_chain(row, 2);
    record.charge_id = row.text(3);
    record.seller = row.text(4);
    record.amount = {read_units(row, 5), read_currency(row, 6)};
    record.captured = read_units(row, 7);
    record.refunded = read_units(row, 8);
    record.at = row.time(9);
    record.status = read_hold_status(row, 10);
    record.updated_at = row.time(11);
    return record;
}

audit_entry read_audit(const cursor& row) {
    audit_entry entry;
    entry.sequence = row.integer(0);
    entry.at = row.time(1);
    entry.actor = row.text(2);
    entry.action = row.text(3);
    entry.token = row.text(4);
    entry.seller = row.text(5);
    entry.request = row.text(6);
    entry.outcome = row.text(7);
    entry.policy_hash = row.text(8);
    entry.previous_hash = row.text(9);
    entry.hash = row.text(10);
    return entry;
}

std::int64_t row_limit(std::size_t limit) {
    return static_cast<std::int64_t>(
        std::min<std::size_t>(limit, std::numeric_limits<std::int64_t>::max()));
}

// ---- the transaction ----------------------------------------------------------------

class sqlite_transaction final : public ledger_transaction {
public:
    sqlite_transaction(sqlite3* db, statements& prepared) noexcept : db_(db), prepared_(prepared) {}

    std::optional<stored_policy> find_policy(std::string_view hash) override {
        auto row = live().find_policy.run(hash);
        if (!row.next()) return std::nullopt;
        return stored_policy{row.text(1), row.text(2)};
    }

    void put_policy(std::string_view hash, const stored_policy& policy) override {
        live().put_policy.run(hash, policy.file_name, policy.source).finish();
    }

    std::optional<token_record> find_token(std::string_view id) override {
        auto row = live().find_token.run(id);
        if (!row.next()) return std::nullopt;
        return read_token(row);
    }

    void put_token(const token_record& token) override {
        const card_details& card = token.card;
        live()
            .put_token
            .run(token.id, token.parent, token.policy_hash, token.mandate, token.arguments,
                 token.seller, card.brand, card.last4, card.funding, std::int64_t{card.exp_month},
                 std::int64_t{card.exp_year}, token.created_at, token.expires_at, token.lifetime,
                 to_string(token.status), token.status_reason, token.status_at)
            .finish();
    }

    std::vector<std::string> children(std::string_view parent) override {
        auto rows = live().children.run(parent);
        std::vector<std::string> ids;
        while (rows.next()) ids.push_back(rows.text(0));
        return ids;
    }

    std::int64_t state_version(std::string_view token) override {
        auto row = live().state_version.run(token);
        return row.next() ? row.integer(0) : 0;
    }

    std::optional<stored_state> find_state(std::string_view token) override {
        auto row = live().find_state.run(token);
        if (!row.next()) return std::nullopt;
        return stored_state{row.integer(0), row.bytes(1)};
    }

    void put_state(std::string_view token, const stored_state& state) override {
        live().put_state.run(token, state.version, blob{state.bytes}).finish();
    }

    std::optional<authorization_record> find_authorization(std::string_view id) override {
        auto row = live().find_authorization.run(id);
        if (!row.next()) return std::nullopt;
        return read_authorization(row);
    }

    void put_authorization(const authorization_record& record) override {
        live()
            .put_authorization
            .run(record.id, record.token, chain_text(record.chain), record.charge_id, record.seller,
                 record.amount.units, record.amount.unit.code(), record.captured, record.refunded,
                 record.at, to_string(record.status), record.updated_at)
            .finish();
    }

    std::vector<authorization_record> holds_before(instant cutoff, std::size_t limit) override {
        return authorizations(live().holds_before.run(cutoff, row_limit(limit)));
    }

    std::vector<authorization_record> authorizations_of(std::string_view token) override {
        return authorizations(live().authorizations_of.run(token));
    }

    std::optional<stored_response> find_response(std::string_view key) override {
        auto row = live().find_response.run(key);
        if (!row.next()) return std::nullopt;
        return stored_response{row.text(0), row.text(1)};
    }

    void put_response(std::string_view key, const stored_response& response) override {
        live().put_response.run(key, response.request_hash, response.response).finish();
    }

    audit_head head() override {
        auto row = live().head.run();
        if (!row.next()) return {0, genesis_hash()};
        return {row.integer(0), row.text(1)};
    }

    void append_audit(const audit_entry& entry) override {
        // Checked here rather than in the INSERT (an INSERT ... SELECT costs a
        // statement journal, a third of a group commit's time). The transaction
        // holds the write lock, so after one read the head only moves by appends.
        if (!last_sequence_) last_sequence_ = head().sequence;
        const std::int64_t expected = *last_sequence_ + 1;
        if (entry.sequence != expected) {
            throw ledger_error("audit record " + std::to_string(entry.sequence) +
                               " does not follow the trail's head; expected record " +
                               std::to_string(expected));
        }
        live()
            .append_audit
            .run(entry.sequence, entry.at, entry.actor, entry.action, entry.token, entry.seller,
                 entry.request, entry.outcome, entry.policy_hash, entry.previous_hash, entry.hash)
            .finish();
        last_sequence_ = entry.sequence;
    }

    std::vector<audit_entry> audit(std::int64_t from, std::size_t limit) override {
        auto rows = live().audit.run(from, row_limit(limit));
        std::vector<audit_entry> entries;
        while (rows.next()) entries.push_back(read_audit(rows));
        return entries;
    }

private:
    // The statements, once it is certain the transaction is still open: after some
    // errors (a full disk) SQLite rolls back by itself, and a caller that caught the
    // error and went on would otherwise write outside any transaction.
    statements& live() {
        if (sqlite3_get_autocommit(db_) != 0) {
            throw ledger_error("the ledger transaction was rolled back by an earlier error");
        }
        return prepared_;
    }

    static std::vector<authorization_record> authorizations(cursor rows) {
        std::vector<authorization_record> records;
        while (rows.next()) records.push_back(read_authorization(rows));
        return records;
    }

    sqlite3* db_;
    statements& prepared_;
    std::optional<std::int64_t> last_sequence_;  // the newest audit record, once read
};

// ---- opening ----------------------------------------------------------------------

struct closer {
    void operator()(sqlite3* db) const noexcept { sqlite3_close_v2(db); }
};
using connection = std::unique_ptr<sqlite3, closer>;

void execute(sqlite3* db, const char* sql, std::string_view what) {
    check(db, sqlite3_exec(db, sql, nullptr, nullptr, nullptr), what);
}

// Runs a statement that answers one value, such as a PRAGMA.
template <class Read>
auto single_value(sqlite3* db, const std::string& sql, Read read) {
    statement query(db, sql);
    auto row = query.run();
    if (!row.next()) fail(db, sql + " answered nothing");
    return read(row);
}

std::int64_t integer_value(sqlite3* db, const std::string& sql) {
    return single_value(db, sql, [](const cursor& row) { return row.integer(0); });
}

// What the file says it is.
struct file_identity {
    std::int64_t application_id = 0;
    std::int64_t schema_version = 0;
    std::int64_t schema_objects = 0;  // tables, indexes, views, triggers

    bool empty() const noexcept {
        return application_id == 0 && schema_version == 0 && schema_objects == 0;
    }
};

file_identity read_identity(sqlite3* db) {
    return {integer_value(db, "PRAGMA application_id"), integer_value(db, "PRAGMA user_version"),
            integer_value(db, "SELECT COUNT(*) FROM sqlite_schema")};
}

// Accepts a new, empty file or a mandate ledger this build can read.
void check_identity(const file_identity& identity, const std::string& path) {
    if (identity.empty()) return;
    if (identity.application_id != ledger_application_id) {
        throw ledger_error(path +
                           " is not a mandate ledger: it is an SQLite database of another "
                           "application (application_id " +
                           std::to_string(identity.application_id) + ", " +
                           std::to_string(identity.schema_objects) + " schema objects)");
    }
    if (identity.schema_version > ledger_schema_version) {
        throw ledger_error(path + " has ledger schema version " +
                           std::to_string(identity.schema_version) + ", newer than version " +
                           std::to_string(ledger_schema_version) +
                           " that this build knows; use a newer mandate");
    }
}

// Brings the schema to ledger_schema_version, in one transaction so that two
// processes opening a new file do not both create it.
void migrate(sqlite3* db, const std::string& path) {
    execute(db, "BEGIN IMMEDIATE", "cannot begin the migration");
    try {
        const file_identity identity = read_identity(db);
        check_identity(identity, path);
        for (const migration& step : migrations) {
            if (step.version > identity.schema_version) {
                execute(db, step.sql,
                        "cannot migrate to schema version " + std::to_string(step.version));
            }
        }
        if (identity.schema_version < ledger_schema_version) {
            const std::string mark =
                "PRAGMA application_id = " + std::to_string(ledger_application_id) +
                "; PRAGMA user_version = " + std::to_string(ledger_schema_version);
            execute(db, mark.c_str(), "cannot record the schema version");
        }
        execute(db, "COMMIT", "cannot commit the migration");
    } catch (...) {
        if (sqlite3_get_autocommit(db) == 0) {
            sqlite3_exec(db, "ROLLBACK", nullptr, nullptr, nullptr);
        }
        throw;
    }
}

connection open_database(const std::string& path) {
    sqlite3* opened = nullptr;
    const int result = sqlite3_open_v2(
        path.c_str(), &opened,
        SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE,
        nullptr);
    connection db(opened);
    if (db == nullptr) throw ledger_error("cannot open ledger " + path + ": out of memory");
    if (result != SQLITE_OK) {
        throw ledger_error("cannot open ledger " + path + ": " + sqlite3_errmsg(db.get()));
    }
    if (sqlite3_db_readonly(db.get(), "main") == 1) {
        throw ledger_error("ledger " + path + ": the file is read-only; a ledger must be writable");
    }

    check(db.get(), sqlite3_busy_timeout(db.get(), busy_timeout_ms), "cannot set a busy timeout");
    // Defensive mode: no SQL can corrupt the file on purpose (writable_schema and the like).
    check(db.get(), sqlite3_db_config(db.get(), SQLITE_DBCONFIG_DEFENSIVE, 1, nullptr),
          "cannot enable defensive mode");

    // Refuse another application's file before changing anything in it.
    check_identity(read_identity(db.get()), path);

    const std::string journal = single_value(db.get(), "PRAGMA journal_mode = WAL",
                                             [](const cursor& row) { return row.text(0); });
    if (journal != "wal") {
        throw ledger_error("ledger " + path + ": cannot use write-ahead logging (journal mode " +
                           journal + "); the ledger must be a file on a local file system");
    }
    execute(db.get(), connection_settings, "cannot configure the connection");
    migrate(db.get(), path);
    return db;
}

// ---- the ledger -------------------------------------------------------------------

class sqlite_ledger final : public ledger {
public:
    explicit sqlite_ledger(std::string path)
        : path_(std::move(path)), db_(open_database(path_)), prepared_(db_.get()) {}

    void transact(const std::function<void(ledger_transaction&)>& work) override {
        std::lock_guard lock(mutex_);
        prepared_.begin.run().finish();
        try {
            sqlite_transaction transaction(db_.get(), prepared_);
            work(transaction);
            prepared_.commit.run().finish();
        } catch (...) {
            roll_back();
            throw;
        }
    }

    std::string describe() const override { return "sqlite:" + path_; }

private:
    // Best effort: a transaction SQLite already rolled back has nothing left to undo,
    // and if ROLLBACK itself fails the transaction stays open, so the next BEGIN
    // fails and reports it instead of anything being written.
    void roll_back() noexcept {
        if (sqlite3_get_autocommit(db_.get()) != 0) return;
        try {
            prepared_.rollback.run().finish();
        } catch (...) {
        }
    }

    std::string path_;
    connection db_;
    statements prepared_;
    std::mutex mutex_;
};

}  // namespace

std::unique_ptr<ledger> open_sqlite_ledger(const std::string& path) {
    return std::make_unique<sqlite_ledger>(path);
}

}  // namespace mandate
