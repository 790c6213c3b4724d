// The authorizer a PSP embeds: shared payment tokens, each enforcing one
// mandate; the authorization lifecycle (authorize, capture, reverse, refund,
// expire); idempotent requests; budgets in a durable ledger; an audit trail.
//
//   auto store = mandate::open_sqlite_ledger("budgets.db");
//   mandate::authorizer auth(*store);
//   auto created = auth.create_token({.policy_source = text, .policy_file = "weekly.mandate",
//                                     .arguments = R"({"seller": "acct_1"})",
//                                     .seller = "acct_1", .card = card});
//   auto answer = auth.authorize({.token = created.view.token.id, .charge = charge_json});
//   if (answer.approved) auth.capture({.authorization = answer.authorization,
//                                      .idempotency_key = "cap_1"});
//
// Every method is safe to call from any number of threads. Authorizations from
// concurrent threads are committed together, several to one transaction (group
// commit), and each call returns only once its answer is durable. Processes that
// share one SQLite ledger file never approve more than a budget together.
//
// Requests are refused (answer.error set, nothing written) when they cannot be
// decided: malformed JSON, a missing idempotency key, a card number anywhere in
// the request (its keys, reasons and ids included), an idempotency key reused
// for a different request. Keys are scoped: by the token for authorize, by the
// authorization for capture, reverse and refund, by the grant and the seller for
// token creation, by the token for revoke and renew. Everything else
// is decided, and every decision, approve or decline, is kept: retrying the same
// key returns it again and changes nothing.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "mandate/audit.hpp"
#include "mandate/diagnostic.hpp"
#include "mandate/ledger.hpp"
#include "mandate/money.hpp"
#include "mandate/time.hpp"

