// `spikeline import-nir` and `spikeline run` (docs/nir.md):
//   import-nir FILE.nir --dt S [--reset nir|zero|subtract] [--precision float32|fixed]
//              [--stages per-layer|one|N] [--name NAME] [--timesteps T] [--input spikes|dense]
//              [--readout none|spike_count] --out DIR
//     reads a NIR graph, writes DIR/NAME.yaml and DIR/NAME.safetensors, and validates them with
//     the topology loader before they appear in DIR (on any error: exit 1, nothing written).
//   run MODEL.yaml --input X.npy [--output Y.npy] [--backend cpu|chip|cuda|auto]
//     runs every sample of X ([N, T, ...input] or, dense-encoded models, [N, ...input]) through
//     the whole model in this process (the monolith), prints one line per sample and writes the
//     outputs [N, T_out, ...output] as float32 .npy.
// Output goes to the given streams. Thread safety: one command at a time.
#pragma once

#include <ostream>
#include <string>

namespace CLI {
class App;
}

namespace spikeline::cli {

struct ImportNirArgs {
  std::string file;
  double dt = 0.0;
  std::string reset = "nir";
  std::string precision = "float32";
  uint32_t frac_bits = 12;
  std::string stages = "per-layer";
  std::string name;
  uint32_t timesteps = 100;
  std::string input = "spikes";
  std::string readout = "none";
  std::string out;
};

struct RunArgs {
  std::string model;
  std::string input;
  std::string output;
  std::string backend = "cpu";
  bool quiet = false;
};

int runImportNir(const ImportNirArgs& args, std::ostream& out, std::ostream& err);
int runModel(const RunArgs& args, std::ostream& out, std::ostream& err);

// Registers both subcommands on `app`; the chosen command's exit code goes to `exit_code`.
struct NirCommands {
  ImportNirArgs import_args;
  RunArgs run_args;
};
void addNirCommands(CLI::App& app, NirCommands& commands, int& exit_code);

}  // namespace spikeline::cli
