#include "core/topology.h"

namespace spikeline {

const OperatorSpec* Topology::findOperator(std::string_view name) const {
  for (const OperatorSpec& op : operators) {
    if (op.name == name) return &op;
  }
  return nullptr;
}

}  // namespace spikeline
