// Reads a NIR file (HDF5) into a NirFile: the only code that talks to libhdf5 (Debian's
// libhdf5-dev, linked PRIVATE). Layout read (NIR reference reader v0.1 to v1.x): `/version` a
// scalar string dataset, `/node` the top graph (`type` = "NIRGraph", `edges` E x 2 strings,
// `nodes/<name>/` one group per node holding `type` and one dataset per parameter); a node of
// type NIRGraph nests the same way. Numeric datasets of any integer or float type (float32,
// float64, gzip-compressed or not) are read as double. A parameter stored as a group with one
// dataset (newer exporters write `input_type/input`) is read as that dataset; `metadata` groups
// are skipped.
//
// Bad input is an error, never a crash: a non-HDF5 file ("not an HDF5 file"), an unreadable
// structure, a missing `type`, an unsupported version (major > 1), and limits that bound the
// memory a hostile file can make us allocate (kResourceExhausted): at most kMaxValuesPerDataset
// values per dataset and kMaxTotalValues in the whole file, kMaxDepth levels of nested graphs,
// kMaxNodes nodes. Messages name the HDF5 path at fault, e.g.
//   "/node/nodes/lif1/tau: dataset of 2^40 values exceeds the limit of 16777216".
// libhdf5 1.10 itself crashes on some corrupt files (fuzzing found a wild read in H5HG_read), so
// the file is parsed in a forked child process under a memory and time limit; a child that dies
// or overruns becomes an error ("corrupt HDF5 file: ...") in the caller, which never crashes.
// Thread safety: fork()s; call from a process that tolerates fork (the CLI, tests). libhdf5 runs
// only in the child.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string_view>

#include "core/result.h"
#include "nir/nir_graph.h"

namespace spikeline::nir {

inline constexpr uint64_t kMaxValuesPerDataset = uint64_t{1} << 24;
inline constexpr uint64_t kMaxTotalValues = uint64_t{1} << 26;
inline constexpr int kMaxDepth = 16;
inline constexpr size_t kMaxNodes = 100000;

// The parse runs in a forked child (libhdf5 can crash or loop on corrupt files): its
// address-space limit and its wall-clock limit.
struct ReadLimits {
  uint64_t memory_bytes = uint64_t{4} << 30;
  unsigned seconds = 10;
};

// The file's bytes as a NirFile (the file is opened as an in-memory image).
Result<NirFile> readNir(std::string_view bytes, const ReadLimits& limits = {});
// Reads the file, then readNir. kNotFound when it cannot be read.
Result<NirFile> readNirFile(const std::filesystem::path& path, const ReadLimits& limits = {});

}  // namespace spikeline::nir
