// CreditGrantor: a receiver's credit accounts, one per upstream sender: the window it grants,
// the frames it holds, and the absolute grant to announce. Pure: no sockets, no threads; time
// from a borrowed Clock. Owned by the thread that owns the receiving socket; not thread-safe.
// Protocol: docs/decisions/0002-flow-control-and-custody.md section 1.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "core/clock.h"
#include "core/result.h"
#include "core/status.h"

namespace spikeline::transport {

// A sender as the receiving ROUTER names it (its ZMQ routing id bytes).
using SenderId = std::string;

struct GrantorOptions {
  uint64_t incarnation = 1;                   // REQUIRES: != 0; random per process start
  uint32_t window = 16;                       // frames a sender may have inside this receiver
  int64_t liveness_timeout_ns = 300'000'000;  // silent senders are forgotten. Default: 3 x 100 ms
};

// What the receiver announces to one sender. `incarnation` names the account: new at every
// process start and whenever the receiver forgot the sender, so the sender resets its count.
struct Grant {
  uint64_t incarnation = 0;
  uint64_t granted_total = 0;
  friend bool operator==(const Grant&, const Grant&) = default;
};

class CreditGrantor {
 public:
  // `clock` is borrowed and must outlive the grantor.
  CreditGrantor(const Clock& clock, GrantorOptions options);

  // Any message from `sender` (hello, heartbeat, data): opens its account with the initial
  // window if new, and records it as alive. Returns the grant to announce.
  Grant onHeard(const SenderId& sender);
  // A data frame arrived from `sender`. kOverloaded when it has no credit left (answer
  // nack(overloaded) and drop the frame; no credit consumed). Opens the account if new.
  Status onArrived(const SenderId& sender);
  // A frame of `sender` left this receiver's care (handed-on or nack): one credit returns.
  // Returns the grant to announce. kNotFound if the sender was forgotten meanwhile.
  Result<Grant> onCompleted(const SenderId& sender);

  // Frames of `sender` inside this receiver (arrived, not completed); 0 if unknown.
  uint32_t held(const SenderId& sender) const;
  // Current grant for `sender`; kNotFound if unknown.
  Result<Grant> grantFor(const SenderId& sender) const;
  // Senders known now (for periodic grant announcements), in a stable order.
  std::vector<SenderId> senders() const;
  // Forgets senders silent longer than the liveness timeout, reclaiming their window.
  std::vector<SenderId> forgetSilent();

 private:
  struct Account {
    uint64_t incarnation = 0;
    uint64_t granted_total = 0;
    uint64_t arrived_total = 0;
    uint32_t held = 0;
    int64_t last_heard_ns = 0;
  };
  Account& open(const SenderId& sender);

  const Clock& clock_;
  GrantorOptions options_;
  std::map<SenderId, Account> accounts_;
  uint64_t accounts_opened_ = 0;
};

}  // namespace spikeline::transport
