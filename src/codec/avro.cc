#include "codec/avro.h"

#include <avro.h>
#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <optional>
#include <set>
#include <sstream>
#include <utility>

namespace sluice::codec {

namespace avro_internal {

// ---------------------------------------------------------------------------------------------
// UTF-8

// True when `s` is well-formed UTF-8 (no overlong forms, no surrogates, nothing above U+10FFFF).
bool valid_utf8(std::string_view s) {
  std::size_t i = 0;
  const std::size_t n = s.size();
  while (i < n) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      ++i;
      continue;
    }
    std::size_t len = 0;
    unsigned char lo = 0x80;
    unsigned char hi = 0xbf;
    if (c >= 0xc2 && c <= 0xdf) {
      len = 2;
    } else if (c >= 0xe0 && c <= 0xef) {
      len = 3;
      if (c == 0xe0) lo = 0xa0;
      if (c == 0xed) hi = 0x9f;
    } else if (c >= 0xf0 && c <= 0xf4) {
      len = 4;
      if (c == 0xf0) lo = 0x90;
      if (c == 0xf4) hi = 0x8f;
    } else {
      return false;
    }
    if (n - i < len) return false;
    const auto c1 = static_cast<unsigned char>(s[i + 1]);
    if (c1 < lo || c1 > hi) return false;
    for (std::size_t k = 2; k < len; ++k) {
      const auto ck = static_cast<unsigned char>(s[i + k]);
      if (ck < 0x80 || ck > 0xbf) return false;
    }
    i += len;
  }
  return true;
}

void append_utf8(std::string& out, std::uint32_t cp) {
  if (cp < 0x80) {
    out.push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out.push_back(static_cast<char>(0xc0 | (cp >> 6)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3f)));
  } else if (cp < 0x10000) {
    out.push_back(static_cast<char>(0xe0 | (cp >> 12)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3f)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3f)));
  } else {
    out.push_back(static_cast<char>(0xf0 | (cp >> 18)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3f)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3f)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3f)));
  }
}

// ---------------------------------------------------------------------------------------------
// JSON, just enough to read the attributes Avro C drops (logicalType, precision, scale) and to
// give schema errors a line and column. Avro C parses the same text again with jansson.

struct Json {
  enum class Kind : std::uint8_t { null, boolean, number, string, array, object };
  Kind kind = Kind::null;
  bool boolean = false;
  std::string text;               // a string's value, or a number's literal
  std::vector<Json> items;        // array items, or object member values
  std::vector<std::string> keys;  // object member names, one per item

  bool is_string() const { return kind == Kind::string; }
  const Json* get(std::string_view key) const {
    for (std::size_t i = 0; i < keys.size(); ++i) {
      if (keys[i] == key) return &items[i];
    }
    return nullptr;
  }
  // The value of an integer literal (no fraction, no exponent) that fits int64.
  std::optional<std::int64_t> integer() const {
    if (kind != Kind::number || text.find_first_of(".eE") != std::string::npos) return std::nullopt;
    std::int64_t v = 0;
    const char* end = text.data() + text.size();
    auto [ptr, ec] = std::from_chars(text.data(), end, v);
    if (ec != std::errc() || ptr != end) return std::nullopt;
    return v;
  }
};

class JsonParser {
 public:
  explicit JsonParser(std::string_view in) : in_(in) {}

  Result<Json> document() {
    if (!valid_utf8(in_)) return Error(Errc::invalid_argument, "the file is not valid UTF-8");
    Json root;
    SLUICE_TRY(value(root, 0));
    skip_ws();
    if (pos_ != in_.size()) return fail("unexpected text after the JSON value");
    return root;
  }

 private:
  static constexpr int max_depth = 200;

  Error fail(std::string_view what) const {
    std::size_t line = 1;
    std::size_t col = 1;
    for (std::size_t i = 0; i < pos_ && i < in_.size(); ++i) {
      if (in_[i] == '\n') {
        ++line;
        col = 1;
      } else {
        ++col;
      }
    }
    return Error(Errc::invalid_argument, fmt::format("JSON error at line {}, column {}: {}", line, col, what));
  }

  void skip_ws() {
    while (pos_ < in_.size() && (in_[pos_] == ' ' || in_[pos_] == '\t' || in_[pos_] == '\n' || in_[pos_] == '\r')) {
      ++pos_;
    }
  }

  bool literal(std::string_view word) {
    if (in_.substr(pos_, word.size()) != word) return false;
    pos_ += word.size();
    return true;
  }

  Status value(Json& out, int depth) {
    if (depth > max_depth) return fail("nested too deeply");
    skip_ws();
    if (pos_ >= in_.size()) return fail("unexpected end of input");
    const char c = in_[pos_];
    if (c == '{') return object(out, depth);
    if (c == '[') return array(out, depth);
    if (c == '"') {
      out.kind = Json::Kind::string;
      return string(out.text);
    }
    if (c == '-' || (c >= '0' && c <= '9')) return number(out);
    if (literal("true")) {
      out.kind = Json::Kind::boolean;
      out.boolean = true;
      return ok_status();
    }
    if (literal("false")) {
      out.kind = Json::Kind::boolean;
      return ok_status();
    }
    if (literal("null")) {
      out.kind = Json::Kind::null;
      return ok_status();
    }
    return fail(fmt::format("unexpected character '{}'", c));
  }

  Status object(Json& out, int depth) {
    out.kind = Json::Kind::object;
    ++pos_;  // {
    skip_ws();
    if (pos_ < in_.size() && in_[pos_] == '}') {
      ++pos_;
      return ok_status();
    }
    for (;;) {
      skip_ws();
      if (pos_ >= in_.size() || in_[pos_] != '"') return fail("expected a member name");
      std::string key;
      SLUICE_TRY(string(key));
      if (out.get(key) != nullptr) return fail(fmt::format("duplicate member \"{}\"", key));
      skip_ws();
      if (pos_ >= in_.size() || in_[pos_] != ':') return fail("expected ':'");
      ++pos_;
      out.keys.push_back(std::move(key));
      SLUICE_TRY(value(out.items.emplace_back(), depth + 1));
      skip_ws();
      if (pos_ < in_.size() && in_[pos_] == ',') {
        ++pos_;
        continue;
      }
      if (pos_ < in_.size() && in_[pos_] == '}') {
        ++pos_;
        return ok_status();
      }
      return fail("expected ',' or '}'");
    }
  }

