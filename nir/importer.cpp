#include "nir/importer.h"

#include <algorithm>
#include <cmath>
#include <deque>
#include <functional>
#include <map>
#include <set>
#include <sstream>

#include "core/operator_catalog.h"
#include "nir/flat_graph.h"

namespace spikeline::nir {
namespace {

// ---------------------------------------------------------------------------------------------
// Parameters

const std::vector<std::string> kPrimitives = {
    "Input",     "Output",    "Affine", "Linear",    "Scale", "Conv1d", "Conv2d",
    "SumPool2d", "AvgPool2d", "Flatten", "Delay",    "Threshold", "I", "IF",
    "LI",        "LIF",       "CubaLI", "CubaLIF",   "NIRGraph"};

bool isSpikingNeuron(const std::string& t) { return t == "LIF" || t == "CubaLIF"; }

std::string fmt(double v) {
  std::ostringstream s;
  s << v;
  return s.str();
}

// Context for one NIR node's conversion: its name and type prefix every error.
struct NodeCtx {
  const std::string& name;
  const FlatNode& node;

  Status error(const std::string& problem) const {
    return invalidArgument("node '" + name + "' (" + node.type + "): " + problem);
  }
  const NirValue* find(const std::string& p) const {
    auto it = node.params->find(p);
    return it == node.params->end() ? nullptr : &it->second;
  }
  Result<const NirValue*> numbers(const std::string& p) const {
    const NirValue* v = find(p);
    if (v == nullptr) return error("parameter '" + p + "' is missing");
    if (v->isText()) return error("parameter '" + p + "' must be numeric, got a string");
    for (double x : v->numbers) {
      if (!std::isfinite(x)) return error("parameter '" + p + "' holds NaN or infinity");
    }
    return v;
  }

  // A per-neuron parameter as one value: 1 value, or `neurons` equal values (leading singleton
  // dimensions allowed). `fallback` is used when absent (nullopt: required).
  Result<double> uniform(const std::string& p, uint64_t neurons,
                         std::optional<double> fallback = std::nullopt) const {
    if (find(p) == nullptr && fallback) return *fallback;
    SPIKELINE_ASSIGN_OR_RETURN(const NirValue* v, numbers(p));
    const uint64_t n = v->numbers.size();
    if (n == 0) return error("parameter '" + p + "' is empty");
    if (n != 1 && n != neurons) {
      return error("parameter '" + p + "' has " + std::to_string(n) + " values, the layer has " +
                   std::to_string(neurons) + " neurons");
    }
    const auto [lo, hi] = std::minmax_element(v->numbers.begin(), v->numbers.end());
    if (*hi - *lo > 1e-9 * std::max(std::fabs(*lo), std::fabs(*hi))) {
      return error("parameter '" + p + "' differs across neurons (min " + fmt(*lo) + ", max " +
                   fmt(*hi) + "); spikeline's neuron operators take one value per layer");
    }
    return v->numbers[0];
  }

  Result<double> positive(const std::string& p, uint64_t neurons) const {
    SPIKELINE_ASSIGN_OR_RETURN(double v, uniform(p, neurons));
    if (!(v > 0)) return error(p + " must be > 0, got " + fmt(v));
    return v;
  }

  // A tensor parameter with `rank` dimensions after dropping leading singleton dimensions.
  Result<WeightTensor> tensor(const std::string& p, size_t rank) const {
    SPIKELINE_ASSIGN_OR_RETURN(const NirValue* v, numbers(p));
    std::vector<uint64_t> dims = v->shape;
    while (dims.size() > rank && dims.front() == 1) dims.erase(dims.begin());
    while (dims.size() < rank) dims.insert(dims.begin(), 1);
    if (dims.size() != rank) {
      return error("parameter '" + p + "' must have " + std::to_string(rank) + " dimensions, got " +
                   std::to_string(v->shape.size()));
    }
    WeightTensor w;
    std::vector<uint32_t> d32;
    for (uint64_t d : dims) {
      if (d == 0 || d > (uint64_t{1} << 31)) return error("parameter '" + p + "' has a bad shape");
      d32.push_back(uint32_t(d));
    }
    w.shape = Shape(d32);
    w.values.assign(v->numbers.begin(), v->numbers.end());
    return w;
  }

