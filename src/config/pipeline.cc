#include "config/pipeline.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cstdlib>
#include <array>
#include <cctype>
#include <charconv>
#include <fstream>
#include <sstream>
#include <sys/stat.h>

#include <fmt/format.h>

namespace sluice::config {

std::string Location::to_string() const { return line > 0 ? fmt::format("{}:{}", file, line) : file; }

Result<std::string> Secret::resolve() const {
  if (!env.empty()) {
    const char* v = std::getenv(env.c_str());
    if (v == nullptr) return Error(Errc::invalid_argument, fmt::format("environment variable {} is not set", env));
    return std::string(v);
  }
  if (!file.empty()) {
    struct stat st {};
    if (::stat(file.c_str(), &st) != 0) return Error(Errc::not_found, fmt::format("secret file {} not found", file));
    if ((st.st_mode & (S_IRWXG | S_IRWXO)) != 0) {
      return Error(Errc::invalid_argument,
                   fmt::format("secret file {} is readable by group or others (chmod 600 it)", file));
    }
    std::ifstream in(file, std::ios::binary);
    std::string value((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    while (!value.empty() && (value.back() == '\n' || value.back() == '\r')) value.pop_back();
    return value;
  }
  return std::string();
}

std::string_view format_name(Format f) {
  switch (f) {
    case Format::json: return "json";
    case Format::avro: return "avro";
    case Format::string: return "string";
    case Format::bytes: return "bytes";
  }
  return "?";
}

std::string_view error_policy_name(ErrorPolicy p) {
  switch (p) {
    case ErrorPolicy::all: return "all";
    case ErrorPolicy::driver: return "driver";
    case ErrorPolicy::none: return "none";
  }
  return "?";
}

const SourceConfig* Pipeline::source(std::string_view n) const {
  for (const auto& s : sources) {
    if (s.name == n) return &s;
  }
  return nullptr;
}

namespace {

// CQL's reserved words (those that cannot be column or table names unquoted).
constexpr std::array<std::string_view, 60> kReserved = {
    "add",       "allow",     "alter",    "and",      "apply",    "asc",      "authorize", "batch",   "begin",
    "by",        "columnfamily", "create", "delete",  "desc",     "describe", "drop",      "entries", "execute",
    "from",      "full",      "grant",    "if",       "in",       "index",    "infinity",  "insert",  "into",
    "is",        "keyspace",  "limit",    "materialized", "mbean", "mbeans",  "modify",    "nan",     "norecursive",
    "not",       "null",      "of",       "on",       "or",       "order",    "primary",   "rename",  "replace",
    "revoke",    "schema",    "select",   "set",      "table",    "to",       "token",     "truncate", "unlogged",
    "unset",     "update",    "use",      "using",    "view",     "where"};

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

}  // namespace

bool is_reserved_word(std::string_view name) {
  return std::find(kReserved.begin(), kReserved.end(), lower(name)) != kReserved.end();
}

Status check_identifier(std::string_view name) {
  if (name.empty()) return Error(Errc::invalid_argument, "empty identifier");
  if (name.size() > 48) {
    return Error(Errc::invalid_argument, fmt::format("identifier '{}' is longer than 48 characters", name));
  }
  auto ok_first = [](char c) { return std::isalpha(static_cast<unsigned char>(c)) != 0 || c == '_'; };
  auto ok_rest = [](char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_'; };
  if (!ok_first(name[0]) || !std::all_of(name.begin() + 1, name.end(), ok_rest)) {
    return Error(Errc::invalid_argument,
                 fmt::format("identifier '{}' is not [A-Za-z_][A-Za-z0-9_]* (quoted identifiers are not accepted)",
                             name.substr(0, 64)));
  }
  if (is_reserved_word(name)) {
    return Error(Errc::invalid_argument, fmt::format("identifier '{}' is a CQL reserved word", name));
  }
  return {};
}

Result<std::int64_t> parse_duration_seconds(std::string_view text) {
  std::int64_t n = 0;
  const char* end = text.data() + text.size();
  auto [p, ec] = std::from_chars(text.data(), end, n);
  if (ec != std::errc() || p == text.data() || n < 0) {
    return Error(Errc::invalid_argument, fmt::format("'{}' is not a duration (like 7d, 12h, 30m, 45s)", text));
  }
  std::string_view unit(p, static_cast<std::size_t>(end - p));
  std::int64_t scale = 0;
  if (unit.empty() || unit == "s") scale = 1;
  else if (unit == "m") scale = 60;
  else if (unit == "h") scale = 3600;
  else if (unit == "d") scale = 86400;
  else if (unit == "w") scale = 7 * 86400;
  else return Error(Errc::invalid_argument, fmt::format("'{}': unknown duration unit '{}' (s, m, h, d, w)", text, unit));
  if (n > INT64_MAX / scale) return Error(Errc::invalid_argument, fmt::format("duration '{}' is too large", text));
  return n * scale;
}

Result<Expr> parse_expr(std::string_view text) {
  Expr e;
  e.text = std::string(text);
  auto split_path = [](std::string_view rest) {
    std::vector<std::string> parts;
    std::size_t start = 0;
    while (start <= rest.size()) {
      auto dot = rest.find('.', start);
      if (dot == std::string_view::npos) dot = rest.size();
      parts.emplace_back(rest.substr(start, dot - start));
      start = dot + 1;
    }
    return parts;
  };
  auto bad = [&](std::string_view why) { return Error(Errc::invalid_argument, fmt::format("'{}': {}", text, why)); };
  if (text == "topic") e.kind = Expr::Kind::topic;
  else if (text == "partition") e.kind = Expr::Kind::partition;
  else if (text == "offset") e.kind = Expr::Kind::offset;
  else if (text == "timestamp") e.kind = Expr::Kind::timestamp;
  else if (text == "now()") e.kind = Expr::Kind::now;
  else if (text == "value" || text == "key") e.kind = text == "value" ? Expr::Kind::value : Expr::Kind::key;
  else if (text.starts_with("value.") || text.starts_with("key.")) {
    e.kind = text.starts_with("value.") ? Expr::Kind::value : Expr::Kind::key;
    e.path = split_path(text.substr(text.find('.') + 1));
    for (const auto& p : e.path) {
      if (p.empty()) return bad("empty field name in the path");
    }
  } else if (text.starts_with("header.")) {
    e.kind = Expr::Kind::header;
    e.header = std::string(text.substr(7));
    if (e.header.empty()) return bad("empty header name");
  } else {
    return bad("not an expression (value.<path>, key[.<path>], header.<name>, topic, partition, offset, "
               "timestamp, now())");
  }
  return e;
}

namespace {

// Walks the YAML tree, collecting every problem with its line instead of stopping at the first.
class Reader {
 public:
  explicit Reader(std::string file) : file_(std::move(file)) {}

  Location at(const YAML::Node& n) const { return Location{file_, n.Mark().line >= 0 ? n.Mark().line + 1 : 0}; }

  void error(const YAML::Node& n, std::string_view message) {
    errors_.push_back(fmt::format("{}: {}", at(n).to_string(), message));
  }
  void error(const Location& loc, std::string_view message) {
    errors_.push_back(fmt::format("{}: {}", loc.to_string(), message));
  }

  // Refuses keys of a mapping that are not in `known`.
  bool expect_map(const YAML::Node& n, std::string_view what, std::initializer_list<std::string_view> known) {
    if (!n.IsMap()) {
      error(n, fmt::format("{} must be a mapping", what));
      return false;
    }
    for (const auto& kv : n) {
      auto key = kv.first.as<std::string>();
      if (std::find(known.begin(), known.end(), key) == known.end()) {
        error(kv.first, fmt::format("unknown key '{}' in {}", key, what));
      }
    }
    return true;
  }

  bool str(const YAML::Node& n, std::string_view key, std::string& out) {
    auto v = n[std::string(key)];
    if (!v) return false;
    if (!v.IsScalar()) {
      error(v, fmt::format("{} must be a text value", key));
      return false;
    }
    out = v.as<std::string>();
    return true;
  }

  template <class Int>
  void integer(const YAML::Node& n, std::string_view key, Int& out, std::int64_t min, std::int64_t max) {
    auto v = n[std::string(key)];
    if (!v) return;
    std::int64_t x = 0;
    std::string s = v.IsScalar() ? v.as<std::string>() : "";
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), x);
    if (!v.IsScalar() || ec != std::errc() || p != s.data() + s.size()) {
      error(v, fmt::format("{} must be an integer", key));
      return;
    }
    if (x < min || x > max) {
      error(v, fmt::format("{} = {} is out of range [{}, {}]", key, x, min, max));
      return;
    }
    out = static_cast<Int>(x);
  }

  void boolean(const YAML::Node& n, std::string_view key, bool& out) {
    auto v = n[std::string(key)];
    if (!v) return;
    if (v.IsScalar()) {
      auto s = lower(v.as<std::string>());
      if (s == "true" || s == "yes" || s == "on") { out = true; return; }
      if (s == "false" || s == "no" || s == "off") { out = false; return; }
    }
    error(v, fmt::format("{} must be true or false", key));
  }

  void strings(const YAML::Node& n, std::string_view key, std::vector<std::string>& out) {
    auto v = n[std::string(key)];
    if (!v) return;
    out.clear();
    if (v.IsScalar()) {
      out.push_back(v.as<std::string>());
      return;
    }
    if (!v.IsSequence()) {
      error(v, fmt::format("{} must be a list", key));
      return;
    }
    for (const auto& item : v) {
      if (!item.IsScalar()) error(item, fmt::format("{} items must be text", key));
      else out.push_back(item.as<std::string>());
    }
  }

  void secret(const YAML::Node& n, Secret& out) {
    str(n, "password_env", out.env);
    str(n, "password_file", out.file);
    if (!out.env.empty() && !out.file.empty()) error(n, "give password_env or password_file, not both");
    if (n["password"]) {
      error(n["password"], "passwords are not written in the pipeline file: use password_env or password_file");
    }
  }

  void identifier(const YAML::Node& n, const std::string& name, std::string_view what) {
    if (auto st = check_identifier(name); !st.ok()) error(n, fmt::format("{}: {}", what, st.error().message()));
  }

  const std::vector<std::string>& errors() const { return errors_; }
  const std::string& file() const { return file_; }

 private:
  std::string file_;
  std::vector<std::string> errors_;
};

std::optional<TlsFiles> read_tls(Reader& r, const YAML::Node& t, std::string_view what, bool ca_required) {
  if (!r.expect_map(t, what, {"ca_file", "cert_file", "key_file"})) return std::nullopt;
  TlsFiles tls;
  r.str(t, "ca_file", tls.ca_file);
  r.str(t, "cert_file", tls.cert_file);
  r.str(t, "key_file", tls.key_file);
  if (ca_required && tls.ca_file.empty()) r.error(t, fmt::format("{} needs ca_file", what));
  if (tls.cert_file.empty() != tls.key_file.empty()) r.error(t, fmt::format("{} needs both cert_file and key_file", what));
  return tls;
}

void read_kafka(Reader& r, const YAML::Node& n, KafkaConfig& k) {
  if (!r.expect_map(n, "kafka", {"bootstrap_servers", "group_id", "tls", "sasl", "properties"})) return;
  r.str(n, "bootstrap_servers", k.bootstrap_servers);
  r.str(n, "group_id", k.group_id);
  if (auto t = n["tls"]) k.tls = read_tls(r, t, "kafka.tls", false);
  if (auto s = n["sasl"]) {
    if (r.expect_map(s, "kafka.sasl", {"mechanism", "username", "password_env", "password_file", "password"})) {
      KafkaSasl sasl;
      r.str(s, "mechanism", sasl.mechanism);
      r.str(s, "username", sasl.username);
      r.secret(s, sasl.password);
      if (sasl.mechanism != "PLAIN" && sasl.mechanism != "SCRAM-SHA-256" && sasl.mechanism != "SCRAM-SHA-512") {
        r.error(s, fmt::format("kafka.sasl.mechanism '{}': use PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512", sasl.mechanism));
      }
      if (sasl.username.empty()) r.error(s, "kafka.sasl needs a username");
      if (sasl.password.empty()) r.error(s, "kafka.sasl needs password_env or password_file");
      k.sasl = sasl;
    }
  }
  if (auto p = n["properties"]) {
    if (!p.IsMap()) {
      r.error(p, "kafka.properties must be a mapping");
    } else {
      for (const auto& kv : p) {
        auto key = kv.first.as<std::string>();
        if (key.find("password") != std::string::npos || key.find("secret") != std::string::npos) {
          r.error(kv.first, fmt::format("kafka.properties.{}: secrets are not written in the pipeline file", key));
          continue;
        }
        k.properties[key] = kv.second.as<std::string>();
      }
    }
  }
}

void read_cassandra(Reader& r, const YAML::Node& n, CassandraConfig& c) {
  if (!r.expect_map(n, "cassandra",
                    {"contact_points", "port", "local_datacenter", "keyspace", "username", "password_env",
                     "password_file", "password", "tls", "compression", "io_threads", "connections_per_host"})) {
    return;
  }
  r.strings(n, "contact_points", c.contact_points);
  if (c.contact_points.empty()) r.error(n, "cassandra.contact_points is empty");
  r.integer(n, "port", c.port, 1, 65535);
  r.str(n, "local_datacenter", c.local_datacenter);
  if (r.str(n, "keyspace", c.keyspace)) {
    r.identifier(n["keyspace"], c.keyspace, "cassandra.keyspace");
    c.keyspace = lower(c.keyspace);
  }
  r.str(n, "username", c.username);
  r.secret(n, c.password);
  if (!c.username.empty() && c.password.empty()) r.error(n, "cassandra.username needs password_env or password_file");
  if (auto t = n["tls"]) c.tls = read_tls(r, t, "cassandra.tls", true);
  std::string compression = "lz4";
  r.str(n, "compression", compression);
  if (compression != "lz4" && compression != "none") r.error(n["compression"], "cassandra.compression: lz4 or none");
  c.lz4 = compression == "lz4";
  r.integer(n, "io_threads", c.io_threads, 1, 64);
  r.integer(n, "connections_per_host", c.connections_per_host, 1, 64);
}

std::optional<Format> parse_format(std::string_view s) {
  if (s == "json") return Format::json;
  if (s == "avro") return Format::avro;
  if (s == "string") return Format::string;
  if (s == "bytes") return Format::bytes;
  return std::nullopt;
}

void read_source(Reader& r, const YAML::Node& n, SourceConfig& s) {
  s.at = r.at(n);
  if (!r.expect_map(n, "a source",
                    {"name", "topics", "topic_pattern", "start", "format", "key_format", "avro", "time"})) {
    return;
  }
  if (!r.str(n, "name", s.name) || s.name.empty()) r.error(n, "a source needs a name");
  r.strings(n, "topics", s.topics);
  r.str(n, "topic_pattern", s.topic_pattern);
  if (s.topics.empty() == s.topic_pattern.empty()) r.error(n, fmt::format("source '{}': give topics or topic_pattern", s.name));
  std::string start;
  if (r.str(n, "start", start)) {
    if (start == "earliest") s.start.kind = StartPosition::Kind::earliest;
    else if (start == "latest") s.start.kind = StartPosition::Kind::latest;
    else {
      auto t = codec::parse_timestamp_millis(start, codec::TimeSettings{});
      if (!t.ok()) r.error(n["start"], fmt::format("start: earliest, latest or an ISO-8601 time ({})", t.error().message()));
      else s.start = StartPosition{StartPosition::Kind::time, *t};
    }
  }
  for (auto [key, out] : {std::pair{"format", &s.format}, std::pair{"key_format", &s.key_format}}) {
    std::string f;
    if (!r.str(n, key, f)) continue;
    auto parsed = parse_format(f);
    if (!parsed) r.error(n[key], fmt::format("{} '{}': json, avro, string or bytes", key, f));
    else *out = *parsed;
  }
  if (auto a = n["avro"]) {
    if (r.expect_map(a, "avro", {"wire", "schemas", "schema_file"})) {
      std::string wire = "confluent";
      r.str(a, "wire", wire);
      if (wire != "confluent" && wire != "plain") r.error(a["wire"], "avro.wire: confluent or plain");
      s.avro.confluent_wire = wire == "confluent";
      r.str(a, "schemas", s.avro.schemas_dir);
      r.str(a, "schema_file", s.avro.schema_file);
    }
  }
  if (s.format == Format::avro || s.key_format == Format::avro) {
    if (s.avro.confluent_wire && s.avro.schemas_dir.empty()) r.error(n, fmt::format("source '{}': avro.schemas (a directory of <id>.avsc files) is needed for the confluent wire format", s.name));
    if (!s.avro.confluent_wire && s.avro.schema_file.empty()) r.error(n, fmt::format("source '{}': avro.schema_file is needed for the plain wire format", s.name));
  }
  if (auto t = n["time"]) {
    if (r.expect_map(t, "time", {"zone", "timestamp_format", "date_format", "time_format", "epoch_unit"})) {
      r.str(t, "zone", s.time.zone);
      r.str(t, "timestamp_format", s.time.timestamp_format);
      r.str(t, "date_format", s.time.date_format);
      r.str(t, "time_format", s.time.time_format);
      std::string unit;
      if (r.str(t, "epoch_unit", unit)) {
        auto u = codec::parse_time_unit(unit);
        if (!u.ok()) r.error(t["epoch_unit"], u.error().message());
        else s.time.epoch_unit = *u;
      }
    }
  }
}

void read_expr(Reader& r, const YAML::Node& n, Expr& out) {
  auto e = parse_expr(n.as<std::string>());
  if (!e.ok()) {
    r.error(n, e.error().message());
    return;
  }
  out = std::move(*e);
  out.at = r.at(n);
}

// "a=value.x, b = key" (the DataStax connector's form).
void read_mapping_string(Reader& r, const YAML::Node& n, std::vector<MappingEntry>& out) {
  std::string text = n.as<std::string>();
  std::stringstream ss(text);
  std::string item;
  auto trim = [](std::string s) {
    auto b = s.find_first_not_of(" \t\n");
    auto e = s.find_last_not_of(" \t\n");
    return b == std::string::npos ? std::string() : s.substr(b, e - b + 1);
  };
  while (std::getline(ss, item, ',')) {
    item = trim(item);
    if (item.empty()) continue;
    auto eq = item.find('=');
    if (eq == std::string::npos) {
      r.error(n, fmt::format("mapping item '{}' is not column=expression", item));
      continue;
    }
    MappingEntry m{trim(item.substr(0, eq)), {}};
    auto e = parse_expr(trim(item.substr(eq + 1)));
    if (!e.ok()) {
      r.error(n, e.error().message());
      continue;
    }
    m.expr = std::move(*e);
    m.expr.at = r.at(n);
    out.push_back(std::move(m));
  }
}

void read_sink(Reader& r, const YAML::Node& n, const Pipeline& p, SinkConfig& s) {
  s.at = r.at(n);
  if (!r.expect_map(n, "a sink",
                    {"from", "table", "mapping", "ttl", "writetime", "deletes", "null_to_unset", "consistency",
                     "query", "counters_at_least_once"})) {
    return;
  }
  if (!r.str(n, "from", s.from)) r.error(n, "a sink needs from: <source name>");
  else if (p.source(s.from) == nullptr) r.error(n["from"], fmt::format("from: no source is named '{}'", s.from));
  std::string table;
  if (!r.str(n, "table", table) || table.empty()) {
    r.error(n, "a sink needs a table");
  } else {
    auto dot = table.find('.');
    s.keyspace = dot == std::string::npos ? p.cassandra.keyspace : table.substr(0, dot);
    s.table = dot == std::string::npos ? table : table.substr(dot + 1);
    if (s.keyspace.empty()) r.error(n["table"], fmt::format("table '{}' has no keyspace and cassandra.keyspace is not set", table));
    else r.identifier(n["table"], s.keyspace, "keyspace");
    r.identifier(n["table"], s.table, "table");
    s.keyspace = lower(s.keyspace);
    s.table = lower(s.table);
  }
  if (auto m = n["mapping"]) {
    if (m.IsScalar()) {
      read_mapping_string(r, m, s.mapping);
    } else if (m.IsMap()) {
      for (const auto& kv : m) {
        MappingEntry e{kv.first.as<std::string>(), {}};
        if (!kv.second.IsScalar()) {
          r.error(kv.second, fmt::format("mapping of {} must be an expression", e.column));
          continue;
        }
        read_expr(r, kv.second, e.expr);
        s.mapping.push_back(std::move(e));
      }
    } else {
      r.error(m, "mapping must be a mapping of column: expression, or \"col=expr, ...\"");
    }
    for (auto& e : s.mapping) {
      r.identifier(m, e.column, "mapping column");
      e.column = lower(e.column);
    }
    for (std::size_t i = 0; i < s.mapping.size(); ++i) {
      for (std::size_t j = 0; j < i; ++j) {
        if (s.mapping[i].column == s.mapping[j].column) r.error(m, fmt::format("column {} is mapped twice", s.mapping[i].column));
      }
    }
  } else {
    r.error(n, "a sink needs a mapping");
  }
  if (auto t = n["ttl"]) {
    if (t.IsScalar()) {
      auto secs = parse_duration_seconds(t.as<std::string>());
      if (!secs.ok()) r.error(t, fmt::format("ttl: {}", secs.error().message()));
      else if (*secs > 630720000) r.error(t, "ttl is above Cassandra's maximum of 20 years (630720000 s)");
      else if (*secs > 0) s.ttl = TtlConfig{TtlConfig::Kind::fixed, *secs, {}, codec::TimeUnit::seconds};
    } else if (r.expect_map(t, "ttl", {"field", "unit", "expire_after", "from"})) {
      if (t["field"] && t["expire_after"]) r.error(t, "ttl: give field or expire_after, not both");
      if (auto f = t["field"]) {
        s.ttl.kind = TtlConfig::Kind::field;
        read_expr(r, f, s.ttl.field);
        std::string unit;
        if (r.str(t, "unit", unit)) {
          auto u = codec::parse_time_unit(unit);
          if (!u.ok()) r.error(t["unit"], u.error().message());
          else s.ttl.unit = *u;
        }
      } else if (auto ea = t["expire_after"]) {
        s.ttl.kind = TtlConfig::Kind::expire_after;
        auto secs = parse_duration_seconds(ea.as<std::string>());
        if (!secs.ok()) r.error(ea, fmt::format("ttl.expire_after: {}", secs.error().message()));
        else s.ttl.seconds = *secs;
        if (auto from = t["from"]) read_expr(r, from, s.ttl.field);
        else s.ttl.field.kind = Expr::Kind::timestamp;
      } else {
        r.error(t, "ttl needs field or expire_after");
      }
    }
  }
  if (auto w = n["writetime"]) {
    if (w.IsScalar()) {
      if (w.as<std::string>() != "record") r.error(w, "writetime: record, or {field: ..., unit: ...}");
    } else if (r.expect_map(w, "writetime", {"field", "unit"})) {
      s.writetime.from_record = false;
      if (auto f = w["field"]) read_expr(r, f, s.writetime.field);
      else r.error(w, "writetime needs a field");
      std::string unit;
      if (r.str(w, "unit", unit)) {
        auto u = codec::parse_time_unit(unit);
        if (!u.ok()) r.error(w["unit"], u.error().message());
        else s.writetime.unit = *u;
      }
    }
  }
  r.boolean(n, "deletes", s.deletes);
  r.boolean(n, "null_to_unset", s.null_to_unset);
  std::string consistency;
  if (r.str(n, "consistency", consistency)) {
    auto c = cql::parse_consistency(consistency);
    if (!c || *c == cql::Consistency::serial || *c == cql::Consistency::local_serial) {
      r.error(n["consistency"], fmt::format("consistency '{}' is not a write consistency level", consistency));
    } else {
      s.consistency = *c;
    }
  }
  r.str(n, "query", s.query);
  r.boolean(n, "counters_at_least_once", s.counters_at_least_once);
}

void read_write(Reader& r, const YAML::Node& n, WriteConfig& w) {
  if (!r.expect_map(n, "write",
                    {"max_batch_bytes", "max_batch_rows", "max_in_flight", "max_buffered_records",
                     "commit_interval_ms", "request_timeout_ms"})) {
    return;
  }
  r.integer(n, "max_batch_bytes", w.max_batch_bytes, 0, 1 << 24);
  r.integer(n, "max_batch_rows", w.max_batch_rows, 1, 10000);
  r.integer(n, "max_in_flight", w.max_in_flight, 1, 100000);
  r.integer(n, "max_buffered_records", w.max_buffered_records, 1, 100000000);
  r.integer(n, "commit_interval_ms", w.commit_interval_ms, 10, 3600000);
  r.integer(n, "request_timeout_ms", w.request_timeout_ms, 100, 3600000);
}

void read_admin(Reader& r, const YAML::Node& n, AdminConfig& a) {
  if (!r.expect_map(n, "admin", {"listen"})) return;
  std::string listen;
  if (!r.str(n, "listen", listen)) return;
  if (listen.empty()) {
    a.enabled = false;
    return;
  }
  auto colon = listen.rfind(':');
  int port = 0;
  std::string port_text = colon == std::string::npos ? "" : listen.substr(colon + 1);
  auto [p, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (colon == std::string::npos || ec != std::errc() || p != port_text.data() + port_text.size() || port < 0 ||
      port > 65535) {
    r.error(n["listen"], fmt::format("admin.listen '{}' is not address:port", listen));
    return;
  }
  a.address = listen.substr(0, colon);
  a.port = static_cast<std::uint16_t>(port);
}

}  // namespace

Result<Pipeline> parse_pipeline(std::string_view yaml_text, std::string_view file_name) {
  Reader r{std::string(file_name)};
  YAML::Node root;
  try {
    root = YAML::Load(std::string(yaml_text));
  } catch (const YAML::Exception& e) {
    return Error(Errc::invalid_argument, fmt::format("{}:{}: {}", file_name, e.mark.line + 1, e.msg));
  }
  Pipeline p;
  p.file = std::string(file_name);
  try {
    if (!r.expect_map(root, "the pipeline file",
                      {"name", "kafka", "cassandra", "sources", "sinks", "dead_letters", "error_policy", "write",
                       "admin"})) {
      return Error(Errc::invalid_argument, r.errors().front());
    }
    if (!r.str(root, "name", p.name) || p.name.empty()) r.error(root, "the pipeline needs a name");
    else if (!std::all_of(p.name.begin(), p.name.end(), [](unsigned char c) {
               return std::isalnum(c) != 0 || c == '_' || c == '-' || c == '.';
             }) || p.name.size() > 100) {
      r.error(root["name"], fmt::format("name '{}': letters, digits, '_', '-' and '.' only, up to 100", p.name));
    }
    if (auto k = root["kafka"]) read_kafka(r, k, p.kafka);
    if (p.kafka.group_id.empty()) p.kafka.group_id = "sluice-" + p.name;
    if (auto c = root["cassandra"]) read_cassandra(r, c, p.cassandra);
    if (auto s = root["sources"]; s && s.IsSequence()) {
      for (const auto& item : s) {
        SourceConfig src;
        read_source(r, item, src);
        if (p.source(src.name) != nullptr) r.error(item, fmt::format("two sources are named '{}'", src.name));
        p.sources.push_back(std::move(src));
      }
    } else {
      r.error(root, "sources: a list of sources is needed");
    }
    if (auto s = root["sinks"]; s && s.IsSequence()) {
      for (const auto& item : s) {
        SinkConfig sink;
        read_sink(r, item, p, sink);
        p.sinks.push_back(std::move(sink));
      }
    } else {
      r.error(root, "sinks: a list of sinks is needed");
    }
    if (auto d = root["dead_letters"]) {
      if (r.expect_map(d, "dead_letters", {"topic", "table"})) {
        r.str(d, "topic", p.dead_letters.topic);
        r.str(d, "table", p.dead_letters.table);
        if (!p.dead_letters.table.empty()) {
          auto t = p.dead_letters.table;
          auto dot = t.find('.');
          if (dot == std::string::npos && p.cassandra.keyspace.empty()) r.error(d["table"], "dead_letters.table has no keyspace and cassandra.keyspace is not set");
          if (dot != std::string::npos) r.identifier(d["table"], t.substr(0, dot), "dead_letters.table keyspace");
          r.identifier(d["table"], dot == std::string::npos ? t : t.substr(dot + 1), "dead_letters.table");
          p.dead_letters.table = lower(dot == std::string::npos ? p.cassandra.keyspace + "." + t : t);
        }
      }
    }
    std::string policy;
    if (r.str(root, "error_policy", policy)) {
      if (policy == "all") p.error_policy = ErrorPolicy::all;
      else if (policy == "driver") p.error_policy = ErrorPolicy::driver;
      else if (policy == "none") p.error_policy = ErrorPolicy::none;
      else r.error(root["error_policy"], fmt::format("error_policy '{}': all, driver or none", policy));
    }
    if (p.error_policy != ErrorPolicy::none && p.dead_letters.topic.empty() && p.dead_letters.table.empty()) {
      r.error(root, fmt::format("error_policy {} sends failed records to dead letters: set dead_letters.topic and/or "
                                "dead_letters.table (or use error_policy: none)",
                                error_policy_name(p.error_policy)));
    }
    if (auto w = root["write"]) read_write(r, w, p.write);
    if (auto a = root["admin"]) read_admin(r, a, p.admin);
  } catch (const YAML::Exception& e) {
    r.error(Location{p.file, e.mark.line + 1}, e.msg);
  }
  if (!r.errors().empty()) {
    std::string all;
    for (const auto& e : r.errors()) all += (all.empty() ? "" : "\n") + e;
    return Error(Errc::invalid_argument, all);
  }
  return p;
}

Result<Pipeline> load_pipeline(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Error(Errc::not_found, fmt::format("cannot read {}", path));
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  return parse_pipeline(text, path);
}

}  // namespace sluice::config
