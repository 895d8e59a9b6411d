// Time parsing: ISO-8601 and pattern readers, epoch units, zone resolution, durations.
#include "codec/time.h"
#include "codec/ascii.h"

#include <date/tz.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <exception>
#include <fstream>
#include <iterator>
#include <limits>

#include <fmt/format.h>

#include "codec/convert.h"

namespace sluice::codec {

// What a timestamp, date or time text says, before it is checked and resolved.
struct TimeParser::Fields {
  int year = 1970;
  int month = 1;
  int day = 1;
  int hour = 0;
  int minute = 0;
  int second = 0;
  std::int32_t nanos = 0;
  int weekday = -1;  // 0 Sunday to 6 Saturday, when the text names one
  int pm = -1;       // %p: 0 AM, 1 PM; then `hour` holds %I (1 to 12)
  bool has_offset = false;
  std::int32_t offset = 0;  // seconds east of UTC
};

// A POSIX TZ rule, as the footer of a TZif file gives it: "CET-1CEST,M3.5.0,M10.5.0/3".
struct TimeParser::Rule {
  // A day of the year the rule changes on, and the local time of the change.
  struct When {
    char kind = 'M';  // 'M': month.week.weekday, 'J': 1 to 365 without Feb 29, 'n': 0 to 365
    int month = 0;
    int week = 0;  // 1 to 5, 5 the last
    int weekday = 0;
    int day = 0;
    std::int32_t time = 7200;  // seconds after local midnight (02:00 by default), may be negative or past 24h
  };

  std::int64_t after = 0;       // UTC seconds: the last change the file lists; the rule holds after it
  std::int32_t std_offset = 0;  // seconds east of UTC
  bool has_dst = false;
  std::int32_t dst_offset = 0;
  When start;  // in standard time
  When end;    // in daylight time
};

namespace {

constexpr std::int64_t kSecondsPerDay = 86400;
constexpr std::int64_t kNanosPerSecond = 1000000000;

constexpr std::array<std::string_view, 12> kMonthNames{"january",   "february", "march",    "april",
                                                       "may",       "june",     "july",     "august",
                                                       "september", "october",  "november", "december"};
constexpr std::array<std::string_view, 7> kWeekdayNames{"sunday",   "monday", "tuesday", "wednesday",
                                                        "thursday", "friday", "saturday"};

constexpr std::string_view kIsoTimestamp = "yyyy-mm-dd[THH:MM[:SS[.fraction]]][Z|+hh:mm|-hh:mm]";

Error invalid(std::string message) { return Error(Errc::invalid_argument, std::move(message)); }

using detail::floor_div;
using detail::iequals;
using detail::is_digit;
using detail::lower;

bool is_leap(std::int64_t y) { return y % 4 == 0 && (y % 100 != 0 || y % 400 == 0); }

int days_in_month(std::int64_t y, int m) {
  static constexpr std::array<int, 12> kDays{31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && is_leap(y) ? 29 : kDays[static_cast<std::size_t>(m - 1)];
}

// Leap years among 1..n (negative n counts backwards, so differences work across year 0).
std::int64_t leaps_through(std::int64_t n) { return floor_div(n, 4) - floor_div(n, 100) + floor_div(n, 400); }

// Days from 1970-01-01 to the given proleptic Gregorian date (month and day already checked).
std::int64_t days_from_civil(std::int64_t y, int m, int d) {
  std::int64_t days = 365 * (y - 1970) + leaps_through(y - 1) - leaps_through(1969);
  for (int k = 1; k < m; ++k) days += days_in_month(y, k);
  return days + d - 1;
}

// The year a day falls in.
std::int64_t year_of(std::int64_t days) {
  std::int64_t y = 1970 + floor_div(days, days < 0 ? 365 : 366);  // at or before the year, never after
  while (days_from_civil(y + 1, 1, 1) <= days) ++y;
  return y;
}

// The inverse of days_from_civil, for messages.
std::string format_local(std::int64_t local_seconds) {
  std::int64_t days = floor_div(local_seconds, kSecondsPerDay);
  std::int64_t rest = local_seconds - days * kSecondsPerDay;
  std::int64_t y = year_of(days);
  int m = 1;
  std::int64_t d = days - days_from_civil(y, 1, 1);
  while (d >= days_in_month(y, m)) d -= days_in_month(y, m++);
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}", y, m, d + 1, rest / 3600, rest / 60 % 60, rest % 60);
}

// A read position in a text.
struct Cursor {
  std::string_view s;
  std::size_t i = 0;

