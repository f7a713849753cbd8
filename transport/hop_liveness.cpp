#include "transport/hop_liveness.h"

namespace spikeline::transport {

LivenessVerdict judgeLiveness(const LivenessPolicy& policy, const PeerSilence& peer,
                              int64_t now_ns) {
  const int64_t silent_ns = now_ns - peer.last_heard_ns;
  if (silent_ns > policy.idle_timeout_ns) return LivenessVerdict::kDown;
  if (!peer.busy || policy.busy_timeout_ns <= 0) return LivenessVerdict::kAlive;
  if (peer.first_unanswered_probe_ns >= 0 &&
      now_ns - peer.first_unanswered_probe_ns > policy.busy_timeout_ns) {
    return LivenessVerdict::kDown;
  }
  const bool quiet = silent_ns >= policy.probe_interval_ns;
  const bool probe_due =
      peer.last_probe_ns < 0 || now_ns - peer.last_probe_ns >= policy.probe_interval_ns;
  return quiet && probe_due ? LivenessVerdict::kProbe : LivenessVerdict::kAlive;
}

PeerSilence onProbed(PeerSilence peer, int64_t now_ns) {
  if (peer.first_unanswered_probe_ns < 0) peer.first_unanswered_probe_ns = now_ns;
  peer.last_probe_ns = now_ns;
  return peer;
}

PeerSilence onHeardFrom(PeerSilence peer, int64_t now_ns) {
  peer.last_heard_ns = now_ns;
  peer.first_unanswered_probe_ns = -1;
  return peer;
}

}  // namespace spikeline::transport
