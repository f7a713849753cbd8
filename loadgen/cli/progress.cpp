#include "loadgen/cli/progress.h"

#include <chrono>
#include <cstdio>
#include <string>

namespace spikeline::loadgen::cli {
namespace {

class CountingSink final : public CompletionSink {
 public:
  CountingSink(CompletionSink& inner, ProgressCounters& counters)
      : inner_(inner), counters_(counters) {}
  void complete(const Completion& completion) override {
    counters_.replies.fetch_add(1, std::memory_order_relaxed);
    if (completion.outcome != Outcome::kOk) counters_.errors.fetch_add(1, std::memory_order_relaxed);
    inner_.complete(completion);
  }

 private:
  CompletionSink& inner_;
  ProgressCounters& counters_;
};

class CountingTarget final : public Target {
 public:
  CountingTarget(Target& inner, ProgressCounters& counters) : inner_(inner), counters_(counters) {}
  void submit(uint64_t request_index, int64_t intended_send_ns, CompletionSink& sink) override {
    // The driver passes one sink per run; re-wrap when it changes (a new run).
    if (sink_ == nullptr || wrapped_for_ != &sink) {
      sink_ = std::make_unique<CountingSink>(sink, counters_);
      wrapped_for_ = &sink;
    }
    counters_.sent.fetch_add(1, std::memory_order_relaxed);
    inner_.submit(request_index, intended_send_ns, *sink_);
  }

 private:
  Target& inner_;
  ProgressCounters& counters_;
  CompletionSink* wrapped_for_ = nullptr;
  std::unique_ptr<CountingSink> sink_;
};

}  // namespace

std::unique_ptr<Target> makeCountingTarget(Target& inner, ProgressCounters& counters) {
  return std::make_unique<CountingTarget>(inner, counters);
}

ProgressLine::ProgressLine(const ProgressCounters& counters, std::string label, bool enabled) {
  if (!enabled) return;
  thread_ = std::thread([this, &counters, label = std::move(label)] {
    const auto start = std::chrono::steady_clock::now();
    while (!stop_.load()) {
      std::this_thread::sleep_for(std::chrono::milliseconds(250));
      const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      std::printf("\r[%s] %5.1fs sent %llu replies %llu errors %llu   ", label.c_str(), s,
                  (unsigned long long)counters.sent.load(), (unsigned long long)counters.replies.load(),
                  (unsigned long long)counters.errors.load());
      std::fflush(stdout);
    }
    std::printf("\n");
  });
}

ProgressLine::~ProgressLine() {
  stop_.store(true);
  if (thread_.joinable()) thread_.join();
}

}  // namespace spikeline::loadgen::cli
