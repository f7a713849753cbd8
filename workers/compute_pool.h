// ComputePool: the worker's compute threads (decision 0003 §2). Each owns one inproc PAIR to
// the I/O thread and nothing else: it receives a job (a decoded input frame), runs the stage,
// encodes the output frame and hands the job back. Jobs travel as pointers over the PAIR:
// ownership moves with the message. The pool owns its threads; the I/O thread owns its PAIR
// ends. submit/collect/addToPoll are for the I/O thread only. Never throws.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "core/clock.h"
#include "core/result.h"
#include "hal/stage_program.h"
#include "transport/bytes.h"
#include "transport/data_socket.h"
#include "wire/frame.h"
#include "workers/poll_set.h"

namespace spikeline::workers {

struct ComputeJob {
  // In.
  size_t stage = 0;                         // index of the hosted stage
  std::vector<const hal::StageProgram*> programs;  // borrowed, run in order (>1: monolith)
  wire::SpikeFrame frame;                   // the input frame (attempt, trace as received)
  uint32_t timesteps = 0;                   // the model's T (RunContext)
  std::string hop_name;                     // this worker, for the trace
  std::string next_stage;                   // empty at the last stage
  OperatorId next_target;
  int64_t queued_ns = 0;      // monotonic: when the I/O thread accepted the frame
  // Out.
  int64_t started_ns = 0;     // monotonic: compute started / finished (metrics, decision 0007)
  int64_t finished_ns = 0;
  Status status;              // the stage's error (kUnavailable: chip fault)
  transport::Bytes output;    // the encoded output frame, stamped attempt 1
};

class ComputePool {
 public:
  // Starts `threads` threads (REQUIRES >= 1). Errors: socket creation.
  static Result<std::unique_ptr<ComputePool>> make(transport::TransportContext& context,
                                                   const Clock& clock, uint32_t threads);
  ~ComputePool();  // stops and joins the threads; jobs still inside are freed

  // Hands a job to the least busy thread. kInternal when the PAIR refuses it.
  Status submit(std::unique_ptr<ComputeJob> job);
  void addToPoll(PollSet& poll);
  // Finished jobs of the threads `poll` found readable.
  std::vector<std::unique_ptr<ComputeJob>> collect(const PollSet& poll);
  size_t busy() const { return busy_total_; }
  uint32_t threads() const { return static_cast<uint32_t>(io_ends_.size()); }

 private:
  explicit ComputePool(const Clock& clock) : clock_(clock) {}
  static void runThread(void* socket, const Clock& clock);

  const Clock& clock_;
  std::vector<void*> io_ends_;      // owned raw libzmq sockets (I/O thread side)
  std::vector<void*> thread_ends_;  // owned raw libzmq sockets (compute side, used by threads)
  std::vector<size_t> busy_;
  size_t busy_total_ = 0;
  size_t poll_base_ = 0;
  std::vector<std::thread> threads_;
};

// Runs one job in place (the compute step, also used by tests): fills status and output.
void runComputeJob(ComputeJob& job, const Clock& clock);

}  // namespace spikeline::workers
