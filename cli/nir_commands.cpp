#include "cli/nir_commands.h"

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <random>
#include <iomanip>
#include <sstream>

#include "cli/validate_command.h"
#include "core/ids.h"
#include "hal/chip/chip_backend.h"
#include "hal/cpu/cpu_backend.h"
#include "hal/cuda/cuda_backend.h"
#include "nir/importer.h"
#include "nir/model_writer.h"
#include "nir/nir_reader.h"
#include "npy/npy.h"
#include "topology/topology_loader.h"
#include "workers/monolith.h"

namespace spikeline::cli {
namespace {

namespace fs = std::filesystem;

std::string stemName(const std::string& file) {
  std::string s = fs::path(file).stem().string();
  for (char& c : s) {
    if (!(std::isalnum(uint8_t(c)) || c == '_' || c == '-' || c == '.')) c = '_';
  }
  return s.empty() ? "nir-model" : s;
}

Result<nir::ImportOptions> importOptions(const ImportNirArgs& a) {
  nir::ImportOptions o;
  o.dt = a.dt;
  if (a.reset == "nir") {
    o.reset = nir::ResetMode::kNir;
  } else if (a.reset == "zero") {
    o.reset = nir::ResetMode::kZero;
  } else if (a.reset == "subtract") {
    o.reset = nir::ResetMode::kSubtract;
  } else {
    return invalidArgument("--reset: must be nir, zero or subtract, got " + a.reset);
  }
  SPIKELINE_ASSIGN_OR_RETURN(o.precision, parsePrecision(a.precision));
  if (a.frac_bits < 1 || a.frac_bits > 24) return invalidArgument("--frac-bits: must be 1..24");
  o.frac_bits = a.frac_bits;
  o.stages = a.stages;
  o.name = a.name.empty() ? stemName(a.file) : a.name;
  o.timesteps = a.timesteps;
  if (a.input != "spikes" && a.input != "dense")
    return invalidArgument("--input: must be spikes or dense, got " + a.input);
  o.dense_input = a.input == "dense";
  o.readout = a.readout;
  o.weights_file = o.name + ".safetensors";
  return o;
}

std::string commandLine(const ImportNirArgs& a, const nir::ImportOptions& o) {
  std::ostringstream s;
  s << "Imported from " << fs::path(a.file).filename().string() << " by `spikeline import-nir "
    << "--dt " << a.dt << " --reset " << a.reset << " --precision " << a.precision
    << " --stages " << a.stages << " --timesteps " << a.timesteps << " --input " << a.input
    << " --readout " << a.readout << "`.\n"
    << "Re-import rather than edit; the mapping of each NIR primitive is docs/nir.md.";
  (void)o;
  return s.str();
}

}  // namespace

int runImportNir(const ImportNirArgs& a, std::ostream& out, std::ostream& err) {
  const auto t0 = std::chrono::steady_clock::now();
  Result<nir::ImportOptions> options = importOptions(a);
  if (!options.isOk()) {
    err << "import-nir: " << options.status().message() << "\n";
    return kExitUsage;
  }
  Result<nir::NirFile> file = nir::readNirFile(a.file);
  if (!file.isOk()) {
    err << "import-nir: " << file.status().message() << "\n";
    return kExitInvalid;
  }
  Result<nir::ImportedModel> model = nir::importNir(*file, *options);
  if (!model.isOk()) {
    err << "import-nir: " << a.file << ": " << model.status().message() << "\n";
    return kExitInvalid;
  }
  Result<nir::ModelFiles> files = nir::encodeModel(*model, commandLine(a, *options));
  if (!files.isOk()) {
    err << "import-nir: " << files.status().message() << "\n";
    return kExitInvalid;
  }
  // Written to a scratch directory beside --out, validated there, then moved into place.
  const fs::path out_dir(a.out);
  const fs::path scratch = out_dir.parent_path().empty()
                               ? fs::path(".import-nir-" + std::to_string(std::random_device{}()))
                               : out_dir.parent_path() /
                                     (".import-nir-" + std::to_string(std::random_device{}()));
  std::error_code ec;
  auto cleanup = [&] { fs::remove_all(scratch, ec); };
  Result<fs::path> yaml =
      nir::writeModelFiles(*files, scratch, options->name, options->weights_file);
  if (!yaml.isOk()) {
    cleanup();
    err << "import-nir: " << yaml.status().message() << "\n";
    return kExitInvalid;
  }
  topology::TopologyCheck check = topology::checkTopologyFile(*yaml);
  if (!check.isOk()) {
    err << "import-nir: the written model does not validate (an importer bug; please report):\n";
    for (const topology::Diagnostic& d : check.diagnostics) err << "  " << d.toString() << "\n";
    cleanup();
    return kExitInvalid;
  }
  fs::create_directories(out_dir, ec);
  if (ec) {
    cleanup();
    err << "import-nir: " << a.out << ": cannot create: " << ec.message() << "\n";
    return kExitInvalid;
  }
  for (const auto& entry : fs::directory_iterator(scratch)) {
    fs::rename(entry.path(), out_dir / entry.path().filename(), ec);
    if (ec) {
      cleanup();
      err << "import-nir: cannot move " << entry.path().filename() << " into " << a.out << ": "
          << ec.message() << "\n";
      return kExitInvalid;
    }
  }
  cleanup();
  const double ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  out << "NIR " << model->source_version << " -> spikeline operators:\n";
  for (const std::string& line : model->mapping) out << "  " << line << "\n";
  for (const std::string& w : model->warnings) out << "warning: " << w << "\n";
  const fs::path written = out_dir / (options->name + ".yaml");
  out << "wrote " << written.string() << " (" << model->ops.size()
      << (model->ops.size() == 1 ? " operator, " : " operators, ") << model->stages.size()
      << (model->stages.size() == 1 ? " stage, " : " stages, ") << precisionName(model->precision)
      << "); validate: OK; " << std::fixed << std::setprecision(1) << ms << " ms\n";
  return kExitOk;
}

namespace {

struct Backends {
  std::unique_ptr<hal::Backend> backend;
  std::string name;
};

Result<std::unique_ptr<hal::Backend>> makeBackend(const std::string& kind) {
  if (kind == "cpu") return hal::makeCpuBackend(hal::CpuOptions{1, -1.0});
  if (kind == "chip") return hal::makeChipBackend(hal::ChipOptions{});
  if (kind == "cuda") return hal::makeCudaBackend(hal::CudaOptions{0, 1});
  return invalidArgument("--backend: must be cpu, chip, cuda or auto, got " + kind);
}

// The samples of `x` as model inputs: [N, T, ...shape] or, dense models, [N, ...shape].
Result<std::vector<Tensor>> samples(const npy::Array& x, const Topology& t) {
  const auto& dims = t.input_shape.dims();
  const size_t r = dims.size();
  auto tail = [&](size_t from) {
    return x.shape.size() == from + r &&
           std::equal(dims.begin(), dims.end(), x.shape.begin() + long(from));
  };
  uint32_t steps = 0;
  if (tail(2)) {
    if (x.shape[1] < 1 || x.shape[1] > 4096) return invalidArgument("input: T must be 1..4096");
    steps = uint32_t(x.shape[1]);
  } else if (tail(1) && t.input_encoding == InputEncoding::kDense) {
    steps = 1;
  } else {
    std::string want = "[N, T";
    for (uint32_t d : dims) want += ", " + std::to_string(d);
    want += "]";
    std::string got = "(";
    for (size_t i = 0; i < x.shape.size(); ++i) got += (i ? ", " : "") + std::to_string(x.shape[i]);
    got += ")";
    return invalidArgument("input: shape " + got + " does not fit the model's input: expected " +
                           want + (t.input_encoding == InputEncoding::kDense
                                       ? " or [N, ...input] (one dense step)"
                                       : ""));
  }
  if (steps != 1 && steps != t.timesteps) {
    return invalidArgument("input: " + std::to_string(steps) + " timesteps, the model runs " +
                           std::to_string(t.timesteps) + " (docs/nir.md: import with --timesteps)");
  }
  const uint64_t per = t.input_shape.numel() * steps;
  std::vector<Tensor> out;
  for (uint64_t n = 0; n < x.shape[0]; ++n) {
    const double* v = x.values.data() + n * per;
    if (t.input_encoding == InputEncoding::kSpikes) {
      SpikeTensor s(t.input_shape, steps);
      const uint64_t numel = t.input_shape.numel();
      for (uint64_t k = 0; k < per; ++k) {
        if (v[k] != 0.0 && v[k] != 1.0) {
          return invalidArgument("input: sample " + std::to_string(n) +
                                 " holds " + std::to_string(v[k]) +
                                 "; a spike-input model takes 0 or 1");
        }
        if (v[k] != 0.0) s.set(uint32_t(k / numel), uint32_t(k % numel));
      }
      out.emplace_back(std::move(s));
    } else {
      out.emplace_back(DenseTensor(t.input_shape, steps, std::vector<float>(v, v + per)));
    }
  }
  return out;
}

// Values of an output tensor as floats (spikes 0/1; fixed ints scaled by 2^-frac_bits).
std::vector<float> values(const Tensor& y, uint32_t frac_bits) {
  std::vector<float> out;
  if (const auto* s = std::get_if<SpikeTensor>(&y)) {
    const uint64_t n = s->shape().numel();
    for (uint32_t t = 0; t < s->timesteps(); ++t) {
      for (uint64_t i = 0; i < n; ++i) out.push_back(s->get(t, uint32_t(i)) ? 1.0f : 0.0f);
    }
    return out;
  }
  const auto& d = std::get<DenseTensor>(y);
  if (d.dtype() == DType::kFloat32) {
    const auto f = d.floats();
    return std::vector<float>(f.begin(), f.end());
  }
  for (int32_t q : d.ints()) out.push_back(std::ldexp(float(q), -int(frac_bits)));
  return out;
}

}  // namespace

int runModel(const RunArgs& a, std::ostream& out, std::ostream& err) {
  Result<Topology> topology = topology::loadTopologyFile(a.model);
  if (!topology.isOk()) {
    err << "run: " << topology.status().message() << "\n";
    return kExitInvalid;
  }
  Result<npy::Array> x = npy::readFile(a.input);
  if (!x.isOk()) {
    err << "run: " << x.status().message() << "\n";
    return kExitInvalid;
  }
  Result<std::vector<Tensor>> inputs = samples(*x, *topology);
  if (!inputs.isOk()) {
    err << "run: " << a.input << ": " << inputs.status().message() << "\n";
    return kExitInvalid;
  }
  std::vector<std::string> order{a.backend};
  if (a.backend == "auto") {
    order = topology->precision == Precision::kFixed ? std::vector<std::string>{"chip", "cpu"}
                                                     : std::vector<std::string>{"cuda", "cpu"};
  }
  std::unique_ptr<hal::Backend> backend;
  std::unique_ptr<workers::Monolith> monolith;
  std::string used;
  for (const std::string& kind : order) {
    Result<std::unique_ptr<hal::Backend>> b = makeBackend(kind);
    Status st = b.status();
    if (b.isOk()) {
      Result<std::unique_ptr<workers::Monolith>> m = workers::Monolith::make(**b, *topology);
      if (m.isOk()) {
        backend = std::move(b).value();
        monolith = std::move(m).value();
        used = kind;
        break;
      }
      st = m.status();
    }
    if (a.backend != "auto" || kind == order.back()) {
      err << "run: backend " << kind << ": " << st.message() << "\n";
      return st.code() == StatusCode::kInvalidArgument && a.backend != "auto" ? kExitUsage
                                                                              : kExitInvalid;
    }
  }
  std::vector<float> all;
  std::vector<uint64_t> out_shape;
  for (size_t n = 0; n < inputs->size(); ++n) {
    Result<Tensor> y = monolith->run((*inputs)[n], RequestId(n + 1));
    if (!y.isOk()) {
      err << "run: sample " << n << ": " << y.status().message() << "\n";
      return kExitInvalid;
    }
    const std::vector<float> v = values(*y, topology->frac_bits);
    const Shape& s = tensorShape(*y);
    const uint32_t steps = tensorTimesteps(*y);
    if (n == 0) {
      out_shape = {inputs->size(), steps};
      for (uint32_t d : s.dims()) out_shape.push_back(d);
    }
    // Prediction: the output unit with the largest sum over time (spike count or value).
    const uint64_t units = s.numel();
    std::vector<double> sum(units, 0.0);
    for (uint32_t t = 0; t < steps; ++t) {
      for (uint64_t i = 0; i < units; ++i) sum[i] += v[t * units + i];
    }
    const auto best = std::max_element(sum.begin(), sum.end()) - sum.begin();
    if (!a.quiet) {
      out << "sample " << n << ": class " << best << " (sum over " << steps << " steps: ";
      for (uint64_t i = 0; i < std::min<uint64_t>(units, 16); ++i) out << (i ? " " : "") << sum[i];
      out << (units > 16 ? " ...)" : ")") << "\n";
    }
    all.insert(all.end(), v.begin(), v.end());
  }
  out << inputs->size() << " samples on " << used << "\n";
  if (!a.output.empty()) {
    Status st = npy::writeFile(a.output, npy::encodeFloat32(out_shape, all));
    if (!st.isOk()) {
      err << "run: " << st.message() << "\n";
      return kExitInvalid;
    }
  }
  return kExitOk;
}

}  // namespace spikeline::cli
