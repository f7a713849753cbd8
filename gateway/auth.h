// Gateway authentication (issue 14): the API-key file format, the key set it parses into, and
// the one decision both protocols call -- authorize(credentials, keys) -> AuthDecision -- plus
// which endpoints stay open (probes, scrapers). Pure functions over values; no sockets, no
// logging. ApiKeyStore holds the current KeySet for the servers (swapped on reload).
// Thread safety: the functions are pure; ApiKeyStore is safe from any thread.
#pragma once

#include <cstddef>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace spikeline::gateway {

inline constexpr size_t kMinApiKeyBytes = 16;  // shorter keys refuse the file
inline constexpr size_t kMaxApiKeyBytes =
    256;  // longer keys refuse the file (fixed-length compare)

struct ApiKey {
  std::string name;  // for logs and metrics; never the key. "key-<line>" for a bare KEY line
  std::string key;
  bool operator==(const ApiKey&) const = default;
};

// The configured keys. A value: copyable, comparable. Never printed (holds secrets).
struct KeySet {
  std::vector<ApiKey> keys;
  bool operator==(const KeySet&) const = default;
};

// Parses the key file's text. One key per line: `KEY` or `NAME:KEY` (split at the first ':';
// NAME is [A-Za-z0-9_.-]+); surrounding spaces, blank lines and lines starting with '#' are
// ignored. kInvalidArgument "SOURCE:LINE: why" for a malformed line, a key shorter than
// kMinApiKeyBytes or longer than kMaxApiKeyBytes, a key with spaces or control characters, a
// duplicate key or name; "SOURCE: no API keys" when nothing is left. `source` names the file.
Result<KeySet> parseApiKeys(std::string_view text, const std::string& source);
// Reads and parses `path`; kInvalidArgument "PATH: cannot read" when it cannot be read.
Result<KeySet> loadApiKeysFile(const std::string& path);

// What a caller presented. Header names are matched case-insensitively by the adapters
// (HTTP headers; gRPC metadata keys are lower case).
struct Credentials {
  std::optional<std::string> authorization;  // "Authorization" / "authorization"
  std::optional<std::string> api_key;        // "X-API-Key" / "x-api-key"
};

// The bearer token of an Authorization value: scheme "Bearer" in any case, one or more spaces,
// then the token (surrounding spaces trimmed). nullopt for another scheme or no token.
std::optional<std::string> bearerToken(std::string_view authorization);

enum class AuthOutcome { kAllowed, kMissing, kInvalid };

struct AuthDecision {
  AuthOutcome outcome = AuthOutcome::kMissing;
  std::string caller;   // the matching key's name when allowed
  std::string message;  // for the refusal's body/status; never contains the presented key
  bool operator==(const AuthDecision&) const = default;
};

// The credential is the bearer token when Authorization carries one, else X-API-Key. None ->
// kMissing; one that matches no key -> kInvalid (an empty set matches nothing: fail closed).
// The comparison takes the same time whichever key matches or how many leading bytes agree:
// every configured key is compared over kMaxApiKeyBytes with no early exit.
AuthDecision authorize(const Credentials& credentials, const KeySet& keys);

// "missing" / "invalid": the reason label of spikeline_gateway_auth_failures_total.
const char* authFailureReason(AuthOutcome outcome);

// REST endpoints open without a key: GET (or HEAD) /v2/health/live, /v2/health/ready, /metrics.
bool isOpenHttpEndpoint(std::string_view method, std::string_view path);

// True for hosts only this machine reaches: localhost, 127.0.0.0/8, ::1 (brackets allowed).
bool isLoopbackHost(std::string_view host);

// The keys the servers check against, replaceable while they serve (SIGHUP reload). Owned by
// main(); the servers borrow it and must not outlive it.
class ApiKeyStore {
 public:
  explicit ApiKeyStore(KeySet keys);
  std::shared_ptr<const KeySet> current() const;
  void replace(KeySet keys);
  AuthDecision authorize(const Credentials& credentials) const;

 private:
  mutable std::mutex mu_;
  std::shared_ptr<const KeySet> keys_;  // shared: a request keeps its snapshot across a reload
};

}  // namespace spikeline::gateway
