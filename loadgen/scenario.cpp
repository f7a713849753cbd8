#include "loadgen/scenario.h"

#include <yaml-cpp/yaml.h>

#include <cmath>
#include <cstdlib>
#include <fstream>
#include <initializer_list>
#include <sstream>

namespace spikeline::loadgen {
namespace {

int64_t secondsToNs(double s) { return static_cast<int64_t>(std::llround(s * 1e9)); }

// Typed reads of yaml-cpp nodes with "<source>:<line>: <field>: <problem>" errors.
class Reader {
 public:
  explicit Reader(std::string_view source) : source_(source) {}

  Status error(const YAML::Node& at, const std::string& field, const std::string& what) const {
    const int line = at.IsDefined() ? at.Mark().line + 1 : 0;
    return invalidArgument(source_ + ":" + std::to_string(line) + ": " + field + ": " + what);
  }
  Status checkKeys(const YAML::Node& map, const std::string& field,
                   std::initializer_list<std::string_view> allowed) const {
    if (!map.IsMap()) return error(map, field, "expected a mapping");
    for (auto it = map.begin(); it != map.end(); ++it) {
      const std::string key = it->first.Scalar();
      bool known = false;
      for (std::string_view a : allowed) known = known || key == a;
      if (!known) return error(it->first, field.empty() ? key : field + "." + key, "unknown field");
    }
    return Status::ok();
  }
  // REQUIRES: parent is a map. min_exclusive: the value must be > min, else >= min.
  Result<double> number(const YAML::Node& parent, const std::string& key, const std::string& field,
                        double min, bool min_exclusive) const {
    const YAML::Node n = parent[key];
    if (!n.IsDefined()) return error(parent, field, "missing");
    if (!n.IsScalar()) return error(n, field, "expected a number");
    const std::string& s = n.Scalar();
    char* end = nullptr;
    const double v = std::strtod(s.c_str(), &end);
    if (s.empty() || end != s.c_str() + s.size() || !std::isfinite(v)) {
      return error(n, field, "expected a number, got '" + s + "'");
    }
    if (min_exclusive ? !(v > min) : !(v >= min)) {
      return error(n, field,
                   "must be " + std::string(min_exclusive ? "> " : ">= ") + std::to_string(min) +
                       ", got " + s);
    }
    return v;
  }
  Result<uint64_t> count(const YAML::Node& parent, const std::string& key,
                         const std::string& field) const {
    const YAML::Node n = parent[key];
    if (!n.IsDefined()) return error(parent, field, "missing");
    const std::string s = n.IsScalar() ? n.Scalar() : "";
    char* end = nullptr;
    const unsigned long long v = std::strtoull(s.c_str(), &end, 10);
    if (s.empty() || s[0] == '-' || end != s.c_str() + s.size()) {
      return error(n, field, "expected a non-negative integer, got '" + s + "'");
    }
    return static_cast<uint64_t>(v);
  }
  Result<std::string> text(const YAML::Node& parent, const std::string& key,
                           const std::string& field) const {
    const YAML::Node n = parent[key];
    if (!n.IsDefined()) return error(parent, field, "missing");
    if (!n.IsScalar() || n.Scalar().empty()) return error(n, field, "expected a non-empty string");
    return n.Scalar();
  }

