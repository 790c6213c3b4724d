#include "mandate/audit.hpp"

#include <sys/random.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstddef>
#include <limits>
#include <span>
#include <system_error>

#include <openssl/err.h>
#include <openssl/evp.h>

namespace mandate {

namespace {

constexpr std::string_view hex_digits = "0123456789abcdef";

std::string to_hex(std::span<const unsigned char> bytes) {
    std::string hex;
    hex.reserve(bytes.size() * 2);
    for (const unsigned char byte : bytes) {
        hex += hex_digits[static_cast<std::size_t>(byte >> 4)];
        hex += hex_digits[static_cast<std::size_t>(byte & 0x0f)];
    }
    return hex;
}

// The reason libcrypto gave for its last failure, for the exception message.
std::string openssl_reason() {
    const unsigned long code = ERR_get_error();
    if (code == 0) {
        return "no reason given";
    }
    std::array<char, 256> text{};
    ERR_error_string_n(code, text.data(), text.size());
    return text.data();
}

// ---- audit records -------------------------------------------------------------------------

// Bumped whenever the serialization below changes, so that a record sealed by
// one version can never be mistaken for a differently encoded one.
constexpr std::string_view audit_format_tag = "mandate-audit-v1\n";

// "<length>:<bytes>\n". The length prefix is what makes the encoding injective:
// without it, actor "a" + action "bc" would read the same as "ab" + "c".
void append_field(std::string& out, std::string_view field) {
    out += std::to_string(field.size());
    out += ':';
    out += field;
    out += '\n';
}

// The bytes audit_digest hashes: every field of `entry` but `hash`, in a fixed order.
std::string canonical_bytes(const audit_entry& entry) {
    std::string out{audit_format_tag};
    append_field(out, std::to_string(entry.sequence));
    append_field(out, std::to_string(entry.at.time_since_epoch().count()));
    append_field(out, entry.actor);
    append_field(out, entry.action);
    append_field(out, entry.token);
    append_field(out, entry.seller);
    append_field(out, entry.request);
    append_field(out, entry.outcome);
    append_field(out, entry.policy_hash);
    append_field(out, entry.previous_hash);
    return out;
}

// ---- random ids ----------------------------------------------------------------------------

constexpr std::string_view base32_alphabet = "abcdefghijklmnopqrstuvwxyz234567";
constexpr std::size_t random_id_chars = 26;  // 26 x 5 bits = 130 bits
constexpr std::size_t random_id_bytes = 17;  // 136 bits, the fewest bytes holding 130
static_assert(random_id_bytes * 8 >= random_id_chars * 5);

// Fills `out` from the kernel's generator. getrandom may return fewer bytes than
// asked or be interrupted by a signal; both are retried, anything else is fatal.
void fill_random(std::span<unsigned char> out) {
    std::size_t filled = 0;
    while (filled < out.size()) {
        const ssize_t got = getrandom(out.data() + filled, out.size() - filled, 0);
        if (got < 0) {
            const int error = errno;
            if (error == EINTR) {
                continue;
            }
            throw ledger_error("random id: getrandom failed: " +
                               std::generic_category().message(error));
        }
        filled += static_cast<std::size_t>(got);
    }
}

// ---- card numbers --------------------------------------------------------------------------

constexpr std::size_t shortest_pan = 13;
constexpr std::size_t longest_pan = 19;

bool is_digit(char c) noexcept { return c >= '0' && c <= '9'; }

// A single space or dash with a digit on both sides, as in "4242 4242" or
// "4242-4242": it keeps the digits around it in one run.
bool joins_digits(std::string_view text, std::size_t at) noexcept {
    const char c = text[at];
    return (c == ' ' || c == '-') && at > 0 && at + 1 < text.size() && is_digit(text[at - 1]) &&
           is_digit(text[at + 1]);
}

int luhn_value(int digit, std::size_t place_from_right) noexcept {
    if (place_from_right % 2 == 0) return digit;
    return digit * 2 > 9 ? digit * 2 - 9 : digit * 2;
}

// Reads a run of digits one digit at a time, remembering the last 19 and
// which of them begin a group, and says where a card number may end.
class card_scanner {
public:
    // The run is over: the next digit starts a new one.
    void end_run() noexcept {
        run_length_ = 0;
        group_length_ = 0;
        hidden_ = false;
    }

