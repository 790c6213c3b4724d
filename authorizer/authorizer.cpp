// The authorizer: tokens, the authorization lifecycle and group commit over a
// ledger. All payment logic lives here; the ledger only stores records.
//
// Every request runs inside one ledger transaction, so it sees a consistent
// ledger and its writes land together or not at all. Authorizations wait in a
// queue; whichever caller finds no commit in progress becomes the leader, runs
// everything queued (up to max_batch) in one transaction, and wakes the others
// once it is durable.

#include "mandate/authorizer.hpp"

#include <algorithm>
#include <condition_variable>
#include <deque>
#include <initializer_list>
#include <unordered_map>
#include <utility>
#include <variant>

#include <nlohmann/json.hpp>

#include "authorizer/answers.hpp"
#include "engine/program.hpp"
#include "mandate/audit.hpp"
#include "mandate/budget.hpp"
#include "mandate/json.hpp"
#include "mandate/policy.hpp"

namespace mandate {

namespace {

using json = nlohmann::json;  // std::map objects: dump() is canonical (sorted keys)

// Canonical JSON text. Strings from callers may hold invalid UTF-8: replaced,
// never thrown over.
std::string text(const json& value) {
    return value.dump(-1, ' ', false, json::error_handler_t::replace);
}

constexpr std::size_t max_request_bytes = 1 << 20;
constexpr std::size_t max_chain_depth = 16;
constexpr std::size_t expire_batch = 1000;

// A request that cannot be decided: nothing is written.
struct refused {
    std::string_view code;
    std::string message;
};

instant system_now() {
    return std::chrono::time_point_cast<duration>(std::chrono::system_clock::now());
}

std::string money_text(const money& amount) { return format_money(amount); }

// Finds what may be a card number anywhere in a JSON value: a key that names
// one, or a string or integer that passes looks_like_card_number.
bool carries_card_number(const json& value, std::string& where) {
    static constexpr std::string_view card_keys[] = {"number", "card_number", "pan",  "cvc",
                                                     "cvv",    "cvc2",        "cvv2", "card_code"};
    switch (value.type()) {
        case json::value_t::object:
            for (const auto& [key, item] : value.items()) {
                if (std::find(std::begin(card_keys), std::end(card_keys), key) !=
                        std::end(card_keys) ||
                    looks_like_card_number(key)) {
                    where = "field \"" + key + "\"";
                    return true;
                }
                if (carries_card_number(item, where)) {
                    if (where.empty()) where = "field \"" + key + "\"";
                    return true;
                }
            }
            return false;
        case json::value_t::array:
            for (const auto& item : value) {
                if (carries_card_number(item, where)) return true;
            }
            return false;
        case json::value_t::string:
            return looks_like_card_number(value.get_ref<const std::string&>());
        case json::value_t::number_integer:
        case json::value_t::number_unsigned:
            return looks_like_card_number(text(value));
        default:
            return false;
    }
}

std::optional<refused> refuse_card_number(const json& value, std::string_view what) {
    std::string where;
    if (!carries_card_number(value, where)) return std::nullopt;
    return refused{refusal::card_number_refused,
                   std::string(what) + " carries what looks like a card number" +
                       (where.empty() ? std::string() : " (" + where + ")") +
                       "; send the token, never the card"};
}

// The strings of a request that are not JSON (idempotency keys, reasons, ids,
// actors) end up in the ledger and in answers too: scanned the same way.
std::optional<refused> refuse_card_number_in(
    std::initializer_list<std::pair<std::string_view, std::string_view>> fields,
    std::string_view what) {
    for (const auto& [name, value] : fields) {
        if (!looks_like_card_number(value)) continue;
        return refused{refusal::card_number_refused,
                       std::string(what) + " carries what looks like a card number (" +
                           std::string(name) + "); send the token, never the card"};
    }
    return std::nullopt;
}

// An idempotency key scoped to what it is about: the operation, then each part
// of the scope (a token, an authorization, a parent and a seller) with its length
// before it, then the caller's key. No choice of key or id can spell another
// scope's key, so one seller's keys never meet another's.
std::string scoped_key(std::string_view action, std::initializer_list<std::string_view> scope,
                       std::string_view key) {
    std::string scoped(action);
    scoped += ':';
    for (const std::string_view part : scope) {
        scoped += std::to_string(part.size());
        scoped += ':';
        scoped += part;
        scoped += ':';
    }
    scoped += key;
    return scoped;
}

// Ledgers from schema 1 kept keys global ("authorize:" + key). Migration 2 moved
// them under this prefix, unchanged otherwise, and left a marker row when it moved
// any; they keep their global meaning (see impl::find_response).
constexpr std::string_view legacy_key_prefix = "v1:";
constexpr std::string_view legacy_marker = "v1:present";

// Deeper JSON than any request needs is refused before it is parsed: the parser,
// the card-number scan and the serializer all recurse once per level.
constexpr int max_json_depth = 32;

bool nested_too_deep(std::string_view text) {
    int depth = 0;
    bool in_string = false;
    for (std::size_t i = 0; i < text.size(); ++i) {
        const char c = text[i];
        if (in_string) {
            if (c == '\\')
                ++i;
            else if (c == '"')
                in_string = false;
        } else if (c == '"') {
            in_string = true;
        } else if (c == '{' || c == '[') {
            if (++depth > max_json_depth) return true;
        } else if (c == '}' || c == ']') {
            --depth;
        }
    }
    return false;
}

// Parses caller JSON; discarded (like a syntax error) when nested too deep.
json parse_json(std::string_view text) {
    if (nested_too_deep(text)) return json(json::value_t::discarded);
    return json::parse(text, nullptr, false);
}

std::string request_hash(std::string_view kind, const json& canonical) {
    return sha256_hex(std::string(kind) + '\n' + text(canonical));
}

bool is_lower_alnum(std::string_view text) {
    return std::all_of(text.begin(), text.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
    });
}

std::optional<refused> check_card(const card_details& card, instant now) {
    const auto bad = [](std::string message) {
        return refused{refusal::invalid_card, std::move(message)};
    };
    if (card.brand.empty() || card.brand.size() > 32 || !is_lower_alnum(card.brand)) {
        return bad("card brand must be a lower-case name such as \"visa\"");
    }
    if (card.last4.size() != 4 || !std::all_of(card.last4.begin(), card.last4.end(),
                                               [](char c) { return c >= '0' && c <= '9'; })) {
        return bad("last4 must be exactly four digits");
    }
    if (card.funding != "credit" && card.funding != "debit" && card.funding != "prepaid") {
        return bad("funding must be credit, debit or prepaid");
    }
    if (card.exp_month < 1 || card.exp_month > 12) return bad("exp_month must be 1 to 12");
    if (card.exp_year < 2000 || card.exp_year > 2199) return bad("exp_year must be four digits");
    const auto today = date::year_month_day(date::floor<date::days>(now));
    const auto expiry =
        date::year(card.exp_year) / date::month(static_cast<unsigned>(card.exp_month));
    if (expiry < today.year() / today.month()) return bad("the card has expired");
    return std::nullopt;
}

// Which tokens a charge counts against: the token, then each ancestor.
struct link {
    token_record token;
    std::shared_ptr<const bound_mandate> mandate;
    budget_state* state = nullptr;
    std::int64_t version = 0;
};

std::string_view status_reason(token_status status) {
    switch (status) {
        case token_status::revoked:
            return token_reason::token_revoked;
        case token_status::expired:
            return token_reason::token_expired;
        case token_status::consumed:
            return token_reason::token_consumed;
        case token_status::active:
            break;
    }
    return {};
}

}  // namespace

struct authorizer::impl {
    explicit impl(ledger& s, const authorizer_options& o) : store(s), options(o) {}

    ledger& store;
    const authorizer_options& options;

