// Where the authorizer keeps what must survive: tokens, budget state, holds,
// idempotent answers, policies and the audit trail.
//
// The authorizer (mandate/authorizer.hpp) holds all of the payment logic; a
// ledger only stores and finds records, inside transactions. Two come with the
// library, behind the same interface:
//
//   auto durable = mandate::open_sqlite_ledger("budgets.db");   // one file, WAL mode
//   auto scratch = mandate::make_memory_ledger();               // tests, external state
//
// A shared database ledger can be added by implementing `ledger` without touching
// the engine or the authorizer.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "mandate/money.hpp"
#include "mandate/time.hpp"

namespace mandate {

// The card a token pays with, as the seller may see it. Never a card number.
struct card_details {
    std::string brand;    // "visa", "mastercard", "amex", ... (lower case)
    std::string last4;    // four digits
    std::string funding;  // "credit", "debit" or "prepaid"
    int exp_month = 0;    // 1..12
    int exp_year = 0;     // four digits

    friend bool operator==(const card_details&, const card_details&) = default;
};

enum class token_status : std::uint8_t { active, revoked, expired, consumed };

std::string_view to_string(token_status status) noexcept;
std::optional<token_status> parse_token_status(std::string_view text) noexcept;

// A shared payment token: one mandate instance, one payment method, one seller.
struct token_record {
    std::string id;           // "spt_" + 26 base32 characters (130 random bits)
    std::string parent;       // the grant that minted it; empty for a root token
    std::string policy_hash;  // SHA-256 of the policy source, lower-case hex
    std::string mandate;      // the mandate's name in that policy
    std::string arguments;    // the mandate's arguments, a canonical JSON object
    std::string seller;       // the seller it is granted to; "*": mints children only
    card_details card;
    instant created_at{};
    instant expires_at = instant::max();  // the token's own end; max: none
    duration lifetime{};                  // how long renew() makes a child live; 0: none
    token_status status = token_status::active;
    std::string status_reason;  // why it stopped: "requested", "renewed", "parent_revoked", ...
    instant status_at{};        // when it stopped

    friend bool operator==(const token_record&, const token_record&) = default;
};

enum class hold_status : std::uint8_t { held, captured, reversed, expired };

std::string_view to_string(hold_status status) noexcept;
std::optional<hold_status> parse_hold_status(std::string_view text) noexcept;

// One approved authorization and what became of its hold.
struct authorization_record {
    std::string id;                  // "auth_" + 26 base32 characters
    std::string token;               // the token charged
    std::vector<std::string> chain;  // token, parent, ...: every token it counted against
    std::string charge_id;           // the charge's own id, when it had one
    std::string seller;              // the seller that charged
    money amount;                    // authorized and held
    minor_units captured = 0;        // of amount
    minor_units refunded = 0;        // of captured
    instant at{};                    // when it was counted in the budget windows
    hold_status status = hold_status::held;
    instant updated_at{};

    friend bool operator==(const authorization_record&, const authorization_record&) = default;
};

// The first answer given to an idempotency key.
struct stored_response {
    std::string request_hash;  // SHA-256 of the canonical request, hex
    std::string response;      // the answer, JSON

    friend bool operator==(const stored_response&, const stored_response&) = default;
};

// A token's budget state, serialized (see encode_state in mandate/policy.hpp).
// `version` grows by one with every change, so a process can keep a decoded copy
// and reload it only when another process has changed it.
struct stored_state {
    std::int64_t version = 0;
    std::string bytes;

    friend bool operator==(const stored_state&, const stored_state&) = default;
};

struct stored_policy {
    std::string file_name;
    std::string source;

