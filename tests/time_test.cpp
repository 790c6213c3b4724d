#include "mandate/time.hpp"

#include <catch2/catch.hpp>

#include <string>
#include <string_view>

namespace {

using mandate::calendar_period;
using mandate::calendar_unit;
using mandate::duration;
using mandate::find_zone;
using mandate::format_duration;
using mandate::format_rfc3339;
using mandate::instant;
using mandate::parse_duration;
using mandate::parse_rfc3339;
using mandate::period;
using std::chrono::hours;
using std::chrono::microseconds;
using std::chrono::milliseconds;
using std::chrono::minutes;
using std::chrono::seconds;

// An instant built with the date library alone, independent of the parser under test.
instant at_utc(int year, unsigned month, unsigned day, int hour = 0, int minute = 0,
               std::int64_t micros = 0) {
    const date::year_month_day civil{date::year{year}, date::month{month}, date::day{day}};
    return date::sys_days{civil} + hours{hour} + minutes{minute} + microseconds{micros};
}

instant utc(std::string_view text) {
    const auto parsed = parse_rfc3339(text);
    INFO("parsing " << text);
    REQUIRE(parsed.has_value());
    return *parsed;
}

const date::time_zone* zone(std::string_view name) {
    const date::time_zone* found = find_zone(name);
    INFO("zone " << name);
    REQUIRE(found != nullptr);
    return found;
}

constexpr date::weekday monday = date::Monday;
constexpr date::weekday sunday = date::Sunday;

period day_of(std::string_view at, std::string_view zone_name) {
    return calendar_period(utc(at), calendar_unit::day, monday, zone(zone_name));
}

}  // namespace

TEST_CASE("parse_rfc3339 reads UTC date-times", "[time]") {
    CHECK(utc("2026-12-03T10:00:00Z") == at_utc(2026, 12, 3, 10));
    CHECK(utc("2026-12-03t10:00:00z") == at_utc(2026, 12, 3, 10));
    CHECK(utc("1970-01-01T00:00:00Z") == instant{});
    CHECK(utc("0000-01-01T00:00:00Z") == at_utc(0, 1, 1));
    CHECK(utc("9999-12-31T23:59:59Z") == at_utc(9999, 12, 31, 23, 59, 59'000'000));
    CHECK(utc("2026-12-03T10:07:09Z") - utc("2026-12-03T10:00:00Z") == seconds{429});
}

TEST_CASE("parse_rfc3339 converts offsets to the UTC instant", "[time]") {
    CHECK(utc("2026-12-03T10:00:00+05:30") == at_utc(2026, 12, 3, 4, 30));
    CHECK(utc("2026-12-03T10:00:00-08:00") == at_utc(2026, 12, 3, 18));
    CHECK(utc("2026-12-31T20:00:00-08:00") == at_utc(2027, 1, 1, 4));
    CHECK(utc("2026-01-01T03:00:00+05:30") == at_utc(2025, 12, 31, 21, 30));
    CHECK(utc("2026-12-03T10:00:00+23:59") == at_utc(2026, 12, 2, 10, 1));

    // RFC 3339's "-00:00" (offset unknown) still names the UTC instant.
    CHECK(utc("2026-12-03T10:00:00-00:00") == at_utc(2026, 12, 3, 10));
    CHECK(utc("2026-12-03T10:00:00+00:00") == at_utc(2026, 12, 3, 10));
}

