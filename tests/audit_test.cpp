#include "mandate/audit.hpp"

#include <catch2/catch.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <limits>
#include <random>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace {

using mandate::audit_digest;
using mandate::audit_entry;
using mandate::audit_head;
using mandate::audit_verifier;
using mandate::genesis_hash;
using mandate::looks_like_card_number;
using mandate::random_id;
using mandate::seal;
using mandate::sha256_hex;

// An unsealed record whose every field is set and differs from record to record.
audit_entry record_of(int n) {
    audit_entry entry;
    entry.at = mandate::instant{std::chrono::seconds{1'796'292'000 + n}};
    entry.actor = n % 2 == 0 ? "owner" : "seller:acct_" + std::to_string(n);
    entry.action = n % 3 == 0 ? "capture" : "authorize";
    entry.token = "spt_token" + std::to_string(n);
    entry.seller = "acct_" + std::to_string(n % 5);
    entry.request = R"({"amount":")" + std::to_string(n) + R"(.00","currency":"USD"})";
    entry.outcome = R"({"decision":"approve","n":)" + std::to_string(n) + "}";
    entry.policy_hash = sha256_hex("policy " + std::to_string(n % 2));
    return entry;
}

// `count` records sealed one after another, as the authorizer appends them.
std::vector<audit_entry> sealed_chain(int count) {
    std::vector<audit_entry> chain;
    audit_head head;
    for (int n = 1; n <= count; ++n) {
        audit_entry entry = record_of(n);
        seal(entry, head);
        head = {entry.sequence, entry.hash};
        chain.push_back(std::move(entry));
    }
    return chain;
}

audit_verifier verify(const std::vector<audit_entry>& chain) {
    audit_verifier verifier;
    for (const auto& entry : chain) {
        if (!verifier.add(entry)) break;
    }
    return verifier;
}

// One way to change each field but `hash`, named for the failure message.
const std::vector<std::pair<std::string, std::function<void(audit_entry&)>>>& field_edits() {
    static const std::vector<std::pair<std::string, std::function<void(audit_entry&)>>> edits = {
        {"sequence", [](audit_entry& e) { e.sequence += 1000; }},
        {"at", [](audit_entry& e) { e.at += mandate::duration{1}; }},
        {"actor", [](audit_entry& e) { e.actor += "x"; }},
        {"action", [](audit_entry& e) { e.action = "reverse"; }},
        {"token", [](audit_entry& e) { e.token.back() = 'Z'; }},
        {"seller", [](audit_entry& e) { e.seller = "acct_evil"; }},
        {"request", [](audit_entry& e) { e.request.replace(e.request.find("USD"), 3, "EUR"); }},
        {"outcome", [](audit_entry& e) { e.outcome = R"({"decision":"decline"})"; }},
        {"policy_hash", [](audit_entry& e) { e.policy_hash = sha256_hex("other policy"); }},
        {"previous_hash", [](audit_entry& e) { e.previous_hash[0] ^= 1; }},
    };
    return edits;
}

// Luhn and the rules of looks_like_card_number written the plain way, to check
// the streaming scanner against.
bool luhn_ok(std::string_view digits) {
    int sum = 0;
    for (std::size_t place = 0; place < digits.size(); ++place) {
        int d = digits[digits.size() - 1 - place] - '0';
        if (place % 2 == 1) {
            d *= 2;
            if (d > 9) d -= 9;
        }
        sum += d;
    }
    return sum % 10 == 0;
}

// Runs (digits joined by single spaces or dashes), each as its groups.
std::vector<std::vector<std::string>> digit_runs(std::string_view text) {
    const auto digit = [&](std::size_t i) { return text[i] >= '0' && text[i] <= '9'; };
    std::vector<std::vector<std::string>> runs(1, std::vector<std::string>(1));
    for (std::size_t i = 0; i < text.size(); ++i) {
        const bool separator = (text[i] == ' ' || text[i] == '-') && i > 0 && i + 1 < text.size() &&
                               digit(i - 1) && digit(i + 1);
        if (digit(i)) {
            runs.back().back() += text[i];
        } else if (separator) {
            runs.back().emplace_back();
        } else {
            runs.emplace_back(1);
        }
    }
    return runs;
}

bool reference_card_scan(std::string_view text) {
    const auto candidate = [](std::string_view digits) {
        return digits.size() >= 13 && digits.size() <= 19 && luhn_ok(digits);
    };
    for (const auto& groups : digit_runs(text)) {
        // Whole groups, one or several in a row.
        for (std::size_t first = 0; first < groups.size(); ++first) {
            std::string digits;
            for (std::size_t last = first; last < groups.size(); ++last) {
                digits += groups[last];
                if (candidate(digits)) return true;
            }
        }
        // Any piece of a group too long to be a card number.
        for (const auto& group : groups) {
            if (group.size() <= 19) continue;
            for (std::size_t start = 0; start < group.size(); ++start) {
                for (std::size_t length = 13; length <= 19; ++length) {
                    if (start + length <= group.size() &&
                        candidate(std::string_view{group}.substr(start, length))) {
                        return true;
                    }
                }
            }
        }
    }
    return false;
}

bool is_base32(char c) {
    return std::string_view{"abcdefghijklmnopqrstuvwxyz234567"}.find(c) != std::string_view::npos;
}

}  // namespace

// ---- SHA-256 -------------------------------------------------------------------------------

TEST_CASE("sha256_hex matches the FIPS 180-2 test vectors", "[audit]") {
    CHECK(sha256_hex("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    CHECK(sha256_hex("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    CHECK(sha256_hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq") ==
          "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
    CHECK(sha256_hex(std::string(1'000'000, 'a')) ==
          "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

TEST_CASE("sha256_hex hashes embedded NUL bytes as data", "[audit]") {
    using namespace std::string_view_literals;
    CHECK(sha256_hex("a\0b"sv) != sha256_hex("a"sv));
    CHECK(sha256_hex("a\0b"sv).size() == 64);
}

TEST_CASE("genesis_hash is 64 zeros", "[audit]") { CHECK(genesis_hash() == std::string(64, '0')); }

// ---- audit_digest --------------------------------------------------------------------------

TEST_CASE("audit_digest hashes the documented canonical form", "[audit]") {
    audit_entry entry;
    entry.sequence = 7;
    entry.at = mandate::instant{mandate::duration{1'700'000'000'123'456}};
    entry.actor = "owner";
    entry.action = "authorize";
    entry.token = "spt_a";
    entry.seller = "";
    entry.request = "{}";
    entry.outcome = R"({"ok":true})";
    entry.policy_hash = "p";
    entry.previous_hash = genesis_hash();
    entry.hash = "ignored";

    // Written out by hand: a change to this encoding would orphan every
    // ledger sealed before it, so it has to be a deliberate one (a new tag).
    const std::string canonical =
        "mandate-audit-v1\n"
        "1:7\n"
        "16:1700000000123456\n"
        "5:owner\n"
        "9:authorize\n"
        "5:spt_a\n"
        "0:\n"
        "2:{}\n"
        "11:{\"ok\":true}\n"
        "1:p\n"
        "64:" +
        genesis_hash() + "\n";
    CHECK(audit_digest(entry) == sha256_hex(canonical));
}

TEST_CASE("audit_digest changes when any one field changes", "[audit]") {
    audit_entry base = record_of(4);
    seal(base, audit_head{3, sha256_hex("record 3")});
    const std::string digest = audit_digest(base);

    for (const auto& [field, edit] : field_edits()) {
        audit_entry edited = base;
        edit(edited);
        INFO("field " << field);
        REQUIRE(!(edited == base));
        CHECK(audit_digest(edited) != digest);
    }
}

TEST_CASE("audit_digest ignores the hash field and is deterministic", "[audit]") {
    audit_entry entry = record_of(9);
    const std::string digest = audit_digest(entry);
    entry.hash = "anything";
    CHECK(audit_digest(entry) == digest);
    CHECK(audit_digest(record_of(9)) == digest);
}

TEST_CASE("audit_digest does not confuse bytes moved between fields", "[audit]") {
    audit_entry left = record_of(1);
    audit_entry right = left;
    left.actor = "a";
    left.action = "bc";
    right.actor = "ab";
    right.action = "c";
    CHECK(audit_digest(left) != audit_digest(right));

    // A field holding what looks like the next field's length prefix.
    left.actor = "x\n1:y";
    left.action = "";
    right.actor = "x";
    right.action = "y";
    CHECK(audit_digest(left) != audit_digest(right));
}

// ---- seal ----------------------------------------------------------------------------------

TEST_CASE("seal links a record to the head it follows", "[audit]") {
    audit_entry first = record_of(1);
    seal(first, audit_head{});
    CHECK(first.sequence == 1);
    CHECK(first.previous_hash == genesis_hash());
    CHECK(first.hash == audit_digest(first));

    audit_entry also_first = record_of(1);
    seal(also_first, audit_head{0, genesis_hash()});
    CHECK(also_first == first);

    audit_entry second = record_of(2);
    seal(second, audit_head{first.sequence, first.hash});
    CHECK(second.sequence == 2);
    CHECK(second.previous_hash == first.hash);
    CHECK(second.hash == audit_digest(second));
    CHECK(second.hash != first.hash);
}

TEST_CASE("seal refuses a head that no record can follow", "[audit]") {
    audit_entry entry = record_of(1);
    CHECK_THROWS_AS(seal(entry, audit_head{-1, genesis_hash()}), mandate::ledger_error);
    CHECK_THROWS_AS(seal(entry, audit_head{std::numeric_limits<std::int64_t>::max(), "h"}),
                    mandate::ledger_error);
}

// ---- audit_verifier ------------------------------------------------------------------------

TEST_CASE("a sealed chain of 50 records verifies", "[audit]") {
    const auto chain = sealed_chain(50);
    const audit_verifier verifier = verify(chain);
    CHECK(verifier.ok());
    CHECK(verifier.checked() == 50);
    CHECK(verifier.first_bad() == 0);
    CHECK(verifier.problem().empty());
    CHECK(verifier.head_hash() == chain.back().hash);
}

TEST_CASE("an empty verifier's head is the genesis hash", "[audit]") {
    const audit_verifier verifier;
    CHECK(verifier.ok());
    CHECK(verifier.checked() == 0);
    CHECK(verifier.head_hash() == genesis_hash());
}

TEST_CASE("editing any field of a middle record is detected at that record", "[audit]") {
    const auto chain = sealed_chain(50);
    for (const auto& [field, edit] : field_edits()) {
        auto tampered = chain;
        edit(tampered[24]);
        const audit_verifier verifier = verify(tampered);
        INFO("field " << field << ": " << verifier.problem());
        CHECK_FALSE(verifier.ok());
        // Records 1..24 are still good; the edited record is reported by the
        // sequence it carries.
        CHECK(verifier.checked() == 24);
        CHECK(verifier.first_bad() == tampered[24].sequence);
        CHECK(verifier.head_hash() == chain[23].hash);
    }
}

TEST_CASE("the verifier names what is wrong", "[audit]") {
    auto chain = sealed_chain(10);

    SECTION("an edited record") {
        chain[6].outcome = R"({"decision":"approve"})";
        const audit_verifier verifier = verify(chain);
        CHECK(verifier.problem() == "record 7: its hash does not match its contents (edited?)");
    }
    SECTION("a missing record") {
        chain.erase(chain.begin() + 6);
        const audit_verifier verifier = verify(chain);
        CHECK(verifier.problem() ==
              "record 8: expected sequence 7 (a record is missing, repeated or out of order)");
    }
    SECTION("a broken link") {
        chain[8].previous_hash = chain[6].hash;
        const audit_verifier verifier = verify(chain);
        CHECK(verifier.problem() == "record 9: previous_hash does not match record 8's hash");
    }
    SECTION("a first record that does not start at genesis") {
        chain[0].previous_hash = sha256_hex("somewhere else");
        const audit_verifier verifier = verify(chain);
        CHECK(verifier.problem() == "record 1: previous_hash is not the genesis hash (64 '0')");
    }
}

TEST_CASE("deleting a middle record is detected", "[audit]") {
    auto chain = sealed_chain(50);
    chain.erase(chain.begin() + 24);  // record 25
    const audit_verifier verifier = verify(chain);
    CHECK_FALSE(verifier.ok());
    CHECK(verifier.first_bad() == 26);
    CHECK(verifier.checked() == 24);
}

TEST_CASE("swapping two records is detected", "[audit]") {
    auto chain = sealed_chain(50);

    SECTION("records moved, sequences with them") {
        std::swap(chain[24], chain[25]);
        const audit_verifier verifier = verify(chain);
        CHECK_FALSE(verifier.ok());
        CHECK(verifier.first_bad() == 26);
        CHECK(verifier.checked() == 24);
    }
    SECTION("contents swapped, sequences left in place") {
        std::swap(chain[24], chain[25]);
        std::swap(chain[24].sequence, chain[25].sequence);
        const audit_verifier verifier = verify(chain);
        CHECK_FALSE(verifier.ok());
        CHECK(verifier.first_bad() == 25);
        CHECK(verifier.checked() == 24);
    }
}

TEST_CASE("a duplicated record is detected", "[audit]") {
    auto chain = sealed_chain(50);
    chain.insert(chain.begin() + 25, chain[24]);  // record 25 twice
    const audit_verifier verifier = verify(chain);
    CHECK_FALSE(verifier.ok());
    CHECK(verifier.first_bad() == 25);
    CHECK(verifier.checked() == 25);
    CHECK(verifier.head_hash() == chain[24].hash);
}

TEST_CASE("a first record not linked to genesis is detected", "[audit]") {
    auto chain = sealed_chain(50);
    chain[0].previous_hash = sha256_hex("a chain cut from elsewhere");
    const audit_verifier verifier = verify(chain);
    CHECK_FALSE(verifier.ok());
    CHECK(verifier.first_bad() == 1);
    CHECK(verifier.checked() == 0);
    CHECK(verifier.head_hash() == genesis_hash());
}

TEST_CASE("an edited record that is sealed again breaks the next link", "[audit]") {
    auto chain = sealed_chain(50);
    chain[24].outcome = R"({"decision":"approve","rewritten":true})";
    seal(chain[24], audit_head{chain[23].sequence, chain[23].hash});
    const audit_verifier verifier = verify(chain);
    CHECK_FALSE(verifier.ok());
    CHECK(verifier.first_bad() == 26);
    CHECK(verifier.problem() == "record 26: previous_hash does not match record 25's hash");
}

TEST_CASE("a failed verifier stays failed", "[audit]") {
    const auto chain = sealed_chain(3);
    audit_verifier verifier;
    REQUIRE(verifier.add(chain[0]));
    CHECK_FALSE(verifier.add(chain[2]));
    const std::string problem = verifier.problem();

    // The right next record no longer helps, and the first problem is kept.
    CHECK_FALSE(verifier.add(chain[1]));
    CHECK_FALSE(verifier.ok());
    CHECK(verifier.problem() == problem);
    CHECK(verifier.first_bad() == 3);
    CHECK(verifier.checked() == 1);
}

TEST_CASE("a record with a sequence below 1 is never reported as first_bad 0", "[audit]") {
    auto chain = sealed_chain(2);
    chain[0].sequence = 0;
    const audit_verifier verifier = verify(chain);
    CHECK_FALSE(verifier.ok());
    CHECK(verifier.first_bad() == 1);
}

TEST_CASE("cutting records off the end leaves a valid chain with another head", "[audit]") {
    // The chain alone cannot tell: this is why the head hash must be kept
    // somewhere else and compared.
    const auto chain = sealed_chain(50);
    const std::vector<audit_entry> truncated(chain.begin(), chain.begin() + 40);
    const audit_verifier full = verify(chain);
    const audit_verifier cut = verify(truncated);
    CHECK(cut.ok());
    CHECK(cut.checked() == 40);
    CHECK(cut.head_hash() == chain[39].hash);
    CHECK(cut.head_hash() != full.head_hash());
}

// ---- random_id -----------------------------------------------------------------------------

TEST_CASE("random_id is the prefix and 26 base32 characters", "[audit]") {
    for (const std::string_view prefix : {"spt_", "auth_", ""}) {
        const std::string id = random_id(prefix);
        INFO(id);
        REQUIRE(id.size() == prefix.size() + 26);
        CHECK(id.substr(0, prefix.size()) == prefix);
        for (const char c : id.substr(prefix.size())) CHECK(is_base32(c));
    }
}

TEST_CASE("random_id: 10,000 ids are distinct and every bit varies", "[audit]") {
    constexpr int ids = 10'000;
    constexpr std::string_view alphabet = "abcdefghijklmnopqrstuvwxyz234567";
    std::set<std::string> seen;
    std::vector<int> ones(130, 0);

    for (int i = 0; i < ids; ++i) {
        const std::string id = random_id("spt_");
        seen.insert(id);
        for (std::size_t c = 0; c < 26; ++c) {
            const std::size_t value = alphabet.find(id[4 + c]);
            REQUIRE(value < 32);
            for (std::size_t bit = 0; bit < 5; ++bit) {
                if (value >> (4 - bit) & 1) ++ones[c * 5 + bit];
            }
        }
    }

    CHECK(seen.size() == static_cast<std::size_t>(ids));
    // Each bit is a fair coin: 5,000 ones expected, standard deviation 50. A
    // constant or heavily biased bit falls far outside 10 deviations; a fair
    // one essentially never does.
    for (std::size_t bit = 0; bit < ones.size(); ++bit) {
        INFO("bit " << bit);
        CHECK(ones[bit] > 4'500);
        CHECK(ones[bit] < 5'500);
    }
}

// ---- looks_like_card_number ----------------------------------------------------------------

TEST_CASE("card numbers are found however they are written", "[audit]") {
    CHECK(looks_like_card_number("4242424242424242"));
    CHECK(looks_like_card_number("4242 4242 4242 4242"));
    CHECK(looks_like_card_number("4242-4242-4242-4242"));
    CHECK(looks_like_card_number("378282246310005"));    // American Express, 15 digits
    CHECK(looks_like_card_number("3782 822463 10005"));  // as Amex prints it
    CHECK(looks_like_card_number("6011111111111117"));   // Discover
    CHECK(looks_like_card_number("4222222222222"));      // 13-digit Visa
    CHECK(looks_like_card_number("6250941006528599"));   // UnionPay
    CHECK(looks_like_card_number("4242 4242-4242 4242"));
}

TEST_CASE("card numbers are found inside text and JSON", "[audit]") {
    CHECK(looks_like_card_number("please charge 4242424242424242 for the toner"));
    CHECK(looks_like_card_number("card:4242424242424242."));
    CHECK(looks_like_card_number(R"({"card": {"number": "4242424242424242", "cvc": "123"}})"));
    CHECK(looks_like_card_number(R"({"memo":"use 4242 4242 4242 4242 thanks"})"));
    CHECK(looks_like_card_number("-4242424242424242"));
}

TEST_CASE("card numbers are found next to other digits", "[audit]") {
    // The expiry written right after the number joins the same run of digits.
    CHECK(looks_like_card_number("4242 4242 4242 4242 12 28"));
    CHECK(looks_like_card_number("ref 7 4242424242424242"));
    CHECK(looks_like_card_number("4242424242424242-1"));
    // Inside a group of digits longer than any card number.
    CHECK(looks_like_card_number("000004242424242424242000000"));
    CHECK(looks_like_card_number("42424242424242421228"));  // the expiry glued on
}

TEST_CASE("text without a card number is not flagged", "[audit]") {
    CHECK_FALSE(looks_like_card_number(""));
    // Fails the Luhn check as a whole, although a 13-digit piece of it passes:
    // a number written without separators is read as written.
    CHECK_FALSE(looks_like_card_number("4242424242424241"));
    CHECK_FALSE(looks_like_card_number("424242424242"));  // 12 digits
    CHECK_FALSE(looks_like_card_number("4155552671"));    // a phone number
    CHECK_FALSE(looks_like_card_number("+1 (415) 555-2671"));
    CHECK_FALSE(looks_like_card_number("2026-12-03T10:00:00.123456Z"));
    CHECK_FALSE(looks_like_card_number(R"({"amount":"12.50","currency":"USD"})"));
    CHECK_FALSE(looks_like_card_number("key_12345"));
    CHECK_FALSE(looks_like_card_number("f47ac10b-58cc-4372-a567-0e02b2c3d479"));
    CHECK_FALSE(looks_like_card_number("category in [5111, 5943]"));
}

TEST_CASE("only a single space or dash joins digits", "[audit]") {
    // Two separators, or another character, end the run: each part is too short.
    CHECK_FALSE(looks_like_card_number("4242  4242 4242 4242"));
    CHECK_FALSE(looks_like_card_number("4242 - 4242 4242 4242"));
    CHECK_FALSE(looks_like_card_number("4242.4242.4242.4242"));
    CHECK_FALSE(looks_like_card_number("4242/4242/4242/4242"));
    CHECK_FALSE(looks_like_card_number("4242--4242-4242-4242"));
}

TEST_CASE("looks_like_card_number agrees with a plain reference on random text", "[audit]") {
    // Fixed seed: the same texts every run, so a failure can be reproduced.
    std::mt19937 random{20261203};
    constexpr std::string_view characters = "0123456789012345678901234567890123456789 -x.";
    std::uniform_int_distribution<std::size_t> pick(0, characters.size() - 1);
    std::uniform_int_distribution<std::size_t> length(0, 48);

    int flagged = 0;
    int clean = 0;
    for (int i = 0; i < 20'000; ++i) {
        std::string text(length(random), ' ');
        for (char& c : text) c = characters[pick(random)];

        const bool expected = reference_card_scan(text);
        INFO("text \"" << text << "\"");
        REQUIRE(looks_like_card_number(text) == expected);
        ++(expected ? flagged : clean);
    }
    // Both answers must have been exercised for the comparison to mean anything.
    CHECK(flagged > 1'000);
    CHECK(clean > 1'000);
}

TEST_CASE("time-ordered ids sort by time and stay random", "[audit]") {
    const auto early = mandate::parse_rfc3339("2026-12-03T10:00:00Z").value();
    const auto later = early + std::chrono::microseconds(1);
    const std::string a = mandate::time_ordered_id("auth_", early);
    const std::string b = mandate::time_ordered_id("auth_", later);
    const std::string c = mandate::time_ordered_id("auth_", later);
    CHECK(a.size() == 5 + 11 + 26);
    CHECK(a.rfind("auth_", 0) == 0);
    CHECK(a < b);
    CHECK(b.substr(0, 16) == c.substr(0, 16));
    CHECK(b != c);
    CHECK(mandate::time_ordered_id("x_", mandate::parse_rfc3339("2100-01-01T00:00:00Z").value()) >
          mandate::time_ordered_id("x_", mandate::parse_rfc3339("2099-12-31T23:59:59Z").value()));
}