    // One transaction at a time from this process; the ledger serializes
    // processes. The caches below are only touched while holding it.
    std::mutex work;
    std::unordered_map<std::string, std::shared_ptr<const policy>> policies;         // by hash
    std::unordered_map<std::string, std::shared_ptr<const bound_mandate>> mandates;  // by token
    struct cached_state {
        std::int64_t version = 0;
        budget_state state;
    };
    std::unordered_map<std::string, cached_state> states;  // by token
    // The audit head within the running transaction: read once, then followed.
    std::optional<audit_head> head;

    // Group commit.
    struct pending {
        const authorization_request* request = nullptr;
        authorization_answer answer;
        bool done = false;
    };
    std::mutex queue_mutex;
    std::condition_variable queue_changed;
    std::deque<pending*> queue;
    bool leader_active = false;

    instant now() const { return options.clock ? options.clock() : system_now(); }

    // Whether the ledger holds keys from schema 1: read once, since only the
    // migration that opened the ledger writes the marker.
    std::optional<bool> legacy_keys;

    // The first answer to a key: under its scoped form, or else, in a ledger
    // migrated from schema 1, under the global form that version wrote. An old
    // key keeps its old, global scope: reused for another request, even another
    // token's, it is a conflict, as it was.
    std::optional<stored_response> find_response(ledger_transaction& tx, const std::string& scoped,
                                                 std::string_view legacy) {
        if (auto stored = tx.find_response(scoped)) return stored;
        if (!legacy_keys) legacy_keys = tx.find_response(legacy_marker).has_value();
        if (!*legacy_keys) return std::nullopt;
        return tx.find_response(std::string(legacy_key_prefix) + std::string(legacy));
    }

    // Runs `body` in one transaction. On any failure the caches may hold state the
    // ledger did not keep, so they are dropped.
    template <typename Body>
    void transact(Body&& body) {
        std::lock_guard lock(work);
        try {
            store.transact([&](ledger_transaction& tx) {
                head.reset();
                body(tx);
            });
        } catch (...) {
            states.clear();
            throw;
        }
    }

    // ---- policies, mandates and state ---------------------------------------

    std::shared_ptr<const policy> policy_by_hash(ledger_transaction& tx, const std::string& hash) {
        if (auto found = policies.find(hash); found != policies.end()) return found->second;
        const auto stored = tx.find_policy(hash);
        if (!stored) throw ledger_error("policy " + hash + " is missing from the ledger");
        auto compiled = compile(stored->source, stored->file_name);
        if (!compiled.ok()) {
            throw ledger_error("the stored policy " + stored->file_name +
                               " no longer compiles with this build");
        }
        policies.emplace(hash, compiled.compiled);
        return compiled.compiled;
    }

    std::shared_ptr<const bound_mandate> mandate_of(ledger_transaction& tx,
                                                    const token_record& token) {
        if (auto found = mandates.find(token.id); found != mandates.end()) return found->second;
        auto bound =
            mandate::bind(policy_by_hash(tx, token.policy_hash), token.mandate, token.arguments);
        if (!bound.ok()) {
            throw ledger_error("token " + token.id + " no longer binds to its mandate");
        }
        mandates.emplace(token.id, bound.mandate);
        return bound.mandate;
    }

    // The token's budget state as the ledger has it now: the cached copy when
    // no one has changed it since, else decoded afresh.
    cached_state& state_of(ledger_transaction& tx, const token_record& token,
                           const bound_mandate& mandate) {
        const std::int64_t version = tx.state_version(token.id);
        auto found = states.find(token.id);
        if (found != states.end() && found->second.version == version) return found->second;
        cached_state fresh{version, budget_state(mandate)};
        if (version != 0) {
            const auto stored = tx.find_state(token.id);
            if (!stored || !decode_state(stored->bytes, mandate, fresh.state)) {
                throw ledger_error("the budget state of token " + token.id + " is unreadable");
            }
        }
        return states.insert_or_assign(token.id, std::move(fresh)).first->second;
    }

    void save_state(ledger_transaction& tx, link& l) {
        auto& cached = states.at(l.token.id);
        cached.version += 1;
        l.version = cached.version;
        tx.put_state(l.token.id, stored_state{cached.version, encode_state(cached.state)});
    }

    // The token and its ancestors, nearest first.
    std::optional<std::vector<link>> chain_of(ledger_transaction& tx, const std::string& id) {
        std::vector<link> chain;
        if (id.empty()) return std::nullopt;
        std::string next = id;
        while (!next.empty()) {
            if (chain.size() == max_chain_depth) {
                throw ledger_error("token " + id + " has more than 16 ancestors");
            }
            auto token = tx.find_token(next);
            if (!token) {
                if (chain.empty()) return std::nullopt;
                throw ledger_error("token " + next + ", an ancestor of " + id + ", is missing");
            }
            link l;
            l.token = std::move(*token);
            l.mandate = mandate_of(tx, l.token);
            auto& cached = state_of(tx, l.token, *l.mandate);
            l.state = &cached.state;
            l.version = cached.version;
            next = l.token.parent;
            chain.push_back(std::move(l));
        }
        return chain;
    }

    // How many grants are above a token.
    std::size_t depth_of(ledger_transaction& tx, const token_record& token) {
        std::size_t depth = 0;
        for (std::string next = token.parent; !next.empty() && depth <= max_chain_depth; ++depth) {
            const auto parent = tx.find_token(next);
            if (!parent) break;
            next = parent->parent;
        }
        return depth;
    }

    // A token whose lifetime budget or count is used up is consumed; one whose
    // budget came back (a reversal) is active again.
    void refresh_consumed(ledger_transaction& tx, link& l, instant at) {
        const bool spent = exhausted(*l.mandate, *l.state);
        if (spent && l.token.status == token_status::active) {
            l.token.status = token_status::consumed;
            l.token.status_reason = "lifetime budget spent";
            l.token.status_at = at;
            tx.put_token(l.token);
        } else if (!spent && l.token.status == token_status::consumed) {
            l.token.status = token_status::active;
            l.token.status_reason.clear();
            l.token.status_at = {};
            tx.put_token(l.token);
        }
    }

    void stop_token(ledger_transaction& tx, token_record& token, token_status status,
                    std::string reason, instant at) {
        token.status = status;
        token.status_reason = std::move(reason);
        token.status_at = at;
        tx.put_token(token);
    }

    void audit(ledger_transaction& tx, audit_entry entry) {
        entry.at = now();
        if (!head) head = tx.head();
        seal(entry, *head);
        tx.append_audit(entry);
        head = audit_head{entry.sequence, entry.hash};
    }

    // ---- deciding ----------------------------------------------------------

    struct verdict {
        bool approved = false;
        std::string reason;
        std::string detail;
        std::string rule;
        std::string declined_by;
    };

    static verdict decline(std::string_view reason, std::string detail, const std::string& by) {
        return {false, std::string(reason), std::move(detail), {}, by};
    }

    // Checks the chain's own state, then each mandate, nearest token first. The
    // first that says no declines. Token expiry found on the way is recorded.
    verdict decide_chain(ledger_transaction& tx, std::vector<link>& chain, const charge& request,
                         bool check_status) {
        const instant at = request.at;
        if (check_status) {
            for (auto& l : chain) {
                if (l.token.status == token_status::active && at >= l.token.expires_at) {
                    stop_token(tx, l.token, token_status::expired, "token lifetime ended",
                               l.token.expires_at);
                }
                if (l.token.status != token_status::active) {
                    return decline(
                        status_reason(l.token.status),
                        "token " + l.token.id + " is " + std::string(to_string(l.token.status)) +
                            (l.token.status_reason.empty() ? std::string()
                                                           : " (" + l.token.status_reason + ")"),
                        l.token.id);
                }
            }
        }
        for (auto& l : chain) {
            const decision d = mandate::decide(*l.mandate, *l.state, request);
            if (d.approved) continue;
            if (check_status && d.code == reason::expired &&
                d.detail == detail_kind::at_or_after_end) {
                // The mandate's validity is over and time only moves forward.
                stop_token(tx, l.token, token_status::expired, "mandate validity ended", at);
            }
            verdict v;
            v.reason =
                d.reason_name.empty() ? std::string(to_string(d.code)) : std::string(d.reason_name);
            v.detail = describe(d);
            v.rule = rule_location(d);
            v.declined_by = l.token.id;
            return v;
        }
        return {true, {}, {}, {}, {}};
    }

