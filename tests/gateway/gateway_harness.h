// Gateway test harness: a real `spikeline-gateway` process (harness::Process, READY line with its
// HTTP and gRPC ports) and a real HTTP client (curl, spawned per call) with status, headers and
// body. Owns the gateway process (killed in the destructor). Header-only; tests only; one thread.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "tests/broker/broker_harness.h"
#include "tests/harness/process.h"
#include "tests/support/status_matchers.h"

namespace spikeline::testing {

struct HttpReply {
  int status = 0;
  std::string headers;  // raw header block
  std::string body;
  bool hasHeader(const std::string& name) const {
    std::string lower = headers, want = name;
    for (char& c : lower) c = static_cast<char>(std::tolower(c));
    for (char& c : want) c = static_cast<char>(std::tolower(c));
    return lower.find(want + ":") != std::string::npos;
  }
};

// Runs `curl -s <args> URL`; body and headers through temp files in `dir`.
inline HttpReply curl(const std::filesystem::path& dir, const std::vector<std::string>& args,
                      const std::string& url) {
  const auto body = dir / "curl.body", headers = dir / "curl.headers", code = dir / "curl.code";
  std::string cmd = "curl -s --max-time 20 -o '" + body.string() + "' -D '" + headers.string() +
                    "' -w '%{http_code}'";
  for (const std::string& a : args) cmd += " '" + a + "'";
  cmd += " '" + url + "' > '" + code.string() + "' 2>/dev/null";
  HttpReply r;
  (void)std::system(cmd.c_str());
  r.status = std::atoi(broker::testing::readText(code).c_str());
  r.headers = broker::testing::readText(headers);
  r.body = broker::testing::readText(body);
  return r;
}

class GatewayProcess {
 public:
  // Starts the gateway against the broker, serving `models` (YAML paths); ports 0 (any free);
  // `extra` arguments appended (e.g. --api-keys FILE; with --tls-cert, http() is https://).
  // False when it did not print READY.
  bool start(const std::string& broker, const std::string& pub,
             const std::vector<std::string>& models, const std::filesystem::path& log,
             const std::vector<std::string>& extra = {}) {
    log_ = log;
    std::vector<std::string> argv{SPIKELINE_GATEWAY_BIN, "--broker", broker,
                                  "--broker-routes",     pub,        "--http",
                                  "127.0.0.1:0",         "--grpc",   "127.0.0.1:0"};
    for (const std::string& m : models) {
      argv.push_back("--model");
      argv.push_back(m);
    }
    argv.insert(argv.end(), extra.begin(), extra.end());
    if (!child_.start(argv, log.string()).isOk()) return false;
    auto ready = child_.waitReady(20'000);  // "READY http=H:P grpc=H:P"
    if (!ready.isOk()) {
      ADD_FAILURE() << ready.status().toString();
      return false;
    }
    const bool tls = std::find(extra.begin(), extra.end(), "--tls-cert") != extra.end();
    http_ = (tls ? "https://" : "http://") + ready->find("http");
    grpc_ = ready->find("grpc");
    return !ready->find("http").empty() && !grpc_.empty();
  }
  const std::string& http() const { return http_; }  // "http[s]://HOST:PORT"
  const std::string& grpc() const { return grpc_; }
  std::string log() const { return broker::testing::readText(log_); }
  harness::Process& child() { return child_; }

 private:
  harness::Process child_;
  std::filesystem::path log_;
  std::string http_, grpc_;
};

}  // namespace spikeline::testing
