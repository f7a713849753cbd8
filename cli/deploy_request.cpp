#include "cli/deploy_request.h"

#include <fstream>
#include <sstream>

#include <yaml-cpp/yaml.h>
#include <nlohmann/json.hpp>

#include "topology/topology_loader.h"

namespace spikeline::cli {
namespace {

Result<std::string> readFile(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return notFound("cannot read " + path.string());
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Weight file paths (relative to the model file) under `weight_files:`; the loader has
// validated the file, so the shape is known good.
std::vector<std::string> weightPaths(const std::string& yaml) {
  std::vector<std::string> out;
  try {
    YAML::Node root = YAML::Load(yaml);
    for (const auto& entry : root["weight_files"]) {
      out.push_back(entry.second["path"].as<std::string>());
    }
  } catch (const YAML::Exception&) {
    // Validated already; nothing more to attach.
  }
  return out;
}

}  // namespace

Result<DeployRequest> makeDeployRequest(const std::filesystem::path& file) {
  topology::TopologyCheck check = topology::checkTopologyFile(file);
  if (!check.isOk()) return topology::diagnosticsToStatus(check.diagnostics);
  SPIKELINE_ASSIGN_OR_RETURN(std::string yaml, readFile(file));
  DeployRequest req;
  req.model = check.topology->model;
  std::vector<std::string> names = weightPaths(yaml);
  for (const auto& name : names) {
    SPIKELINE_ASSIGN_OR_RETURN(std::string bytes, readFile(file.parent_path() / name));
    req.attachments.push_back(std::move(bytes));
  }
  req.request_json = nlohmann::json{
      {"op", "deploy"},
      {"file_name", file.string()},
      {"yaml", yaml},
      {"files", names}}.dump();
  return req;
}

}  // namespace spikeline::cli