    // Counts an approved charge in every token of the chain.
    void record_chain(ledger_transaction& tx, std::vector<link>& chain, const charge& request,
                      bool check_status) {
        for (auto& l : chain) {
            mandate::record(*l.mandate, *l.state, request);
            save_state(tx, l);
            if (check_status) refresh_consumed(tx, l, request.at);
        }
    }

    // ---- authorize ---------------------------------------------------------

    struct parsed_request {
        const authorization_request* request = nullptr;
        json body;
        std::string key;         // scoped by the token
        std::string legacy_key;  // as schema 1 wrote it
        std::string charge_text;
        std::string hash;
        std::string charge_id;
    };

    // Everything that can be refused before touching the ledger.
    std::variant<parsed_request, authorization_answer> parse(const authorization_request& r) {
        parsed_request parsed;
        parsed.request = &r;
        authorization_answer refusal_answer;
        refusal_answer.charge_id = recover_charge_id(r.charge).value_or("");
        const auto refuse = [&](std::string_view code, std::string message) {
            refusal_answer.error = code;
            refusal_answer.message = std::move(message);
            return refusal_answer;
        };
        if (r.charge.size() > max_request_bytes) {
            return refuse(refusal::malformed_request, "the charge is larger than 1 MiB");
        }
        parsed.body = parse_json(r.charge);
        if (parsed.body.is_discarded() || !parsed.body.is_object()) {
            return refuse(refusal::malformed_request,
                          "the charge is not a JSON object (or is nested more than 32 deep)");
        }
        if (auto card = refuse_card_number(parsed.body, "the charge")) {
            return refuse(card->code, card->message);
        }
        if (auto card =
                refuse_card_number_in({{"token", r.token}, {"actor", r.actor}}, "the request")) {
            return refuse(card->code, card->message);
        }
        const auto key = parsed.body.find("idempotency_key");
        if (key == parsed.body.end() || !key->is_string() ||
            key->get_ref<const std::string&>().empty()) {
            return refuse(refusal::missing_idempotency_key,
                          "every authorization needs a non-empty string \"idempotency_key\"");
        }
        parsed.key = scoped_key("authorize", {r.token}, key->get_ref<const std::string&>());
        parsed.legacy_key = "authorize:" + key->get<std::string>();
        parsed.body.erase("idempotency_key");
        parsed.charge_id = refusal_answer.charge_id;
        // The charge without its key, canonical: what the audit keeps and, with the
        // token, what a retry must repeat.
        parsed.charge_text = text(parsed.body);
        parsed.hash = sha256_hex("authorize\n" + std::to_string(r.token.size()) + ':' + r.token +
                                 parsed.charge_text);
        return parsed;
    }

    authorization_answer authorize_one(ledger_transaction& tx, const parsed_request& p) {
        if (auto stored = find_response(tx, p.key, p.legacy_key)) {
            return replay(*stored, p.hash, p.charge_id);
        }
        std::string policy_hash;
        authorization_answer answer = decide_authorization(tx, p, policy_hash);
        const std::string response = answer.to_json();
        tx.put_response(p.key, stored_response{p.hash, response});
        audit_entry entry;
        entry.actor = p.request->actor;
        entry.action = "authorize";
        entry.token = p.request->token;
        entry.seller = seller_of(p.body);
        if (entry.actor.empty()) entry.actor = "seller:" + entry.seller;
        entry.request = p.charge_text;
        entry.outcome = response;
        entry.policy_hash = std::move(policy_hash);
        audit(tx, std::move(entry));
        return answer;
    }

    static std::string seller_of(const json& body) {
        const auto seller = body.find("seller");
        if (seller == body.end() || !seller->is_object()) return {};
        const auto id = seller->find("id");
        return id != seller->end() && id->is_string() ? id->get<std::string>() : std::string();
    }

    static authorization_answer replay(const stored_response& stored, const std::string& hash,
                                       const std::string& charge_id) {
        authorization_answer answer;
        answer.charge_id = charge_id;
        if (stored.request_hash != hash) {
            answer.error = refusal::idempotency_conflict;
            answer.message = "this idempotency key was used for a different request; use a new key";
            return answer;
        }
        auto first = detail::authorization_from_json(stored.response);
        if (!first) throw ledger_error("a stored answer is unreadable");
        first->replayed = true;
        return *first;
    }

    authorization_answer decide_authorization(ledger_transaction& tx, const parsed_request& p,
                                              std::string& policy_hash) {
        authorization_answer answer;
        answer.charge_id = p.charge_id;
        const auto decline_with = [&](const verdict& v) {
            answer.approved = false;
            answer.reason = v.reason;
            answer.detail = v.detail;
            answer.rule = v.rule;
            answer.declined_by = v.declined_by;
            return answer;
        };

        charge_document document;
        std::string error;
        if (!decode_charge(p.request->charge, document, error)) {
            return decline_with(decline(to_string(reason::invalid_charge), error, {}));
        }
        charge request = document.view();
        answer.amount = request.amount;

        // Only shared payment tokens pay: a check state (chk_) is not one.
        auto chain =
            p.request->token.rfind("spt_", 0) == 0 ? chain_of(tx, p.request->token) : std::nullopt;
        if (!chain) {
            return decline_with(decline(token_reason::unknown_token, "no token " + p.request->token,
                                        p.request->token));
        }
        if (!request.has(field_seller_id)) {
            return decline_with(
                decline(to_string(reason::invalid_charge), "the charge has no seller.id", {}));
        }
        link& charged = chain->front();
        policy_hash = charged.token.policy_hash;
        // A grant for "*" mints children and is never charged itself.
        if (charged.token.seller == "*" || request.seller_id != charged.token.seller) {
            return decline_with(decline(token_reason::seller_not_allowed,
                                        "token " + charged.token.id + " is granted to " +
                                            charged.token.seller + ", not " +
                                            std::string(request.seller_id),
                                        charged.token.id));
        }

        // The authorizer's clock says when; never earlier than what is counted.
        instant at = now();
        for (const auto& l : *chain) at = std::max(at, l.state->latest());
        request.at = at;
        request.present |= field_at;
        answer.at = at;

        const verdict v = decide_chain(tx, *chain, request, true);
        if (!v.approved) return decline_with(v);

        record_chain(tx, *chain, request, true);
        authorization_record hold;
        hold.id = time_ordered_id("auth_", at);
        hold.token = charged.token.id;
        for (const auto& l : *chain) hold.chain.push_back(l.token.id);
        hold.charge_id = std::string(request.id);
        hold.seller = std::string(request.seller_id);
        hold.amount = request.amount;
        hold.at = at;
        hold.status = hold_status::held;
        hold.updated_at = at;
        tx.put_authorization(hold);
        answer.approved = true;
        answer.authorization = hold.id;
        return answer;
    }

