// The ledger commands of the `mandate` binary, run for real against a ledger in
// a scratch directory: tokens, authorize (one charge, and --stream), capture,
// reverse, refund, idempotent retries, refusals that change nothing, expiring
// holds, check --ledger across runs, and an audit trail edited behind the
// ledger's back.

#include <catch2/catch.hpp>

#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "tests/support.hpp"

namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;

const std::string source_dir = MANDATE_SOURCE_DIR;
const std::string binary = MANDATE_BINARY;

// Commands run in the source directory with policies named relative to it, so
// rules read "stdlib-policies/weekly_allowance.mandate:8:3".
constexpr const char* weekly_policy = "stdlib-policies/weekly_allowance.mandate";
constexpr const char* weekly_arguments =
    R"({"merchant_id": "acct_shop", "allowance": "25.00 USD", "zone": "America/New_York",
        "ends_at": "2027-01-01T00:00:00Z"})";
constexpr const char* visa = R"({"brand": "visa", "last4": "4242", "funding": "credit",
        "exp_month": 12, "exp_year": 2030})";

// The authorizer's clock in every command unless a test says otherwise: a
// Thursday, in the New York week that began on Monday 2026-11-30.
constexpr const char* today = "2026-12-03T10:00:00Z";

// Arguments go through the shell in single quotes; none of ours holds one.
std::string quoted(const std::string& text) {
    REQUIRE(text.find('\'') == std::string::npos);
    return "'" + text + "'";
}

std::string charge(const std::string& id, const std::string& amount,
                   const std::string& seller = "acct_shop") {
    return json{{"id", id},
                {"amount", amount},
                {"currency", "USD"},
                {"seller", {{"id", seller}}},
                {"idempotency_key", "key_" + id}}
        .dump();
}

struct run_result {
    int exit_code = -1;
    std::string out;
    std::string err;

    // Standard output, one JSON value a line.
    std::vector<json> lines() const {
        std::vector<json> values;
        std::istringstream text(out);
        for (std::string line; std::getline(text, line);) {
            INFO("output line: " << line);
            values.push_back(json::parse(line));
        }
        return values;
    }

    json only() const {
        const auto values = lines();
        INFO("stdout: " << out << "\nstderr: " << err);
        REQUIRE(values.size() == 1);
        return values.front();
    }
};

void write_text(const fs::path& path, const std::string& text) {
    std::ofstream file(path, std::ios::binary | std::ios::trunc);
    file << text;
    REQUIRE(file.good());
}

// A scratch directory with one ledger in it, removed afterwards.
class scratch {
    mandate::testing::scratch_dir dir_{"mandate-cli"};

public:
    const fs::path& dir() const { return dir_.path(); }
    std::string ledger() const { return dir_.file("ledger.db"); }

    // `mandate ARGUMENTS` with `input` on standard input.
    run_result run(const std::string& arguments, const std::string& input = {}) const {
        write_text(dir() / "stdin", input);
        const std::string command = "cd " + quoted(source_dir) + " && " + quoted(binary) + " " +
                                    arguments + " <" + quoted((dir() / "stdin").string()) + " >" +
                                    quoted((dir() / "stdout").string()) + " 2>" +
                                    quoted((dir() / "stderr").string());
        const int status = std::system(command.c_str());
        run_result result;
        result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
        result.out = mandate::testing::read_file(dir() / "stdout");
        result.err = mandate::testing::read_file(dir() / "stderr");
        return result;
    }

    // A ledger command: `mandate COMMAND --ledger L --now NOW`.
    run_result at(const std::string& now, const std::string& command,
                  const std::string& input = {}) const {
        return run(command + " --ledger " + quoted(ledger()) + " --now " + now, input);
    }
    run_result ledger_run(const std::string& command, const std::string& input = {}) const {
        return at(today, command, input);
    }

    // A weekly allowance of 25.00 USD at acct_shop; returns its id.
    std::string weekly_token(const std::string& extra = {}) const {
        const auto created = ledger_run("token create --policy " + std::string(weekly_policy) +
                                        " --args " + quoted(weekly_arguments) +
                                        " --seller acct_shop --card " + quoted(visa) + " " + extra);
        INFO(created.err);
        REQUIRE(created.exit_code == 0);
        return created.only().at("id").get<std::string>();
    }

    json authorize(const std::string& token, const std::string& charge_json,
                   int expected_exit = 0) const {
        const auto answered = ledger_run("authorize --token " + token, charge_json);
        INFO(answered.err);
        CHECK(answered.exit_code == expected_exit);
        return answered.only();
    }

    json show(const std::string& token, const std::string& extra = {}) const {
        const auto shown = ledger_run("token show " + token + " " + extra);
        INFO(shown.err);
        CHECK(shown.exit_code == 0);
        return shown.only();
    }

