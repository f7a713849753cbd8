// judgeLiveness: whether a sender should trust, probe or give up on one next-hop replica, from
// when it last heard the replica, when it probed it, and whether the replica holds frames of the
// sender's in custody (docs/decisions/0009-fast-custody.md). A pure function over values: no
// clock, no sockets; thread-safe.
#pragma once

#include <cstdint>

namespace spikeline::transport {

struct LivenessPolicy {
  // A replica holding none of our frames, silent this long, is down. Default: 3 x 100 ms.
  int64_t idle_timeout_ns = 300'000'000;
  // A replica holding our frames, quiet this long, is sent a probe (a heartbeat, which its I/O
  // thread answers with a grant at once, whatever its compute is doing). Default: 10 ms
  int64_t probe_interval_ns = 10'000'000;
  // A replica holding our frames that has answered none of our probes this long after the
  // first unanswered one is down. <= 0: off (busy replicas are judged as idle ones, no probes).
  // Default: 40 ms
  int64_t busy_timeout_ns = 40'000'000;
};

// What the sender knows about one replica. Times are monotonic ns.
struct PeerSilence {
  int64_t last_heard_ns = 0;               // any grant or ack from the replica
  int64_t first_unanswered_probe_ns = -1;  // first probe sent since last heard; -1: none
  int64_t last_probe_ns = -1;              // latest probe sent; -1: never
  bool busy = false;                       // holds frames of ours (sent, not yet handed on)
};

enum class LivenessVerdict : uint8_t {
  kAlive = 0,  // nothing to do
  kProbe = 1,  // send a heartbeat now and record it (onProbed)
  kDown = 2,   // mark down and re-send its frames elsewhere
};

// REQUIRES: idle_timeout_ns > 0, probe_interval_ns > 0.
LivenessVerdict judgeLiveness(const LivenessPolicy& policy, const PeerSilence& peer,
                              int64_t now_ns);

// `peer` after a probe was sent at `now_ns`.
PeerSilence onProbed(PeerSilence peer, int64_t now_ns);
// `peer` after anything was heard from it at `now_ns` (answers every probe).
PeerSilence onHeardFrom(PeerSilence peer, int64_t now_ns);

}  // namespace spikeline::transport