    void run_batch(std::span<pending* const> batch) {
        std::vector<std::optional<parsed_request>> parsed(batch.size());
        bool any = false;
        for (std::size_t i = 0; i < batch.size(); ++i) {
            auto result = parse(*batch[i]->request);
            if (auto* answer = std::get_if<authorization_answer>(&result)) {
                batch[i]->answer = std::move(*answer);
            } else {
                parsed[i] = std::move(std::get<parsed_request>(result));
                any = true;
            }
        }
        if (!any) return;
        std::vector<authorization_answer> answers(batch.size());
        try {
            transact([&](ledger_transaction& tx) {
                for (std::size_t i = 0; i < batch.size(); ++i) {
                    if (parsed[i]) answers[i] = authorize_one(tx, *parsed[i]);
                }
            });
        } catch (const std::exception&) {
            // One request's failure (a token whose state cannot be read) must not
            // refuse the others: each is tried again in a transaction of its own.
            for (std::size_t i = 0; i < batch.size(); ++i) {
                if (parsed[i]) answers[i] = authorize_alone(*parsed[i]);
            }
        }
        for (std::size_t i = 0; i < batch.size(); ++i) {
            if (parsed[i]) batch[i]->answer = std::move(answers[i]);
        }
    }

    authorization_answer authorize_alone(const parsed_request& p) {
        try {
            authorization_answer answer;
            transact([&](ledger_transaction& tx) { answer = authorize_one(tx, p); });
            return answer;
        } catch (const std::exception& failure) {
            authorization_answer refused;
            refused.charge_id = p.charge_id;
            refused.error = refusal::ledger_unavailable;
            refused.message = failure.what();
            return refused;
        }
    }

    // Queues the requests and returns once every one is answered and durable.
    void submit(std::span<pending> requests) {
        std::unique_lock lock(queue_mutex);
        for (auto& p : requests) queue.push_back(&p);
        const auto all_done = [&] {
            return std::all_of(requests.begin(), requests.end(),
                               [](const pending& p) { return p.done; });
        };
        while (!all_done()) {
            if (leader_active) {
                queue_changed.wait(lock);
                continue;
            }
            leader_active = true;
            const auto size = static_cast<std::ptrdiff_t>(
                std::min(queue.size(), std::max<std::size_t>(1, options.max_batch)));
            std::vector<pending*> batch(queue.begin(), queue.begin() + size);
            queue.erase(queue.begin(), queue.begin() + size);
            lock.unlock();
            try {
                run_batch(batch);
            } catch (const std::exception& failure) {
                // Out of memory outside any transaction: nothing was written.
                for (auto* p : batch) {
                    p->answer = {};
                    p->answer.error = refusal::ledger_unavailable;
                    p->answer.message = failure.what();
                }
            }
            lock.lock();
            for (auto* p : batch) p->done = true;
            leader_active = false;
            queue_changed.notify_all();
        }
    }

    // ---- capture, reverse, refund ---------------------------------------------

    // Gives `amount` back to every token the authorization counted against, where
    // the hold still counts `counted`: all of them for a hold released, only those
    // whose mandate says so for a refund. Returns the most any token got back.
    minor_units release_hold(ledger_transaction& tx, const authorization_record& hold,
                             minor_units counted, minor_units amount, bool uncount, bool refund) {
        if (amount <= 0 && !uncount) return 0;
        minor_units most = 0;
        for (const auto& id : hold.chain) {
            auto token = tx.find_token(id);
            if (!token) throw ledger_error("token " + id + " of " + hold.id + " is missing");
            link l;
            l.token = std::move(*token);
            l.mandate = mandate_of(tx, l.token);
            if (refund && !limits_of(*l.mandate).refunds_restore_budget) continue;
            l.state = &state_of(tx, l.token, *l.mandate).state;
            most = std::max(most, release(*l.mandate, *l.state, hold.at, counted, amount, uncount));
            save_state(tx, l);
            refresh_consumed(tx, l, now());
        }
        return most;
    }
};

// ---- construction -----------------------------------------------------------

authorizer::authorizer(ledger& store, authorizer_options options)
    : store_(store),
      options_(std::move(options)),
      impl_(std::make_unique<impl>(store_, options_)) {}

authorizer::~authorizer() = default;

// ---- authorize --------------------------------------------------------------

authorization_answer authorizer::authorize(const authorization_request& request) {
    impl::pending p;
    p.request = &request;
    impl_->submit(std::span(&p, 1));
    return std::move(p.answer);
}

std::vector<authorization_answer> authorizer::authorize_all(
    std::span<const authorization_request> requests) {
    std::vector<impl::pending> pending(requests.size());
    for (std::size_t i = 0; i < requests.size(); ++i) pending[i].request = &requests[i];
    impl_->submit(pending);
    std::vector<authorization_answer> answers;
    answers.reserve(pending.size());
    for (auto& p : pending) answers.push_back(std::move(p.answer));
    return answers;
}

// ---- tokens -----------------------------------------------------------------

namespace {

json card_request_json(const card_details& card) {
    return {{"brand", card.brand},
            {"last4", card.last4},
            {"funding", card.funding},
            {"exp_month", card.exp_month},
            {"exp_year", card.exp_year}};
}

token_answer token_refusal(std::string_view code, std::string message) {
    token_answer answer;
    answer.error = code;
    answer.message = std::move(message);
    return answer;
}

// Canonical JSON for arguments, so that the same arguments hash alike.
std::optional<std::string> canonical_arguments(const std::string& given) {
    const json arguments = parse_json(given.empty() ? std::string("{}") : given);
    if (arguments.is_discarded() || !arguments.is_object()) return std::nullopt;
    return text(arguments);
}

}  // namespace

card_result parse_card(std::string_view json_text) {
    card_result result;
    const auto refuse = [&](std::string_view code, std::string message) {
        result.error = code;
        result.message = std::move(message);
        return result;
    };
    const json in = parse_json(json_text);
    if (in.is_discarded() || !in.is_object()) {
        return refuse(refusal::invalid_card, "the card must be a JSON object");
    }
    if (auto card = refuse_card_number(in, "the card")) return refuse(card->code, card->message);
    card_details card;
    for (const auto& [key, value] : in.items()) {
        if (key == "brand" || key == "last4" || key == "funding") {
            if (!value.is_string()) return refuse(refusal::invalid_card, key + " must be a string");
            const std::string text = value.get<std::string>();
            (key == "brand" ? card.brand : key == "last4" ? card.last4 : card.funding) = text;
        } else if (key == "exp_month" || key == "exp_year") {
            if (!value.is_number_integer() || value.get<std::int64_t>() < 0 ||
                value.get<std::int64_t>() > 9999) {
                return refuse(refusal::invalid_card, key + " must be an integer");
            }
            (key == "exp_month" ? card.exp_month : card.exp_year) = value.get<int>();
        } else {
            return refuse(refusal::invalid_card,
                          "unexpected card field \"" + key +
                              "\"; a card is brand, last4, funding, exp_month and exp_year");
        }
    }
    result.card = std::move(card);
    return result;
}

namespace {

// A token's status as of `now`. The ledger records expiry only when a charge
// finds it; until then it still says active after the token's lifetime or its
// mandate's validity is over.
void status_as_of(token_record& token, const mandate_limits& limits, instant now) {
    if (token.status != token_status::active) return;
    std::optional<instant> ended;
    const char* why = nullptr;
    if (now >= token.expires_at) {
        ended = token.expires_at;
        why = "token lifetime ended";
    }
    if (limits.valid_until && now >= *limits.valid_until &&
        (!ended || *limits.valid_until < *ended)) {
        ended = limits.valid_until;
        why = "mandate validity ended";
    }
    if (!ended) return;
    token.status = token_status::expired;
    token.status_reason = why;
    token.status_at = *ended;
}

// Keeps the smaller of two limits; limits in different currencies do not compare.
void keep_tighter(std::optional<money>& mine, const std::optional<money>& theirs) {
    if (!theirs) return;
    if (!mine || (mine->unit == theirs->unit && theirs->units < mine->units)) mine = theirs;
}

void keep_earlier(std::optional<instant>& mine, instant theirs) {
    if (theirs == instant::max()) return;
    if (!mine || theirs < *mine) mine = theirs;
}

}  // namespace