    std::vector<json> audit() const {
        const auto shown = ledger_run("audit show");
        INFO(shown.err);
        CHECK(shown.exit_code == 0);
        return shown.lines();
    }
};

// The ledger opened with SQLite itself, to edit it behind the ledger's back.
class raw_ledger {
public:
    explicit raw_ledger(const std::string& path) {
        sqlite3* opened = nullptr;
        const int result = sqlite3_open_v2(path.c_str(), &opened, SQLITE_OPEN_READWRITE, nullptr);
        db_.reset(opened);
        REQUIRE(result == SQLITE_OK);
    }

    // Runs one statement; returns how many rows it changed.
    int execute(const std::string& sql) {
        char* error = nullptr;
        const int result = sqlite3_exec(db_.get(), sql.c_str(), nullptr, nullptr, &error);
        INFO(sql << ": " << (error != nullptr ? error : ""));
        sqlite3_free(error);
        REQUIRE(result == SQLITE_OK);
        return sqlite3_changes(db_.get());
    }

    std::int64_t count(const std::string& table) {
        sqlite3_stmt* statement = nullptr;
        const std::string sql = "SELECT COUNT(*) FROM " + table;
        REQUIRE(sqlite3_prepare_v2(db_.get(), sql.c_str(), -1, &statement, nullptr) == SQLITE_OK);
        REQUIRE(sqlite3_step(statement) == SQLITE_ROW);
        const std::int64_t rows = sqlite3_column_int64(statement, 0);
        sqlite3_finalize(statement);
        return rows;
    }

private:
    struct closer {
        void operator()(sqlite3* db) const { sqlite3_close(db); }
    };
    std::unique_ptr<sqlite3, closer> db_;
};

// The binary with pipes on its standard input and output, for a conversation:
// a line is sent, its answer read back while the input is still open.
class conversation {
public:
    explicit conversation(const std::vector<std::string>& arguments) {
        std::array<int, 2> input{};
        std::array<int, 2> output{};
        REQUIRE(::pipe2(input.data(), O_CLOEXEC) == 0);
        REQUIRE(::pipe2(output.data(), O_CLOEXEC) == 0);
        posix_spawn_file_actions_t actions;
        posix_spawn_file_actions_init(&actions);
        posix_spawn_file_actions_adddup2(&actions, input[0], STDIN_FILENO);
        posix_spawn_file_actions_adddup2(&actions, output[1], STDOUT_FILENO);
        std::vector<std::string> words{binary};
        words.insert(words.end(), arguments.begin(), arguments.end());
        std::vector<char*> argv;
        for (auto& word : words) argv.push_back(word.data());
        argv.push_back(nullptr);
        const int spawned =
            ::posix_spawn(&child_, binary.c_str(), &actions, nullptr, argv.data(), environ);
        posix_spawn_file_actions_destroy(&actions);
        ::close(input[0]);
        ::close(output[1]);
        to_child_ = input[1];
        from_child_ = output[0];
        REQUIRE(spawned == 0);
        // A child that died early must fail the test, not kill it on a write.
        previous_sigpipe_ = std::signal(SIGPIPE, SIG_IGN);
    }
    ~conversation() {
        close_input();
        if (from_child_ >= 0) ::close(from_child_);
        if (child_ > 0) ::waitpid(child_, nullptr, 0);
        std::signal(SIGPIPE, previous_sigpipe_);
    }
    conversation(const conversation&) = delete;
    conversation& operator=(const conversation&) = delete;

    void send(const std::string& line) {
        const std::string bytes = line + "\n";
        REQUIRE(::write(to_child_, bytes.data(), bytes.size()) ==
                static_cast<ssize_t>(bytes.size()));
    }

    // The next line of output; nullopt when none comes within five seconds.
    std::optional<std::string> receive() {
        for (;;) {
            if (const auto newline = pending_.find('\n'); newline != std::string::npos) {
                std::string line = pending_.substr(0, newline);
                pending_.erase(0, newline + 1);
                return line;
            }
            pollfd readable{from_child_, POLLIN, 0};
            if (::poll(&readable, 1, 5000) <= 0) return std::nullopt;
            std::array<char, 4096> chunk{};
            const ssize_t got = ::read(from_child_, chunk.data(), chunk.size());
            if (got <= 0) return std::nullopt;
            pending_.append(chunk.data(), static_cast<std::size_t>(got));
        }
    }

    // Ends the input and returns the exit code.
    int finish() {
        close_input();
        int status = 0;
        REQUIRE(::waitpid(child_, &status, 0) == child_);
        child_ = 0;
        return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    }

private:
    void close_input() {
        if (to_child_ >= 0) ::close(to_child_);
        to_child_ = -1;
    }

