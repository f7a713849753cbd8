// CURVE keys: ZeroMQ's CurveZMQ key pairs (Curve25519, Z85-encoded), the key files that hold
// them, and the settings that turn CURVE on for one socket (docs/decisions/0010). Values only;
// the functions read and write files and call libzmq's key helpers. Thread-safe (no state).
#pragma once

#include <set>
#include <string>
#include <vector>

#include "core/result.h"
#include "core/status.h"

namespace spikeline::transport {

inline constexpr size_t kCurveKeyChars = 40;  // Z85 of 32 bytes

// One process's key pair. Both Z85 (40 characters). Empty = no key.
struct CurveKeyPair {
  std::string public_key;
  std::string secret_key;
  bool empty() const { return public_key.empty(); }
  friend bool operator==(const CurveKeyPair&, const CurveKeyPair&) = default;
};

// Where to connect and, with CURVE on, the public key the server there must prove it holds.
// An endpoint alone converts implicitly: a plaintext peer.
struct PeerAddress {
  std::string endpoint;   // e.g. "tcp://10.0.0.5:7001"
  std::string curve_key;  // Z85; "" = plaintext
  PeerAddress() = default;
  PeerAddress(std::string e, std::string key = "")  // NOLINT: implicit by design
      : endpoint(std::move(e)), curve_key(std::move(key)) {}
  PeerAddress(const char* e) : endpoint(e) {}  // NOLINT: implicit by design
  friend auto operator<=>(const PeerAddress&, const PeerAddress&) = default;
  friend bool operator==(const PeerAddress&, const PeerAddress&) = default;
};

// Public keys allowed to connect to this process's servers (CURVE clients), Z85.
using AuthorizedKeys = std::set<std::string>;

// What a process needs to speak CURVE: its key pair, whom it lets in, and (for processes that
// connect to the broker) the broker's public key. `self.empty()` means CURVE is off.
struct CurveIdentity {
  CurveKeyPair self;
  AuthorizedKeys authorized;
  std::string broker_public_key;      // empty in the broker itself
  std::vector<std::string> warnings;  // for the log: e.g. a secret file others can read
  bool enabled() const { return !self.empty(); }
};

// A fresh key pair from libzmq (libsodium). kUnimplemented when libzmq was built without CURVE.
Result<CurveKeyPair> generateCurveKeyPair();

// True when `key` is 40 Z85 characters that decode to 32 bytes.
bool isCurveKey(const std::string& key);

// Key files use czmq's zcert text format (ZPL), so czmq's tools and zauth read them:
//   NAME.key         `curve / public-key = "..."` (and `metadata / name = "NAME"`), shareable
//   NAME.key_secret  the same plus `secret-key = "..."`, mode 0600
// Writes both into `dir` (created if missing). kAlreadyExists when either file exists (keys are
// never overwritten); kInvalidArgument for a NAME that is not [A-Za-z0-9_.-]+.
Status writeCurveKeyFiles(const std::string& dir, const std::string& name,
                          const CurveKeyPair& keys);

// Reads a NAME.key_secret file: both keys, checked to be a pair. kInvalidArgument naming the
// file and what is wrong; kNotFound when it does not exist.
Result<CurveKeyPair> readCurveSecretFile(const std::string& path);

// Reads the public key of a NAME.key (or NAME.key_secret) file.
Result<std::string> readCurvePublicFile(const std::string& path);

// Every `*.key` file in `dir` (not recursive). kInvalidArgument naming a bad file; an empty
// directory is an error too (nobody could connect).
Result<AuthorizedKeys> readAuthorizedKeys(const std::string& dir);

// The flags every process takes (docs/security.md "CURVE"): `key_file` (own NAME.key_secret;
// empty = CURVE off, then the other two must be empty too), `trust_dir` (public keys allowed
// in; REQUIRED with a key), `broker_key_file` (the broker's public key; empty = TRUST_DIR/
// broker.key for processes that connect to the broker), `insecure` (accept plaintext off
// loopback).
struct CurveFlags {
  std::string key_file;
  std::string trust_dir;
  std::string broker_key_file;
  bool insecure = false;
};

// `given` with each empty field taken from the environment: SPIKELINE_CURVE_KEY,
// SPIKELINE_CURVE_TRUST, SPIKELINE_CURVE_BROKER_KEY; SPIKELINE_INSECURE=1 sets `insecure`.
CurveFlags curveFlagsFromEnvironment(CurveFlags given);

// Reads the files `flags` names. `needs_broker`: the process connects to the broker; `serves`:
// it has CURVE server sockets (a trust directory is required). kInvalidArgument / kNotFound
// naming the file and the flag.
Result<CurveIdentity> loadCurveIdentity(const CurveFlags& flags, bool needs_broker,
                                        bool serves = true);

// Whether `endpoint` (a ZeroMQ endpoint) only reaches this machine: ipc://, inproc://, or tcp://
// on 127.0.0.0/8, ::1 or localhost. Used for "CURVE is required off loopback".
bool isLoopbackEndpoint(const std::string& endpoint);

// The startup rule of docs/decisions/0010: a process that listens on (or advertises) an
// endpoint reaching beyond this machine needs CURVE keys or an explicit `--insecure`.
// kInvalidArgument naming the endpoint and the two ways out.
Status requireCurveOffLoopback(const CurveIdentity& identity, bool insecure,
                               const std::string& endpoint, const std::string& what);

// Sets CURVE on a libzmq socket (`zmq_socket`: a raw `void*` socket handle) before bind or
// connect. Server: our key pair, clients are checked by the context's ZAP handler. Client: our
// key pair and the server's public key. No-op when `self` is empty.
Status applyCurveServer(void* zmq_socket, const CurveKeyPair& self);
Status applyCurveClient(void* zmq_socket, const CurveKeyPair& self,
                        const std::string& server_public_key);

}  // namespace spikeline::transport
