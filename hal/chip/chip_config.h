// ChipConfig: the resources of one emulated neuromorphic chip (cores, neurons and synapse memory
// per core, fan-in limit), with Loihi-like defaults. A value type; the ChipDevice copies it.
// Thread safety: immutable use is safe.
#pragma once

#include <cstdint>
#include <string>

#include "core/status.h"

namespace spikeline::hal {

struct ChipConfig {
  // Shown in BackendInfo ("chip:emu0") and in every error message.
  std::string name = "emu0";
  // Neuromorphic cores on the chip. Default: 128 (Intel Loihi 1 has 128 cores per chip).
  uint32_t num_cores = 128;
  // Neurons (compartments) one core updates. Default: 1024 (Loihi 1).
  uint32_t neurons_per_core = 1024;
  // Synapse memory of one core, in entries of one int8 weight + one target address.
  // Default: 128 Ki entries (Loihi 1 has 128 KiB of synapse memory per core).
  uint64_t synapse_entries_per_core = 128u * 1024u;
  // Synapses into one neuron: a neuron's inputs arrive on its core's input axons.
  // Default: 4096 (Loihi 1 has 4096 input axons per core).
  uint32_t max_fan_in = 4096;
};

// Ok when every resource is >= 1 and the name is not empty; kInvalidArgument naming the field.
Status validateChipConfig(const ChipConfig& config);

}  // namespace spikeline::hal
