#include "hal/chip/chip_backend.h"

#include <string>
#include <utility>

namespace spikeline::hal {
namespace {

// An operator loaded on the chip; unloads (frees its cores) when destroyed.
class ChipCompiledOperator final : public CompiledOperator {
 public:
  ChipCompiledOperator(OperatorSpec spec, ChipDevice& device, ChipProgramId program)
      : spec_(std::move(spec)), device_(device), program_(program) {}
  ~ChipCompiledOperator() override { (void)device_.unload(program_); }
  ChipCompiledOperator(const ChipCompiledOperator&) = delete;
  ChipCompiledOperator& operator=(const ChipCompiledOperator&) = delete;

  const OperatorSpec& spec() const override { return spec_; }
  const ChipDevice& device() const { return device_; }
  ChipProgramId program() const { return program_; }

 private:
  OperatorSpec spec_;
  ChipDevice& device_;  // borrowed: compiled operators do not outlive their backend
  ChipProgramId program_;
};

class ChipBackend final : public Backend {
 public:
  explicit ChipBackend(std::shared_ptr<ChipDevice> device) : device_(std::move(device)) {}

  BackendInfo info() const override {
    BackendInfo i;
    i.kind = BackendKind::kChip;
    i.name = "chip:" + device_->config().name;
    i.capacity = 1;  // one piece of hardware: the device serialises runs
    i.precisions = {Precision::kFixed};
    return i;
  }

  Status supports(const OperatorSpec& spec) const override { return device_->check(spec); }

  Result<std::unique_ptr<CompiledOperator>> compile(const OperatorSpec& spec) override {
    // A core may be taken between compile and load by a concurrent compile: map again once.
    Status last;
    for (int attempt = 0; attempt < 2; ++attempt) {
      SPIKELINE_ASSIGN_OR_RETURN(ChipMapping mapping, device_->compile(spec));
      Result<ChipProgramId> id = device_->load(std::move(mapping));
      if (id.isOk()) {
        return std::unique_ptr<CompiledOperator>(
            std::make_unique<ChipCompiledOperator>(spec, *device_, *id));
      }
      last = id.status();
      if (last.code() != StatusCode::kResourceExhausted) break;
    }
    return last;
  }

  Result<Tensor> run(const CompiledOperator& op, std::span<const Tensor* const> inputs,
                     const RunContext& ctx) override {
    const auto* chip_op = dynamic_cast<const ChipCompiledOperator*>(&op);
    if (chip_op == nullptr || &chip_op->device() != device_.get()) {
      return invalidArgument("operator '" + op.spec().name + "' was not compiled by chip " +
                             device_->config().name);
    }
    return device_->run(chip_op->program(), inputs, ctx);
  }

  BackendHealth health() const override {
    const ChipStatus s = device_->status();
    BackendHealth h;
    h.failed_cores = s.failed_cores;
    h.detail = s.detail;
    if (s.chip_failed || s.failed_cores.size() >= s.config.num_cores) {
      h.state = HealthState::kFailed;
    } else if (!s.failed_cores.empty()) {
      h.state = HealthState::kDegraded;
    }
    return h;
  }

 private:
  std::shared_ptr<ChipDevice> device_;
};

}  // namespace

Result<std::unique_ptr<Backend>> makeChipBackend(const ChipOptions& options) {
  std::shared_ptr<ChipDevice> device = options.device;
  if (device == nullptr) {
    SPIKELINE_ASSIGN_OR_RETURN(std::unique_ptr<ChipDevice> opened,
                               openEmulatedChip(options.config));
    device = std::move(opened);
  }
  return std::unique_ptr<Backend>(std::make_unique<ChipBackend>(std::move(device)));
}

}  // namespace spikeline::hal