// A token as of now: its status, and limits folded over every grant above it
// (a charge must pass them all). Reads only: nothing found here is written.
token_view authorizer::view_of(ledger_transaction& tx, const token_record& token) {
    token_view view;
    view.token = token;
    view.children = tx.children(token.id);
    const instant now = impl_->now();
    const auto mandate = impl_->mandate_of(tx, token);
    const auto limits = limits_of(*mandate);
    status_as_of(view.token, limits, now);
    view.limits.unit = limits.only_currency;
    view.limits.max_amount = limits.lifetime;
    view.limits.per_charge = limits.per_charge;
    view.limits.expires_at = limits.valid_until;
    keep_earlier(view.limits.expires_at, token.expires_at);

    // The grants above: the tightest of their limits binds this token too, and one
    // that cannot pay stops it. Their ids stay out of the view: the seller's view
    // must not learn of the owner's other tokens.
    std::string next = token.parent;
    for (std::size_t depth = 0; !next.empty() && depth < max_chain_depth; ++depth) {
        auto grant = tx.find_token(next);
        if (!grant) break;
        const auto grant_limits = limits_of(*impl_->mandate_of(tx, *grant));
        status_as_of(*grant, grant_limits, now);
        if (view.token.status == token_status::active && grant->status != token_status::active) {
            view.token.status = grant->status;
            view.token.status_reason = "parent_" + std::string(to_string(grant->status));
            view.token.status_at = grant->status_at;
        }
        if (!view.limits.unit) view.limits.unit = grant_limits.only_currency;
        keep_tighter(view.limits.max_amount, grant_limits.lifetime);
        keep_tighter(view.limits.per_charge, grant_limits.per_charge);
        if (grant_limits.valid_until) {
            keep_earlier(view.limits.expires_at, *grant_limits.valid_until);
        }
        keep_earlier(view.limits.expires_at, grant->expires_at);
        next = grant->parent;
    }
    // No one charge can be more than all charges together.
    if (view.limits.per_charge && view.limits.max_amount) {
        keep_tighter(view.limits.per_charge, view.limits.max_amount);
    }

    // Usage: the holds charged to the token or to any token below it (a grant's
    // usage is its children's), and what became of them.
    std::vector<authorization_record> holds = tx.authorizations_of(token.id);
    std::vector<std::string> below = view.children;
    for (std::size_t i = 0; i < below.size(); ++i) {
        for (auto& hold : tx.authorizations_of(below[i])) holds.push_back(std::move(hold));
        for (auto& child : tx.children(below[i])) below.push_back(std::move(child));
    }
    for (const auto& hold : holds) {
        const auto add = [&](money& total, minor_units units) {
            if (total.unit == hold.amount.unit) total.units += units;
        };
        for (money* total : {&view.usage.held, &view.usage.captured, &view.usage.refunded}) {
            if (!total->unit.valid()) total->unit = hold.amount.unit;
        }
        view.usage.authorizations += 1;
        if (hold.status == hold_status::held) add(view.usage.held, hold.amount.units);
        add(view.usage.captured, hold.captured);
        add(view.usage.refunded, hold.refunded);
    }
    const currency unit =
        limits.only_currency.value_or(limits.lifetime ? limits.lifetime->unit : currency{});
    for (money* total : {&view.usage.held, &view.usage.captured, &view.usage.refunded}) {
        if (!total->unit.valid()) total->unit = unit;
    }

    const auto& state = impl_->state_of(tx, token, *mandate).state;
    const instant at = std::max(impl_->now(), state.latest());
    const std::string& file = mandate->image().policy->file_name;
    for (std::size_t i = 0; i < limits.windows.size(); ++i) {
        const window_limit& w = limits.windows[i];
        const window_usage used = usage_at(*mandate, state, i, at);
        const std::string rule =
            file + ":" + std::to_string(w.line) + ":" + std::to_string(w.column);
        if (!w.is_budget) {
            view.usage.limits.push_back({w.text, rule, w.count, used.count});
            continue;
        }
        token_usage::budget_line line;
        line.clause = w.text;
        line.rule = rule;
        line.limit = w.amount;
        line.spent = money{used.spent, w.amount.unit};
        line.remaining =
            money{std::max<minor_units>(0, w.amount.units - used.spent), w.amount.unit};
        if (w.shape == window_shape::calendar) {
            const auto& current = state.windows()[i].current;
            if (current.contains(at)) line.window = current;
        }
        view.usage.budgets.push_back(std::move(line));
    }
    return view;
}

token_answer authorizer::create_token(const token_request& request) {
    const instant now = impl_->now();
    const auto arguments = canonical_arguments(request.arguments);
    if (!arguments) {
        return token_refusal(refusal::invalid_arguments, "the arguments must be a JSON object");
    }
    if (request.seller.empty()) {
        return token_refusal(refusal::malformed_request,
                             "a token needs the seller it is granted to (or \"*\" for a grant)");
    }
    if (request.lifetime.count() < 0) {
        return token_refusal(refusal::malformed_request, "a token's lifetime cannot be negative");
    }
    json canonical = {{"policy_hash", sha256_hex(request.policy_source)},
                      {"mandate", request.mandate},
                      {"arguments", json::parse(*arguments)},
                      {"seller", request.seller},
                      {"parent", request.parent}};
    if (request.card) canonical["card"] = card_request_json(*request.card);
    // Scanned before the lifetime joins: 14 days in microseconds passes Luhn.
    if (auto card = refuse_card_number(canonical, "the token request")) {
        return token_refusal(card->code, card->message);
    }
    if (auto card = refuse_card_number_in(
            {{"idempotency_key", request.idempotency_key}, {"actor", request.actor}},
            "the token request")) {
        return token_refusal(card->code, card->message);
    }
    canonical["lifetime"] = format_duration(request.lifetime);
    if (request.card) {
        if (auto bad = check_card(*request.card, now))
            return token_refusal(bad->code, bad->message);
    } else if (request.parent.empty()) {
        return token_refusal(refusal::invalid_card, "a token needs the card it pays with");
    }

    auto compiled = compile(request.policy_source, request.policy_file);
    if (!compiled.ok()) {
        token_answer answer = token_refusal(refusal::policy_error,
                                            "the policy " + request.policy_file + " has errors");
        answer.diagnostics = std::move(compiled.diagnostics);
        return answer;
    }
    auto bound = mandate::bind(compiled.compiled, request.mandate, *arguments);
    if (!bound.ok()) {
        std::string message;
        for (const auto& e : bound.errors) message += (message.empty() ? "" : "; ") + e;
        return token_refusal(refusal::invalid_arguments, message);
    }

    const std::string hash = canonical["policy_hash"].get<std::string>();
    // Keys are scoped by the grant minted under (none for a root token) and the
    // seller: one grant's children never meet another's keys.
    const std::string key =
        request.idempotency_key.empty()
            ? std::string()
            : scoped_key("token.create", {request.parent, request.seller}, request.idempotency_key);
    const std::string legacy_key = "token.create:" + request.idempotency_key;
    const std::string fingerprint = request_hash("token.create", canonical);
    token_answer answer;
    try {
        impl_->transact([&](ledger_transaction& tx) {
            answer = {};
            if (!key.empty()) {
                if (const auto stored = impl_->find_response(tx, key, legacy_key)) {
                    if (stored->request_hash != fingerprint) {
                        answer = token_refusal(refusal::idempotency_conflict,
                                               "this idempotency key was used for a different "
                                               "request; use a new key");
                        return;
                    }
                    const auto first = tx.find_token(stored->response);
                    if (!first) throw ledger_error("a stored answer names a missing token");
                    answer.view = view_of(tx, *first);
                    answer.replayed = true;
                    return;
                }
            }
            token_record token;
            if (!request.parent.empty()) {
                const auto parent = request.parent.rfind("spt_", 0) == 0
                                        ? tx.find_token(request.parent)
                                        : std::nullopt;
                if (!parent) {
                    answer = token_refusal(refusal::not_found, "no token " + request.parent);
                    return;
                }
                if (parent->status != token_status::active || now >= parent->expires_at) {
                    answer = token_refusal(refusal::invalid_state,
                                           "grant " + parent->id + " is not active");
                    return;
                }
                if (parent->seller != "*" && parent->seller != request.seller) {
                    answer = token_refusal(
                        refusal::invalid_state,
                        "grant " + parent->id + " is for seller " + parent->seller + " only");
                    return;
                }
                if (request.card && !(*request.card == parent->card)) {
                    answer = token_refusal(refusal::invalid_card,
                                           "a child token pays with its grant's card");
                    return;
                }
                if (impl_->depth_of(tx, *parent) + 1 >= max_chain_depth) {
                    answer = token_refusal(refusal::invalid_state,
                                           "a token may have at most 15 grants above it");
                    return;
                }
                token.card = parent->card;
                token.parent = parent->id;
            } else {
                token.card = *request.card;
            }
            token.id = random_id("spt_");
            token.policy_hash = hash;
            token.mandate = std::string(bound.mandate->name());
            token.arguments = *arguments;
            token.seller = request.seller;
            token.created_at = now;
            token.lifetime = request.lifetime;
            if (request.lifetime.count() > 0) token.expires_at = now + request.lifetime;
            // The first file name a policy text came with stays: it names the rules
            // in every token's declines.
            if (!tx.find_policy(hash)) {
                tx.put_policy(hash, stored_policy{request.policy_file, request.policy_source});
            }
            tx.put_token(token);
            impl_->policies.emplace(hash, compiled.compiled);
            if (!key.empty()) tx.put_response(key, stored_response{fingerprint, token.id});

            audit_entry entry;
            entry.actor = request.actor;
            entry.action = token.parent.empty() ? "token.create" : "token.grant";
            entry.token = token.id;
            entry.seller = token.seller;
            entry.request = text(canonical);
            answer.view = view_of(tx, token);
            entry.outcome = text(json{{"id", token.id}, {"status", "active"}});
            entry.policy_hash = hash;
            impl_->audit(tx, std::move(entry));
        });
    } catch (const std::exception& failure) {
        return token_refusal(refusal::ledger_unavailable, failure.what());
    }
    return answer;
}

