// parse_cql_type and parse_marshal_type: recursive-descent readers of the two type spellings.
#include <charconv>

#include <fmt/format.h>

#include "cql/types/data_type.h"
#include "cql/types/type_names.h"

namespace sluice::cql {

namespace {

// Error messages quote the input, cut to a readable length.
std::string excerpt(std::string_view text) {
  constexpr std::size_t kMax = 160;
  if (text.size() <= kMax) return std::string(text);
  return std::string(text.substr(0, kMax)) + "...";
}

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }
bool is_ident_start(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }
bool is_ident_char(char c) { return is_ident_start(c) || (c >= '0' && c <= '9'); }
bool is_digit(char c) { return c >= '0' && c <= '9'; }

std::string lowercase(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

bool freezable(TypeId id) {
  return id == TypeId::list || id == TypeId::set || id == TypeId::map || id == TypeId::tuple || id == TypeId::udt;
}

Result<std::int32_t> parse_dimension(std::string_view digits) {
  std::int32_t n = 0;
  auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), n);
  if (ec != std::errc() || end != digits.data() + digits.size() || n <= 0) {
    return Error(Errc::invalid_argument, fmt::format("vector dimension '{}' is not a positive int", digits));
  }
  return n;
}

// ---- CQL type strings -------------------------------------------------------------------------

// The reading position shared by both parsers: whitespace, single characters, error messages.
class TextCursor {
 protected:
  TextCursor(std::string_view text, std::string_view kind) : text_(text), kind_(kind) {}

  Error fail(std::string_view what) const {
    return Error(Errc::invalid_argument,
                 fmt::format("invalid {} \"{}\": {} at offset {}", kind_, excerpt(text_), what, pos_));
  }

  void skip_space() {
    while (pos_ < text_.size() && is_space(text_[pos_])) ++pos_;
  }

  bool eat(char c) {
    skip_space();
    if (pos_ < text_.size() && text_[pos_] == c) {
      ++pos_;
      return true;
    }
    return false;
  }

  bool peek(char c) {
    skip_space();
    return pos_ < text_.size() && text_[pos_] == c;
  }

  std::string_view text_;
  std::size_t pos_ = 0;

 private:
  std::string_view kind_;
};

class CqlTypeParser : TextCursor {
 public:
  CqlTypeParser(std::string_view text, const TypeParseOptions& options)
      : TextCursor(text, "CQL type"), options_(options) {}

  Result<DataType> parse_all() {
    auto t = parse_type(0);
    if (!t.ok()) return t;
    skip_space();
    if (pos_ != text_.size()) return fail("unexpected text after the type");
    return t;
  }

 private:
  // A bare identifier (returned as written) or a "quoted" one (unescaped); nullopt if neither.
  std::optional<std::string> identifier(bool& quoted) {
    skip_space();
    quoted = false;
    if (pos_ < text_.size() && text_[pos_] == '"') {
      std::string out;
      std::size_t i = pos_ + 1;
      while (i < text_.size()) {
        if (text_[i] == '"') {
          if (i + 1 < text_.size() && text_[i + 1] == '"') {
            out.push_back('"');
            i += 2;
            continue;
          }
          pos_ = i + 1;
          quoted = true;
          return out;
        }
        out.push_back(text_[i++]);
      }
      return std::nullopt;  // unterminated
    }
    std::size_t start = pos_;
    if (pos_ >= text_.size() || !is_ident_start(text_[pos_])) return std::nullopt;
    while (pos_ < text_.size() && is_ident_char(text_[pos_])) ++pos_;
    return std::string(text_.substr(start, pos_ - start));
  }

  Result<DataType> parse_param(int depth) { return parse_type(depth + 1); }

  Result<DataType> parse_type(int depth) {
    if (depth > kMaxTypeDepth) return fail(fmt::format("types nest deeper than {} levels", kMaxTypeDepth));
    skip_space();
    if (pos_ < text_.size() && text_[pos_] == '\'') return parse_custom();
    bool quoted = false;
    auto word = identifier(quoted);
    if (!word) return fail("expected a type");
    if (quoted) return parse_udt(std::move(*word));
    std::string key = lowercase(*word);
    if (peek('<')) {
      ++pos_;
      return parse_parameterized(key, depth);
    }
    if (auto native = native_type_from_name(key)) return DataType::simple(*native);
    if (key == "frozen" || key == "list" || key == "set" || key == "map" || key == "tuple" || key == "vector") {
      return fail("expected '<' after " + key);  // a user type by such a name must be quoted
    }
    return parse_udt(std::move(key));
  }