  // An integer or an [h, w] pair (NIR stores either); `fallback` when absent.
  Result<std::vector<int64_t>> ints(const std::string& p, size_t count,
                                    std::vector<int64_t> fallback) const {
    if (find(p) == nullptr) return fallback;
    SPIKELINE_ASSIGN_OR_RETURN(const NirValue* v, numbers(p));
    std::vector<int64_t> out;
    for (double x : v->numbers) {
      if (x != std::floor(x) || std::fabs(x) > 1e9)
        return error("parameter '" + p + "' must hold integers, got " + fmt(x));
      out.push_back(int64_t(x));
    }
    if (out.size() == 1) out.assign(count, out[0]);
    if (out.size() != count) {
      return error("parameter '" + p + "' must hold 1 or " + std::to_string(count) +
                   " integers, got " + std::to_string(out.size()));
    }
    return out;
  }
};

ParamValue pairValue(const std::vector<int64_t>& v) {
  if (std::all_of(v.begin(), v.end(), [&](int64_t x) { return x == v[0]; })) return v[0];
  return v;
}

// ---------------------------------------------------------------------------------------------
// The conversion

struct Produced {
  std::string op;  // the op whose output is this node's output ("input": the model input)
  Shape shape;
  ValueKind kind = ValueKind::kSpikes;
};

class Importer {
 public:
  Importer(const NirFile& file, const ImportOptions& o) : file_(file), o_(o) {}

  Result<ImportedModel> run() {
    SPIKELINE_RETURN_IF_ERROR(checkOptions());
    FlatGraph g;
    SPIKELINE_RETURN_IF_ERROR(flattenGraph(file_.graph, g));
    for (const auto& [name, node] : g.nodes) {
      if (std::find(kPrimitives.begin(), kPrimitives.end(), node.type) == kPrimitives.end()) {
        std::string known;
        for (const auto& p : kPrimitives) known += (known.empty() ? "" : ", ") + p;
        return invalidArgument("node '" + name + "': unknown NIR primitive type \"" + node.type +
                               "\" (known: " + known + ")");
      }
    }
    graph_ = &g;
    SPIKELINE_RETURN_IF_ERROR(findBoundary());
    SPIKELINE_RETURN_IF_ERROR(extractRecurrence());
    SPIKELINE_ASSIGN_OR_RETURN(std::vector<std::string> order, topologicalOrder());
    model_.name = o_.name;
    model_.timesteps = o_.timesteps;
    model_.dense_input = o_.dense_input;
    model_.precision = o_.precision;
    model_.frac_bits = o_.frac_bits;
    model_.source_version = file_.version;
    model_.weights_file = o_.weights_file;
    for (const std::string& n : order) SPIKELINE_RETURN_IF_ERROR(convert(n));
    if (o_.readout == "spike_count") SPIKELINE_RETURN_IF_ERROR(appendReadout());
    if (model_.ops.empty()) return invalidArgument("the graph has no operator between its Input and Output");
    SPIKELINE_RETURN_IF_ERROR(cutStages());
    return std::move(model_);
  }

 private:
  Status checkOptions() const {
    if (!(o_.dt > 0) || !std::isfinite(o_.dt)) return invalidArgument("--dt: must be > 0");
    if (o_.timesteps < 1 || o_.timesteps > 4096)
      return invalidArgument("--timesteps: must be in 1..4096");
    if (o_.readout != "none" && o_.readout != "spike_count")
      return invalidArgument("--readout: must be none or spike_count, got " + o_.readout);
    return Status::ok();
  }

  Status findBoundary() {
    for (const auto& [name, node] : graph_->nodes) {
      if (node.type == "Input") inputs_.push_back(name);
      if (node.type == "Output") outputs_.push_back(name);
    }
    if (inputs_.size() != 1) {
      return invalidArgument("the graph has " + std::to_string(inputs_.size()) +
                             " Input nodes; spikeline models take exactly one input");
    }
    if (outputs_.size() != 1) {
      return invalidArgument("the graph has " + std::to_string(outputs_.size()) +
                             " Output nodes; spikeline models have exactly one output");
    }
    return Status::ok();
  }

  // Self-loops and neuron -> Linear -> neuron loops become the neuron's recurrent weights.
  Status extractRecurrence() {
    auto& edges = graph_->edges;
    std::vector<bool> drop(edges.size(), false);
    for (size_t e = 0; e < edges.size(); ++e) {
      const auto& [a, b] = edges[e];
      if (a != b) continue;
      if (!isSpikingNeuron(graph_->nodes.at(a).type)) {
        return invalidArgument("node '" + a + "' (" + graph_->nodes.at(a).type +
                               "): a self-loop is supported on LIF and CubaLIF only");
      }
      recurrent_[a].push_back({a, ""});  // identity
      drop[e] = true;
    }
    for (size_t e = 0; e < edges.size(); ++e) {
      const auto& [l, n] = edges[e];
      if (drop[e]) continue;
      const FlatNode& ln = graph_->nodes.at(l);
      if ((ln.type != "Linear" && ln.type != "Affine") || !isSpikingNeuron(graph_->nodes.at(n).type))
        continue;
      std::vector<std::string> preds;
      for (const auto& [a, b] : edges) {
        if (b == l) preds.push_back(a);
      }
      if (preds.size() != 1 || preds[0] != n) continue;
      recurrent_[n].push_back({n, l});
      drop[e] = true;
    }
    std::vector<std::pair<std::string, std::string>> kept;
    for (size_t e = 0; e < edges.size(); ++e) {
      if (!drop[e]) kept.push_back(edges[e]);
    }
    edges = std::move(kept);
    // A Linear that only carried the recurrent connection disappears with it.
    for (const auto& [neuron, loops] : recurrent_) {
      for (const auto& loop : loops) {
        if (loop.second.empty()) continue;
        const bool feeds = std::any_of(edges.begin(), edges.end(),
                                       [&](const auto& e) { return e.first == loop.second; });
        if (!feeds) {
          edges.erase(std::remove_if(edges.begin(), edges.end(),
                                     [&](const auto& e) { return e.second == loop.second; }),
                      edges.end());
          absorbed_.insert(loop.second);
        }
      }
    }
    return Status::ok();
  }

