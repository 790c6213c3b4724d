// `mandate authorize`: one charge, or a stream of them answered in batches.
//
// The stream commits whatever lines are already waiting in one transaction
// (authorizer::authorize_all) and prints their answers only once it is durable,
// so a fast producer gets large batches and a slow one gets each line answered
// as soon as it arrives.

#include <unistd.h>

#include <fstream>
#include <iostream>
#include <memory>
#include <optional>
#include <vector>

#include <nlohmann/json.hpp>

#include "cli/commands.hpp"
#include "cli/line_reader.hpp"
#include "mandate/json.hpp"

namespace mandate::cli {

namespace {

// The authorizer refuses a larger charge; reading one byte more than this is
// enough for it to say so, without holding a longer line in memory.
constexpr std::size_t max_charge_bytes = (1u << 20) + 1;
// At most this many lines in one transaction.
constexpr std::size_t max_stream_batch = 256;

struct authorize_options {
    ledger_settings ledger;
    std::string token;
    std::string charge_path;  // empty: standard input
    bool stream = false;
};

// One charge ready for the authorizer, or the answer that refuses it already.
struct prepared_charge {
    authorization_request request;
    std::optional<authorization_answer> refusal;
};

// A charge is charged to its own "token" when it names one, else to --token.
// The field stays in the charge, where the charge decoder ignores it.
prepared_charge prepare(std::string charge, const std::string& default_token) {
    prepared_charge prepared;
    prepared.request.token = default_token;
    const auto body = nlohmann::json::parse(charge, nullptr, false);
    if (body.is_object()) {
        if (const auto token = body.find("token"); token != body.end()) {
            if (!token->is_string() || token->get_ref<const std::string&>().empty()) {
                authorization_answer refused;
                refused.charge_id = recover_charge_id(charge).value_or("");
                refused.error = refusal::malformed_request;
                refused.message = "\"token\" must be a token id (a non-empty string)";
                prepared.refusal = std::move(refused);
            } else {
                prepared.request.token = token->get<std::string>();
            }
        }
    }
    prepared.request.charge = std::move(charge);
    return prepared;
}

// Reads at most max_charge_bytes: enough for the authorizer to refuse a larger
// charge, without holding all of an endless input.
bool read_charge(const std::string& path, std::string& charge) {
    std::ifstream file;
    if (!path.empty()) {
        file.open(path, std::ios::binary);
        if (!file) return false;
    }
    std::istream& input = path.empty() ? std::cin : file;
    charge.resize(max_charge_bytes);
    input.read(charge.data(), static_cast<std::streamsize>(charge.size()));
    charge.resize(static_cast<std::size_t>(input.gcount()));
    return !input.bad();
}

int authorize_one(authorizer& auth, const std::string& token, std::string charge) {
    const prepared_charge prepared = prepare(std::move(charge), token);
    const authorization_answer answer =
        prepared.refusal ? *prepared.refusal : auth.authorize(prepared.request);
    return print_answer(answer.to_json(), answer.error, answer.message);
}

// The next batch: one line, waiting for it, then every line already waiting,
// up to max_stream_batch. Empty at the end of the input.
std::vector<prepared_charge> next_batch(line_reader& reader, const std::string& default_token) {
    std::vector<prepared_charge> batch;
    while (batch.size() < max_stream_batch) {
        auto line = reader.next(batch.empty());
        if (!line) break;
        if (is_blank(*line)) continue;
        batch.push_back(prepare(std::move(*line), default_token));
    }
    return batch;
}

// Authorizes the batch's charges in one transaction; answers in batch order.
std::vector<authorization_answer> answer_batch(authorizer& auth,
                                               std::vector<prepared_charge>& batch) {
    std::vector<authorization_request> requests;
    for (auto& charge : batch) {
        if (!charge.refusal) requests.push_back(std::move(charge.request));
    }
    auto decided = auth.authorize_all(requests);
    std::vector<authorization_answer> answers;
    answers.reserve(batch.size());
    auto next_decided = decided.begin();
    for (auto& charge : batch) {
        answers.push_back(charge.refusal ? std::move(*charge.refusal) : std::move(*next_decided++));
    }
    return answers;
}

int authorize_stream(authorizer& auth, const authorize_options& options) {
    line_reader reader(STDIN_FILENO, max_charge_bytes);
    bool refused = false;
    for (auto batch = next_batch(reader, options.token); !batch.empty();
         batch = next_batch(reader, options.token)) {
        std::string lines;
        for (const auto& answer : answer_batch(auth, batch)) {
            refused = refused || !answer.ok();
            lines += answer.to_json();
            lines += '\n';
        }
        std::cout << lines << std::flush;
    }
    if (!reader.error().empty()) {
        std::cerr << "mandate: cannot read standard input: " << reader.error() << "\n";
        return exit_usage;
    }
    return refused ? exit_refused : exit_ok;
}

int run_authorize(const authorize_options& options) {
    if (options.stream) {
        return with_authorizer(options.ledger, ledger_use::create,
                               [&](authorizer& auth) { return authorize_stream(auth, options); });
    }
    // The charge is read first: an unreadable one is a usage error that leaves
    // no ledger behind.
    std::string charge;
    if (!read_charge(options.charge_path, charge)) {
        std::cerr << "mandate: cannot read the charge from '"
                  << (options.charge_path.empty() ? "standard input" : options.charge_path)
                  << "'\n";
        return exit_usage;
    }
    return with_authorizer(options.ledger, ledger_use::create, [&](authorizer& auth) {
        return authorize_one(auth, options.token, std::move(charge));
    });
}

}  // namespace

void add_authorize_command(CLI::App& app, std::vector<command>& commands) {
    auto options = std::make_shared<authorize_options>();
    auto* authorize = app.add_subcommand(
        "authorize", "Authorize a charge (JSON on standard input) against a token");
    add_ledger_options(*authorize, options->ledger, false)->required();
    authorize
        ->add_option("--token", options->token,
                     "The token charged; a charge's own \"token\" field overrides it")
        ->check(utf8_text())
        ->required();
    auto* charge = authorize->add_option("--charge", options->charge_path,
                                         "Read the charge from this file, not standard input");
    charge->check(utf8_text());
    authorize
        ->add_flag("--stream", options->stream,
                   "Read one charge per line from standard input and answer each with one line, "
                   "in order, committing the lines already waiting together")
        ->excludes(charge);
    commands.push_back({authorize, [options] { return run_authorize(*options); }});
}

}  // namespace mandate::cli
