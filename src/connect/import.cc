#include "connect/import.h"

#include "config/pipeline.h"

#include <fmt/format.h>
#include <simdjson.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <initializer_list>
#include <limits>
#include <map>
#include <optional>
#include <set>
#include <utility>

namespace sluice::connect {
namespace {

// ---------------------------------------------------------------------------------------------
// Text helpers

constexpr std::string_view kSpace = " \t\r\n\f";

std::string_view trim(std::string_view s) {
  const auto b = s.find_first_not_of(kSpace);
  if (b == std::string_view::npos) return {};
  const auto e = s.find_last_not_of(kSpace);
  return s.substr(b, e - b + 1);
}

char lower_char(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }
char upper_char(char c) { return (c >= 'a' && c <= 'z') ? static_cast<char>(c - 'a' + 'A') : c; }

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = lower_char(c);
  return out;
}

std::string upper(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = upper_char(c);
  return out;
}

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (lower_char(a[i]) != lower_char(b[i])) return false;
  }
  return true;
}

bool contains_ci(std::string_view haystack, std::string_view needle) {
  return lower(haystack).find(lower(needle)) != std::string::npos;
}

bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

// "a, b,c" or "[a, b]" (DataStax writes contact points in brackets): the trimmed, non-empty items.
std::vector<std::string> split_list(std::string_view s) {
  s = trim(s);
  if (s.size() >= 2 && s.front() == '[' && s.back() == ']') s = s.substr(1, s.size() - 2);
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start <= s.size()) {
    auto comma = s.find(',', start);
    if (comma == std::string_view::npos) comma = s.size();
    const auto item = trim(s.substr(start, comma - start));
    if (!item.empty()) out.emplace_back(item);
    start = comma + 1;
  }
  return out;
}

std::optional<std::int64_t> parse_int(std::string_view s) {
  s = trim(s);
  if (s.empty()) return std::nullopt;
  bool negative = false;
  std::size_t i = 0;
  if (s[0] == '-' || s[0] == '+') {
    negative = s[0] == '-';
    i = 1;
  }
  if (i == s.size()) return std::nullopt;
  std::int64_t v = 0;
  for (; i < s.size(); ++i) {
    if (!is_digit(s[i])) return std::nullopt;
    if (v > (std::numeric_limits<std::int64_t>::max() - (s[i] - '0')) / 10) return std::nullopt;
    v = v * 10 + (s[i] - '0');
  }
  return negative ? -v : v;
}

std::optional<bool> parse_bool(std::string_view s) {
  s = trim(s);
  if (iequals(s, "true")) return true;
  if (iequals(s, "false")) return false;
  return std::nullopt;
}

constexpr std::string_view kIdentifierRule =
    "sluice accepts only [A-Za-z_][A-Za-z0-9_]* up to 48 characters (quoted names are refused)";
constexpr std::string_view kReservedRule = "a CQL reserved word, which sluice refuses as a name";

// Why sluice would refuse `s` as a keyspace, table or column name (docs/pipeline.md, "Checks"), or
// empty when it is fine.
std::string_view identifier_problem(std::string_view s) {
  if (s.empty() || s.size() > 48 || (!is_alpha(s[0]) && s[0] != '_') ||
      !std::all_of(s.begin(), s.end(), [](char c) { return is_alpha(c) || is_digit(c) || c == '_'; })) {
    return kIdentifierRule;
  }
  if (config::is_reserved_word(s)) return kReservedRule;
  return {};
}

bool is_topic_name(std::string_view s) {
  if (s.empty() || s.size() > 249 || s == "." || s == "..") return false;
  return std::all_of(s.begin(), s.end(),
                     [](char c) { return is_alpha(c) || is_digit(c) || c == '.' || c == '_' || c == '-'; });
}

// Keys whose values must never be copied anywhere: the pipeline file, the lists, the comments.
bool is_secret_key(std::string_view key) {
  const std::string k = lower(key);
  // keystore.key: Kafka's ssl.keystore.key holds a PEM private key itself, not a path.
  static constexpr std::array<std::string_view, 9> kMarks = {
      "password", "passwd", "secret", "jaas", "token", "user.info", "credentials", "apikey", "keystore.key"};
  if (std::any_of(kMarks.begin(), kMarks.end(), [&](std::string_view m) { return k.find(m) != std::string::npos; })) {
    return true;
  }
  // "api.key" as whole segments (not the tail of "gssapi.keyTab").
  return k == "api.key" || k.find(".api.key") != std::string::npos || k.compare(0, 8, "api.key.") == 0;
}

// Control characters out, long values clipped (at a UTF-8 character boundary).
std::string printable(std::string_view s, std::size_t max = 120) {
  std::string out;
  std::size_t n = s.size();
  bool clipped = false;
  if (n > max) {
    n = max;
    while (n > 0 && (static_cast<unsigned char>(s[n]) & 0xC0) == 0x80) --n;
    clipped = true;
  }
  for (std::size_t i = 0; i < n; ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    out += c < 0x20 || c == 0x7f ? ' ' : s[i];
  }
  if (clipped) out += "...";
  return out;
}

std::string shown_value(std::string_view key, std::string_view value) {
  if (is_secret_key(key)) return "<redacted>";
  if (value.substr(0, 7) == "base64:") return "<base64 content>";  // secure connect bundles, keystores
  return printable(value);
}

// ---------------------------------------------------------------------------------------------
// YAML scalars: plain when that cannot be misread, else double-quoted.

bool plain_safe(std::string_view s) {
  if (s.empty()) return false;
  if (!is_alpha(s[0]) && s[0] != '_' && s[0] != '/') return false;
  static constexpr std::array<std::string_view, 14> kSpecial = {"true", "false", "yes", "no",  "on", "off", "y",
                                                                "n",    "null",  "nan", "inf", "~",  "=",   "<<"};
  if (std::any_of(kSpecial.begin(), kSpecial.end(), [&](std::string_view w) { return iequals(s, w); })) return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return is_alpha(c) || is_digit(c) || c == '_' || c == '.' || c == '/' || c == '-' || c == '@' || c == '+' ||
           c == '(' || c == ')';
  });
}

// `force`: double-quoted even when plain would do (librdkafka property values, as docs/pipeline.md writes them).
std::string yq(std::string_view s, bool force = false) {
  if (!force && plain_safe(s)) return std::string(s);
  std::string out = "\"";
  for (char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    switch (ch) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\t': out += "\\t"; break;
      case '\r': out += "\\r"; break;
      default:
        if (c < 0x20 || c == 0x7f) {
          out += fmt::format("\\x{:02x}", c);
        } else {
          out += ch;
        }
    }
  }
  out += '"';
  return out;
}

std::string flow_list(const std::vector<std::string>& items) {
  std::string out = "[";
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (i > 0) out += ", ";
    out += yq(items[i]);
  }
  return out + "]";
}

// One value written into the pipeline file (already YAML) with the comment saying where it came from.
struct Out {
  std::string yaml;
  std::string comment;
};
using Slot = std::optional<Out>;

Out str_out(std::string_view v, std::string comment) { return Out{yq(v), std::move(comment)}; }
Out int_out(std::int64_t v, std::string comment) { return Out{std::to_string(v), std::move(comment)}; }
Out bool_out(bool v, std::string comment) { return Out{v ? "true" : "false", std::move(comment)}; }

class YamlWriter {
 public:
  void comment(int indent, std::string_view text) {
    pad(indent);
    out_ += "# ";
    out_ += printable(text, 4000);
    out_ += '\n';
  }
  void line(int indent, std::string_view text, std::string_view comment = {}) {
    pad(indent);
    out_ += text;
    if (!comment.empty()) {
      out_ += "  # ";
      out_ += printable(comment, 4000);
    }
    out_ += '\n';
  }
  void kv(int indent, std::string_view key, const Out& v) {
    line(indent, fmt::format("{}: {}", yq(key), v.yaml), v.comment);
  }
  void kv(int indent, std::string_view key, const Slot& v) {
    if (v) kv(indent, key, *v);
  }
  void blank() { out_ += '\n'; }
  std::string take() { return std::move(out_); }

 private:
  void pad(int indent) { out_.append(static_cast<std::size_t>(indent), ' '); }
  std::string out_;
};

// ---------------------------------------------------------------------------------------------
// Java TimeUnit names, as DataStax's ttlTimeUnit, timestampTimeUnit and codec.unit take them.

struct TimeUnit {
  std::string_view java;
  std::string_view sluice;  // empty: no sluice unit of that name
  std::int64_t nanos;
};

constexpr std::array<TimeUnit, 7> kTimeUnits = {{
    {"NANOSECONDS", "nanoseconds", 1},
    {"MICROSECONDS", "microseconds", 1000},
    {"MILLISECONDS", "milliseconds", 1000000},
    {"SECONDS", "seconds", 1000000000},
    {"MINUTES", "", 60LL * 1000000000},
    {"HOURS", "", 3600LL * 1000000000},
    {"DAYS", "", 86400LL * 1000000000},
}};

const TimeUnit* find_time_unit(std::string_view s) {
  for (const auto& u : kTimeUnits) {
    if (iequals(trim(s), u.java)) return &u;
  }
  return nullptr;
}

constexpr std::string_view kTimeUnitList = "NANOSECONDS, MICROSECONDS, MILLISECONDS, SECONDS, MINUTES, HOURS or DAYS";

constexpr std::array<std::string_view, 9> kWriteConsistencies = {
    "ANY", "ONE", "TWO", "THREE", "QUORUM", "ALL", "LOCAL_QUORUM", "EACH_QUORUM", "LOCAL_ONE"};

bool is_write_consistency(std::string_view s) {
  return std::find(kWriteConsistencies.begin(), kWriteConsistencies.end(), s) != kWriteConsistencies.end();
}