  Result<std::vector<std::string>> topologicalOrder() {
    // Nodes that do not lead to the Output are dropped (with a warning).
    std::set<std::string> useful{outputs_[0]};
    for (bool grew = true; grew;) {
      grew = false;
      for (const auto& [a, b] : graph_->edges) {
        if (useful.count(b) && useful.insert(a).second) grew = true;
      }
    }
    if (!useful.count(inputs_[0])) {
      return invalidArgument("no path from the Input '" + inputs_[0] + "' to the Output '" +
                             outputs_[0] + "'");
    }
    for (const auto& [name, node] : graph_->nodes) {
      if (!useful.count(name) && !absorbed_.count(name)) {
        model_.warnings.push_back("node '" + name + "' (" + node.type +
                                  ") does not lead to the Output; it is left out");
      }
    }
    std::map<std::string, size_t> indegree;
    for (const auto& n : useful) indegree[n] = 0;
    for (const auto& [a, b] : graph_->edges) {
      if (useful.count(a) && useful.count(b)) {
        ++indegree[b];
        preds_[b].push_back(a);
      }
    }
    for (const auto& [n, d] : indegree) {
      if (d == 0 && n != inputs_[0]) {
        return invalidArgument("node '" + n + "' (" + graph_->nodes.at(n).type +
                               "): has no input edge, but leads to the Output");
      }
    }
    std::vector<std::string> order;
    std::deque<std::string> ready{inputs_[0]};
    while (!ready.empty()) {
      const std::string n = ready.front();
      ready.pop_front();
      order.push_back(n);
      for (const auto& [a, b] : graph_->edges) {
        if (a == n && useful.count(b) && --indegree[b] == 0) ready.push_back(b);
      }
    }
    if (order.size() != useful.size()) return cycleError(useful, order);
    return order;
  }

  Status cycleError(const std::set<std::string>& useful, const std::vector<std::string>& done) {
    std::set<std::string> left(useful.begin(), useful.end());
    for (const auto& n : done) left.erase(n);
    // Walk predecessors inside `left` until a node repeats: that is a cycle.
    std::vector<std::string> path{*left.begin()};
    std::map<std::string, size_t> seen{{path[0], 0}};
    while (true) {
      std::string next;
      for (const auto& p : preds_[path.back()]) {
        if (left.count(p)) {
          next = p;
          break;
        }
      }
      auto it = seen.find(next);
      if (it != seen.end()) {
        // path[i + 1] feeds path[i]: from `next` forward, the cycle is next -> path.back() ->
        // ... -> path[it->second] (== next).
        std::string text = next;
        for (size_t i = path.size(); i-- > it->second;) text += " -> " + path[i];
        return invalidArgument("cycle " + text +
                               " is not supported: spikeline accepts a neuron's own recurrent "
                               "connection (a self-loop on LIF/CubaLIF, or neuron -> Linear -> "
                               "the same neuron)");
      }
      seen[next] = path.size();
      path.push_back(next);
    }
  }

  // ---- one node

  std::string opName(const std::string& nir_name) {
    std::string s;
    for (char c : nir_name) {
      s += (std::isalnum(uint8_t(c)) || c == '_' || c == '-' || c == '.') ? c : '_';
    }
    if (s.empty() || s == "input") s = "n_" + s;
    std::string unique = s;
    for (int k = 2; used_names_.count(unique); ++k) unique = s + "_" + std::to_string(k);
    used_names_.insert(unique);
    return unique;
  }