token_answer authorizer::show_token(const std::string& id) {
    token_answer answer;
    try {
        impl_->transact([&](ledger_transaction& tx) {
            const auto token = tx.find_token(id);
            if (!token) {
                answer = token_refusal(refusal::not_found, "no token " + id);
                return;
            }
            answer.view = view_of(tx, *token);
        });
    } catch (const std::exception& failure) {
        return token_refusal(refusal::ledger_unavailable, failure.what());
    }
    return answer;
}

// The first answer to a token request, replayed: the token it named, as it is
// now; a conflict when the key came with a different request.
token_answer authorizer::replay_token(ledger_transaction& tx, const stored_response& stored,
                                      const std::string& fingerprint) {
    if (stored.request_hash != fingerprint) {
        return token_refusal(refusal::idempotency_conflict,
                             "this idempotency key was used for a different request; use a "
                             "new key");
    }
    const auto first = tx.find_token(stored.response);
    if (!first) throw ledger_error("a stored answer names a missing token");
    token_answer answer;
    answer.view = view_of(tx, *first);
    answer.replayed = true;
    return answer;
}

token_answer authorizer::revoke_token(const std::string& id, const std::string& reason,
                                      const std::string& actor) {
    return revoke_token(revoke_request{id, reason, {}, actor});
}

token_answer authorizer::revoke_token(const revoke_request& request) {
    const std::string& id = request.token;
    if (auto card = refuse_card_number_in({{"token", id},
                                           {"reason", request.reason},
                                           {"idempotency_key", request.idempotency_key},
                                           {"actor", request.actor}},
                                          "the revocation")) {
        return token_refusal(card->code, card->message);
    }
    const json canonical = {{"token", id}, {"reason", request.reason}};
    const std::string key = request.idempotency_key.empty()
                                ? std::string()
                                : scoped_key("token.revoke", {id}, request.idempotency_key);
    const std::string fingerprint = request_hash("token.revoke", canonical);
    token_answer answer;
    try {
        impl_->transact([&](ledger_transaction& tx) {
            answer = {};
            if (!key.empty()) {
                if (const auto stored = tx.find_response(key)) {
                    answer = replay_token(tx, *stored, fingerprint);
                    return;
                }
            }
            auto token = tx.find_token(id);
            if (!token) {
                answer = token_refusal(refusal::not_found, "no token " + id);
                return;
            }
            if (token->status == token_status::revoked) {
                answer =
                    token_refusal(refusal::invalid_state, "token " + id + " is already revoked");
                return;
            }
            const instant now = impl_->now();
            std::vector<std::string> stopped;
            impl_->stop_token(tx, *token, token_status::revoked, request.reason, now);
            stopped.push_back(token->id);
            // Every descendant stops too: a grant's children live on its authority.
            for (std::size_t next = 0; next < stopped.size(); ++next) {
                for (const auto& child_id : tx.children(stopped[next])) {
                    auto child = tx.find_token(child_id);
                    if (!child) continue;
                    if (child->status == token_status::active ||
                        child->status == token_status::consumed) {
                        impl_->stop_token(tx, *child, token_status::revoked, "parent_revoked", now);
                    }
                    stopped.push_back(child_id);
                }
            }
            if (!key.empty()) tx.put_response(key, stored_response{fingerprint, token->id});
            audit_entry entry;
            entry.actor = request.actor;
            entry.action = "token.revoke";
            entry.token = id;
            entry.seller = token->seller;
            entry.request = text(canonical);
            entry.outcome = text(json{{"revoked", stopped}});
            entry.policy_hash = token->policy_hash;
            impl_->audit(tx, std::move(entry));
            answer.view = view_of(tx, *token);
        });
    } catch (const std::exception& failure) {
        return token_refusal(refusal::ledger_unavailable, failure.what());
    }
    return answer;
}

token_answer authorizer::renew_token(const std::string& id, const std::string& actor) {
    return renew_token(renew_request{id, {}, actor});
}

