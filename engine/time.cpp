#include "mandate/time.hpp"

#include <array>
#include <cstddef>

namespace mandate {

namespace {

constexpr std::int64_t micros_per_second = 1'000'000;
constexpr std::int64_t micros_per_minute = 60 * micros_per_second;
constexpr std::int64_t micros_per_hour = 60 * micros_per_minute;
constexpr std::int64_t micros_per_day = 24 * micros_per_hour;

// A read position over text being parsed; every step fails without moving past the
// end, so a truncated input is simply rejected.
struct cursor {
    std::string_view text;
    std::size_t pos = 0;

    bool at_end() const noexcept { return pos == text.size(); }

    bool at_digit() const noexcept { return !at_end() && is_digit(text[pos]); }

    static bool is_digit(char c) noexcept { return c >= '0' && c <= '9'; }

    bool take(char expected) noexcept {
        if (at_end() || text[pos] != expected) {
            return false;
        }
        ++pos;
        return true;
    }

    bool take_either(char upper, char lower) noexcept { return take(upper) || take(lower); }

    // Exactly `count` digits (count is at most 4 here, so the value cannot overflow).
    bool fixed_digits(std::size_t count, int& value) noexcept {
        if (text.size() - pos < count) {
            return false;
        }
        int result = 0;
        for (std::size_t i = 0; i < count; ++i) {
            const char c = text[pos + i];
            if (!is_digit(c)) {
                return false;
            }
            result = result * 10 + (c - '0');
        }
        pos += count;
        value = result;
        return true;
    }
};

// Optional ".d{1,6}" after the seconds, scaled to microseconds.
bool parse_fraction(cursor& in, std::int64_t& micros) noexcept {
    micros = 0;
    if (!in.take('.')) {
        return true;
    }

    std::int64_t scale = micros_per_second;
    std::size_t digits = 0;
    while (in.at_digit()) {
        // More than microsecond precision would have to be rounded; reject instead.
        if (++digits > 6) {
            return false;
        }
        scale /= 10;
        micros += scale * (in.text[in.pos] - '0');
        ++in.pos;
    }
    return digits > 0;
}

// 'Z' or +hh:mm / -hh:mm, as a signed offset east of UTC. "-00:00" (RFC 3339's
// "offset unknown") names the same instant as 'Z', so it is accepted.
bool parse_offset(cursor& in, std::int64_t& offset_micros) noexcept {
    if (in.take_either('Z', 'z')) {
        offset_micros = 0;
        return true;
    }

    int sign = 0;
    if (in.take('+')) {
        sign = 1;
    } else if (in.take('-')) {
        sign = -1;
    } else {
        return false;
    }

    int hours = 0;
    int minutes = 0;
    if (!in.fixed_digits(2, hours) || !in.take(':') || !in.fixed_digits(2, minutes)) {
        return false;
    }
    if (hours > 23 || minutes > 59) {
        return false;
    }
    offset_micros = sign * (hours * micros_per_hour + minutes * micros_per_minute);
    return true;
}

// Zero-padded decimal; only a year before 0000 is negative, and it keeps its sign.
void append_padded(std::string& out, long long value, int width) {
    if (value < 0) {
        out += '-';
        value = -value;
    }

    std::array<char, 24> digits{};
    int count = 0;
    do {
        digits[static_cast<std::size_t>(count++)] = static_cast<char>('0' + value % 10);
        value /= 10;
    } while (value != 0);

    for (int pad = count; pad < width; ++pad) {
        out += '0';
    }
    while (count > 0) {
        out += digits[static_cast<std::size_t>(--count)];
    }
}

// Duration units, largest first: a duration lists its parts in this order, each once.
struct duration_unit {
    std::string_view symbol;
    std::int64_t micros;
};

constexpr std::array<duration_unit, 7> duration_units{{
    {"w", 7 * micros_per_day},
    {"d", micros_per_day},
    {"h", micros_per_hour},
    {"m", micros_per_minute},
    {"s", micros_per_second},
    {"ms", 1'000},
    {"us", 1},
}};

// Index into duration_units of the unit at the cursor, or duration_units.size().
std::size_t take_duration_unit(cursor& in) noexcept {
    const std::string_view rest = in.text.substr(in.pos);

    // Two-letter units first, so "ms" is not read as minutes followed by junk.
    std::size_t best = duration_units.size();
    for (std::size_t i = 0; i < duration_units.size(); ++i) {
        const std::string_view symbol = duration_units[i].symbol;
        if (rest.substr(0, symbol.size()) == symbol &&
            (best == duration_units.size() || symbol.size() > duration_units[best].symbol.size())) {
            best = i;
        }
    }
    if (best != duration_units.size()) {
        in.pos += duration_units[best].symbol.size();
    }
    return best;
}

}  // namespace

std::optional<instant> parse_rfc3339(std::string_view text) noexcept {
    cursor in{text};
    int year = 0;
    int month = 0;
    int day = 0;
    int hour = 0;
    int minute = 0;
    int second = 0;
    if (!in.fixed_digits(4, year) || !in.take('-') || !in.fixed_digits(2, month) || !in.take('-') ||
        !in.fixed_digits(2, day) || !in.take_either('T', 't') || !in.fixed_digits(2, hour) ||
        !in.take(':') || !in.fixed_digits(2, minute) || !in.take(':') ||
        !in.fixed_digits(2, second)) {
        return std::nullopt;
    }

    std::int64_t fraction_micros = 0;
    std::int64_t offset_micros = 0;
    if (!parse_fraction(in, fraction_micros) || !parse_offset(in, offset_micros) || !in.at_end()) {
        return std::nullopt;
    }

    // The month and day ranges, including February 29 only in leap years.
    const date::year_month_day civil_date{date::year{year},
                                          date::month{static_cast<unsigned>(month)},
                                          date::day{static_cast<unsigned>(day)}};
    if (!civil_date.ok()) {
        return std::nullopt;
    }

    // Second 60 is always rejected. The system clock counts no leap seconds, so a leap
    // second has no instant of its own; folding it into the next second would move a
    // charge stamped 23:59:60 on the last day of a month into the following month's
    // window. Rejecting it is the fail-closed choice.
    if (hour > 23 || minute > 59 || second > 59) {
        return std::nullopt;
    }

    const std::int64_t time_of_day = hour * micros_per_hour + minute * micros_per_minute +
                                     second * micros_per_second + fraction_micros;
    const instant local_as_utc = date::sys_days{civil_date} + duration{time_of_day};
    return local_as_utc - duration{offset_micros};
}

std::string format_rfc3339(instant at) {
    const auto day_start = date::floor<date::days>(at);
    const date::year_month_day civil_date{day_start};
    const date::hh_mm_ss<duration> time_of_day{at - day_start};

    std::string out;
    out.reserve(32);
    append_padded(out, static_cast<int>(civil_date.year()), 4);
    out += '-';
    append_padded(out, static_cast<unsigned>(civil_date.month()), 2);
    out += '-';
    append_padded(out, static_cast<unsigned>(civil_date.day()), 2);
    out += 'T';
    append_padded(out, time_of_day.hours().count(), 2);
    out += ':';
    append_padded(out, time_of_day.minutes().count(), 2);
    out += ':';
    append_padded(out, time_of_day.seconds().count(), 2);

    // Shortest fraction that keeps the exact microsecond: ".25", not ".250000".
    std::int64_t fraction = time_of_day.subseconds().count();
    if (fraction != 0) {
        int width = 6;
        while (fraction % 10 == 0) {
            fraction /= 10;
            --width;
        }
        out += '.';
        append_padded(out, fraction, width);
    }

    out += 'Z';
    return out;
}

std::optional<duration> parse_duration(std::string_view text) noexcept {
    cursor in{text};
    if (in.at_end()) {
        return std::nullopt;
    }

    std::int64_t total = 0;
    std::size_t previous_unit = 0;
    bool first_part = true;
    while (!in.at_end()) {
        if (!in.at_digit()) {
            return std::nullopt;
        }
        std::int64_t count = 0;
        while (in.at_digit()) {
            if (__builtin_mul_overflow(count, 10, &count) ||
                __builtin_add_overflow(count, in.text[in.pos] - '0', &count)) {
                return std::nullopt;
            }
            ++in.pos;
        }

        // Units strictly decreasing ("1h30m", not "30m1h" or "1h1h"): one spelling
        // per length keeps policies readable and comparisons textual.
        const std::size_t unit = take_duration_unit(in);
        if (unit == duration_units.size() || (!first_part && unit <= previous_unit)) {
            return std::nullopt;
        }
        previous_unit = unit;
        first_part = false;

        std::int64_t part = 0;
        if (__builtin_mul_overflow(count, duration_units[unit].micros, &part) ||
            __builtin_add_overflow(total, part, &total)) {
            return std::nullopt;
        }
    }
    return duration{total};
}

std::string format_duration(duration length) {
    std::int64_t count = length.count();
    if (count == 0) {
        return "0s";
    }

    std::string out;
    // Magnitude as unsigned so the most negative duration does not overflow.
    std::uint64_t remaining = static_cast<std::uint64_t>(count);
    if (count < 0) {
        out += '-';
        remaining = 0 - remaining;
    }

    // Weeks are never emitted: seven days stay "7d", matching how windows are written.
    for (std::size_t i = 1; i < duration_units.size(); ++i) {
        const auto unit_micros = static_cast<std::uint64_t>(duration_units[i].micros);
        const std::uint64_t parts = remaining / unit_micros;
        if (parts == 0) {
            continue;
        }
        remaining -= parts * unit_micros;
        out += std::to_string(parts);
        out += duration_units[i].symbol;
    }
    return out;
}

const date::time_zone* find_zone(std::string_view name) noexcept {
    // Only IANA-shaped names reach the database, which opens files under the zoneinfo
    // directory: no absolute paths, no "..", no empty path segments.
    constexpr std::size_t max_zone_name = 64;
    if (name.empty() || name.size() > max_zone_name || name.front() == '/' || name.back() == '/' ||
        name.find("..") != std::string_view::npos || name.find("//") != std::string_view::npos) {
        return nullptr;
    }
    for (const char c : name) {
        const bool allowed = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
                             (c >= '0' && c <= '9') || c == '_' || c == '+' || c == '-' || c == '/';
        if (!allowed) {
            return nullptr;
        }
    }

    try {
        const date::time_zone* zone = date::locate_zone(name);
        if (zone == nullptr) {
            return nullptr;
        }

        // The zone's file is read lazily on first use and may fail; force that here,
        // when a policy is loaded, so calendar_period never does I/O or throws.
        (void)zone->get_info(date::sys_seconds{});
        return zone;
    } catch (...) {
        return nullptr;
    }
}

std::string_view to_string(calendar_unit unit) noexcept {
    switch (unit) {
        case calendar_unit::day:
            return "day";
        case calendar_unit::week:
            return "week";
        case calendar_unit::month:
            return "month";
        case calendar_unit::year:
            return "year";
    }
    return "unknown";
}

period calendar_period(instant at, calendar_unit unit, date::weekday week_start,
                       const date::time_zone* zone) {
    const auto local_day = date::floor<date::days>(zone->to_local(at));

    date::local_days first = local_day;
    date::local_days next = local_day + date::days{1};
    switch (unit) {
        case calendar_unit::day:
            break;
        case calendar_unit::week:
            // weekday difference is taken modulo 7, so it is 0..6 days back to week_start.
            first = local_day - (date::weekday{local_day} - week_start);
            next = first + date::weeks{1};
            break;
        case calendar_unit::month: {
            const date::year_month_day civil_date{local_day};
            const date::year_month month_of = civil_date.year() / civil_date.month();
            first = date::local_days{month_of / 1};
            next = date::local_days{(month_of + date::months{1}) / 1};
            break;
        }
        case calendar_unit::year: {
            const date::year_month_day civil_date{local_day};
            first = date::local_days{civil_date.year() / 1 / 1};
            next = date::local_days{(civil_date.year() + date::years{1}) / 1 / 1};
            break;
        }
    }

    // A nonexistent local midnight maps to the end of the gap and an ambiguous one to
    // its earlier instant, so consecutive periods tile the time line without gaps.
    period result{zone->to_sys(first, date::choose::earliest),
                  zone->to_sys(next, date::choose::earliest)};

    // Only a clock set back across midnight (e.g. 00:30 -> 23:30) makes `at` fall after
    // the earlier end; then the later one keeps `at` inside its own period, at the cost
    // of overlapping the next period, which over-counts spending rather than missing it.
    if (result.end <= at) {
        result.end = zone->to_sys(next, date::choose::latest);
    }
    return result;
}

}  // namespace mandate