  // Adds an op reading `inputs`; checks it with the catalog; returns what it produces.
  Result<Produced> addOp(const NodeCtx& c, OperatorSpec spec, const std::vector<Produced>& inputs) {
    spec.precision = o_.precision;
    spec.frac_bits = o_.frac_bits;
    std::vector<Shape> shapes;
    std::vector<ValueKind> kinds;
    for (const Produced& p : inputs) {
      spec.inputs.push_back(p.op);
      shapes.push_back(p.shape);
      kinds.push_back(p.kind);
    }
    spec.input_shape = shapes.at(0);
    Result<OperatorSignature> sig = inferOperator(spec, shapes, kinds);
    if (!sig.isOk()) {
      return c.error("as spikeline operator '" + spec.name + "' (" + spec.kind +
                     "): " + sig.status().message());
    }
    spec.output_shape = sig->output_shape;
    Produced out{spec.name, sig->output_shape, sig->output_kind};
    model_.mapping.back() += (model_.mapping.back().back() == ':' ? " " : ", ") + spec.name +
                             " (" + spec.kind + ")";
    op_group_.push_back(group_);
    model_.ops.push_back(std::move(spec));
    return out;
  }

  Status convert(const std::string& name) {
    const FlatNode& node = graph_->nodes.at(name);
    const NodeCtx c{name, node};
    model_.mapping.push_back(name + " (" + node.type + ") ->:");
    ++group_;
    if (node.type == "Input") return convertInput(c);
    // Several edges into one node are summed.
    std::vector<Produced> ins;
    for (const auto& p : preds_[name]) ins.push_back(produced_.at(p));
    if (ins.empty()) return c.error("has no input edge");
    Produced in = ins[0];
    for (size_t k = 1; k < ins.size(); ++k) {
      OperatorSpec add;
      add.name = opName(name + ".sum" + std::to_string(k));
      add.kind = "add";
      SPIKELINE_ASSIGN_OR_RETURN(in, addOp(c, std::move(add), {in, ins[k]}));
    }
    if (node.type == "Output") return convertOutput(c, in);
    SPIKELINE_ASSIGN_OR_RETURN(Produced out, convertOp(c, in));
    produced_[name] = out;
    model_.mapping.insert(model_.mapping.end(), notes_.begin(), notes_.end());
    notes_.clear();
    return Status::ok();
  }

  Status convertInput(const NodeCtx& c) {
    std::vector<uint32_t> dims;
    if (const NirValue* s = c.find("shape"); s != nullptr && !s->isText()) {
      for (double d : s->numbers) {
        if (!(d >= 1) || d != std::floor(d) || d > (1 << 30)) {
          return c.error("shape holds " + fmt(d) + "; dimensions must be integers >= 1");
        }
        dims.push_back(uint32_t(d));
      }
    }
    if (dims.empty()) return c.error("has no `shape` (the importer needs the input's shape)");
    model_.input_shape = Shape(dims);
    Produced p{"input", model_.input_shape, o_.dense_input ? ValueKind::kDense : ValueKind::kSpikes};
    if (o_.dense_input) {
      OperatorSpec enc;
      enc.name = opName("encode");
      enc.kind = "encode_direct";
      SPIKELINE_ASSIGN_OR_RETURN(p, addOp(c, std::move(enc), {p}));
    }
    produced_[c.name] = p;
    return Status::ok();
  }

  Status convertOutput(const NodeCtx& c, const Produced& in) {
    if (const NirValue* s = c.find("shape"); s != nullptr && !s->isText() && !s->numbers.empty()) {
      uint64_t n = 1;
      for (double d : s->numbers) n *= uint64_t(std::max(0.0, d));
      if (n != in.shape.numel()) {  // [1, 1, 1] for [1] is fine: same values
        return c.error("shape " + fmt(double(n)) + " values does not match its input " +
                       in.shape.toString());
      }
    }
    if (model_.ops.empty()) {
      return invalidArgument("the graph has no operator between its Input and Output");
    }
    if (model_.ops.back().name != in.op) {
      return c.error("its input is not the last operator (internal ordering error)");
    }
    final_ = in;
    return Status::ok();
  }

  void ratioWarning(const NodeCtx& c, const std::string& what, double ratio) {
    if (ratio > 1.0) {
      model_.warnings.push_back("node '" + c.name + "': " + what + " = " + fmt(ratio) +
                                " > 1: forward Euler overshoots at this dt");
    }
    if (o_.precision == Precision::kFixed && ratio > 0) {
      const double q = std::round(ratio * 65536.0);
      const double err = std::fabs(q / 65536.0 - ratio) / ratio;
      if (err > 0.01) {
        model_.warnings.push_back("node '" + c.name + "': " + what + " = " + fmt(ratio) +
                                  " rounds to " + fmt(q / 65536.0) +
                                  " at 2^-16 in fixed precision (" + fmt(err * 100) + "% off)");
      }
    }
  }

  void setReset(OperatorSpec& spec, double v_reset) {
    if (o_.reset == ResetMode::kSubtract) {
      spec.params.set("reset", std::string("subtract"));
    } else {
      spec.params.set("reset", std::string("value"));
      spec.params.set("v_reset", o_.reset == ResetMode::kZero ? 0.0 : v_reset);
    }
  }