token_answer authorizer::renew_token(const renew_request& request) {
    const std::string& id = request.token;
    if (auto card = refuse_card_number_in(
            {{"token", id}, {"idempotency_key", request.idempotency_key}, {"actor", request.actor}},
            "the renewal")) {
        return token_refusal(card->code, card->message);
    }
    const json canonical = {{"token", id}};
    const std::string key = request.idempotency_key.empty()
                                ? std::string()
                                : scoped_key("token.renew", {id}, request.idempotency_key);
    const std::string fingerprint = request_hash("token.renew", canonical);
    token_answer answer;
    try {
        impl_->transact([&](ledger_transaction& tx) {
            answer = {};
            // A retry after a lost reply finds the old token already renewed: the
            // key, not the token's state, says it is the same request.
            if (!key.empty()) {
                if (const auto stored = tx.find_response(key)) {
                    answer = replay_token(tx, *stored, fingerprint);
                    return;
                }
            }
            auto old = tx.find_token(id);
            if (!old) {
                answer = token_refusal(refusal::not_found, "no token " + id);
                return;
            }
            if (old->parent.empty()) {
                answer = token_refusal(refusal::invalid_state,
                                       "only a child token renews; mint one under this grant "
                                       "with create --parent " +
                                           id);
                return;
            }
            if (old->status == token_status::revoked) {
                answer = token_refusal(refusal::invalid_state,
                                       "token " + id + " is revoked (" + old->status_reason + ")");
                return;
            }
            // Renewing a consumed child would reset what its mandate calls total.
            if (old->status == token_status::consumed) {
                answer = token_refusal(refusal::invalid_state,
                                       "token " + id +
                                           " is consumed: its lifetime budget is "
                                           "spent, and renewal would reset it");
                return;
            }
            const instant now = impl_->now();
            const auto parent = tx.find_token(old->parent);
            if (!parent || parent->status != token_status::active || now >= parent->expires_at) {
                answer = token_refusal(refusal::invalid_state,
                                       "grant " + old->parent + " is not active");
                return;
            }
            token_record fresh = *old;
            fresh.id = random_id("spt_");
            fresh.created_at = now;
            fresh.expires_at = old->lifetime.count() > 0 ? now + old->lifetime : instant::max();
            fresh.status = token_status::active;
            fresh.status_reason.clear();
            fresh.status_at = {};
            tx.put_token(fresh);
            if (!key.empty()) tx.put_response(key, stored_response{fingerprint, fresh.id});
            if (old->status == token_status::active || old->status == token_status::consumed) {
                impl_->stop_token(tx, *old, token_status::revoked, "renewed", now);
            }
            audit_entry entry;
            entry.actor = request.actor;
            entry.action = "token.renew";
            entry.token = fresh.id;
            entry.seller = fresh.seller;
            entry.request = text(canonical);
            entry.outcome = text(json{{"id", fresh.id}, {"replaces", id}});
            entry.policy_hash = fresh.policy_hash;
            impl_->audit(tx, std::move(entry));
            answer.view = view_of(tx, fresh);
        });
    } catch (const std::exception& failure) {
        return token_refusal(refusal::ledger_unavailable, failure.what());
    }
    return answer;
}

// ---- capture, reverse, refund -----------------------------------------------

lifecycle_answer authorizer::lifecycle(const lifecycle_request& request, std::string_view action) {
    lifecycle_answer answer;
    answer.action = action;
    answer.record.id = request.authorization;
    const auto refuse = [&](std::string_view code, std::string message) {
        answer.error = code;
        answer.message = std::move(message);
        return answer;
    };
    if (request.idempotency_key.empty()) {
        return refuse(refusal::missing_idempotency_key,
                      "every " + std::string(action) + " needs an idempotency key");
    }
    json canonical = {{"authorization", request.authorization},
                      {"amount", request.amount ? json(*request.amount) : json(nullptr)},
                      {"seller", request.seller}};
    if (auto card = refuse_card_number(canonical, "the request")) {
        return refuse(card->code, card->message);
    }
    if (auto card = refuse_card_number_in(
            {{"idempotency_key", request.idempotency_key}, {"actor", request.actor}},
            "the request")) {
        return refuse(card->code, card->message);
    }
    // Scoped by the authorization: only its own seller can act on it.
    const std::string key = scoped_key(action, {request.authorization}, request.idempotency_key);
    const std::string legacy_key = std::string(action) + ":" + request.idempotency_key;
    const std::string fingerprint = request_hash(action, canonical);

    try {
        impl_->transact([&](ledger_transaction& tx) {
            if (const auto stored = impl_->find_response(tx, key, legacy_key)) {
                if (stored->request_hash != fingerprint) {
                    refuse(refusal::idempotency_conflict,
                           "this idempotency key was used for a different request; use a new key");
                    return;
                }
                auto first = detail::lifecycle_from_json(stored->response);
                if (!first) throw ledger_error("a stored answer is unreadable");
                answer = std::move(*first);
                answer.replayed = true;
                return;
            }
            auto hold = tx.find_authorization(request.authorization);
            if (!hold || (!request.seller.empty() && request.seller != hold->seller)) {
                refuse(refusal::not_found, "no authorization " + request.authorization);
                return;
            }
            if (!apply_lifecycle(tx, *hold, request, action, answer)) return;
            const std::string response = answer.to_json();
            tx.put_response(key, stored_response{fingerprint, response});
            audit_entry entry;
            entry.actor = request.actor.empty() ? "seller:" + hold->seller : request.actor;
            entry.action = std::string(action);
            entry.token = hold->token;
            entry.seller = hold->seller;
            entry.request = text(canonical);
            entry.outcome = response;
            if (auto token = tx.find_token(hold->token)) entry.policy_hash = token->policy_hash;
            impl_->audit(tx, std::move(entry));
        });
    } catch (const std::exception& failure) {
        lifecycle_answer failed;
        failed.action = action;
        failed.record.id = request.authorization;
        failed.error = refusal::ledger_unavailable;
        failed.message = failure.what();
        return failed;
    }
    return answer;
}

// Applies one lifecycle step to a hold; false (with answer.error set) when the
// hold is not in a state that allows it or the amount does not fit.
bool authorizer::apply_lifecycle(ledger_transaction& tx, authorization_record& hold,
                                 const lifecycle_request& request, std::string_view action,
                                 lifecycle_answer& answer) {
    const currency unit = hold.amount.unit;
    const auto refuse = [&](std::string_view code, std::string message) {
        answer.error = code;
        answer.message = std::move(message);
        return false;
    };
    // The amount asked for, in minor units of the hold's currency; on a refusal,
    // why it is not one (answer.error set).
    const auto parse = [&](minor_units fallback) -> std::optional<minor_units> {
        if (!request.amount) return fallback;
        std::string_view text = *request.amount;
        const std::string code(unit.code());
        // The hold's own amount is an example in the right currency and places.
        const std::string example = format_units(hold.amount.units, unit.exponent());
        if (const auto space = text.find(' '); space != std::string_view::npos) {
            const std::string_view asked = text.substr(space + 1);
            if (asked != unit.code()) {
                const auto other = currency::find(asked);
                refuse(refusal::invalid_amount,
                       other ? "the amount is in " + std::string(asked) + ", but " + hold.id +
                                   " was authorized in " + code + "; nothing is converted"
                             : "the amount's currency must be " + code + ", the hold's, as in \"" +
                                   example + " " + code + "\"");
                return std::nullopt;
            }
            text = text.substr(0, space);
        }
        minor_units units = 0;
        if (const auto error = parse_amount(text, unit, units); error != amount_error::none) {
            refuse(refusal::invalid_amount, std::string(describe(error)) + "; write it in " + code +
                                                " as \"" + example + "\" or \"" + example + " " +
                                                code + "\"");
            return std::nullopt;
        }
        return units;
    };
    const instant now = impl_->now();
    const std::string state = std::string(to_string(hold.status));
    answer.amount = money{0, unit};
    answer.released = money{0, unit};

    if (action == "capture" || action == "reverse") {
        if (hold.status != hold_status::held) {
            return refuse(refusal::invalid_state, "authorization " + hold.id + " is " + state);
        }
        if (now >= hold.at + options_.hold_lifetime) {
            return refuse(refusal::invalid_state,
                          "the hold of " + hold.id + " has expired; authorize again");
        }
    }
    if (action == "capture") {
        const auto amount = parse(hold.amount.units);
        if (!amount) return false;
        if (*amount <= 0 || *amount > hold.amount.units) {
            return refuse(
                refusal::invalid_amount,
                "a capture is more than zero and at most the held " + money_text(hold.amount));
        }
        hold.captured = *amount;
        hold.status = hold_status::captured;
        answer.amount.units = *amount;
        answer.released.units = impl_->release_hold(tx, hold, hold.amount.units,
                                                    hold.amount.units - *amount, false, false);
    } else if (action == "reverse") {
        if (request.amount) {
            return refuse(refusal::invalid_amount, "a reversal releases the whole hold");
        }
        hold.status = hold_status::reversed;
        answer.released.units =
            impl_->release_hold(tx, hold, hold.amount.units, hold.amount.units, true, false);
    } else {
        if (hold.status != hold_status::captured) {
            return refuse(refusal::invalid_state, "authorization " + hold.id + " is " + state +
                                                      "; only captured money refunds");
        }
        const minor_units left = hold.captured - hold.refunded;
        const auto amount = parse(left);
        if (!amount) return false;
        if (*amount <= 0 || *amount > left) {
            return refuse(refusal::invalid_amount, "a refund is more than zero and at most the " +
                                                       money_text(money{left, unit}) +
                                                       " captured and not refunded");
        }
        // Tokens whose mandate restores refunds count what is captured and not yet
        // refunded; the others still count the whole capture and skip this.
        answer.released.units = impl_->release_hold(tx, hold, left, *amount, false, true);
        hold.refunded += *amount;
        answer.amount.units = *amount;
    }
    hold.updated_at = now;
    tx.put_authorization(hold);
    answer.record = hold;
    return true;
}

