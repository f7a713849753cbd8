// linear (both forms) and conv2d on the chip: each core holds the synapses of its neuron slice and
// integrates the input events the router delivers to it, in exact int64 partial sums.
#include <algorithm>
#include <string>
#include <vector>

#include "hal/chip/chip_io.h"
#include "hal/chip/chip_programs.h"
#include "hal/fixed_point.h"
#include "hal/math/fixed.h"
#include "hal/math/geometry.h"
#include "hal/op_params.h"

namespace spikeline::hal {
namespace {

// One core of a linear layer: CSR from input address to (local neuron, int8 weight), over the
// input addresses its neurons' rows read: [addr_begin, addr_end) (the whole input in the
// flattening form; in the per-row form only the rows its slice touches).
struct LinearCore {
  uint32_t begin = 0, end = 0;
  uint32_t addr_begin = 0, addr_end = 0;
  std::vector<uint32_t> row_ptr;  // addr_end - addr_begin + 1
  std::vector<uint32_t> target;   // local neuron index
  std::vector<int8_t> weight;
  std::vector<int32_t> bias_q;  // per local neuron, at 2^-F
};

class LinearProgram final : public ChipProgram {
 public:
  LinearProgram(const OperatorSpec& spec, Shape out_shape, int shift, std::vector<LinearCore> cores)
      : spec_(spec), out_shape_(std::move(out_shape)), shift_(shift), cores_(std::move(cores)) {}

  Result<Tensor> run(std::span<const Tensor* const> inputs, const RunContext&,
                     CoreActivity& activity) const override {
    SPIKELINE_ASSIGN_OR_RETURN(uint32_t steps,
                               checkInputs(inputs, 1, {spec_.input_shape.numel(), false}, spec_));
    const Tensor& in = *inputs[0];
    const int f = static_cast<int>(spec_.frac_bits);
    const int in_bits = inputBits(in, f);
    const uint32_t n_out = static_cast<uint32_t>(out_shape_.numel());
    DenseTensor out(out_shape_, steps, DType::kInt32);
    std::span<int32_t> values = out.mutableInts();
    std::vector<InputEvent> events;
    std::vector<int64_t> acc;
    auto before = [](const InputEvent& ev, uint32_t a) { return ev.address < a; };
    for (uint32_t t = 0; t < steps; ++t) {
      gatherEvents(in, t, events);
      for (const LinearCore& core : cores_) {
        acc.assign(core.end - core.begin, 0);
        // The router delivers a core only the events of the addresses its table has rows for.
        const auto lo = std::lower_bound(events.begin(), events.end(), core.addr_begin, before);
        const auto hi = std::lower_bound(lo, events.end(), core.addr_end, before);
        for (auto ev = lo; ev != hi; ++ev) {
          const uint32_t a = ev->address - core.addr_begin;
          for (uint32_t e = core.row_ptr[a]; e < core.row_ptr[a + 1]; ++e) {
            acc[core.target[e]] += int64_t{core.weight[e]} * ev->value;
          }
          activity.synaptic_events += core.row_ptr[a + 1] - core.row_ptr[a];
        }
        activity.spikes_routed += uint64_t(hi - lo);
        activity.neuron_updates += acc.size();
        for (uint32_t j = 0; j < acc.size(); ++j) {
          values[size_t(t) * n_out + core.begin + j] =
              math::accToActivation(acc[j], shift_, in_bits, f, core.bias_q[j]);
        }
      }
    }
    return Tensor(std::move(out));
  }