    void (*previous_sigpipe_)(int) = SIG_DFL;
    pid_t child_ = 0;
    int to_child_ = -1;
    int from_child_ = -1;
    std::string pending_;
};

}  // namespace

TEST_CASE("token create prints the token; show gives the owner's and the seller's view", "[cli]") {
    scratch s;
    const std::string token = s.weekly_token();
    CHECK(token.rfind("spt_", 0) == 0);

    const json owner = s.show(token);
    CHECK(owner.at("id") == token);
    CHECK(owner.at("status") == "active");
    CHECK(owner.at("created_at") == today);
    CHECK(owner.at("arguments").at("merchant_id") == "acct_shop");
    CHECK(owner.at("children") == json::array());
    CHECK(owner.at("payment_method_details").at("card").at("last4") == "4242");

    const json seller = s.show(token, "--seller");
    CHECK(seller.at("id") == token);
    CHECK(seller.at("seller_details").at("seller") == "acct_shop");
    for (const char* hidden : {"arguments", "children", "parent", "mandate", "policy_hash"}) {
        INFO(hidden);
        CHECK_FALSE(seller.contains(hidden));
    }
    const json& budget = seller.at("usage_details").at("budgets").at(0);
    CHECK(budget.at("limit").at("amount") == "25.00");
    CHECK(budget.at("remaining").at("amount") == "25.00");
}

TEST_CASE("token create with an idempotency key returns the same token when retried", "[cli]") {
    scratch s;
    const std::string first = s.weekly_token("--idempotency-key create_1");
    const auto retried =
        s.ledger_run("token create --policy " + std::string(weekly_policy) + " --args " +
                     quoted(weekly_arguments) + " --seller acct_shop --card " + quoted(visa) +
                     " --idempotency-key create_1");
    CHECK(retried.exit_code == 0);
    CHECK(retried.only().at("id") == first);
    CHECK(retried.only().at("idempotent_replayed") == true);
    CHECK(s.audit().size() == 1);
}

TEST_CASE("authorize approves, then declines with the reason and the rule", "[cli]") {
    scratch s;
    const std::string token = s.weekly_token();

    const json approved = s.authorize(token, charge("ch_1", "20.00"));
    CHECK(approved.at("decision") == "approve");
    CHECK(approved.at("id") == "ch_1");
    CHECK(approved.at("authorization").get<std::string>().rfind("auth_", 0) == 0);
    CHECK(approved.at("at") == today);

    const json over = s.authorize(token, charge("ch_2", "10.00"));
    CHECK(over.at("decision") == "decline");
    CHECK(over.at("reason") == "budget_exceeded");
    CHECK(over.at("rule") == std::string(weekly_policy) + ":8:3");
    CHECK(over.at("authorization").is_null());

    const json elsewhere = s.authorize(token, charge("ch_3", "1.00", "acct_other"));
    CHECK(elsewhere.at("reason") == "seller_not_allowed");

    const json unknown = s.authorize("spt_doesnotexist", charge("ch_4", "1.00"));
    CHECK(unknown.at("reason") == "unknown_token");

    const auto revoked = s.ledger_run("token revoke " + token + " --reason lost");
    CHECK(revoked.exit_code == 0);
    CHECK(revoked.only().at("status") == "revoked");
    CHECK(revoked.only().at("deactivated_detail") == "lost");
    const json after = s.authorize(token, charge("ch_5", "1.00"));
    CHECK(after.at("decision") == "decline");
    CHECK(after.at("reason") == "token_revoked");

    // A second revoke is refused: there is nothing left to do.
    CHECK(s.ledger_run("token revoke " + token).exit_code == 1);
}