  // The recurrent weight matrix of a neuron with `n` outputs (sum of its loops), or none.
  Result<std::optional<WeightTensor>> recurrentWeights(const NodeCtx& c, uint64_t n) {
    auto it = recurrent_.find(c.name);
    if (it == recurrent_.end()) return std::optional<WeightTensor>();
    WeightTensor w{Shape{uint32_t(n), uint32_t(n)}, std::vector<float>(n * n, 0.0f)};
    for (const auto& [neuron, linear] : it->second) {
      if (linear.empty()) {
        for (uint64_t i = 0; i < n; ++i) w.values[i * n + i] += 1.0f;
        continue;
      }
      const FlatNode& ln = graph_->nodes.at(linear);
      const NodeCtx lc{linear, ln};
      SPIKELINE_ASSIGN_OR_RETURN(WeightTensor lw, lc.tensor("weight", 2));
      if (lw.shape != w.shape) {
        return lc.error("recurrent weight " + lw.shape.toString() + " must be [" +
                        std::to_string(n) + ", " + std::to_string(n) + "] for neuron '" + c.name +
                        "'");
      }
      if (ln.type == "Affine" && lc.find("bias") != nullptr) {
        SPIKELINE_ASSIGN_OR_RETURN(const NirValue* b, lc.numbers("bias"));
        if (std::any_of(b->numbers.begin(), b->numbers.end(), [](double x) { return x != 0; }))
          return lc.error("a recurrent Affine with a non-zero bias is not supported");
      }
      for (size_t k = 0; k < lw.values.size(); ++k) w.values[k] += lw.values[k];
      notes_.push_back(linear + " (" + ln.type + ") ->: the recurrent weights of " + c.name);
    }
    return std::optional<WeightTensor>(std::move(w));
  }

  Result<Produced> convertOp(const NodeCtx& c, const Produced& in) {
    const std::string& t = c.node.type;
    const uint64_t n = in.shape.numel();
    OperatorSpec s;
    s.name = opName(c.name);
    const double dt = o_.dt;
    if (t == "Affine" || t == "Linear") {
      s.kind = "linear";
      SPIKELINE_ASSIGN_OR_RETURN(WeightTensor w, c.tensor("weight", 2));
      if (w.shape[1] != n) {
        return c.error("weight " + w.shape.toString() + " does not chain: its input " +
                       in.shape.toString() + " has " + std::to_string(n) + " values");
      }
      if (t == "Affine" && c.find("bias") != nullptr) {
        SPIKELINE_ASSIGN_OR_RETURN(WeightTensor b, c.tensor("bias", 1));
        if (b.shape[0] != w.shape[0])
          return c.error("bias " + b.shape.toString() + " does not match weight " + w.shape.toString());
        s.weights["bias"] = std::move(b);
      }
      s.weights["weight"] = std::move(w);
    } else if (t == "Scale") {
      s.kind = "scale";
      SPIKELINE_ASSIGN_OR_RETURN(const NirValue* v, c.numbers("scale"));
      std::vector<float> values(v->numbers.begin(), v->numbers.end());
      if (values.size() == 1) values.assign(n, values[0]);
      if (values.size() != n) {
        return c.error("scale has " + std::to_string(v->numbers.size()) +
                       " values, its input " + in.shape.toString() + " has " + std::to_string(n));
      }
      s.weights["scale"] = WeightTensor{in.shape, std::move(values)};
    } else if (t == "Conv2d" || t == "Conv1d") {
      SPIKELINE_RETURN_IF_ERROR(convParams(c, in, s, t == "Conv2d" ? 2 : 1));
    } else if (t == "SumPool2d" || t == "AvgPool2d") {
      s.kind = t == "SumPool2d" ? "sumpool2d" : "avgpool2d";
      SPIKELINE_ASSIGN_OR_RETURN(std::vector<int64_t> k, c.ints("kernel_size", 2, {}));
      if (k.empty()) return c.error("parameter 'kernel_size' is missing");
      SPIKELINE_ASSIGN_OR_RETURN(std::vector<int64_t> st, c.ints("stride", 2, k));
      SPIKELINE_ASSIGN_OR_RETURN(std::vector<int64_t> p, c.ints("padding", 2, {0, 0}));
      s.params.set("kernel", pairValue(k));
      s.params.set("stride", pairValue(st));
      s.params.set("padding", pairValue(p));
    } else if (t == "Flatten") {
      SPIKELINE_RETURN_IF_ERROR(flattenParams(c, in));
      s.kind = "flatten";
    } else if (t == "Delay") {
      SPIKELINE_ASSIGN_OR_RETURN(double d, c.uniform("delay", n));
      if (d < 0) return c.error("delay must be >= 0, got " + fmt(d));
      const double steps = d / dt;
      const double r = std::round(steps);
      if (std::fabs(steps - r) > 1e-6 * std::max(1.0, steps)) {
        model_.warnings.push_back("node '" + c.name + "': delay " + fmt(d) + " s is " +
                                  fmt(steps) + " steps at dt " + fmt(dt) + "; rounded to " +
                                  fmt(r));
      }
      if (r > 4096) return c.error("delay of " + fmt(r) + " steps exceeds 4096");
      s.kind = "delay";
      s.params.set("steps", int64_t(r));
    } else if (t == "Threshold") {
      s.kind = "threshold";
      SPIKELINE_ASSIGN_OR_RETURN(double th, c.uniform("threshold", n));
      s.params.set("v_threshold", th);
    } else {
      SPIKELINE_RETURN_IF_ERROR(neuronParams(c, n, s));
      if (in.kind == ValueKind::kSpikes &&
          (s.kind == "lif" || s.kind == "recurrent_lif" || s.kind == "if")) {
        // These take currents: spikes become 1.0 through a scale of ones (exact in fixed too).
        OperatorSpec ones;
        ones.name = opName(c.name + ".current");
        ones.kind = "scale";
        ones.weights["scale"] = WeightTensor{in.shape, std::vector<float>(n, 1.0f)};
        SPIKELINE_ASSIGN_OR_RETURN(Produced current, addOp(c, std::move(ones), {in}));
        return addOp(c, std::move(s), {current});
      }
    }
    return addOp(c, std::move(s), {in});
  }

