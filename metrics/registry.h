// MetricsRegistry: a small Prometheus registry (counters, gauges, histograms with labels) and its
// text exposition format (version 0.0.4), so `promtool check metrics` passes: HELP and TYPE on
// every family, `_total` counters, base units. Families are declared once, then updated by name.
// Owns its values. Thread safety: every method is safe from any thread (one mutex).
#pragma once

#include <map>
#include <mutex>
#include <string>
#include <vector>

namespace spikeline::metrics {

using Labels = std::map<std::string, std::string>;  // label name -> value (sorted: stable text)

enum class MetricType { kCounter, kGauge, kHistogram };

class MetricsRegistry {
 public:
  // Declares a family. REQUIRES: a valid, undeclared name; counters end in "_total".
  // Histograms take `buckets` (upper bounds, ascending; +Inf is implicit).
  void declare(const std::string& name, MetricType type, const std::string& help,
               std::vector<double> buckets = {});
  // No-ops for an undeclared name or the wrong type (metrics never fail a request).
  void increment(const std::string& name, const Labels& labels, double by = 1.0);
  void set(const std::string& name, const Labels& labels, double value);
  // Mirrors a total kept elsewhere (e.g. a library's stats) into a counter series.
  // REQUIRES: `total` never decreases for a series.
  void setTotal(const std::string& name, const Labels& labels, double total);
  void observe(const std::string& name, const Labels& labels, double value);
  // Mirrors a histogram kept elsewhere (e.g. lock-free counters folded at scrape): `buckets` are
  // per-bucket counts (not cumulative), one per declared bound; `count` includes observations
  // above the last bound. REQUIRES: the totals never decrease for a series. Ignored when
  // `buckets` has the wrong size.
  void setHistogram(const std::string& name, const Labels& labels,
                    const std::vector<uint64_t>& buckets, uint64_t count, double sum);
  // The current value of a counter or gauge series; 0 when absent (tests).
  double value(const std::string& name, const Labels& labels) const;
  // Every family in declaration order, in the text exposition format.
  std::string render() const;

 private:
  struct Series {
    double value = 0;               // counter/gauge; histogram: sum
    std::vector<uint64_t> buckets;  // histogram: per-bucket counts (not cumulative)
    uint64_t count = 0;             // histogram
  };
  struct Family {
    std::string name;
    MetricType type;
    std::string help;
    std::vector<double> bounds;
    std::map<Labels, Series> series;
  };
  Family* find(const std::string& name, MetricType type);

  mutable std::mutex mu_;
  std::vector<Family> families_;
};

// Buckets for request durations in seconds: 100 µs .. 10 s.
std::vector<double> latencyBucketsSeconds();
// Buckets for one hop's queue and compute durations in seconds: 10 µs .. 1 s (1-2.5-5 steps).
std::vector<double> hopBucketsSeconds();

// The process's resident set size in bytes (from /proc/self/statm); 0 when unreadable.
double residentMemoryBytes();

// Declares process_start_time_seconds (set to `start_seconds`, Unix time) and
// process_resident_memory_bytes, the Prometheus client conventions for every process.
void declareProcessMetrics(MetricsRegistry& registry, double start_seconds);
// Re-reads process_resident_memory_bytes (call before render()).
void refreshProcessMetrics(MetricsRegistry& registry);

}  // namespace spikeline::metrics
