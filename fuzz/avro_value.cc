// Fuzzes Avro record decoding. The first input byte picks the wire format: even, the Confluent
// format with two schemas (1: a record of every Avro type and logical type, arrays of empty
// values, maps of unions, a recursive tree; 2: a top-level union); odd, the plain format with the
// every-type schema. The rest is the record. Every byte of a decoded Datum is read after the input
// has been freed, so a Datum pointing into the caller's bytes or at freed memory trips ASan.
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "base/check.h"
#include "codec/avro.h"

namespace {

using sluice::codec::AvroDecoder;
using sluice::codec::AvroSchemas;
using sluice::codec::AvroWire;
using sluice::codec::Datum;

constexpr const char* every_type = R"({"type":"record","name":"Every","namespace":"fuzz","fields":[
  {"name":"n","type":"null"},
  {"name":"b","type":"boolean"},
  {"name":"i","type":"int"},
  {"name":"l","type":"long"},
  {"name":"f","type":"float"},
  {"name":"d","type":"double"},
  {"name":"by","type":"bytes"},
  {"name":"s","type":"string"},
  {"name":"e","type":{"type":"enum","name":"Color","symbols":["RED","GREEN","BLUE"]}},
  {"name":"fx","type":{"type":"fixed","name":"Four","size":4}},
  {"name":"dec","type":{"type":"bytes","logicalType":"decimal","precision":20,"scale":3}},
  {"name":"decf","type":{"type":"fixed","name":"Dec8","size":8,"logicalType":"decimal","precision":18,"scale":2}},
  {"name":"uuid","type":{"type":"string","logicalType":"uuid"}},
  {"name":"date","type":{"type":"int","logicalType":"date"}},
  {"name":"tms","type":{"type":"int","logicalType":"time-millis"}},
  {"name":"tus","type":{"type":"long","logicalType":"time-micros"}},
  {"name":"tsms","type":{"type":"long","logicalType":"timestamp-millis"}},
  {"name":"tsus","type":{"type":"long","logicalType":"timestamp-micros"}},
  {"name":"ltsms","type":{"type":"long","logicalType":"local-timestamp-millis"}},
  {"name":"ltsus","type":{"type":"long","logicalType":"local-timestamp-micros"}},
  {"name":"tsns","type":{"type":"long","logicalType":"timestamp-nanos"}},
  {"name":"uuidf","type":{"type":"fixed","name":"U16","size":16,"logicalType":"uuid"}},
  {"name":"dur","type":{"type":"fixed","name":"Dur","size":12,"logicalType":"duration"}},
  {"name":"arr","type":{"type":"array","items":{"type":"record","name":"Item","fields":[
    {"name":"k","type":"string"},{"name":"v","type":["null","long","Color"]}]}}},
  {"name":"nulls","type":{"type":"array","items":"null"}},
  {"name":"empties","type":{"type":"array","items":{"type":"record","name":"Empty","fields":[{"name":"z","type":"null"}]}}},
  {"name":"m","type":{"type":"map","values":["null","string",{"type":"array","items":"int"},"Four"]}},
  {"name":"mm","type":{"type":"map","values":{"type":"map","values":"Item"}}},
  {"name":"u","type":["null","boolean","int","long","float","double","bytes","string","Color","Four","Item",
    {"type":"map","values":"double"}]},
  {"name":"tree","type":{"type":"record","name":"Tree","fields":[
    {"name":"v","type":"int"},
    {"name":"kids","type":{"type":"array","items":"Tree"}},
    {"name":"next","type":["null","Tree"]}]}}
]})";

constexpr const char* top_union = R"(["null","string",{"type":"array","items":"long"}])";

struct Decoders {
  AvroDecoder confluent;
  AvroDecoder plain;
};

std::shared_ptr<const AvroSchemas> load(const std::map<std::int32_t, std::string>& schemas) {
  auto s = AvroSchemas::from_json(schemas);
  SLUICE_CHECK(s.ok(), "the fuzz schemas must load");
  return *s;
}

Decoders& decoders() {
  static Decoders d{AvroDecoder(load({{1, every_type}, {2, top_union}}), AvroWire::confluent),
                    AvroDecoder(load({{0, every_type}}), AvroWire::plain)};
  return d;
}

std::size_t touch(const Datum& d) {
  std::size_t sum = d.logical.size() + static_cast<std::size_t>(d.scale);
  for (const char c : d.text) sum += static_cast<unsigned char>(c);
  for (const auto& item : d.items) sum += touch(item);
  for (const auto& member : d.members) {
    for (const char c : member.first) sum += static_cast<unsigned char>(c);
    sum += touch(member.second);
  }
  return sum;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  AvroDecoder& decoder = (data[0] & 1U) != 0 ? decoders().plain : decoders().confluent;
  // A heap copy, freed before the Datum is read.
  auto input = std::make_unique<std::string>(reinterpret_cast<const char*>(data) + 1, size - 1);
  auto result = decoder.decode(*input);
  input.reset();
  if (result.ok()) {
    volatile std::size_t sink = touch(*result);
    (void)sink;
  } else {
    const std::string& message = result.error().message();
    // The scanner must refuse everything Avro C cannot read: a record it accepted and Avro C
    // refused is a disagreement between the two, a bug.
    SLUICE_CHECK(message.rfind("avro: ", 0) == 0, "decode errors start with avro:");
    SLUICE_CHECK(message.find("Avro C could not read") == std::string::npos, message.c_str());
    SLUICE_CHECK(message.find("reading a decoded") == std::string::npos, message.c_str());
  }
  return 0;
}