  Status array(Json& out, int depth) {
    out.kind = Json::Kind::array;
    ++pos_;  // [
    skip_ws();
    if (pos_ < in_.size() && in_[pos_] == ']') {
      ++pos_;
      return ok_status();
    }
    for (;;) {
      out.items.emplace_back();
      SLUICE_TRY(value(out.items.back(), depth + 1));
      skip_ws();
      if (pos_ < in_.size() && in_[pos_] == ',') {
        ++pos_;
        continue;
      }
      if (pos_ < in_.size() && in_[pos_] == ']') {
        ++pos_;
        return ok_status();
      }
      return fail("expected ',' or ']'");
    }
  }

  Status number(Json& out) {
    const std::size_t start = pos_;
    auto digits = [this] {
      const std::size_t from = pos_;
      while (pos_ < in_.size() && in_[pos_] >= '0' && in_[pos_] <= '9') ++pos_;
      return pos_ - from;
    };
    if (in_[pos_] == '-') ++pos_;
    if (pos_ < in_.size() && in_[pos_] == '0') {
      ++pos_;
    } else if (digits() == 0) {
      return fail("bad number");
    }
    if (pos_ < in_.size() && in_[pos_] == '.') {
      ++pos_;
      if (digits() == 0) return fail("bad number");
    }
    if (pos_ < in_.size() && (in_[pos_] == 'e' || in_[pos_] == 'E')) {
      ++pos_;
      if (pos_ < in_.size() && (in_[pos_] == '+' || in_[pos_] == '-')) ++pos_;
      if (digits() == 0) return fail("bad number");
    }
    out.kind = Json::Kind::number;
    out.text = std::string(in_.substr(start, pos_ - start));
    return ok_status();
  }

  Result<std::uint32_t> hex4() {
    if (in_.size() - pos_ < 4) return fail("bad \\u escape");
    std::uint32_t v = 0;
    for (int i = 0; i < 4; ++i) {
      const char h = in_[pos_++];
      v <<= 4U;
      if (h >= '0' && h <= '9') {
        v |= static_cast<std::uint32_t>(h - '0');
      } else if (h >= 'a' && h <= 'f') {
        v |= static_cast<std::uint32_t>(h - 'a' + 10);
      } else if (h >= 'A' && h <= 'F') {
        v |= static_cast<std::uint32_t>(h - 'A' + 10);
      } else {
        return fail("bad \\u escape");
      }
    }
    return v;
  }

  Status string(std::string& out) {
    ++pos_;  // "
    for (;;) {
      if (pos_ >= in_.size()) return fail("unterminated string");
      const char c = in_[pos_];
      if (c == '"') {
        ++pos_;
        return ok_status();
      }
      if (static_cast<unsigned char>(c) < 0x20) return fail("control character in a string");
      if (c != '\\') {
        out.push_back(c);
        ++pos_;
        continue;
      }
      ++pos_;
      if (pos_ >= in_.size()) return fail("unterminated string");
      const char e = in_[pos_++];
      switch (e) {
        case '"': out.push_back('"'); break;
        case '\\': out.push_back('\\'); break;
        case '/': out.push_back('/'); break;
        case 'b': out.push_back('\b'); break;
        case 'f': out.push_back('\f'); break;
        case 'n': out.push_back('\n'); break;
        case 'r': out.push_back('\r'); break;
        case 't': out.push_back('\t'); break;
        case 'u': {
          auto cp = hex4();
          if (!cp) return cp.error();
          std::uint32_t code = *cp;
          if (code >= 0xdc00 && code <= 0xdfff) return fail("lone surrogate in a \\u escape");
          if (code >= 0xd800 && code <= 0xdbff) {
            if (!literal("\\u")) return fail("lone surrogate in a \\u escape");
            auto low = hex4();
            if (!low) return low.error();
            if (*low < 0xdc00 || *low > 0xdfff) return fail("lone surrogate in a \\u escape");
            code = 0x10000 + ((code - 0xd800) << 10U) + (*low - 0xdc00);
          }
          if (code == 0) return fail("\\u0000 in a string");
          append_utf8(out, code);
          break;
        }
        default: return fail(fmt::format("bad escape '\\{}'", e));
      }
    }
  }

  std::string_view in_;
  std::size_t pos_ = 0;
};

// ---------------------------------------------------------------------------------------------
// Our view of a schema: the structure the scanner walks, plus what Avro C does not keep (logical
// types). Checked node for node against Avro C's own parse of the same text at load.

enum class Type : std::uint8_t {
  null,
  boolean,
  int32,
  int64,
  float32,
  float64,
  bytes,
  string,
  record,
  enumeration,
  array,
  map,
  union_,
  fixed
};

struct Node {
  Type type = Type::null;
  std::string name;                                         // full name of a record, enum or fixed
  std::vector<std::pair<std::string, const Node*>> fields;  // record
  std::vector<std::string> symbols;                         // enum
  const Node* child = nullptr;                              // array items, map values
  std::vector<const Node*> branches;                        // union
  std::int64_t size = 0;                                    // fixed
  std::string_view logical;                                 // a recognised logical type, or empty
  std::int32_t scale = 0;                                   // decimal
  bool may_be_empty = false;                                // some value of this type encodes in zero bytes
};

std::optional<Type> primitive_type(std::string_view s) {
  if (s == "null") return Type::null;
  if (s == "boolean") return Type::boolean;
  if (s == "int") return Type::int32;
  if (s == "long") return Type::int64;
  if (s == "float") return Type::float32;
  if (s == "double") return Type::float64;
  if (s == "bytes") return Type::bytes;
  if (s == "string") return Type::string;
  return std::nullopt;
}

// [A-Za-z_][A-Za-z0-9_]*
bool valid_name(std::string_view s) {
  if (s.empty()) return false;
  for (std::size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    const bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
    const bool digit = c >= '0' && c <= '9';
    if (!alpha && !(digit && i > 0)) return false;
  }
  return true;
}

// Dot-separated names.
bool valid_namespace(std::string_view s) {
  for (;;) {
    const auto dot = s.find('.');
    if (!valid_name(s.substr(0, dot))) return false;
    if (dot == std::string_view::npos) return true;
    s.remove_prefix(dot + 1);
  }
}

