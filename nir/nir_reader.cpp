#include "nir/nir_reader.h"

#include "nir/child_answer.h"

#include <hdf5.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <iterator>
#include <sstream>
#include <string>
#include <vector>

namespace spikeline::nir {

uint64_t NirValue::numel() const {
  uint64_t n = 1;
  for (uint64_t d : shape) n *= d;
  return n;
}

namespace {

// Owns one HDF5 identifier; `close` is the matching H5?close function.
class Handle {
 public:
  Handle(hid_t id, herr_t (*close)(hid_t)) : id_(id), close_(close) {}
  Handle(const Handle&) = delete;
  Handle& operator=(const Handle&) = delete;
  ~Handle() {
    if (id_ >= 0) close_(id_);
  }
  hid_t get() const { return id_; }
  bool ok() const { return id_ >= 0; }

 private:
  hid_t id_;
  herr_t (*close_)(hid_t);
};

constexpr unsigned char kSignature[8] = {0x89, 'H', 'D', 'F', '\r', '\n', 0x1a, '\n'};

// HDF5's signature sits at offset 0 or at 512 * 2^k (after a user block).
bool hasHdf5Signature(std::string_view bytes) {
  for (size_t off = 0; off + 8 <= bytes.size(); off = off == 0 ? 512 : off * 2) {
    if (std::memcmp(bytes.data() + off, kSignature, 8) == 0) return true;
  }
  return false;
}

class Reader {
 public:
  explicit Reader(hid_t file) : file_(file) {}

  Result<NirFile> read() {
    NirFile out;
    if (H5Lexists(file_, "version", H5P_DEFAULT) > 0) {
      SPIKELINE_ASSIGN_OR_RETURN(NirValue v, readDataset(file_, "version", "/version"));
      if (!v.isText() || v.texts.size() != 1)
        return invalidArgument("/version: must be one string");
      out.version = v.texts[0];
    } else if (H5Aexists(file_, "version") > 0) {
      return invalidArgument("/version: stored as an attribute; NIR stores it as a dataset");
    } else {
      return invalidArgument("/version: missing (is this a NIR file?)");
    }
    SPIKELINE_RETURN_IF_ERROR(checkVersion(out.version));
    if (H5Lexists(file_, "node", H5P_DEFAULT) <= 0)
      return invalidArgument("/node: missing (a NIR file holds its graph in /node)");
    SPIKELINE_ASSIGN_OR_RETURN(NirNode top, readNode(file_, "node", "/node", 0));
    if (top.type != "NIRGraph" || !top.subgraph) {
      return invalidArgument("/node: type must be \"NIRGraph\", got \"" + top.type + "\"");
    }
    out.graph = *top.subgraph;
    return out;
  }

 private:
  static Status checkVersion(const std::string& version) {
    // "0.1.1", "0.2.0", "1.0.7-HEAD-7232ada": the reader knows majors 0 and 1.
    size_t i = 0;
    while (i < version.size() && std::isdigit(uint8_t(version[i]))) ++i;
    if (i == 0 || i > 3 || i >= version.size() || version[i] != '.') {
      return invalidArgument("/version: \"" + version + "\" is not a NIR version (e.g. 1.0.0)");
    }
    const int major = std::stoi(version.substr(0, i));
    if (major > 1) {
      return invalidArgument("/version: NIR " + version +
                             " is newer than this reader (it reads 0.1.x, 0.2.x and 1.x)");
    }
    return Status::ok();
  }

  // Names of the links in a group, in name order.
  static Result<std::vector<std::string>> linkNames(hid_t group, const std::string& path) {
    std::vector<std::string> names;
    auto collect = [](hid_t, const char* name, const H5L_info_t*, void* data) -> herr_t {
      auto* out = static_cast<std::vector<std::string>*>(data);
      if (out->size() > kMaxNodes) return 1;  // stop: too many
      out->emplace_back(name);
      return 0;
    };
    hsize_t idx = 0;
    if (H5Literate(group, H5_INDEX_NAME, H5_ITER_INC, &idx, collect, &names) < 0) {
      return invalidArgument(path + ": cannot list the group (corrupt file?)");
    }
    if (names.size() > kMaxNodes) {
      return resourceExhausted(path + ": more than " + std::to_string(kMaxNodes) + " entries");
    }
    return names;
  }

  // H5I_GROUP or H5I_DATASET (or H5I_BADID) of a link.
  static H5I_type_t objectType(hid_t parent, const std::string& name) {
    Handle obj(H5Oopen(parent, name.c_str(), H5P_DEFAULT), H5Oclose);
    if (!obj.ok()) return H5I_BADID;
    return H5Iget_type(obj.get());
  }

