#include "workers/client/client.h"

#include <spdlog/spdlog.h>

#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <deque>
#include <map>
#include <mutex>
#include <random>
#include <thread>

#include "transport/data_socket.h"
#include "transport/dedup_window.h"
#include "transport/envelope.h"
#include "wire/codec.h"
#include "workers/client/reply_endpoint.h"
#include "workers/hop_group.h"
#include "workers/pipeline_plan.h"
#include "workers/poll_set.h"
#include "workers/protocol.h"

namespace spikeline::client {
namespace {

using transport::Bytes;

struct Submission {
  RequestId id = 0;
  Tensor input;
  int64_t deadline_ns = 0;  // wall
  ResultCallback callback;
};

struct Outstanding {
  ResultCallback callback;
  Bytes frame;  // kept for backstop re-sends
  int64_t deadline_mono = 0;
};

class ClientImpl final : public Client {
 public:
  ClientImpl(ClientOptions options, ModelRef model, std::string first_stage, OperatorId target)
      : options_(std::move(options)),
        clock_(makeSystemClock()),
        model_(std::move(model)),
        first_stage_(std::move(first_stage)),
        target_(target),
        dedup_(options_.dedup_capacity),
        tracker_(*clock_, options_.overdue) {
    std::random_device rd;
    next_id_.store((uint64_t{rd()} << 32) | 1u);
  }

  ~ClientImpl() override {
    stop_.store(true);
    wake();
    if (thread_.joinable()) thread_.join();
    if (event_fd_ >= 0) ::close(event_fd_);
  }

  Status start(const std::vector<transport::PeerAddress>& endpoints) {
    SPIKELINE_ASSIGN_OR_RETURN(context_, transport::makeTransportContext(1));
    SPIKELINE_ASSIGN_OR_RETURN(router_, transport::makeReceiver(*context_, options_.curve));
    SPIKELINE_RETURN_IF_ERROR(router_->bind(options_.bind));
    SPIKELINE_ASSIGN_OR_RETURN(const std::string bound, router_->lastEndpoint());
    SPIKELINE_ASSIGN_OR_RETURN(reply_endpoint_, advertisedEndpoint(options_.advertise, bound));
    spdlog::info("client '{}': replies bound on {} (reply-to {})", options_.name, bound,
                 reply_endpoint_);
    if (isWildcardEndpoint(reply_endpoint_)) {
      spdlog::warn("client '{}': reply-to {} is a wildcard; only workers on this host can reach "
                   "it (set the advertised endpoint)", options_.name, reply_endpoint_);
    }
    std::random_device rd;
    const std::string routing_id = options_.name + "-" + std::to_string(rd()) + std::to_string(rd());
    workers::HopOptions ho{routing_id, options_.custody,
                           transport::LedgerOptions{options_.liveness_timeout_ns, options_.probe_interval_ns,
                                           options_.busy_liveness_timeout_ns},
                           options_.heartbeat_interval_ns, first_stage_};
    ho.curve_self = options_.curve.self;
    SPIKELINE_ASSIGN_OR_RETURN(group_, workers::HopGroup::make(*context_, *clock_, endpoints, ho));
    event_fd_ = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (event_fd_ < 0) return internalError("eventfd failed");
    thread_ = std::thread([this] { loop(); });
    return Status::ok();
  }

  RequestId submit(const ModelRef& model, Tensor input, int64_t deadline_ns,
                   ResultCallback callback) override {
    const RequestId id = next_id_.fetch_add(1);
    Status refused;
    if (model != model_) {
      refused = invalidArgument("this client serves " + model_.toString() + ", not " +
                                model.toString());
    } else {
      std::lock_guard<std::mutex> lock(mu_);
      // Admit only against credit the first stage granted: no credit, no queue (0002 §1).
      if (static_cast<int64_t>(queue_.size()) >= admissible_.load()) {
        refused = overloaded("no credit at the first stage '" + first_stage_ + "'");
      } else {
        queue_.push_back(Submission{id, std::move(input), deadline_ns, std::move(callback)});
      }
    }
    if (!refused.isOk()) {
      rejected_.fetch_add(1);
      callback(id, refused);
      return id;
    }
    wake();
    return id;
  }

  std::future<Result<InferenceResult>> submit(const ModelRef& model, Tensor input,
                                              int64_t deadline_ns) override {
    // shared_ptr: the promise must live in a copyable std::function until the one outcome.
    auto promise = std::make_shared<std::promise<Result<InferenceResult>>>();
    std::future<Result<InferenceResult>> future = promise->get_future();
    submit(model, std::move(input), deadline_ns,
           [promise](RequestId, Result<InferenceResult> r) { promise->set_value(std::move(r)); });
    return future;
  }

  void updateRoutes(const workers::PipelineRoute& route) override {
    if (route.model != model_) return;
    const workers::StageEndpoints* first = route.findStage(first_stage_);
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (route.epoch <= pending_epoch_) return;
      pending_epoch_ = route.epoch;
      pending_endpoints_ = first != nullptr ? first->endpoints : std::vector<transport::PeerAddress>{};
      routes_dirty_ = true;
    }
    wake();
  }