// The logical types sluice recognises, with the Avro type each must annotate. Anything else, or
// a logical type on the wrong type or with bad parameters, is ignored, as the spec requires: the
// value is decoded as its underlying type.
struct LogicalRule {
  std::string_view name;
  Type type;
  std::int64_t fixed_size = 0;  // for a fixed: the size it must have
};
constexpr LogicalRule logical_types[] = {
    {"uuid", Type::string},
    {"uuid", Type::fixed, 16},
    {"date", Type::int32},
    {"time-millis", Type::int32},
    {"time-micros", Type::int64},
    {"timestamp-millis", Type::int64},
    {"timestamp-micros", Type::int64},
    {"timestamp-nanos", Type::int64},
    {"local-timestamp-millis", Type::int64},
    {"local-timestamp-micros", Type::int64},
    {"local-timestamp-nanos", Type::int64},
    {"duration", Type::fixed, 12},
};
constexpr std::string_view decimal_name = "decimal";

// Digits a two's complement integer of `bytes` bytes can always hold.
std::int64_t max_decimal_precision(std::int64_t bytes) {
  if (bytes <= 0) return 0;
  if (bytes > 1024) return std::numeric_limits<std::int64_t>::max();
  return static_cast<std::int64_t>(std::floor((8.0 * static_cast<double>(bytes) - 1) * std::log10(2.0)));
}

void apply_logical(const Json& obj, Node& node) {
  const Json* lt = obj.get("logicalType");
  if (lt == nullptr || !lt->is_string()) return;
  if (lt->text == decimal_name) {
    if (node.type != Type::bytes && node.type != Type::fixed) return;
    const Json* pj = obj.get("precision");
    const Json* sj = obj.get("scale");
    // (value_or rather than optionals: gcc -O2 warns about them here, wrongly)
    const std::int64_t precision = pj != nullptr ? pj->integer().value_or(0) : 0;
    const std::int64_t scale = sj != nullptr ? sj->integer().value_or(-1) : 0;
    if (precision <= 0 || scale < 0 || scale > precision) return;
    if (node.type == Type::fixed && precision > max_decimal_precision(node.size)) return;
    if (scale > std::numeric_limits<std::int32_t>::max()) return;
    node.logical = decimal_name;
    node.scale = static_cast<std::int32_t>(scale);
    return;
  }
  for (const auto& rule : logical_types) {
    if (lt->text == rule.name && node.type == rule.type && (node.type != Type::fixed || node.size == rule.fixed_size)) {
      node.logical = rule.name;
    }
  }
}

// Builds Nodes from the JSON, resolving names the way Avro C 1.11 does: a name with a dot is
// full; otherwise it is qualified by the enclosing namespace (the innermost named type's).
class SchemaBuilder {
 public:
  explicit SchemaBuilder(std::vector<std::unique_ptr<Node>>& nodes) : nodes_(nodes) {}

  Result<Node*> build(const Json& j, const std::string& ns) {
    switch (j.kind) {
      case Json::Kind::string: return reference(j.text, ns);
      case Json::Kind::array: return union_of(j, ns);
      case Json::Kind::object: return object(j, ns);
      default: return fail("a type must be a name, an object or an array (a union)");
    }
  }

  // Whether some value of each type encodes in zero bytes (null, records of nulls): the least
  // fixed point, so that a record that contains itself is not empty.
  void mark_empty_types() {
    for (auto& n : nodes_) n->may_be_empty = n->type == Type::null;
    for (bool changed = true; changed;) {
      changed = false;
      for (auto& n : nodes_) {
        if (n->type != Type::record || n->may_be_empty) continue;
        if (std::all_of(n->fields.begin(), n->fields.end(), [](const auto& f) { return f.second->may_be_empty; })) {
          n->may_be_empty = true;
          changed = true;
        }
      }
    }
  }

 private:
  static Error fail(std::string message) { return Error(Errc::invalid_argument, std::move(message)); }

  Node* make(Type t) {
    nodes_.push_back(std::make_unique<Node>());
    nodes_.back()->type = t;
    return nodes_.back().get();
  }

  Result<Node*> reference(const std::string& name, const std::string& ns) {
    if (auto t = primitive_type(name)) return make(*t);
    const std::string full = (ns.empty() || name.find('.') != std::string::npos) ? name : ns + "." + name;
    auto it = named_.find(full);
    if (it == named_.end()) {
      return fail(
          fmt::format("unknown type \"{}\" (every named type must be defined in the same file, before it is used;"
                      " types from other .avsc files are not visible)",
                      full));
    }
    return it->second;
  }

  Result<Node*> union_of(const Json& j, const std::string& ns) {
    if (j.items.empty()) return fail("a union needs at least one branch");
    Node* n = make(Type::union_);
    for (const auto& item : j.items) {
      auto b = build(item, ns);
      if (!b) return b.error();
      n->branches.push_back(*b);
    }
    return n;
  }

  // Defines the named type of `obj` (record, enum, fixed); `ns` receives its namespace.
  Result<Node*> define(const Json& obj, Type t, std::string_view what, const std::string& parent_ns, std::string& ns) {
    const Json* name = obj.get("name");
    if (name == nullptr || !name->is_string()) return fail(fmt::format("{} type must have a \"name\"", what));
    std::string short_name = name->text;
    const auto dot = short_name.rfind('.');
    if (dot != std::string::npos) {
      ns = short_name.substr(0, dot);
      short_name = short_name.substr(dot + 1);
    } else if (const Json* nsj = obj.get("namespace"); nsj != nullptr) {
      if (!nsj->is_string()) return fail(fmt::format("{} \"{}\": \"namespace\" must be a string", what, name->text));
      ns = nsj->text;
    } else {
      ns = parent_ns;
    }
    if (!valid_name(short_name) || (!ns.empty() && !valid_namespace(ns))) {
      return fail(fmt::format("{} name \"{}\" is not a valid Avro name", what, name->text));
    }
    if (primitive_type(short_name) && ns.empty()) {
      return fail(fmt::format("{} name \"{}\" is a primitive type's name", what, name->text));
    }
    std::string full = ns.empty() ? short_name : ns + "." + short_name;
    if (named_.count(full) != 0) return fail(fmt::format("type \"{}\" is defined twice", full));
    Node* n = make(t);
    n->name = full;
    named_.emplace(std::move(full), n);
    return n;
  }

  Result<Node*> object(const Json& obj, const std::string& ns) {
    const Json* type = obj.get("type");
    if (type == nullptr) return fail("a type object must have a \"type\"");
    if (!type->is_string())
      return fail("\"type\" must be a string (write nested types as the value of a field's \"type\")");
    const std::string& t = type->text;
    if (auto p = primitive_type(t)) {
      Node* n = make(*p);
      apply_logical(obj, *n);
      return n;
    }
    if (t == "record") return record(obj, ns);
    if (t == "enum") return enumeration(obj, ns);
    if (t == "fixed") return fixed(obj, ns);
    if (t == "array" || t == "map") {
      const char* key = t == "array" ? "items" : "values";
      const Json* inner = obj.get(key);
      if (inner == nullptr) return fail(fmt::format("{} type must have \"{}\"", t, key));
      auto c = build(*inner, ns);
      if (!c) return c.error();
      Node* n = make(t == "array" ? Type::array : Type::map);
      n->child = *c;
      return n;
    }
    return reference(t, ns);
  }

