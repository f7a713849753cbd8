#include "transport/credit_grantor.h"

#include <cassert>

namespace spikeline::transport {

CreditGrantor::CreditGrantor(const Clock& clock, GrantorOptions options)
    : clock_(clock), options_(options) {
  assert(options_.incarnation != 0);
}

CreditGrantor::Account& CreditGrantor::open(const SenderId& sender) {
  auto [it, inserted] = accounts_.try_emplace(sender);
  if (inserted) {
    it->second.granted_total = options_.window;
    it->second.incarnation = options_.incarnation + accounts_opened_++;
    if (it->second.incarnation == 0)
      it->second.incarnation = options_.incarnation + accounts_opened_++;
  }
  it->second.last_heard_ns = clock_.monotonicNs();
  return it->second;
}

Grant CreditGrantor::onHeard(const SenderId& sender) {
  const Account& a = open(sender);
  return Grant{a.incarnation, a.granted_total};
}

Status CreditGrantor::onArrived(const SenderId& sender) {
  Account& a = open(sender);
  if (a.arrived_total >= a.granted_total) {
    return overloaded("sender sent beyond its credit (" + std::to_string(a.granted_total) + ")");
  }
  ++a.arrived_total;
  ++a.held;
  return Status::ok();
}

Result<Grant> CreditGrantor::onCompleted(const SenderId& sender) {
  auto it = accounts_.find(sender);
  if (it == accounts_.end()) return notFound("sender forgotten");
  Account& a = it->second;
  if (a.held > 0) {
    --a.held;
    ++a.granted_total;
  }
  return Grant{a.incarnation, a.granted_total};
}

uint32_t CreditGrantor::held(const SenderId& sender) const {
  auto it = accounts_.find(sender);
  return it == accounts_.end() ? 0 : it->second.held;
}

Result<Grant> CreditGrantor::grantFor(const SenderId& sender) const {
  auto it = accounts_.find(sender);
  if (it == accounts_.end()) return notFound("unknown sender");
  return Grant{it->second.incarnation, it->second.granted_total};
}

std::vector<SenderId> CreditGrantor::senders() const {
  std::vector<SenderId> out;
  out.reserve(accounts_.size());
  for (const auto& [id, a] : accounts_) out.push_back(id);
  return out;
}

std::vector<SenderId> CreditGrantor::forgetSilent() {
  std::vector<SenderId> gone;
  const int64_t now = clock_.monotonicNs();
  for (auto it = accounts_.begin(); it != accounts_.end();) {
    if (now - it->second.last_heard_ns > options_.liveness_timeout_ns) {
      gone.push_back(it->first);
      it = accounts_.erase(it);
    } else {
      ++it;
    }
  }
  return gone;
}

}  // namespace spikeline::transport