// A java.time.format.DateTimeFormatter pattern as a strftime pattern, for the subset that maps
// one to one. On failure `error` says which letter does not.
std::optional<std::string> java_pattern_to_strftime(std::string_view p, std::string& error) {
  std::string out;
  std::size_t i = 0;
  while (i < p.size()) {
    const char c = p[i];
    if (c == '\'') {  // quoted literal; '' is a quote
      if (i + 1 < p.size() && p[i + 1] == '\'') {
        out += '\'';
        i += 2;
        continue;
      }
      const auto end = p.find('\'', i + 1);
      if (end == std::string_view::npos) {
        error = "an unterminated quoted literal";
        return std::nullopt;
      }
      for (char lit : p.substr(i + 1, end - i - 1)) out += lit == '%' ? std::string("%%") : std::string(1, lit);
      i = end + 1;
      continue;
    }
    if (!is_alpha(c)) {
      if (c == '[' || c == ']' || c == '{' || c == '}' || c == '#') {
        error = fmt::format("`{}` (optional sections and reserved characters)", c);
        return std::nullopt;
      }
      out += c == '%' ? std::string("%%") : std::string(1, c);
      ++i;
      continue;
    }
    std::size_t n = 1;
    while (i + n < p.size() && p[i + n] == c) ++n;
    const std::string run(n, c);
    // Java letter runs and the directives of sluice's TimeParser (src/codec/time.h).
    static constexpr std::array<std::pair<std::string_view, std::string_view>, 28> kRuns = {{
        {"yyyy", "%Y"}, {"uuuu", "%Y"}, {"M", "%m"},  {"MM", "%m"},  {"MMM", "%b"},  {"MMMM", "%B"}, {"d", "%d"},
        {"dd", "%d"},   {"H", "%H"},    {"HH", "%H"}, {"h", "%I"},   {"hh", "%I"},   {"a", "%p"},    {"m", "%M"},
        {"mm", "%M"},   {"s", "%S"},    {"ss", "%S"}, {"EEE", "%a"}, {"EEEE", "%A"}, {"X", "%z"},    {"XX", "%z"},
        {"XXX", "%z"},  {"x", "%z"},    {"xx", "%z"}, {"xxx", "%z"}, {"Z", "%z"},    {"ZZ", "%z"},   {"ZZZ", "%z"},
    }};
    const auto* hit =
        std::find_if(kRuns.begin(), kRuns.end(), [&](const auto& r) { return r.first == std::string_view(run); });
    if (hit != kRuns.end()) {
      out += hit->second;
    } else if (c == 'S') {  // fraction of a second, any number of digits
      out += "%f";
    } else {
      error = fmt::format("the pattern letters `{}`, which have no strftime equivalent sluice reads", run);
      return std::nullopt;
    }
    i += n;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Expressions of a mapping, DataStax's and KCQL's, as sluice expressions.

// A path segment of value.<path> / key.<path>: no separators, quotes or spaces.
bool is_path_segment(std::string_view s) {
  if (s.empty()) return false;
  return std::none_of(s.begin(), s.end(), [](char c) {
    const auto u = static_cast<unsigned char>(c);
    return u <= 0x20 || c == '.' || c == ',' || c == '=' || c == '"' || c == '`' || c == '\'' || c == '\\' ||
           c == '#' || c == '(' || c == ')' || c == '[' || c == ']' || c == '{' || c == '}' || c == ':';
  });
}

bool is_path(std::string_view s) {
  if (s.empty()) return false;
  std::size_t start = 0;
  while (true) {
    const auto dot = s.find('.', start);
    if (!is_path_segment(s.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start))) {
      return false;
    }
    if (dot == std::string_view::npos) return true;
    start = dot + 1;
  }
}

// DataStax's right-hand side: key, value, key.<path>, value.<path>, header.<name>, now().
std::optional<std::string> datastax_expression(std::string_view e, std::string& error) {
  e = trim(e);
  if (e == "key" || e == "value") return std::string(e);
  if (iequals(e, "now()")) return std::string("now()");
  for (std::string_view prefix : {"key.", "value."}) {
    if (e.substr(0, prefix.size()) == prefix) {
      if (is_path(e.substr(prefix.size()))) return std::string(e);
      error = "a field path sluice reads has plain segments separated by dots (no quotes, spaces or brackets)";
      return std::nullopt;
    }
  }
  if (e.substr(0, 7) == "header.") {
    if (is_path_segment(e.substr(7)) || is_path(e.substr(7))) return std::string(e);
    error = "not a header name sluice reads";
    return std::nullopt;
  }
  error = "sluice's expressions are key, value, key.<path>, value.<path>, header.<name> and now()";
  return std::nullopt;
}

// ---------------------------------------------------------------------------------------------
// KCQL: INSERT INTO <table> SELECT <field [AS col], ...|*> FROM <topic> [TTL=<n>]

struct KcqlField {
  bool star = false;
  std::string expr;
  std::string alias;
};

struct Kcql {
  std::string table;
  std::vector<KcqlField> fields;
  std::string topic;
  std::optional<std::int64_t> ttl;
  std::string rest;  // clauses after FROM that are not TTL
};

class KcqlCursor {
 public:
  explicit KcqlCursor(std::string_view s) : s_(s) {}
  void ws() {
    while (i_ < s_.size() && kSpace.find(s_[i_]) != std::string_view::npos) ++i_;
  }
  bool at_end() {
    ws();
    return i_ >= s_.size();
  }
  bool keyword(std::string_view kw) {
    ws();
    if (s_.size() - i_ < kw.size() || !iequals(s_.substr(i_, kw.size()), kw)) return false;
    const std::size_t after = i_ + kw.size();
    if (after < s_.size() && (is_alpha(s_[after]) || is_digit(s_[after]) || s_[after] == '_')) return false;
    i_ = after;
    return true;
  }
  bool eat(char c) {
    ws();
    if (i_ < s_.size() && s_[i_] == c) {
      ++i_;
      return true;
    }
    return false;
  }
  // A backtick-quoted name, or a run of characters up to white space or one of `stops`.
  std::string name(std::string_view stops) {
    ws();
    if (i_ < s_.size() && s_[i_] == '`') {
      const auto end = s_.find('`', i_ + 1);
      if (end == std::string_view::npos) return {};
      std::string out(s_.substr(i_ + 1, end - i_ - 1));
      i_ = end + 1;
      return out;
    }
    const std::size_t start = i_;
    while (i_ < s_.size() && kSpace.find(s_[i_]) == std::string_view::npos &&
           stops.find(s_[i_]) == std::string_view::npos) {
      ++i_;
    }
    return std::string(s_.substr(start, i_ - start));
  }
  std::string digits() {
    ws();
    const std::size_t start = i_;
    while (i_ < s_.size() && is_digit(s_[i_])) ++i_;
    return std::string(s_.substr(start, i_ - start));
  }
  std::string_view rest() {
    ws();
    return trim(s_.substr(i_));
  }

 private:
  std::string_view s_;
  std::size_t i_ = 0;
};

std::optional<Kcql> parse_kcql(std::string_view statement, std::string& error) {
  KcqlCursor c(statement);
  Kcql k;
  constexpr std::string_view kShape = "expected INSERT INTO <table> SELECT <fields> FROM <topic> [TTL=<seconds>]";
  if (!c.keyword("INSERT") || !c.keyword("INTO")) {
    error = kShape;
    return std::nullopt;
  }
  k.table = c.name(",;");
  if (k.table.empty() || !c.keyword("SELECT")) {
    error = kShape;
    return std::nullopt;
  }
  while (true) {
    KcqlField f;
    if (c.eat('*')) {
      f.star = true;
    } else {
      f.expr = c.name(",");
      if (f.expr.empty() || iequals(f.expr, "FROM")) {
        error = "a SELECT without fields";
        return std::nullopt;
      }
      if (c.keyword("AS")) {
        f.alias = c.name(",");
        if (f.alias.empty()) {
          error = fmt::format("AS without a column name after `{}`", f.expr);
          return std::nullopt;
        }
      }
    }
    k.fields.push_back(std::move(f));
    if (!c.eat(',')) break;
  }
  if (!c.keyword("FROM")) {
    error = kShape;
    return std::nullopt;
  }
  k.topic = c.name(";");
  if (k.topic.empty()) {
    error = kShape;
    return std::nullopt;
  }
  while (!c.at_end()) {
    if (c.keyword("TTL")) {
      if (!c.eat('=')) {
        error = "TTL without `=<seconds>`";
        return std::nullopt;
      }
      const auto n = parse_int(c.digits());
      if (!n) {
        error = "TTL is not a number of seconds";
        return std::nullopt;
      }
      k.ttl = *n;
      continue;
    }
    k.rest = std::string(c.rest());
    break;
  }
  return k;
}

// Splits connect.cassandra.kcql on `;` outside backticks and quotes.
std::vector<std::string> split_statements(std::string_view s) {
  std::vector<std::string> out;
  std::string cur;
  char quote = 0;
  for (char c : s) {
    if (quote != 0) {
      if (c == quote) quote = 0;
      cur += c;
    } else if (c == '`' || c == '\'') {
      quote = c;
      cur += c;
    } else if (c == ';') {
      if (!trim(cur).empty()) out.emplace_back(trim(cur));
      cur.clear();
    } else {
      cur += c;
    }
  }
  if (!trim(cur).empty()) out.emplace_back(trim(cur));
  return out;
}

// A KCQL field as a sluice expression: a plain path is a field of the value; the newer sink's
// _key / _value / _header prefixes name the part of the record.
std::optional<std::string> kcql_expression(std::string_view f, std::string& error) {
  struct Prefix {
    std::string_view kcql;
    std::string_view sluice;
  };
  static constexpr std::array<Prefix, 3> kParts = {{{"_key", "key"}, {"_value", "value"}, {"_header", "header"}}};
  for (const auto& p : kParts) {
    if (f == p.kcql && p.sluice != "header") return std::string(p.sluice);
    if (f.size() > p.kcql.size() + 1 && f.substr(0, p.kcql.size()) == p.kcql && f[p.kcql.size()] == '.') {
      const auto path = f.substr(p.kcql.size() + 1);
      if (!is_path(path)) break;
      return fmt::format("{}.{}", p.sluice, path);
    }
  }
  static constexpr std::array<Prefix, 4> kMeta = {
      {{"_topic", "topic"}, {"_partition", "partition"}, {"_offset", "offset"}, {"_timestamp", "timestamp"}}};
  for (const auto& m : kMeta) {
    if (f == m.kcql) return std::string(m.sluice);
  }
  if (is_path(f)) return fmt::format("value.{}", f);
  error = "not a field path sluice reads (plain segments separated by dots)";
  return std::nullopt;
}

// ---------------------------------------------------------------------------------------------
// The pipeline being built.

struct FieldUnit {
  std::string field;
  std::string unit;
  std::string comment;
};

struct SourceSpec {
  std::string name;
  std::vector<std::string> topics;
  std::string pattern;
  std::string comment;
  Slot start;
  Slot zone, timestamp_format, date_format, time_format, epoch_unit;
  bool has_sink = false;
  bool value_fields = false;  // a sink reads value.<path>
  bool key_fields = false;    // a sink reads key.<path>
};

struct SinkSpec {
  std::string topic;
  std::string from;
  std::string table;
  std::string comment;
  std::vector<std::pair<std::string, std::string>> mapping;
  std::string mapping_comment;
  Slot ttl;
  std::optional<FieldUnit> ttl_field, writetime_field;
  Slot deletes, null_to_unset, consistency, query;
};

struct Converter {
  bool set = false;
  std::string cls;
  std::string format;  // json, avro, string, bytes; empty when unknown or not set
  bool envelope = false;
  std::string envelope_comment;
};

enum class Flavour { datastax, lenses };

int policy_rank(std::string_view p) {
  if (p == "none") return 0;
  if (p == "driver") return 1;
  return 2;
}

// ---------------------------------------------------------------------------------------------

class Importer {
 public:
  Importer(const std::vector<Setting>& all, std::string_view file_name) : file_name_(file_name) {
    std::map<std::string, int, std::less<>> first_line;
    for (const auto& s : all) {
      auto it = index_.find(s.key);
      if (it == index_.end()) {
        index_.emplace(s.key, settings_.size());
        settings_.push_back(s);
        first_line.emplace(s.key, s.line);
      } else {
        settings_[it->second].value = s.value;
        if (s.line > 0) {
          notes_.push_back(
              fmt::format("{} is set more than once (lines {} and {}): the last value is used, as in Kafka "
                          "Connect",
                          s.key, first_line[s.key], s.line));
        } else {
          notes_.push_back(fmt::format("{} is set more than once: the last value is used, as in Kafka Connect", s.key));
        }
      }
    }
    used_.assign(settings_.size(), false);
  }

  Result<ImportResult> run() {
    if (settings_.empty()) {
      return Error(Errc::invalid_argument, fmt::format("{}: no settings in the file", file_name_));
    }
    auto flavour = detect_flavour();
    if (!flavour.ok()) return flavour.error();
    flavour_ = *flavour;
    translate_name();
    translate_converters();
    translate_topics();
    if (flavour_ == Flavour::datastax) {
      translate_datastax_connection();
      translate_datastax_security();
      translate_datastax_tables();
    } else {
      translate_lenses();
    }
    translate_errors();
    translate_consumer_overrides();
    translate_framework();
    for (std::size_t i = 0; i < settings_.size(); ++i) {
      if (!used_[i]) drop(settings_[i], "not a setting sluice knows how to translate");
    }
    finish();

    ImportResult r;
    std::stable_sort(untranslated_.begin(), untranslated_.end(),
                     [](const auto& a, const auto& b) { return a.first < b.first; });
    for (auto& [pos, text] : untranslated_) r.untranslated.push_back(std::move(text));
    r.notes = std::move(notes_);
    r.pipeline_yaml = emit(r);
    return r;
  }

 private:
  // --- settings access ------------------------------------------------------------------------

  const Setting* find(std::string_view key) const {
    auto it = index_.find(key);
    return it == index_.end() ? nullptr : &settings_[it->second];
  }
  std::size_t pos(const Setting& s) const { return static_cast<std::size_t>(&s - settings_.data()); }
  void use(const Setting& s) { used_[pos(s)] = true; }
  const Setting* take(std::string_view key) {
    const Setting* s = find(key);
    if (s != nullptr) use(*s);
    return s;
  }
  // Not carried over: "key=value: reason".
  void drop(const Setting& s, std::string_view reason) {
    use(s);
    untranslated_.emplace_back(pos(s), fmt::format("{}={}: {}", s.key, shown_value(s.key, s.value), reason));
  }
  // Part of a setting not carried over: "key (part): reason".
  void drop_part(const Setting& s, std::string_view part, std::string_view reason) {
    use(s);
    untranslated_.emplace_back(pos(s), fmt::format("{} ({}): {}", s.key, printable(part), reason));
  }
  void note(std::string text) { notes_.push_back(std::move(text)); }

  std::optional<std::int64_t> positive(const Setting& s, std::int64_t max) {
    use(s);
    const auto n = parse_int(s.value);
    if (!n || *n <= 0 || *n > max) {
      drop(s, fmt::format("not a whole number from 1 to {}", max));
      return std::nullopt;
    }
    return n;
  }

  std::vector<const Setting*> with_prefix(std::string_view prefix) const {
    std::vector<const Setting*> out;
    for (const auto& s : settings_) {
      if (s.key.size() > prefix.size() && s.key.compare(0, prefix.size(), prefix) == 0) out.push_back(&s);
    }
    return out;
  }
  bool is_used(const Setting& s) const { return used_[pos(s)]; }

  // --- connector and name ---------------------------------------------------------------------

  Result<Flavour> detect_flavour() {
    if (const Setting* cls = take("connector.class")) {
      connector_class_ = std::string(trim(cls->value));
      if (contains_ci(connector_class_, "datastax")) return Flavour::datastax;
      if (contains_ci(connector_class_, "streamreactor") || contains_ci(connector_class_, "datamountaineer") ||
          contains_ci(connector_class_, "lenses")) {
        return Flavour::lenses;
      }
      return Error(Errc::invalid_argument,
                   fmt::format("{}: connector.class {} is not a Cassandra sink sluice can import (the DataStax Apache "
                               "Kafka Connector or the Lenses Stream Reactor Cassandra sink)",
                               file_name_, printable(connector_class_)));
    }
    if (!with_prefix("connect.cassandra.").empty()) return Flavour::lenses;
    if (!with_prefix("topic.").empty() || find("contactPoints") != nullptr ||
        find("loadBalancing.localDc") != nullptr) {
      return Flavour::datastax;
    }
    return Error(Errc::invalid_argument,
                 fmt::format("{}: neither a connector.class nor Cassandra-sink settings (contactPoints, topic.<topic>."
                             "<keyspace>.<table>.mapping, connect.cassandra.*): not a Cassandra sink configuration",
                             file_name_));
  }

  // sluice's pipeline names: letters, digits, '_', '-' and '.', up to 100 characters.
  static std::string pipeline_name(std::string_view raw) {
    std::string out;
    for (char c : raw.substr(0, 100)) out += (is_alpha(c) || is_digit(c) || c == '_' || c == '-' || c == '.') ? c : '_';
    return out;
  }

  void translate_name() {
    const Setting* s = take("name");
    if (s != nullptr && !trim(s->value).empty()) {
      const std::string connector(trim(s->value));
      name_ = pipeline_name(connector);
      p_name_ = str_out(name_, "name");
      if (name_ != connector) {
        p_name_.comment = fmt::format("name={} with the characters sluice refuses as '_'", printable(connector));
        note(
            fmt::format("name {}: the connector's name {} has characters a pipeline name cannot have (letters, "
                        "digits, '_', '-' and '.' only, up to 100)",
                        name_, printable(connector)));
      }
      const std::string group = "connect-" + connector;
      group_id_ = str_out(group, "Kafka Connect's consumer group for this connector: connect-<name>");
      note(
          fmt::format("kafka.group_id {}: the consumer group Kafka Connect used, so sluice starts from the "
                      "connector's committed offsets; stop the connector before starting sluice, or the two share "
                      "the group",
                      printable(group)));
      return;
    }
    std::string_view base = file_name_;
    if (const auto slash = base.find_last_of('/'); slash != std::string_view::npos) base = base.substr(slash + 1);
    if (const auto dot = base.find('.'); dot != std::string_view::npos) base = base.substr(0, dot);
    name_ = pipeline_name(base);
    if (name_.empty()) name_ = "connect";
    p_name_ = str_out(name_, "no name in the configuration: the file's name");
    note(
        fmt::format("no name in the configuration: the pipeline is called {} and kafka.group_id is left at sluice's "
                    "default; set it to connect-<connector name> to start from Kafka Connect's committed offsets",
                    name_));
  }

  // --- converters -----------------------------------------------------------------------------

  void translate_converters() {
    value_ = translate_converter("value.converter", "value", "format", "json");
    key_ = translate_converter("key.converter", "key", "key_format", "string");
  }

  Converter translate_converter(const std::string& prefix, std::string_view part, std::string_view sluice_key,
                                std::string_view sluice_default) {
    Converter c;
    if (const Setting* s = take(prefix)) {
      c.set = true;
      c.cls = std::string(trim(s->value));
      std::string_view simple = c.cls;
      if (const auto dot = simple.find_last_of('.'); dot != std::string_view::npos) simple = simple.substr(dot + 1);
      if (simple == "JsonConverter") {
        c.format = "json";
      } else if (simple == "AvroConverter") {
        c.format = "avro";
      } else if (simple == "StringConverter") {
        c.format = "string";
      } else if (simple == "ByteArrayConverter") {
        c.format = "bytes";
      } else {
        drop(*s, fmt::format("sluice reads json, avro (Confluent wire format), string or bytes; {} left at sluice's "
                             "default {}",
                             sluice_key, sluice_default));
      }
    } else {
      note(
          fmt::format("{} is not set in the connector, so the Connect worker's converter applied; {} is left at "
                      "sluice's default {}: check that it matches",
                      prefix, sluice_key, sluice_default));
    }

    if (const Setting* e = take(prefix + ".schemas.enable")) {
      const auto b = parse_bool(e->value);
      if (!c.set) {
        drop(*e, fmt::format("applies only with {} set in the same configuration", prefix));
      } else if (c.format != "json") {
        drop(*e, "applies only to JsonConverter");
      } else if (!b) {
        drop(*e, "not true or false");
      } else {
        c.envelope = *b;
        c.envelope_comment = fmt::format("{}.schemas.enable={}", prefix, *b ? "true" : "false");
      }
    } else if (c.set && c.format == "json") {
      c.envelope = true;  // JsonConverter's default
      c.envelope_comment = fmt::format("{}.schemas.enable not set: JsonConverter's default is true", prefix);
    }
    if (c.envelope) {
      note(
          fmt::format("{}: records carry JsonConverter's {{\"schema\", \"payload\"}} envelope, so mapping paths read "
                      "{}.payload.<field> ({})",
                      prefix, part, c.envelope_comment));
    }

    for (const Setting* s : with_prefix(prefix + ".")) {
      if (is_used(*s)) continue;
      if (s->key == prefix + ".schema.registry.url") {
        drop(*s,
             "sluice has no schema-registry client: put each writer schema in the source's schemas/ directory as "
             "<id>.avsc");
      } else {
        drop(*s, "a converter setting with no sluice equivalent");
      }
    }
    return c;
  }

  // --- topics ---------------------------------------------------------------------------------

  void translate_topics() {
    const Setting* topics = take("topics");
    const Setting* regex = take("topics.regex");
    if (topics != nullptr) {
      for (const auto& t : split_list(topics->value)) {
        if (!is_topic_name(t)) {
          drop_part(*topics, t, "not a legal Kafka topic name");
          continue;
        }
        if (source_index(t)) continue;
        SourceSpec src;
        src.name = t;
        src.topics = {t};
        src.comment = "topics";
        sources_.push_back(std::move(src));
      }
    }
    if (regex != nullptr) {
      if (topics != nullptr) {
        drop(*regex, "Kafka Connect refuses topics and topics.regex together; topics was used");
      } else {
        std::string_view r = trim(regex->value);
        if (!r.empty() && r.front() == '^') r.remove_prefix(1);
        if (!r.empty() && r.back() == '$' && (r.size() < 2 || r[r.size() - 2] != '\\')) r.remove_suffix(1);
        SourceSpec src;
        src.name = name_;
        src.pattern = fmt::format("^({})$", r);
        src.comment = "topics.regex";
        note(
            fmt::format("topics.regex {} became topic_pattern {}: Kafka Connect matched the whole topic name with a "
                        "Java regex, librdkafka uses POSIX extended regex syntax: check constructs such as (?i), \\d "
                        "or lazy quantifiers",
                        printable(regex->value), src.pattern));
        regex_source_ = true;
        sources_.push_back(std::move(src));
      }
    }
    if (topics == nullptr && regex == nullptr) {
      infer_sources_ = true;
      note(
          "neither topics nor topics.regex is set (Kafka Connect requires one): a source is made for each topic the "
          "table settings name");
    }
  }

  std::optional<std::size_t> source_index(std::string_view name) const {
    for (std::size_t i = 0; i < sources_.size(); ++i) {
      if (sources_[i].name == name) return i;
    }
    return std::nullopt;
  }

  // The source a topic's records come from, or nullopt when Connect would not have read it.
  std::optional<std::size_t> source_for(const std::string& topic) {
    if (regex_source_) return 0;
    if (auto i = source_index(topic)) return i;
    if (!infer_sources_ || !is_topic_name(topic)) return std::nullopt;
    SourceSpec src;
    src.name = topic;
    src.topics = {topic};
    src.comment = "named by the table settings (topics is not set)";
    sources_.push_back(std::move(src));
    return sources_.size() - 1;
  }

  // --- DataStax: connection -------------------------------------------------------------------

  void translate_datastax_connection() {
    if (const Setting* s = take("contactPoints")) {
      auto points = split_list(s->value);
      if (points.empty()) {
        drop(*s, "no contact points in it");
      } else {
        contact_points_ = Out{flow_list(points), "contactPoints"};
      }
    } else if (find("cloud.secureConnectBundle") == nullptr) {
      contact_points_ = Out{flow_list({"localhost"}), "contactPoints not set: DataStax's default"};
    } else {
      contact_points_ = Out{flow_list({"localhost"}), "placeholder: the secure connect bundle named the nodes"};
    }
    if (const Setting* s = take("port")) {
      if (auto n = positive(*s, 65535)) port_ = int_out(*n, "port");
    }
    if (const Setting* s = take("loadBalancing.localDc")) {
      if (!trim(s->value).empty()) {
        local_dc_ = str_out(trim(s->value), "loadBalancing.localDc");
      } else {
        use(*s);
      }
    }
    if (const Setting* s = take("maxConcurrentRequests")) {
      if (auto n = positive(*s, 1000000)) max_in_flight_ = int_out(*n, "maxConcurrentRequests");
    }
    if (const Setting* s = take("maxNumberOfRecordsInBatch")) {
      if (auto n = positive(*s, 1000000)) max_batch_rows_ = int_out(*n, "maxNumberOfRecordsInBatch");
    }
    if (const Setting* s = take("queryExecutionTimeout")) {
      if (auto n = positive(*s, 86400)) {
        request_timeout_ms_ = int_out(*n * 1000, fmt::format("queryExecutionTimeout={} (seconds)", *n));
      }
    }
    if (const Setting* s = take("connectionPoolLocalSize")) {
      if (auto n = positive(*s, 1024)) connections_per_host_ = int_out(*n, "connectionPoolLocalSize");
    }
    if (const Setting* s = take("compression")) {
      const std::string v = lower(trim(s->value));
      if (v == "none") {
        compression_ = str_out("none", "compression=None");
        note("cassandra.compression none kept from compression=None; sluice's default is lz4");
      } else if (v == "lz4") {
        compression_ = str_out("lz4", "compression=LZ4");
      } else {
        drop(*s, "sluice compresses with lz4 (its default) or not at all (none)");
      }
    }
    if (const Setting* s = take("jmx")) {
      drop(*s, "sluice exposes its metrics for Prometheus at admin.listen (/metrics), not over JMX");
    }
    if (const Setting* s = take("cloud.secureConnectBundle")) {
      drop(*s,
           "Astra secure connect bundles are not supported: take ca.crt from the bundle as cassandra.tls.ca_file "
           "and the host and port in its config.json as the contact point");
    }
    for (const Setting* s : with_prefix("datastax-java-driver.")) {
      drop(*s, "a DataStax Java driver setting: sluice does not use that driver");
    }
  }

  // --- DataStax: auth and TLS -----------------------------------------------------------------

  void translate_datastax_security() {
    bool gssapi = false;
    if (const Setting* s = take("auth.provider")) {
      const std::string v = upper(trim(s->value));
      if (v == "GSSAPI") {
        gssapi = true;
        drop(*s, "Kerberos is not supported");
      } else if (v != "NONE" && v != "PLAIN" && v != "DSE") {
        drop(*s, "not an auth provider DataStax documents (None, PLAIN, DSE, GSSAPI)");
      }
    }
    for (const Setting* s : with_prefix("auth.gssapi.")) {
      drop(*s, "only used by auth.provider=GSSAPI (Kerberos), which sluice does not support");
    }
    if (const Setting* s = take("auth.username")) {
      if (gssapi) {
        drop(*s, "not used with auth.provider=GSSAPI");
      } else if (!trim(s->value).empty()) {
        username_ = str_out(trim(s->value), "auth.username");
      }
    }
    if (const Setting* s = take("auth.password")) {
      if (gssapi) {
        drop(*s, "not used with auth.provider=GSSAPI");
      } else if (!s->value.empty()) {
        password_from("auth.password");
      }
    }

    std::string provider = "NONE";
    if (const Setting* s = take("ssl.provider")) provider = upper(trim(s->value));
    const bool tls = provider == "JDK" || provider == "OPENSSL";
    if (!tls && provider != "NONE") {
      drop(*find("ssl.provider"), "not an SSL provider DataStax documents (None, JDK, OpenSSL)");
    }
    if (tls) {
      tls_ = true;
      tls_comment_ = fmt::format("ssl.provider={}", printable(find("ssl.provider")->value));
    }
    for (const Setting* s : with_prefix("ssl.")) {
      if (is_used(*s)) continue;
      if (!tls) {
        drop(*s, "ssl.provider is None, so Kafka Connect did not use it");
        continue;
      }
      const std::string_view k = s->key;
      if (k == "ssl.truststore.path") {
        truststore(*s);
      } else if (k == "ssl.truststore.password") {
        drop(*s, "a PEM CA file (cassandra.tls.ca_file) needs no password");
      } else if (k == "ssl.hostnameValidation") {
        if (auto b = parse_bool(s->value); b && *b) {
          use(*s);  // sluice always checks that a node's certificate names it
        } else {
          drop(*s,
               "sluice always checks that a node's certificate names the address it connects to; give the nodes "
               "certificates that name them");
        }
      } else if (k == "ssl.openssl.keyCertChain" || k == "ssl.openssl.privateKey") {
        use(*s);  // PEM files already: the client certificate for mutual TLS
        (k == "ssl.openssl.keyCertChain" ? cert_file_ : key_file_) = str_out(s->value, s->key);
      } else if (k == "ssl.keystore.path" || k == "ssl.keystore.password") {
        drop(*s, "a Java keystore: export the client certificate and key as PEM files and set cassandra.tls.cert_file and key_file");
      } else if (k == "ssl.cipherSuites") {
        if (trim(s->value).empty()) {
          use(*s);
        } else {
          drop(*s, "sluice has no cipher-suite setting");
        }
      } else {
        drop(*s, "not an SSL setting sluice knows");
      }
    }
    finish_tls();
  }

  void password_from(std::string_view key) {
    password_env_ = str_out("CASSANDRA_PASSWORD", fmt::format("{}: not copied; set CASSANDRA_PASSWORD", key));
    note(
        fmt::format("cassandra.password_env CASSANDRA_PASSWORD: the password in {} is not copied into the pipeline "
                    "file; set the environment variable CASSANDRA_PASSWORD to it (or use password_file)",
                    key));
  }

  void truststore(const Setting& s) {
    drop(s,
         "a Java keystore; sluice needs a PEM CA file: export the CA certificate with keytool -exportcert -rfc and "
         "set cassandra.tls.ca_file to it");
    if (!trim(s.value).empty()) {
      tls_lines_.push_back(
          fmt::format("{}={} is a Java keystore: export its CA certificate as PEM", s.key, printable(s.value)));
      tls_lines_.push_back(fmt::format("(keytool -exportcert -rfc -keystore {} -alias <ca>) and put its path here.",
                                       printable(s.value)));
    }
  }

  void finish_tls() {
    if (!tls_) return;
    if (tls_lines_.empty()) {
      tls_lines_.emplace_back(
          "Kafka Connect trusted the JVM's default CA certificates: put the PEM file of the CA "
          "that signed the nodes' certificates here.");
      note(
          "cassandra.tls.ca_file is a placeholder (CHANGE-ME/cassandra-ca.pem): Kafka Connect trusted the JVM's "
          "default CA certificates; set it to the PEM file of the CA that signed the nodes' certificates");
    }
    ca_file_ = str_out("CHANGE-ME/cassandra-ca.pem", "placeholder");
  }

  // --- DataStax: topic-to-table settings ------------------------------------------------------

  struct TableGroup {
    std::string topic, keyspace, table;
    std::vector<const Setting*> settings;
  };

  void translate_datastax_tables() {
    static constexpr std::array<std::string_view, 8> kTable = {
        "mapping",     "consistencyLevel", "ttl",  "ttlTimeUnit", "timestampTimeUnit",
        "nullToUnset", "deletesEnabled",   "query"};
    static constexpr std::array<std::string_view, 6> kCodec = {"locale", "timeZone", "timestamp",
                                                               "date",   "time",     "unit"};
    std::vector<TableGroup> groups;
    std::vector<std::pair<std::string, std::vector<const Setting*>>> codecs;
    for (const Setting* s : with_prefix("topic.")) {
      if (is_used(*s)) continue;
      const std::string_view rest = std::string_view(s->key).substr(6);
      const auto last_dot = rest.find_last_of('.');
      const std::string_view last = last_dot == std::string_view::npos ? rest : rest.substr(last_dot + 1);
      const std::string codec_tail = fmt::format(".codec.{}", last);
      if (std::find(kCodec.begin(), kCodec.end(), last) != kCodec.end() && rest.size() > codec_tail.size() &&
          rest.substr(rest.size() - codec_tail.size()) == codec_tail) {
        use(*s);
        const std::string topic(rest.substr(0, rest.size() - codec_tail.size()));
        auto it = std::find_if(codecs.begin(), codecs.end(), [&](const auto& c) { return c.first == topic; });
        if (it == codecs.end()) {
          codecs.emplace_back(topic, std::vector<const Setting*>{});
          it = codecs.end() - 1;
        }
        it->second.push_back(s);
        continue;
      }
      if (std::find(kTable.begin(), kTable.end(), last) == kTable.end() || last_dot == std::string_view::npos) {
        drop(*s,
             "not a DataStax per-topic setting sluice knows (topic.<topic>.<keyspace>.<table>.<setting> or "
             "topic.<topic>.codec.<setting>)");
        continue;
      }
      // Keyspaces and tables have no dots, so the topic is what remains on the left.
      const std::string_view prefix = rest.substr(0, last_dot);
      const auto table_dot = prefix.find_last_of('.');
      const auto ks_dot =
          table_dot == std::string_view::npos ? std::string_view::npos : prefix.substr(0, table_dot).find_last_of('.');
      if (ks_dot == std::string_view::npos || ks_dot == 0) {
        drop(*s, "expected topic.<topic>.<keyspace>.<table>.<setting>");
        continue;
      }
      use(*s);
      TableGroup key{std::string(prefix.substr(0, ks_dot)),
                     std::string(prefix.substr(ks_dot + 1, table_dot - ks_dot - 1)),
                     std::string(prefix.substr(table_dot + 1)),
                     {}};
      auto it = std::find_if(groups.begin(), groups.end(), [&](const TableGroup& g) {
        return g.topic == key.topic && g.keyspace == key.keyspace && g.table == key.table;
      });
      if (it == groups.end()) {
        groups.push_back(std::move(key));
        it = groups.end() - 1;
      }
      it->settings.push_back(s);
    }
    for (const auto& g : groups) translate_datastax_sink(g);
    for (const auto& [topic, settings] : codecs) translate_codec(topic, settings);
  }

  void translate_datastax_sink(const TableGroup& g) {
    const std::string where = fmt::format("topic.{}.{}.{}", g.topic, g.keyspace, g.table);
    const auto src = source_for(g.topic);
    if (!src) {
      for (const Setting* s : g.settings) {
        drop(*s, fmt::format("topic {} is not in topics, so Kafka Connect never read it", g.topic));
      }
      return;
    }
    for (const std::string* name : {&g.keyspace, &g.table}) {
      if (const auto why = identifier_problem(*name); !why.empty()) {
        for (const Setting* s : g.settings) drop(*s, fmt::format("`{}`: {}", printable(*name), why));
        return;
      }
    }
    std::map<std::string, const Setting*, std::less<>> by;
    for (const Setting* s : g.settings) by[s->key.substr(where.size() + 1)] = s;
    auto get = [&](std::string_view k) -> const Setting* {
      auto it = by.find(k);
      return it == by.end() ? nullptr : it->second;
    };

    SinkSpec k;
    k.topic = g.topic;
    k.from = sources_[*src].name;
    k.table = fmt::format("{}.{}", g.keyspace, g.table);
    k.comment = where + ".*";
    if (regex_source_) {
      note(fmt::format("{}.*: the sink reads every topic of the topics.regex source {}, not only {}", where, k.from,
                       g.topic));
    }
    std::optional<std::string> ttl_expr, ts_expr;
    if (const Setting* m = get("mapping")) {
      k.mapping_comment = m->key;
      parse_datastax_mapping(*m, k, ttl_expr, ts_expr);
    } else {
      k.mapping_comment = "no mapping in the configuration (Kafka Connect requires one): fill it in";
      note(fmt::format("{}: no mapping (Kafka Connect requires one); the sink's mapping is empty: fill it in", where));
    }

    // TTL: __ttl in the mapping wins over the fixed ttl, as in Kafka Connect.
    const TimeUnit* ttl_unit = &kTimeUnits[3];
    const Setting* ttl_unit_s = get("ttlTimeUnit");
    if (ttl_unit_s != nullptr) {
      if (const TimeUnit* u = find_time_unit(ttl_unit_s->value)) {
        ttl_unit = u;
      } else {
        drop(*ttl_unit_s, fmt::format("not a time unit ({})", kTimeUnitList));
        ttl_unit_s = nullptr;
      }
    }
    const Setting* ttl_s = get("ttl");
    if (ttl_expr) {
      if (ttl_unit->sluice.empty()) {
        drop(*ttl_unit_s,
             "sluice reads a TTL field in seconds, milliseconds, microseconds or nanoseconds; the "
             "mapping's __ttl was not translated");
      } else {
        k.ttl_field =
            FieldUnit{*ttl_expr, std::string(ttl_unit->sluice),
                      ttl_unit_s != nullptr ? fmt::format("__ttl in the mapping, {}", ttl_unit_s->key)
                                            : std::string("__ttl in the mapping (seconds: DataStax's default)")};
      }
      if (ttl_s != nullptr) drop(*ttl_s, "the mapping's __ttl takes precedence, as in Kafka Connect");
    } else if (ttl_s != nullptr) {
      translate_fixed_ttl(*ttl_s, *ttl_unit, ttl_unit_s, k, where);
    } else if (ttl_unit_s != nullptr) {
      drop(*ttl_unit_s, "no ttl and no __ttl in the mapping, so it had no effect");
    }

    // Writetime: __timestamp in the mapping, in timestampTimeUnit (DataStax's default: microseconds).
    const TimeUnit* ts_unit = &kTimeUnits[1];
    const Setting* ts_unit_s = get("timestampTimeUnit");
    if (ts_unit_s != nullptr) {
      if (const TimeUnit* u = find_time_unit(ts_unit_s->value)) {
        ts_unit = u;
      } else {
        drop(*ts_unit_s, fmt::format("not a time unit ({})", kTimeUnitList));
        ts_unit_s = nullptr;
      }
    }
    if (ts_expr) {
      if (ts_unit->sluice.empty()) {
        drop(*ts_unit_s,
             "sluice reads a writetime field in seconds, milliseconds, microseconds or nanoseconds; the "
             "mapping's __timestamp was not translated");
      } else {
        k.writetime_field = FieldUnit{
            *ts_expr, std::string(ts_unit->sluice),
            ts_unit_s != nullptr ? fmt::format("__timestamp in the mapping, {}", ts_unit_s->key)
                                 : std::string("__timestamp in the mapping (microseconds: DataStax's default)")};
      }
    } else if (ts_unit_s != nullptr) {
      drop(*ts_unit_s, "no __timestamp in the mapping, so it had no effect");
    }

    if (const Setting* s = get("consistencyLevel")) {
      const std::string v = upper(trim(s->value));
      if (is_write_consistency(v)) {
        k.consistency = str_out(v, s->key);
        if (v != "LOCAL_QUORUM") {
          note(fmt::format("{}: consistencyLevel {} kept; sluice's default is LOCAL_QUORUM", k.table, v));
        }
      } else {
        drop(*s,
             "not a write consistency level (ANY, ONE, TWO, THREE, QUORUM, ALL, LOCAL_QUORUM, EACH_QUORUM, "
             "LOCAL_ONE)");
      }
    } else {
      k.consistency = str_out("LOCAL_ONE", "consistencyLevel not set: DataStax's default");
      note(
          fmt::format("{}: consistencyLevel not set, DataStax's default LOCAL_ONE kept; sluice's default is "
                      "LOCAL_QUORUM",
                      k.table));
    }
    for (auto [name, slot] : {std::pair{"deletesEnabled", &k.deletes}, std::pair{"nullToUnset", &k.null_to_unset}}) {
      if (const Setting* s = get(name)) {
        if (auto b = parse_bool(s->value)) {
          *slot = bool_out(*b, s->key);
        } else {
          drop(*s, "not true or false");
        }
      }
    }
    if (const Setting* s = get("query")) {
      if (trim(s->value).empty()) {
        drop(*s, "empty");
      } else {
        k.query = str_out(trim(s->value), s->key);
        note(
            fmt::format("{}: the custom query is kept; sluice fills each :name in it from the mapping entry of that "
                        "name (and :ttl / :writetime with its computed values): check it with sluice check",
                        k.table));
      }
    }
    sources_[*src].has_sink = true;
    sinks_.push_back(std::move(k));
  }

  void translate_fixed_ttl(const Setting& s, const TimeUnit& unit, const Setting* unit_s, SinkSpec& k,
                           std::string_view where) {
    const auto n = parse_int(s.value);
    if (!n || *n < -1) {
      drop(s, "not a TTL (a whole number; -1 for none)");
      return;
    }
    if (*n <= 0) {
      k.ttl = int_out(0, fmt::format("{}={}: no TTL", s.key, *n));
      return;
    }
    constexpr std::int64_t kMaxTtl = 630720000;  // Cassandra's limit: 20 years
    constexpr std::int64_t kSecond = 1000000000;
    std::int64_t seconds = 0;
    bool rounded = false;
    if (unit.nanos >= kSecond) {
      const std::int64_t factor = unit.nanos / kSecond;
      if (*n > kMaxTtl / factor) {
        drop(s, fmt::format("more than Cassandra's maximum TTL ({} seconds)", kMaxTtl));
        return;
      }
      seconds = *n * factor;
    } else {
      const std::int64_t per_second = kSecond / unit.nanos;
      seconds = *n / per_second;
      rounded = *n % per_second != 0;
      if (seconds > kMaxTtl) {
        drop(s, fmt::format("more than Cassandra's maximum TTL ({} seconds)", kMaxTtl));
        return;
      }
      if (seconds == 0) {
        drop(s, "less than one second: Cassandra's TTL is in whole seconds");
        return;
      }
    }
    const std::string unit_text = unit_s != nullptr ? fmt::format(" {}", unit.java) : std::string(" (seconds)");
    k.ttl = int_out(seconds, fmt::format("{}={}{}", s.key, *n, unit_text));
    if (rounded) {
      note(fmt::format("{}: ttl {} {} is not a whole number of seconds; rounded down to {} s", where, *n, unit.java,
                       seconds));
    }
  }

  // "col=value.f, col2=key.f, col3=header.h, col4=now(), __ttl=value.t, __timestamp=value.ts"
  void parse_datastax_mapping(const Setting& m, SinkSpec& k, std::optional<std::string>& ttl_expr,
                              std::optional<std::string>& ts_expr) {
    std::set<std::string, std::less<>> seen;
    for (const auto& entry : split_list(m.value)) {
      const auto eq = entry.find('=');
      if (eq == std::string::npos) {
        drop_part(m, entry, "not <column>=<expression>");
        continue;
      }
      const std::string column(trim(std::string_view(entry).substr(0, eq)));
      std::string error;
      auto expr = datastax_expression(std::string_view(entry).substr(eq + 1), error);
      if (!expr) {
        drop_part(m, entry, error);
        continue;
      }
      if (column == "__ttl") {
        ttl_expr = *expr;
        continue;
      }
      if (column == "__timestamp") {
        ts_expr = *expr;
        continue;
      }
      if (const auto why = identifier_problem(column); !why.empty()) {
        drop_part(m, entry, why);
        continue;
      }
      if (!seen.insert(column).second) {
        drop_part(m, entry, "the column is mapped twice; the first is kept");
        continue;
      }
      k.mapping.emplace_back(column, *expr);
    }
  }

  // topic.<topic>.codec.*: the source's time block.
  void translate_codec(const std::string& topic, const std::vector<const Setting*>& settings) {
    const auto src = source_for(topic);
    if (!src) {
      for (const Setting* s : settings) {
        drop(*s, fmt::format("topic {} is not in topics, so Kafka Connect never read it", topic));
      }
      return;
    }
    SourceSpec& source = sources_[*src];
    if (regex_source_) {
      note(fmt::format("topic.{}.codec.* apply to every topic of the topics.regex source {}", topic, source.name));
    }
    for (const Setting* s : settings) {
      const std::string_view name = std::string_view(s->key).substr(s->key.find_last_of('.') + 1);
      const std::string_view v = trim(s->value);
      if (name == "locale") {
        drop(*s, "sluice has no locale setting: it reads dates and times in fixed, locale-independent forms");
      } else if (name == "timeZone") {
        translate_zone(*s, v, source);
      } else if (name == "timestamp") {
        translate_time_format(
            *s, v,
            {"ISO_INSTANT", "ISO_ZONED_DATE_TIME", "ISO_OFFSET_DATE_TIME", "ISO_LOCAL_DATE_TIME", "ISO_DATE_TIME"},
            source.timestamp_format);
      } else if (name == "date") {
        translate_time_format(*s, v, {"ISO_LOCAL_DATE", "ISO_DATE"}, source.date_format);
      } else if (name == "time") {
        translate_time_format(*s, v, {"ISO_LOCAL_TIME", "ISO_TIME"}, source.time_format);
      } else {  // unit
        const TimeUnit* u = find_time_unit(v);
        if (u == nullptr) {
          drop(*s, fmt::format("not a time unit ({})", kTimeUnitList));
        } else if (u->sluice.empty()) {
          drop(*s, "sluice's epoch_unit is seconds, milliseconds, microseconds or nanoseconds");
        } else {
          source.epoch_unit = str_out(u->sluice, s->key);
        }
      }
    }
  }

  // sluice's zones (src/codec/time.h): an IANA name, or an offset ±hh:mm, ±hhmm, ±hh, Z, UTC.
  void translate_zone(const Setting& s, std::string_view v, SourceSpec& source) {
    if (v == "Z" || v == "UTC" || v == "GMT") {
      source.zone = str_out("UTC", s.key);
      return;
    }
    auto digits = [&](std::size_t from, std::size_t count) {
      return v.size() >= from + count && std::all_of(v.begin() + static_cast<std::ptrdiff_t>(from),
                                                     v.begin() + static_cast<std::ptrdiff_t>(from + count), is_digit);
    };
    const bool sign = !v.empty() && (v[0] == '+' || v[0] == '-');
    const bool offset = sign && ((v.size() == 3 && digits(1, 2)) || (v.size() == 5 && digits(1, 4)) ||
                                 (v.size() == 6 && digits(1, 2) && v[3] == ':' && digits(4, 2)));
    bool iana = !v.empty() && is_alpha(v[0]);
    for (char c : v) {
      if (!(is_alpha(c) || is_digit(c) || c == '/' || c == '_' || c == '-' || c == '+')) iana = false;
    }
    if (offset || (iana && (v.find('/') != std::string_view::npos || std::all_of(v.begin(), v.end(), is_alpha)))) {
      source.zone = str_out(v, s.key);
    } else {
      drop(s, "sluice takes an IANA time-zone name or an offset (+hh:mm, +hhmm, +hh)");
    }
  }

  void translate_time_format(const Setting& s, std::string_view v, std::initializer_list<std::string_view> iso,
                             Slot& slot) {
    if (v == "CQL_TIMESTAMP") {
      slot = str_out("", fmt::format("{}=CQL_TIMESTAMP: ISO-8601", s.key));
      note(
          fmt::format("{}=CQL_TIMESTAMP became ISO-8601 (timestamp_format \"\"): Kafka Connect also accepted the "
                      "other CQL timestamp literals, such as 2024-01-31 10:00:00+0000",
                      s.key));
      return;
    }
    if (std::find(iso.begin(), iso.end(), v) != iso.end()) {
      slot = str_out("", fmt::format("{}={}: ISO-8601", s.key, v));
      return;
    }
    // A predefined formatter's name (BASIC_ISO_DATE, RFC_1123_DATE_TIME): capitals with an underscore.
    if (v.find('_') != std::string_view::npos &&
        std::all_of(v.begin(), v.end(), [](char c) { return (c >= 'A' && c <= 'Z') || is_digit(c) || c == '_'; })) {
      drop(s, "a predefined Java formatter with no sluice equivalent");
      return;
    }
    std::string error;
    if (auto f = java_pattern_to_strftime(v, error)) {
      slot = str_out(*f, fmt::format("{}={}", s.key, printable(v)));
      return;
    }
    drop(s, fmt::format("the Java pattern has {}", error));
  }

  // --- Lenses Stream Reactor ------------------------------------------------------------------

  void translate_lenses() {
    constexpr std::string_view p = "connect.cassandra.";
    auto key = [&](std::string_view k) { return fmt::format("{}{}", p, k); };
    if (const Setting* s = take(key("contact.points"))) {
      auto points = split_list(s->value);
      if (points.empty()) {
        drop(*s, "no contact points in it");
      } else {
        contact_points_ = Out{flow_list(points), s->key};
      }
    } else {
      contact_points_ = Out{flow_list({"localhost"}), "connect.cassandra.contact.points not set: its default"};
    }
    if (const Setting* s = take(key("port"))) {
      if (auto n = positive(*s, 65535)) port_ = int_out(*n, s->key);
    }
    if (const Setting* s = take(key("key.space"))) {
      const auto v = trim(s->value);
      if (const auto why = identifier_problem(v); why.empty()) {
        keyspace_ = str_out(v, s->key);
      } else {
        drop(*s, why);
      }
    }
    if (const Setting* s = take(key("username"))) {
      if (!trim(s->value).empty()) username_ = str_out(trim(s->value), s->key);
    }
    if (const Setting* s = take(key("password"))) {
      if (!s->value.empty()) password_from(s->key);
    }
    if (const Setting* s = take(key("kcql"))) translate_kcql(*s);

    std::optional<bool> deletes;
    if (const Setting* s = take(key("delete.enabled"))) {
      deletes = parse_bool(s->value);
      if (!deletes) drop(*s, "not true or false");
    }
    for (std::string_view k : {"delete.statement", "delete.struct_flds"}) {
      if (const Setting* s = take(key(k))) {
        drop(*s,
             "sluice builds the DELETE itself from the mapping's primary-key columns, which must come from the "
             "record's key");
      }
    }
    std::optional<std::string> consistency;
    std::string consistency_key;
    if (const Setting* s = take(key("consistency.level"))) {
      const std::string v = upper(trim(s->value));
      if (is_write_consistency(v)) {
        consistency = v;
        consistency_key = s->key;
        if (v != "LOCAL_QUORUM") note(fmt::format("{} {} kept; sluice's default is LOCAL_QUORUM", s->key, v));
      } else {
        drop(*s, "not a write consistency level");
      }
    }
    for (auto& k : sinks_) {
      if (deletes.value_or(false)) {
        k.deletes = bool_out(true, "connect.cassandra.delete.enabled=true");
      } else {
        k.deletes = bool_out(false, "Stream Reactor deletes nothing unless connect.cassandra.delete.enabled");
      }
      k.null_to_unset = bool_out(false, "Stream Reactor writes rows with INSERT JSON: a null field writes a null");
      if (consistency) k.consistency = str_out(*consistency, consistency_key);
    }
    if (!sinks_.empty()) {
      if (deletes.value_or(false)) {
        note(
            "connect.cassandra.delete.enabled=true became deletes: true: sluice deletes the row of a tombstone, taking "
            "the primary key from the record's key, so the mapping must fill every primary-key column from key.<path>");
      } else {
        note(
            "deletes: false kept (Stream Reactor deletes nothing unless connect.cassandra.delete.enabled); sluice's "
            "default is true");
      }
      note(
          "null_to_unset: false kept: Stream Reactor wrote rows with INSERT JSON, which writes a null for a null "
          "field; sluice's default (true) leaves the column alone");
    }

    if (const Setting* s = take(key("error.policy"))) {
      const std::string v = upper(trim(s->value));
      if (v == "THROW") {
        connector_policy_ = "none";
      } else if (v == "NOOP") {
        connector_policy_ = "all";
        note(
            "connect.cassandra.error.policy NOOP became error_policy all: a failing record is skipped (and written to "
            "dead letters when dead_letters is set)");
      } else if (v == "RETRY") {
        connector_policy_ = "all";
        note(
            "connect.cassandra.error.policy RETRY became error_policy all: sluice retries passing write failures "
            "(timeouts, unavailable, overloaded) without limit, and a record Cassandra refuses goes to dead letters "
            "instead of being retried");
      } else {
        drop(*s, "not NOOP, THROW or RETRY");
      }
      if (connector_policy_) connector_policy_comment_ = fmt::format("{}={}", s->key, v);
    }
    for (std::string_view k : {"max.retries", "retry.interval"}) {
      if (const Setting* s = take(key(k))) {
        drop(*s, "sluice retries passing write failures with backoff until they succeed; there is no retry limit");
      }
    }

    bool tls = false;
    if (const Setting* s = take(key("ssl.enabled"))) {
      if (auto b = parse_bool(s->value)) {
        tls = *b;
        if (tls) {
          tls_ = true;
          tls_comment_ = s->key + "=true";
        }
      } else {
        drop(*s, "not true or false");
      }
    }
    for (std::string_view k : {"trust.store.path", "trust.store.password", "trust.store.type", "key.store.path",
                               "key.store.password", "key.store.type", "ssl.client.cert.auth"}) {
      const Setting* s = take(key(k));
      if (s == nullptr) continue;
      if (!tls) {
        drop(*s, "connect.cassandra.ssl.enabled is not true, so Kafka Connect did not use it");
      } else if (k == "trust.store.path") {
        truststore(*s);
      } else if (k == "trust.store.password" || k == "trust.store.type") {
        drop(*s, "a PEM CA file (cassandra.tls.ca_file) needs no password or store type");
      } else {
        drop(*s, "a Java keystore: export the client certificate and key as PEM files and set cassandra.tls.cert_file and key_file");
      }
    }
    finish_tls();
  }

  void translate_kcql(const Setting& s) {
    const auto statements = split_statements(s.value);
    if (statements.empty()) {
      drop(s, "no KCQL statement in it");
      return;
    }
    for (std::size_t n = 0; n < statements.size(); ++n) {
      const std::string& text = statements[n];
      const std::string part = fmt::format("statement {}: {}", n + 1, text);
      std::string error;
      auto q = parse_kcql(text, error);
      if (!q) {
        drop_part(s, part, error);
        continue;
      }
      // <table> or <keyspace>.<table>
      std::string table = q->table;
      const auto dot = table.find('.');
      const std::string ks = dot == std::string::npos ? std::string() : table.substr(0, dot);
      const std::string tbl = dot == std::string::npos ? table : table.substr(dot + 1);
      const auto table_problem = dot != std::string::npos && !identifier_problem(ks).empty() ? identifier_problem(ks)
                                                                                             : identifier_problem(tbl);
      if (!table_problem.empty()) {
        drop_part(s, part, fmt::format("table `{}`: {}", printable(table), table_problem));
        continue;
      }
      const auto src = is_topic_name(q->topic) ? source_for(q->topic) : std::nullopt;
      if (!src) {
        drop_part(s, part,
                  is_topic_name(q->topic)
                      ? fmt::format("topic {} is not in topics, so Kafka Connect never read it", q->topic)
                      : fmt::format("`{}` is not a legal Kafka topic name", printable(q->topic)));
        continue;
      }
      SinkSpec k;
      k.topic = q->topic;
      k.from = sources_[*src].name;
      k.table = table;
      k.comment = fmt::format("{} statement {}", s.key, n + 1);
      k.mapping_comment = fmt::format("SELECT of statement {}", n + 1);
      std::set<std::string, std::less<>> seen;
      for (const auto& f : q->fields) {
        if (f.star) {
          drop_part(s, part,
                    "SELECT * cannot be translated without the records' schema: list the columns in the sink's "
                    "mapping");
          k.mapping_comment = "SELECT *: fill in a column: expression for each column";
          continue;
        }
        auto expr = kcql_expression(f.expr, error);
        if (!expr) {
          drop_part(s, fmt::format("statement {}: field {}", n + 1, f.expr), error);
          continue;
        }
        std::string column = f.alias;
        if (column.empty()) {
          const auto last = f.expr.find_last_of('.');
          column = last == std::string::npos ? f.expr : f.expr.substr(last + 1);
        }
        if (const auto why = identifier_problem(column); !why.empty()) {
          drop_part(s, fmt::format("statement {}: column {}", n + 1, column), why);
          continue;
        }
        if (!seen.insert(column).second) {
          drop_part(s, fmt::format("statement {}: column {}", n + 1, column),
                    "the column is selected twice; the first is kept");
          continue;
        }
        k.mapping.emplace_back(column, *expr);
      }
      if (q->ttl) {
        if (*q->ttl > 630720000) {
          drop_part(s, part, "TTL more than Cassandra's maximum (630720000 seconds)");
        } else {
          k.ttl = int_out(*q->ttl, fmt::format("KCQL TTL={}", *q->ttl));
        }
      }
      if (!q->rest.empty()) {
        drop_part(s, fmt::format("statement {}: {}", n + 1, q->rest),
                  "KCQL clause not supported; the statement was translated without it");
      }
      if (dot == std::string::npos && find("connect.cassandra.key.space") == nullptr) {
        note(
            fmt::format("table {} of statement {} has no keyspace and connect.cassandra.key.space is not set: set "
                        "cassandra.keyspace or write <keyspace>.{}",
                        tbl, n + 1, tbl));
      }
      sources_[*src].has_sink = true;
      sinks_.push_back(std::move(k));
    }
  }

  // --- error handling -------------------------------------------------------------------------

  void translate_errors() {
    if (flavour_ == Flavour::datastax) {
      if (const Setting* s = take("ignoreErrors")) {
        const std::string v = upper(trim(s->value));
        if (v == "NONE" || v == "FALSE") {
          connector_policy_ = "none";
        } else if (v == "DRIVER" || v == "TRUE") {
          connector_policy_ = "driver";
        } else if (v == "ALL") {
          connector_policy_ = "all";
        } else {
          drop(*s, "not NONE, DRIVER or ALL");
        }
        if (connector_policy_) connector_policy_comment_ = fmt::format("ignoreErrors={}", printable(trim(s->value)));
      }
    }
    std::optional<std::string> tolerance;
    if (const Setting* s = take("errors.tolerance")) {
      const std::string v = lower(trim(s->value));
      if (v == "none" || v == "all") {
        tolerance = v;
      } else {
        drop(*s, "not none or all");
      }
    }
    if (!connector_policy_ && !tolerance) {
      str_policy_ = "none";
      error_policy_ = str_out("none", "Kafka Connect's default: the task stops at the first failing record");
      note(
          "error_policy none: Kafka Connect's default (the connector stops at the first record it cannot write); "
          "sluice's default is all");
    } else {
      std::string policy = connector_policy_.value_or("none");
      std::string comment = connector_policy_ ? connector_policy_comment_ : std::string();
      if (tolerance) {
        if (policy_rank(*tolerance) > policy_rank(policy)) policy = *tolerance;
        comment += fmt::format("{}errors.tolerance={}", comment.empty() ? "" : ", ", *tolerance);
        if (connector_policy_ && *connector_policy_ != *tolerance) {
          note(fmt::format("error_policy {}: the more tolerant of {} and errors.tolerance={}", policy,
                           connector_policy_comment_, *tolerance));
        }
      }
      str_policy_ = policy;
      error_policy_ = str_out(policy, comment);
    }

    if (const Setting* s = take("errors.deadletterqueue.topic.name")) {
      const auto t = trim(s->value);
      if (t.empty()) {
        use(*s);
      } else if (!is_topic_name(t)) {
        drop(*s, "not a legal Kafka topic name");
      } else {
        dead_letter_topic_ = str_out(t, s->key);
        note(
            fmt::format("dead letters go to topic {} with sluice's headers (sluice.error.class, "
                        "sluice.error.message, sluice.source.topic, sluice.source.partition, sluice.source.offset, "
                        "sluice.statement), not Kafka Connect's __connect.errors.* headers",
                        t));
      }
    }
    if (str_policy_ != "none" && !dead_letter_topic_) {
      const std::string topic = name_ + "-dead-letters";
      dead_letter_topic_ =
          str_out(topic, fmt::format("added: error_policy {} needs somewhere to put failing records", str_policy_));
      note(
          fmt::format("dead_letters.topic {} added: sluice's error_policy {} sends each failing record to dead "
                      "letters, where Kafka Connect only logged and skipped it; create the topic, or name another",
                      topic, str_policy_));
    }
    if (const Setting* s = take("errors.deadletterqueue.context.headers.enable")) {
      if (parse_bool(s->value).value_or(true)) {
        use(*s);
      } else {
        drop(*s, "sluice always adds its context headers to dead letters");
      }
    }
    if (const Setting* s = take("errors.deadletterqueue.topic.replication.factor")) {
      drop(*s, "no equivalent in the pipeline file: create the dead-letter topic with the replication factor you need");
    }
    for (std::string_view k : {"errors.retry.timeout", "errors.retry.delay.max.ms"}) {
      if (const Setting* s = take(k)) {
        drop(*s, "sluice retries passing failures with backoff until they succeed; there is no retry limit");
      }
    }
    for (std::string_view k : {"errors.log.enable", "errors.log.include.messages"}) {
      if (const Setting* s = take(k)) {
        drop(*s, "no equivalent: sluice's dead letters carry each failed record with its reason");
      }
    }
  }

  // --- consumer.override.* --------------------------------------------------------------------

  void translate_consumer_overrides() {
    static constexpr std::array<std::string_view, 15> kSame = {"fetch.max.bytes",
                                                               "fetch.min.bytes",
                                                               "max.partition.fetch.bytes",
                                                               "session.timeout.ms",
                                                               "heartbeat.interval.ms",
                                                               "max.poll.interval.ms",
                                                               "client.id",
                                                               "client.rack",
                                                               "isolation.level",
                                                               "metadata.max.age.ms",
                                                               "reconnect.backoff.ms",
                                                               "reconnect.backoff.max.ms",
                                                               "retry.backoff.ms",
                                                               "connections.max.idle.ms",
                                                               "allow.auto.create.topics"};
    static constexpr std::array<std::pair<std::string_view, std::string_view>, 3> kRenamed = {{
        {"fetch.max.wait.ms", "fetch.wait.max.ms"},
        {"receive.buffer.bytes", "socket.receive.buffer.bytes"},
        {"send.buffer.bytes", "socket.send.buffer.bytes"},
    }};
    for (const Setting* s : with_prefix("consumer.override.")) {
      const std::string prop = s->key.substr(18);
      const std::string_view v = trim(s->value);
      if (prop == "bootstrap.servers") {
        use(*s);
        bootstrap_ = str_out(v, s->key);
      } else if (prop == "group.id") {
        use(*s);
        group_id_ = str_out(v, s->key);
        note(fmt::format("kafka.group_id {} from consumer.override.group.id", printable(v)));
      } else if (prop == "auto.offset.reset") {
        const std::string r = lower(v);
        if (r == "earliest" || r == "latest") {
          use(*s);
          start_ = str_out(r, s->key);
        } else {
          drop(*s, "sluice's start is earliest, latest or a time");
        }
      } else if (std::find(kSame.begin(), kSame.end(), prop) != kSame.end()) {
        use(*s);
        kafka_properties_.emplace_back(prop, Out{yq(v, true), s->key});
      } else if (auto it =
                     std::find_if(kRenamed.begin(), kRenamed.end(), [&](const auto& r) { return r.first == prop; });
                 it != kRenamed.end()) {
        use(*s);
        kafka_properties_.emplace_back(std::string(it->second), Out{yq(v, true), s->key});
      } else if (prop == "enable.auto.commit" || prop == "auto.commit.interval.ms") {
        drop(*s, "sluice commits offsets itself, after the writes (write.commit_interval_ms)");
      } else if (prop == "max.poll.records") {
        drop(*s, "librdkafka has no max.poll.records; sluice bounds what it holds with write.max_buffered_records");
      } else if (prop == "security.protocol" || prop.compare(0, 5, "sasl.") == 0 || prop.compare(0, 4, "ssl.") == 0) {
        drop(*s, "Kafka security is not translated: set kafka.tls and kafka.sasl (with password_env) by hand");
      } else {
        drop(*s, "not a consumer property sluice can pass on to librdkafka");
      }
    }
    for (const Setting* s : with_prefix("producer.override.")) {
      drop(*s, "sluice's dead-letter producer takes no producer settings from the pipeline file");
    }
    for (const Setting* s : with_prefix("admin.override.")) {
      drop(*s, "sluice makes no admin requests that these settings would shape");
    }
  }

  void translate_framework() {
    if (const Setting* s = take("tasks.max")) {
      drop(*s, "sluice runs one process per pipeline; its parallelism is write.max_in_flight, not tasks");
    }
    if (const Setting* s = take("transforms")) {
      drop(*s, "single message transforms are not supported: express the change in the mapping or the query");
    }
    for (const Setting* s : with_prefix("transforms.")) {
      drop(*s, "single message transforms are not supported: express the change in the mapping or the query");
    }
    if (const Setting* s = take("predicates")) drop(*s, "predicates only serve transforms, which are not supported");
    for (const Setting* s : with_prefix("predicates.")) {
      drop(*s, "predicates only serve transforms, which are not supported");
    }
    if (const Setting* s = take("header.converter")) {
      drop(*s, "sluice reads header values as bytes (text columns: UTF-8)");
    }
    for (const Setting* s : with_prefix("header.converter.")) {
      drop(*s, "sluice reads header values as bytes (text columns: UTF-8)");
    }
    if (const Setting* s = take("config.action.reload")) drop(*s, "no equivalent: sluice reads its file at start-up");
  }

  // --- after translation ----------------------------------------------------------------------

  static std::string under_payload(const std::string& expr, std::string_view part) {
    if (expr == part) return fmt::format("{}.payload", part);
    if (expr.size() > part.size() && expr.compare(0, part.size(), part) == 0 && expr[part.size()] == '.') {
      return fmt::format("{}.payload{}", part, expr.substr(part.size()));
    }
    return expr;
  }

  static bool reads_fields(const std::string& expr, std::string_view part) {
    return expr.size() > part.size() + 1 && expr.compare(0, part.size(), part) == 0 && expr[part.size()] == '.';
  }

  void finish() {
    for (auto& k : sinks_) {
      SourceSpec& src = sources_[*source_index(k.from)];
      auto visit = [&](std::string& expr) {
        if (reads_fields(expr, "value")) src.value_fields = true;
        if (reads_fields(expr, "key")) src.key_fields = true;
        if (value_.envelope) expr = under_payload(expr, "value");
        if (key_.envelope) expr = under_payload(expr, "key");
      };
      for (auto& [column, expr] : k.mapping) visit(expr);
      if (k.ttl_field) visit(k.ttl_field->field);
      if (k.writetime_field) visit(k.writetime_field->field);
    }
    for (const auto& src : sources_) {
      if (!src.has_sink) note(fmt::format("source {} has no sink: nothing is written from it", src.name));
      if (src.value_fields && value_.format == "string") {
        note(
            fmt::format("source {}: value.converter is StringConverter but the mapping reads value fields, which "
                        "the connector parsed as JSON: format json",
                        src.name));
      }
      if (src.key_fields && key_.format.empty()) {
        note(
            fmt::format("source {}: the mapping reads key fields, which needs key_format json or avro: set it to "
                        "match the Connect worker's key.converter",
                        src.name));
      }
      if (src.key_fields && key_.format == "string") {
        note(
            fmt::format("source {}: key.converter is StringConverter but the mapping reads key fields, which the "
                        "connector parsed as JSON: key_format json",
                        src.name));
      }
    }
    if (value_.format == "avro" || key_.format == "avro") {
      note(
          "Avro records are read in the Confluent wire format: put every writer schema the topics use into schemas/ "
          "as <id>.avsc (the id the schema registry gave it), since sluice has no schema-registry client");
    }
    if (username_ && !password_env_) {
      password_env_ = str_out("CASSANDRA_PASSWORD", "no password in the configuration: set CASSANDRA_PASSWORD");
      note(
          "cassandra.password_env CASSANDRA_PASSWORD: the configuration names a user but no password, and sluice "
          "needs one with a username; set the environment variable CASSANDRA_PASSWORD");
    }
    if (!bootstrap_) {
      bootstrap_ = str_out("localhost:9092", "placeholder: a connector configuration has no brokers");
      note(
          "kafka.bootstrap_servers is a placeholder (localhost:9092): a connector configuration does not name the "
          "brokers; use the Connect worker's bootstrap.servers");
    }
  }

  // --- the file -------------------------------------------------------------------------------

  Out format_of(const Converter& c, bool reads_fields, std::string_view sluice_default, std::string_view key) const {
    if (c.format.empty()) {
      return str_out(sluice_default,
                     c.set ? fmt::format("{}={}: not translated, sluice's default", key, printable(c.cls))
                           : fmt::format("{} not set here (the worker's applied): sluice's default", key));
    }
    if (c.format == "string" && reads_fields) {
      return str_out("json", fmt::format("{}={}, but the mapping reads fields: json", key, printable(c.cls)));
    }
    return str_out(c.format, fmt::format("{}={}", key, printable(c.cls)));
  }

  std::string emit(const ImportResult& r) const {
    YamlWriter y;
    y.comment(0, fmt::format("Pipeline made by `sluice import-connect` from {}", file_name_));
    y.comment(0, fmt::format("({}{}).",
                             flavour_ == Flavour::datastax ? "DataStax Apache Kafka Connector"
                                                           : "Lenses Stream Reactor Cassandra sink",
                             connector_class_.empty() ? std::string() : ", connector.class=" + connector_class_));
    y.comment(0, "Each part names the setting it came from. Settings not carried over and notes on changed behaviour");
    y.comment(0, "are listed at the end: read them, then run `sluice check` on this file.");
    y.kv(0, "name", p_name_);
    y.line(0, "kafka:");
    y.kv(2, "bootstrap_servers", bootstrap_);
    y.kv(2, "group_id", group_id_);
    if (!kafka_properties_.empty()) {
      y.line(2, "properties:");
      for (const auto& [k, v] : kafka_properties_) y.kv(4, k, v);
    }

    y.line(0, "cassandra:");
    y.kv(2, "contact_points", contact_points_);
    y.kv(2, "port", port_);
    y.kv(2, "local_datacenter", local_dc_);
    y.kv(2, "keyspace", keyspace_);
    y.kv(2, "username", username_);
    y.kv(2, "password_env", password_env_);
    if (tls_) {
      y.line(2, "tls:", tls_comment_);
      for (const auto& l : tls_lines_) y.comment(4, l);
      y.kv(4, "ca_file", ca_file_);
      y.kv(4, "cert_file", cert_file_);
      y.kv(4, "key_file", key_file_);
    }
    y.kv(2, "compression", compression_);
    y.kv(2, "connections_per_host", connections_per_host_);

    y.line(0, "sources:");
    if (sources_.empty()) y.comment(2, "none: no topics in the configuration");
    for (const auto& src : sources_) {
      y.line(2, fmt::format("- name: {}", yq(src.name)), src.comment);
      if (src.pattern.empty()) {
        y.line(4, fmt::format("topics: {}", flow_list(src.topics)));
      } else {
        y.kv(4, "topic_pattern", str_out(src.pattern, "topics.regex"));
      }
      y.kv(4, "start", start_);
      y.kv(4, "format", format_of(value_, src.value_fields, "json", "value.converter"));
      y.kv(4, "key_format", format_of(key_, src.key_fields, "string", "key.converter"));
      if (value_.format == "avro" || key_.format == "avro") {
        y.line(4, "avro:");
        y.kv(6, "wire", str_out("confluent", "AvroConverter: magic byte + schema id"));
        y.kv(6, "schemas", str_out("schemas/", "fill with each writer schema as <id>.avsc (no registry client)"));
      }
      if (src.zone || src.timestamp_format || src.date_format || src.time_format || src.epoch_unit) {
        y.line(4, "time:");
        y.kv(6, "zone", src.zone);
        y.kv(6, "timestamp_format", src.timestamp_format);
        y.kv(6, "date_format", src.date_format);
        y.kv(6, "time_format", src.time_format);
        y.kv(6, "epoch_unit", src.epoch_unit);
      }
    }

    y.line(0, "sinks:");
    if (sinks_.empty()) y.comment(2, "none: no table settings could be translated");
    for (const auto& k : sinks_) {
      y.line(2, fmt::format("- from: {}", yq(k.from)), k.comment);
      y.line(4, fmt::format("table: {}", yq(k.table)));
      if (k.mapping.empty()) {
        y.line(4, "mapping: {}", k.mapping_comment);
      } else {
        y.line(4, "mapping:", k.mapping_comment);
        for (const auto& [column, expr] : k.mapping) y.kv(6, column, str_out(expr, ""));
      }
      y.kv(4, "ttl", k.ttl);
      if (k.ttl_field) {
        y.line(4, "ttl:", k.ttl_field->comment);
        y.kv(6, "field", str_out(k.ttl_field->field, ""));
        y.kv(6, "unit", str_out(k.ttl_field->unit, ""));
      }
      if (k.writetime_field) {
        y.line(4, "writetime:", k.writetime_field->comment);
        y.kv(6, "field", str_out(k.writetime_field->field, ""));
        y.kv(6, "unit", str_out(k.writetime_field->unit, ""));
      }
      y.kv(4, "deletes", k.deletes);
      y.kv(4, "null_to_unset", k.null_to_unset);
      y.kv(4, "consistency", k.consistency);
      y.kv(4, "query", k.query);
    }

    if (dead_letter_topic_) {
      y.line(0, "dead_letters:");
      y.kv(2, "topic", dead_letter_topic_);
    }
    y.kv(0, "error_policy", error_policy_);
    if (max_batch_rows_ || max_in_flight_ || request_timeout_ms_) {
      y.line(0, "write:");
      y.kv(2, "max_batch_rows", max_batch_rows_);
      y.kv(2, "max_in_flight", max_in_flight_);
      y.kv(2, "request_timeout_ms", request_timeout_ms_);
    }

    y.blank();
    y.comment(0, r.untranslated.empty() ? "Not translated: nothing." : "Not translated:");
    for (const auto& u : r.untranslated) y.comment(0, "  - " + u);
    y.comment(0, r.notes.empty() ? "Notes: none." : "Notes:");
    for (const auto& n : r.notes) y.comment(0, "  - " + n);
    return y.take();
  }

  // --- state ----------------------------------------------------------------------------------

  std::vector<Setting> settings_;
  std::map<std::string, std::size_t, std::less<>> index_;
  std::vector<bool> used_;
  std::vector<std::pair<std::size_t, std::string>> untranslated_;
  std::vector<std::string> notes_;
  std::string file_name_;
  Flavour flavour_ = Flavour::datastax;
  std::string connector_class_;
  std::string name_;

  Converter value_, key_;
  std::vector<SourceSpec> sources_;
  bool regex_source_ = false;
  bool infer_sources_ = false;
  std::vector<SinkSpec> sinks_;

  Out p_name_;
  Slot group_id_, bootstrap_, start_;
  std::vector<std::pair<std::string, Out>> kafka_properties_;
  Out contact_points_{flow_list({"localhost"}), ""};
  Slot port_, local_dc_, keyspace_, username_, password_env_, compression_, connections_per_host_;
  bool tls_ = false;
  std::string tls_comment_;
  std::vector<std::string> tls_lines_;
  Slot ca_file_, cert_file_, key_file_;
  std::optional<std::string> connector_policy_;
  std::string connector_policy_comment_;
  std::string str_policy_ = "none";
  Slot error_policy_, dead_letter_topic_, max_batch_rows_, max_in_flight_, request_timeout_ms_;
};

// ---------------------------------------------------------------------------------------------
// Input parsing helpers

// The 1-based line of byte `offset`.
int line_of(std::string_view text, std::size_t offset) {
  return 1 + static_cast<int>(std::count(text.begin(), text.begin() + static_cast<std::ptrdiff_t>(offset), '\n'));
}

// Offset of the first byte that breaks UTF-8, or npos.
std::size_t invalid_utf8_at(std::string_view s) {
  std::size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    std::size_t n = 0;
    std::uint32_t cp = 0;
    if (c < 0x80) {
      ++i;
      continue;
    }
    if ((c & 0xE0) == 0xC0) {
      n = 1;
      cp = c & 0x1Fu;
    } else if ((c & 0xF0) == 0xE0) {
      n = 2;
      cp = c & 0x0Fu;
    } else if ((c & 0xF8) == 0xF0) {
      n = 3;
      cp = c & 0x07u;
    } else {
      return i;
    }
    for (std::size_t k = 1; k <= n; ++k) {
      if (i + k >= s.size()) return i;
      const auto cc = static_cast<unsigned char>(s[i + k]);
      if ((cc & 0xC0) != 0x80) return i;
      cp = (cp << 6) | (cc & 0x3Fu);
    }
    const bool overlong = (n == 1 && cp < 0x80) || (n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000);
    if (overlong || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return i;
    i += n + 1;
  }
  return std::string_view::npos;
}

void append_utf8(std::string& out, std::uint32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

std::optional<std::uint32_t> hex4(std::string_view s) {
  if (s.size() < 4) return std::nullopt;
  std::uint32_t v = 0;
  for (char c : s.substr(0, 4)) {
    v <<= 4;
    if (is_digit(c)) {
      v |= static_cast<std::uint32_t>(c - '0');
    } else if (c >= 'a' && c <= 'f') {
      v |= static_cast<std::uint32_t>(c - 'a' + 10);
    } else if (c >= 'A' && c <= 'F') {
      v |= static_cast<std::uint32_t>(c - 'A' + 10);
    } else {
      return std::nullopt;
    }
  }
  return v;
}

// Java properties escapes of one key or value.
Result<std::string> unescape(std::string_view s, int line) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '\\') {
      out += s[i];
      continue;
    }
    if (i + 1 == s.size()) break;  // a lone backslash at the very end (continuation at end of file)
    const char c = s[++i];
    switch (c) {
      case 't': out += '\t'; break;
      case 'n': out += '\n'; break;
      case 'r': out += '\r'; break;
      case 'f': out += '\f'; break;
      case 'u': {
        auto cp = hex4(s.substr(i + 1));
        if (!cp) return Error(Errc::invalid_argument, fmt::format("line {}: malformed \\uXXXX escape", line));
        i += 4;
        if (*cp >= 0xD800 && *cp <= 0xDBFF) {  // a surrogate pair: \uD83D\uDE00
          std::optional<std::uint32_t> low;
          if (s.substr(i + 1, 2) == "\\u") low = hex4(s.substr(i + 3));
          if (!low || *low < 0xDC00 || *low > 0xDFFF) {
            return Error(Errc::invalid_argument,
                         fmt::format("line {}: \\u escape of a lone UTF-16 surrogate (not a character)", line));
          }
          i += 6;
          *cp = 0x10000 + ((*cp - 0xD800) << 10) + (*low - 0xDC00);
        } else if (*cp >= 0xDC00 && *cp <= 0xDFFF) {
          return Error(Errc::invalid_argument,
                       fmt::format("line {}: \\u escape of a lone UTF-16 surrogate (not a character)", line));
        }
        append_utf8(out, *cp);
        break;
      }
      default: out += c;
    }
  }
  return out;
}