  Result<Node*> record(const Json& obj, const std::string& parent_ns) {
    std::string ns;
    auto defined = define(obj, Type::record, "record", parent_ns, ns);
    if (!defined) return defined;
    Node* n = *defined;
    const Json* fields = obj.get("fields");
    if (fields == nullptr || fields->kind != Json::Kind::array) {
      return fail(fmt::format("record \"{}\" must have \"fields\" (an array)", n->name));
    }
    for (std::size_t i = 0; i < fields->items.size(); ++i) {
      const Json& f = fields->items[i];
      if (f.kind != Json::Kind::object)
        return fail(fmt::format("record \"{}\": field {} must be an object", n->name, i));
      const Json* fname = f.get("name");
      if (fname == nullptr || !fname->is_string() || !valid_name(fname->text)) {
        return fail(fmt::format("record \"{}\": field {} must have a valid \"name\"", n->name, i));
      }
      for (const auto& existing : n->fields) {
        if (existing.first == fname->text) {
          return fail(fmt::format("record \"{}\": two fields named \"{}\"", n->name, fname->text));
        }
      }
      const Json* ftype = f.get("type");
      if (ftype == nullptr)
        return fail(fmt::format("record \"{}\": field \"{}\" has no \"type\"", n->name, fname->text));
      auto c = build(*ftype, ns);
      if (!c)
        return Error(Errc::invalid_argument,
                     fmt::format("record \"{}\", field \"{}\": {}", n->name, fname->text, c.error().message()));
      n->fields.emplace_back(fname->text, *c);
    }
    return n;
  }

  Result<Node*> enumeration(const Json& obj, const std::string& parent_ns) {
    std::string ns;
    auto defined = define(obj, Type::enumeration, "enum", parent_ns, ns);
    if (!defined) return defined;
    Node* n = *defined;
    const Json* symbols = obj.get("symbols");
    if (symbols == nullptr || symbols->kind != Json::Kind::array || symbols->items.empty()) {
      return fail(fmt::format("enum \"{}\" must have \"symbols\" (an array of at least one name)", n->name));
    }
    for (const auto& s : symbols->items) {
      if (!s.is_string() || !valid_name(s.text))
        return fail(fmt::format("enum \"{}\": symbols must be valid names", n->name));
      if (std::find(n->symbols.begin(), n->symbols.end(), s.text) != n->symbols.end()) {
        return fail(fmt::format("enum \"{}\": symbol \"{}\" appears twice", n->name, s.text));
      }
      n->symbols.push_back(s.text);
    }
    return n;
  }

  Result<Node*> fixed(const Json& obj, const std::string& parent_ns) {
    std::string ns;
    auto defined = define(obj, Type::fixed, "fixed", parent_ns, ns);
    if (!defined) return defined;
    Node* n = *defined;
    const Json* size = obj.get("size");
    const auto v = size != nullptr ? size->integer() : std::nullopt;
    if (!v || *v < 0 || *v > std::numeric_limits<std::int32_t>::max()) {
      return fail(fmt::format("fixed \"{}\" must have a \"size\" (an integer from 0 to 2^31-1)", n->name));
    }
    if (*v == 0) {
      // Legal Avro, but Avro C cannot read it (its allocator returns NULL for 0 bytes).
      return fail(fmt::format("fixed \"{}\" has size 0, which the Avro C library cannot decode", n->name));
    }
    n->size = *v;
    apply_logical(obj, *n);
    return n;
  }

  std::vector<std::unique_ptr<Node>>& nodes_;
  std::map<std::string, Node*, std::less<>> named_;
};

// Whether Avro C's parse `s` has the structure of ours; the check that the scanner and Avro C
// will read the same bytes the same way.
bool same_structure(const Node* n, avro_schema_t s, std::set<std::pair<const Node*, avro_schema_t>>& seen) {
  while (s != nullptr && is_avro_link(s)) s = avro_schema_link_target(s);
  if (s == nullptr) return false;
  if (!seen.emplace(n, s).second) return true;
  const avro_type_t t = avro_typeof(s);
  switch (n->type) {
    case Type::null: return t == AVRO_NULL;
    case Type::boolean: return t == AVRO_BOOLEAN;
    case Type::int32: return t == AVRO_INT32;
    case Type::int64: return t == AVRO_INT64;
    case Type::float32: return t == AVRO_FLOAT;
    case Type::float64: return t == AVRO_DOUBLE;
    case Type::bytes: return t == AVRO_BYTES;
    case Type::string: return t == AVRO_STRING;
    case Type::fixed: return t == AVRO_FIXED && avro_schema_fixed_size(s) == n->size;
    case Type::enumeration: {
      if (t != AVRO_ENUM || avro_schema_enum_number_of_symbols(s) < 0 ||
          static_cast<std::size_t>(avro_schema_enum_number_of_symbols(s)) != n->symbols.size()) {
        return false;
      }
      for (std::size_t i = 0; i < n->symbols.size(); ++i) {
        const char* sym = avro_schema_enum_get(s, static_cast<int>(i));
        if (sym == nullptr || n->symbols[i] != sym) return false;
      }
      return true;
    }
    case Type::array: return t == AVRO_ARRAY && same_structure(n->child, avro_schema_array_items(s), seen);
    case Type::map: return t == AVRO_MAP && same_structure(n->child, avro_schema_map_values(s), seen);
    case Type::union_: {
      if (t != AVRO_UNION || avro_schema_union_size(s) != n->branches.size()) return false;
      for (std::size_t i = 0; i < n->branches.size(); ++i) {
        if (!same_structure(n->branches[i], avro_schema_union_branch(s, static_cast<int>(i)), seen)) return false;
      }
      return true;
    }
    case Type::record: {
      if (t != AVRO_RECORD || avro_schema_record_size(s) != n->fields.size()) return false;
      for (std::size_t i = 0; i < n->fields.size(); ++i) {
        const char* name = avro_schema_record_field_name(s, static_cast<int>(i));
        if (name == nullptr || n->fields[i].first != name) return false;
        if (!same_structure(n->fields[i].second, avro_schema_record_field_get_by_index(s, static_cast<int>(i)), seen)) {
          return false;
        }
      }
      return true;
    }
  }
  return false;
}

}  // namespace avro_internal

