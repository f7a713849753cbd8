#include "nir/child_answer.h"

#include <cstring>
#include <memory>

#include "nir/nir_reader.h"

namespace spikeline::nir {
namespace {

class Writer {
 public:
  void u64(uint64_t v) { out_.append(reinterpret_cast<const char*>(&v), sizeof v); }
  void str(const std::string& s) {
    u64(s.size());
    out_ += s;
  }
  void value(const NirValue& v) {
    u64(v.shape.size());
    for (uint64_t d : v.shape) u64(d);
    u64(v.numbers.size());
    out_.append(reinterpret_cast<const char*>(v.numbers.data()), v.numbers.size() * sizeof(double));
    u64(v.texts.size());
    for (const auto& t : v.texts) str(t);
  }
  void graph(const NirGraph& g) {
    u64(g.nodes.size());
    for (const auto& [name, node] : g.nodes) {
      str(name);
      str(node.type);
      u64(node.params.size());
      for (const auto& [k, v] : node.params) {
        str(k);
        value(v);
      }
      u64(node.subgraph ? 1 : 0);
      if (node.subgraph) graph(*node.subgraph);
    }
    u64(g.edges.size());
    for (const auto& [a, b] : g.edges) {
      str(a);
      str(b);
    }
  }
  std::string take() { return std::move(out_); }

 private:
  std::string out_;
};

class Parser {
 public:
  explicit Parser(std::string_view in) : in_(in) {}
  bool u64(uint64_t& v) {
    if (in_.size() < sizeof v) return false;
    std::memcpy(&v, in_.data(), sizeof v);
    in_.remove_prefix(sizeof v);
    return true;
  }
  bool str(std::string& s) {
    uint64_t n = 0;
    if (!u64(n) || n > in_.size()) return false;
    s.assign(in_.substr(0, n));
    in_.remove_prefix(n);
    return true;
  }
  bool value(NirValue& v) {
    uint64_t n = 0;
    if (!u64(n) || n > 64) return false;
    v.shape.resize(n);
    for (uint64_t& d : v.shape) {
      if (!u64(d)) return false;
    }
    if (!u64(n) || n > in_.size() / sizeof(double)) return false;
    v.numbers.resize(n);
    std::memcpy(v.numbers.data(), in_.data(), n * sizeof(double));
    in_.remove_prefix(n * sizeof(double));
    if (!u64(n) || n > in_.size()) return false;
    v.texts.resize(n);
    for (auto& t : v.texts) {
      if (!str(t)) return false;
    }
    return true;
  }
  bool graph(NirGraph& g, int depth) {
    uint64_t n = 0;
    if (depth > kMaxDepth + 1 || !u64(n) || n > in_.size()) return false;
    for (uint64_t i = 0; i < n; ++i) {
      std::string name;
      NirNode node;
      uint64_t params = 0, has_sub = 0;
      if (!str(name) || !str(node.type) || !u64(params) || params > in_.size()) return false;
      for (uint64_t k = 0; k < params; ++k) {
        std::string key;
        NirValue v;
        if (!str(key) || !value(v)) return false;
        node.params.emplace(std::move(key), std::move(v));
      }
      if (!u64(has_sub)) return false;
      if (has_sub) {
        auto sub = std::make_shared<NirGraph>();
        if (!graph(*sub, depth + 1)) return false;
        node.subgraph = std::move(sub);
      }
      g.nodes.emplace(std::move(name), std::move(node));
    }
    if (!u64(n) || n > in_.size()) return false;
    for (uint64_t i = 0; i < n; ++i) {
      std::string a, b;
      if (!str(a) || !str(b)) return false;
      g.edges.emplace_back(std::move(a), std::move(b));
    }
    return true;
  }
  bool done() const { return in_.empty(); }

 private:
  std::string_view in_;
};

}  // namespace

// The answer of the child: [u64 status code][message] or [0][version][graph].
std::string encodeAnswer(const Result<NirFile>& r) {
  Writer w;
  w.u64(r.isOk() ? 0 : uint64_t(r.status().code()));
  if (!r.isOk()) {
    w.str(r.status().message());
    return w.take();
  }
  w.str(r->version);
  w.graph(r->graph);
  return w.take();
}

Result<NirFile> decodeAnswer(std::string_view bytes) {
  Parser p(bytes);
  uint64_t code = 0;
  if (!p.u64(code)) return internalError("nir: the reader process sent no answer");
  if (code != 0) {
    std::string message;
    if (!p.str(message) || code > 64) return internalError("nir: bad answer from the reader");
    return Status(StatusCode(code), std::move(message));
  }
  NirFile f;
  if (!p.str(f.version) || !p.graph(f.graph, 0) || !p.done()) {
    return internalError("nir: bad answer from the reader");
  }
  return f;
}

}  // namespace spikeline::nir
