// Avro records (Confluent wire format, or a bare body of one known schema) decoded into Datum.
//
// Schemas come from .avsc files, parsed by the Apache Avro C library; records are decoded with
// its generic values (avro_value_read), then copied into a Datum tree. Avro C drops logical types,
// so each schema is also read by a small JSON parser of ours, checked at load to see the same
// structure as Avro C. Kafka bytes may be hostile and Avro C trusts them (it allocates whatever
// length a record claims, negates block counts without overflow checks, loops over 2^62 nulls,
// does not range-check enum indices, folds duplicate map keys, recurses without limit), so every
// record is first walked by our own scanner against the schema, allocating nothing the record
// chooses: varints, lengths and block counts bounded by the bytes left, zero-byte array items,
// union branches, enum indices, booleans, UTF-8, map keys, nesting depth and trailing bytes. Avro C
// only reads records that scan cleanly.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "codec/datum.h"

namespace sluice::codec {

// A set of schemas by id, resolved without a registry server. Immutable once loaded; share it
// between threads.
class AvroSchemas {
 public:
  // Every *.avsc file of `dir` (other files and subdirectories are ignored). A file's schema id
  // is the integer at the end of its name before .avsc ("17.avsc", "readings-17.avsc" -> 17);
  // files without one, two files with the same id, and an empty directory are refused. Each file
  // must define every named type it uses: types defined in other files are not visible. Fixed
  // types of size 0 are refused (Avro C cannot read them).
  static Result<std::shared_ptr<const AvroSchemas>> load_directory(const std::string& dir);
  // One schema, id 0, for the plain wire format.
  static Result<std::shared_ptr<const AvroSchemas>> load_file(const std::string& path);
  // Schemas given as JSON text by id (tests, or schemas obtained some other way); errors name
  // them "schema <id>".
  static Result<std::shared_ptr<const AvroSchemas>> from_json(const std::map<std::int32_t, std::string>& schemas);

  AvroSchemas(const AvroSchemas&) = delete;
  AvroSchemas& operator=(const AvroSchemas&) = delete;
  ~AvroSchemas();

  // Sorted.
  std::vector<std::int32_t> ids() const;
  // Where the schema came from ("dir/readings-17.avsc"), or "" for an unknown id.
  std::string source(std::int32_t id) const;

  struct Schema;  // one parsed schema (avro.cc)
  const Schema* find(std::int32_t id) const;

 private:
  AvroSchemas();
  std::vector<std::unique_ptr<Schema>> schemas_;  // sorted by id
};

enum class AvroWire {
  confluent,  // 0x00 magic byte, 4-byte big-endian schema id, then the body
  plain,      // the body alone, of the set's only schema
};

// Decodes records into Datum. One per thread: it reuses Avro C's values and its scratch buffers.
class AvroDecoder {
 public:
  AvroDecoder(std::shared_ptr<const AvroSchemas> schemas, AvroWire wire);
  AvroDecoder(const AvroDecoder&) = delete;
  AvroDecoder& operator=(const AvroDecoder&) = delete;
  ~AvroDecoder();

  // The record as a Datum tree: null -> null; boolean; int, long -> int64; float, double ->
  // float64; string, enum (the symbol) -> text; bytes, fixed -> bytes; record (fields in schema
  // order), map -> object; array -> array; union -> its branch's Datum. Known logical types name
  // themselves in Datum::logical (decimal also sets Datum::scale). Text, bytes and map keys point
  // into this decoder's memory and stay valid until the next decode(); field names and enum
  // symbols point into the schemas, which the decoder keeps alive.
  //
  // Errors are Errc::invalid_argument, with a reason and a byte offset in `bytes`:
  // "avro: unknown schema id 42 (known: 1, 7)", "avro: magic byte 0x7b, expected 0x00 (is this
  // JSON?)", "avro: truncated record (need 8 bytes at offset 13)", "avro: 5 bytes left after the
  // record", ...
  Result<Datum> decode(std::string_view bytes);

  // The schema id of the last record decode() got past the header of (plain: 0 or the set's id).
  std::int32_t last_schema_id() const { return last_schema_id_; }

  // Bounds on what one record may hold, whatever its length claims.
  static constexpr int max_depth = 100;  // nested records, arrays, maps and unions
  // Array items that take no bytes (null, records of nulls) in one record. Other items take at
  // least a byte each, so the record's length bounds them; these are free to encode: without a
  // bound, an array of 2^62 nulls would fit in 10 bytes.
  static constexpr std::int64_t max_empty_items = 65536;

 private:
  struct Impl;
  std::shared_ptr<const AvroSchemas> schemas_;
  AvroWire wire_;
  std::unique_ptr<Impl> impl_;
  std::int32_t last_schema_id_ = 0;
};

}  // namespace sluice::codec
