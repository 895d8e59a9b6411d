// Reading times out of record fields: timestamps, dates and times of day as text (ISO-8601 or a
// strftime-like pattern), epoch numbers in a configured unit, time zones, and CQL durations.
//
// TimeParser is compiled once from TimeSettings (the zone is looked up, the patterns are checked)
// and then used for every record: it does not allocate on success, and is safe to share between
// threads (it is immutable). Converter (convert.h) holds one; parse_timestamp_millis below builds
// one per call, for one-off use.
//
// Time zones come from the OS tz database (/usr/share/zoneinfo) through Howard Hinnant's date
// library. Past the last change a zone file lists (2037 for most zones) the library keeps the
// last offset forever, so there the rule in the file's footer (a POSIX TZ string such as
// CET-1CEST,M3.5.0,M10.5.0/3) is applied here instead. A local time that a daylight-saving change
// skips (02:30 on the night clocks go forward) is refused; one that occurs twice (the night they
// go back) is the earlier of the two instants, as java.time chooses.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "cql/types/value.h"

namespace date {
class time_zone;
}  // namespace date

namespace sluice::codec {

enum class TimeUnit { seconds, milliseconds, microseconds, nanoseconds };

// "seconds"/"s", "milliseconds"/"ms", "microseconds"/"us", "nanoseconds"/"ns" (case-insensitive);
// Errc::invalid_argument otherwise.
Result<TimeUnit> parse_time_unit(std::string_view name);
std::string_view time_unit_name(TimeUnit unit);  // "seconds", "milliseconds", ...

struct TimeSettings {
  // IANA zone name ("Europe/Paris") or fixed offset ("+02:00", "-0530", "+02", "Z", "UTC"). Times
  // read without an offset are local times in this zone.
  std::string zone = "UTC";
  // Empty: ISO-8601, yyyy-mm-dd[(T| )HH:MM[:SS[.fraction]]][Z|±hh:mm|±hhmm|±hh] (a date alone is
  // midnight; no offset: `zone`). Otherwise a pattern (see TimeParser), read in `zone` unless it
  // has %z.
  std::string timestamp_format;
  std::string date_format;  // empty: ISO yyyy-mm-dd
  std::string time_format;  // empty: HH:MM[:SS[.fraction]], fraction 1 to 9 digits
  // The unit of a number going into a timestamp column, and of integer text there ("-1500",
  // tried before the format unless timestamp_format reads digits only, like %Y%m%d%H%M%S).
  TimeUnit epoch_unit = TimeUnit::milliseconds;
};

// Patterns are strftime-like. Directives: %Y (4-digit year), %m (month 1-12, 1 or 2 digits),
// %d (day, 1 or 2 digits), %e (day, leading space allowed), %b %h %B (English month name, full or
// 3 letters, any case), %a %A (weekday name, checked against the date), %H (hour 0-23), %I (hour
// 1-12, needs %p), %p (AM/PM), %M (minute), %S (second), %f (fraction of a second, 1 to 9 digits),
// %z (offset: Z, ±hh:mm, ±hhmm, ±hh), %F (%Y-%m-%d), %T (%H:%M:%S), %R (%H:%M), %% (a '%').
// Everything else matches itself exactly; the whole text must match. Timestamp and date patterns
// need a year, a month and a day (a timestamp without hours is midnight); date patterns take no
// time directives; time patterns need an hour and a minute and take no date directives or %z.
class TimeParser {
 public:
  // Looks the zone up and compiles the patterns: Errc::invalid_argument names the bad setting.
  static Result<TimeParser> make(const TimeSettings& settings);

  // The parsers below return Errc::invalid_argument with only the reason in the message ("month
  // 13 out of range", "does not match the pattern %d/%m/%Y"), not the text: callers quote it.

  // An integer string is an epoch value in epoch_unit (unless timestamp_format reads digits
  // only); other text is read as the settings say (ISO-8601 or timestamp_format). Fractions below
  // the unit are dropped (rounded to the past).
  Result<std::int64_t> timestamp_millis(std::string_view text) const;
  Result<std::int64_t> timestamp_micros(std::string_view text) const;
  Result<std::int32_t> date_days(std::string_view text) const;   // days since 1970-01-01
  Result<std::int64_t> time_nanos(std::string_view text) const;  // nanoseconds since midnight
  // An epoch value in epoch_unit as milliseconds/microseconds (rounded to the past); out of range
  // if it overflows.
  Result<std::int64_t> epoch_millis(std::int64_t value) const;
  Result<std::int64_t> epoch_micros(std::int64_t value) const;
  // A wall-clock time in the zone, as microseconds since 1970-01-01T00:00 local (Avro's
  // local-timestamp-*), to microseconds since the epoch, UTC.
  Result<std::int64_t> local_to_utc_micros(std::int64_t local_micros) const;

  const TimeSettings& settings() const { return settings_; }

  // A compiled pattern item: a directive or literal text.
  struct Token {
    char directive = 0;  // 0: literal
    std::string literal;
  };
  struct Rule;  // a zone's POSIX TZ rule (time.cc)

 private:
  struct Fields;

  Status read_timestamp(std::string_view text, Fields& f) const;
  Result<std::int64_t> to_utc_seconds(const Fields& f) const;
  Result<std::int64_t> local_to_utc_seconds(std::int64_t local_seconds) const;

  TimeSettings settings_;
  const date::time_zone* zone_ = nullptr;  // null: a fixed offset
  std::int32_t fixed_offset_ = 0;          // seconds east of UTC
  // The zone's rule after the last change its file lists (2037 for most), which the date library
  // does not apply; null if the file has none.
  std::shared_ptr<const Rule> rule_;
  std::vector<Token> timestamp_pattern_;
  std::vector<Token> date_pattern_;
  std::vector<Token> time_pattern_;
  bool epoch_text_ = true;  // whether integer text into a timestamp is an epoch value
};

// Parses a timestamp string with the settings (as TimeParser::timestamp_millis): milliseconds
// since the epoch, UTC. Looks the zone up on every call: keep a TimeParser for repeated use.
// The error message quotes the text: `"2026-13-01" is not a timestamp: month 13 out of range`.
Result<std::int64_t> parse_timestamp_millis(std::string_view text, const TimeSettings& settings);
Result<std::int64_t> parse_timestamp_micros(std::string_view text, const TimeSettings& settings);

// A CQL duration, in ISO-8601 (P1Y2M3DT4H5M6.5S, P2W alone, optional leading '-') or CQL's
// compact form (1h30m, 2d, 1mo3d, 1y2mo, 500ms, 10us or 10µs, 5ns, optional leading '-'; units
// in decreasing size, each once, any case). The sign applies to every part. Errc::invalid_argument
// with only the reason, like TimeParser.
Result<cql::Duration> parse_duration(std::string_view text);

}  // namespace sluice::codec