    friend bool operator==(const stored_policy&, const stored_policy&) = default;
};

// One record of the audit trail. Records are hash-chained: `hash` covers every
// other field, `previous_hash` included (see mandate/audit.hpp).
struct audit_entry {
    std::int64_t sequence = 0;  // 1, 2, 3, ... with no gaps
    instant at{};               // when it was recorded
    std::string actor;          // who asked: "owner", "seller:acct_1", "system"
    std::string action;         // "token.create", "authorize", "capture", ...
    std::string token;          // the token concerned, or empty
    std::string seller;         // the seller concerned, or empty
    std::string request;        // the request, JSON
    std::string outcome;        // the answer, JSON
    std::string policy_hash;    // the policy in force, or empty
    std::string previous_hash;  // the previous record's hash; 64 '0' for the first
    std::string hash;

    friend bool operator==(const audit_entry&, const audit_entry&) = default;
};

// The newest audit record's sequence and hash; {0, 64 '0'} when there is none.
struct audit_head {
    std::int64_t sequence = 0;
    std::string hash;
};

// Thrown when the store itself fails (disk full, a corrupt file, a lock held
// too long). Never thrown for a payment being declined or a request being bad.
class ledger_error : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// Reads and writes inside one transaction. Valid only during ledger::transact.
// Reads see this transaction's own writes. put_* insert or replace by key.
class ledger_transaction {
public:
    virtual ~ledger_transaction() = default;

    virtual std::optional<stored_policy> find_policy(std::string_view hash) = 0;
    virtual void put_policy(std::string_view hash, const stored_policy& policy) = 0;

    virtual std::optional<token_record> find_token(std::string_view id) = 0;
    virtual void put_token(const token_record& token) = 0;
    // The ids of the tokens whose parent is `parent`, in creation order.
    virtual std::vector<std::string> children(std::string_view parent) = 0;

    // The version alone, cheaply: 0 when the token has no state yet.
    virtual std::int64_t state_version(std::string_view token) = 0;
    virtual std::optional<stored_state> find_state(std::string_view token) = 0;
    virtual void put_state(std::string_view token, const stored_state& state) = 0;

    virtual std::optional<authorization_record> find_authorization(std::string_view id) = 0;
    virtual void put_authorization(const authorization_record& record) = 0;
    // Holds still `held` whose `at` is before `cutoff`, oldest first, at most `limit`.
    virtual std::vector<authorization_record> holds_before(instant cutoff,
                                                           std::size_t limit) = 0;
    // Every authorization of one token, oldest first.
    virtual std::vector<authorization_record> authorizations_of(std::string_view token) = 0;

    virtual std::optional<stored_response> find_response(std::string_view key) = 0;
    virtual void put_response(std::string_view key, const stored_response& response) = 0;

    virtual audit_head head() = 0;
    // Appends a sealed record; its sequence must be head().sequence + 1.
    virtual void append_audit(const audit_entry& entry) = 0;
    // Records with sequence >= from, in order, at most limit.
    virtual std::vector<audit_entry> audit(std::int64_t from, std::size_t limit) = 0;
};

class ledger {
public:
    virtual ~ledger() = default;

    // Runs `work` as one atomic and isolated unit: no other transaction, in this
    // process or another sharing the store, sees part of it or runs between its
    // reads and its writes. When transact returns, the effects are durable. When
    // `work` throws, nothing it wrote is kept and the exception propagates.
    virtual void transact(const std::function<void(ledger_transaction&)>& work) = 0;

    // A short name for messages: "sqlite:budgets.db", "memory".
    virtual std::string describe() const = 0;
};

// Everything in memory, behind a mutex. Nothing survives the process.
std::unique_ptr<ledger> make_memory_ledger();

// One SQLite file in WAL mode, created on first use, migrated to the current
// schema when older. Commits are flushed to disk (synchronous=FULL) before
// transact returns. Several processes may open the same file. Throws ledger_error
// when the file cannot be opened or is not a mandate ledger, or its schema is
// newer than this build knows.
std::unique_ptr<ledger> open_sqlite_ledger(const std::string& path);

// The schema version this build writes. 2: idempotency keys are scoped (schema
// 1 keys are kept under "v1:" and keep their global meaning).
inline constexpr int ledger_schema_version = 2;

}  // namespace mandate