bool is_prop_space(char c) { return c == ' ' || c == '\t' || c == '\f'; }

// Offset of `"key"` followed by `:` in JSON text, for a line number in messages.
int json_key_line(std::string_view text, std::string_view key) {
  const std::string quoted = fmt::format("\"{}\"", key);
  std::size_t at = 0;
  while ((at = text.find(quoted, at)) != std::string_view::npos) {
    std::size_t j = at + quoted.size();
    while (j < text.size() && kSpace.find(text[j]) != std::string_view::npos) ++j;
    if (j < text.size() && text[j] == ':') return line_of(text, at);
    at += quoted.size();
  }
  return 0;
}

std::string_view strip_bom(std::string_view text) {
  if (text.substr(0, 3) == "\xEF\xBB\xBF") text.remove_prefix(3);
  return text;
}

}  // namespace

// -----------------------------------------------------------------------------------------------

Result<std::vector<Setting>> parse_properties(std::string_view text) {
  text = strip_bom(text);
  if (const auto bad = invalid_utf8_at(text); bad != std::string_view::npos) {
    return Error(Errc::invalid_argument, fmt::format("line {}: not UTF-8 text", line_of(text, bad)));
  }
  std::vector<Setting> out;
  std::size_t pos = 0;
  int line_no = 0;
  // The next natural line (without its terminator: \n, \r or \r\n), or nullopt at the end.
  auto next_line = [&]() -> std::optional<std::string_view> {
    if (pos >= text.size()) return std::nullopt;
    std::size_t end = pos;
    while (end < text.size() && text[end] != '\n' && text[end] != '\r') ++end;
    std::string_view l = text.substr(pos, end - pos);
    if (end < text.size() && text[end] == '\r' && end + 1 < text.size() && text[end + 1] == '\n') {
      pos = end + 2;
    } else {
      pos = end + 1;
    }
    ++line_no;
    return l;
  };
  auto skip_space = [](std::string_view l) {
    std::size_t i = 0;
    while (i < l.size() && is_prop_space(l[i])) ++i;
    return l.substr(i);
  };
  auto continues = [](std::string_view l) {
    std::size_t n = 0;
    while (n < l.size() && l[l.size() - 1 - n] == '\\') ++n;
    return n % 2 == 1;
  };

  while (auto natural = next_line()) {
    std::string_view l = skip_space(*natural);
    if (l.empty() || l[0] == '#' || l[0] == '!') continue;
    const int start_line = line_no;
    std::string logical;
    while (true) {
      if (!continues(l)) {
        logical += l;
        break;
      }
      logical += l.substr(0, l.size() - 1);
      auto more = next_line();
      if (!more) break;
      l = skip_space(*more);
    }

    // The key ends at the first unescaped `=`, `:` or white space.
    std::size_t i = 0;
    while (i < logical.size()) {
      const char c = logical[i];
      if (c == '\\') {
        i += 2;
        continue;
      }
      if (c == '=' || c == ':' || is_prop_space(c)) break;
      ++i;
    }
    i = std::min(i, logical.size());
    const std::string_view raw_key = std::string_view(logical).substr(0, i);
    bool separator = false;
    while (i < logical.size() && is_prop_space(logical[i])) {
      ++i;
      separator = true;
    }
    if (i < logical.size() && (logical[i] == '=' || logical[i] == ':')) {
      ++i;
      separator = true;
      while (i < logical.size() && is_prop_space(logical[i])) ++i;
    }
    const std::string_view raw_value = std::string_view(logical).substr(i);
    if (raw_key.empty()) {
      return Error(Errc::invalid_argument, fmt::format("line {}: a setting without a key", start_line));
    }
    auto key = unescape(raw_key, start_line);
    if (!key.ok()) return key.error();
    if (!separator && raw_value.empty()) {
      return Error(Errc::invalid_argument,
                   fmt::format("line {}: `{}` has no `=` or `:` and no value", start_line, printable(*key)));
    }
    auto value = unescape(raw_value, start_line);
    if (!value.ok()) return value.error();
    out.push_back(Setting{std::move(*key), std::move(*value), start_line});
  }
  return out;
}

