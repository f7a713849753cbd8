// WorkerMetrics (the data plane's counters folded at scrape) and describeStageFailure (what every
// client error says about where it failed).
#include <gtest/gtest.h>

#include "metrics/registry.h"
#include "workers/worker.h"
#include "workers/worker_metrics.h"

namespace spikeline::workers {
namespace {

TEST(DescribeStageFailureTest, NamesStageOperatorAndWorker) {
  const Status s = describeStageFailure(
      unavailable("op 'conv2': chip core 3 failed (permanent) on chip emu0"), "features", "chip-1");
  EXPECT_EQ(s.code(), StatusCode::kUnavailable);
  EXPECT_EQ(s.message(),
            "stage 'features' operator 'conv2' on worker 'chip-1': chip core 3 failed (permanent) "
            "on chip emu0");
}

TEST(DescribeStageFailureTest, WithoutAnOperatorPrefixNamesStageAndWorker) {
  const Status s = describeStageFailure(internalError("compute PAIR refused a job"), "enc", "w");
  EXPECT_EQ(s.code(), StatusCode::kInternal);
  EXPECT_EQ(s.message(), "stage 'enc' on worker 'w': compute PAIR refused a job");
  EXPECT_EQ(describeStageFailure(invalidArgument("op 'x"), "s", "w").message(),
            "stage 's' on worker 'w': op 'x");
}

TEST(DescribeStageFailureTest, ARejectedStageInputNamesTheOperatorReadingIt) {
  EXPECT_EQ(describeStageFailure(invalidArgument("stage input: shape [3], expected [1, 28, 28]"),
                                 "encoder", "cpu-0", "enc")
                .message(),
            "stage 'encoder' operator 'enc' on worker 'cpu-0': stage input: shape [3], expected "
            "[1, 28, 28]");
  EXPECT_EQ(describeStageFailure(unavailable("op 'c2': core 3 failed"), "f", "w", "c1").message(),
            "stage 'f' operator 'c2' on worker 'w': core 3 failed");
}

TEST(WorkerMetricsTest, ExportsStageOperatorNackAndEpochSeries) {
  metrics::MetricsRegistry r;
  WorkerMetrics::declare(r);
  WorkerMetrics m;
  const ModelRef model{"fmnist", 2};
  StageSeries& s = m.stage(model, "features", "chip");
  EXPECT_EQ(&s, &m.stage(model, "features", "chip"));  // one series per key, stable
  s.frames_received.add(3);
  s.bytes_received.add(300);
  s.rerouted.add();
  s.queue_depth.add(2);
  s.queue_depth.add(-1);
  s.compute_duration.observeNs(20'000);
  m.op(model, "features", "conv2", "chip").compute_duration.observeNs(15'000);
  m.countNackSent(StatusCode::kUnavailable);
  m.countNackSent(StatusCode::kUnavailable);
  m.setRouteEpoch(model, 42);
  m.exportTo(r);
  const metrics::Labels labels{
      {"model", "fmnist"}, {"version", "2"}, {"stage", "features"}, {"backend", "chip"}};
  EXPECT_EQ(r.value("spikeline_worker_frames_received_total", labels), 3);
  EXPECT_EQ(r.value("spikeline_worker_bytes_received_total", labels), 300);
  EXPECT_EQ(r.value("spikeline_worker_reroutes_total", labels), 1);
  EXPECT_EQ(r.value("spikeline_stage_queue_depth", labels), 1);
  EXPECT_EQ(r.value("spikeline_worker_nacks_sent_total", {{"reason", "unavailable"}}), 2);
  EXPECT_EQ(r.value("spikeline_worker_route_epoch", {{"model", "fmnist"}, {"version", "2"}}), 42);
  const std::string text = r.render();
  EXPECT_NE(text.find("spikeline_operator_compute_duration_seconds_count{backend=\"chip\",model="
                      "\"fmnist\",operator=\"conv2\",stage=\"features\",version=\"2\"} 1"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("spikeline_stage_compute_duration_seconds_bucket{backend=\"chip\",model="
                      "\"fmnist\",stage=\"features\",version=\"2\",le=\"2.5e-05\"} 1"),
            std::string::npos)
      << text;
  EXPECT_EQ(text.find("reason=\"overloaded\""), std::string::npos);  // only reasons that occurred
}

}  // namespace
}  // namespace spikeline::workers