  Result<NirNode> readNode(hid_t parent, const std::string& name, const std::string& path,
                           int depth) {
    if (depth > kMaxDepth) {
      return resourceExhausted(path + ": graphs nested more than " + std::to_string(kMaxDepth) +
                               " levels deep");
    }
    if (objectType(parent, name) != H5I_GROUP) return invalidArgument(path + ": not a group");
    Handle group(H5Gopen2(parent, name.c_str(), H5P_DEFAULT), H5Gclose);
    if (!group.ok()) return invalidArgument(path + ": cannot open the group");
    SPIKELINE_ASSIGN_OR_RETURN(std::vector<std::string> entries, linkNames(group.get(), path));
    NirNode node;
    bool has_type = false;
    for (const std::string& entry : entries) {
      const std::string sub = path + "/" + entry;
      const H5I_type_t t = objectType(group.get(), entry);
      if (entry == "type") {
        SPIKELINE_ASSIGN_OR_RETURN(NirValue v, readDataset(group.get(), entry, sub));
        if (!v.isText() || v.texts.size() != 1) return invalidArgument(sub + ": must be a string");
        node.type = v.texts[0];
        has_type = true;
      } else if (t == H5I_DATASET) {
        SPIKELINE_ASSIGN_OR_RETURN(NirValue v, readDataset(group.get(), entry, sub));
        node.params.emplace(entry, std::move(v));
      } else if (t == H5I_GROUP) {
        if (entry == "nodes" || entry == "metadata") continue;  // read below / not used
        // A dict-valued parameter (e.g. input_type: {input: [3, 4, 4]}): take its one dataset.
        Handle g(H5Gopen2(group.get(), entry.c_str(), H5P_DEFAULT), H5Gclose);
        if (!g.ok()) return invalidArgument(sub + ": cannot open the group");
        SPIKELINE_ASSIGN_OR_RETURN(std::vector<std::string> inner, linkNames(g.get(), sub));
        if (inner.size() == 1 && objectType(g.get(), inner[0]) == H5I_DATASET) {
          SPIKELINE_ASSIGN_OR_RETURN(NirValue v,
                                     readDataset(g.get(), inner[0], sub + "/" + inner[0]));
          node.params.emplace(entry, std::move(v));
        }
      } else {
        return invalidArgument(sub + ": neither a group nor a dataset (corrupt file?)");
      }
    }
    if (!has_type) return invalidArgument(path + ": the node has no `type` dataset");
    if (node.type != "NIRGraph") return node;

    auto graph = std::make_shared<NirGraph>();
    const std::string nodes_path = path + "/nodes";
    if (H5Lexists(group.get(), "nodes", H5P_DEFAULT) <= 0 ||
        objectType(group.get(), "nodes") != H5I_GROUP) {
      return invalidArgument(nodes_path + ": missing (a NIRGraph keeps its nodes there)");
    }
    Handle nodes(H5Gopen2(group.get(), "nodes", H5P_DEFAULT), H5Gclose);
    if (!nodes.ok()) return invalidArgument(nodes_path + ": cannot open the group");
    SPIKELINE_ASSIGN_OR_RETURN(std::vector<std::string> names, linkNames(nodes.get(), nodes_path));
    for (const std::string& n : names) {
      if (++node_count_ > kMaxNodes) {
        return resourceExhausted(path + ": more than " + std::to_string(kMaxNodes) + " nodes");
      }
      SPIKELINE_ASSIGN_OR_RETURN(NirNode child,
                                 readNode(nodes.get(), n, nodes_path + "/" + n, depth + 1));
      graph->nodes.emplace(n, std::move(child));
    }
    auto e = node.params.find("edges");
    if (e == node.params.end()) return invalidArgument(path + "/edges: missing");
    const NirValue& edges = e->second;
    const bool empty = edges.numel() == 0;
    if (!empty && (!edges.isText() || edges.shape.size() != 2 || edges.shape[1] != 2)) {
      return invalidArgument(path + "/edges: must be an E x 2 array of node names");
    }
    for (size_t i = 0; !empty && i + 1 < edges.texts.size(); i += 2) {
      graph->edges.emplace_back(edges.texts[i], edges.texts[i + 1]);
    }
    node.params.erase(e);
    node.subgraph = std::move(graph);
    return node;
  }

