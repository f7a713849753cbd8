// Per-neuron LIF / IF update of one timestep, float32 and fixed point (decision 0001 items 6-7),
// shared by the CPU loops, the CUDA kernels and the chip emulator. Parameter structs are plain
// values built on the host once (hal/neuron_params.h); step() mutates only the `v` it is given.
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

// Float32 IF: v += I; spike when v > v_threshold; then reset as LifFloat.
struct IfFloat {
  float v_threshold = 1.0f;
  float v_reset = 0.0f;
  bool subtract = false;

  SPIKELINE_HD bool step(float& v, float i) const {
    v = v + i;
    if (!(v > v_threshold)) return false;
    v = subtract ? v - v_threshold : v_reset;
    return true;
  }
};

// Fixed IF: v = sat24(v + I); spike when v > v_threshold_q; then reset as LifFixed.
struct IfFixed {
  int32_t v_threshold_q = 0;
  int32_t v_reset_q = 0;
  bool subtract = false;

  SPIKELINE_HD bool step(int32_t& v, int32_t i) const {
    v = sat24(int64_t{v} + i);
    if (!(v > v_threshold_q)) return false;
    v = subtract ? sat24(int64_t{v} - v_threshold_q) : sat24(v_reset_q);
    return true;
  }
};

}  // namespace spikeline::hal::math