    // Adds the run's next digit; `starts_group` when a separator or the start
    // of the run comes before it.
    void add_digit(int digit, bool starts_group) noexcept {
        digits_[next_] = digit;
        group_starts_[next_] = starts_group;
        next_ = (next_ + 1) % longest_pan;
        if (run_length_ < longest_pan) ++run_length_;
        group_length_ = starts_group ? 1 : group_length_ + 1;

        // Windows inside the group count only if it turns out too long to be a
        // card number itself, which is known when it ends; note them until then.
        if (!hidden_ && group_length_ >= shortest_pan) {
            hidden_ = valid_window_ends_here(std::min(group_length_, run_length_), false);
        }
    }

    // The group just added has ended; true when a card number may end with it.
    bool end_group() noexcept {
        const bool too_long_for_a_card = group_length_ > longest_pan;
        const bool hidden = hidden_;
        hidden_ = false;
        if (too_long_for_a_card) {
            return hidden;
        }
        return valid_window_ends_here(run_length_, true);
    }

private:
    // Whether a window of 13 to `longest` digits ending with the newest digit
    // passes the Luhn check; with `from_group_start`, only windows that begin
    // where a group does. Luhn weighs digits by their place from the right and
    // every window here ends at the same digit, so one running sum serves all.
    bool valid_window_ends_here(std::size_t longest, bool from_group_start) const noexcept {
        int sum = 0;
        for (std::size_t place = 0; place < longest; ++place) {
            const std::size_t slot = (next_ + longest_pan - 1 - place) % longest_pan;
            sum += luhn_value(digits_[slot], place);
            const bool may_start_here = !from_group_start || group_starts_[slot];
            if (place + 1 >= shortest_pan && may_start_here && sum % 10 == 0) {
                return true;
            }
        }
        return false;
    }