  Result<NirValue> readDataset(hid_t parent, const std::string& name, const std::string& path) {
    Handle ds(H5Dopen2(parent, name.c_str(), H5P_DEFAULT), H5Dclose);
    if (!ds.ok()) return invalidArgument(path + ": cannot open the dataset");
    Handle space(H5Dget_space(ds.get()), H5Sclose);
    Handle type(H5Dget_type(ds.get()), H5Tclose);
    if (!space.ok() || !type.ok()) return invalidArgument(path + ": cannot read its type");
    NirValue v;
    const H5S_class_t sclass = H5Sget_simple_extent_type(space.get());
    if (sclass == H5S_SIMPLE) {
      const int rank = H5Sget_simple_extent_ndims(space.get());
      if (rank < 0 || rank > 32) return invalidArgument(path + ": bad rank");
      std::vector<hsize_t> dims(static_cast<size_t>(rank), 0);
      if (H5Sget_simple_extent_dims(space.get(), dims.data(), nullptr) < 0)
        return invalidArgument(path + ": cannot read its dimensions");
      v.shape.assign(dims.begin(), dims.end());
    } else if (sclass == H5S_NULL) {
      v.shape = {0};
    } else if (sclass != H5S_SCALAR) {
      return invalidArgument(path + ": cannot read its dataspace");
    }
    uint64_t n = 1;
    for (uint64_t d : v.shape) {
      if (d != 0 && n > kMaxValuesPerDataset / d) {
        n = kMaxValuesPerDataset + 1;
        break;
      }
      n *= d;
    }
    if (n > kMaxValuesPerDataset) {
      return resourceExhausted(path + ": dataset of more than " +
                               std::to_string(kMaxValuesPerDataset) + " values exceeds the limit");
    }
    total_values_ += n;
    if (total_values_ > kMaxTotalValues) {
      return resourceExhausted(path + ": the file holds more than " +
                               std::to_string(kMaxTotalValues) + " values in all (limit)");
    }
    if (n == 0) return v;
    const H5T_class_t tclass = H5Tget_class(type.get());
    if (tclass == H5T_INTEGER || tclass == H5T_FLOAT || tclass == H5T_ENUM) {
      v.numbers.resize(n);
      if (tclass == H5T_ENUM) {  // h5py's bool: read the integer values
        std::vector<int64_t> ints(n);
        if (H5Dread(ds.get(), H5T_NATIVE_INT64, H5S_ALL, H5S_ALL, H5P_DEFAULT, ints.data()) < 0)
          return invalidArgument(path + ": cannot read its values (corrupt file?)");
        for (size_t i = 0; i < n; ++i) v.numbers[i] = double(ints[i]);
      } else if (H5Dread(ds.get(), H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT,
                         v.numbers.data()) < 0) {
        return invalidArgument(path + ": cannot read its values (corrupt file?)");
      }
      return v;
    }
    if (tclass == H5T_STRING) return readStrings(ds.get(), type.get(), n, path, std::move(v));
    return invalidArgument(path + ": unsupported HDF5 type class " + std::to_string(int(tclass)) +
                           " (NIR parameters are numbers or strings)");
  }

  static Result<NirValue> readStrings(hid_t ds, hid_t type, uint64_t n, const std::string& path,
                                      NirValue v) {
    const htri_t variable = H5Tis_variable_str(type);
    if (variable < 0) return invalidArgument(path + ": cannot read its string type");
    Handle mem(H5Tcopy(H5T_C_S1), H5Tclose);
    if (variable > 0) {
      H5Tset_size(mem.get(), H5T_VARIABLE);
      H5Tset_cset(mem.get(), H5Tget_cset(type));
      std::vector<char*> ptrs(n, nullptr);
      if (H5Dread(ds, mem.get(), H5S_ALL, H5S_ALL, H5P_DEFAULT, ptrs.data()) < 0)
        return invalidArgument(path + ": cannot read its strings (corrupt file?)");
      for (char* p : ptrs) v.texts.emplace_back(p ? p : "");
      Handle space(H5Dget_space(ds), H5Sclose);
      H5Dvlen_reclaim(mem.get(), space.get(), H5P_DEFAULT, ptrs.data());
      return v;
    }
    const size_t width = H5Tget_size(type);
    if (width == 0 || width > 4096) return invalidArgument(path + ": bad string width");
    if (n > kMaxValuesPerDataset / width)
      return resourceExhausted(path + ": string dataset too large");
    H5Tset_size(mem.get(), width);
    std::vector<char> buf(n * width);
    if (H5Dread(ds, mem.get(), H5S_ALL, H5S_ALL, H5P_DEFAULT, buf.data()) < 0)
      return invalidArgument(path + ": cannot read its strings (corrupt file?)");
    for (uint64_t i = 0; i < n; ++i) {
      const char* s = buf.data() + i * width;
      v.texts.emplace_back(s, strnlen(s, width));
    }
    return v;
  }

