#include "gateway/auth.h"

#include <array>
#include <cctype>
#include <cstring>
#include <fstream>
#include <sstream>

namespace spikeline::gateway {
namespace {

std::string_view trim(std::string_view s) {
  const size_t b = s.find_first_not_of(" \t\r");
  if (b == std::string_view::npos) return {};
  return s.substr(b, s.find_last_not_of(" \t\r") - b + 1);
}

bool validName(std::string_view name) {
  if (name.empty()) return false;
  for (char c : name) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '_' || c == '.' || c == '-';
    if (!ok) return false;
  }
  return true;
}

// Printable ASCII without spaces: what survives an HTTP header and gRPC metadata unchanged.
bool validKey(std::string_view key) {
  for (char c : key) {
    if (c <= ' ' || c > '~') return false;
  }
  return true;
}

using Padded = std::array<unsigned char, kMaxApiKeyBytes>;

Padded pad(std::string_view s) {
  Padded p{};
  if (!s.empty()) std::memcpy(p.data(), s.data(), s.size());  // REQUIRES: <= kMaxApiKeyBytes
  return p;
}

// 0 when equal. Reads all kMaxApiKeyBytes of both; no branch on the bytes.
unsigned differs(const Padded& a, size_t a_size, const Padded& b, size_t b_size) {
  unsigned diff = static_cast<unsigned>(a_size ^ b_size);
  for (size_t i = 0; i < kMaxApiKeyBytes; ++i) diff |= static_cast<unsigned>(a[i] ^ b[i]);
  return diff;
}

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i])))
      return false;
  }
  return true;
}

}  // namespace

Result<KeySet> parseApiKeys(std::string_view text, const std::string& source) {
  KeySet set;
  std::vector<size_t> lines;  // the line of each key, for duplicate messages
  size_t line_no = 0;
  for (size_t pos = 0; pos <= text.size();) {
    const size_t nl = text.find('\n', pos);
    const size_t end = nl == std::string_view::npos ? text.size() : nl;
    const std::string_view line = trim(text.substr(pos, end - pos));
    pos = end + 1;
    ++line_no;
    if (line.empty() || line.front() == '#') continue;
    const std::string where = source + ":" + std::to_string(line_no) + ": ";
    const size_t colon = line.find(':');
    std::string_view name, key = line;
    if (colon != std::string_view::npos) {
      name = trim(line.substr(0, colon));
      key = trim(line.substr(colon + 1));
      if (!validName(name))
        return invalidArgument(where + "the name before ':' must be [A-Za-z0-9_.-]+");
    }
    if (key.size() < kMinApiKeyBytes)
      return invalidArgument(where + "API key shorter than " + std::to_string(kMinApiKeyBytes) +
                             " characters (" + std::to_string(key.size()) + ")");
    if (key.size() > kMaxApiKeyBytes)
      return invalidArgument(where + "API key longer than " + std::to_string(kMaxApiKeyBytes) +
                             " characters");
    if (!validKey(key))
      return invalidArgument(where + "API key has spaces or non-printable characters");
    const std::string n = name.empty() ? "key-" + std::to_string(line_no) : std::string(name);
    for (size_t k = 0; k < set.keys.size(); ++k) {
      if (set.keys[k].key == key)
        return invalidArgument(where + "duplicate API key (first on line " +
                               std::to_string(lines[k]) + ")");
      if (set.keys[k].name == n)
        return invalidArgument(where + "duplicate name '" + n + "' (first on line " +
                               std::to_string(lines[k]) + ")");
    }
    set.keys.push_back({n, std::string(key)});
    lines.push_back(line_no);
  }
  if (set.keys.empty())
    return invalidArgument(source + ": no API keys (every line is blank or a comment)");
  return set;
}

Result<KeySet> loadApiKeysFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return invalidArgument(path + ": cannot read the API keys file");
  std::stringstream text;
  text << in.rdbuf();
  if (in.bad()) return invalidArgument(path + ": cannot read the API keys file");
  return parseApiKeys(text.str(), path);
}

std::optional<std::string> bearerToken(std::string_view authorization) {
  const std::string_view v = trim(authorization);
  constexpr std::string_view kScheme = "bearer";
  if (v.size() <= kScheme.size() || !iequals(v.substr(0, kScheme.size()), kScheme))
    return std::nullopt;
  const std::string_view rest = v.substr(kScheme.size());
  if (rest.front() != ' ' && rest.front() != '\t') return std::nullopt;  // "Bearerxyz"
  const std::string_view token = trim(rest);
  if (token.empty()) return std::nullopt;
  return std::string(token);
}

AuthDecision authorize(const Credentials& credentials, const KeySet& keys) {
  std::optional<std::string> presented;
  if (credentials.authorization) presented = bearerToken(*credentials.authorization);
  if (!presented && credentials.api_key && !trim(*credentials.api_key).empty())
    presented = std::string(trim(*credentials.api_key));
  if (!presented) {
    const char* why = credentials.authorization
                          ? "the Authorization header is not 'Bearer <key>'"
                          : "missing credentials: send 'Authorization: Bearer <key>' or "
                            "'X-API-Key: <key>'";
    return {AuthOutcome::kMissing, "", why};
  }
  const AuthDecision refused{AuthOutcome::kInvalid, "", "the API key is not valid"};
  if (presented->size() > kMaxApiKeyBytes) return refused;  // no configured key is this long
  const Padded p = pad(*presented);
  const ApiKey* match = nullptr;
  for (const ApiKey& k : keys.keys) {  // every key, no early exit
    const bool equal = differs(p, presented->size(), pad(k.key), k.key.size()) == 0;
    if (equal) match = &k;
  }
  if (match == nullptr) return refused;
  return {AuthOutcome::kAllowed, match->name, ""};
}

const char* authFailureReason(AuthOutcome outcome) {
  return outcome == AuthOutcome::kMissing ? "missing" : "invalid";
}

bool isOpenHttpEndpoint(std::string_view method, std::string_view path) {
  if (method != "GET" && method != "HEAD") return false;
  return path == "/v2/health/live" || path == "/v2/health/ready" || path == "/metrics";
}

bool isLoopbackHost(std::string_view host) {
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']')
    host = host.substr(1, host.size() - 2);
  return host == "localhost" || host == "::1" || host.starts_with("127.");
}

ApiKeyStore::ApiKeyStore(KeySet keys) : keys_(std::make_shared<const KeySet>(std::move(keys))) {}

std::shared_ptr<const KeySet> ApiKeyStore::current() const {
  std::lock_guard lock(mu_);
  return keys_;
}

void ApiKeyStore::replace(KeySet keys) {
  auto next = std::make_shared<const KeySet>(std::move(keys));
  std::lock_guard lock(mu_);
  keys_ = std::move(next);
}

AuthDecision ApiKeyStore::authorize(const Credentials& credentials) const {
  return gateway::authorize(credentials, *current());
}

}  // namespace spikeline::gateway
