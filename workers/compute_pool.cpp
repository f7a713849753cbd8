#include "workers/compute_pool.h"

#include <zmq.h>

#include <atomic>
#include <cstring>

#include "wire/codec.h"
#include "workers/monolith.h"
#include "workers/protocol.h"

namespace spikeline::workers {
namespace {

std::atomic<uint64_t> g_pool_counter{0};

bool sendPointer(void* socket, ComputeJob* job) {
  return zmq_send(socket, &job, sizeof(job), 0) == static_cast<int>(sizeof(job));
}

ComputeJob* recvPointer(void* socket, int flags, bool& got) {
  ComputeJob* job = nullptr;
  const int rc = zmq_recv(socket, &job, sizeof(job), flags);
  got = rc == static_cast<int>(sizeof(job));
  return job;
}

}  // namespace

void runComputeJob(ComputeJob& job, const Clock& clock) {
  job.started_ns = clock.monotonicNs();
  struct Finish {  // stamps the end on every return
    ComputeJob& job;
    const Clock& clock;
    ~Finish() { job.finished_ns = clock.monotonicNs(); }
  } finish{job, clock};
  const int64_t received_ns = clock.wallNs();
  const hal::RunContext ctx{job.frame.request_id, job.timesteps};
  Result<Tensor> out = job.programs.front()->run(job.frame.payload, ctx);
  for (size_t i = 1; i < job.programs.size() && out.isOk(); ++i) {
    out = job.programs[i]->run(*out, ctx);
  }
  if (!out.isOk()) {
    job.status = out.status();
    return;
  }
  wire::SpikeFrame next;
  next.request_id = job.frame.request_id;
  next.model = job.frame.model;
  next.target = job.next_target;
  next.stage = job.next_stage.empty() ? job.frame.stage : job.next_stage;
  next.attempt = 1;
  next.deadline_ns = job.frame.deadline_ns;
  next.reply_to = job.frame.reply_to;
  next.reply_key = job.frame.reply_key;
  next.trace = std::move(job.frame.trace);
  next.trace.push_back(wire::HopTrace{job.hop_name, received_ns, clock.wallNs()});
  next.payload = std::move(out).value();
  Result<transport::Bytes> bytes = encodeBytes(next);
  if (!bytes.isOk()) {
    job.status = bytes.status().withContext("encoding the output of stage " + job.frame.stage);
    return;
  }
  job.output = std::move(bytes).value();
}

Result<std::unique_ptr<ComputePool>> ComputePool::make(transport::TransportContext& context,
                                                       const Clock& clock, uint32_t threads) {
  if (threads == 0) return invalidArgument("compute threads must be >= 1");
  std::unique_ptr<ComputePool> pool(new ComputePool(clock));
  const uint64_t id = g_pool_counter.fetch_add(1);
  for (uint32_t i = 0; i < threads; ++i) {
    const std::string ep = "inproc://compute-" + std::to_string(id) + "-" + std::to_string(i);
    void* io = zmq_socket(context.nativeHandle(), ZMQ_PAIR);
    void* th = zmq_socket(context.nativeHandle(), ZMQ_PAIR);
    if (io == nullptr || th == nullptr || zmq_bind(io, ep.c_str()) != 0 ||
        zmq_connect(th, ep.c_str()) != 0) {
      if (io != nullptr) zmq_close(io);
      if (th != nullptr) zmq_close(th);
      return internalError("inproc PAIR for compute thread: " +
                           std::string(zmq_strerror(zmq_errno())));
    }
    pool->io_ends_.push_back(io);
    pool->thread_ends_.push_back(th);
    pool->busy_.push_back(0);
  }
  for (void* th : pool->thread_ends_) {
    pool->threads_.emplace_back(&ComputePool::runThread, th, std::cref(clock));
  }
  return pool;
}

void ComputePool::runThread(void* socket, const Clock& clock) {
  for (;;) {
    bool got = false;
    ComputeJob* job = recvPointer(socket, 0, got);
    if (!got) {
      if (zmq_errno() == EINTR) continue;
      return;
    }
    if (job == nullptr) return;  // stop
    runComputeJob(*job, clock);
    if (!sendPointer(socket, job)) delete job;
  }
}

ComputePool::~ComputePool() {
  for (void* io : io_ends_) (void)sendPointer(io, nullptr);
  for (std::thread& t : threads_) t.join();
  for (void* io : io_ends_) {
    bool got = true;
    while (got) {
      ComputeJob* job = recvPointer(io, ZMQ_DONTWAIT, got);
      if (got) delete job;
    }
  }
  for (void* s : io_ends_) zmq_close(s);
  for (void* s : thread_ends_) zmq_close(s);
}

Status ComputePool::submit(std::unique_ptr<ComputeJob> job) {
  size_t best = 0;
  for (size_t i = 1; i < busy_.size(); ++i) {
    if (busy_[i] < busy_[best]) best = i;
  }
  ComputeJob* raw = job.release();
  if (!sendPointer(io_ends_[best], raw)) {
    delete raw;
    return internalError("compute PAIR refused a job");
  }
  ++busy_[best];
  ++busy_total_;
  return Status::ok();
}

void ComputePool::addToPoll(PollSet& poll) {
  poll_base_ = poll.size();
  for (void* io : io_ends_) poll.addSocket(io);
}

std::vector<std::unique_ptr<ComputeJob>> ComputePool::collect(const PollSet& poll) {
  std::vector<std::unique_ptr<ComputeJob>> done;
  for (size_t i = 0; i < io_ends_.size(); ++i) {
    if (!poll.readable(poll_base_ + i)) continue;
    for (;;) {
      bool got = false;
      ComputeJob* job = recvPointer(io_ends_[i], ZMQ_DONTWAIT, got);
      if (!got) break;
      --busy_[i];
      --busy_total_;
      done.emplace_back(job);
    }
  }
  return done;
}

}  // namespace spikeline::workers