 private:
  OperatorSpec spec_;
  Shape out_shape_;
  int shift_;
  std::vector<LinearCore> cores_;
};

// The synapse table of output neurons [s.neuron_begin, s.neuron_end): neuron n = r * out + o
// hears input addresses r * in + i through W[o][i] — exactly `in` entries per neuron.
LinearCore linearCore(const CoreSlice& s, const LinearLayout& l, const FixedWeights& q) {
  LinearCore core;
  core.begin = s.neuron_begin;
  core.end = s.neuron_end;
  const uint32_t n = core.end - core.begin;
  if (n > 0) {
    core.addr_begin = core.begin / l.out * l.in;
    core.addr_end = ((core.end - 1) / l.out + 1) * l.in;
  }
  core.row_ptr.resize(size_t(core.addr_end - core.addr_begin) + 1);
  core.target.reserve(size_t(l.in) * n);
  core.weight.reserve(size_t(l.in) * n);
  for (uint32_t a = core.addr_begin; a < core.addr_end; ++a) {
    core.row_ptr[a - core.addr_begin] = static_cast<uint32_t>(core.target.size());
    const uint32_t r = a / l.in, i = a % l.in;
    const uint32_t lo = std::max(core.begin, r * l.out), hi = std::min(core.end, (r + 1) * l.out);
    for (uint32_t nn = lo; nn < hi; ++nn) {
      core.target.push_back(nn - core.begin);
      core.weight.push_back(q.weight.values[size_t(nn - r * l.out) * l.in + i]);
    }
  }
  core.row_ptr.back() = static_cast<uint32_t>(core.target.size());
  core.bias_q.resize(n);
  for (uint32_t j = 0; j < n; ++j) core.bias_q[j] = q.bias_q[(core.begin + j) % l.out];
  return core;
}

// Kernel height/width the event scatter handles (the catalog's kernels are far smaller).
constexpr uint32_t kMaxTaps = 64;

// One core of a conv2d layer: the shared kernels of the output channels its slice touches.
struct ConvCore {
  uint32_t begin = 0, end = 0;
  uint32_t c0 = 0, c1 = 0;      // output channels [c0, c1)
  std::vector<int8_t> kernels;  // (c1 - c0) x Cin/groups x kH x kW
  std::vector<int32_t> bias_q;  // per channel of [c0, c1)
};

class Conv2dProgram final : public ChipProgram {
 public:
  Conv2dProgram(const OperatorSpec& spec, Shape out_shape, math::ConvGeometry g, int shift,
                std::vector<ConvCore> cores)
      : spec_(spec),
        out_shape_(std::move(out_shape)),
        g_(g),
        shift_(shift),
        cores_(std::move(cores)) {}

  Result<Tensor> run(std::span<const Tensor* const> inputs, const RunContext&,
                     CoreActivity& activity) const override {
    const uint64_t in_numel = uint64_t{g_.cin} * g_.h * g_.w;
    SPIKELINE_ASSIGN_OR_RETURN(uint32_t steps, checkInputs(inputs, 1, {in_numel, false}, spec_));
    const Tensor& in = *inputs[0];
    const int f = static_cast<int>(spec_.frac_bits);
    const int in_bits = inputBits(in, f);
    const uint32_t plane = g_.ho * g_.wo;
    const uint32_t n_out = g_.cout * plane;
    DenseTensor out(out_shape_, steps, DType::kInt32);
    std::span<int32_t> values = out.mutableInts();
    std::vector<InputEvent> events;
    std::vector<int64_t> acc;
    for (uint32_t t = 0; t < steps; ++t) {
      gatherEvents(in, t, events);
      for (const ConvCore& core : cores_) {
        acc.assign(core.end - core.begin, 0);
        for (const InputEvent& ev : events) scatter(core, ev, acc, activity);
        activity.neuron_updates += acc.size();
        for (uint32_t j = 0; j < acc.size(); ++j) {
          const uint32_t co = (core.begin + j) / plane;
          values[size_t(t) * n_out + core.begin + j] =
              math::accToActivation(acc[j], shift_, in_bits, f, core.bias_q[co - core.c0]);
        }
      }
    }
    return Tensor(std::move(out));
  }

 private:
  // Applies one input event to the core's neurons through the shared kernels: the output rows
  // and columns the event reaches are computed once, then each of the core's channels in the
  // event's group adds its kernel taps.
  void scatter(const ConvCore& core, const InputEvent& ev, std::vector<int64_t>& acc,
               CoreActivity& activity) const {
    const uint32_t ci = ev.address / (g_.h * g_.w);
    const uint32_t iy = (ev.address / g_.w) % g_.h;
    const uint32_t ix = ev.address % g_.w;
    const uint32_t cin_pg = g_.cinPerGroup(), cout_pg = g_.coutPerGroup();
    const uint32_t group = ci / cin_pg;
    const uint32_t lo = std::max(core.c0, group * cout_pg);
    const uint32_t hi = std::min(core.c1, (group + 1) * cout_pg);
    if (lo >= hi) return;  // the router does not deliver this event to this core
    ++activity.spikes_routed;
    int64_t oy[kMaxTaps], ox[kMaxTaps];
    for (uint32_t ky = 0; ky < g_.kh; ++ky) {
      oy[ky] = math::ConvGeometry::outputIndex(iy, ky, g_.stride_h, g_.pad_h, g_.dil_h, g_.ho);
    }
    for (uint32_t kx = 0; kx < g_.kw; ++kx) {
      ox[kx] = math::ConvGeometry::outputIndex(ix, kx, g_.stride_w, g_.pad_w, g_.dil_w, g_.wo);
    }
    const uint64_t plane = uint64_t{g_.ho} * g_.wo;
    const uint32_t taps = g_.kh * g_.kw;
    uint64_t applied = 0;
    for (uint32_t co = lo; co < hi; ++co) {
      const int8_t* kernel =
          core.kernels.data() + (size_t(co - core.c0) * cin_pg + ci % cin_pg) * taps;
      for (uint32_t ky = 0; ky < g_.kh; ++ky) {
        if (oy[ky] < 0) continue;
        const uint64_t row = co * plane + uint64_t(oy[ky]) * g_.wo;
        for (uint32_t kx = 0; kx < g_.kw; ++kx) {
          const uint64_t n = row + uint64_t(ox[kx]);
          if (ox[kx] < 0 || n < core.begin || n >= core.end) continue;
          acc[n - core.begin] += int64_t{kernel[ky * g_.kw + kx]} * ev.value;
          ++applied;
        }
      }
    }
    activity.synaptic_events += applied;
  }

