// CLI11 wiring of `import-nir` and `run` (cli/nir_commands.h).
#include <iostream>

#include <CLI/CLI.hpp>

#include "cli/nir_commands.h"

namespace spikeline::cli {

void addNirCommands(CLI::App& app, NirCommands& c, int& exit_code) {
  ImportNirArgs& i = c.import_args;
  CLI::App* imp = app.add_subcommand(
      "import-nir", "Import a NIR graph (.nir, HDF5) as a spikeline model: YAML + safetensors");
  imp->add_option("file", i.file, "The NIR file")->required();
  imp->add_option("--dt", i.dt, "Seconds per timestep (NIR stores none), e.g. 1e-4")->required();
  imp->add_option("--reset", i.reset,
                  "After a spike: nir (v = v_reset, NIR's semantics), zero, or subtract")
      ->capture_default_str();
  imp->add_option("--precision", i.precision, "float32 or fixed")->capture_default_str();
  imp->add_option("--frac-bits", i.frac_bits, "fixed: activations at 2^-frac_bits")
      ->capture_default_str();
  imp->add_option("--stages", i.stages, "per-layer, one, or a stage count N")
      ->capture_default_str();
  imp->add_option("--name", i.name, "Model name (default: the file's stem)");
  imp->add_option("--timesteps", i.timesteps, "The model's T (NIR stores none)")
      ->capture_default_str();
  imp->add_option("--input", i.input, "Input encoding: spikes, or dense values (encode_direct)")
      ->capture_default_str();
  imp->add_option("--readout", i.readout, "none, or spike_count appended to the output")
      ->capture_default_str();
  imp->add_option("--out", i.out, "Output directory")->required();
  imp->callback([&i, &exit_code] { exit_code = runImportNir(i, std::cout, std::cerr); });

  RunArgs& r = c.run_args;
  CLI::App* run = app.add_subcommand(
      "run", "Run a model in this process on a NumPy input ([N, T, ...] or [N, ...])");
  run->add_option("model", r.model, "Model file (YAML)")->required();
  run->add_option("--input", r.input, ".npy of bool, uint8, int32, int64, float32 or float64")
      ->required();
  run->add_option("--output", r.output, "Write the outputs [N, T, ...] as float32 .npy");
  run->add_option("--backend", r.backend, "cpu, chip, cuda or auto")->capture_default_str();
  run->add_flag("--quiet", r.quiet, "Do not print one line per sample");
  run->callback([&r, &exit_code] { exit_code = runModel(r, std::cout, std::cerr); });
}

}  // namespace spikeline::cli