TEST_CASE("capture, refund and reverse move the token's usage", "[cli]") {
    scratch s;
    const std::string token = s.weekly_token();
    const std::string first = s.authorize(token, charge("ch_1", "20.00")).at("authorization");

    const auto captured = s.ledger_run("capture --authorization " + first +
                                       " --amount 15.00 --idempotency-key cap_1");
    INFO(captured.err);
    REQUIRE(captured.exit_code == 0);
    CHECK(captured.only().at("status") == "captured");
    CHECK(captured.only().at("captured") == "15.00");
    CHECK(captured.only().at("budget_released") == "5.00");

    json usage = s.show(token).at("usage_details");
    CHECK(usage.at("amount_captured").at("amount") == "15.00");
    CHECK(usage.at("amount_held").at("amount") == "0.00");
    CHECK(usage.at("budgets").at(0).at("spent").at("amount") == "15.00");
    CHECK(usage.at("budgets").at(0).at("remaining").at("amount") == "10.00");

    const auto refunded = s.ledger_run("refund --authorization " + first +
                                       " --amount '5.00 USD' --idempotency-key ref_1");
    REQUIRE(refunded.exit_code == 0);
    CHECK(refunded.only().at("refunded") == "5.00");
    CHECK(s.show(token).at("usage_details").at("amount_refunded").at("amount") == "5.00");

    // A captured hold cannot be reversed; a fresh one can, all of it.
    const auto late = s.ledger_run("reverse --authorization " + first + " --idempotency-key rev_0");
    CHECK(late.exit_code == 1);
    CHECK(late.only().at("error").at("code") == "invalid_state");

    const std::string second = s.authorize(token, charge("ch_2", "8.00")).at("authorization");
    CHECK(s.show(token).at("usage_details").at("budgets").at(0).at("remaining").at("amount") ==
          "2.00");
    const auto reversed =
        s.ledger_run("reverse --authorization " + second + " --idempotency-key rev_1");
    REQUIRE(reversed.exit_code == 0);
    CHECK(reversed.only().at("status") == "reversed");
    CHECK(reversed.only().at("budget_released") == "8.00");
    CHECK(s.show(token).at("usage_details").at("budgets").at(0).at("remaining").at("amount") ==
          "10.00");

    const auto over =
        s.ledger_run("capture --authorization " + second + " --idempotency-key cap_2");
    CHECK(over.exit_code == 1);
    CHECK(over.only().at("error").at("code") == "invalid_state");
}

TEST_CASE("a retried key returns the first answer; a reused key is a conflict", "[cli]") {
    scratch s;
    const std::string token = s.weekly_token();
    const json first = s.authorize(token, charge("ch_1", "20.00"));
    const std::size_t records = s.audit().size();

    const json again = s.authorize(token, charge("ch_1", "20.00"));
    CHECK(again.at("authorization") == first.at("authorization"));
    CHECK(again.at("idempotent_replayed") == true);
    CHECK_FALSE(first.contains("idempotent_replayed"));

    const json conflict = s.authorize(token, charge("ch_1", "21.00"), 1);
    CHECK(conflict.at("error").at("code") == "idempotency_conflict");

    const std::string hold = first.at("authorization");
    CHECK(s.ledger_run("capture --authorization " + hold + " --idempotency-key k").exit_code == 0);
    const auto recaptured =
        s.ledger_run("capture --authorization " + hold + " --idempotency-key k");
    CHECK(recaptured.exit_code == 0);
    CHECK(recaptured.only().at("idempotent_replayed") == true);

    // Neither the replays nor the conflict wrote anything: only the capture
    // added a record.
    CHECK(s.audit().size() == records + 1);
}

TEST_CASE("bad input is refused and leaves the ledger as it was", "[cli]") {
    scratch s;
    const std::string carded = R"({"brand": "visa", "last4": "4242", "funding": "credit",
        "exp_month": 12, "exp_year": 2030, "number": "4242424242424242"})";
    const std::string create = "token create --policy " + std::string(weekly_policy) + " --args " +
                               quoted(weekly_arguments) + " --seller acct_shop --card " +
                               quoted(carded);

    // On a new path the refused card is caught before the ledger is created.
    const auto first = s.ledger_run(create);
    CHECK(first.exit_code == 1);
    CHECK(first.only().at("error").at("code") == "card_number_refused");
    CHECK_FALSE(fs::exists(s.ledger()));

    const std::string token = s.weekly_token();
    const std::vector<json> before = s.audit();
    REQUIRE(before.size() == 1);

    CHECK(s.ledger_run(create).exit_code == 1);
    const auto unknown_field =
        s.ledger_run("token create --policy " + std::string(weekly_policy) + " --args " +
                     quoted(weekly_arguments) +
                     " --seller acct_shop --card '{\"brand\": \"visa\", \"cvc\": 1}'");
    CHECK(unknown_field.exit_code == 1);

    json carded_charge = json::parse(charge("ch_1", "1.00"));
    carded_charge["payment"] = {{"card", "4242 4242 4242 4242"}};
    CHECK(s.authorize(token, carded_charge.dump(), 1).at("error").at("code") ==
          "card_number_refused");
    CHECK(s.authorize(token, "{\"id\": \"ch_2\", \"amount\": ", 1).at("error").at("code") ==
          "malformed_request");
    CHECK(s.authorize(token, "", 1).at("error").at("code") == "malformed_request");
    json keyless = json::parse(charge("ch_3", "1.00"));
    keyless.erase("idempotency_key");
    CHECK(s.authorize(token, keyless.dump(), 1).at("error").at("code") ==
          "missing_idempotency_key");
    json numbered_token = json::parse(charge("ch_4", "1.00"));
    numbered_token["token"] = 5;
    CHECK(s.authorize(token, numbered_token.dump(), 1).at("error").at("code") ==
          "malformed_request");
    CHECK(s.ledger_run("capture --authorization auth_nope --idempotency-key k").exit_code == 1);

    CHECK(s.audit() == before);
    raw_ledger raw(s.ledger());
    CHECK(raw.count("tokens") == 1);
    CHECK(raw.count("authorizations") == 0);
    CHECK(raw.count("responses") == 0);

    // An unknown token and a wrong seller are declines: decisions, kept in the
    // audit trail, but nothing is held or counted.
    CHECK(s.authorize("spt_unknown", charge("ch_5", "1.00")).at("reason") == "unknown_token");
    CHECK(s.authorize(token, charge("ch_6", "1.00", "acct_other")).at("reason") ==
          "seller_not_allowed");
    CHECK(s.audit().size() == before.size() + 2);
    CHECK(raw.count("authorizations") == 0);
    const json usage = s.show(token).at("usage_details");
    CHECK(usage.at("authorizations") == 0);
    CHECK(usage.at("budgets").at(0).at("remaining").at("amount") == "25.00");
}

