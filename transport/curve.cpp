#include "transport/curve.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zmq.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace spikeline::transport {
namespace {

namespace fs = std::filesystem;

constexpr size_t kMaxKeyFileBytes = 64 * 1024;

bool isName(const std::string& name) {
  if (name.empty() || name.size() > 128) return false;
  for (char c : name) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '_' || c == '.' || c == '-';
    if (!ok) return false;
  }
  return name != "." && name != "..";
}

std::string today() {
  const std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  char buf[32];
  std::strftime(buf, sizeof(buf), "%Y-%m-%d %H:%M UTC", &tm);
  return buf;
}

std::string certText(const std::string& name, const CurveKeyPair& keys, bool secret) {
  std::ostringstream out;
  out << "#   ****  Generated on " << today() << " by spikeline keygen  ****\n";
  if (secret) {
    out << "#   ZeroMQ CURVE **Secret** Certificate\n"
        << "#   DO NOT PROVIDE THIS FILE TO OTHER USERS nor change its permissions.\n";
  } else {
    out << "#   ZeroMQ CURVE Public Certificate\n"
        << "#   Exchange securely, or use a secure mechanism to verify the contents\n"
        << "#   of this file after exchange.\n";
  }
  out << "\nmetadata\n    name = \"" << name << "\"\ncurve\n    public-key = \"" << keys.public_key
      << "\"\n";
  if (secret) out << "    secret-key = \"" << keys.secret_key << "\"\n";
  return out.str();
}

Status writeNew(const fs::path& path, const std::string& text, mode_t mode) {
  // O_EXCL: never overwrite a key; the mode is set at creation, before a byte is written.
  FILE* f = nullptr;
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL, mode);
  if (fd < 0) {
    if (errno == EEXIST)
      return alreadyExists(path.string() + " exists (keys are never overwritten)");
    return unavailable("cannot create " + path.string() + ": " + std::strerror(errno));
  }
  f = ::fdopen(fd, "w");
  if (f == nullptr) {
    ::close(fd);
    return unavailable("cannot write " + path.string());
  }
  const bool ok = std::fwrite(text.data(), 1, text.size(), f) == text.size();
  const bool closed = std::fclose(f) == 0;
  if (!ok || !closed) return unavailable("cannot write " + path.string());
  return Status::ok();
}

// The value of `key = "value"` in a zcert file (the first such line), or "".
Result<std::string> fieldOf(const std::string& path, const std::string& text,
                            const std::string& key) {
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    const size_t start = line.find_first_not_of(" \t");
    if (start == std::string::npos || line[start] == '#') continue;
    if (line.compare(start, key.size(), key) != 0) continue;
    size_t pos = line.find_first_not_of(" \t", start + key.size());
    if (pos == std::string::npos || line[pos] != '=') continue;
    pos = line.find_first_not_of(" \t", pos + 1);
    if (pos == std::string::npos) return invalidArgument(path + ": " + key + " has no value");
    std::string value = line.substr(pos);
    while (!value.empty() && (value.back() == '\r' || value.back() == ' ')) value.pop_back();
    if (value.size() >= 2 && value.front() == '"' && value.back() == '"') {
      value = value.substr(1, value.size() - 2);
    }
    if (!isCurveKey(value)) {
      return invalidArgument(path + ": " + key + " is not a CURVE key (40 Z85 characters)");
    }
    return value;
  }
  return std::string();
}

