#include "topology/topology_loader.h"

#include <fstream>
#include <sstream>

#include "topology/diagnostic_sink.h"
#include "topology/graph_checker.h"
#include "topology/model_decl.h"
#include "topology/shape_chain.h"
#include "topology/weights_binder.h"
#include "topology/yaml_tree.h"

namespace spikeline::topology {
namespace {

Topology assemble(ModelDecl& model, std::vector<OperatorSpec> specs) {
  Topology t;
  t.model = model.model;
  t.timesteps = model.timesteps;
  t.input_shape = model.input_shape;
  t.input_encoding = model.input_encoding;
  t.precision = model.precision;
  t.frac_bits = model.frac_bits;
  t.operators = std::move(specs);
  for (StageDecl& s : model.stages) {
    t.stages.push_back(Stage{s.name, std::move(s.operators), s.placement});
  }
  return t;
}

std::optional<Topology> checkModel(const YamlNode& root, const std::filesystem::path& base_dir,
                                   DiagnosticSink& sink) {
  std::optional<ModelDecl> model = parseModelDecl(root, sink);
  if (!model || sink.count() > 0) return std::nullopt;
  std::optional<GraphPlan> plan = checkGraph(*model, sink);
  checkPlacements(*model, sink);
  std::optional<std::vector<WeightMap>> weights = bindWeights(*model, base_dir, sink);
  if (!plan || !weights || sink.count() > 0) return std::nullopt;
  std::optional<std::vector<OperatorSpec>> specs =
      buildOperatorSpecs(*model, *plan, std::move(*weights), sink);
  if (!specs) return std::nullopt;
  return assemble(*model, std::move(*specs));
}

}  // namespace

TopologyCheck checkTopologyText(const std::string& text, const std::string& file_name,
                                const std::filesystem::path& base_dir) {
  TopologyCheck out;
  std::variant<YamlNode, YamlSyntaxError> parsed = parseYaml(text);
  if (auto* error = std::get_if<YamlSyntaxError>(&parsed)) {
    out.diagnostics.push_back(
        Diagnostic{file_name, error->line, error->column, "", error->message});
    return out;
  }
  DiagnosticSink sink(file_name);
  std::optional<Topology> topology = checkModel(std::get<YamlNode>(parsed), base_dir, sink);
  out.diagnostics = sink.take();
  if (out.diagnostics.empty()) out.topology = std::move(topology);
  return out;
}

TopologyCheck checkTopologyFile(const std::filesystem::path& path) {
  std::error_code ec;
  std::ifstream in(path, std::ios::binary);
  std::ostringstream buf;
  if (in && !std::filesystem::is_directory(path, ec)) buf << in.rdbuf();
  if (!in || in.bad() || std::filesystem::is_directory(path, ec)) {
    TopologyCheck out;
    out.diagnostics.push_back(Diagnostic{path.string(), 0, 0, "", "cannot read the file"});
    return out;
  }
  return checkTopologyText(std::move(buf).str(), path.string(), path.parent_path());
}

Result<Topology> loadTopologyFile(const std::filesystem::path& path) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) {
    return notFound("cannot read model file '" + path.string() + "'");
  }
  TopologyCheck check = checkTopologyFile(path);
  if (!check.isOk()) return diagnosticsToStatus(check.diagnostics);
  return std::move(*check.topology);
}

}  // namespace spikeline::topology