Result<std::vector<Setting>> parse_connector_json(std::string_view text) {
  text = strip_bom(text);
  simdjson::dom::parser parser;
  const simdjson::padded_string padded(text.data(), text.size());
  simdjson::dom::element root;
  if (auto err = parser.parse(padded).get(root); err != simdjson::SUCCESS) {
    return Error(Errc::invalid_argument, fmt::format("not valid JSON: {}", simdjson::error_message(err)));
  }
  simdjson::dom::object top;
  if (root.get(top) != simdjson::SUCCESS) {
    return Error(Errc::invalid_argument, "a connector configuration in JSON is an object");
  }

  auto to_text = [](std::string_view key, simdjson::dom::element v) -> Result<std::optional<std::string>> {
    switch (v.type()) {
      case simdjson::dom::element_type::STRING: return std::optional<std::string>(std::string(v.get_string().value()));
      case simdjson::dom::element_type::INT64: return std::optional<std::string>(std::to_string(v.get_int64().value()));
      case simdjson::dom::element_type::UINT64:
        return std::optional<std::string>(std::to_string(v.get_uint64().value()));
      case simdjson::dom::element_type::DOUBLE:
        return std::optional<std::string>(fmt::format("{}", v.get_double().value()));
      case simdjson::dom::element_type::BOOL:
        return std::optional<std::string>(std::string(v.get_bool().value() ? "true" : "false"));
      case simdjson::dom::element_type::NULL_VALUE: return std::optional<std::string>();
      default:
        return Error(Errc::invalid_argument,
                     fmt::format("\"{}\": a setting's value is a string, a number or a boolean", printable(key)));
    }
  };

  std::vector<Setting> out;
  simdjson::dom::element config_el;
  const bool wrapped = top.at_key("config").get(config_el) == simdjson::SUCCESS;
  simdjson::dom::object config = top;
  std::optional<std::string> outer_name;
  if (wrapped) {
    if (config_el.get(config) != simdjson::SUCCESS) {
      return Error(Errc::invalid_argument, "\"config\" is not an object");
    }
    for (auto field : top) {
      if (field.key == "config" || field.key == "tasks" || field.key == "type") continue;
      if (field.key == "name") {
        std::string_view n;
        if (field.value.get(n) != simdjson::SUCCESS) {
          return Error(Errc::invalid_argument, "\"name\" is not a string");
        }
        outer_name = std::string(n);
        continue;
      }
      return Error(Errc::invalid_argument,
                   fmt::format("\"{}\" next to \"config\": expected {{\"name\": ..., \"config\": {{...}}}}",
                               printable(field.key)));
    }
  }
  for (auto field : config) {
    auto v = to_text(field.key, field.value);
    if (!v.ok()) return v.error();
    if (!v->has_value()) continue;  // null: not set
    if (field.key == "name" && outer_name && **v != *outer_name) {
      return Error(Errc::invalid_argument,
                   fmt::format("\"name\" {} and config.name {} differ", printable(*outer_name), printable(**v)));
    }
    out.push_back(Setting{std::string(field.key), std::move(**v), json_key_line(text, field.key)});
  }
  if (outer_name && std::none_of(out.begin(), out.end(), [](const Setting& s) { return s.key == "name"; })) {
    out.insert(out.begin(), Setting{"name", *outer_name, json_key_line(text, "name")});
  }
  return out;
}

Result<ImportResult> import_connector_config(std::string_view text, std::string_view file_name) {
  const std::string_view body = strip_bom(text);
  const auto first = body.find_first_not_of(kSpace);
  const bool json = first != std::string_view::npos && body[first] == '{';
  auto settings = json ? parse_connector_json(body) : parse_properties(body);
  if (!settings.ok()) {
    return Error(Errc::invalid_argument, fmt::format("{}: {}", file_name, settings.error().message()));
  }
  Importer importer(*settings, file_name);
  return importer.run();
}

}  // namespace sluice::connect