using avro_internal::Node;
using avro_internal::Type;

struct AvroSchemas::Schema {
  std::int32_t id = 0;
  std::string source;
  std::vector<std::unique_ptr<Node>> nodes;
  const Node* root = nullptr;
  avro_schema_t avro = nullptr;

  Schema() = default;
  Schema(const Schema&) = delete;
  Schema& operator=(const Schema&) = delete;
  ~Schema() {
    if (avro != nullptr) avro_schema_decref(avro);
  }
};

namespace {

Error schema_error(const std::string& source, std::string_view what) {
  return Error(Errc::invalid_argument, fmt::format("avro: {}: {}", source, what));
}

Result<std::unique_ptr<AvroSchemas::Schema>> parse_schema(std::int32_t id, std::string source, std::string_view json) {
  auto doc = avro_internal::JsonParser(json).document();
  if (!doc) return schema_error(source, doc.error().message());
  auto schema = std::make_unique<AvroSchemas::Schema>();
  schema->id = id;
  schema->source = std::move(source);
  avro_internal::SchemaBuilder builder(schema->nodes);
  auto root = builder.build(*doc, "");
  if (!root) return schema_error(schema->source, root.error().message());
  builder.mark_empty_types();
  schema->root = *root;

  avro_schema_t parsed = nullptr;
  if (avro_schema_from_json_length(json.data(), json.size(), &parsed) != 0 || parsed == nullptr) {
    return schema_error(schema->source, fmt::format("Avro C refused the schema: {}", avro_strerror()));
  }
  schema->avro = parsed;
  std::set<std::pair<const Node*, avro_schema_t>> seen;
  if (!avro_internal::same_structure(schema->root, parsed, seen)) {
    return schema_error(schema->source,
                        "Avro C reads this schema differently from sluice's own parse (a namespace or "
                        "name resolution corner case?); simplify the names");
  }
  return schema;
}

Result<std::string> read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Error(Errc::invalid_argument, fmt::format("avro: cannot open {}: {}", path, std::strerror(errno)));
  std::ostringstream out;
  out << in.rdbuf();
  if (in.bad()) return Error(Errc::invalid_argument, fmt::format("avro: cannot read {}", path));
  return std::move(out).str();
}

// "17.avsc", "readings-17.avsc" -> 17.
std::optional<std::int32_t> id_from_file_name(std::string_view stem) {
  std::size_t start = stem.size();
  while (start > 0 && stem[start - 1] >= '0' && stem[start - 1] <= '9') --start;
  if (start == stem.size()) return std::nullopt;
  std::int32_t id = 0;
  const char* end = stem.data() + stem.size();
  auto [ptr, ec] = std::from_chars(stem.data() + start, end, id);
  if (ec != std::errc() || ptr != end) return std::nullopt;
  return id;
}

}  // namespace

AvroSchemas::AvroSchemas() = default;
AvroSchemas::~AvroSchemas() = default;

Result<std::shared_ptr<const AvroSchemas>> AvroSchemas::load_directory(const std::string& dir) {
  namespace fs = std::filesystem;
  std::error_code ec;
  fs::directory_iterator it(dir, ec);
  if (ec)
    return Error(Errc::invalid_argument, fmt::format("avro: cannot list schema directory {}: {}", dir, ec.message()));
  std::vector<fs::path> files;
  for (; it != fs::directory_iterator(); it.increment(ec)) {
    if (ec) break;
    if (it->path().extension() != ".avsc") continue;
    std::error_code type_ec;
    if (!it->is_regular_file(type_ec)) continue;
    files.push_back(it->path());
  }
  if (ec)
    return Error(Errc::invalid_argument, fmt::format("avro: cannot list schema directory {}: {}", dir, ec.message()));
  if (files.empty()) return Error(Errc::invalid_argument, fmt::format("avro: no .avsc files in {}", dir));
  std::sort(files.begin(), files.end());

  std::shared_ptr<AvroSchemas> set(new AvroSchemas());
  for (const auto& file : files) {
    const std::string name = file.filename().string();
    const auto id = id_from_file_name(file.stem().string());
    if (!id) {
      return Error(Errc::invalid_argument,
                   fmt::format("avro: {}: no schema id in the file name (name it <id>.avsc or <name>-<id>.avsc, "
                               "the id below 2^31)",
                               file.string()));
    }
    for (const auto& s : set->schemas_) {
      if (s->id == *id) {
        return Error(Errc::invalid_argument,
                     fmt::format("avro: {} and {} both have schema id {}", s->source, file.string(), *id));
      }
    }
    auto text = read_file(file.string());
    if (!text) return text.error();
    auto schema = parse_schema(*id, file.string(), *text);
    if (!schema) return schema.error();
    set->schemas_.push_back(std::move(*schema));
  }
  std::sort(set->schemas_.begin(), set->schemas_.end(), [](const auto& a, const auto& b) { return a->id < b->id; });
  return std::shared_ptr<const AvroSchemas>(std::move(set));
}

Result<std::shared_ptr<const AvroSchemas>> AvroSchemas::load_file(const std::string& path) {
  auto text = read_file(path);
  if (!text) return text.error();
  auto schema = parse_schema(0, path, *text);
  if (!schema) return schema.error();
  std::shared_ptr<AvroSchemas> set(new AvroSchemas());
  set->schemas_.push_back(std::move(*schema));
  return std::shared_ptr<const AvroSchemas>(std::move(set));
}

Result<std::shared_ptr<const AvroSchemas>> AvroSchemas::from_json(const std::map<std::int32_t, std::string>& schemas) {
  if (schemas.empty()) return Error(Errc::invalid_argument, "avro: no schemas");
  std::shared_ptr<AvroSchemas> set(new AvroSchemas());
  for (const auto& [id, json] : schemas) {
    auto schema = parse_schema(id, fmt::format("schema {}", id), json);
    if (!schema) return schema.error();
    set->schemas_.push_back(std::move(*schema));
  }
  return std::shared_ptr<const AvroSchemas>(std::move(set));
}

std::vector<std::int32_t> AvroSchemas::ids() const {
  std::vector<std::int32_t> out;
  out.reserve(schemas_.size());
  for (const auto& s : schemas_) out.push_back(s->id);
  return out;
}

