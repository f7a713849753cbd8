// The ROUTER side of Worker: what arrives from upstream senders (decision 0003 §3).
#include <spdlog/spdlog.h>

#include "transport/envelope.h"
#include "wire/codec.h"
#include "workers/protocol.h"
#include "workers/worker.h"

namespace spikeline::workers {

Result<std::string> Worker::bind() {
  // With CURVE, upstream workers, the gateway and clients are let in by key.
  SPIKELINE_ASSIGN_OR_RETURN(router_, transport::makeReceiver(context_, options_.curve));
  std::string endpoint = options_.bind;
  // "tcp://host:0" means any port, as "tcp://host:*" does.
  if (endpoint.size() > 2 && endpoint.compare(endpoint.size() - 2, 2, ":0") == 0) {
    endpoint.replace(endpoint.size() - 1, 1, "*");
  }
  SPIKELINE_RETURN_IF_ERROR(router_->bind(endpoint));
  return router_->lastEndpoint();
}

void Worker::drainRouter() {
  for (int budget = 0; budget < 512; ++budget) {
    Result<transport::Multipart> m = router_->recv(0);
    if (!m.isOk()) return;
    onRouterMessage(std::move(m).value());
  }
}

void Worker::onRouterMessage(transport::Multipart parts) {
  Result<transport::Envelope> e = transport::parseEnvelope(std::move(parts), transport::Side::kRouter);
  if (!e.isOk()) {
    ++stats_.malformed;
    spdlog::warn("{}: dropped a malformed envelope: {}", options_.name, e.status().toString());
    return;
  }
  const std::string sender(e->routing_id.begin(), e->routing_id.end());
  switch (e->kind) {
    case transport::MessageKind::kHeartbeat:
      grantTo(sender, grantor_->onHeard(sender));
      break;
    case transport::MessageKind::kControl:
      onControl(sender, e->payload);
      break;
    case transport::MessageKind::kData:
      onData(sender, e->payload);
      break;
  }
}

void Worker::onControl(const std::string& sender, const transport::Bytes& payload) {
  Result<wire::Message> msg = wire::decode(payload);
  if (!msg.isOk()) {
    ++stats_.malformed;
    spdlog::warn("{}: undecodable control message from {}: {}", options_.name, sender,
                 msg.status().toString());
    return;
  }
  (void)grantor_->onHeard(sender);
  if (const auto* f = std::get_if<wire::InjectFault>(&*msg)) {
    Status injected = injectFault(FaultRequest{f->whole_chip, f->core, f->permanent, f->failing_runs});
    sendAck(sender, 0, 0, "inject-fault",
            injected.isOk() ? wire::AckKind::kReceived : wire::AckKind::kNack, injected);
  }
}

void Worker::sendAck(const std::string& sender, RequestId id, uint32_t attempt,
                     const std::string& stage, wire::AckKind kind, const Status& nack) {
  if (kind == wire::AckKind::kNack) {
    metrics_->countNackSent(nack.isOk() ? StatusCode::kInternal : nack.code());
  }
  Result<transport::Multipart> parts = controlToPeer(sender, makeAck(id, attempt, stage, kind, nack));
  if (parts.isOk()) (void)router_->send(*parts);  // a vanished sender: its re-send covers it
}

void Worker::grantTo(const std::string& sender, const transport::Grant& grant) {
  if (draining_ || unhealthy_) return;  // no new credit: senders route elsewhere
  Result<transport::Multipart> parts =
      controlToPeer(sender, wire::CreditGrant{grant.incarnation, grant.granted_total});
  if (parts.isOk()) (void)router_->send(*parts);
}

void Worker::completeUpstream(const std::string& sender) {
  Result<transport::Grant> grant = grantor_->onCompleted(sender);
  if (grant.isOk()) grantTo(sender, *grant);
}

int Worker::findHosted(const wire::SpikeFrame& frame) const {
  for (size_t i = 0; i < stages_.size(); ++i) {
    const StagePlan& p = stages_[i].plan;
    if (stages_[i].model == frame.model && p.name == frame.stage && p.target == frame.target) {
      return static_cast<int>(i);
    }
  }
  return -1;
}

void Worker::onData(const std::string& sender, const transport::Bytes& payload) {
  Result<wire::SpikeFrame> decoded = wire::decodeFrame(payload);
  if (!decoded.isOk()) {
    ++stats_.malformed;
    spdlog::warn("{}: malformed frame from {}: {}", options_.name, sender,
                 decoded.status().toString());
    sendAck(sender, 0, 0, "", wire::AckKind::kNack, decoded.status());
    return;
  }
  wire::SpikeFrame& frame = *decoded;
  const RequestId id = frame.request_id;
  if (draining_ || unhealthy_) {
    sendAck(sender, id, frame.attempt, frame.stage, wire::AckKind::kNack,
            unavailable(options_.name + (draining_ ? " is shutting down" : " is unhealthy")));
    return;
  }
  if (!grantor_->onArrived(sender).isOk()) {
    ++stats_.rejected;
    sendAck(sender, id, frame.attempt, frame.stage, wire::AckKind::kNack,
            overloaded("frame beyond the sender's credit"));
    return;
  }
  const int stage = findHosted(frame);
  bool loading = false;
  if (stage < 0) {
    std::lock_guard<std::mutex> lock(host_mu_);
    loading = expected_.count(frame.model) != 0;
  }
  if (stage < 0 && loading) {
    // Assigned but still being loaded (a model just joined a shared pool): retryable.
    sendAck(sender, id, frame.attempt, frame.stage, wire::AckKind::kNack,
            unavailable(frame.model.toString() + " stage '" + frame.stage + "' is being loaded at " +
                        options_.name));
    completeUpstream(sender);
    return;
  }
  if (stage < 0) {
    ++stats_.not_hosted;
    spdlog::warn("{}: request {} for {} stage '{}' operator {}: not hosted here", options_.name,
                 id, frame.model.toString(), frame.stage, frame.target.toHex());
    sendAck(sender, id, frame.attempt, frame.stage, wire::AckKind::kNack,
            invalidArgument("stage '" + frame.stage + "' operator " + frame.target.toHex() +
                            " of " + frame.model.toString() + " is not hosted by " +
                            options_.name));
    completeUpstream(sender);
    return;
  }
  if (frame.deadline_ns != 0 && frame.deadline_ns <= clock_.wallNs()) {
    ++stats_.deadline_expired;
    wire::ErrorReply err{id, StatusCode::kDeadlineExceeded, "deadline passed before stage '" +
                         frame.stage + "' at " + options_.name, frame.stage};
    (void)replies_->sendError({frame.reply_to, frame.reply_key}, err);
    sendAck(sender, id, frame.attempt, frame.stage, wire::AckKind::kReceived);
    sendAck(sender, id, frame.attempt, frame.stage, wire::AckKind::kHandedOn);
    completeUpstream(sender);
    return;
  }
  const Key key{static_cast<size_t>(stage), id};
  if (upstream_.count(key) != 0 || outputs_.count(key) != 0) {
    ++stats_.duplicates;  // a re-send of a frame this worker already carries (decision 0002 §2)
    sendAck(sender, id, frame.attempt, frame.stage, wire::AckKind::kReceived);
    sendAck(sender, id, frame.attempt, frame.stage, wire::AckKind::kHandedOn);
    completeUpstream(sender);
    return;
  }
  sendAck(sender, id, frame.attempt, frame.stage, wire::AckKind::kReceived);
  StageSeries& series = *series_[key.first];
  series.frames_received.add();
  series.bytes_received.add(payload.size());
  series.credits_in_flight.add(1);
  upstream_[key] = Upstream{sender, frame.attempt, clock_.monotonicNs()};
  dispatch(key, std::move(frame));
}

void Worker::dispatch(const Key& key, wire::SpikeFrame frame) {
  ++stats_.frames_in;
  auto job = std::make_unique<ComputeJob>();
  const HostedStage& hosted = stages_[key.first];
  job->stage = key.first;
  job->programs.push_back(hosted.program.get());
  for (const auto& p : hosted.then) job->programs.push_back(p.get());
  job->frame = std::move(frame);
  job->timesteps = hosted.timesteps;
  job->hop_name = options_.name;
  job->next_stage = hosted.next_stage;
  job->next_target = hosted.next_target;
  job->queued_ns = clock_.monotonicNs();
  Status submitted = pool_->submit(std::move(job));
  if (!submitted.isOk()) {
    auto up = upstream_.find(key);
    sendAck(up->second.sender, key.second, up->second.attempt, hosted.plan.name,
            wire::AckKind::kNack, describeStageFailure(submitted, hosted.plan.name, options_.name));
    finishUpstream(up);
    return;
  }
  series_[key.first]->queue_depth.add(1);
}

}  // namespace spikeline::workers