namespace mandate {

struct authorizer_options {
    // The authorizer's clock: stamps authorizations, token creation, expiry.
    // Default: the system clock.
    std::function<instant()> clock;
    // A hold never captured is released by expire_holds() after this long.
    duration hold_lifetime = std::chrono::hours(24 * 7);
    // Group commit: at most this many requests in one transaction.
    std::size_t max_batch = 256;
};

// Stable codes of a refused request (answer.error). A refused request changed
// nothing and may be corrected and sent again with the same key.
namespace refusal {
inline constexpr std::string_view malformed_request = "malformed_request";
inline constexpr std::string_view missing_idempotency_key = "missing_idempotency_key";
inline constexpr std::string_view idempotency_conflict = "idempotency_conflict";
inline constexpr std::string_view card_number_refused = "card_number_refused";
inline constexpr std::string_view policy_error = "policy_error";
inline constexpr std::string_view invalid_arguments = "invalid_arguments";
inline constexpr std::string_view invalid_card = "invalid_card";
inline constexpr std::string_view not_found = "not_found";
inline constexpr std::string_view invalid_state = "invalid_state";
inline constexpr std::string_view invalid_amount = "invalid_amount";
inline constexpr std::string_view ledger_unavailable = "ledger_unavailable";
}  // namespace refusal

// Decline reasons for the token's own state, beside the engine's reasons.
namespace token_reason {
inline constexpr std::string_view unknown_token = "unknown_token";
inline constexpr std::string_view token_revoked = "token_revoked";
inline constexpr std::string_view token_expired = "token_expired";
inline constexpr std::string_view token_consumed = "token_consumed";
inline constexpr std::string_view seller_not_allowed = "seller_not_allowed";
}  // namespace token_reason

// ---- tokens ---------------------------------------------------------------------

// Reads a card's metadata from JSON: {"brand", "last4", "funding", "exp_month",
// "exp_year"} and nothing else. A card number anywhere in it is refused
// (card_number_refused), as is any other field (invalid_card): the authorizer
// never accepts, stores or prints a full card number.
struct card_result {
    std::optional<card_details> card;
    std::string error;  // a refusal code
    std::string message;
};
card_result parse_card(std::string_view json_text);

struct token_request {
    std::string policy_source;
    std::string policy_file;       // names the policy in diagnostics and rule locations
    std::string mandate;           // empty: the policy's only mandate
    std::string arguments = "{}";  // JSON object
    std::string seller;            // the seller granted; "*" for a grant that only mints children
    std::optional<card_details> card;  // required for a root token; a child uses its grant's
    std::string parent;            // mint a child of this grant
    duration lifetime{};           // the token ends this long after creation; 0: never
    std::string idempotency_key;   // optional for tokens
    std::string actor = "owner";
};

// Revoking a token (and every token below it). With an idempotency key, a retry
// returns the first answer instead of "already revoked".
struct revoke_request {
    std::string token;
    std::string reason = "requested";
    std::string idempotency_key;  // optional; scoped by the token
    std::string actor = "owner";
};

// Renewing a child token. With an idempotency key, a retry returns the token the
// first renewal minted instead of refusing the old one as renewed.
struct renew_request {
    std::string token;
    std::string idempotency_key;  // optional; scoped by the token
    std::string actor = "owner";
};

// What a token has been used for so far.
struct token_usage {
    std::int64_t authorizations = 0;  // approved
    money held;                       // authorized, not yet captured, reversed or expired
    money captured;
    money refunded;
    // Per budget clause: the window's limit, what is spent now and what is left.
    struct budget_line {
        std::string clause;  // "budget 25.00 USD per week" as a short description
        std::string rule;    // file:line:col
        money limit;
        money spent;
        money remaining;
        std::optional<period> window;  // calendar windows: the current period
    };
    std::vector<budget_line> budgets;
    struct limit_line {
        std::string clause;
        std::string rule;
        std::int64_t limit = 0;
        std::int64_t used = 0;
    };
    std::vector<limit_line> limits;
};

// Stripe's usage_limits, where the mandates have them: the token's own, folded
// with every grant above it, since a charge must pass them all.
struct usage_limits {
    std::optional<currency> unit;        // the only currency the mandates allow
    std::optional<money> max_amount;     // the most it can ever capture in total: the
                                         // smallest lifetime limit in the chain
    std::optional<money> per_charge;     // the per-charge cap, at most max_amount
    std::optional<instant> expires_at;   // the earliest end of a token or mandate in the chain
};

// The seller's view of a token: metadata, limits and usage, never other tokens.
struct token_view {
    // The token's record with its status as of now: expired once its lifetime or
    // its mandate's validity is over, and revoked, expired or consumed (reason
    // "parent_revoked", "parent_expired", "parent_consumed") while a grant above
    // it is, even where the ledger has not recorded it yet.
    token_record token;
    usage_limits limits;
    token_usage usage;
    std::vector<std::string> children;  // the owner's view only: tokens minted by it
    std::string to_json(bool for_seller = false) const;
};

struct token_answer {
    std::string error;  // a refusal code; empty on success
    std::string message;
    std::vector<diagnostic> diagnostics;  // policy errors, with positions
    token_view view;
    bool replayed = false;

    bool ok() const noexcept { return error.empty(); }
    std::string to_json() const;
};

// ---- the lifecycle ---------------------------------------------------------------

struct authorization_request {
    std::string token;
    // The charge, JSON as `mandate check` reads it, with "idempotency_key". Its
    // "at" is ignored: the authorizer's clock says when a charge happens.
    std::string charge;
    std::string actor;  // default: "seller:" + the charge's seller id
};

struct authorization_answer {
    std::string charge_id;
    bool approved = false;
    std::string reason;       // the decline reason; empty when approved
    std::string detail;       // one sentence
    std::string rule;         // the clause that declined, file:line:col
    std::string declined_by;  // the token whose mandate or state declined
    std::string authorization;  // the hold, when approved
    money amount;
    instant at{};
    bool replayed = false;
    std::string error;  // a refusal code: the request was not decided
    std::string message;