std::string AvroSchemas::source(std::int32_t id) const {
  const Schema* s = find(id);
  return s != nullptr ? s->source : std::string();
}

const AvroSchemas::Schema* AvroSchemas::find(std::int32_t id) const {
  auto it =
      std::lower_bound(schemas_.begin(), schemas_.end(), id, [](const auto& s, std::int32_t v) { return s->id < v; });
  return it != schemas_.end() && (*it)->id == id ? it->get() : nullptr;
}

// ---------------------------------------------------------------------------------------------
// The scanner: walks one record against the schema before Avro C reads it, allocating nothing
// of a size the record chooses (only the map-key scratch, which grows with the bytes read).

namespace {

constexpr std::string_view plural(std::uint64_t n) { return n == 1 ? "" : "s"; }

Error bad(std::string message) { return Error(Errc::invalid_argument, "avro: " + std::move(message)); }

// A prefix of `s` for an error message, cut at a character boundary.
std::string_view excerpt(std::string_view s) {
  constexpr std::size_t max = 64;
  if (s.size() <= max) return s;
  std::size_t cut = max;
  while (cut > 0 && (static_cast<unsigned char>(s[cut]) & 0xc0U) == 0x80U) --cut;
  return s.substr(0, cut);
}

class Scanner {
 public:
  Scanner(std::string_view bytes, std::size_t start, std::vector<std::string_view>& keys)
      : in_(bytes), pos_(start), keys_(keys) {}

  Status record(const Node& root) {
    keys_.clear();
    SLUICE_TRY(value(root, 1));
    if (pos_ != in_.size()) {
      const std::size_t left = in_.size() - pos_;
      return bad(fmt::format("{} byte{} left after the record", left, plural(left)));
    }
    return ok_status();
  }

 private:
  std::size_t left() const { return in_.size() - pos_; }

  Status need(std::uint64_t n, std::size_t at) const {
    if (at > in_.size() || n > in_.size() - at) {
      return bad(fmt::format("truncated record (need {} byte{} at offset {})", n, plural(n), at));
    }
    return ok_status();
  }

  // A zigzag varint of at most 10 bytes.
  Status read_long(std::int64_t& out) {
    const std::size_t at = pos_;
    std::uint64_t v = 0;
    for (unsigned i = 0; i < 10; ++i) {
      SLUICE_TRY(need(1, pos_));
      const auto b = static_cast<unsigned char>(in_[pos_++]);
      if (i == 9 && b > 1) return bad(fmt::format("varint at offset {} does not fit 64 bits", at));
      v |= static_cast<std::uint64_t>(b & 0x7fU) << (7 * i);
      if ((b & 0x80U) == 0) {
        out = static_cast<std::int64_t>((v >> 1U) ^ (~(v & 1U) + 1));
        return ok_status();
      }
    }
    return bad(fmt::format("varint at offset {} does not fit 64 bits", at));  // not reached
  }

  // A length, a block byte size: non-negative and within the bytes left.
  Status read_length(std::int64_t& out, std::string_view what) {
    const std::size_t at = pos_;
    SLUICE_TRY(read_long(out));
    if (out < 0) return bad(fmt::format("negative {} {} at offset {}", what, out, at));
    return need(static_cast<std::uint64_t>(out), pos_);
  }

  // A string or map key: its length, then UTF-8.
  Status text(std::string_view what, std::string_view length_what, std::string_view& out) {
    std::int64_t len = 0;
    SLUICE_TRY(read_length(len, length_what));
    out = in_.substr(pos_, static_cast<std::size_t>(len));
    if (!avro_internal::valid_utf8(out)) return bad(fmt::format("{} at offset {} is not valid UTF-8", what, pos_));
    pos_ += static_cast<std::size_t>(len);
    return ok_status();
  }

  Status value(const Node& n, int depth) {
    if (depth > AvroDecoder::max_depth) {
      return bad(fmt::format("values nested more than {} deep at offset {}", AvroDecoder::max_depth, pos_));
    }
    const std::size_t at = pos_;
    switch (n.type) {
      case Type::null: return ok_status();
      case Type::boolean: {
        SLUICE_TRY(need(1, pos_));
        const auto b = static_cast<unsigned char>(in_[pos_]);
        if (b > 1) return bad(fmt::format("boolean byte 0x{:02x} at offset {}, expected 0x00 or 0x01", b, pos_));
        ++pos_;
        return ok_status();
      }
      case Type::int32: {
        std::int64_t v = 0;
        SLUICE_TRY(read_long(v));
        if (v < std::numeric_limits<std::int32_t>::min() || v > std::numeric_limits<std::int32_t>::max()) {
          return bad(fmt::format("int {} at offset {} does not fit 32 bits", v, at));
        }
        return ok_status();
      }
      case Type::int64: {
        std::int64_t v = 0;
        return read_long(v);
      }
      case Type::float32: return skip(4);
      case Type::float64: return skip(8);
      case Type::fixed: return skip(static_cast<std::uint64_t>(n.size));
      case Type::bytes: {
        std::int64_t len = 0;
        SLUICE_TRY(read_length(len, "bytes length"));
        pos_ += static_cast<std::size_t>(len);
        return ok_status();
      }
      case Type::string: {
        std::string_view s;
        return text("string", "string length", s);
      }
      case Type::enumeration: {
        std::int64_t v = 0;
        SLUICE_TRY(read_long(v));
        if (v < 0 || static_cast<std::uint64_t>(v) >= n.symbols.size()) {
          return bad(fmt::format("enum index {} at offset {} is out of range: {} has {} symbol{}", v, at, n.name,
                                 n.symbols.size(), plural(n.symbols.size())));
        }
        return ok_status();
      }
      case Type::union_: {
        std::int64_t v = 0;
        SLUICE_TRY(read_long(v));
        if (v < 0 || static_cast<std::uint64_t>(v) >= n.branches.size()) {
          return bad(fmt::format("union branch {} at offset {} is out of range: the union has {} branch{}", v, at,
                                 n.branches.size(), n.branches.size() == 1 ? "" : "es"));
        }
        return value(*n.branches[static_cast<std::size_t>(v)], depth + 1);
      }
      case Type::record:
        for (const auto& field : n.fields) SLUICE_TRY(value(*field.second, depth + 1));
        return ok_status();
      case Type::array:
      case Type::map: return blocks(n, depth);
    }
    return ok_status();
  }

  Status skip(std::uint64_t n) {
    SLUICE_TRY(need(n, pos_));
    pos_ += static_cast<std::size_t>(n);
    return ok_status();
  }

