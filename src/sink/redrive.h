// The dead-letter table, read back: `sluice dlq list` and `sluice dlq redrive`.
//
// redrive re-processes the dead letters of one error class through the pipeline file as it is
// now (after a fix to the mapping, the time settings or the table), with the same rules as
// `sluice run`: the same writetime from the record's timestamp and offset, so a redriven record
// writes exactly what it would have written the first time. A letter whose record now lands is
// deleted; one that fails again stays, with nothing retried in a loop.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "config/pipeline.h"
#include "cql/client/session.h"
#include "sink/record.h"

namespace sluice::sink {

struct DeadLetterRow {
  std::string error_class;
  std::string topic;
  std::int32_t partition = 0;
  std::int64_t offset = 0;
  std::string error_message;
  std::string statement;
};

// The dead letters of the pipeline, of one class or (empty) of all, in topic/partition/offset
// order within each class; at most `limit`.
Result<std::vector<DeadLetterRow>> list_dead_letters(const config::Pipeline& pipeline, cql::Session& session,
                                                     const std::string& error_class, std::size_t limit);

struct RedriveReport {
  std::size_t landed = 0;      // written now, dead letter deleted
  std::size_t failed_again = 0;  // still failing: left in place
  std::vector<std::string> failures;  // "topic[p]@offset: reason", at most 20
};

Result<RedriveReport> redrive_dead_letters(const config::Pipeline& pipeline, cql::Session& session,
                                           const std::string& error_class);

}  // namespace sluice::sink
