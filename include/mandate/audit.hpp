// The audit trail's hash chain, and the few cryptographic helpers the
// authorizer needs (SHA-256 from OpenSSL's libcrypto, random ids from the
// operating system).
//
// Each record's hash is SHA-256 over every other field of the record, the
// previous record's hash included, each field length-prefixed so that no two
// different records serialize alike. Editing a record changes its hash;
// deleting or reordering records breaks the link to the previous hash or the
// sequence. Only cutting records off the end leaves a valid chain: keep the
// head hash somewhere else (verify prints it) to detect that.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "mandate/ledger.hpp"
#include "mandate/time.hpp"

namespace mandate {

// SHA-256 of `data`, 64 lower-case hex digits. Like everything below that hashes,
// it throws ledger_error in the (never seen) case that libcrypto fails.
std::string sha256_hex(std::string_view data);

// The hash a record's chain link has before any record: 64 '0'.
const std::string& genesis_hash();

// The hash of `entry` over every field but `hash`.
std::string audit_digest(const audit_entry& entry);

// Fills entry.sequence, entry.previous_hash and entry.hash so that it follows
// `head`.
void seal(audit_entry& entry, const audit_head& head);

// Checks a chain record by record, in sequence order, from the first.
class audit_verifier {
public:
    // false at the first record that does not follow the ones before it; the
    // verifier then stays failed.
    bool add(const audit_entry& entry);

    bool ok() const noexcept { return problem_.empty(); }
    std::int64_t checked() const noexcept { return checked_; }
    // The sequence of the first bad record, or 0.
    std::int64_t first_bad() const noexcept { return first_bad_; }
    // What is wrong, in one sentence:
    // "record 7: its hash does not match its contents (edited?)".
    const std::string& problem() const noexcept { return problem_; }
    // The last good record's hash: the chain's head so far.
    const std::string& head_hash() const noexcept;

private:
    std::int64_t checked_ = 0;
    std::int64_t first_bad_ = 0;
    std::string problem_;
    std::string head_;
};

// `prefix` followed by 26 base32 characters (a-z, 2-7) holding 130 bits from the
// operating system's random generator (getrandom). Throws ledger_error if the
// generator fails, which it does not once the system has booted.
std::string random_id(std::string_view prefix);

// `prefix`, 11 base32 characters of `at` (microseconds since 1970), then the 26
// random characters of random_id: ids that sort by creation time, so that a
// ledger's index inserts land at one edge of the tree instead of all over it,
// and that are still unguessable.
std::string time_ordered_id(std::string_view prefix, instant at);

// True when `text` holds a run of 13 to 19 digits (spaces or dashes between
// them allowed) that passes the Luhn check: something that may be a full card
// number (PAN), which the authorizer refuses to accept, store or print.
bool looks_like_card_number(std::string_view text) noexcept;

}  // namespace mandate