  // Array and map blocks: a count, negative when a byte size follows; 0 ends the list.
  Status blocks(const Node& n, int depth) {
    const bool is_map = n.type == Type::map;
    const std::string_view what = is_map ? "map" : "array";
    const std::size_t key_start = keys_.size();
    for (;;) {
      const std::size_t at = pos_;
      std::int64_t count = 0;
      SLUICE_TRY(read_long(count));
      if (count == 0) break;
      std::int64_t byte_size = -1;
      if (count < 0) {
        if (count == std::numeric_limits<std::int64_t>::min()) {
          return bad(fmt::format("{} block count at offset {} is out of range", what, at));
        }
        count = -count;
        SLUICE_TRY(read_length(byte_size, "block byte size"));
      }
      // Each item takes at least one byte, unless its type can encode in zero bytes (arrays of
      // null, of records of nulls): those draw on the empty-item allowance. Checked before
      // looping, so a claim of 2^62 items fails at once.
      const bool may_be_empty = !is_map && n.child->may_be_empty;
      const std::uint64_t room = left() + (may_be_empty ? static_cast<std::uint64_t>(empty_items_left_) : 0);
      if (static_cast<std::uint64_t>(count) > room) {
        if (may_be_empty) {
          return bad(
              fmt::format("{} block at offset {} claims {} items: {} byte{} left, and at most {} items "
                          "that take no bytes in a record",
                          what, at, count, left(), plural(left()), AvroDecoder::max_empty_items));
        }
        return bad(fmt::format("{} block at offset {} claims {} items, more than the {} byte{} left", what, at, count,
                               left(), plural(left())));
      }
      const std::size_t items_start = pos_;
      for (std::int64_t i = 0; i < count; ++i) {
        const std::size_t item_at = pos_;
        if (is_map) {
          const std::size_t key_at = pos_;
          std::string_view key;
          SLUICE_TRY(text("map key", "map key length", key));
          if (key.find('\0') != std::string_view::npos) {
            return bad(fmt::format("map key at offset {} contains a NUL byte", key_at));
          }
          keys_.push_back(key);
        }
        SLUICE_TRY(value(*n.child, depth + 1));
        if (pos_ == item_at && --empty_items_left_ < 0) {
          return bad(fmt::format("more than {} array items that take no bytes in the record (block at offset {})",
                                 AvroDecoder::max_empty_items, at));
        }
      }
      if (byte_size >= 0 && pos_ - items_start != static_cast<std::size_t>(byte_size)) {
        return bad(fmt::format("{} block at offset {} says its items take {} bytes, they take {}", what, at, byte_size,
                               pos_ - items_start));
      }
    }
    if (is_map && keys_.size() - key_start > 1) {
      auto first = keys_.begin() + static_cast<std::ptrdiff_t>(key_start);
      std::sort(first, keys_.end());
      auto dup = std::adjacent_find(first, keys_.end());
      if (dup != keys_.end()) return bad(fmt::format("map has the key \"{}\" twice", excerpt(*dup)));
    }
    keys_.resize(key_start);
    return ok_status();
  }