  Status waitReady(int timeout_ms) override {
    const int64_t until = clock_->monotonicNs() + int64_t{timeout_ms} * 1'000'000;
    while (admissible_.load() <= 0) {
      if (clock_->monotonicNs() > until) return deadlineExceeded("no first-stage credit yet");
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    return Status::ok();
  }

  ClientStats stats() const override {
    std::lock_guard<std::mutex> lock(stats_mu_);
    ClientStats s = stats_;
    s.rejected += rejected_.load();
    return s;
  }

  const std::string& replyEndpoint() const override { return reply_endpoint_; }

 private:
  void wake() {
    if (event_fd_ < 0) return;
    const uint64_t one = 1;
    (void)!::write(event_fd_, &one, sizeof(one));
  }

  void loop();
  void applyRoutes();
  void takeSubmissions();
  void accept(Submission s);
  void drainRouter();
  void onResult(const std::string& sender, const Bytes& payload);
  void onError(const Bytes& payload);
  void deliver(RequestId id, Result<InferenceResult> outcome);
  void backstop();
  void onGroupEvents(std::vector<workers::HopEvent>& events);
  void failAll();

  ClientOptions options_;
  std::unique_ptr<Clock> clock_;
  const ModelRef model_;
  const std::string first_stage_;
  const OperatorId target_;
  std::unique_ptr<transport::TransportContext> context_;
  std::unique_ptr<transport::DataSocket> router_;
  std::unique_ptr<workers::HopGroup> group_;
  std::string reply_endpoint_;
  int event_fd_ = -1;
  std::thread thread_;
  std::atomic<bool> stop_{false};
  std::atomic<uint64_t> next_id_{1};
  std::atomic<int64_t> admissible_{0};
  std::atomic<uint64_t> rejected_{0};
  std::mutex mu_;  // guards queue_ and the pending routes
  std::deque<Submission> queue_;
  uint64_t pending_epoch_ = 0;
  std::vector<transport::PeerAddress> pending_endpoints_;
  bool routes_dirty_ = false;
  // I/O thread only:
  transport::DedupWindow dedup_;
  transport::OverdueTracker tracker_;
  std::map<RequestId, Outstanding> outstanding_;
  mutable std::mutex stats_mu_;  // guards stats_
  ClientStats stats_;
};

void ClientImpl::loop() {
  workers::PollSet poll;
  std::vector<workers::HopEvent> events;
  while (!stop_.load()) {
    poll.clear();
    const size_t router_index = poll.addSocket(router_->nativeHandle());
    const size_t event_index = poll.addFd(event_fd_);
    group_->addToPoll(poll);
    if (!poll.wait(group_->pollTimeoutMs(10)).isOk()) break;
    if (poll.readable(event_index)) {
      uint64_t n = 0;
      (void)!::read(event_fd_, &n, sizeof(n));
    }
    applyRoutes();
    takeSubmissions();
    if (poll.readable(router_index)) drainRouter();
    group_->onPolled(poll, events);
    group_->tick(events);
    onGroupEvents(events);
    backstop();
    std::lock_guard<std::mutex> lock(mu_);
    admissible_.store(group_->admissible() - static_cast<int64_t>(queue_.size()));
  }
  failAll();
}

void ClientImpl::applyRoutes() {
  std::vector<transport::PeerAddress> endpoints;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!routes_dirty_) return;
    routes_dirty_ = false;
    endpoints = pending_endpoints_;
  }
  Status s = group_->setEndpoints(endpoints);
  if (!s.isOk()) spdlog::error("client: first-stage routes: {}", s.toString());
}

void ClientImpl::takeSubmissions() {
  std::deque<Submission> taken;
  {
    std::lock_guard<std::mutex> lock(mu_);
    taken.swap(queue_);
  }
  for (Submission& s : taken) accept(std::move(s));
}

void ClientImpl::accept(Submission s) {
  wire::SpikeFrame frame;
  frame.request_id = s.id;
  frame.model = model_;
  frame.target = target_;
  frame.stage = first_stage_;
  frame.attempt = 1;
  frame.deadline_ns = s.deadline_ns;
  frame.reply_to = reply_endpoint_;
  frame.reply_key = options_.curve.self.public_key;
  frame.payload = std::move(s.input);
  Result<Bytes> bytes = workers::encodeBytes(frame);
  if (!bytes.isOk()) {
    rejected_.fetch_add(1);
    s.callback(s.id, bytes.status());
    return;
  }
  const int64_t deadline_mono = clock_->monotonicNs() + (s.deadline_ns - clock_->wallNs());
  Status tracked = tracker_.track(s.id, deadline_mono);
  if (!tracked.isOk()) {
    rejected_.fetch_add(1);
    s.callback(s.id, tracked);
    return;
  }
  Status held = group_->hold(s.id, *bytes, deadline_mono);
  if (!held.isOk()) {
    (void)tracker_.complete(s.id);
    rejected_.fetch_add(1);
    s.callback(s.id, held);
    return;
  }
  outstanding_[s.id] = Outstanding{std::move(s.callback), std::move(bytes).value(), deadline_mono};
  std::lock_guard<std::mutex> lock(stats_mu_);
  ++stats_.submitted;
}