  OperatorSpec spec_;
  Shape out_shape_;
  math::ConvGeometry g_;
  int shift_;
  std::vector<ConvCore> cores_;
};

ProgramResult buildConvCores(const OperatorSpec& spec, const OperatorSignature& sig,
                             const ChipPlacement& placement, const math::ConvGeometry& g,
                             const DenseWeights& w) {
  if (g.kh > kMaxTaps || g.kw > kMaxTaps) {
    return unimplemented(spec.kind + ": kernels above " + std::to_string(kMaxTaps) + "x" +
                         std::to_string(kMaxTaps) + " do not fit a chip core's scatter unit");
  }
  const FixedWeights q = quantizeDenseWeights(w, spec.frac_bits);
  const uint32_t plane = g.ho * g.wo;
  const size_t kernel_size = size_t(g.cinPerGroup()) * g.kh * g.kw;
  std::vector<ConvCore> cores;
  for (const CoreSlice& s : placement.slices) {
    ConvCore core;
    core.begin = s.neuron_begin;
    core.end = s.neuron_end;
    core.c0 = core.begin / plane;
    core.c1 = core.end > core.begin ? (core.end - 1) / plane + 1 : core.c0;
    core.kernels.assign(q.weight.values.begin() + core.c0 * kernel_size,
                        q.weight.values.begin() + core.c1 * kernel_size);
    core.bias_q.assign(q.bias_q.begin() + core.c0, q.bias_q.begin() + core.c1);
    cores.push_back(std::move(core));
  }
  return std::unique_ptr<ChipProgram>(
      std::make_unique<Conv2dProgram>(spec, sig.output_shape, g, q.weight.shift, std::move(cores)));
}

}  // namespace

ProgramResult buildLinearProgram(const OperatorSpec& spec, const OperatorSignature& sig,
                                 const ChipPlacement& placement) {
  SPIKELINE_ASSIGN_OR_RETURN(LinearLayout layout, linearLayout(spec));
  SPIKELINE_ASSIGN_OR_RETURN(DenseWeights w, linearWeights(spec));
  const FixedWeights q = quantizeDenseWeights(w, spec.frac_bits);
  std::vector<LinearCore> cores;
  for (const CoreSlice& s : placement.slices) cores.push_back(linearCore(s, layout, q));
  return std::unique_ptr<ChipProgram>(
      std::make_unique<LinearProgram>(spec, sig.output_shape, q.weight.shift, std::move(cores)));
}

ProgramResult buildConv2dProgram(const OperatorSpec& spec, const OperatorSignature& sig,
                                 const ChipPlacement& placement) {
  if (spec.kind == "conv1d") {
    // The conv2d it rewrites to; the program keeps the conv1d spec and output shape [Cout, Lo]
    // (same neuron order as [Cout, 1, Lo]).
    SPIKELINE_ASSIGN_OR_RETURN(OperatorSpec as2d, conv1dAsConv2d(spec));
    SPIKELINE_ASSIGN_OR_RETURN(math::ConvGeometry g, convGeometry(as2d));
    SPIKELINE_ASSIGN_OR_RETURN(DenseWeights w, conv2dWeights(as2d));
    return buildConvCores(spec, sig, placement, g, w);
  }
  SPIKELINE_ASSIGN_OR_RETURN(math::ConvGeometry g, convGeometry(spec));
  SPIKELINE_ASSIGN_OR_RETURN(DenseWeights w, conv2dWeights(spec));
  return buildConvCores(spec, sig, placement, g, w);
}

}  // namespace spikeline::hal