Result<std::string> readSmallFile(const std::string& path) {
  std::error_code ec;
  if (!fs::exists(path, ec)) return notFound(path + ": no such file");
  if (!fs::is_regular_file(path, ec)) return invalidArgument(path + ": not a regular file");
  if (fs::file_size(path, ec) > kMaxKeyFileBytes) {
    return invalidArgument(path + ": larger than a key file can be (64 KiB)");
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) return unavailable(path + ": cannot read (" + std::strerror(errno) + ")");
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace

Result<CurveKeyPair> generateCurveKeyPair() {
  char pub[kCurveKeyChars + 1] = {};
  char sec[kCurveKeyChars + 1] = {};
  if (zmq_curve_keypair(pub, sec) != 0) {
    return unimplemented(std::string("libzmq cannot make CURVE keys: ") +
                         zmq_strerror(zmq_errno()));
  }
  return CurveKeyPair{pub, sec};
}

bool isCurveKey(const std::string& key) {
  if (key.size() != kCurveKeyChars) return false;
  uint8_t raw[32];
  return zmq_z85_decode(raw, key.c_str()) != nullptr;
}

Status writeCurveKeyFiles(const std::string& dir, const std::string& name,
                          const CurveKeyPair& keys) {
  if (!isName(name)) return invalidArgument("key name '" + name + "': use [A-Za-z0-9_.-]+");
  if (!isCurveKey(keys.public_key) || !isCurveKey(keys.secret_key)) {
    return invalidArgument("not a CURVE key pair");
  }
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return unavailable("cannot create " + dir + ": " + ec.message());
  const fs::path pub = fs::path(dir) / (name + ".key");
  const fs::path sec = fs::path(dir) / (name + ".key_secret");
  if (fs::exists(pub, ec))
    return alreadyExists(pub.string() + " exists (keys are never overwritten)");
  if (fs::exists(sec, ec))
    return alreadyExists(sec.string() + " exists (keys are never overwritten)");
  if (Status s = writeNew(sec, certText(name, keys, true), 0600); !s.isOk()) return s;
  return writeNew(pub, certText(name, keys, false), 0644);
}

Result<CurveKeyPair> readCurveSecretFile(const std::string& path) {
  auto text = readSmallFile(path);
  if (!text) return text.status();
  auto pub = fieldOf(path, *text, "public-key");
  if (!pub) return pub.status();
  auto sec = fieldOf(path, *text, "secret-key");
  if (!sec) return sec.status();
  if (sec->empty()) {
    return invalidArgument(path +
                           ": no secret-key (is this the public NAME.key instead of "
                           "NAME.key_secret?)");
  }
  char derived[kCurveKeyChars + 1] = {};
  if (zmq_curve_public(derived, sec->c_str()) != 0) {
    return invalidArgument(path + ": secret-key is not a CURVE secret key");
  }
  if (!pub->empty() && *pub != derived) {
    return invalidArgument(path + ": public-key does not belong to secret-key");
  }
  return CurveKeyPair{derived, *sec};
}

Result<std::string> readCurvePublicFile(const std::string& path) {
  auto text = readSmallFile(path);
  if (!text) return text.status();
  auto pub = fieldOf(path, *text, "public-key");
  if (!pub) return pub.status();
  if (pub->empty()) return invalidArgument(path + ": no public-key");
  return *pub;
}

Result<AuthorizedKeys> readAuthorizedKeys(const std::string& dir) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return invalidArgument(dir + ": not a directory of *.key files");
  AuthorizedKeys keys;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    if (entry.path().extension() != ".key") continue;
    auto pub = readCurvePublicFile(entry.path().string());
    if (!pub) return pub.status();
    keys.insert(*pub);
  }
  if (ec) return unavailable("cannot list " + dir + ": " + ec.message());
  if (keys.empty()) return invalidArgument(dir + ": no *.key file (nobody could connect)");
  return keys;
}

CurveFlags curveFlagsFromEnvironment(CurveFlags given) {
  auto fill = [](std::string& field, const char* name) {
    const char* value = std::getenv(name);
    if (field.empty() && value != nullptr) field = value;
  };
  fill(given.key_file, "SPIKELINE_CURVE_KEY");
  fill(given.trust_dir, "SPIKELINE_CURVE_TRUST");
  fill(given.broker_key_file, "SPIKELINE_CURVE_BROKER_KEY");
  const char* insecure = std::getenv("SPIKELINE_INSECURE");
  if (insecure != nullptr && std::string(insecure) == "1") given.insecure = true;
  return given;
}