TEST_CASE("authorize --stream answers every line, in order", "[cli]") {
    scratch s;
    const std::string token = s.weekly_token();
    const std::string other = s.weekly_token();

    // More lines than one batch holds, so the stream needs several commits.
    constexpr int count = 300;
    std::string input;
    for (int i = 0; i < count; ++i) {
        json line = json::parse(charge("s" + std::to_string(i), "0.01"));
        if (i % 7 == 0) line["token"] = other;
        input += line.dump() + "\n";
        if (i % 50 == 0) input += "\n";  // blank lines get no answer
    }
    input += "not json at all\n";
    input += charge("late", "99.00");  // the last line needs no newline

    const auto streamed = s.ledger_run("authorize --stream --token " + token, input);
    INFO(streamed.err);
    CHECK(streamed.exit_code == 1);  // one line was refused
    const auto answers = streamed.lines();
    REQUIRE(answers.size() == count + 2);
    for (int i = 0; i < count; ++i) {
        INFO("line " << i);
        CHECK(answers[static_cast<std::size_t>(i)].at("id") == "s" + std::to_string(i));
        CHECK(answers[static_cast<std::size_t>(i)].at("decision") == "approve");
    }
    CHECK(answers[count].at("error").at("code") == "malformed_request");
    CHECK(answers[count + 1].at("reason") == "amount_over_limit");

    // Lines naming a token were charged to it: 43 of the 300.
    const json usage = s.show(other).at("usage_details");
    CHECK(usage.at("authorizations") == 43);
    CHECK(s.show(token).at("usage_details").at("authorizations") == count - 43);
}

TEST_CASE("authorize --stream answers each line before the input ends", "[cli]") {
    scratch s;
    const std::string token = s.weekly_token();
    conversation stream(
        {"authorize", "--stream", "--ledger", s.ledger(), "--now", today, "--token", token});

    stream.send(charge("c1", "5.00"));
    const auto first = stream.receive();
    REQUIRE(first.has_value());
    CHECK(json::parse(*first).at("id") == "c1");
    // Answered means committed: another connection sees the hold already.
    CHECK(raw_ledger(s.ledger()).count("authorizations") == 1);

    stream.send(charge("c2", "25.00"));
    const auto second = stream.receive();
    REQUIRE(second.has_value());
    CHECK(json::parse(*second).at("reason") == "budget_exceeded");
    CHECK(stream.finish() == 0);
}

TEST_CASE("expire-holds releases holds older than the hold lifetime", "[cli]") {
    scratch s;
    const std::string token = s.weekly_token();
    const std::string hold = s.authorize(token, charge("ch_1", "20.00")).at("authorization");

    const auto early = s.at("2026-12-09T10:00:00Z", "expire-holds");
    CHECK(early.exit_code == 0);
    CHECK(early.out.empty());

    const auto expired = s.at("2026-12-09T10:00:00Z", "expire-holds --hold-lifetime 6d");
    INFO(expired.err);
    CHECK(expired.exit_code == 0);
    const json released = expired.only();
    CHECK(released.at("authorization") == hold);
    CHECK(released.at("status") == "expired");
    CHECK(released.at("amount") == "20.00");
    CHECK(expired.err.find("expired 1 hold") != std::string::npos);

    const auto capture =
        s.at("2026-12-09T10:00:00Z", "capture --authorization " + hold + " --idempotency-key c");
    CHECK(capture.exit_code == 1);
    CHECK(capture.only().at("error").at("code") == "invalid_state");
}

