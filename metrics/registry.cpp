#include "metrics/registry.h"

#include <unistd.h>

#include <charconv>
#include <cmath>
#include <fstream>
#include <sstream>

namespace spikeline::metrics {
namespace {

std::string escapeLabel(const std::string& v) {
  std::string out;
  for (char c : v) {
    if (c == '\\')
      out += "\\\\";
    else if (c == '"')
      out += "\\\"";
    else if (c == '\n')
      out += "\\n";
    else
      out += c;
  }
  return out;
}

std::string number(double v) {
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  if (std::isnan(v)) return "NaN";
  char buf[64];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);  // shortest round-trip form
  return ec == std::errc() ? std::string(buf, end) : std::string("NaN");
}

std::string labelText(const Labels& labels, const std::string& le = "") {
  if (labels.empty() && le.empty()) return "";
  std::string s = "{";
  bool first = true;
  for (const auto& [k, v] : labels) {
    s += (first ? "" : ",") + k + "=\"" + escapeLabel(v) + "\"";
    first = false;
  }
  if (!le.empty()) s += std::string(first ? "" : ",") + "le=\"" + le + "\"";
  return s + "}";
}

const char* typeName(MetricType t) {
  switch (t) {
    case MetricType::kCounter:
      return "counter";
    case MetricType::kGauge:
      return "gauge";
    case MetricType::kHistogram:
      return "histogram";
  }
  return "untyped";
}

}  // namespace

void MetricsRegistry::declare(const std::string& name, MetricType type, const std::string& help,
                              std::vector<double> buckets) {
  std::lock_guard lock(mu_);
  families_.push_back({name, type, help, std::move(buckets), {}});
}

MetricsRegistry::Family* MetricsRegistry::find(const std::string& name, MetricType type) {
  for (Family& f : families_) {
    if (f.name == name) return f.type == type ? &f : nullptr;
  }
  return nullptr;
}

void MetricsRegistry::increment(const std::string& name, const Labels& labels, double by) {
  std::lock_guard lock(mu_);
  if (Family* f = find(name, MetricType::kCounter)) f->series[labels].value += by;
}

void MetricsRegistry::set(const std::string& name, const Labels& labels, double value) {
  std::lock_guard lock(mu_);
  if (Family* f = find(name, MetricType::kGauge)) f->series[labels].value = value;
}

void MetricsRegistry::setTotal(const std::string& name, const Labels& labels, double total) {
  std::lock_guard lock(mu_);
  if (Family* f = find(name, MetricType::kCounter)) f->series[labels].value = total;
}

void MetricsRegistry::observe(const std::string& name, const Labels& labels, double value) {
  std::lock_guard lock(mu_);
  Family* f = find(name, MetricType::kHistogram);
  if (f == nullptr) return;
  Series& s = f->series[labels];
  if (s.buckets.empty()) s.buckets.assign(f->bounds.size(), 0);
  for (size_t i = 0; i < f->bounds.size(); ++i) {
    if (value <= f->bounds[i]) {
      ++s.buckets[i];
      break;
    }
  }
  s.value += value;
  ++s.count;
}

void MetricsRegistry::setHistogram(const std::string& name, const Labels& labels,
                                   const std::vector<uint64_t>& buckets, uint64_t count,
                                   double sum) {
  std::lock_guard lock(mu_);
  Family* f = find(name, MetricType::kHistogram);
  if (f == nullptr || buckets.size() != f->bounds.size()) return;
  Series& s = f->series[labels];
  s.buckets = buckets;
  s.count = count;
  s.value = sum;
}

double MetricsRegistry::value(const std::string& name, const Labels& labels) const {
  std::lock_guard lock(mu_);
  for (const Family& f : families_) {
    if (f.name != name) continue;
    auto it = f.series.find(labels);
    return it == f.series.end() ? 0.0 : it->second.value;
  }
  return 0.0;
}

std::string MetricsRegistry::render() const {
  std::lock_guard lock(mu_);
  std::ostringstream out;
  for (const Family& f : families_) {
    out << "# HELP " << f.name << ' ' << f.help << '\n';
    out << "# TYPE " << f.name << ' ' << typeName(f.type) << '\n';
    for (const auto& [labels, s] : f.series) {
      if (f.type != MetricType::kHistogram) {
        out << f.name << labelText(labels) << ' ' << number(s.value) << '\n';
        continue;
      }
      uint64_t cumulative = 0;
      for (size_t i = 0; i < f.bounds.size(); ++i) {
        cumulative += s.buckets[i];
        out << f.name << "_bucket" << labelText(labels, number(f.bounds[i])) << ' ' << cumulative
            << '\n';
      }
      out << f.name << "_bucket" << labelText(labels, "+Inf") << ' ' << s.count << '\n';
      out << f.name << "_sum" << labelText(labels) << ' ' << number(s.value) << '\n';
      out << f.name << "_count" << labelText(labels) << ' ' << s.count << '\n';
    }
  }
  return out.str();
}

std::vector<double> latencyBucketsSeconds() {
  return {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
          0.05,   0.1,     0.25,   0.5,   1,      2.5,   5,    10};
}

std::vector<double> hopBucketsSeconds() {
  return {0.00001, 0.000025, 0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025,
          0.005,   0.01,     0.025,   0.05,   0.1,     0.25,   0.5,   1};
}

double residentMemoryBytes() {
  std::ifstream f("/proc/self/statm");
  double pages_total = 0, pages_resident = 0;
  if (!(f >> pages_total >> pages_resident)) return 0;
  return pages_resident * static_cast<double>(::sysconf(_SC_PAGESIZE));
}

void declareProcessMetrics(MetricsRegistry& registry, double start_seconds) {
  registry.declare("process_start_time_seconds", MetricType::kGauge,
                   "Start time of the process since the Unix epoch in seconds.");
  registry.declare("process_resident_memory_bytes", MetricType::kGauge,
                   "Resident memory size in bytes.");
  registry.set("process_start_time_seconds", {}, start_seconds);
  refreshProcessMetrics(registry);
}

void refreshProcessMetrics(MetricsRegistry& registry) {
  registry.set("process_resident_memory_bytes", {}, residentMemoryBytes());
}

}  // namespace spikeline::metrics
