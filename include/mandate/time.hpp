// Instants, durations and calendar periods in named time zones.
//
// An instant is a point on the UTC time line with microsecond resolution. Calendar
// periods (day, week, month, year) are computed in an IANA time zone with the date
// library, so a day in New York is 23 or 25 hours across daylight-saving changes.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <date/date.h>
#include <date/tz.h>

namespace mandate {

using duration = std::chrono::microseconds;
using instant = std::chrono::time_point<std::chrono::system_clock, duration>;

// Parses an RFC 3339 date-time: "2026-12-03T10:00:00Z", "2026-12-03T10:00:00.25+05:30".
// The offset is required ('Z' or +hh:mm / -hh:mm); at most 6 fraction digits; 'T' and
// 'Z' may be lower case. Rejects out-of-range fields (month 13, Feb 30, hour 24) and
// leap seconds (second 60), which the clock has no instant for.
std::optional<instant> parse_rfc3339(std::string_view text) noexcept;

// "2026-12-03T10:00:00Z", with a fraction only when it is not zero.
std::string format_rfc3339(instant at);

// Parses a duration: one or more <integer><unit> parts, units us, ms, s, m, h, d, w
// ("30s", "15m", "1h30m", "7d"), largest unit first, each unit at most once. Rejects a
// unit without a number, a number without a unit, signs, spaces, overflow and empty
// text. "0s" parses to zero; whether zero is meaningful is the caller's decision.
std::optional<duration> parse_duration(std::string_view text) noexcept;

// Canonical short form: "1h30m", "7d", "250ms", "0s". Days are the largest unit
// written ("14d", never "2w"), so parse_duration(format_duration(d)) == d for d >= 0.
std::string format_duration(duration length);

// An IANA zone from the system's time zone database, or nullptr when unknown or when
// the name is not shaped like one ([A-Za-z0-9_+/-], no leading '/', no ".."). Loads the
// zone's rules now, so later conversions do no I/O. Never throws.
const date::time_zone* find_zone(std::string_view name) noexcept;

enum class calendar_unit : std::uint8_t { day, week, month, year };

std::string_view to_string(calendar_unit unit) noexcept;

// A half-open interval [start, end) of instants.
struct period {
    instant start;
    instant end;

    bool contains(instant at) const noexcept { return start <= at && at < end; }
    friend bool operator==(const period&, const period&) = default;
};

// The calendar period of `unit` in `zone` that contains `at`. Weeks start on
// `week_start` (only used for weeks). Local midnights that do not exist (a DST jump
// at midnight) begin at the first instant after the gap. `zone` must not be null.
period calendar_period(instant at, calendar_unit unit, date::weekday week_start,
                       const date::time_zone* zone);

}  // namespace mandate
