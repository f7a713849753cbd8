#include "loadgen/report_writer.h"

#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>

namespace spikeline::loadgen {
namespace {

std::string fixed(double v, int digits) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", digits, v);
  return buf;
}

std::string ms(int64_t ns) { return fixed(static_cast<double>(ns) * 1e-6, 3); }

nlohmann::json latencyJson(const LatencySummary& l) {
  return {{"count", l.count},   {"min_ns", l.min_ns},   {"p50_ns", l.p50_ns},
          {"p90_ns", l.p90_ns}, {"p99_ns", l.p99_ns},   {"p999_ns", l.p999_ns},
          {"max_ns", l.max_ns}, {"mean_ns", l.mean_ns}, {"saturated", l.saturated}};
}

}  // namespace

std::string formatSummary(const RunReport& r) {
  std::string s;
  s += "mode " + r.mode + ": " + std::to_string(r.sent) + " sent (" +
       std::to_string(r.warmup_sent) + " warm-up not counted) in " + fixed(r.duration_s, 2) +
       " s, " + fixed(r.send_rate_rps, 1) + " req/s offered, " + fixed(r.throughput_rps, 1) +
       " ok/s\n";
  const LatencySummary& l = r.latency;
  s += "latency ms (from intended send): p50 " + ms(l.p50_ns) + "  p90 " + ms(l.p90_ns) + "  p99 " +
       ms(l.p99_ns) + "  p99.9 " + ms(l.p999_ns) + "  max " + ms(l.max_ns) + "  min " +
       ms(l.min_ns) + "  mean " + fixed(l.mean_ns * 1e-6, 3) + "\n";
  s += "replies: " + std::to_string(r.completed) + " ok, " + std::to_string(r.errorCount()) +
       " errors (";
  for (int k = 1; k < kOutcomeCount; ++k) {
    s += std::string(outcomeName(static_cast<Outcome>(k))) + " " +
         std::to_string(r.errors_by_kind[k]) + (k + 1 < kOutcomeCount ? ", " : "");
  }
  s += "), " + std::to_string(r.lost) + " lost, " + std::to_string(r.duplicates) + " duplicates, " +
       std::to_string(r.late) + " late\n";
  if (auto acc = r.accuracy()) {
    s += "accuracy: " + fixed(*acc * 100.0, 2) + "% (" + std::to_string(r.correct) + "/" +
         std::to_string(r.labelled) + ")\n";
  }
  for (const FaultMark& f : r.faults) {
    s += "fault at " + fixed(f.at_s, 3) + " s: " + f.label + " -> " + f.status + "\n";
  }
  s += "max send lag: " + ms(r.max_send_lag_ns) + " ms\n";
  return s;
}

std::string toJson(const RunReport& r) {
  nlohmann::json errors = nlohmann::json::object();
  for (int k = 1; k < kOutcomeCount; ++k) {
    errors[std::string(outcomeName(static_cast<Outcome>(k)))] = r.errors_by_kind[k];
  }
  nlohmann::json j = {{"schema", "spikeline.loadgen.v1"},
                      {"mode", r.mode},
                      {"sent", r.sent},
                      {"completed", r.completed},
                      {"errors", r.errorCount()},
                      {"errors_by_kind", errors},
                      {"lost", r.lost},
                      {"duplicates", r.duplicates},
                      {"late", r.late},
                      {"unknown_replies", r.unknown_replies},
                      {"warmup_sent", r.warmup_sent},
                      {"duration_s", r.duration_s},
                      {"send_rate_rps", r.send_rate_rps},
                      {"throughput_rps", r.throughput_rps},
                      {"max_send_lag_ns", r.max_send_lag_ns},
                      {"latency", latencyJson(r.latency)},
                      {"labelled", r.labelled},
                      {"correct", r.correct}};
  j["accuracy"] = r.accuracy() ? nlohmann::json(*r.accuracy()) : nlohmann::json(nullptr);
  nlohmann::json timeline = nlohmann::json::array();
  for (const TimelineRow& t : r.timeline) {
    timeline.push_back({{"second", t.second},
                        {"sent", t.sent},
                        {"completed", t.completed},
                        {"errors", t.errors},
                        {"lost", t.lost},
                        {"p50_ns", t.p50_ns},
                        {"p99_ns", t.p99_ns},
                        {"max_ns", t.max_ns}});
  }
  j["timeline"] = std::move(timeline);
  nlohmann::json faults = nlohmann::json::array();
  for (const FaultMark& f : r.faults) {
    faults.push_back({{"at_s", f.at_s}, {"label", f.label}, {"status", f.status}});
  }
  j["faults"] = std::move(faults);
  return j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

std::string timelineCsv(const RunReport& r) {
  std::string s = "second,sent,completed,errors,lost,p50_ms,p99_ms,max_ms\n";
  for (const TimelineRow& t : r.timeline) {
    s += std::to_string(t.second) + "," + std::to_string(t.sent) + "," +
         std::to_string(t.completed) + "," + std::to_string(t.errors) + "," +
         std::to_string(t.lost) + "," + ms(t.p50_ns) + "," + ms(t.p99_ns) + "," + ms(t.max_ns) +
         "\n";
  }
  return s;
}

Status writeTextFile(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out) return unavailable(path + ": cannot open for writing");
  out << text;
  out.close();
  if (!out) return unavailable(path + ": write failed");
  return Status::ok();
}

Status writeJsonFile(const RunReport& report, const std::string& path) {
  return writeTextFile(path, toJson(report));
}

Status writeTimelineCsvFile(const RunReport& report, const std::string& path) {
  return writeTextFile(path, timelineCsv(report));
}

}  // namespace spikeline::loadgen