  Result<DataType> parse_parameterized(const std::string& key, int depth) {
    DataType t;
    if (key == "frozen") {
      auto inner = parse_param(depth);
      if (!inner.ok()) return inner;
      if (!freezable(inner->id)) {
        return fail("frozen<> takes a collection, tuple or user type, not " + inner->to_string());
      }
      t = std::move(*inner);
      t.frozen = true;
    } else if (key == "list" || key == "set") {
      auto element = parse_param(depth);
      if (!element.ok()) return element;
      t = key == "list" ? DataType::list_of(std::move(*element)) : DataType::set_of(std::move(*element));
    } else if (key == "map") {
      auto k = parse_param(depth);
      if (!k.ok()) return k;
      if (!eat(',')) return fail("expected ',' between map key and value types");
      auto v = parse_param(depth);
      if (!v.ok()) return v;
      t = DataType::map_of(std::move(*k), std::move(*v));
    } else if (key == "tuple") {
      t.id = TypeId::tuple;
      do {
        auto element = parse_param(depth);
        if (!element.ok()) return element;
        t.params.push_back(std::move(*element));
      } while (eat(','));
    } else if (key == "vector") {
      auto element = parse_param(depth);
      if (!element.ok()) return element;
      if (!eat(',')) return fail("expected ', <dimension>' in vector<>");
      skip_space();
      std::size_t start = pos_;
      while (pos_ < text_.size() && is_digit(text_[pos_])) ++pos_;
      auto dimension = parse_dimension(text_.substr(start, pos_ - start));
      if (!dimension.ok()) return fail(dimension.error().message());
      t = DataType::vector_of(std::move(*element), *dimension);
    } else {
      return fail("unknown parameterized type '" + key + "'");
    }
    if (!eat('>')) return fail("expected '>'");
    return t;
  }

  Result<DataType> parse_custom() {
    std::string literal;
    std::size_t i = pos_ + 1;
    for (;;) {
      if (i >= text_.size()) return fail("unterminated custom type literal");
      if (text_[i] == '\'') {
        if (i + 1 < text_.size() && text_[i + 1] == '\'') {
          literal.push_back('\'');
          i += 2;
          continue;
        }
        break;
      }
      literal.push_back(text_[i++]);
    }
    pos_ = i + 1;
    auto parsed = parse_marshal_type(literal);
    if (parsed.ok()) return parsed;
    return DataType{.id = TypeId::custom, .custom_class = std::move(literal)};
  }

  // `first` is the name just read; "ks.name" follows it with a dot.
  Result<DataType> parse_udt(std::string first) {
    std::string keyspace = options_.keyspace;
    std::string name = std::move(first);
    if (eat('.')) {
      bool quoted = false;
      auto second = identifier(quoted);
      if (!second) return fail("expected a type name after '.'");
      keyspace = std::move(name);
      name = quoted ? std::move(*second) : lowercase(*second);
    }
    if (!options_.resolve_udt) {
      return DataType{.id = TypeId::udt, .udt_keyspace = std::move(keyspace), .udt_name = std::move(name)};
    }
    auto resolved = options_.resolve_udt(keyspace, name);
    if (!resolved.ok()) {
      return Error(resolved.error().code(),
                   fmt::format("user type {}.{}: {}", keyspace, name, resolved.error().message()),
                   resolved.error().detail());
    }
    if (resolved->id != TypeId::udt) {
      return fail(fmt::format("the resolver gave {} for user type {}.{}", resolved->to_string(), keyspace, name));
    }
    return resolved;
  }

  const TypeParseOptions& options_;
};

// ---- marshal class names ----------------------------------------------------------------------

class MarshalParser : TextCursor {
 public:
  explicit MarshalParser(std::string_view text) : TextCursor(text, "marshal class") {}

  Result<DataType> parse_all() {
    auto t = parse(0);
    if (!t.ok()) return t;
    skip_space();
    if (pos_ != text_.size()) return fail("unexpected text after the class");
    return t;
  }

 private:
  std::string_view word() {
    skip_space();
    std::size_t start = pos_;
    while (pos_ < text_.size() && (is_ident_char(text_[pos_]) || text_[pos_] == '.' || text_[pos_] == '$')) ++pos_;
    return text_.substr(start, pos_ - start);
  }

  Result<std::string> unhex(std::string_view hex) const {
    if (hex.size() % 2 != 0) return fail("odd-length hex name");
    std::string out;
    for (std::size_t i = 0; i < hex.size(); i += 2) {
      auto nibble = [](char c) -> int {
        if (c >= '0' && c <= '9') return c - '0';
        if (c >= 'a' && c <= 'f') return c - 'a' + 10;
        if (c >= 'A' && c <= 'F') return c - 'A' + 10;
        return -1;
      };
      int hi = nibble(hex[i]);
      int lo = nibble(hex[i + 1]);
      if (hi < 0 || lo < 0) return fail("bad hex in a user type name");
      out.push_back(static_cast<char>(hi * 16 + lo));
    }
    return out;
  }