  Status neuronParams(const NodeCtx& c, uint64_t n, OperatorSpec& s) {
    const std::string& t = c.node.type;
    const double dt = o_.dt;
    if (t == "I") {
      s.kind = "integrator";
      SPIKELINE_ASSIGN_OR_RETURN(double r, c.uniform("r", n, 1.0));
      s.params.set("r", r);
      s.params.set("dt", dt);
      ratioWarning(c, "r*dt", r * dt);
      return Status::ok();
    }
    if (t == "IF") {
      s.kind = "if";
      SPIKELINE_ASSIGN_OR_RETURN(double r, c.uniform("r", n, 1.0));
      SPIKELINE_ASSIGN_OR_RETURN(double th, c.uniform("v_threshold", n));
      SPIKELINE_ASSIGN_OR_RETURN(double vr, c.uniform("v_reset", n, 0.0));
      s.params.set("gain", r * dt);
      s.params.set("v_threshold", th);
      setReset(s, vr);
      ratioWarning(c, "r*dt", r * dt);
      return Status::ok();
    }
    if (t == "LI" || t == "LIF") {
      SPIKELINE_ASSIGN_OR_RETURN(double tau, c.positive("tau", n));
      SPIKELINE_ASSIGN_OR_RETURN(double r, c.uniform("r", n, 1.0));
      SPIKELINE_ASSIGN_OR_RETURN(double v_leak, c.uniform("v_leak", n, 0.0));
      s.params.set("tau", tau);
      s.params.set("r", r);
      s.params.set("v_leak", v_leak);
      s.params.set("dt", dt);
      ratioWarning(c, "dt/tau", dt / tau);
      if (t == "LI") {
        s.kind = "li";
        return Status::ok();
      }
      SPIKELINE_ASSIGN_OR_RETURN(double th, c.uniform("v_threshold", n));
      SPIKELINE_ASSIGN_OR_RETURN(double vr, c.uniform("v_reset", n, 0.0));
      s.params.set("v_threshold", th);
      setReset(s, vr);
      SPIKELINE_ASSIGN_OR_RETURN(std::optional<WeightTensor> rec, recurrentWeights(c, n));
      s.kind = rec ? "recurrent_lif" : "lif";
      if (rec) s.weights["recurrent"] = std::move(*rec);
      return Status::ok();
    }
    if (t == "CubaLI" || t == "CubaLIF") {
      SPIKELINE_ASSIGN_OR_RETURN(double tau_syn, c.positive("tau_syn", n));
      SPIKELINE_ASSIGN_OR_RETURN(double tau_mem, c.positive("tau_mem", n));
      SPIKELINE_ASSIGN_OR_RETURN(double r, c.uniform("r", n, 1.0));
      SPIKELINE_ASSIGN_OR_RETURN(double v_leak, c.uniform("v_leak", n, 0.0));
      SPIKELINE_ASSIGN_OR_RETURN(double w_in, c.uniform("w_in", n, 1.0));
      s.params.set("tau_syn", tau_syn);
      s.params.set("tau_mem", tau_mem);
      s.params.set("r", r);
      s.params.set("v_leak", v_leak);
      s.params.set("w_in", w_in);
      s.params.set("dt", dt);
      ratioWarning(c, "dt/tau_syn", dt / tau_syn);
      ratioWarning(c, "dt/tau_mem", dt / tau_mem);
      if (t == "CubaLI") {
        s.kind = "cuba_li";
        return Status::ok();
      }
      s.kind = "cuba_lif";
      SPIKELINE_ASSIGN_OR_RETURN(double th, c.uniform("v_threshold", n));
      SPIKELINE_ASSIGN_OR_RETURN(double vr, c.uniform("v_reset", n, 0.0));
      s.params.set("v_threshold", th);
      setReset(s, vr);
      SPIKELINE_ASSIGN_OR_RETURN(std::optional<WeightTensor> rec, recurrentWeights(c, n));
      if (rec) s.weights["recurrent"] = std::move(*rec);
      return Status::ok();
    }
    return c.error("the importer has no mapping for this primitive");
  }