 private:
  std::string source_;
};

Result<Phase> parsePhase(const Reader& r, const YAML::Node& n, const std::string& field) {
  SPIKELINE_RETURN_IF_ERROR(r.checkKeys(n, field, {"kind", "duration_s", "rate", "from", "to"}));
  SPIKELINE_ASSIGN_OR_RETURN(std::string kind, r.text(n, "kind", field + ".kind"));
  SPIKELINE_ASSIGN_OR_RETURN(double duration,
                             r.number(n, "duration_s", field + ".duration_s", 0, true));
  const int64_t d = secondsToNs(duration);
  if (kind == "ramp") {
    SPIKELINE_ASSIGN_OR_RETURN(double from, r.number(n, "from", field + ".from", 0, false));
    SPIKELINE_ASSIGN_OR_RETURN(double to, r.number(n, "to", field + ".to", 0, false));
    return Phase::ramp(d, from, to);
  }
  if (kind != "warmup" && kind != "steady") {
    return r.error(n["kind"], field + ".kind",
                   "expected warmup, ramp or steady, got '" + kind + "'");
  }
  if (n["from"].IsDefined() || n["to"].IsDefined()) {
    return r.error(n, field, "from/to belong to a ramp; use rate");
  }
  SPIKELINE_ASSIGN_OR_RETURN(double rate, r.number(n, "rate", field + ".rate", 0, false));
  return kind == "warmup" ? Phase::warmup(d, rate) : Phase::steady(d, rate);
}

Result<ScenarioAction> parseAction(const Reader& r, const YAML::Node& n, const std::string& field) {
  SPIKELINE_RETURN_IF_ERROR(r.checkKeys(n, field, {"at_s", "action", "worker", "core"}));
  ScenarioAction a;
  a.line = static_cast<uint32_t>(n.Mark().line + 1);
  SPIKELINE_ASSIGN_OR_RETURN(double at, r.number(n, "at_s", field + ".at_s", 0, false));
  a.at_ns = secondsToNs(at);
  SPIKELINE_ASSIGN_OR_RETURN(std::string kind, r.text(n, "action", field + ".action"));
  if (kind == "kill_worker" || kind == "inject_chip_fault") {
    a.kind = kind == "kill_worker" ? ActionKind::kKillWorker : ActionKind::kInjectChipFault;
    SPIKELINE_ASSIGN_OR_RETURN(a.worker, r.text(n, "worker", field + ".worker"));
  } else if (kind == "restart_broker") {
    a.kind = ActionKind::kRestartBroker;
    if (n["worker"].IsDefined()) return r.error(n["worker"], field + ".worker", "not used here");
  } else {
    return r.error(n["action"], field + ".action",
                   "expected kill_worker, inject_chip_fault or restart_broker, got '" + kind + "'");
  }
  if (n["core"].IsDefined()) {
    if (a.kind != ActionKind::kInjectChipFault) {
      return r.error(n["core"], field + ".core", "only inject_chip_fault takes a core");
    }
    SPIKELINE_ASSIGN_OR_RETURN(uint64_t core, r.count(n, "core", field + ".core"));
    if (core > UINT32_MAX) return r.error(n["core"], field + ".core", "too large");
    a.core = static_cast<uint32_t>(core);
  }
  return a;
}

Status parseLoad(const Reader& r, const YAML::Node& root, Scenario& s) {
  if (s.mode == LoadMode::kOpen) {
    const YAML::Node phases = root["phases"];
    if (!phases.IsDefined()) return r.error(root, "phases", "missing (open mode needs phases)");
    if (!phases.IsSequence() || phases.size() == 0) {
      return r.error(phases, "phases", "expected a non-empty list");
    }
    for (size_t i = 0; i < phases.size(); ++i) {
      SPIKELINE_ASSIGN_OR_RETURN(Phase p,
                                 parsePhase(r, phases[i], "phases[" + std::to_string(i) + "]"));
      s.schedule.phases.push_back(p);
    }
    if (root["closed"].IsDefined()) return r.error(root["closed"], "closed", "needs mode: closed");
    return Status::ok();
  }
  const YAML::Node c = root["closed"];
  if (!c.IsDefined()) return r.error(root, "closed", "missing (closed mode needs it)");
  SPIKELINE_RETURN_IF_ERROR(r.checkKeys(c, "closed", {"concurrency", "warmup_s", "duration_s"}));
  SPIKELINE_ASSIGN_OR_RETURN(uint64_t conc, r.count(c, "concurrency", "closed.concurrency"));
  if (conc == 0 || conc > 1'000'000) {
    return r.error(c["concurrency"], "closed.concurrency", "must be 1..1000000");
  }
  s.closed.concurrency = static_cast<uint32_t>(conc);
  SPIKELINE_ASSIGN_OR_RETURN(double dur, r.number(c, "duration_s", "closed.duration_s", 0, true));
  s.closed.duration_ns = secondsToNs(dur);
  if (c["warmup_s"].IsDefined()) {
    SPIKELINE_ASSIGN_OR_RETURN(double w, r.number(c, "warmup_s", "closed.warmup_s", 0, false));
    s.closed.warmup_ns = secondsToNs(w);
  }
  if (root["phases"].IsDefined()) return r.error(root["phases"], "phases", "needs mode: open");
  return Status::ok();
}

Status parseHeader(const Reader& r, const YAML::Node& root, Scenario& s) {
  SPIKELINE_RETURN_IF_ERROR(r.checkKeys(
      root, "",
      {"name", "mode", "arrival", "seed", "request_timeout_s", "phases", "closed", "actions"}));
  if (root["name"].IsDefined()) {
    SPIKELINE_ASSIGN_OR_RETURN(s.name, r.text(root, "name", "name"));
  }
  if (root["mode"].IsDefined()) {
    SPIKELINE_ASSIGN_OR_RETURN(std::string mode, r.text(root, "mode", "mode"));
    if (mode != "open" && mode != "closed") {
      return r.error(root["mode"], "mode", "expected open or closed, got '" + mode + "'");
    }
    s.mode = mode == "open" ? LoadMode::kOpen : LoadMode::kClosed;
  }
  if (root["arrival"].IsDefined()) {
    SPIKELINE_ASSIGN_OR_RETURN(std::string a, r.text(root, "arrival", "arrival"));
    if (a != "constant" && a != "poisson") {
      return r.error(root["arrival"], "arrival", "expected constant or poisson, got '" + a + "'");
    }
    s.schedule.process = a == "poisson" ? ArrivalProcess::kPoisson : ArrivalProcess::kConstant;
  }
  if (root["seed"].IsDefined()) {
    SPIKELINE_ASSIGN_OR_RETURN(s.schedule.seed, r.count(root, "seed", "seed"));
  }
  if (root["request_timeout_s"].IsDefined()) {
    SPIKELINE_ASSIGN_OR_RETURN(double t,
                               r.number(root, "request_timeout_s", "request_timeout_s", 0, true));
    s.request_timeout_ns = secondsToNs(t);
  }
  return Status::ok();
}

Result<Scenario> parseRoot(const Reader& r, const YAML::Node& root) {
  if (!root.IsMap()) return r.error(root, "scenario", "expected a mapping at the top level");
  Scenario s;
  SPIKELINE_RETURN_IF_ERROR(parseHeader(r, root, s));
  SPIKELINE_RETURN_IF_ERROR(parseLoad(r, root, s));
  const YAML::Node actions = root["actions"];
  if (actions.IsDefined() && !actions.IsNull()) {
    if (!actions.IsSequence()) return r.error(actions, "actions", "expected a list");
    for (size_t i = 0; i < actions.size(); ++i) {
      SPIKELINE_ASSIGN_OR_RETURN(ScenarioAction a,
                                 parseAction(r, actions[i], "actions[" + std::to_string(i) + "]"));
      s.actions.push_back(std::move(a));
    }
  }
  return s;
}

}  // namespace

Result<Scenario> parseScenario(std::string_view yaml_text, std::string_view source) {
  const Reader reader(source);
  try {
    const YAML::Node root = YAML::Load(std::string(yaml_text));
    if (!root.IsDefined() || root.IsNull()) {
      return invalidArgument(std::string(source) + ":1: scenario: empty document");
    }
    return parseRoot(reader, root);
  } catch (const YAML::Exception& e) {
    return invalidArgument(std::string(source) + ":" + std::to_string(e.mark.line + 1) +
                           ": YAML: " + e.msg);
  }
}

Result<Scenario> loadScenarioFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return notFound(path + ": cannot open scenario file");
  std::ostringstream text;
  text << in.rdbuf();
  return parseScenario(text.str(), path);
}

}  // namespace spikeline::loadgen