    std::array<int, longest_pan> digits_{};
    std::array<bool, longest_pan> group_starts_{};
    std::size_t next_ = 0;          // the slot the next digit goes in
    std::size_t run_length_ = 0;    // digits of the run held, at most 19
    std::size_t group_length_ = 0;  // digits of the current group so far
    bool hidden_ = false;           // a valid window lies inside the current group
};

}  // namespace

std::string sha256_hex(std::string_view data) {
    const EVP_MD* sha256 = EVP_sha256();
    if (sha256 == nullptr) {
        throw ledger_error("SHA-256 is not available from libcrypto: " + openssl_reason());
    }

    std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
    unsigned int length = 0;
    if (EVP_Digest(data.data(), data.size(), digest.data(), &length, sha256, nullptr) != 1) {
        throw ledger_error("SHA-256 failed in libcrypto: " + openssl_reason());
    }
    if (length != 32) {
        throw ledger_error("SHA-256 from libcrypto returned " + std::to_string(length) +
                           " bytes instead of 32");
    }
    return to_hex(std::span{digest.data(), length});
}

const std::string& genesis_hash() {
    static const std::string genesis(64, '0');
    return genesis;
}

std::string audit_digest(const audit_entry& entry) { return sha256_hex(canonical_bytes(entry)); }

void seal(audit_entry& entry, const audit_head& head) {
    // A head out of range means the store is corrupt; sealing on it would put a
    // record in the chain that no verifier accepts.
    if (head.sequence < 0 || head.sequence == std::numeric_limits<std::int64_t>::max()) {
        throw ledger_error("audit head has sequence " + std::to_string(head.sequence) +
                           ", which no record can follow");
    }
    entry.sequence = head.sequence + 1;
    entry.previous_hash = head.hash.empty() ? genesis_hash() : head.hash;
    entry.hash = audit_digest(entry);
}

bool audit_verifier::add(const audit_entry& entry) {
    if (!ok()) {
        return false;
    }

    const auto fail = [&](std::string what) {
        // A sequence that is not positive cannot be reported as first_bad(),
        // where 0 means "none"; the place it was found in is reported instead.
        first_bad_ = entry.sequence > 0 ? entry.sequence : checked_ + 1;
        problem_ = "record " + std::to_string(entry.sequence) + ": " + std::move(what);
        return false;
    };

    const std::int64_t expected = checked_ + 1;
    if (entry.sequence != expected) {
        return fail("expected sequence " + std::to_string(expected) +
                    " (a record is missing, repeated or out of order)");
    }
    if (entry.previous_hash != head_hash()) {
        return fail(expected == 1 ? "previous_hash is not the genesis hash (64 '0')"
                                  : "previous_hash does not match record " +
                                        std::to_string(expected - 1) + "'s hash");
    }
    if (entry.hash != audit_digest(entry)) {
        return fail("its hash does not match its contents (edited?)");
    }

    ++checked_;
    head_ = entry.hash;
    return true;
}

const std::string& audit_verifier::head_hash() const noexcept {
    return head_.empty() ? genesis_hash() : head_;
}

std::string random_id(std::string_view prefix) {
    std::array<unsigned char, random_id_bytes> bytes{};
    fill_random(bytes);

    std::string id;
    id.reserve(prefix.size() + random_id_chars);
    id += prefix;

    // Read the bytes as one big-endian bit string, five bits a character; the
    // last six of the 136 bits are left unused.
    std::uint32_t pending = 0;
    unsigned pending_bits = 0;
    for (const unsigned char byte : bytes) {
        pending = (pending << 8) | byte;
        pending_bits += 8;
        while (pending_bits >= 5 && id.size() < prefix.size() + random_id_chars) {
            pending_bits -= 5;
            id += base32_alphabet[(pending >> pending_bits) & 0x1f];
        }
        pending &= (1u << pending_bits) - 1;
    }
    return id;
}

std::string time_ordered_id(std::string_view prefix, instant at) {
    // 11 characters of 5 bits hold 55 bits of microseconds: until the year 3111.
    constexpr int time_chars = 11;
    const auto micros =
        static_cast<std::uint64_t>(std::max<std::int64_t>(0, at.time_since_epoch().count()));
    std::string id = random_id(prefix);
    std::string stamp(time_chars, 'a');
    for (int i = time_chars - 1, shift = 0; i >= 0; --i, shift += 5) {
        stamp[static_cast<std::size_t>(i)] = base32_alphabet[(micros >> shift) & 0x1f];
    }
    id.insert(prefix.size(), stamp);
    return id;
}

// A run is digits joined by single spaces or dashes ("4242 4242-4242"); a
// group is the digits between two separators ("4242"). A card number is looked
// for wherever it may begin and end:
// - at the edges of groups, so that one written beside its expiry ("4242 4242
//   4242 4242 12 28") or a reference ("ref 7 4242424242424242") is found, while
//   a contiguous 13 to 19 digit number is checked whole, as written: a 16-digit
//   order id failing the Luhn check is not refused for a 13-digit piece of it;
// - at every digit inside a group of more than 19 digits, which cannot be a card
//   number itself but may hide one glued to other digits.
// Not found: a card number glued to a few other digits in a group of at most
// 19 ("42424242424242421"), or written with other separators ("4242.4242...").
// Found wrongly: about one in ten non-card numbers of 13 to 19 digits (the
// Luhn check's false-positive rate), more for runs of several groups and for
// long groups; a request carrying one is refused, which is the safe mistake.
bool looks_like_card_number(std::string_view text) noexcept {
    card_scanner scanner;
    for (std::size_t at = 0; at < text.size(); ++at) {
        if (is_digit(text[at])) {
            scanner.add_digit(text[at] - '0', at == 0 || !is_digit(text[at - 1]));
            const bool group_ends = at + 1 == text.size() || !is_digit(text[at + 1]);
            if (group_ends && scanner.end_group()) {
                return true;
            }
        } else if (!joins_digits(text, at)) {
            scanner.end_run();
        }
    }
    return false;
}

}  // namespace mandate