  Status convParams(const NodeCtx& c, const Produced& in, OperatorSpec& s, size_t dims) {
    s.kind = dims == 2 ? "conv2d" : "conv1d";
    SPIKELINE_ASSIGN_OR_RETURN(WeightTensor w, c.tensor("weight", dims + 2));
    if (in.shape.rank() != dims + 1) {
      return c.error("its input " + in.shape.toString() + " must have rank " +
                     std::to_string(dims + 1) + (dims == 2 ? " [C, H, W]" : " [C, L]"));
    }
    if (const NirValue* is = c.find("input_shape"); is != nullptr && !is->isText()) {
      // NIR keeps the spatial input shape ([H, W] or [L]); it must agree with the chain.
      std::vector<double> want;
      for (size_t d = 0; d < dims; ++d) want.push_back(in.shape[1 + d]);
      std::vector<double> got = is->numbers;
      if (got.size() == dims + 1) got.erase(got.begin());
      if (got != want) {
        return c.error("input_shape does not match its input " + in.shape.toString());
      }
    }
    SPIKELINE_ASSIGN_OR_RETURN(std::vector<int64_t> stride, c.ints("stride", dims, std::vector<int64_t>(dims, 1)));
    SPIKELINE_ASSIGN_OR_RETURN(std::vector<int64_t> dil, c.ints("dilation", dims, std::vector<int64_t>(dims, 1)));
    std::vector<int64_t> pad(dims, 0);
    if (const NirValue* p = c.find("padding"); p != nullptr && p->isText()) {
      const std::string mode = p->texts[0];
      if (mode == "same") {
        for (size_t d = 0; d < dims; ++d) {
          const int64_t span = dil[d] * (int64_t(w.shape[2 + d]) - 1);
          if (span % 2 != 0 || stride[d] != 1)
            return c.error("padding \"same\" needs stride 1 and an odd kernel span");
          pad[d] = span / 2;
        }
      } else if (mode != "valid") {
        return c.error("padding \"" + mode + "\" is not \"same\", \"valid\" or integers");
      }
    } else {
      SPIKELINE_ASSIGN_OR_RETURN(pad, c.ints("padding", dims, pad));
    }
    SPIKELINE_ASSIGN_OR_RETURN(std::vector<int64_t> groups, c.ints("groups", 1, {1}));
    if (dims == 2) {
      s.params.set("stride", pairValue(stride));
      s.params.set("padding", pairValue(pad));
      s.params.set("dilation", pairValue(dil));
    } else {
      s.params.set("stride", stride[0]);
      s.params.set("padding", pad[0]);
      s.params.set("dilation", dil[0]);
    }
    s.params.set("groups", groups[0]);
    if (c.find("bias") != nullptr) {
      SPIKELINE_ASSIGN_OR_RETURN(WeightTensor b, c.tensor("bias", 1));
      s.weights["bias"] = std::move(b);
    }
    s.weights["weight"] = std::move(w);
    return Status::ok();
  }

  // spikeline's flatten always yields [numel] (values row-major, so a partial flatten differs
  // only in its shape label); the importer checks that the node's own description agrees.
  Status flattenParams(const NodeCtx& c, const Produced& in) {
    if (const NirValue* it = c.find("input_type"); it != nullptr && !it->isText()) {
      uint64_t n = 1;
      for (double d : it->numbers) n *= uint64_t(std::max(0.0, d));
      if (n != in.shape.numel()) {
        return c.error("input_type holds " + std::to_string(n) + " values, its input " +
                       in.shape.toString() + " has " + std::to_string(in.shape.numel()));
      }
    }
    SPIKELINE_ASSIGN_OR_RETURN(std::vector<int64_t> sd, c.ints("start_dim", 1, {0}));
    SPIKELINE_ASSIGN_OR_RETURN(std::vector<int64_t> ed, c.ints("end_dim", 1, {-1}));
    const int64_t rank = int64_t(in.shape.rank());
    const int64_t start = sd[0] < 0 ? sd[0] + rank : sd[0];
    const int64_t end = ed[0] < 0 ? ed[0] + rank : ed[0];
    // Exporters differ on whether start_dim counts the batch (torch's start_dim 1 often means
    // "everything"); spikeline flattens fully either way and says so when the node asked less.
    if (start != 0 || end != rank - 1) {
      model_.warnings.push_back("node '" + c.name + "': Flatten(start_dim " + std::to_string(sd[0]) +
                                ", end_dim " + std::to_string(ed[0]) +
                                ") is imported as a full flatten to [numel]");
    }
    return Status::ok();
  }

