#include "workers/worker.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <random>

#include "wire/codec.h"
#include "workers/protocol.h"

namespace spikeline::workers {
namespace {

uint64_t randomIncarnation() {
  std::random_device rd;
  uint64_t v = (uint64_t{rd()} << 32) ^ rd();
  return v == 0 ? 1 : v;
}

std::string randomSuffix() {
  std::random_device rd;
  char buf[17];
  std::snprintf(buf, sizeof(buf), "%08x%08x", rd(), rd());
  return buf;
}

}  // namespace

Worker::Worker(transport::TransportContext& context, const Clock& clock, hal::Backend& backend,
               WorkerOptions options, WorkerHooks hooks)
    : context_(context),
      clock_(clock),
      backend_(backend),
      options_(std::move(options)),
      hooks_(std::move(hooks)) {
  if (options_.metrics == nullptr) own_metrics_ = std::make_unique<WorkerMetrics>();
  metrics_ = options_.metrics != nullptr ? options_.metrics : own_metrics_.get();
}

Worker::~Worker() = default;

Result<std::unique_ptr<Worker>> Worker::make(transport::TransportContext& context,
                                             const Clock& clock, hal::Backend& backend,
                                             const Topology& topology,
                                             std::vector<HostedStage> stages,
                                             WorkerOptions options, WorkerHooks hooks) {
  SPIKELINE_ASSIGN_OR_RETURN(auto w, makeUnassigned(context, clock, backend, std::move(options),
                                                    std::move(hooks)));
  SPIKELINE_RETURN_IF_ERROR(w->host(topology, std::move(stages)));
  return w;
}

Result<std::unique_ptr<Worker>> Worker::makeUnassigned(transport::TransportContext& context,
                                                       const Clock& clock, hal::Backend& backend,
                                                       WorkerOptions options, WorkerHooks hooks) {
  std::unique_ptr<Worker> w(new Worker(context, clock, backend, std::move(options), std::move(hooks)));
  w->routing_id_ = w->options_.name + "-" + randomSuffix();
  w->grantor_ = std::make_unique<transport::CreditGrantor>(
      clock, transport::GrantorOptions{randomIncarnation(), w->options_.window,
                                       w->options_.liveness_timeout_ns});
  ReplyOptions ro{w->routing_id_, w->options_.custody, w->options_.max_clients};
  ro.unusable_reply_to = &w->metrics_->unusableReplyTo();
  ro.curve_self = w->options_.curve.self;
  w->replies_ = std::make_unique<ReplyGroup>(context, clock, std::move(ro));
  SPIKELINE_ASSIGN_OR_RETURN(w->pool_, ComputePool::make(context, clock, w->options_.threads));
  return w;
}

Status Worker::host(const Topology& topology, std::vector<HostedStage> stages) {
  if (stages.empty()) return invalidArgument("a worker must host at least one stage");
  std::lock_guard<std::mutex> lock(host_mu_);
  auto hosted = [&](const std::vector<HostedStage>& list) {
    return std::any_of(list.begin(), list.end(),
                       [&](const HostedStage& s) { return s.model == topology.model; });
  };
  bool pending = false;
  for (const auto& [t, list] : pending_hosts_) pending = pending || t.model == topology.model;
  if (hosted(stages_) || pending) {
    return alreadyExists(options_.name + " hosts stages of " + topology.model.toString() +
                         " already");
  }
  if (!running_) return hostLocked(topology, std::move(stages));
  pending_hosts_.emplace_back(topology, std::move(stages));  // the I/O thread adopts them
  host_dirty_.store(true);
  return Status::ok();
}

Status Worker::hostLocked(const Topology& topology, std::vector<HostedStage> stages) {
  std::vector<std::unique_ptr<HopGroup>> groups;
  for (HostedStage& s : stages) {
    // Each hosted stage's DEALERs need their own routing id: two with one id at the same next
    // replica (a pool shared by two models) would take over each other's connection.
    const std::string routing_id = routing_id_ + "." + std::to_string(stages_.size() + groups.size());
    s.model = topology.model;
    s.timesteps = topology.timesteps;
    if (s.next_stage.empty() && s.next_endpoints.empty()) {
      groups.push_back(nullptr);
      continue;
    }
    HopOptions ho{routing_id, options_.custody,
                  transport::LedgerOptions{options_.liveness_timeout_ns, options_.probe_interval_ns,
                                           options_.busy_liveness_timeout_ns},
                  options_.heartbeat_interval_ns, s.next_stage};
    ho.curve_self = options_.curve.self;
    SPIKELINE_ASSIGN_OR_RETURN(auto group, HopGroup::make(context_, clock_, s.next_endpoints, ho));
    groups.push_back(std::move(group));
  }
  const std::string backend(backendKindName(backend_.info().kind));
  for (size_t i = 0; i < stages.size(); ++i) {
    series_.push_back(&metrics_->stage(topology.model, stages[i].plan.name, backend));
    published_.push_back(HopStats{});
    stages_.push_back(std::move(stages[i]));
    groups_.push_back(std::move(groups[i]));
  }
  expected_.erase(topology.model);  // hosted now: no longer "being loaded"
  {
    // Routes of this model that arrived before its stages must be applied to them.
    std::lock_guard<std::mutex> lock(route_mu_);
    route_epochs_.erase(topology.model);
    route_dirty_.store(true);
  }
  return Status::ok();
}

void Worker::expect(const ModelRef& model) {
  std::lock_guard<std::mutex> lock(host_mu_);
  expected_.insert(model);
}

void Worker::adoptHosted() {
  if (!host_dirty_.exchange(false)) return;
  std::lock_guard<std::mutex> lock(host_mu_);
  for (auto& [topology, stages] : pending_hosts_) {
    Status s = hostLocked(topology, std::move(stages));
    if (!s.isOk()) {
      spdlog::error("{}: cannot host {} while running: {}", options_.name,
                    topology.model.toString(), s.toString());
    } else {
      spdlog::info("{}: now also hosting {}", options_.name, topology.model.toString());
    }
  }
  pending_hosts_.clear();
}

void Worker::updateRoutes(PipelineRoute route) {
  std::lock_guard<std::mutex> lock(route_mu_);
  auto it = pending_routes_.find(route.model);
  if (it != pending_routes_.end() && it->second.epoch >= route.epoch) return;
  const ModelRef model = route.model;
  pending_routes_[model] = std::move(route);
  route_dirty_.store(true);
}

void Worker::applyRoutes() {
  if (!route_dirty_.exchange(false)) return;
  std::map<ModelRef, PipelineRoute> routes;
  {
    std::lock_guard<std::mutex> lock(route_mu_);
    routes = pending_routes_;
  }
  for (const auto& [model, route] : routes) {
    uint64_t& applied = route_epochs_[model];
    if (route.epoch <= applied) continue;
    applied = route.epoch;
    metrics_->setRouteEpoch(model, applied);
    for (size_t s = 0; s < stages_.size(); ++s) {
      if (groups_[s] == nullptr || !(stages_[s].model == model)) continue;
      const StageEndpoints* next = route.findStage(stages_[s].next_stage);
      const std::vector<transport::PeerAddress> endpoints =
          next != nullptr ? next->endpoints : std::vector<transport::PeerAddress>{};
      Status st = groups_[s]->setEndpoints(endpoints);
      if (!st.isOk()) {
        spdlog::error("{}: {} route epoch {}: {}", options_.name, model.toString(), applied,
                      st.toString());
      }
    }
    spdlog::info("{}: applied route epoch {} of {}", options_.name, applied, model.toString());
  }
}

bool Worker::idle() const {
  if (!upstream_.empty() || pool_->busy() != 0 || replies_->held() != 0) return false;
  for (const auto& g : groups_) {
    if (g != nullptr && g->held() != 0) return false;
  }
  return true;
}

int Worker::pollTimeoutMs() const {
  if (replies_->hasPending()) return 1;
  int timeout_ms = 10;
  for (const auto& g : groups_) {
    if (g != nullptr) timeout_ms = std::min(timeout_ms, g->pollTimeoutMs(timeout_ms));
  }
  return timeout_ms;
}

Status Worker::run(const std::atomic<bool>& stop) {
  if (router_ == nullptr) return internalError("Worker::run before bind");
  {
    std::lock_guard<std::mutex> lock(host_mu_);
    if (stages_.empty()) return internalError("Worker::run before host");
    running_ = true;
  }
  struct NotRunning {
    Worker* w;
    ~NotRunning() {
      std::lock_guard<std::mutex> lock(w->host_mu_);
      w->running_ = false;
    }
  } not_running{this};
  int64_t drain_deadline = 0;
  PollSet poll;
  std::vector<HopEvent> events;
  for (;;) {
    if (stop.load() && !draining_) {
      draining_ = true;
      drain_deadline = clock_.monotonicNs() + options_.drain_timeout_ns;
      spdlog::info("{}: stopping: no new credit, draining {} frames", options_.name,
                   upstream_.size() + outputs_.size());
    }
    if (draining_ && (idle() || clock_.monotonicNs() > drain_deadline)) break;
    adoptHosted();
    applyRoutes();
    in_flight_.store(upstream_.size());
    poll.clear();
    const size_t router_index = poll.addSocket(router_->nativeHandle());
    pool_->addToPoll(poll);
    for (auto& g : groups_) {
      if (g != nullptr) g->addToPoll(poll);
    }
    replies_->addToPoll(poll);
    SPIKELINE_RETURN_IF_ERROR(poll.wait(pollTimeoutMs()));
    if (poll.readable(router_index)) drainRouter();
    for (auto& job : pool_->collect(poll)) onJobDone(std::move(job));
    for (size_t s = 0; s < groups_.size(); ++s) {
      if (groups_[s] == nullptr) continue;
      groups_[s]->onPolled(poll, events);
      groups_[s]->tick(events);
      onEvents(s, events);
      publishHopStats(s);
    }
    replies_->onPolled(poll, events);
    replies_->tick(events);
    onEvents(stages_.size(), events);
    periodic();
  }
  spdlog::info("{}: stopped ({} frames in, {} out, {} left undrained)", options_.name,
               stats_.frames_in, stats_.frames_out, upstream_.size() + outputs_.size());
  return Status::ok();
}

void Worker::onJobDone(std::unique_ptr<ComputeJob> job) {
  const Key key{job->stage, job->frame.request_id};
  StageSeries& series = *series_[job->stage];
  series.queue_depth.add(-1);
  series.queue_duration.observeNs(job->started_ns - job->queued_ns);
  series.compute_duration.observeNs(job->finished_ns - job->started_ns);
  auto up = upstream_.find(key);
  if (up == upstream_.end()) return;
  const std::string& stage_name = stages_[job->stage].plan.name;
  if (!job->status.isOk()) {
    ++stats_.compute_errors;
    series.compute_failures.add();
    const StagePlan& plan = stages_[job->stage].plan;
    const Status failure = describeStageFailure(job->status, stage_name, options_.name,
                                                plan.ops.empty() ? "" : plan.ops.front().name);
    if (job->status.code() == StatusCode::kUnavailable) series.chip_faults.add();
    if (job->status.code() == StatusCode::kUnavailable && !unhealthy_) {
      unhealthy_ = true;  // no more credit: senders re-route until the backend heals
      spdlog::error("{}: backend failed, reporting unhealthy: {}", options_.name,
                    failure.toString());
      if (hooks_.on_backend_fault) hooks_.on_backend_fault(job->status);
    }
    sendAck(up->second.sender, key.second, up->second.attempt, stage_name, wire::AckKind::kNack,
            failure);
    finishUpstream(up);
    return;
  }
  ++stats_.frames_out;
  series.frames_sent.add();
  series.bytes_sent.add(job->output.size());
  const int64_t now_wall = clock_.wallNs();
  const int64_t deadline = job->frame.deadline_ns == 0
                               ? transport::CustodyTable::kNoDeadline
                               : clock_.monotonicNs() + (job->frame.deadline_ns - now_wall);
  HopGroup* group = groups_[job->stage].get();
  Status held = group != nullptr
                    ? group->hold(key.second, std::move(job->output), deadline)
                    : replies_->hold(key.second, {job->frame.reply_to, job->frame.reply_key},
                                     std::move(job->output), deadline);
  if (!held.isOk()) {
    handOnUpstream(key);  // already carried (a duplicate) or no reply address: nothing to hold
    return;
  }
  outputs_[key] = Output{job->frame.reply_to, job->frame.reply_key, key.second};
}

void Worker::handOnUpstream(const Key& key) {
  auto up = upstream_.find(key);
  if (up == upstream_.end()) return;
  sendAck(up->second.sender, key.second, up->second.attempt, stages_[key.first].plan.name,
          wire::AckKind::kHandedOn);
  finishUpstream(up);
}

void Worker::finishUpstream(std::map<Key, Upstream>::iterator up) {
  StageSeries& series = *series_[up->first.first];
  series.credits_in_flight.add(-1);
  series.request_duration.observeNs(clock_.monotonicNs() - up->second.arrived_ns);
  const std::string sender = std::move(up->second.sender);
  upstream_.erase(up);
  completeUpstream(sender);
}

void Worker::publishHopStats(size_t stage) {
  const HopStats& now = groups_[stage]->stats();
  HopStats& was = published_[stage];
  StageSeries& series = *series_[stage];
  series.resent.add(now.resent - was.resent);
  series.rerouted.add(now.rerouted - was.rerouted);
  series.nacks_received.add(now.nacks - was.nacks);
  was = now;
}

void Worker::onEvents(size_t stage, std::vector<HopEvent>& events) {
  for (const HopEvent& ev : events) {
    // Reply-group events carry stage == stages_.size(): find the hosted last stage.
    size_t s = stage;
    if (s == stages_.size()) {
      for (size_t i = 0; i < stages_.size(); ++i) {
        if (groups_[i] == nullptr && outputs_.count({i, ev.request_id}) != 0) s = i;
      }
      if (s == stages_.size()) continue;
    }
    const Key key{s, ev.request_id};
    switch (ev.kind) {
      case HopEvent::Kind::kReceived:
        handOnUpstream(key);
        break;
      case HopEvent::Kind::kReleased:
        outputs_.erase(key);
        break;
      case HopEvent::Kind::kFailed: {
        auto out = outputs_.find(key);
        if (out != outputs_.end() && groups_[s] != nullptr) {
          wire::ErrorReply err{ev.request_id, ev.error.code(), ev.error.message(),
                               stages_[s].next_stage};
          (void)replies_->sendError({out->second.reply_to, out->second.reply_key}, err);
        }
        if (out != outputs_.end()) outputs_.erase(out);
        series_[s]->forward_failures.add();
        handOnUpstream(key);
        break;
      }
    }
  }
  events.clear();
}

void Worker::periodic() {
  const int64_t now = clock_.monotonicNs();
  if (now < next_periodic_ns_) return;
  next_periodic_ns_ = now + options_.heartbeat_interval_ns;
  for (const std::string& s : grantor_->forgetSilent()) {
    spdlog::debug("{}: forgot silent sender {}", options_.name, s);
  }
  if (unhealthy_ && backend_.health().state == hal::HealthState::kHealthy) {
    unhealthy_ = false;
    spdlog::info("{}: backend healthy again, granting credit", options_.name);
  }
}

Status Worker::injectFault(const FaultRequest& fault) {
  if (!hooks_.inject_fault) {
    spdlog::warn("{}: fault injection requested, but the backend has no fault injector",
                 options_.name);
    return unimplemented(options_.name + " has no chip to inject a fault into");
  }
  Status s = hooks_.inject_fault(fault);
  if (s.isOk()) {
    spdlog::warn("{}: injected a {} {} fault", options_.name,
                 fault.permanent ? "permanent" : "transient",
                 fault.whole_chip ? "whole-chip" : "core " + std::to_string(fault.core));
  } else {
    spdlog::error("{}: fault injection failed: {}", options_.name, s.toString());
  }
  return s;
}

}  // namespace spikeline::workers