  bool done() const { return i == s.size(); }
  char peek() const { return i < s.size() ? s[i] : '\0'; }
  bool eat(char c) {
    if (i < s.size() && s[i] == c) {
      ++i;
      return true;
    }
    return false;
  }
  // Between min_n and max_n digits, as many as there are.
  bool digits(int min_n, int max_n, int& out) {
    int n = 0;
    int v = 0;
    while (n < max_n && i < s.size() && is_digit(s[i])) {
      v = v * 10 + (s[i++] - '0');
      ++n;
    }
    out = v;
    return n >= min_n;
  }
  // 1 to 9 digits of a fraction of a second, as nanoseconds.
  bool fraction(std::int32_t& nanos) {
    int n = 0;
    std::int32_t v = 0;
    while (i < s.size() && is_digit(s[i])) {
      if (n == 9) return false;
      v = v * 10 + (s[i++] - '0');
      ++n;
    }
    for (int k = n; k < 9; ++k) v *= 10;
    nanos = v;
    return n > 0;
  }
  // A name from the list, full or its first three letters, any case; the index or -1.
  int name(const auto& names) {
    for (std::size_t len : {std::size_t{0}, std::size_t{3}}) {
      for (std::size_t k = 0; k < names.size(); ++k) {
        std::string_view want = len == 0 ? names[k] : names[k].substr(0, len);
        if (iequals(s.substr(i, want.size()), want)) {
          i += want.size();
          return static_cast<int>(k);
        }
      }
    }
    return -1;
  }
};

// An offset: Z, ±hh:mm, ±hhmm or ±hh (up to ±18:00, as java.time).
bool read_offset(Cursor& c, std::int32_t& seconds) {
  if (c.eat('Z') || c.eat('z')) {
    seconds = 0;
    return true;
  }
  int sign = 0;
  if (c.eat('+')) {
    sign = 1;
  } else if (c.eat('-')) {
    sign = -1;
  } else {
    return false;
  }
  int hh = 0;
  int mm = 0;
  if (!c.digits(2, 2, hh)) return false;
  bool colon = c.eat(':');
  if ((colon || is_digit(c.peek())) && !c.digits(2, 2, mm)) return false;
  if (mm > 59 || hh * 60 + mm > 18 * 60) return false;
  seconds = sign * (hh * 3600 + mm * 60);
  return true;
}

// HH:MM[:SS[.fraction]]
bool read_iso_clock(Cursor& c, int& hour, int& minute, int& second, std::int32_t& nanos) {
  if (!c.digits(2, 2, hour) || !c.eat(':') || !c.digits(2, 2, minute)) return false;
  second = 0;
  nanos = 0;
  if (!c.eat(':')) return true;
  if (!c.digits(2, 2, second)) return false;
  if (c.eat('.')) return c.fraction(nanos);
  return true;
}

Status check_clock(int hour, int minute, int second) {
  if (hour > 23) return invalid(fmt::format("hour {} out of range", hour));
  if (minute > 59) return invalid(fmt::format("minute {} out of range", minute));
  if (second > 59) return invalid(fmt::format("second {} out of range", second));
  return {};
}

Status check_date(int year, int month, int day) {
  if (month < 1 || month > 12) return invalid(fmt::format("month {} out of range", month));
  if (day < 1 || day > days_in_month(year, month)) {
    return invalid(fmt::format("day {} out of range for {:04}-{:02}", day, year, month));
  }
  return {};
}

// ---- patterns --------------------------------------------------------------------------------

enum class PatternKind { timestamp, date, time };

std::string_view kind_setting(PatternKind kind) {
  switch (kind) {
    case PatternKind::timestamp: return "timestamp_format";
    case PatternKind::date: return "date_format";
    case PatternKind::time: return "time_format";
  }
  return "format";
}

// The field a directive fills (directives with the same group cannot both appear).
char directive_group(char d) {
  switch (d) {
    case 'b':
    case 'B':
    case 'h': return 'm';
    case 'e': return 'd';
    case 'A': return 'a';
    case 'I': return 'H';
    default: return d;
  }
}

Result<std::vector<TimeParser::Token>> compile_pattern(std::string_view pattern, PatternKind kind) {
  std::vector<TimeParser::Token> tokens;
  std::string seen;
  auto fail = [&](std::string_view why) {
    return invalid(fmt::format("{} {}: {}", kind_setting(kind), quote_for_message(pattern), why));
  };
  auto literal = [&](std::string_view text) {
    if (tokens.empty() || tokens.back().directive != 0) tokens.push_back({});
    tokens.back().literal += text;
  };
  auto directive = [&](char d) -> Status {
    constexpr std::string_view kDate = "YmbBhdeaA";
    constexpr std::string_view kTime = "HIpMSf";
    if (kind == PatternKind::date && (kTime.find(d) != std::string_view::npos || d == 'z')) {
      return fail(fmt::format("a date pattern cannot have %{}", d));
    }
    if (kind == PatternKind::time && (kDate.find(d) != std::string_view::npos || d == 'z')) {
      return fail(fmt::format("a time pattern cannot have %{}", d));
    }
    char group = directive_group(d);
    if (seen.find(group) != std::string::npos) return fail(fmt::format("%{} repeats a field", d));
    seen.push_back(group);
    tokens.push_back({d, {}});
    return {};
  };
  for (std::size_t i = 0; i < pattern.size(); ++i) {
    if (pattern[i] != '%') {
      literal(pattern.substr(i, 1));
      continue;
    }
    if (++i == pattern.size()) return fail("ends with a lone %");
    char d = pattern[i];
    switch (d) {
      case '%': literal("%"); break;
      case 'F':
        SLUICE_TRY(directive('Y'));
        literal("-");
        SLUICE_TRY(directive('m'));
        literal("-");
        SLUICE_TRY(directive('d'));
        break;
      case 'T':
      case 'R':
        SLUICE_TRY(directive('H'));
        literal(":");
        SLUICE_TRY(directive('M'));
        if (d == 'T') {
          literal(":");
          SLUICE_TRY(directive('S'));
        }
        break;
      case 'Y':
      case 'm':
      case 'd':
      case 'e':
      case 'b':
      case 'B':
      case 'h':
      case 'a':
      case 'A':
      case 'H':
      case 'I':
      case 'p':
      case 'M':
      case 'S':
      case 'f':
      case 'z': SLUICE_TRY(directive(d)); break;
      default: return fail(fmt::format("unknown directive %{}", d));
    }
  }
  auto has = [&](char group) { return seen.find(group) != std::string::npos; };
  if ((kind == PatternKind::timestamp || kind == PatternKind::date) && !(has('Y') && has('m') && has('d'))) {
    return fail("needs a year (%Y), a month (%m or %b) and a day (%d)");
  }
  if (kind == PatternKind::time && !(has('H') && has('M'))) return fail("needs an hour (%H or %I) and a minute (%M)");
  bool twelve = false;
  for (const auto& t : tokens) twelve = twelve || t.directive == 'I';
  if (twelve != has('p')) return fail("%I and %p go together");
  return tokens;
}

// Whether every text the pattern matches could also be a plain integer (digits only).
bool digits_only(const std::vector<TimeParser::Token>& tokens) {
  for (const auto& t : tokens) {
    if (t.directive == 0) {
      for (char c : t.literal) {
        if (!is_digit(c)) return false;
      }
    } else if (std::string_view("YmdHIMSf").find(t.directive) == std::string_view::npos) {
      return false;
    }
  }
  return true;
}

std::string pattern_text(const std::vector<TimeParser::Token>& tokens) {
  std::string out;
  for (const auto& t : tokens) {
    if (t.directive != 0) {
      out += '%';
      out += t.directive;
      continue;
    }
    for (char c : t.literal) {
      if (c == '%') out += '%';
      out += c;
    }
  }
  return out;
}

template <class Fields>
Status match_pattern(const std::vector<TimeParser::Token>& tokens, std::string_view text, Fields& f) {
  Cursor c{text};
  auto mismatch = [&]() {
    return invalid(
        fmt::format("does not match the pattern {} (at character {})", quote_for_message(pattern_text(tokens)), c.i));
  };
  for (const auto& t : tokens) {
    bool ok = true;
    switch (t.directive) {
      case 0:
        ok = c.s.substr(c.i).starts_with(t.literal);
        if (ok) c.i += t.literal.size();
        break;
      case 'Y': ok = c.digits(4, 4, f.year); break;
      case 'm': ok = c.digits(1, 2, f.month); break;
      case 'e': c.eat(' '); [[fallthrough]];
      case 'd': ok = c.digits(1, 2, f.day); break;
      case 'H':
      case 'I': ok = c.digits(1, 2, f.hour); break;
      case 'M': ok = c.digits(1, 2, f.minute); break;
      case 'S': ok = c.digits(1, 2, f.second); break;
      case 'f': ok = c.fraction(f.nanos); break;
      case 'z':
        ok = read_offset(c, f.offset);
        f.has_offset = true;
        break;
      case 'b':
      case 'B':
      case 'h': {
        int m = c.name(kMonthNames);
        ok = m >= 0;
        f.month = m + 1;
        break;
      }
      case 'a':
      case 'A':
        f.weekday = c.name(kWeekdayNames);
        ok = f.weekday >= 0;
        break;
      case 'p':
        if (iequals(text.substr(c.i, 2), "am") || iequals(text.substr(c.i, 2), "pm")) {
          f.pm = lower(text[c.i]) == 'p' ? 1 : 0;
          c.i += 2;
        } else {
          ok = false;
        }
        break;
      default: ok = false;
    }
    if (!ok) return mismatch();
  }
  if (!c.done()) return mismatch();
  if (f.pm >= 0) {
    if (f.hour < 1 || f.hour > 12) return invalid(fmt::format("hour {} out of range for %I", f.hour));
    f.hour = f.hour % 12 + (f.pm == 1 ? 12 : 0);
  }
  return {};
}

Status check_weekday(int weekday, std::int64_t days) {
  if (weekday < 0) return {};
  auto actual = static_cast<int>(days + 4 - floor_div(days + 4, 7) * 7);  // 1970-01-01 was a Thursday
  if (actual != weekday) {
    return invalid(fmt::format("the date is a {}, not a {}", kWeekdayNames[static_cast<std::size_t>(actual)],
                               kWeekdayNames[static_cast<std::size_t>(weekday)]));
  }
  return {};
}

// An integer string: optional sign, decimal digits, nothing else. False if malformed or too big.
bool parse_integer(std::string_view text, std::int64_t& out) {
  std::string_view digits = text;
  bool negative = false;
  if (!digits.empty() && (digits[0] == '+' || digits[0] == '-')) {
    negative = digits[0] == '-';
    digits.remove_prefix(1);
  }
  if (digits.empty()) return false;
  std::uint64_t magnitude = 0;
  constexpr std::uint64_t kLimit = std::uint64_t{1} << 63U;
  for (char c : digits) {
    if (!is_digit(c)) return false;
    if (magnitude > (kLimit - static_cast<std::uint64_t>(c - '0')) / 10) return false;
    magnitude = magnitude * 10 + static_cast<std::uint64_t>(c - '0');
  }
  if (!negative && magnitude == kLimit) return false;
  out = negative ? static_cast<std::int64_t>(~magnitude + 1) : static_cast<std::int64_t>(magnitude);
  return true;
}

bool scale(std::int64_t value, std::int64_t factor, std::int64_t& out) {
  return !__builtin_mul_overflow(value, factor, &out);
}

Error out_of_range() { return invalid("out of range"); }

// ---- POSIX TZ rules --------------------------------------------------------------------------

using Rule = TimeParser::Rule;

// A zone abbreviation: three or more letters, or <anything> in angle brackets.
bool read_posix_name(Cursor& c) {
  if (c.eat('<')) {
    while (!c.done() && c.peek() != '>') ++c.i;
    return c.eat('>');
  }
  std::size_t start = c.i;
  while ((c.peek() >= 'A' && c.peek() <= 'Z') || (c.peek() >= 'a' && c.peek() <= 'z')) ++c.i;
  return c.i - start >= 3;
}

// [+-]hh[:mm[:ss]], hours up to `max_hours`.
bool read_posix_hms(Cursor& c, int max_hours, std::int32_t& seconds) {
  int sign = c.eat('-') ? -1 : 1;
  if (sign == 1) c.eat('+');
  int h = 0;
  int m = 0;
  int sec = 0;
  if (!c.digits(1, 3, h) || h > max_hours) return false;
  if (c.eat(':') && (!c.digits(2, 2, m) || m > 59)) return false;
  if (c.eat(':') && (!c.digits(2, 2, sec) || sec > 59)) return false;
  seconds = sign * (h * 3600 + m * 60 + sec);
  return true;
}

bool read_posix_when(Cursor& c, Rule::When& w) {
  if (c.eat('M')) {
    w.kind = 'M';
    if (!c.digits(1, 2, w.month) || w.month < 1 || w.month > 12 || !c.eat('.') || !c.digits(1, 1, w.week) ||
        w.week < 1 || w.week > 5 || !c.eat('.') || !c.digits(1, 1, w.weekday) || w.weekday > 6) {
      return false;
    }
  } else if (c.eat('J')) {
    w.kind = 'J';
    if (!c.digits(1, 3, w.day) || w.day < 1 || w.day > 365) return false;
  } else {
    w.kind = 'n';
    if (!c.digits(1, 3, w.day) || w.day > 365) return false;
  }
  w.time = 7200;
  if (c.eat('/')) return read_posix_hms(c, 167, w.time);
  return true;
}

// "CET-1CEST,M3.5.0,M10.5.0/3"; offsets count west of UTC, as POSIX has them.
bool parse_posix_rule(std::string_view text, Rule& r) {
  Cursor c{text};
  std::int32_t west = 0;
  if (!read_posix_name(c) || !read_posix_hms(c, 24, west)) return false;
  r.std_offset = -west;
  if (c.done()) return true;
  if (!read_posix_name(c)) return false;
  r.has_dst = true;
  r.dst_offset = r.std_offset + 3600;
  if (c.peek() != ',') {
    if (!read_posix_hms(c, 24, west)) return false;
    r.dst_offset = -west;
  }
  // Without dates, POSIX leaves the change days to the implementation; the US rules are the usual choice.
  r.start = Rule::When{'M', 3, 2, 0, 0, 7200};
  r.end = Rule::When{'M', 11, 1, 0, 0, 7200};
  if (c.done()) return true;
  return c.eat(',') && read_posix_when(c, r.start) && c.eat(',') && read_posix_when(c, r.end) && c.done();
}

// Days since the epoch of the day the rule changes on in year y.
std::int64_t rule_day(const Rule::When& w, std::int64_t y) {
  std::int64_t jan1 = days_from_civil(y, 1, 1);
  if (w.kind == 'J') return jan1 + w.day - 1 + (is_leap(y) && w.day >= 60 ? 1 : 0);
  if (w.kind == 'n') return jan1 + w.day;
  std::int64_t first = days_from_civil(y, w.month, 1);
  std::int64_t weekday = first + 4 - floor_div(first + 4, 7) * 7;
  std::int64_t day = first + (w.weekday - weekday + 7) % 7 + 7 * (w.week - 1);
  while (day - first >= days_in_month(y, w.month)) day -= 7;
  return day;
}

// Whether the UTC instant is in daylight time under the rule.
bool rule_is_dst(const Rule& r, std::int64_t utc) {
  std::int64_t y = year_of(floor_div(utc + r.std_offset, kSecondsPerDay));
  for (std::int64_t k = y - 1; k <= y + 1; ++k) {
    std::int64_t start = rule_day(r.start, k) * kSecondsPerDay + r.start.time - r.std_offset;
    std::int64_t end = rule_day(r.end, k) * kSecondsPerDay + r.end.time - r.dst_offset;
    // Southern hemisphere: daylight time runs from the start into the next year's end.
    if (end <= start) end = rule_day(r.end, k + 1) * kSecondsPerDay + r.end.time - r.dst_offset;
    if (utc >= start && utc < end) return true;
  }
  return false;
}

// The rule in the footer of the zone's TZif file, if there is one.
std::shared_ptr<const Rule> load_rule(const std::string& zone, const date::time_zone& tz) {
  // Where the date library reads the database (it does not look at $TZDIR either).
  std::ifstream in("/usr/share/zoneinfo/" + zone, std::ios::binary);
  std::string data((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  // Version 2 and later end with "\n<TZ string>\n".
  if (data.size() < 6 || data.compare(0, 4, "TZif") != 0 || data[4] < '2' || data.back() != '\n') return nullptr;
  std::size_t open = data.rfind('\n', data.size() - 2);
  if (open == std::string::npos) return nullptr;
  auto r = std::make_shared<Rule>();
  if (!parse_posix_rule(std::string_view(data).substr(open + 1, data.size() - open - 2), *r)) return nullptr;
  auto last = tz.get_info(date::sys_seconds{std::chrono::seconds{253402300799}});
  r->after = last.begin.time_since_epoch().count();
  return r;
}

}  // namespace

// ---- TimeUnit --------------------------------------------------------------------------------

Result<TimeUnit> parse_time_unit(std::string_view name) {
  if (iequals(name, "seconds") || iequals(name, "s")) return TimeUnit::seconds;
  if (iequals(name, "milliseconds") || iequals(name, "ms")) return TimeUnit::milliseconds;
  if (iequals(name, "microseconds") || iequals(name, "us")) return TimeUnit::microseconds;
  if (iequals(name, "nanoseconds") || iequals(name, "ns")) return TimeUnit::nanoseconds;
  return invalid(fmt::format("unknown time unit {} (seconds, milliseconds, microseconds or nanoseconds)",
                             quote_for_message(name)));
}

std::string_view time_unit_name(TimeUnit unit) {
  switch (unit) {
    case TimeUnit::seconds: return "seconds";
    case TimeUnit::milliseconds: return "milliseconds";
    case TimeUnit::microseconds: return "microseconds";
    case TimeUnit::nanoseconds: return "nanoseconds";
  }
  return "?";
}

// ---- TimeParser ------------------------------------------------------------------------------

Result<TimeParser> TimeParser::make(const TimeSettings& settings) {
  TimeParser p;
  p.settings_ = settings;
  const std::string& zone = settings.zone;
  if (zone == "Z" || zone == "UTC" || zone == "GMT") {
    p.fixed_offset_ = 0;
  } else if (!zone.empty() && (zone[0] == '+' || zone[0] == '-')) {
    Cursor c{zone};
    if (!read_offset(c, p.fixed_offset_) || !c.done()) {
      return invalid(
          fmt::format("time zone {} is not an offset (+hh:mm, -hhmm, +hh, up to 18 hours)", quote_for_message(zone)));
    }
  } else {
    try {
      p.zone_ = date::locate_zone(zone);
      // Loads the zone's rules now, so that a broken database shows here and not per record.
      (void)p.zone_->get_info(date::sys_seconds{});
      p.rule_ = load_rule(zone, *p.zone_);
    } catch (const std::exception& e) {
      return invalid(
          fmt::format("unknown time zone {} (an IANA name such as Europe/Paris, or an offset such "
                      "as +02:00): {}",
                      quote_for_message(zone), e.what()));
    }
  }
  if (!settings.timestamp_format.empty()) {
    auto t = compile_pattern(settings.timestamp_format, PatternKind::timestamp);
    SLUICE_TRY(t);
    p.timestamp_pattern_ = std::move(*t);
    p.epoch_text_ = !digits_only(p.timestamp_pattern_);
  }
  if (!settings.date_format.empty()) {
    auto t = compile_pattern(settings.date_format, PatternKind::date);
    SLUICE_TRY(t);
    p.date_pattern_ = std::move(*t);
  }
  if (!settings.time_format.empty()) {
    auto t = compile_pattern(settings.time_format, PatternKind::time);
    SLUICE_TRY(t);
    p.time_pattern_ = std::move(*t);
  }
  return p;
}

Status TimeParser::read_timestamp(std::string_view text, Fields& f) const {
  if (!timestamp_pattern_.empty()) {
    SLUICE_TRY(match_pattern(timestamp_pattern_, text, f));
  } else {
    Cursor c{text};
    auto bad = [] { return invalid(fmt::format("expected ISO-8601 {}", kIsoTimestamp)); };
    if (!c.digits(4, 4, f.year) || !c.eat('-') || !c.digits(2, 2, f.month) || !c.eat('-') || !c.digits(2, 2, f.day)) {
      return bad();
    }
    if (!c.done()) {
      if (!c.eat('T') && !c.eat('t') && !c.eat(' ')) return bad();
      if (!read_iso_clock(c, f.hour, f.minute, f.second, f.nanos)) return bad();
      if (!c.done()) {
        if (!read_offset(c, f.offset) || !c.done()) return bad();
        f.has_offset = true;
      }
    }
  }
  SLUICE_TRY(check_date(f.year, f.month, f.day));
  SLUICE_TRY(check_clock(f.hour, f.minute, f.second));
  return check_weekday(f.weekday, days_from_civil(f.year, f.month, f.day));
}

Result<std::int64_t> TimeParser::local_to_utc_seconds(std::int64_t local_seconds) const {
  if (zone_ == nullptr) return local_seconds - fixed_offset_;
  // Years 0 to 9999 only: the date library's calendar arithmetic is not meant for more.
  constexpr std::int64_t kMin = -62167219200;  // 0000-01-01T00:00:00
  constexpr std::int64_t kMax = 253402300799;  // 9999-12-31T23:59:59
  if (local_seconds < kMin || local_seconds > kMax) return invalid("out of range for a time zone (years 0 to 9999)");
  if (rule_ != nullptr && local_seconds - 2 * kSecondsPerDay >= rule_->after) {
    const Rule& r = *rule_;
    if (!r.has_dst) return local_seconds - r.std_offset;
    std::int64_t as_std = local_seconds - r.std_offset;
    std::int64_t as_dst = local_seconds - r.dst_offset;
    bool std_ok = !rule_is_dst(r, as_std);
    bool dst_ok = rule_is_dst(r, as_dst);
    if (std_ok && dst_ok) return std::min(as_std, as_dst);
    if (std_ok) return as_std;
    if (dst_ok) return as_dst;
    return invalid(
        fmt::format("{} does not exist in {} (the clocks skip it)", format_local(local_seconds), settings_.zone));
  }
  auto info = zone_->get_info(date::local_seconds{std::chrono::seconds{local_seconds}});
  if (info.result == date::local_info::nonexistent) {
    return invalid(
        fmt::format("{} does not exist in {} (the clocks skip it)", format_local(local_seconds), settings_.zone));
  }
  // unique, or ambiguous: the earlier instant, with the offset in force before the change.
  return local_seconds - info.first.offset.count();
}

Result<std::int64_t> TimeParser::to_utc_seconds(const Fields& f) const {
  std::int64_t local =
      days_from_civil(f.year, f.month, f.day) * kSecondsPerDay + f.hour * 3600 + f.minute * 60 + f.second;
  if (f.has_offset) return local - f.offset;
  return local_to_utc_seconds(local);
}

Result<std::int64_t> TimeParser::timestamp_millis(std::string_view text) const {
  std::int64_t epoch = 0;
  if (epoch_text_ && parse_integer(text, epoch)) {
    return epoch_millis(epoch);
  }
  Fields f;
  SLUICE_TRY(read_timestamp(text, f));
  auto seconds = to_utc_seconds(f);
  SLUICE_TRY(seconds);
  return *seconds * 1000 + f.nanos / 1000000;  // years 0 to 9999: no overflow
}

Result<std::int64_t> TimeParser::timestamp_micros(std::string_view text) const {
  std::int64_t epoch = 0;
  if (epoch_text_ && parse_integer(text, epoch)) {
    return epoch_micros(epoch);
  }
  Fields f;
  SLUICE_TRY(read_timestamp(text, f));
  auto seconds = to_utc_seconds(f);
  SLUICE_TRY(seconds);
  return *seconds * 1000000 + f.nanos / 1000;
}

Result<std::int32_t> TimeParser::date_days(std::string_view text) const {
  Fields f;
  if (!date_pattern_.empty()) {
    SLUICE_TRY(match_pattern(date_pattern_, text, f));
  } else {
    Cursor c{text};
    if (!c.digits(4, 4, f.year) || !c.eat('-') || !c.digits(2, 2, f.month) || !c.eat('-') || !c.digits(2, 2, f.day) ||
        !c.done()) {
      return invalid("expected yyyy-mm-dd");
    }
  }
  SLUICE_TRY(check_date(f.year, f.month, f.day));
  std::int64_t days = days_from_civil(f.year, f.month, f.day);
  SLUICE_TRY(check_weekday(f.weekday, days));
  return static_cast<std::int32_t>(days);
}

Result<std::int64_t> TimeParser::time_nanos(std::string_view text) const {
  Fields f;
  if (!time_pattern_.empty()) {
    SLUICE_TRY(match_pattern(time_pattern_, text, f));
  } else {
    Cursor c{text};
    if (!read_iso_clock(c, f.hour, f.minute, f.second, f.nanos) || !c.done()) {
      return invalid("expected HH:MM[:SS[.fraction]]");
    }
  }
  SLUICE_TRY(check_clock(f.hour, f.minute, f.second));
  return (std::int64_t{f.hour} * 3600 + f.minute * 60 + f.second) * kNanosPerSecond + f.nanos;
}

Result<std::int64_t> TimeParser::epoch_millis(std::int64_t value) const {
  std::int64_t out = 0;
  switch (settings_.epoch_unit) {
    case TimeUnit::seconds:
      if (!scale(value, 1000, out)) return out_of_range();
      return out;
    case TimeUnit::milliseconds: return value;
    case TimeUnit::microseconds: return floor_div(value, 1000);
    case TimeUnit::nanoseconds: return floor_div(value, 1000000);
  }
  return out_of_range();
}

Result<std::int64_t> TimeParser::epoch_micros(std::int64_t value) const {
  std::int64_t out = 0;
  switch (settings_.epoch_unit) {
    case TimeUnit::seconds:
      if (!scale(value, 1000000, out)) return out_of_range();
      return out;
    case TimeUnit::milliseconds:
      if (!scale(value, 1000, out)) return out_of_range();
      return out;
    case TimeUnit::microseconds: return value;
    case TimeUnit::nanoseconds: return floor_div(value, 1000);
  }
  return out_of_range();
}

Result<std::int64_t> TimeParser::local_to_utc_micros(std::int64_t local_micros) const {
  std::int64_t seconds = floor_div(local_micros, 1000000);
  std::int64_t rest = local_micros - seconds * 1000000;
  auto utc = local_to_utc_seconds(seconds);
  SLUICE_TRY(utc);
  std::int64_t out = 0;
  if (!scale(*utc, 1000000, out) || __builtin_add_overflow(out, rest, &out)) return out_of_range();
  return out;
}

Result<std::int64_t> parse_timestamp_millis(std::string_view text, const TimeSettings& settings) {
  auto parser = TimeParser::make(settings);
  SLUICE_TRY(parser);
  auto r = parser->timestamp_millis(text);
  if (!r.ok()) return invalid(fmt::format("{} is not a timestamp: {}", quote_for_message(text), r.error().message()));
  return r;
}

Result<std::int64_t> parse_timestamp_micros(std::string_view text, const TimeSettings& settings) {
  auto parser = TimeParser::make(settings);
  SLUICE_TRY(parser);
  auto r = parser->timestamp_micros(text);
  if (!r.ok()) return invalid(fmt::format("{} is not a timestamp: {}", quote_for_message(text), r.error().message()));
  return r;
}

// ---- durations -------------------------------------------------------------------------------

namespace {

constexpr std::string_view kDurationForms = "expected ISO-8601 (P1Y2M3DT4H5M6.5S, P2W) or units such as 1h30m";

// Decimal digits as a non-negative int64; false if there are none or too many.
bool read_count(Cursor& c, std::int64_t& out) {
  std::size_t start = c.i;
  out = 0;
  while (is_digit(c.peek())) {
    if (out > (std::numeric_limits<std::int64_t>::max() - (c.peek() - '0')) / 10) return false;
    out = out * 10 + (c.s[c.i++] - '0');
  }
  return c.i > start;
}

struct DurationSum {
  std::int64_t months = 0;
  std::int64_t days = 0;
  std::int64_t nanos = 0;

  // Adds count * unit to one of the parts; false on overflow.
  static bool add(std::int64_t& part, std::int64_t count, std::int64_t unit) {
    std::int64_t v = 0;
    return !__builtin_mul_overflow(count, unit, &v) && !__builtin_add_overflow(part, v, &part);
  }
};

Status iso_duration(Cursor& c, DurationSum& sum) {
  int units = 0;
  bool weeks = false;
  int rank = -1;  // the last unit read, to keep units in order
  while (!c.done() && c.peek() != 'T' && c.peek() != 't') {
    std::int64_t n = 0;
    if (!read_count(c, n)) return invalid(std::string(kDurationForms));
    static constexpr std::string_view kUnits = "ymwd";
    auto unit = kUnits.find(lower(c.peek()));
    if (c.done() || unit == std::string_view::npos || static_cast<int>(unit) <= rank) {
      return invalid(std::string(kDurationForms));
    }
    ++c.i;
    rank = static_cast<int>(unit);
    static constexpr std::array<std::int64_t, 4> kSizes{12, 1, 7, 1};
    if (!DurationSum::add(unit < 2 ? sum.months : sum.days, n, kSizes[unit])) return out_of_range();
    weeks = weeks || unit == 2;
    ++units;
  }
  if (c.eat('T') || c.eat('t')) {
    int time_units = 0;
    rank = -1;
    while (!c.done()) {
      std::int64_t n = 0;
      if (!read_count(c, n)) return invalid(std::string(kDurationForms));
      std::int32_t fraction = 0;
      bool has_fraction = c.eat('.');
      if (has_fraction && !c.fraction(fraction)) return invalid(std::string(kDurationForms));
      static constexpr std::string_view kUnits = "hms";
      auto unit = kUnits.find(lower(c.peek()));
      if (c.done() || unit == std::string_view::npos || static_cast<int>(unit) <= rank || (has_fraction && unit != 2)) {
        return invalid(std::string(kDurationForms));
      }
      ++c.i;
      rank = static_cast<int>(unit);
      static constexpr std::array<std::int64_t, 3> kSizes{3600 * kNanosPerSecond, 60 * kNanosPerSecond,
                                                          kNanosPerSecond};
      if (!DurationSum::add(sum.nanos, n, kSizes[unit]) || !DurationSum::add(sum.nanos, fraction, 1)) {
        return out_of_range();
      }
      ++time_units;
    }
    if (time_units == 0) return invalid(std::string(kDurationForms));
    units += time_units;
  }
  if (units == 0) return invalid(std::string(kDurationForms));
  if (weeks && units > 1) return invalid("weeks (W) cannot be combined with other units in ISO-8601");
  return {};
}

Status compact_duration(Cursor& c, DurationSum& sum) {
  // Units in the order they must come, with their part and size.
  struct Unit {
    std::string_view name;
    int part;  // 0 months, 1 days, 2 nanos
    std::int64_t size;
  };
  static constexpr std::array<Unit, 11> kUnits{{
      {"y", 0, 12},
      {"mo", 0, 1},
      {"w", 1, 7},
      {"d", 1, 1},
      {"h", 2, 3600 * kNanosPerSecond},
      {"m", 2, 60 * kNanosPerSecond},
      {"s", 2, kNanosPerSecond},
      {"ms", 2, 1000000},
      {"us", 2, 1000},
      {"\xC2\xB5s", 2, 1000},  // µs (U+00B5)
      {"ns", 2, 1},
  }};
  int last = -1;
  while (!c.done()) {
    std::int64_t n = 0;
    if (!read_count(c, n)) return invalid(std::string(kDurationForms));
    std::size_t start = c.i;
    while (!c.done() && !is_digit(c.peek())) ++c.i;
    std::string_view name = c.s.substr(start, c.i - start);
    int found = -1;
    for (std::size_t k = 0; k < kUnits.size(); ++k) {
      if (iequals(name, kUnits[k].name)) found = static_cast<int>(k);
    }
    if (found < 0) {
      if (name.empty()) return invalid(fmt::format("{} has no unit", n));
      return invalid(fmt::format("unknown unit {} (y, mo, w, d, h, m, s, ms, us, ns)", quote_for_message(name)));
    }
    // us and µs are one unit.
    int rank = found == 9 ? 8 : found;
    if (rank <= last) return invalid(fmt::format("unit {} out of order or repeated", quote_for_message(name)));
    last = rank;
    const Unit& u = kUnits[static_cast<std::size_t>(found)];
    std::int64_t& part = u.part == 0 ? sum.months : u.part == 1 ? sum.days : sum.nanos;
    if (!DurationSum::add(part, n, u.size)) return out_of_range();
  }
  return {};
}

}  // namespace

Result<cql::Duration> parse_duration(std::string_view text) {
  Cursor c{text};
  bool negative = c.eat('-');
  if (c.done()) return invalid(std::string(kDurationForms));
  DurationSum sum;
  if (c.eat('P') || c.eat('p')) {
    SLUICE_TRY(iso_duration(c, sum));
  } else {
    SLUICE_TRY(compact_duration(c, sum));
  }
  constexpr std::int64_t kMax32 = std::numeric_limits<std::int32_t>::max();
  if (sum.months > kMax32 || sum.days > kMax32) return out_of_range();
  cql::Duration d{static_cast<std::int32_t>(sum.months), static_cast<std::int32_t>(sum.days), sum.nanos};
  if (negative) d = cql::Duration{-d.months, -d.days, -d.nanos};
  return d;
}

}  // namespace sluice::codec