  hid_t file_;
  uint64_t total_values_ = 0;
  size_t node_count_ = 0;
};


Result<NirFile> readNirInProcess(std::string_view bytes) {
  if (!hasHdf5Signature(bytes)) {
    return invalidArgument("not an HDF5 file (no HDF5 signature; NIR files are HDF5)");
  }
  H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);  // errors come back as statuses, not stderr
  Handle fapl(H5Pcreate(H5P_FILE_ACCESS), H5Pclose);
  if (!fapl.ok() || H5Pset_fapl_core(fapl.get(), 1 << 16, 0) < 0 ||
      H5Pset_file_image(fapl.get(), const_cast<char*>(bytes.data()), bytes.size()) < 0) {
    return internalError("hdf5: cannot set up an in-memory file");
  }
  Handle file(H5Fopen("nir-image", H5F_ACC_RDONLY, fapl.get()), H5Fclose);
  if (!file.ok()) return invalidArgument("not a readable HDF5 file (truncated or corrupt)");
  return Reader(file.get()).read();
}

}  // namespace

// libhdf5 (1.10, Debian 12) crashes on some corrupt files (e.g. an out-of-range global-heap
// reference makes H5HG_read copy from a wild pointer). So the file is parsed in a forked child
// with a memory limit and a time limit; a child that dies becomes an error, not our crash.
Result<NirFile> readNir(std::string_view bytes, const ReadLimits& limits) {
  if (!hasHdf5Signature(bytes)) {
    return invalidArgument("not an HDF5 file (no HDF5 signature; NIR files are HDF5)");
  }
  int fds[2];
  if (pipe(fds) != 0) return internalError(std::string("nir: pipe: ") + std::strerror(errno));
  const pid_t pid = fork();
  if (pid < 0) {
    close(fds[0]);
    close(fds[1]);
    return internalError(std::string("nir: fork: ") + std::strerror(errno));
  }
  if (pid == 0) {  // the child: parse, answer, exit without running the parent's atexit hooks
    close(fds[0]);
    const rlim_t limit = rlim_t{limits.memory_bytes};
    rlimit as{limit, limit};
    setrlimit(RLIMIT_AS, &as);
    alarm(limits.seconds);
    const std::string answer = encodeAnswer(readNirInProcess(bytes));
    for (size_t off = 0; off < answer.size();) {
      const ssize_t n = write(fds[1], answer.data() + off, answer.size() - off);
      if (n <= 0) _exit(3);
      off += size_t(n);
    }
    _exit(0);
  }
  close(fds[1]);
  std::string answer;
  char buf[1 << 16];
  for (ssize_t n; (n = read(fds[0], buf, sizeof buf)) != 0;) {
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) break;
    answer.append(buf, size_t(n));
  }
  close(fds[0]);
  int wstatus = 0;
  while (waitpid(pid, &wstatus, 0) < 0 && errno == EINTR) {
  }
  if (WIFSIGNALED(wstatus)) {
    const int sig = WTERMSIG(wstatus);
    if (sig == SIGALRM) {
      return invalidArgument("the HDF5 reader took more than " + std::to_string(limits.seconds) +
                             " s (corrupt file?)");
    }
    return invalidArgument("corrupt HDF5 file: the HDF5 library failed reading it (signal " +
                           std::to_string(sig) + ")");
  }
  if (!WIFEXITED(wstatus) || WEXITSTATUS(wstatus) != 0) {
    return invalidArgument("corrupt HDF5 file: the HDF5 reader exited with status " +
                           std::to_string(WIFEXITED(wstatus) ? WEXITSTATUS(wstatus) : -1) +
                           " (out of memory?)");
  }
  return decodeAnswer(answer);
}

Result<NirFile> readNirFile(const std::filesystem::path& path, const ReadLimits& limits) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return notFound(path.string() + ": cannot open");
  std::ostringstream ss;
  ss << in.rdbuf();
  if (in.bad()) return notFound(path.string() + ": cannot read");
  Result<NirFile> r = readNir(ss.str(), limits);
  if (!r.isOk()) return Status(r.status().code(), path.string() + ": " + r.status().message());
  return r;
}

}  // namespace spikeline::nir
