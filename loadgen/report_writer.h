// Report writers: a RunReport as a human summary, as JSON (stable field names, documented in
// loadgen/README.md) and as a per-second timeline CSV. Pure functions over values, plus file
// writers that return Status. Thread safety: stateless functions.
#pragma once

#include <string>

#include "core/status.h"
#include "loadgen/run_report.h"

namespace spikeline::loadgen {

// A few lines: throughput, percentiles (ms), errors by kind, lost, duplicates, accuracy.
std::string formatSummary(const RunReport& report);

// JSON object; latencies in nanoseconds (integers), rates per second. Schema
// "spikeline.loadgen.v1".
std::string toJson(const RunReport& report);
// Writes toJson(report) to `path`. kUnavailable when the file cannot be written.
Status writeJsonFile(const RunReport& report, const std::string& path);

// Header "second,sent,completed,errors,lost,p50_ms,p99_ms,max_ms", then one row per second.
std::string timelineCsv(const RunReport& report);
Status writeTimelineCsvFile(const RunReport& report, const std::string& path);

// Writes `text` to `path` (truncating). kUnavailable on failure. Shared by the writers above.
Status writeTextFile(const std::string& path, const std::string& text);

}  // namespace spikeline::loadgen
