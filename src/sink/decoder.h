// SourceDecoder: decodes a record's key and value once, in the source's formats, and answers
// the mapping's expressions as Datums.
#pragma once

#include <memory>
#include <optional>

#include "codec/avro.h"
#include "codec/datum.h"
#include "codec/json.h"
#include "config/pipeline.h"
#include "sink/record.h"

namespace sluice::sink {

class SourceDecoder {
 public:
  // Loads Avro schemas when a format needs them (errors name the file).
  static Result<std::unique_ptr<SourceDecoder>> make(const config::SourceConfig& source);

  // Decodes the parts the mappings read (the key only when an expression uses it). A tombstone
  // decodes to "no value". Errors are FailureClass::decode with the reason.
  Status decode(const RecordView& record, bool need_key, bool need_value);

  // The Datum an expression reads from the decoded record (value, key, header, topic...).
  // now_ms is the clock used for now(); Kind::missing when the field is absent.
  codec::Datum eval(const config::Expr& e, const RecordView& record, std::int64_t now_ms) const;

  bool has_value() const { return has_value_; }

 private:
  struct Part {
    config::Format format = config::Format::json;
    codec::JsonDocument json;
    std::unique_ptr<codec::AvroDecoder> avro;
    codec::Datum avro_root;
    std::string_view raw;
    bool present = false;
    Status decode(std::string_view bytes, std::string_view what);
    codec::Datum at(const std::vector<std::string>& path) const;
  };
  Part key_, value_;
  bool has_value_ = false;
};

}  // namespace sluice::sink