lifecycle_answer authorizer::capture(const lifecycle_request& request) {
    return lifecycle(request, "capture");
}

lifecycle_answer authorizer::reverse(const lifecycle_request& request) {
    return lifecycle(request, "reverse");
}

lifecycle_answer authorizer::refund(const lifecycle_request& request) {
    return lifecycle(request, "refund");
}

std::vector<authorization_record> authorizer::expire_holds() {
    std::vector<authorization_record> expired;
    const instant now = impl_->now();
    // A hold expires when now >= at + lifetime, so holds at or before now - lifetime.
    const instant cutoff = now - options_.hold_lifetime + duration(1);
    for (;;) {
        std::size_t found = 0;
        impl_->transact([&](ledger_transaction& tx) {
            auto holds = tx.holds_before(cutoff, expire_batch);
            found = holds.size();
            for (auto& hold : holds) {
                hold.status = hold_status::expired;
                hold.updated_at = now;
                impl_->release_hold(tx, hold, hold.amount.units, hold.amount.units, true, false);
                tx.put_authorization(hold);
                audit_entry entry;
                entry.actor = "system";
                entry.action = "hold.expire";
                entry.token = hold.token;
                entry.seller = hold.seller;
                entry.request = text(json{{"authorization", hold.id}});
                entry.outcome =
                    text(json{{"status", "expired"}, {"released", money_text(hold.amount)}});
                if (auto token = tx.find_token(hold.token)) entry.policy_hash = token->policy_hash;
                impl_->audit(tx, std::move(entry));
                expired.push_back(hold);
            }
        });
        if (found < expire_batch) break;
    }
    return expired;
}

// ---- check against durable state --------------------------------------------

authorization_answer authorizer::check(const check_request& request) {
    authorization_answer answer;
    answer.charge_id = recover_charge_id(request.charge).value_or("");
    const auto refuse = [&](std::string_view code, std::string message) {
        answer.error = code;
        answer.message = std::move(message);
        return answer;
    };
    const auto arguments = canonical_arguments(request.arguments);
    if (!arguments)
        return refuse(refusal::invalid_arguments, "the arguments must be a JSON object");
    const json body = parse_json(request.charge);
    if (!body.is_discarded()) {
        if (auto card = refuse_card_number(body, "the charge"))
            return refuse(card->code, card->message);
    }
    // Unparsable charges still get an answer (invalid_charge), keyed by their bytes.
    const std::string fingerprint =
        body.is_discarded() ? sha256_hex("check\n" + request.charge) : request_hash("check", body);
    const std::string hash = sha256_hex(request.policy_source);

    try {
        impl_->transact([&](ledger_transaction& tx) {
            // One durable state per policy text, mandate and arguments.
            auto compiled = impl_->policies.find(hash);
            if (compiled == impl_->policies.end()) {
                auto result = compile(request.policy_source, request.policy_file);
                if (!result.ok()) {
                    refuse(refusal::policy_error,
                           "the policy " + request.policy_file + " has errors");
                    return;
                }
                compiled = impl_->policies.emplace(hash, result.compiled).first;
            }
            const auto names = compiled->second->mandate_names();
            std::string name = request.mandate;
            if (name.empty() && names.size() == 1) name = names.front();
            const std::string state_id =
                "chk_" + sha256_hex(hash + '\n' + name + '\n' + *arguments).substr(0, 26);
            if (!tx.find_token(state_id)) {
                auto bound = mandate::bind(compiled->second, name, *arguments);
                if (!bound.ok()) {
                    std::string message;
                    for (const auto& e : bound.errors) message += (message.empty() ? "" : "; ") + e;
                    refuse(refusal::invalid_arguments, message);
                    return;
                }
                token_record fresh;
                fresh.id = state_id;
                fresh.policy_hash = hash;
                fresh.mandate = std::string(bound.mandate->name());
                fresh.arguments = *arguments;
                fresh.seller = "*";
                fresh.created_at = impl_->now();
                if (!tx.find_policy(hash)) {
                    tx.put_policy(hash, stored_policy{request.policy_file, request.policy_source});
                }
                tx.put_token(fresh);
            }
            const std::string key = answer.charge_id.empty()
                                        ? std::string()
                                        : "check:" + state_id + ":" + answer.charge_id;
            if (!key.empty()) {
                if (const auto stored = tx.find_response(key)) {
                    answer = impl::replay(*stored, fingerprint, answer.charge_id);
                    return;
                }
            }
            charge_document document;
            std::string error;
            if (!decode_charge(request.charge, document, error)) {
                answer.reason = to_string(reason::invalid_charge);
                answer.detail = error;
            } else {
                const charge& view = document.view();
                answer.amount = view.amount;
                answer.at = view.has(field_at) ? view.at : instant{};
                auto chain = impl_->chain_of(tx, state_id);
                const auto verdict = impl_->decide_chain(tx, *chain, view, false);
                if (verdict.approved) {
                    impl_->record_chain(tx, *chain, view, false);
                    answer.approved = true;
                } else {
                    answer.reason = verdict.reason;
                    answer.detail = verdict.detail;
                    answer.rule = verdict.rule;
                }
            }
            if (!key.empty()) tx.put_response(key, stored_response{fingerprint, answer.to_json()});
        });
    } catch (const std::exception& failure) {
        authorization_answer failed;
        failed.charge_id = answer.charge_id;
        failed.error = refusal::ledger_unavailable;
        failed.message = failure.what();
        return failed;
    }
    return answer;
}

// ---- reading ----------------------------------------------------------------

std::optional<authorization_record> authorizer::find_authorization(const std::string& id) {
    std::optional<authorization_record> found;
    impl_->transact([&](ledger_transaction& tx) { found = tx.find_authorization(id); });
    return found;
}

std::vector<audit_entry> authorizer::audit(const audit_filter& filter) {
    std::vector<audit_entry> selected;
    const auto keep = [&](const audit_entry& e) {
        if (!filter.token.empty() && e.token != filter.token) return false;
        if (!filter.seller.empty() && e.seller != filter.seller) return false;
        if (filter.since && e.at < *filter.since) return false;
        if (filter.until && e.at >= *filter.until) return false;
        return true;
    };
    for_each_audit([&](const audit_entry& e) {
        if (keep(e)) selected.push_back(e);
    });
    return selected;
}

audit_verifier authorizer::verify_audit() {
    audit_verifier verifier;
    for_each_audit([&](const audit_entry& e) { verifier.add(e); });
    return verifier;
}

void authorizer::for_each_audit(const std::function<void(const audit_entry&)>& visit) {
    constexpr std::size_t page = 4096;
    std::int64_t from = 1;
    for (;;) {
        std::vector<audit_entry> entries;
        impl_->transact([&](ledger_transaction& tx) { entries = tx.audit(from, page); });
        for (const auto& e : entries) visit(e);
        if (entries.size() < page) break;
        from = entries.back().sequence + 1;
    }
}

}  // namespace mandate