  // Skips a balanced (...) group that starts at pos_ (for classes this parser does not know).
  Status skip_group() {
    int open = 0;
    do {
      if (pos_ >= text_.size()) return fail("unbalanced parentheses");
      if (text_[pos_] == '(') ++open;
      if (text_[pos_] == ')') --open;
      ++pos_;
    } while (open > 0);
    return {};
  }

  Result<std::vector<DataType>> type_args(int depth) {
    std::vector<DataType> out;
    if (!eat('(')) return fail("expected '('");
    do {
      auto t = parse(depth + 1);
      if (!t.ok()) return t.error();
      out.push_back(std::move(*t));
    } while (eat(','));
    if (!eat(')')) return fail("expected ')'");
    return out;
  }

  Result<DataType> parse(int depth) {
    if (depth > kMaxTypeDepth) return fail(fmt::format("types nest deeper than {} levels", kMaxTypeDepth));
    skip_space();
    std::size_t start = pos_;
    std::string_view name = word();
    if (name.empty()) return fail("expected a class name");
    std::string_view short_name = name;
    if (short_name.substr(0, kMarshalPrefix.size()) == kMarshalPrefix) short_name.remove_prefix(kMarshalPrefix.size());
    bool known_package = short_name.find('.') == std::string_view::npos;
    skip_space();
    bool has_args = pos_ < text_.size() && text_[pos_] == '(';

    if (known_package && !has_args) {
      if (auto native = native_type_from_marshal(short_name)) return DataType::simple(*native);
    }
    if (known_package && has_args) {
      if (short_name == "ListType" || short_name == "SetType" || short_name == "FrozenType" ||
          short_name == "ReversedType" || short_name == "MapType" || short_name == "TupleType") {
        auto args = type_args(depth);
        if (!args.ok()) return args.error();
        auto& a = *args;
        std::size_t want = short_name == "MapType" ? 2 : 1;
        if (short_name == "TupleType" ? a.empty() : a.size() != want) {
          return fail(fmt::format("{} takes {} type parameter(s), got {}", short_name, want, a.size()));
        }
        if (short_name == "ListType") return DataType::list_of(std::move(a[0]));
        if (short_name == "SetType") return DataType::set_of(std::move(a[0]));
        if (short_name == "MapType") return DataType::map_of(std::move(a[0]), std::move(a[1]));
        if (short_name == "TupleType") return DataType::tuple_of(std::move(a));
        if (short_name == "ReversedType") return std::move(a[0]);
        a[0].frozen = freezable(a[0].id);  // FrozenType
        return std::move(a[0]);
      }
      if (short_name == "VectorType") return parse_vector(depth);
      if (short_name == "UserType") return parse_user_type(depth);
    }
    // Unknown class (or a known simple class given arguments): custom, keeping its text.
    if (has_args) SLUICE_TRY(skip_group());
    std::string_view whole = text_.substr(start, pos_ - start);
    return DataType{.id = TypeId::custom, .custom_class = std::string(whole)};
  }

  Result<DataType> parse_vector(int depth) {
    eat('(');
    auto element = parse(depth + 1);
    if (!element.ok()) return element;
    if (!eat(',')) return fail("expected ',' before the vector dimension");
    skip_space();
    std::size_t start = pos_;
    while (pos_ < text_.size() && is_digit(text_[pos_])) ++pos_;
    auto dimension = parse_dimension(text_.substr(start, pos_ - start));
    if (!dimension.ok()) return fail(dimension.error().message());
    if (!eat(')')) return fail("expected ')' after the vector dimension");
    return DataType::vector_of(std::move(*element), *dimension);
  }

  // UserType(keyspace,hexname,hexfield:Type,...)
  Result<DataType> parse_user_type(int depth) {
    eat('(');
    DataType t{.id = TypeId::udt};
    t.udt_keyspace = std::string(word());
    if (t.udt_keyspace.empty() || !eat(',')) return fail("expected 'keyspace,' in UserType");
    auto name = unhex(word());
    if (!name.ok()) return name.error();
    t.udt_name = std::move(*name);
    while (eat(',')) {
      skip_space();
      std::size_t colon = text_.find(':', pos_);
      if (colon == std::string_view::npos) return fail("expected 'hexname:Type' in UserType");
      auto field = unhex(text_.substr(pos_, colon - pos_));
      if (!field.ok()) return field.error();
      pos_ = colon + 1;
      auto type = parse(depth + 1);
      if (!type.ok()) return type;
      t.udt_fields.push_back(std::move(*field));
      t.params.push_back(std::move(*type));
    }
    if (!eat(')')) return fail("expected ')' closing UserType");
    return t;
  }
};

}  // namespace

Result<DataType> parse_cql_type(std::string_view text, const TypeParseOptions& options) {
  return CqlTypeParser(text, options).parse_all();
}

Result<DataType> parse_marshal_type(std::string_view class_name) { return MarshalParser(class_name).parse_all(); }

}  // namespace sluice::cql
