// `sluice import-connect`: a Kafka Connect Cassandra-sink configuration becomes a pipeline file.
//
// Two connectors are understood: the DataStax Apache Kafka Connector (connector.class
// com.datastax...; settings contactPoints, topic.<topic>.<keyspace>.<table>.mapping, ...) and the
// Lenses Stream Reactor Cassandra sink (connect.cassandra.*, tables described in KCQL). The input
// is a Java .properties file or the JSON the Connect REST API takes ({"name": ..., "config": {...}}
// or the flat {...} of PUT /connectors/<name>/config), told apart by content.
//
// What translates becomes a pipeline file per docs/pipeline.md, each part commented with the
// setting it came from. What does not translate is listed with the reason; translations that
// change behaviour are listed as notes. Secrets (auth.password, keystore passwords, JAAS
// configurations, ...) are never copied anywhere: the pipeline names an environment variable
// instead and a note says which.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

namespace sluice::connect {

struct ImportResult {
  // A complete pipeline file per docs/pipeline.md, with comments saying where each part came from
  // (and, at its end, the untranslated settings and the notes, as comments).
  std::string pipeline_yaml;
  // One per setting not carried over, with the reason:
  // "auth.provider=GSSAPI: Kerberos is not supported". Secret values show as <redacted>.
  std::vector<std::string> untranslated;
  // Translations that change behaviour, and things the user must do:
  // "consistencyLevel LOCAL_ONE kept; sluice's default is LOCAL_QUORUM".
  std::vector<std::string> notes;
};

// Reads .properties (Java properties syntax) or JSON (detected by content: the first character
// that is not white space is `{`). `file_name` is used in messages and for the pipeline's name when
// the configuration has none. Errors (Errc::invalid_argument) are for input that cannot be read at
// all: malformed properties (with the line), malformed JSON, a connector that is not a Cassandra
// sink sluice knows.
Result<ImportResult> import_connector_config(std::string_view text, std::string_view file_name);

// One key = value of the input, in input order. `line` is the 1-based line where the setting
// starts (for JSON: where its key is first written, 0 when it cannot be told).
struct Setting {
  std::string key;
  std::string value;
  int line = 0;
};

// Java properties syntax (java.util.Properties.load): `#` and `!` comment lines; `key=value`,
// `key: value` and `key value`; a line ending in an odd number of backslashes continues on the
// next (whose leading white space is dropped); escapes \t \n \r \f \uXXXX and \<char> = <char>.
// Stricter than Java where Java silently accepts a mistake: a line with a key and no separator
// and no value, or an empty key, is an error. Duplicate keys are all returned (the last wins).
Result<std::vector<Setting>> parse_properties(std::string_view text);

// The JSON forms: {"name": n, "config": {...}} (top-level "tasks" and "type", as GET
// /connectors/<name> returns, are ignored) or a flat object. Values may be strings, numbers or
// booleans (written back as text); null means "not set" and is dropped.
Result<std::vector<Setting>> parse_connector_json(std::string_view text);

}  // namespace sluice::connect
