// The ledger commands: tokens, capture, reverse and refund, expiring holds, the
// audit trail, and check against durable budgets. Each builds one request from
// its options, asks the authorizer, and prints the answer as one JSON line.

#include <iostream>
#include <memory>
#include <optional>
#include <utility>

#include <nlohmann/json.hpp>

#include "cli/commands.hpp"
#include "mandate/audit.hpp"
#include "mandate/money.hpp"

namespace mandate::cli {

namespace {

using json = nlohmann::ordered_json;

std::string dump(const json& value) {
    return value.dump(-1, ' ', false, json::error_handler_t::replace);
}

json text_or_null(const std::string& text) { return text.empty() ? json(nullptr) : json(text); }

CLI::Option* add_text(CLI::App& subcommand, const std::string& name, std::string& value,
                      const std::string& description) {
    return subcommand.add_option(name, value, description)->check(utf8_text());
}

// ---- tokens -------------------------------------------------------------------

struct token_create_options {
    ledger_settings ledger;
    std::string policy_path;
    std::string mandate_name;
    std::string arguments = "{}";
    std::string seller;
    std::string card;
    std::string parent;
    std::string lifetime;
    std::string idempotency_key;
};

int run_token_create(const token_create_options& options) {
    token_request request;
    if (!read_file(options.policy_path, request.policy_source)) {
        std::cerr << "mandate: cannot read policy file '" << options.policy_path << "'\n";
        return exit_usage;
    }
    request.policy_file = options.policy_path;
    request.mandate = options.mandate_name;
    request.arguments = options.arguments;
    request.seller = options.seller;
    request.parent = options.parent;
    request.idempotency_key = options.idempotency_key;
    if (!options.lifetime.empty()) request.lifetime = parse_duration(options.lifetime).value();

    // The card is read here, before the ledger is opened: a refused card (one
    // carrying a number, say) leaves no trace anywhere.
    if (!options.card.empty()) {
        auto card = parse_card(options.card);
        if (!card.card) return print_refusal(card.error, card.message);
        request.card = std::move(card.card);
    } else if (options.parent.empty()) {
        std::cerr << "mandate: token create needs --card, or --parent for a child token\n";
        return exit_usage;
    }

    return with_authorizer(options.ledger, ledger_use::create, [&](authorizer& auth) {
        const token_answer answer = auth.create_token(request);
        if (!answer.diagnostics.empty()) std::cerr << render(answer.diagnostics);
        return print_answer(answer.to_json(), answer.error, answer.message);
    });
}

struct token_options {
    ledger_settings ledger;
    std::string id;
    std::string reason = "requested";
    std::string idempotency_key;
    bool for_seller = false;
};

int run_token_show(const token_options& options) {
    return with_authorizer(options.ledger, ledger_use::existing, [&](authorizer& auth) {
        const token_answer answer = auth.show_token(options.id);
        const std::string line =
            answer.ok() && options.for_seller ? answer.view.to_json(true) : answer.to_json();
        return print_answer(line, answer.error, answer.message);
    });
}

int run_token_revoke(const token_options& options) {
    return with_authorizer(options.ledger, ledger_use::existing, [&](authorizer& auth) {
        const token_answer answer =
            auth.revoke_token(revoke_request{options.id, options.reason, options.idempotency_key});
        return print_answer(answer.to_json(), answer.error, answer.message);
    });
}

int run_token_renew(const token_options& options) {
    return with_authorizer(options.ledger, ledger_use::existing, [&](authorizer& auth) {
        const token_answer answer =
            auth.renew_token(renew_request{options.id, options.idempotency_key});
        return print_answer(answer.to_json(), answer.error, answer.message);
    });
}

void add_token_create(CLI::App& token, std::vector<command>& commands) {
    auto options = std::make_shared<token_create_options>();
    auto* create = token.add_subcommand(
        "create", "Create a token (a root token with --card, a child of a grant with --parent)");
    add_ledger_options(*create, options->ledger, false)->required();
    add_text(*create, "--policy", options->policy_path, "Policy file (.mandate)")->required();
    add_text(*create, "--mandate", options->mandate_name,
             "Mandate to use; may be left out when the file holds one");
    add_text(*create, "--args", options->arguments,
             "The mandate's arguments as a JSON object (default {})");
    add_text(*create, "--seller", options->seller,
             "The seller id the token is granted to; * for a grant that only mints children")
        ->required();
    add_text(*create, "--card", options->card,
             "The card as JSON: {\"brand\", \"last4\", \"funding\", \"exp_month\", "
             "\"exp_year\"}, never its number; a child may leave it out");
    add_text(*create, "--parent", options->parent, "Mint a child token of this grant");
    create
        ->add_option("--lifetime", options->lifetime,
                     "The token ends this long after creation (default: never)")
        ->check(positive_duration());
    add_text(*create, "--idempotency-key", options->idempotency_key,
             "Retrying with the same key returns the same token");
    commands.push_back({create, [options] { return run_token_create(*options); }});
}

void add_token_commands(CLI::App& app, std::vector<command>& commands) {
    auto* token =
        app.add_subcommand("token", "Create, show, revoke and renew shared payment tokens");
    token->require_subcommand(1);
    add_token_create(*token, commands);

    const auto add_token_command = [&](const std::string& name, const std::string& description,
                                       int (*run)(const token_options&)) {
        auto options = std::make_shared<token_options>();
        auto* subcommand = token->add_subcommand(name, description);
        add_ledger_options(*subcommand, options->ledger, false)->required();
        add_text(*subcommand, "id", options->id, "The token's id (spt_...)")->required();
        commands.push_back({subcommand, [options, run] { return run(*options); }});
        return std::pair{subcommand, options};
    };

    const auto [show, show_options] = add_token_command(
        "show", "Print a token with its limits and usage (the owner's view)", run_token_show);
    show->add_flag("--seller", show_options->for_seller,
                   "The seller's view: no arguments, no parent, no children");

    const auto [revoke, revoke_options] = add_token_command(
        "revoke", "Revoke a token and every token minted under it", run_token_revoke);
    add_text(*revoke, "--reason", revoke_options->reason, "Why (default: requested)");
    add_text(*revoke, "--idempotency-key", revoke_options->idempotency_key,
             "Retrying with the same key returns the first answer, not already revoked");

    const auto [renew, renew_options] = add_token_command(
        "renew", "Replace a child token with a fresh one for the same seller and mandate",
        run_token_renew);
    add_text(*renew, "--idempotency-key", renew_options->idempotency_key,
             "Retrying with the same key returns the token the first renewal minted");
}

// ---- capture, reverse, refund --------------------------------------------------

struct lifecycle_options {
    ledger_settings ledger;
    std::string authorization;
    std::string amount;
    const CLI::Option* amount_option = nullptr;  // null: the step takes no amount
    std::string idempotency_key;
    std::string seller;
};

using lifecycle_step = lifecycle_answer (authorizer::*)(const lifecycle_request&);

int run_lifecycle(const lifecycle_options& options, lifecycle_step step) {
    lifecycle_request request;
    request.authorization = options.authorization;
    if (options.amount_option != nullptr && options.amount_option->count() > 0) {
        request.amount = options.amount;
    }
    request.idempotency_key = options.idempotency_key;
    request.seller = options.seller;
    return with_authorizer(options.ledger, ledger_use::existing, [&](authorizer& auth) {
        const lifecycle_answer answer = (auth.*step)(request);
        return print_answer(answer.to_json(), answer.error, answer.message);
    });
}

// One of capture, reverse and refund, as the command line offers it.
struct lifecycle_command {
    const char* name;
    const char* description;
    const char* amount_help;  // nullptr: no --amount (a reversal releases the whole hold)
    bool uses_hold_lifetime;  // a refund does not care how old the hold is
    lifecycle_step step;
};

constexpr lifecycle_command lifecycle_commands[] = {
    {"capture", "Capture an authorization's hold",
     "Capture this much, as 12.50 or \"12.50 USD\" (default: the whole hold; the rest goes "
     "back to the budget)",
     true, &authorizer::capture},
    {"reverse", "Release an authorization's whole hold back to the budget", nullptr, true,
     &authorizer::reverse},
    {"refund", "Refund captured money",
     "Refund this much (default: everything captured and not refunded)", false,
     &authorizer::refund},
};

void add_lifecycle_command(CLI::App& app, std::vector<command>& commands,
                           const lifecycle_command& kind) {
    auto options = std::make_shared<lifecycle_options>();
    auto* subcommand = app.add_subcommand(kind.name, kind.description);
    add_ledger_options(*subcommand, options->ledger, kind.uses_hold_lifetime)->required();
    add_text(*subcommand, "--authorization", options->authorization,
             "The authorization's id (auth_...)")
        ->required();
    if (kind.amount_help != nullptr) {
        options->amount_option =
            add_text(*subcommand, "--amount", options->amount, kind.amount_help);
    }
    add_text(*subcommand, "--idempotency-key", options->idempotency_key,
             "Retrying with the same key returns the first answer and changes nothing")
        ->required();
    add_text(*subcommand, "--seller", options->seller,
             "The seller asking: refused (not_found) unless it authorized the hold");
    commands.push_back(
        {subcommand, [options, step = kind.step] { return run_lifecycle(*options, step); }});
}

// ---- expiring holds -------------------------------------------------------------

json hold_json(const authorization_record& hold) {
    const int exponent = hold.amount.unit.exponent();
    return {{"authorization", hold.id},
            {"token", hold.token},
            {"chain", hold.chain},
            {"charge_id", text_or_null(hold.charge_id)},
            {"seller", hold.seller},
            {"status", to_string(hold.status)},
            {"amount", format_units(hold.amount.units, exponent)},
            {"currency", hold.amount.unit.code()},
            {"captured", format_units(hold.captured, exponent)},
            {"refunded", format_units(hold.refunded, exponent)},
            {"at", format_rfc3339(hold.at)},
            {"updated_at", format_rfc3339(hold.updated_at)}};
}

int run_expire_holds(const ledger_settings& ledger) {
    return with_authorizer(ledger, ledger_use::existing, [](authorizer& auth) {
        const auto released = auth.expire_holds();
        for (const auto& hold : released) print_line(dump(hold_json(hold)));
        std::cerr << "mandate: expired " << released.size()
                  << (released.size() == 1 ? " hold" : " holds") << " not captured within "
                  << format_duration(auth.options().hold_lifetime) << "\n";
        return exit_ok;
    });
}

// ---- the audit trail --------------------------------------------------------------

CLI::Validator sha256_text() {
    return CLI::Validator(
        [](std::string& text) -> std::string {
            const bool hex = text.size() == 64 &&
                             text.find_first_not_of("0123456789abcdef") == std::string::npos;
            return hex ? std::string() : "expected 64 lower-case hex digits, as verify prints";
        },
        "HASH");
}

struct audit_verify_options {
    ledger_settings ledger;
    std::string expected_head;
};

// The sequence of the record whose hash is `hash`, if the trail has one.
std::optional<std::int64_t> sequence_of(authorizer& auth, const std::string& hash) {
    for (const auto& entry : auth.audit()) {
        if (entry.hash == hash) return entry.sequence;
    }
    return std::nullopt;
}

int broken_trail(json report, const std::string& problem) {
    print_line(dump(report));
    std::cerr << "mandate: the audit trail is broken: " << problem << "\n";
    return exit_refused;
}

// Walks the whole chain. With --expect-head, the hash printed by an earlier
// verify must still be in it: records written since are fine, records cut off
// the end (the one thing the chain itself cannot show) are not.
int run_audit_verify(const audit_verify_options& options) {
    return with_authorizer(options.ledger, ledger_use::existing, [&](authorizer& auth) {
        const audit_verifier verifier = auth.verify_audit();
        if (!verifier.ok()) {
            return broken_trail({{"ok", false},
                                 {"first_bad", verifier.first_bad()},
                                 {"problem", verifier.problem()}},
                                verifier.problem());
        }

        json report = {
            {"ok", true}, {"records", verifier.checked()}, {"head", verifier.head_hash()}};
        if (!options.expected_head.empty()) {
            const auto anchor = options.expected_head == verifier.head_hash()
                                    ? std::optional(verifier.checked())
                                    : sequence_of(auth, options.expected_head);
            if (!anchor) {
                const std::string problem =
                    "no record has the expected head hash " + options.expected_head +
                    ": records were cut off the end, or the hash is from another ledger";
                report["ok"] = false;
                report["expected_head"] = options.expected_head;
                report["problem"] = problem;
                return broken_trail(std::move(report), problem);
            }
            report["expected_head_at"] = *anchor;
        }
        print_line(dump(report));
        return exit_ok;
    });
}

struct audit_show_options {
    ledger_settings ledger;
    std::string token;
    std::string seller;
    std::string since;
    std::string until;
};

// Every field as stored: `request` and `outcome` stay JSON text, byte for byte,
// so that anyone can recompute the hashes from this output.
json entry_json(const audit_entry& entry) {
    return {{"sequence", entry.sequence},
            {"at", format_rfc3339(entry.at)},
            {"actor", entry.actor},
            {"action", entry.action},
            {"token", entry.token},
            {"seller", entry.seller},
            {"request", entry.request},
            {"outcome", entry.outcome},
            {"policy_hash", entry.policy_hash},
            {"previous_hash", entry.previous_hash},
            {"hash", entry.hash}};
}

int run_audit_show(const audit_show_options& options) {
    audit_filter filter;
    filter.token = options.token;
    filter.seller = options.seller;
    if (!options.since.empty()) filter.since = parse_rfc3339(options.since);
    if (!options.until.empty()) filter.until = parse_rfc3339(options.until);
    return with_authorizer(options.ledger, ledger_use::existing, [&](authorizer& auth) {
        for (const auto& entry : auth.audit(filter)) print_line(dump(entry_json(entry)));
        return exit_ok;
    });
}

void add_audit_commands(CLI::App& app, std::vector<command>& commands) {
    auto* audit = app.add_subcommand("audit", "Verify and print the hash-chained audit trail");
    audit->require_subcommand(1);

    auto verify_options = std::make_shared<audit_verify_options>();
    auto* verify = audit->add_subcommand("verify", "Check every record's hash and link");
    add_ledger_options(*verify, verify_options->ledger, false)->required();
    verify
        ->add_option("--expect-head", verify_options->expected_head,
                     "Also fail unless the trail still holds the record with this hash (a "
                     "head printed by an earlier verify)")
        ->check(sha256_text());
    commands.push_back({verify, [verify_options] { return run_audit_verify(*verify_options); }});

    auto show_options = std::make_shared<audit_show_options>();
    auto* show = audit->add_subcommand("show", "Print audit records, one JSON line each");
    add_ledger_options(*show, show_options->ledger, false)->required();
    add_text(*show, "--token", show_options->token, "Only records about this token");
    add_text(*show, "--seller", show_options->seller, "Only records about this seller");
    show->add_option("--since", show_options->since, "Only records at or after this time")
        ->check(rfc3339_time());
    show->add_option("--until", show_options->until, "Only records before this time")
        ->check(rfc3339_time());
    commands.push_back({show, [show_options] { return run_audit_show(*show_options); }});
}

// ---- check against the ledger ----------------------------------------------------

// The shape of the in-memory check's decisions, plus "error" for a refusal.
std::string check_line(const authorization_answer& answer) {
    json out;
    out["id"] = text_or_null(answer.charge_id);
    if (!answer.ok()) {
        out["error"] = {{"code", answer.error}, {"message", answer.message}};
        return dump(out);
    }
    out["decision"] = answer.approved ? "approve" : "decline";
    if (!answer.approved) {
        out["reason"] = answer.reason;
        if (!answer.rule.empty()) out["rule"] = answer.rule;
        out["detail"] = answer.detail;
    }
    return dump(out);
}

}  // namespace

int run_ledger_check(const check_options& options) {
    check_request request;
    compile_result compiled;
    // Bound here, not only in the authorizer, for the same exit code and
    // messages as the in-memory check, and so that leaving out --mandate and
    // naming the only mandate share one state.
    std::shared_ptr<const bound_mandate> bound;
    if (const int code = load_mandate(options.policy_path, options.mandate_name,
                                      options.arguments, request.policy_source, compiled, bound);
        code != exit_ok) {
        return code;
    }
    request.policy_file = options.policy_path;
    request.mandate = std::string(bound->name());
    request.arguments = options.arguments;

    std::ifstream file;
    std::istream* input = open_charges(options.charges_path, file);
    if (input == nullptr) return exit_usage;

    return with_authorizer(options.ledger, ledger_use::create, [&](authorizer& auth) {
        bool refused = false;
        for_each_charge_line(*input, [&](const std::string& line) {
            request.charge = line;
            const authorization_answer answer = auth.check(request);
            refused = refused || !answer.ok();
            print_line(check_line(answer));
        });
        return refused ? exit_refused : exit_ok;
    });
}

void add_ledger_commands(CLI::App& app, std::vector<command>& commands) {
    add_token_commands(app, commands);
    add_authorize_command(app, commands);
    for (const auto& kind : lifecycle_commands) add_lifecycle_command(app, commands, kind);

    auto expire_settings = std::make_shared<ledger_settings>();
    auto* expire = app.add_subcommand(
        "expire-holds", "Release every hold older than the hold lifetime; print each one");
    add_ledger_options(*expire, *expire_settings, true)->required();
    commands.push_back({expire, [expire_settings] { return run_expire_holds(*expire_settings); }});

    add_audit_commands(app, commands);
}

}  // namespace mandate::cli
