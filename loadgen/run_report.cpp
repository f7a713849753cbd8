#include "loadgen/run_report.h"

#include <numeric>

namespace spikeline::loadgen {

uint64_t RunReport::errorCount() const {
  return std::accumulate(errors_by_kind.begin() + 1, errors_by_kind.end(), uint64_t{0});
}

std::optional<double> RunReport::accuracy() const {
  if (labelled == 0) return std::nullopt;
  return static_cast<double>(correct) / static_cast<double>(labelled);
}

}  // namespace spikeline::loadgen