void ClientImpl::drainRouter() {
  for (int budget = 0; budget < 512; ++budget) {
    Result<transport::Multipart> m = router_->recv(0);
    if (!m.isOk()) return;
    Result<transport::Envelope> e =
        transport::parseEnvelope(std::move(m).value(), transport::Side::kRouter);
    if (!e.isOk()) continue;
    const std::string sender(e->routing_id.begin(), e->routing_id.end());
    if (e->kind == transport::MessageKind::kData) onResult(sender, e->payload);
    if (e->kind == transport::MessageKind::kControl) onError(e->payload);
  }
}

void ClientImpl::onResult(const std::string& sender, const Bytes& payload) {
  Result<wire::SpikeFrame> frame = wire::decodeFrame(payload);
  if (!frame.isOk()) return;
  // `received` ends the last stage's custody, duplicate or not.
  Result<transport::Multipart> ack = workers::controlToPeer(
      sender, workers::makeAck(frame->request_id, frame->attempt, frame->stage,
                               wire::AckKind::kReceived));
  if (ack.isOk()) (void)router_->send(*ack);
  deliver(frame->request_id,
          InferenceResult{frame->request_id, std::move(frame->payload), std::move(frame->trace)});
}

void ClientImpl::onError(const Bytes& payload) {
  Result<wire::Message> msg = wire::decode(payload);
  if (!msg.isOk()) return;
  const auto* err = std::get_if<wire::ErrorReply>(&*msg);
  if (err == nullptr) return;
  deliver(err->request_id, Status(err->code, err->message + (err->stage.empty() ? "" : " (stage " +
                                                                  err->stage + ")")));
}

void ClientImpl::deliver(RequestId id, Result<InferenceResult> outcome) {
  ResultCallback callback;
  {
    std::lock_guard<std::mutex> lock(stats_mu_);
    if (dedup_.offer(id) == transport::DedupVerdict::kDuplicate) {
      ++stats_.duplicates;
      return;
    }
    auto it = outstanding_.find(id);
    if (!tracker_.complete(id) || it == outstanding_.end()) {
      ++stats_.late;
      return;
    }
    callback = std::move(it->second.callback);
    outstanding_.erase(it);
    ++(outcome.isOk() ? stats_.results : stats_.errors);
  }
  callback(id, std::move(outcome));
}

void ClientImpl::onGroupEvents(std::vector<workers::HopEvent>& events) {
  for (const workers::HopEvent& ev : events) {
    if (ev.kind == workers::HopEvent::Kind::kFailed) deliver(ev.request_id, ev.error);
  }
  events.clear();
}

void ClientImpl::backstop() {
  for (const transport::OverdueAction& a : tracker_.overdue()) {
    auto it = outstanding_.find(a.request_id);
    if (it == outstanding_.end()) continue;
    if (a.kind == transport::OverdueAction::Kind::kFail) {
      ResultCallback callback = std::move(it->second.callback);
      outstanding_.erase(it);
      {
        std::lock_guard<std::mutex> lock(stats_mu_);
        (void)dedup_.offer(a.request_id);
        ++stats_.errors;
      }
      callback(a.request_id, a.error);
      continue;
    }
    // Re-send from the first stage unless the frame is still in custody there.
    if (group_->hold(a.request_id, it->second.frame, it->second.deadline_mono).isOk()) {
      std::lock_guard<std::mutex> lock(stats_mu_);
      ++stats_.backstop_resends;
    }
  }
}

void ClientImpl::failAll() {
  for (auto& [id, o] : outstanding_) o.callback(id, unavailable("client shut down"));
  outstanding_.clear();
  std::deque<Submission> left;
  {
    std::lock_guard<std::mutex> lock(mu_);
    left.swap(queue_);
  }
  for (Submission& s : left) s.callback(s.id, unavailable("client shut down"));
}

}  // namespace

Result<std::unique_ptr<Client>> Client::make(const Topology& topology,
                                             const workers::PipelineRoute& routes,
                                             ClientOptions options) {
  SPIKELINE_ASSIGN_OR_RETURN(std::vector<workers::StagePlan> plans, workers::planStages(topology));
  if (plans.empty()) return invalidArgument("model " + topology.model.toString() + " has no stages");
  const workers::StageEndpoints* first = routes.findStage(plans.front().name);
  if (first == nullptr || first->endpoints.empty()) {
    return invalidArgument("routes name no replica for the first stage '" + plans.front().name + "'");
  }
  auto client = std::make_unique<ClientImpl>(std::move(options), topology.model, plans.front().name,
                                             plans.front().target);
  SPIKELINE_RETURN_IF_ERROR(client->start(first->endpoints));
  return std::unique_ptr<Client>(std::move(client));
}

}  // namespace spikeline::client