TEST_CASE("a child token is minted under a grant and renewed", "[cli]") {
    scratch s;
    const auto grant =
        s.ledger_run("token create --policy " + std::string(weekly_policy) + " --args " +
                     quoted(weekly_arguments) + " --seller '*' " + "--card " + quoted(visa));
    REQUIRE(grant.exit_code == 0);
    const std::string grant_id = grant.only().at("id");

    const auto child = s.ledger_run("token create --policy " + std::string(weekly_policy) +
                                    " --args " + quoted(weekly_arguments) +
                                    " --seller acct_shop --parent " + grant_id + " --lifetime 3d");
    INFO(child.err);
    REQUIRE(child.exit_code == 0);
    const std::string child_id = child.only().at("id");
    CHECK(child.only().at("parent") == grant_id);
    CHECK(child.only().at("expires_at") == "2026-12-06T10:00:00Z");
    CHECK(s.show(grant_id).at("children") == json::array({child_id}));

    const auto renewed = s.ledger_run("token renew " + child_id);
    REQUIRE(renewed.exit_code == 0);
    const std::string fresh = renewed.only().at("id");
    CHECK(fresh != child_id);
    CHECK(s.show(child_id).at("status") == "revoked");
    CHECK(s.show(child_id).at("deactivated_detail") == "renewed");
    CHECK(s.authorize(fresh, charge("ch_1", "1.00")).at("decision") == "approve");
}

TEST_CASE("audit verify passes, then names the record edited behind its back", "[cli]") {
    scratch s;
    const std::string token = s.weekly_token();
    s.authorize(token, charge("ch_1", "20.00"));
    s.authorize(token, charge("ch_2", "10.00"));

    const auto verified = s.ledger_run("audit verify");
    REQUIRE(verified.exit_code == 0);
    const json report = verified.only();
    CHECK(report.at("ok") == true);
    CHECK(report.at("records") == 3);
    const std::string head = report.at("head");
    CHECK(head.size() == 64);
    CHECK(s.audit().back().at("hash") == head);
    CHECK(s.ledger_run("audit verify --expect-head " + head).exit_code == 0);

    // Records written since the head was noted are fine.
    s.authorize(token, charge("ch_3", "1.00"));
    const auto grown = s.ledger_run("audit verify --expect-head " + head);
    CHECK(grown.exit_code == 0);
    CHECK(grown.only().at("expected_head_at") == 3);

    SECTION("an edited outcome") {
        CHECK(raw_ledger(s.ledger())
                  .execute("UPDATE audit SET outcome = replace(outcome, '\"approve\"', "
                           "'\"decline\"') WHERE sequence = 2") == 1);
        const auto broken = s.ledger_run("audit verify");
        CHECK(broken.exit_code == 1);
        const json problem = broken.only();
        CHECK(problem.at("ok") == false);
        CHECK(problem.at("first_bad") == 2);
        CHECK(problem.at("problem").get<std::string>().find("record 2") != std::string::npos);
    }
    SECTION("records cut off the end") {
        CHECK(raw_ledger(s.ledger()).execute("DELETE FROM audit WHERE sequence >= 3") == 2);
        // The chain itself still holds; only the head noted elsewhere shows it.
        CHECK(s.ledger_run("audit verify").exit_code == 0);
        const auto cut = s.ledger_run("audit verify --expect-head " + head);
        CHECK(cut.exit_code == 1);
        CHECK(cut.only().at("ok") == false);
    }
}

TEST_CASE("audit show filters by token, seller and time", "[cli]") {
    scratch s;
    const std::string token = s.weekly_token();
    const std::string other = s.weekly_token();
    s.authorize(token, charge("ch_1", "1.00"));
    s.authorize(token, charge("ch_2", "1.00", "acct_other"));

    const auto all = s.audit();
    REQUIRE(all.size() == 4);
    for (const char* field : {"sequence", "at", "actor", "action", "token", "seller", "request",
                              "outcome", "policy_hash", "previous_hash", "hash"}) {
        INFO(field);
        CHECK(all[2].contains(field));
    }
    CHECK(all[2].at("action") == "authorize");
    CHECK(json::parse(all[2].at("outcome").get<std::string>()).at("decision") == "approve");

    CHECK(s.ledger_run("audit show --token " + token).lines().size() == 3);
    CHECK(s.ledger_run("audit show --token " + other).lines().size() == 1);
    CHECK(s.ledger_run("audit show --seller acct_other").lines().size() == 1);
    CHECK(s.ledger_run("audit show --since 2026-12-03T10:00:01Z").lines().empty());
    CHECK(s.ledger_run("audit show --until 2026-12-03T10:00:01Z").lines().size() == 4);
}