  Status appendReadout() {
    if (final_.kind != ValueKind::kSpikes) {
      return invalidArgument("--readout spike_count: the model's output is dense values, not spikes");
    }
    const FlatNode out_node{"Output", nullptr};
    const NodeCtx c{outputs_[0], out_node};
    model_.mapping.push_back("(readout) ->:");
    ++group_;
    OperatorSpec r;
    r.name = opName("readout");
    r.kind = "readout";
    r.params.set("mode", std::string("spike_count"));
    SPIKELINE_ASSIGN_OR_RETURN(final_, addOp(c, std::move(r), {final_}));
    return Status::ok();
  }

  // Stage cuts go where exactly one tensor crosses: every later op reads only the op at the cut
  // or ops after it.
  Status cutStages() {
    const size_t n = model_.ops.size();
    std::map<std::string, size_t> index;
    for (size_t i = 0; i < n; ++i) index[model_.ops[i].name] = i;
    // earliest[j]: the smallest op index any op >= j reads (-1: the model input).
    std::vector<long> earliest(n + 1, long(n));
    for (size_t j = n; j-- > 0;) {
      long e = earliest[j + 1];
      for (const auto& in : model_.ops[j].inputs) {
        e = std::min(e, in == "input" ? -1L : long(index.at(in)));
      }
      earliest[j] = e;
    }
    std::vector<size_t> valid;  // cut after op i
    for (size_t i = 0; i + 1 < n; ++i) {
      if (earliest[i + 1] >= long(i)) valid.push_back(i);
    }
    std::vector<size_t> cuts;
    if (o_.stages == "per-layer") {
      for (size_t i : valid) {
        if (op_group_[i] != op_group_[i + 1]) cuts.push_back(i);
      }
    } else if (o_.stages != "one") {
      size_t want = 0;
      try {
        want = std::stoul(o_.stages);
      } catch (...) {
      }
      if (want < 1 || std::to_string(want) != o_.stages) {
        return invalidArgument("--stages: must be per-layer, one or a count >= 1, got " + o_.stages);
      }
      if (want - 1 > valid.size()) {
        return invalidArgument("--stages " + o_.stages + ": the graph can be cut into at most " +
                               std::to_string(valid.size() + 1) + " stages");
      }
      // Even cuts by operator count, each at the valid position nearest its target.
      size_t from = 0;
      for (size_t k = 1; k < want; ++k) {
        const double target = double(n) * double(k) / double(want) - 1.0;
        size_t best = from;
        for (size_t v = from; v + (want - 1 - k) < valid.size(); ++v) {
          if (std::fabs(double(valid[v]) - target) < std::fabs(double(valid[best]) - target)) best = v;
        }
        cuts.push_back(valid[best]);
        from = best + 1;
      }
    }
    std::vector<std::string> backends =
        o_.precision == Precision::kFixed ? std::vector<std::string>{"chip", "cuda", "cpu"}
                                          : std::vector<std::string>{"cuda", "cpu"};
    size_t begin = 0;
    cuts.push_back(n - 1);
    for (size_t cut : cuts) {
      ImportedStage st;
      st.name = "stage" + std::to_string(model_.stages.size() + 1);
      for (size_t i = begin; i <= cut; ++i) st.operators.push_back(model_.ops[i].name);
      st.backends = backends;
      model_.stages.push_back(std::move(st));
      begin = cut + 1;
    }
    return Status::ok();
  }

  const NirFile& file_;
  const ImportOptions& o_;
  FlatGraph* graph_ = nullptr;
  std::vector<std::string> inputs_, outputs_;
  std::map<std::string, std::vector<std::pair<std::string, std::string>>> recurrent_;
  std::set<std::string> absorbed_;
  std::vector<std::string> notes_;  // mapping lines to add after the current node's
  std::map<std::string, std::vector<std::string>> preds_;
  std::map<std::string, Produced> produced_;
  std::set<std::string> used_names_{"input"};
  std::vector<size_t> op_group_;
  size_t group_ = 0;
  Produced final_;
  ImportedModel model_;
};

}  // namespace

Result<ImportedModel> importNir(const NirFile& file, const ImportOptions& options) {
  return Importer(file, options).run();
}

const std::vector<std::string>& supportedPrimitives() { return kPrimitives; }

}  // namespace spikeline::nir