TEST_CASE("parse_rfc3339 keeps fractions to the microsecond", "[time]") {
    const instant whole = at_utc(2026, 12, 3, 10);
    CHECK(utc("2026-12-03T10:00:00.25Z") - whole == milliseconds{250});
    CHECK(utc("2026-12-03T10:00:00.5Z") - whole == milliseconds{500});
    CHECK(utc("2026-12-03T10:00:00.000001Z") - whole == microseconds{1});
    CHECK(utc("2026-12-03T10:00:00.123456Z") - whole == microseconds{123'456});
    CHECK(utc("2026-12-03T10:00:00.999999Z") - whole == microseconds{999'999});
    CHECK(utc("2026-12-03T10:00:00.000000Z") == whole);
    CHECK(utc("2026-12-03T15:30:00.75+05:30") - whole == milliseconds{750});

    CHECK_FALSE(parse_rfc3339("2026-12-03T10:00:00.1234567Z"));
    CHECK_FALSE(parse_rfc3339("2026-12-03T10:00:00.Z"));
    CHECK_FALSE(parse_rfc3339("2026-12-03T10:00:00,5Z"));
}

TEST_CASE("parse_rfc3339 validates calendar dates and leap years", "[time]") {
    CHECK(utc("2028-02-29T12:00:00Z") == at_utc(2028, 2, 29, 12));
    CHECK(utc("2000-02-29T00:00:00Z") == at_utc(2000, 2, 29));
    CHECK(utc("2026-01-31T00:00:00Z") == at_utc(2026, 1, 31));
    CHECK(utc("2026-04-30T00:00:00Z") == at_utc(2026, 4, 30));

    CHECK_FALSE(parse_rfc3339("2026-02-29T12:00:00Z"));
    CHECK_FALSE(parse_rfc3339("1900-02-29T12:00:00Z"));
    CHECK_FALSE(parse_rfc3339("2028-02-30T12:00:00Z"));
    CHECK_FALSE(parse_rfc3339("2026-04-31T00:00:00Z"));
    CHECK_FALSE(parse_rfc3339("2026-13-03T10:00:00Z"));
    CHECK_FALSE(parse_rfc3339("2026-00-03T10:00:00Z"));
    CHECK_FALSE(parse_rfc3339("2026-12-00T10:00:00Z"));
    CHECK_FALSE(parse_rfc3339("2026-12-32T10:00:00Z"));
}

TEST_CASE("parse_rfc3339 rejects times out of range, leap seconds included", "[time]") {
    CHECK_FALSE(parse_rfc3339("2026-12-03T24:00:00Z"));
    CHECK_FALSE(parse_rfc3339("2026-12-03T10:60:00Z"));
    CHECK_FALSE(parse_rfc3339("2026-12-03T10:00:61Z"));

    // A real leap second (end of 2016) is still rejected: the clock has no slot for it.
    CHECK_FALSE(parse_rfc3339("2016-12-31T23:59:60Z"));
    CHECK_FALSE(parse_rfc3339("2026-12-03T10:00:60Z"));

    CHECK(utc("2026-12-03T23:59:59Z") == at_utc(2026, 12, 3, 23, 59, 59'000'000));
}

TEST_CASE("parse_rfc3339 rejects malformed text", "[time]") {
    for (const std::string_view text : {
             "",
             "2026-12-03",
             "2026-12-03T10:00:00",    // no offset
             "2026-12-03T10:00:00.5",  // no offset
             "2026-12-03 10:00:00Z",   // space instead of 'T'
             "2026-12-03T10:00Z",      // no seconds
             "26-12-03T10:00:00Z",
             "2026-12-3T10:00:00Z",
             "2026-1-03T10:00:00Z",
             "+2026-12-03T10:00:00Z",
             "2026/12/03T10:00:00Z",
             "2026-12-03T10:00:00ZZ",
             "2026-12-03T10:00:00Z ",
             " 2026-12-03T10:00:00Z",
             "2026-12-03T10:00:00+05",
             "2026-12-03T10:00:00+0530",
             "2026-12-03T10:00:00+5:30",
             "2026-12-03T10:00:00+24:00",
             "2026-12-03T10:00:00+05:60",
             "2026-12-03T10:00:00 +05:30",
             "2026-12-03T10:00:00UTC",
             "2026-12-03T1a:00:00Z",
             "2026-12-03T10:00:00-",
             "2026-12-03T10:00:00+",
             "2026-12-03X10:00:00Z",
             "\xd9\xa2\xd9\xa0\xd9\xa2\xd9\xa6-12-03T10:00:00Z",
         }) {
        INFO("text: \"" << text << '"');
        CHECK_FALSE(parse_rfc3339(text));
    }

    // An embedded NUL must not end the text early.
    CHECK_FALSE(parse_rfc3339(std::string_view{"2026-12-03T10:00:00Z\0", 21}));
}

TEST_CASE("format_rfc3339 writes UTC with Z and a fraction only when needed", "[time]") {
    CHECK(format_rfc3339(at_utc(2026, 12, 3, 10)) == "2026-12-03T10:00:00Z");
    CHECK(format_rfc3339(instant{}) == "1970-01-01T00:00:00Z");
    CHECK(format_rfc3339(at_utc(2026, 12, 3, 10, 0, 250'000)) == "2026-12-03T10:00:00.25Z");
    CHECK(format_rfc3339(at_utc(2026, 12, 3, 10, 0, 1)) == "2026-12-03T10:00:00.000001Z");
    CHECK(format_rfc3339(at_utc(2026, 12, 3, 10, 0, 123'456)) == "2026-12-03T10:00:00.123456Z");
    CHECK(format_rfc3339(at_utc(2028, 2, 29, 23, 59, 59'100'000)) == "2028-02-29T23:59:59.1Z");
    CHECK(format_rfc3339(at_utc(1969, 12, 31, 23, 59, 59'999'999)) ==
          "1969-12-31T23:59:59.999999Z");
    CHECK(format_rfc3339(at_utc(1, 1, 1)) == "0001-01-01T00:00:00Z");

    // Offsets are resolved: the text is always the UTC instant.
    CHECK(format_rfc3339(utc("2026-12-03T10:00:00+05:30")) == "2026-12-03T04:30:00Z");

    for (const std::string_view text :
         {"2026-12-03T10:00:00Z", "2026-12-03T10:00:00.5Z", "2000-02-29T00:00:00.000001Z",
          "9999-12-31T23:59:59.999999Z", "0000-01-01T00:00:00Z"}) {
        CHECK(format_rfc3339(utc(text)) == text);
    }
}

TEST_CASE("parse_duration reads single and compound units", "[time]") {
    CHECK(parse_duration("30s") == duration{seconds{30}});
    CHECK(parse_duration("15m") == duration{minutes{15}});
    CHECK(parse_duration("1h30m") == duration{minutes{90}});
    CHECK(parse_duration("7d") == duration{hours{168}});
    CHECK(parse_duration("2w") == duration{hours{336}});
    CHECK(parse_duration("250ms") == duration{milliseconds{250}});
    CHECK(parse_duration("5us") == duration{microseconds{5}});
    CHECK(parse_duration("1m5s") == duration{seconds{65}});
    CHECK(
        parse_duration("1w1d1h1m1s1ms1us") ==
        duration{hours{8 * 24 + 1} + minutes{1} + seconds{1} + milliseconds{1} + microseconds{1}});
    CHECK(parse_duration("90m") == duration{minutes{90}});
    CHECK(parse_duration("007s") == duration{seconds{7}});

    // A zero length parses; rejecting empty windows is the checker's job.
    CHECK(parse_duration("0s") == duration{0});
}

TEST_CASE("parse_duration rejects malformed text and overflow", "[time]") {
    for (const std::string_view text :
         {"",    "h",   "1",  "1x",   "1h30", "30m1h", "1h1h", "1s1ms1s", "-1s",  "+1s",   " 1s",
          "1s ", "1 s", "1H", "1.5h", "1hh",  "ms",    "1mus", "1u",      "1sec", "1h 30m"}) {
        INFO("text: \"" << text << '"');
        CHECK_FALSE(parse_duration(text));
    }

    // The largest microsecond count fits; one more, or a sum past it, does not.
    CHECK(parse_duration("9223372036854775807us") == duration::max());
    CHECK_FALSE(parse_duration("9223372036854775808us"));
    CHECK_FALSE(parse_duration("99999999999999999999999us"));
    CHECK(parse_duration("106751991d") == duration{hours{106751991LL * 24}});
    CHECK_FALSE(parse_duration("106751992d"));
    CHECK(parse_duration("106751991d4h"));
    CHECK_FALSE(parse_duration("106751991d5h"));
    CHECK_FALSE(parse_duration("15250285w"));
}

TEST_CASE("format_duration writes the canonical short form", "[time]") {
    CHECK(format_duration(minutes{90}) == "1h30m");
    CHECK(format_duration(hours{168}) == "7d");
    CHECK(format_duration(hours{336}) == "14d");
    CHECK(format_duration(milliseconds{250}) == "250ms");
    CHECK(format_duration(microseconds{1}) == "1us");
    CHECK(format_duration(duration{0}) == "0s");
    CHECK(format_duration(seconds{3600}) == "1h");
    CHECK(format_duration(hours{26} + minutes{3} + seconds{4} + milliseconds{5} +
                          microseconds{6}) == "1d2h3m4s5ms6us");

    // Every canonical form parses back to the same length, and every length formats
    // to a text that parses back.
    for (const std::string_view text :
         {"1h30m", "7d", "250ms", "0s", "1d2h3m4s5ms6us", "59s", "106751991d4h"}) {
        const auto parsed = parse_duration(text);
        REQUIRE(parsed);
        CHECK(format_duration(*parsed) == text);
    }
    for (const duration length :
         {duration{1}, duration{999}, duration{seconds{86'399}}, duration{hours{24 * 400}},
          duration::max(), duration{milliseconds{1'001}}}) {
        CHECK(parse_duration(format_duration(length)) == length);
    }
    CHECK(format_duration(*parse_duration("2w")) == "14d");
    CHECK(format_duration(*parse_duration("120m")) == "2h");
}

TEST_CASE("find_zone finds IANA zones and refuses anything else", "[time]") {
    const date::time_zone* new_york = find_zone("America/New_York");
    REQUIRE(new_york != nullptr);
    CHECK(new_york->name() == "America/New_York");
    CHECK(find_zone("America/New_York") == new_york);
    CHECK(find_zone("Asia/Kolkata") != nullptr);
    CHECK(find_zone("UTC") != nullptr);
    CHECK(find_zone("Etc/GMT+5") != nullptr);

    for (const std::string_view name :
         {"", "Mars/Olympus_Mons", "America/New York", "america/new_york", "../etc/passwd",
          "America/../Europe/Berlin", "/usr/share/zoneinfo/UTC", "/etc/localtime", "America/",
          "America//New_York", "America/New_York\n", "Europe/Berlin;rm", "Europe\\Berlin",
          "America"}) {
        INFO("name: \"" << name << '"');
        CHECK(find_zone(name) == nullptr);
    }
    CHECK(find_zone(std::string_view{"UTC\0", 4}) == nullptr);
    CHECK(find_zone(std::string(300, 'A')) == nullptr);
}

TEST_CASE("to_string names calendar units", "[time]") {
    CHECK(mandate::to_string(calendar_unit::day) == "day");
    CHECK(mandate::to_string(calendar_unit::week) == "week");
    CHECK(mandate::to_string(calendar_unit::month) == "month");
    CHECK(mandate::to_string(calendar_unit::year) == "year");
}

TEST_CASE("calendar days in New York follow daylight saving", "[time]") {
    SECTION("spring forward: 2026-03-08 has 23 hours") {
        const period day = day_of("2026-03-08T12:00:00Z", "America/New_York");
        CHECK(format_rfc3339(day.start) == "2026-03-08T05:00:00Z");
        CHECK(format_rfc3339(day.end) == "2026-03-09T04:00:00Z");
        CHECK(day.end - day.start == hours{23});
    }
    SECTION("fall back: 2026-11-01 has 25 hours") {
        const period day = day_of("2026-11-01T12:00:00Z", "America/New_York");
        CHECK(format_rfc3339(day.start) == "2026-11-01T04:00:00Z");
        CHECK(format_rfc3339(day.end) == "2026-11-02T05:00:00Z");
        CHECK(day.end - day.start == hours{25});

        // 01:30 happens twice that night; both belong to the same day.
        CHECK(day_of("2026-11-01T05:30:00Z", "America/New_York") == day);
        CHECK(day_of("2026-11-01T06:30:00Z", "America/New_York") == day);
    }
    SECTION("an ordinary day has 24 hours") {
        const period day = day_of("2026-06-15T03:59:59Z", "America/New_York");
        CHECK(format_rfc3339(day.start) == "2026-06-14T04:00:00Z");
        CHECK(day.end - day.start == hours{24});
    }
}

TEST_CASE("calendar days in Berlin follow daylight saving", "[time]") {
    const period spring = day_of("2026-03-29T12:00:00Z", "Europe/Berlin");
    CHECK(format_rfc3339(spring.start) == "2026-03-28T23:00:00Z");
    CHECK(format_rfc3339(spring.end) == "2026-03-29T22:00:00Z");
    CHECK(spring.end - spring.start == hours{23});

    const period fall = day_of("2026-10-25T12:00:00Z", "Europe/Berlin");
    CHECK(format_rfc3339(fall.start) == "2026-10-24T22:00:00Z");
    CHECK(format_rfc3339(fall.end) == "2026-10-25T23:00:00Z");
    CHECK(fall.end - fall.start == hours{25});
}

TEST_CASE("calendar weeks start on the requested weekday", "[time]") {
    const date::time_zone* utc_zone = zone("UTC");
    const instant thursday = utc("2026-12-03T10:00:00Z");

    const period from_monday = calendar_period(thursday, calendar_unit::week, monday, utc_zone);
    CHECK(format_rfc3339(from_monday.start) == "2026-11-30T00:00:00Z");
    CHECK(format_rfc3339(from_monday.end) == "2026-12-07T00:00:00Z");

    const period from_sunday = calendar_period(thursday, calendar_unit::week, sunday, utc_zone);
    CHECK(format_rfc3339(from_sunday.start) == "2026-11-29T00:00:00Z");
    CHECK(format_rfc3339(from_sunday.end) == "2026-12-06T00:00:00Z");

    const period from_thursday =
        calendar_period(thursday, calendar_unit::week, date::Thursday, utc_zone);
    CHECK(format_rfc3339(from_thursday.start) == "2026-12-03T00:00:00Z");

    // Sunday is the last day of a Monday week and the first of a Sunday week.
    const instant sunday_noon = utc("2026-12-06T12:00:00Z");
    CHECK(calendar_period(sunday_noon, calendar_unit::week, monday, utc_zone) == from_monday);
    CHECK(
        format_rfc3339(calendar_period(sunday_noon, calendar_unit::week, sunday, utc_zone).start) ==
        "2026-12-06T00:00:00Z");

    SECTION("a week across spring forward in New York is 167 hours") {
        const date::time_zone* new_york = zone("America/New_York");
        const instant dst_sunday = utc("2026-03-08T12:00:00Z");

        const period monday_week =
            calendar_period(dst_sunday, calendar_unit::week, monday, new_york);
        CHECK(format_rfc3339(monday_week.start) == "2026-03-02T05:00:00Z");
        CHECK(format_rfc3339(monday_week.end) == "2026-03-09T04:00:00Z");
        CHECK(monday_week.end - monday_week.start == hours{167});

        const period sunday_week =
            calendar_period(dst_sunday, calendar_unit::week, sunday, new_york);
        CHECK(format_rfc3339(sunday_week.start) == "2026-03-08T05:00:00Z");
        CHECK(format_rfc3339(sunday_week.end) == "2026-03-15T04:00:00Z");
        CHECK(sunday_week.end - sunday_week.start == hours{167});
    }
}

TEST_CASE("calendar months end on the right day", "[time]") {
    const date::time_zone* utc_zone = zone("UTC");
    const auto month_of = [&](std::string_view at) {
        return calendar_period(utc(at), calendar_unit::month, monday, utc_zone);
    };

    const period january = month_of("2026-01-31T23:59:59.999999Z");
    CHECK(format_rfc3339(january.start) == "2026-01-01T00:00:00Z");
    CHECK(format_rfc3339(january.end) == "2026-02-01T00:00:00Z");

    const period february = month_of("2026-02-01T00:00:00Z");
    CHECK(february.start == january.end);
    CHECK(format_rfc3339(february.end) == "2026-03-01T00:00:00Z");
    CHECK(february.end - february.start == hours{28 * 24});

    const period april = month_of("2026-04-17T08:00:00Z");
    CHECK(format_rfc3339(april.start) == "2026-04-01T00:00:00Z");
    CHECK(april.end - april.start == hours{30 * 24});

    const period december = month_of("2026-12-31T12:00:00Z");
    CHECK(format_rfc3339(december.end) == "2027-01-01T00:00:00Z");

    SECTION("leap years") {
        const period leap_february = month_of("2028-02-29T12:00:00Z");
        CHECK(format_rfc3339(leap_february.start) == "2028-02-01T00:00:00Z");
        CHECK(format_rfc3339(leap_february.end) == "2028-03-01T00:00:00Z");
        CHECK(leap_february.end - leap_february.start == hours{29 * 24});

        // 2100 is divisible by 100 but not 400: not a leap year.
        const period century_february = month_of("2100-02-10T00:00:00Z");
        CHECK(century_february.end - century_february.start == hours{28 * 24});
    }

    SECTION("March in New York loses an hour") {
        const period march = calendar_period(utc("2026-03-15T00:00:00Z"), calendar_unit::month,
                                             monday, zone("America/New_York"));
        CHECK(format_rfc3339(march.start) == "2026-03-01T05:00:00Z");
        CHECK(format_rfc3339(march.end) == "2026-04-01T04:00:00Z");
        CHECK(march.end - march.start == hours{31 * 24 - 1});
    }
}

TEST_CASE("calendar years", "[time]") {
    const date::time_zone* utc_zone = zone("UTC");
    const period year_2026 =
        calendar_period(utc("2026-07-04T00:00:00Z"), calendar_unit::year, monday, utc_zone);
    CHECK(format_rfc3339(year_2026.start) == "2026-01-01T00:00:00Z");
    CHECK(format_rfc3339(year_2026.end) == "2027-01-01T00:00:00Z");
    CHECK(year_2026.end - year_2026.start == hours{365 * 24});

    const period year_2028 =
        calendar_period(utc("2028-12-31T23:59:59Z"), calendar_unit::year, monday, utc_zone);
    CHECK(year_2028.end - year_2028.start == hours{366 * 24});

    // New Year's Eve in New York is already next year in UTC, and the reverse.
    const date::time_zone* new_york = zone("America/New_York");
    const period new_york_2026 =
        calendar_period(utc("2027-01-01T03:00:00Z"), calendar_unit::year, monday, new_york);
    CHECK(format_rfc3339(new_york_2026.start) == "2026-01-01T05:00:00Z");
    CHECK(format_rfc3339(new_york_2026.end) == "2027-01-01T05:00:00Z");
}

TEST_CASE("a missing local midnight starts the day when the gap ends", "[time]") {
    // Havana springs forward at 00:00 local on 2026-03-08: 23:59:59 CST is followed by
    // 01:00:00 CDT (05:00Z), so that day starts at 01:00.
    const period gap_day = day_of("2026-03-08T12:00:00Z", "America/Havana");
    CHECK(format_rfc3339(gap_day.start) == "2026-03-08T05:00:00Z");
    CHECK(format_rfc3339(gap_day.end) == "2026-03-09T04:00:00Z");
    CHECK(gap_day.end - gap_day.start == hours{23});

    // The day before ends exactly where the gap day starts.
    const period day_before = day_of("2026-03-07T12:00:00Z", "America/Havana");
    CHECK(format_rfc3339(day_before.start) == "2026-03-07T05:00:00Z");
    CHECK(day_before.end == gap_day.start);
    CHECK(day_of("2026-03-08T04:59:59.999999Z", "America/Havana") == day_before);
    CHECK(day_of("2026-03-08T05:00:00Z", "America/Havana") == gap_day);

    // Beirut does the same on the last Sunday of March.
    const period beirut = day_of("2026-03-29T12:00:00Z", "Asia/Beirut");
    CHECK(format_rfc3339(beirut.start) == "2026-03-28T22:00:00Z");
    CHECK(format_rfc3339(beirut.end) == "2026-03-29T21:00:00Z");
    CHECK(beirut.end - beirut.start == hours{23});

    // A Sunday week in Havana that begins with the gap also begins at 01:00.
    const period week = calendar_period(utc("2026-03-10T12:00:00Z"), calendar_unit::week, sunday,
                                        zone("America/Havana"));
    CHECK(week.start == gap_day.start);
}

TEST_CASE("an ambiguous local midnight starts the day at its first occurrence", "[time]") {
    // Havana falls back at 01:00 CDT on 2026-11-01, so 00:00-00:59 happens twice.
    const period day = day_of("2026-11-01T12:00:00Z", "America/Havana");
    CHECK(format_rfc3339(day.start) == "2026-11-01T04:00:00Z");
    CHECK(format_rfc3339(day.end) == "2026-11-02T05:00:00Z");
    CHECK(day.end - day.start == hours{25});

    CHECK(day_of("2026-11-01T04:30:00Z", "America/Havana") == day);
    CHECK(day_of("2026-11-01T05:30:00Z", "America/Havana") == day);
    CHECK(day_of("2026-10-31T12:00:00Z", "America/Havana").end == day.start);
}

TEST_CASE("an instant on a boundary belongs to the later period", "[time]") {
    const instant boundary = utc("2026-03-09T04:00:00Z");  // midnight in New York
    const period before = day_of("2026-03-09T03:59:59.999999Z", "America/New_York");
    const period after = day_of("2026-03-09T04:00:00Z", "America/New_York");
    CHECK(before.end == boundary);
    CHECK(after.start == boundary);
    CHECK_FALSE(before.contains(boundary));
    CHECK(after.contains(boundary));

    const date::time_zone* utc_zone = zone("UTC");
    const instant new_year = utc("2027-01-01T00:00:00Z");
    for (const calendar_unit unit :
         {calendar_unit::day, calendar_unit::month, calendar_unit::year}) {
        INFO("unit " << mandate::to_string(unit));
        CHECK(calendar_period(new_year, unit, monday, utc_zone).start == new_year);
        CHECK(calendar_period(new_year - microseconds{1}, unit, monday, utc_zone).end == new_year);
    }
    const instant monday_midnight = utc("2026-11-30T00:00:00Z");
    CHECK(calendar_period(monday_midnight, calendar_unit::week, monday, utc_zone).start ==
          monday_midnight);
}

TEST_CASE("calendar days in UTC and Asia/Kolkata", "[time]") {
    const period utc_day = day_of("2026-12-03T10:00:00Z", "UTC");
    CHECK(format_rfc3339(utc_day.start) == "2026-12-03T00:00:00Z");
    CHECK(format_rfc3339(utc_day.end) == "2026-12-04T00:00:00Z");

    // 10:00Z is 15:30 in India (+05:30): the local day began at 18:30Z the day before.
    const period india_day = day_of("2026-12-03T10:00:00Z", "Asia/Kolkata");
    CHECK(format_rfc3339(india_day.start) == "2026-12-02T18:30:00Z");
    CHECK(format_rfc3339(india_day.end) == "2026-12-03T18:30:00Z");

    // 20:00Z is already 01:30 on December 4 there.
    const period next_india_day = day_of("2026-12-03T20:00:00Z", "Asia/Kolkata");
    CHECK(next_india_day.start == india_day.end);

    const period india_month = calendar_period(utc("2026-12-03T10:00:00Z"), calendar_unit::month,
                                               monday, zone("Asia/Kolkata"));
    CHECK(format_rfc3339(india_month.start) == "2026-11-30T18:30:00Z");
    CHECK(format_rfc3339(india_month.end) == "2026-12-31T18:30:00Z");
}

TEST_CASE("calendar periods tile the year without gaps or overlaps", "[time]") {
    // Walks 2026 in steps that are not a divisor of an hour, in zones with DST at
    // 02:00, at midnight, at 24:00, by half an hour, and none.
    const instant year_start = utc("2026-01-01T00:00:00Z");
    const instant year_end = utc("2027-01-01T00:00:00Z");
    for (const std::string_view name :
         {"America/New_York", "Europe/Berlin", "America/Havana", "Asia/Beirut", "America/Santiago",
          "Australia/Lord_Howe", "Asia/Kolkata", "UTC"}) {
        const date::time_zone* tz = zone(name);
        for (const calendar_unit unit :
             {calendar_unit::day, calendar_unit::week, calendar_unit::month, calendar_unit::year}) {
            int failures = 0;
            std::string first_failure;
            for (instant at = year_start; at < year_end; at += minutes{37}) {
                const period current = calendar_period(at, unit, monday, tz);
                const period next = calendar_period(current.end, unit, monday, tz);
                const period again = calendar_period(current.start, unit, monday, tz);
                const bool ok = current.contains(at) && next.start == current.end &&
                                again == current && current.end - current.start >= hours{23};
                if (!ok && failures++ == 0) {
                    first_failure = format_rfc3339(at);
                }
            }
            INFO(name << ' ' << mandate::to_string(unit) << " first failure at " << first_failure);
            CHECK(failures == 0);
        }
    }
}

TEST_CASE("a clock set back across midnight keeps the instant in its own day", "[time]") {
    // Juneau moved from Russian to American time on 1867-10-19: at 00:31:13Z local time
    // went from Oct 19 15:33 back to Oct 18 15:33, so Oct 18 happened twice.
    const period repeated = day_of("1867-10-19T01:00:00Z", "America/Juneau");
    CHECK(format_rfc3339(repeated.start) == "1867-10-17T08:57:41Z");
    CHECK(format_rfc3339(repeated.end) == "1867-10-19T08:57:41Z");
    CHECK(repeated.contains(utc("1867-10-19T01:00:00Z")));

    // The next local day begins when the second Oct 18 ends.
    const period next = day_of("1867-10-19T09:00:00Z", "America/Juneau");
    CHECK(next.contains(utc("1867-10-19T09:00:00Z")));
    CHECK(format_rfc3339(next.end) == "1867-10-20T08:57:41Z");
}
