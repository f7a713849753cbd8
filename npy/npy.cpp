#include "npy/npy.h"

#include <cctype>
#include <cstring>
#include <fstream>
#include <sstream>

namespace spikeline::npy {
namespace {

Status bad(const std::string& what) { return invalidArgument("npy: " + what); }

struct DType {
  const char* descr;
  const char* name;
  size_t size;
};
constexpr DType kTypes[] = {
    {"|b1", "bool", 1},   {"|u1", "uint8", 1},  {"<i4", "int32", 4},
    {"<i8", "int64", 8},  {"<f4", "float32", 4}, {"<f8", "float64", 8},
};

void skipSpaces(std::string_view s, size_t& i) {
  while (i < s.size() && std::isspace(uint8_t(s[i]))) ++i;
}

Result<std::string> quoted(std::string_view s, size_t& i) {
  skipSpaces(s, i);
  if (i >= s.size() || (s[i] != '\'' && s[i] != '"')) return bad("header: expected a string");
  const char q = s[i++];
  const size_t end = s.find(q, i);
  if (end == std::string_view::npos) return bad("header: unterminated string");
  std::string out(s.substr(i, end - i));
  i = end + 1;
  return out;
}

Result<std::vector<uint64_t>> tuple(std::string_view s, size_t& i) {
  skipSpaces(s, i);
  if (i >= s.size() || s[i] != '(') return bad("header: shape must be a tuple");
  ++i;
  std::vector<uint64_t> dims;
  while (true) {
    skipSpaces(s, i);
    if (i < s.size() && s[i] == ')') {
      ++i;
      return dims;
    }
    if (i >= s.size() || !std::isdigit(uint8_t(s[i]))) return bad("header: bad shape tuple");
    uint64_t d = 0;
    while (i < s.size() && std::isdigit(uint8_t(s[i]))) {
      if (d > (uint64_t{1} << 40)) return bad("header: shape dimension too large");
      d = d * 10 + uint64_t(s[i++] - '0');
    }
    dims.push_back(d);
    if (dims.size() > 32) return bad("header: more than 32 dimensions");
    skipSpaces(s, i);
    if (i < s.size() && s[i] == ',') ++i;
  }
}

template <typename T>
void convert(const char* data, uint64_t n, std::vector<double>& out) {
  out.resize(n);
  for (uint64_t k = 0; k < n; ++k) {
    T v;
    std::memcpy(&v, data + k * sizeof(T), sizeof(T));
    out[k] = double(v);
  }
}

}  // namespace

uint64_t Array::numel() const {
  uint64_t n = 1;
  for (uint64_t d : shape) n *= d;
  return n;
}

Result<Array> parse(std::string_view b) {
  if (b.size() < 10 || std::memcmp(b.data(), "\x93NUMPY", 6) != 0) {
    return bad("not a .npy file (no \\x93NUMPY magic)");
  }
  const uint8_t major = uint8_t(b[6]);
  size_t len = 0, start = 0;
  if (major == 1) {
    len = uint8_t(b[8]) | size_t(uint8_t(b[9])) << 8;
    start = 10;
  } else if (major == 2 || major == 3) {
    if (b.size() < 12) return bad("truncated header");
    len = uint8_t(b[8]) | size_t(uint8_t(b[9])) << 8 | size_t(uint8_t(b[10])) << 16 |
          size_t(uint8_t(b[11])) << 24;
    start = 12;
  } else {
    return bad("format version " + std::to_string(major) + " is not 1, 2 or 3");
  }
  if (len > b.size() - start) return bad("header length " + std::to_string(len) + " runs past the file");
  const std::string_view h = b.substr(start, len);
  std::string descr;
  bool have_descr = false, have_order = false, have_shape = false, fortran = false;
  Array a;
  size_t i = 0;
  skipSpaces(h, i);
  if (i >= h.size() || h[i] != '{') return bad("header: must be a dict");
  ++i;
  while (true) {
    skipSpaces(h, i);
    if (i < h.size() && h[i] == '}') break;
    SPIKELINE_ASSIGN_OR_RETURN(std::string key, quoted(h, i));
    skipSpaces(h, i);
    if (i >= h.size() || h[i] != ':') return bad("header: expected ':' after '" + key + "'");
    ++i;
    skipSpaces(h, i);
    if (key == "descr") {
      SPIKELINE_ASSIGN_OR_RETURN(descr, quoted(h, i));
      have_descr = true;
    } else if (key == "fortran_order") {
      if (h.substr(i, 4) == "True") {
        fortran = true;
        i += 4;
      } else if (h.substr(i, 5) == "False") {
        i += 5;
      } else {
        return bad("header: fortran_order must be True or False");
      }
      have_order = true;
    } else if (key == "shape") {
      SPIKELINE_ASSIGN_OR_RETURN(a.shape, tuple(h, i));
      have_shape = true;
    } else {
      return bad("header: unknown key '" + key + "'");
    }
    skipSpaces(h, i);
    if (i < h.size() && h[i] == ',') ++i;
    if (i >= h.size()) return bad("header: unterminated dict");
  }
  if (!have_descr || !have_order || !have_shape) {
    return bad("header: needs descr, fortran_order and shape");
  }
  if (fortran) return bad("fortran_order arrays are not supported (save with np.ascontiguousarray)");
  const DType* t = nullptr;
  for (const DType& d : kTypes) {
    if (descr == d.descr || (d.descr[0] == '<' && descr == std::string("=") + (d.descr + 1)))
      t = &d;
  }
  if (t == nullptr) {
    return bad("dtype '" + descr + "' is not supported (bool, uint8, int32, int64, float32, " +
               "float64, little-endian)");
  }
  a.dtype = t->name;
  const std::string_view data = b.substr(start + len);
  uint64_t n = 1;
  for (uint64_t d : a.shape) {
    if (d != 0 && n > data.size() / d + 1) return bad("shape is larger than the file's data");
    n *= d;
  }
  if (n * t->size != data.size()) {
    return bad("data holds " + std::to_string(data.size()) + " bytes, the shape needs " +
               std::to_string(n * t->size) + " (" + std::to_string(n) + " x " + descr + ")");
  }
  const char* p = data.data();
  if (a.dtype == "bool" || a.dtype == "uint8") {
    convert<uint8_t>(p, n, a.values);
  } else if (a.dtype == "int32") {
    convert<int32_t>(p, n, a.values);
  } else if (a.dtype == "int64") {
    convert<int64_t>(p, n, a.values);
  } else if (a.dtype == "float32") {
    convert<float>(p, n, a.values);
  } else {
    convert<double>(p, n, a.values);
  }
  return a;
}

Result<Array> readFile(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return notFound(path.string() + ": cannot open");
  std::ostringstream ss;
  ss << in.rdbuf();
  Result<Array> r = parse(ss.str());
  if (!r.isOk()) return Status(r.status().code(), path.string() + ": " + r.status().message());
  return r;
}

std::string encodeFloat32(const std::vector<uint64_t>& shape, const std::vector<float>& values) {
  std::string dims;
  for (size_t i = 0; i < shape.size(); ++i) dims += (i ? ", " : "") + std::to_string(shape[i]);
  if (shape.size() == 1) dims += ",";
  std::string header = "{'descr': '<f4', 'fortran_order': False, 'shape': (" + dims + "), }";
  const size_t total = 10 + header.size() + 1;
  header.append((64 - total % 64) % 64, ' ');
  header += '\n';
  std::string out("\x93NUMPY\x01\x00", 8);
  out += char(header.size() & 0xff);
  out += char(header.size() >> 8);
  out += header;
  out.append(reinterpret_cast<const char*>(values.data()), values.size() * sizeof(float));
  return out;
}

Status writeFile(const std::filesystem::path& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out) return invalidArgument(path.string() + ": cannot create");
  out.write(bytes.data(), std::streamsize(bytes.size()));
  if (!out) return invalidArgument(path.string() + ": cannot write");
  return Status::ok();
}

}  // namespace spikeline::npy