    bool ok() const noexcept { return error.empty(); }
    std::string to_json() const;
};

// capture, reverse and refund.
struct lifecycle_request {
    std::string authorization;
    // "12.50" or "12.50 USD" in the hold's currency. Capture: default the whole
    // hold. Refund: default everything captured and not refunded yet.
    std::optional<std::string> amount;
    std::string idempotency_key;
    std::string actor;  // default: "seller:" + the authorization's seller
    // The seller asking, as the embedder authenticated it. When set, it must be
    // the seller that authorized the hold, or the request is refused not_found.
    // Leave it empty only where the caller is trusted (an operator tool).
    std::string seller;
};

struct lifecycle_answer {
    std::string action;  // "capture", "reverse", "refund"
    std::string error;
    std::string message;
    money amount;    // captured, released or refunded by this request
    money released;  // budget given back by this request
    authorization_record record;  // the authorization after the request
    bool replayed = false;

    bool ok() const noexcept { return error.empty(); }
    std::string to_json() const;
};

// `mandate check --ledger`: a file of charges against durable state, keyed by
// the policy, the mandate and its arguments. Charges keep their own "at"; the
// charge id, when present, makes a retried line count once.
struct check_request {
    std::string policy_source;
    std::string policy_file;
    std::string mandate;
    std::string arguments = "{}";
    std::string charge;
};

struct audit_filter {
    std::string token;
    std::string seller;
    std::optional<instant> since;
    std::optional<instant> until;
};

class authorizer {
public:
    explicit authorizer(ledger& store, authorizer_options options = {});
    ~authorizer();
    authorizer(const authorizer&) = delete;
    authorizer& operator=(const authorizer&) = delete;

    token_answer create_token(const token_request& request);
    // The owner's view (for_seller false) or the seller's.
    token_answer show_token(const std::string& id);
    // Revokes the token and every token minted under it.
    token_answer revoke_token(const revoke_request& request);
    token_answer revoke_token(const std::string& id, const std::string& reason = "requested",
                              const std::string& actor = "owner");
    // Mints a fresh child beside a child token, for the same seller, mandate and
    // lifetime from now, and retires the old one (status revoked, reason
    // "renewed"). A grant's budgets carry on; the child's start afresh.
    token_answer renew_token(const renew_request& request);
    token_answer renew_token(const std::string& id, const std::string& actor = "owner");

    authorization_answer authorize(const authorization_request& request);
    // Decides several in one transaction, in order; answers in the same order.
    std::vector<authorization_answer> authorize_all(
        std::span<const authorization_request> requests);

    lifecycle_answer capture(const lifecycle_request& request);
    lifecycle_answer reverse(const lifecycle_request& request);
    lifecycle_answer refund(const lifecycle_request& request);
    // Releases holds older than the hold lifetime. Returns what it released.
    std::vector<authorization_record> expire_holds();

    authorization_answer check(const check_request& request);

    std::optional<authorization_record> find_authorization(const std::string& id);
    std::vector<audit_entry> audit(const audit_filter& filter = {});
    // Walks the whole chain.
    audit_verifier verify_audit();

    const authorizer_options& options() const noexcept { return options_; }

private:
    token_view view_of(ledger_transaction& tx, const token_record& token);
    token_answer replay_token(ledger_transaction& tx, const stored_response& stored,
                              const std::string& fingerprint);
    lifecycle_answer lifecycle(const lifecycle_request& request, std::string_view action);
    bool apply_lifecycle(ledger_transaction& tx, authorization_record& hold,
                         const lifecycle_request& request, std::string_view action,
                         lifecycle_answer& answer);
    void for_each_audit(const std::function<void(const audit_entry&)>& visit);

    struct impl;
    ledger& store_;
    authorizer_options options_;
    std::unique_ptr<impl> impl_;
};

}  // namespace mandate
