// MonolithTarget: the monolith baseline as a loadgen::Target: every request runs through the
// model's stages chained in this process (workers::Monolith), inline in submit(), and completes
// with the predicted class. Borrows the Monolith and the inputs. Thread safety: submit() from
// the driver's one sender thread.
#pragma once

#include <functional>
#include <memory>

#include "core/tensor.h"
#include "loadgen/target.h"
#include "workers/monolith.h"

namespace spikeline::loadgen::cli {

std::unique_ptr<Target> makeMonolithTarget(const workers::Monolith& monolith,
                                           std::function<const Tensor&(uint64_t)> input_for);

}  // namespace spikeline::loadgen::cli