  std::string_view in_;
  std::size_t pos_;
  std::vector<std::string_view>& keys_;
  std::int64_t empty_items_left_ = AvroDecoder::max_empty_items;
};

// ---------------------------------------------------------------------------------------------
// Avro C's generic value -> Datum.

Error read_failed(std::string_view what) {
  return Error(Errc::invalid_argument, fmt::format("avro: reading a decoded {} failed", what));
}

Status to_datum(const Node& n, avro_value_t& v, Datum& out) {
  out.logical = n.logical;
  out.scale = n.scale;
  switch (n.type) {
    case Type::null: out.kind = Datum::Kind::null; return ok_status();
    case Type::boolean: {
      int b = 0;
      if (avro_value_get_boolean(&v, &b) != 0) return read_failed("boolean");
      out.kind = Datum::Kind::boolean;
      out.boolean = b != 0;
      return ok_status();
    }
    case Type::int32: {
      std::int32_t i = 0;
      if (avro_value_get_int(&v, &i) != 0) return read_failed("int");
      out.kind = Datum::Kind::int64;
      out.int64 = i;
      return ok_status();
    }
    case Type::int64: {
      std::int64_t i = 0;
      if (avro_value_get_long(&v, &i) != 0) return read_failed("long");
      out.kind = Datum::Kind::int64;
      out.int64 = i;
      return ok_status();
    }
    case Type::float32: {
      float f = 0;
      if (avro_value_get_float(&v, &f) != 0) return read_failed("float");
      out.kind = Datum::Kind::float64;
      out.float64 = static_cast<double>(f);
      return ok_status();
    }
    case Type::float64: {
      double d = 0;
      if (avro_value_get_double(&v, &d) != 0) return read_failed("double");
      out.kind = Datum::Kind::float64;
      out.float64 = d;
      return ok_status();
    }
    case Type::string: {
      const char* s = nullptr;
      std::size_t size = 0;  // includes Avro C's NUL terminator
      if (avro_value_get_string(&v, &s, &size) != 0 || s == nullptr || size == 0) return read_failed("string");
      out.kind = Datum::Kind::text;
      out.text = std::string_view(s, size - 1);
      return ok_status();
    }
    case Type::bytes:
    case Type::fixed: {
      const void* buf = nullptr;
      std::size_t size = 0;
      const int rc =
          n.type == Type::bytes ? avro_value_get_bytes(&v, &buf, &size) : avro_value_get_fixed(&v, &buf, &size);
      if (rc != 0) return read_failed("bytes");
      out.kind = Datum::Kind::bytes;
      out.text = size == 0 ? std::string_view() : std::string_view(static_cast<const char*>(buf), size);
      return ok_status();
    }
    case Type::enumeration: {
      int i = 0;
      if (avro_value_get_enum(&v, &i) != 0 || i < 0 || static_cast<std::size_t>(i) >= n.symbols.size()) {
        return read_failed("enum");
      }
      out.kind = Datum::Kind::text;
      out.text = n.symbols[static_cast<std::size_t>(i)];
      return ok_status();
    }
    case Type::union_: {
      int d = 0;
      avro_value_t branch;
      if (avro_value_get_discriminant(&v, &d) != 0 || d < 0 || static_cast<std::size_t>(d) >= n.branches.size() ||
          avro_value_get_current_branch(&v, &branch) != 0) {
        return read_failed("union");
      }
      return to_datum(*n.branches[static_cast<std::size_t>(d)], branch, out);
    }
    case Type::record: {
      out.kind = Datum::Kind::object;
      out.members.reserve(n.fields.size());
      for (std::size_t i = 0; i < n.fields.size(); ++i) {
        avro_value_t child;
        if (avro_value_get_by_index(&v, i, &child, nullptr) != 0) return read_failed("record");
        auto& member = out.members.emplace_back(n.fields[i].first, Datum{});
        SLUICE_TRY(to_datum(*n.fields[i].second, child, member.second));
      }
      return ok_status();
    }
    case Type::array:
    case Type::map: {
      const bool is_map = n.type == Type::map;
      std::size_t size = 0;
      if (avro_value_get_size(&v, &size) != 0) return read_failed(is_map ? "map" : "array");
      out.kind = is_map ? Datum::Kind::object : Datum::Kind::array;
      if (is_map) {
        out.members.reserve(size);
      } else {
        out.items.reserve(size);
      }
      for (std::size_t i = 0; i < size; ++i) {
        avro_value_t child;
        const char* key = nullptr;
        if (avro_value_get_by_index(&v, i, &child, &key) != 0) return read_failed(is_map ? "map" : "array");
        Datum* slot = nullptr;
        if (is_map) {
          if (key == nullptr) return read_failed("map");
          slot = &out.members.emplace_back(std::string_view(key), Datum{}).second;
        } else {
          slot = &out.items.emplace_back();
        }
        SLUICE_TRY(to_datum(*n.child, child, *slot));
      }
      return ok_status();
    }
  }
  return ok_status();
}

std::string known_ids(const AvroSchemas& schemas) {
  const auto ids = schemas.ids();
  constexpr std::size_t shown = 20;
  std::string out;
  for (std::size_t i = 0; i < ids.size() && i < shown; ++i) {
    if (i > 0) out += ", ";
    out += std::to_string(ids[i]);
  }
  if (ids.size() > shown) out += fmt::format(", ... {} in all", ids.size());
  return out;
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// The decoder.

struct AvroDecoder::Impl {
  // One Avro C value per schema in use, reset and refilled by each record.
  struct Slot {
    avro_value_iface_t* iface = nullptr;
    avro_value_t value{};
    bool has_value = false;
  };
  std::map<std::int32_t, Slot> slots;
  avro_reader_t reader = nullptr;
  std::vector<std::string_view> keys;   // the scanner's map-key scratch
  std::vector<std::int32_t> plain_ids;  // the set's ids, for the plain wire format

  Impl() = default;
  Impl(const Impl&) = delete;
  Impl& operator=(const Impl&) = delete;
  ~Impl() {
    for (auto& [id, slot] : slots) {
      if (slot.has_value) avro_value_decref(&slot.value);
      if (slot.iface != nullptr) avro_value_iface_decref(slot.iface);
    }
    if (reader != nullptr) avro_reader_free(reader);
  }

  Result<avro_value_t*> value_for(std::int32_t id, const AvroSchemas::Schema& schema) {
    Slot& slot = slots[id];
    if (slot.has_value) return &slot.value;
    if (slot.iface == nullptr) {
      slot.iface = avro_generic_class_from_schema(schema.avro);
      if (slot.iface == nullptr) {
        return Error(Errc::invalid_argument,
                     fmt::format("avro: cannot make a value of schema id {}: {}", id, avro_strerror()));
      }
    }
    if (avro_generic_value_new(slot.iface, &slot.value) != 0) {
      return Error(Errc::invalid_argument,
                   fmt::format("avro: cannot make a value of schema id {}: {}", id, avro_strerror()));
    }
    slot.has_value = true;
    return &slot.value;
  }
};

AvroDecoder::AvroDecoder(std::shared_ptr<const AvroSchemas> schemas, AvroWire wire)
    : schemas_(std::move(schemas)), wire_(wire), impl_(std::make_unique<Impl>()) {
  SLUICE_CHECK(schemas_ != nullptr, "AvroDecoder needs schemas");
  impl_->plain_ids = schemas_->ids();
}

AvroDecoder::~AvroDecoder() = default;

Result<Datum> AvroDecoder::decode(std::string_view bytes) {
  std::size_t body = 0;
  std::int32_t id = 0;
  if (wire_ == AvroWire::confluent) {
    if (bytes.empty()) return bad("empty record (expected the 0x00 magic byte and a 4-byte schema id)");
    const auto magic = static_cast<unsigned char>(bytes[0]);
    if (magic != 0) {
      const bool json = magic == '{' || magic == '[' || magic == '"';
      return bad(fmt::format("magic byte 0x{:02x}, expected 0x00{}", magic, json ? " (is this JSON?)" : ""));
    }
    if (bytes.size() < 5) {
      return bad(fmt::format("record of {} byte{} is shorter than the 5-byte header (magic byte, schema id)",
                             bytes.size(), plural(bytes.size())));
    }
    std::uint32_t raw = 0;
    for (std::size_t i = 1; i < 5; ++i) raw = (raw << 8U) | static_cast<unsigned char>(bytes[i]);
    id = static_cast<std::int32_t>(raw);
    body = 5;
  } else {
    if (impl_->plain_ids.size() != 1) {
      return bad(fmt::format("the plain wire format needs exactly one schema, there are {} (use the Confluent format)",
                             impl_->plain_ids.size()));
    }
    id = impl_->plain_ids[0];
  }
  last_schema_id_ = id;
  const AvroSchemas::Schema* schema = schemas_->find(id);
  if (schema == nullptr) return bad(fmt::format("unknown schema id {} (known: {})", id, known_ids(*schemas_)));

  // Everything Avro C will read is checked here first: see avro.h.
  SLUICE_TRY(Scanner(bytes, body, impl_->keys).record(*schema->root));

  auto value = impl_->value_for(id, *schema);
  if (!value) return value.error();
  const std::string_view payload = bytes.substr(body);
  if (impl_->reader == nullptr) {
    impl_->reader = avro_reader_memory(payload.data(), static_cast<std::int64_t>(payload.size()));
    if (impl_->reader == nullptr) return bad("cannot make an Avro C reader");
  } else {
    avro_reader_memory_set_source(impl_->reader, payload.data(), static_cast<std::int64_t>(payload.size()));
  }
  if (avro_value_read(impl_->reader, *value) != 0) {
    return bad(fmt::format("Avro C could not read a record the scanner accepted: {}", avro_strerror()));
  }
  Datum out;
  SLUICE_TRY(to_datum(*schema->root, **value, out));
  return out;
}

}  // namespace sluice::codec