TEST_CASE("check --ledger decides like check and keeps budgets across runs", "[cli]") {
    scratch s;
    const std::string expected = mandate::testing::read_file(
        fs::path(source_dir) / "examples/office_charges.expected.jsonl");
    const std::string office =
        "check stdlib-policies/office_supplies.mandate "
        "examples/office_charges.jsonl";
    const auto first = s.ledger_run(office);
    CHECK(first.exit_code == 0);
    CHECK(first.out == expected);
    // Charges with an id are answered once: the second run replays the first.
    CHECK(s.ledger_run(office).out == expected);

    const std::string once = "check stdlib-policies/one_time_purchase.mandate - --args " +
                             quoted(R"({"merchant_id": "acct_shop", "max_amount": "80.00 EUR",
                   "expires_at": "2026-12-10T00:00:00Z"})");
    const auto line = [](const std::string& id, const std::string& amount) {
        return json{{"id", id},
                    {"amount", amount},
                    {"currency", "EUR"},
                    {"at", "2026-12-03T10:00:00Z"},
                    {"seller", {{"id", "acct_shop"}}}}
            .dump();
    };
    CHECK(s.ledger_run(once, line("p1", "79.99")).only().at("decision") == "approve");
    const json second = s.ledger_run(once, line("p2", "0.01")).only();
    CHECK(second.at("decision") == "decline");
    CHECK(second.at("reason") == "limit_exceeded");
    // Without the ledger, each run starts afresh.
    CHECK(s.run(once, line("p2", "0.01")).only().at("decision") == "approve");
}

TEST_CASE("ledger commands exit 2 on usage errors and 1 on policy errors", "[cli]") {
    scratch s;
    const std::string create = "token create --policy " + std::string(weekly_policy) + " --args " +
                               quoted(weekly_arguments) + " --seller acct_shop";
    CHECK(s.run("token show spt_x").exit_code == 2);         // no --ledger
    CHECK(s.ledger_run("token show spt_x").exit_code == 2);  // no ledger file yet
    CHECK(s.ledger_run(create).exit_code == 2);              // no --card nor --parent
    CHECK(s.at("yesterday", create + " --card " + quoted(visa)).exit_code == 2);
    CHECK(s.ledger_run(create + " --card " + quoted(visa) + " --lifetime 0s").exit_code == 2);
    CHECK(s.ledger_run("token create --policy nofile.mandate --seller a --card " + quoted(visa))
              .exit_code == 2);
    CHECK(s.ledger_run("authorize --token spt_x --charge /nonexistent.json").exit_code == 2);
    CHECK(s.run("check stdlib-policies/office_supplies.mandate --now " + std::string(today))
              .exit_code == 2);  // --now without --ledger
    CHECK_FALSE(fs::exists(s.ledger()));

    write_text(s.dir() / "not_a_ledger.db", "hello, I am a text file\n");
    const auto foreign =
        s.run("authorize --token spt_x --ledger " + quoted((s.dir() / "not_a_ledger.db").string()),
              charge("c", "1.00"));
    CHECK(foreign.exit_code == 2);
    CHECK(foreign.err.find("not_a_ledger.db") != std::string::npos);

    write_text(s.dir() / "bad.mandate", "mandate bad() {\n  amount <= 25.001 USD\n}\n");
    const std::string bad = (s.dir() / "bad.mandate").string();
    const auto refused = s.ledger_run("token create --policy " + quoted(bad) +
                                      " --seller acct_shop --card " + quoted(visa));
    CHECK(refused.exit_code == 1);
    CHECK(refused.err.find(bad + ":2:13: error:") != std::string::npos);
    CHECK(refused.only().at("error").at("code") == "policy_error");
    CHECK(s.audit().empty());
}

TEST_CASE("card numbers in reasons and keys are refused and leave the ledger as it was", "[cli]") {
    scratch s;
    const std::string token = s.weekly_token();
    const std::string hold = s.authorize(token, charge("ch_1", "10.00")).at("authorization");
    const std::string paid = s.authorize(token, charge("ch_2", "5.00")).at("authorization");
    REQUIRE(s.ledger_run("capture --authorization " + paid + " --idempotency-key c").exit_code ==
            0);
    const std::vector<json> before = s.audit();
    raw_ledger raw(s.ledger());
    const std::int64_t responses = raw.count("responses");
    const std::int64_t tokens = raw.count("tokens");

    const std::string pan = "4242424242424242";
    const std::vector<std::string> commands = {
        "token revoke " + token + " --reason 'card " + pan + "'",
        "token revoke " + token + " --idempotency-key " + pan,
        "token create --policy " + std::string(weekly_policy) + " --args " +
            quoted(weekly_arguments) + " --seller acct_shop --card " + quoted(visa) +
            " --idempotency-key 'order " + pan + "'",
        "capture --authorization " + hold + " --idempotency-key " + pan,
        "reverse --authorization " + hold + " --idempotency-key 'k " + pan + "'",
        "refund --authorization " + paid + " --idempotency-key " + pan,
    };
    for (const auto& command : commands) {
        INFO(command);
        const auto refused = s.ledger_run(command);
        CHECK(refused.exit_code == 1);
        CHECK(refused.only().at("error").at("code") == "card_number_refused");
        CHECK(refused.out.find(pan) == std::string::npos);
        CHECK(refused.err.find(pan) == std::string::npos);
    }
    CHECK(s.audit() == before);
    CHECK(raw.count("responses") == responses);
    CHECK(raw.count("tokens") == tokens);
    CHECK(s.show(token).at("status") == "active");
}

