// Per-neuron LIF / IF / NIR-neuron update of one timestep, float32 and fixed point (decision 0001
// items 6-7), shared by the CPU loops, the CUDA kernels and the chip emulator. Parameter structs
// are plain values built on the host once (hal/neuron_params.h); step() mutates only the `v` it is
// given.
#pragma once

#include <stdint.h>

#include "hal/math/fixed.h"
#include "hal/math/hd.h"

namespace spikeline::hal::math {

// Float32 LIF: v += alpha * ((v_leak - v) + r * I), alpha = dt / tau; spike when v > v_threshold
// (strict); then v = v_reset, or v -= v_threshold when subtract.
struct LifFloat {
  float alpha = 0.0f;  // dt / tau, rounded to float once on the host
  float r = 1.0f;
  float v_leak = 0.0f;
  float v_threshold = 1.0f;
  float v_reset = 0.0f;
  bool subtract = false;

  // Integrates without spiking (readout membrane, recurrent inputs are added to `i` first).
  SPIKELINE_HD float integrate(float v, float i) const {
    const float dv = alpha * ((v_leak - v) + r * i);
    return v + dv;
  }
  SPIKELINE_HD bool step(float& v, float i) const {
    v = integrate(v, i);
    if (!(v > v_threshold)) return false;
    v = subtract ? v - v_threshold : v_reset;
    return true;
  }
};

// Fixed LIF, all values at 2^-F except decay_q/gain_q at 2^-16:
// v = sat24(v + floorShift((v_leak_q - v) * decay_q + I * gain_q, 16)); spike when v > th;
// then v = v_reset_q or v = sat24(v - v_threshold_q).
struct LifFixed {
  int32_t decay_q = 0;  // round(dt / tau * 2^16)
  int32_t gain_q = 0;   // round(r * dt / tau * 2^16)
  int32_t v_leak_q = 0;
  int32_t v_threshold_q = 0;
  int32_t v_reset_q = 0;
  bool subtract = false;

  SPIKELINE_HD int32_t integrate(int32_t v, int32_t i) const {
    const int64_t delta = (int64_t{v_leak_q} - v) * decay_q + int64_t{i} * gain_q;
    return sat24(int64_t{v} + floorShift(delta, kDecayBits));
  }
  SPIKELINE_HD bool step(int32_t& v, int32_t i) const {
    v = integrate(v, i);
    if (!(v > v_threshold_q)) return false;
    v = subtract ? sat24(int64_t{v} - v_threshold_q) : sat24(v_reset_q);
    return true;
  }
};

// Float32 IF: v += gain * I; spike when v > v_threshold; then reset as LifFloat. gain = 1 is
// exactly v += I (1.0f * I == I).
struct IfFloat {
  float v_threshold = 1.0f;
  float v_reset = 0.0f;
  bool subtract = false;
  float gain = 1.0f;

  SPIKELINE_HD bool step(float& v, float i) const {
    v = v + gain * i;
    if (!(v > v_threshold)) return false;
    v = subtract ? v - v_threshold : v_reset;
    return true;
  }
};

// Fixed IF: v = sat24(v + floorShift(I * gain_q, 16)); spike when v > v_threshold_q; then reset
// as LifFixed. gain_q = 2^16 (gain 1) is exactly v = sat24(v + I).
struct IfFixed {
  int32_t v_threshold_q = 0;
  int32_t v_reset_q = 0;
  bool subtract = false;
  int32_t gain_q = int32_t{1} << kDecayBits;  // round(gain * 2^16)

  SPIKELINE_HD bool step(int32_t& v, int32_t i) const {
    v = sat24(int64_t{v} + floorShift(int64_t{i} * gain_q, kDecayBits));
    if (!(v > v_threshold_q)) return false;
    v = subtract ? sat24(int64_t{v} - v_threshold_q) : sat24(v_reset_q);
    return true;
  }
};

// The NIR neuron kinds (li, integrator, cuba_li, cuba_lif, threshold) as one per-neuron step:
// an optional synapse stage (cuba: the current i integrates the input first), a membrane stage
// fed with the input or the NEW current, and an optional spike with lif's comparison and reset.
// State per neuron: the current `i` and the membrane `v`, both 0 at the start of a frame.
enum class MembraneMode : uint8_t {
  kLeaky = 0,      // v = mem.integrate(v, in) (li, cuba_*)
  kIntegrate = 1,  // float: v = v + alpha * (r * in); fixed: mem.integrate with decay 0
  kPass = 2,       // v = in (threshold: stateless)
};

// Float32: syn / mem hold alpha, r, v_leak (syn: dt/tau_syn, w_in, 0); mem also the threshold,
// reset value and reset mode when spiking.
struct NirNeuronFloat {
  bool synapse = false;
  MembraneMode membrane = MembraneMode::kLeaky;
  bool spiking = false;
  LifFloat syn;
  LifFloat mem;

  // One step with input x (a spike counts 1.0); returns the spike (false when not spiking).
  SPIKELINE_HD bool step(float& i, float& v, float x) const {
    float in = x;
    if (synapse) {
      i = syn.integrate(i, x);
      in = i;
    }
    if (membrane == MembraneMode::kLeaky) {
      v = mem.integrate(v, in);
    } else if (membrane == MembraneMode::kIntegrate) {
      const float dv = mem.alpha * (mem.r * in);
      v = v + dv;
    } else {
      v = in;
    }
    if (!spiking || !(v > mem.v_threshold)) return false;
    v = mem.subtract ? v - mem.v_threshold : mem.v_reset;
    return true;
  }
};

// Fixed: as NirNeuronFloat with LifFixed stages (all values at 2^-F, a spike counts 2^F);
// kIntegrate is mem.integrate with decay_q = 0, v_leak_q = 0.
struct NirNeuronFixed {
  bool synapse = false;
  MembraneMode membrane = MembraneMode::kLeaky;
  bool spiking = false;
  LifFixed syn;
  LifFixed mem;

  SPIKELINE_HD bool step(int32_t& i, int32_t& v, int32_t x) const {
    int32_t in = x;
    if (synapse) {
      i = syn.integrate(i, x);
      in = i;
    }
    v = membrane == MembraneMode::kPass ? in : mem.integrate(v, in);
    if (!spiking || !(v > mem.v_threshold_q)) return false;
    v = mem.subtract ? sat24(int64_t{v} - mem.v_threshold_q) : sat24(mem.v_reset_q);
    return true;
  }
};

}  // namespace spikeline::hal::math
