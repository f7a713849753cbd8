#include "workers/route_file.h"

#include <yaml-cpp/yaml.h>

#include <fstream>
#include <sstream>

namespace spikeline::workers {
namespace {

std::string where(const std::string& file, const YAML::Node& node) {
  const YAML::Mark m = node.Mark();
  return file + ":" + std::to_string(m.line + 1) + ":" + std::to_string(m.column + 1);
}

Status stageError(const std::string& file, const YAML::Node& node, const std::string& field,
                  const std::string& problem) {
  return invalidArgument(where(file, node) + ": " + field + ": " + problem);
}

Result<StageEndpoints> parseStage(const std::string& file, const std::string& name,
                                  const YAML::Node& list) {
  const std::string field = "stages." + name;
  if (!list.IsSequence() || list.size() == 0) {
    return stageError(file, list, field, "must be a non-empty list of endpoints");
  }
  StageEndpoints stage{name, {}};
  for (const YAML::Node& item : list) {
    transport::PeerAddress peer;
    if (item.IsMap() && item["endpoint"] && item["endpoint"].IsScalar()) {
      peer.endpoint = item["endpoint"].Scalar();
      const YAML::Node key = item["curve_key"];
      if (key && (!key.IsScalar() || !transport::isCurveKey(key.Scalar()))) {
        return stageError(file, key, field, "curve_key must be a CURVE public key (40 Z85 "
                                            "characters, the public-key of a NAME.key file)");
      }
      if (key) peer.curve_key = key.Scalar();
    } else if (item.IsScalar()) {
      peer.endpoint = item.Scalar();
    } else {
      return stageError(file, item, field,
                        "an endpoint must be a string or {endpoint: ..., curve_key: ...}");
    }
    if (peer.endpoint.find("://") == std::string::npos) {
      return stageError(file, item, field, "endpoint '" + peer.endpoint + "' lacks a scheme://");
    }
    stage.endpoints.push_back(std::move(peer));
  }
  return stage;
}

Result<StaticRoutes> parseRoot(const YAML::Node& root, const std::string& file,
                               const std::filesystem::path& base_dir) {
  if (!root.IsMap()) return invalidArgument(where(file, root) + ": the route file must be a map");
  StaticRoutes routes;
  const YAML::Node topology = root["topology"];
  if (!topology || !topology.IsScalar() || topology.Scalar().empty()) {
    return invalidArgument(where(file, topology ? topology : root) +
                           ": topology: required, the path of the model file");
  }
  const std::filesystem::path topo_path(topology.Scalar());
  routes.topology_path = topo_path.is_absolute() ? topo_path : base_dir / topo_path;
  const YAML::Node stages = root["stages"];
  if (!stages || stages.IsNull()) return routes;  // e.g. a last-stage worker needs none
  if (!stages.IsMap()) {
    return invalidArgument(where(file, stages) + ": stages: must be a map of stage -> [endpoints]");
  }
  for (const auto& kv : stages) {
    if (!kv.first.IsScalar()) return stageError(file, kv.first, "stages", "a key must be a name");
    SPIKELINE_ASSIGN_OR_RETURN(StageEndpoints stage, parseStage(file, kv.first.Scalar(), kv.second));
    routes.stages.push_back(std::move(stage));
  }
  return routes;
}

}  // namespace

const StageEndpoints* StaticRoutes::findStage(const std::string& name) const {
  for (const StageEndpoints& s : stages) {
    if (s.stage == name) return &s;
  }
  return nullptr;
}

Result<StaticRoutes> parseRouteText(const std::string& text, const std::string& file_name,
                                    const std::filesystem::path& base_dir) {
  try {
    return parseRoot(YAML::Load(text), file_name, base_dir);
  } catch (const YAML::Exception& e) {
    return invalidArgument(file_name + ":" + std::to_string(e.mark.line + 1) + ":" +
                           std::to_string(e.mark.column + 1) + ": " + e.msg);
  }
}

Result<StaticRoutes> parseRouteFile(const std::filesystem::path& path) {
  std::ifstream in(path);
  if (!in) return notFound("cannot read route file " + path.string());
  std::stringstream text;
  text << in.rdbuf();
  return parseRouteText(text.str(), path.string(), path.parent_path());
}

}  // namespace spikeline::workers