Result<CurveIdentity> loadCurveIdentity(const CurveFlags& flags, bool needs_broker, bool serves) {
  const std::string& key_file = flags.key_file;
  const std::string& trust_dir = flags.trust_dir;
  const std::string& broker_key_file = flags.broker_key_file;
  CurveIdentity id;
  if (key_file.empty()) {
    if (!trust_dir.empty() || !broker_key_file.empty()) {
      return invalidArgument(
          "--curve-trust / --curve-broker-key need --curve-key (this "
          "process's NAME.key_secret)");
    }
    return id;
  }
  if (trust_dir.empty() && serves) {
    return invalidArgument(
        "--curve-key needs --curve-trust (the directory of public keys "
        "allowed to connect)");
  }
  if (trust_dir.empty() && needs_broker && broker_key_file.empty()) {
    return invalidArgument("--curve-key needs --curve-broker-key (the broker's public key)");
  }
  auto self = readCurveSecretFile(key_file);
  if (!self) return self.status();
  id.self = *self;
  struct stat st {};
  if (::stat(key_file.c_str(), &st) == 0 && (st.st_mode & 0077) != 0) {
    // Kubernetes and Compose secrets are often mounted 0644 inside a private volume: warn, do
    // not refuse (docs/security.md).
    char mode[8];
    std::snprintf(mode, sizeof(mode), "%03o", static_cast<unsigned>(st.st_mode & 0777));
    id.warnings.push_back(key_file + " is readable by group or others (mode " + mode +
                          "); chmod 600 it");
  }
  if (!trust_dir.empty()) {
    auto keys = readAuthorizedKeys(trust_dir);
    if (!keys) return keys.status();
    id.authorized = std::move(*keys);
  }
  if (needs_broker) {
    const std::string path =
        broker_key_file.empty() ? (fs::path(trust_dir) / "broker.key").string() : broker_key_file;
    auto broker = readCurvePublicFile(path);
    if (!broker) {
      return Status(broker.status().code(),
                    broker.status().message() + " (the broker's public key: --curve-broker-key)");
    }
    id.broker_public_key = *broker;
  }
  return id;
}

bool isLoopbackEndpoint(const std::string& endpoint) {
  if (endpoint.rfind("ipc://", 0) == 0 || endpoint.rfind("inproc://", 0) == 0) return true;
  if (endpoint.rfind("tcp://", 0) != 0) return false;
  std::string host = endpoint.substr(6);
  // A connect endpoint may name a source: tcp://SRC;DST. Judge the destination.
  if (const size_t semi = host.find(';'); semi != std::string::npos) host = host.substr(semi + 1);
  if (!host.empty() && host.front() == '[') {
    const size_t close = host.find(']');
    return close != std::string::npos && host.substr(1, close - 1) == "::1";
  }
  host = host.substr(0, host.rfind(':'));
  return host == "localhost" || host.rfind("127.", 0) == 0;
}

Status requireCurveOffLoopback(const CurveIdentity& identity, bool insecure,
                               const std::string& endpoint, const std::string& what) {
  if (identity.enabled() || insecure || isLoopbackEndpoint(endpoint)) return Status::ok();
  return invalidArgument(what + " " + endpoint +
                         " reaches beyond this machine without authentication: give CURVE keys "
                         "(--curve-key and --curve-trust, made by `spikeline keygen`) or "
                         "--insecure to accept an unauthenticated plane (docs/security.md)");
}

Status applyCurveServer(void* zmq_socket, const CurveKeyPair& self) {
  if (self.empty()) return Status::ok();
  const int one = 1;
  if (zmq_setsockopt(zmq_socket, ZMQ_CURVE_SERVER, &one, sizeof(one)) != 0 ||
      zmq_setsockopt(zmq_socket, ZMQ_CURVE_SECRETKEY, self.secret_key.c_str(),
                     self.secret_key.size()) != 0) {
    return internalError(std::string("CURVE server options: ") + zmq_strerror(zmq_errno()));
  }
  return Status::ok();
}

Status applyCurveClient(void* zmq_socket, const CurveKeyPair& self,
                        const std::string& server_public_key) {
  if (self.empty()) return Status::ok();
  if (!isCurveKey(server_public_key)) {
    return invalidArgument("the peer's CURVE public key is missing or malformed ('" +
                           server_public_key.substr(0, 8) + "...'): cannot connect securely");
  }
  if (zmq_setsockopt(zmq_socket, ZMQ_CURVE_SERVERKEY, server_public_key.c_str(),
                     server_public_key.size()) != 0 ||
      zmq_setsockopt(zmq_socket, ZMQ_CURVE_PUBLICKEY, self.public_key.c_str(),
                     self.public_key.size()) != 0 ||
      zmq_setsockopt(zmq_socket, ZMQ_CURVE_SECRETKEY, self.secret_key.c_str(),
                     self.secret_key.size()) != 0) {
    return internalError(std::string("CURVE client options: ") + zmq_strerror(zmq_errno()));
  }
  return Status::ok();
}

}  // namespace spikeline::transport