TEST_CASE("token show reports the status as of --now", "[cli]") {
    scratch s;
    const std::string token = s.weekly_token();
    const auto later = s.at("2027-01-02T00:00:00Z", "token show " + token + " --seller");
    REQUIRE(later.exit_code == 0);
    const json shown = later.only();
    CHECK(shown.at("status") == "expired");
    CHECK(shown.at("deactivated_reason") == "expired");
    CHECK(shown.at("deactivated_detail") == "mandate validity ended");
    CHECK(shown.at("deactivated_at") == "2027-01-01T00:00:00Z");
    // Nothing was written: today it is still active.
    CHECK(s.show(token).at("status") == "active");
}

TEST_CASE("two sellers may use the same idempotency key", "[cli]") {
    scratch s;
    const std::string shop = s.weekly_token();
    const std::string other_arguments =
        R"({"merchant_id": "acct_other", "allowance": "25.00 USD",
            "ends_at": "2027-01-01T00:00:00Z"})";
    const auto created =
        s.ledger_run("token create --policy " + std::string(weekly_policy) + " --args " +
                     quoted(other_arguments) + " --seller acct_other --card " + quoted(visa));
    REQUIRE(created.exit_code == 0);
    const std::string other = created.only().at("id");

    const json first = s.authorize(shop, charge("order_1", "20.00"));
    const json second = s.authorize(other, charge("order_1", "10.00", "acct_other"));
    CHECK(first.at("decision") == "approve");
    CHECK(second.at("decision") == "approve");
    CHECK_FALSE(second.contains("idempotent_replayed"));
    CHECK(second.at("authorization") != first.at("authorization"));
}

TEST_CASE("token renew and revoke replay the first answer to a retried key", "[cli]") {
    scratch s;
    const auto grant =
        s.ledger_run("token create --policy " + std::string(weekly_policy) + " --args " +
                     quoted(weekly_arguments) + " --seller '*' --card " + quoted(visa));
    REQUIRE(grant.exit_code == 0);
    const std::string grant_id = grant.only().at("id");
    const auto child =
        s.ledger_run("token create --policy " + std::string(weekly_policy) + " --args " +
                     quoted(weekly_arguments) + " --seller acct_shop --parent " + grant_id);
    REQUIRE(child.exit_code == 0);
    const std::string child_id = child.only().at("id");

    const auto renewed = s.ledger_run("token renew " + child_id + " --idempotency-key r1");
    REQUIRE(renewed.exit_code == 0);
    const auto retried = s.ledger_run("token renew " + child_id + " --idempotency-key r1");
    INFO(retried.out << retried.err);
    REQUIRE(retried.exit_code == 0);
    CHECK(retried.only().at("id") == renewed.only().at("id"));
    CHECK(retried.only().at("idempotent_replayed") == true);

    const std::string fresh = renewed.only().at("id");
    REQUIRE(s.ledger_run("token revoke " + fresh + " --idempotency-key v1").exit_code == 0);
    const auto revoked = s.ledger_run("token revoke " + fresh + " --idempotency-key v1");
    REQUIRE(revoked.exit_code == 0);
    CHECK(revoked.only().at("status") == "revoked");
    CHECK(revoked.only().at("idempotent_replayed") == true);
    CHECK(s.ledger_run("token revoke " + fresh).exit_code == 1);
}

TEST_CASE("capture and refund name the currency or format an amount lacks", "[cli]") {
    scratch s;
    const std::string token = s.weekly_token();
    const std::string hold = s.authorize(token, charge("ch_1", "10.00")).at("authorization");
    const auto euros = s.ledger_run("capture --authorization " + hold +
                                    " --idempotency-key c1 --amount '5.00 EUR'");
    CHECK(euros.exit_code == 1);
    const std::string message = euros.only().at("error").at("message");
    CHECK(message.find("EUR") != std::string::npos);
    CHECK(message.find("USD") != std::string::npos);
    const auto junk =
        s.ledger_run("capture --authorization " + hold + " --idempotency-key c2 --amount abc");
    CHECK(junk.exit_code == 1);
    CHECK(junk.only().at("error").at("message").get<std::string>().find("\"10.00 USD\"") !=
          std::string::npos);
}
