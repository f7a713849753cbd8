#include "broker/store.h"

#include <gtest/gtest.h>

#include "tests/harness/redis_server.h"
#include "tests/harness/reserved_port.h"
#include "tests/broker/test_models.h"
#include "tests/support/status_matchers.h"

namespace spikeline::broker {
namespace {

std::unique_ptr<Store> storeFor(const harness::RedisServer& redis) {
  RedisOptions o;
  o.port = redis.port();
  o.backoff_initial_ms = 1;
  o.backoff_max_ms = 20;
  return makeRedisStore(o);
}

StoredModel sampleModel() {
  StoredModel m;
  m.summary = testing::model(
      "m", {testing::stage("s", 0xabcdef, {BackendKind::kChip, BackendKind::kCpu}, 2, 1)});
  m.file_name = "m.yaml";
  m.yaml = "spikeline: 1\n";
  m.files["w.safetensors"] = std::string("\0\1\2binary\0", 10);
  m.deployed_ns = 123;
  return m;
}

TEST(RedisStoreTest, RoundTripsEveryRecord) {
  harness::RedisServer redis;
  auto store = storeFor(redis);
  ASSERT_OK(store->ping());
  ASSERT_OK(store->putModel(sampleModel()));
  WorkerInfo w = testing::worker("chip-0", BackendKind::kChip);
  w.precisions = {Precision::kFixed};
  ASSERT_OK(store->putWorker(w));
  PlacementMap p;
  p.pools[OperatorId{0xabcdef}] = {{WorkerId{"chip-0"}}, {WorkerId{"cpu-1"}}};
  ASSERT_OK(store->putPlacement(p));
  HealthSnapshot h;
  h.down["cpu-9"] = "missed 3 heartbeats";
  ASSERT_OK(store->putHealth(h));
  wire::RouteTable t{7, {wire::ModelRoute{ModelRef{"m", 1}, {}}}};
  ASSERT_OK(store->putRoutes(t));

  ASSERT_OK_AND_ASSIGN(auto models, store->loadModels());
  ASSERT_EQ(models.size(), 1u);
  EXPECT_EQ(models[0], sampleModel());
  ASSERT_OK_AND_ASSIGN(auto workers, store->loadWorkers());
  EXPECT_EQ(workers, std::vector<WorkerInfo>{w});
  ASSERT_OK_AND_ASSIGN(auto placement, store->loadPlacement());
  EXPECT_EQ(placement, p);
  ASSERT_OK_AND_ASSIGN(auto health, store->loadHealth());
  EXPECT_EQ(health, h);
  ASSERT_OK_AND_ASSIGN(auto routes, store->loadRoutes());
  EXPECT_EQ(routes, t);

  ASSERT_OK(store->deleteModel(ModelRef{"m", 1}));
  ASSERT_OK_AND_ASSIGN(auto none, store->loadModels());
  EXPECT_TRUE(none.empty());
}

TEST(RedisStoreTest, EventsAreAppendedInOrderWithTimestamps) {
  harness::RedisServer redis;
  auto store = storeFor(redis);
  for (int i = 0; i < 5; ++i) {
    ASSERT_OK(store->appendEvent({"worker_down", "w" + std::to_string(i), "d"}, 1000 + i).status());
  }
  ASSERT_OK_AND_ASSIGN(auto events, store->readEvents(3));
  ASSERT_EQ(events.size(), 3u);
  EXPECT_EQ(events[0].event.subject, "w2");
  EXPECT_EQ(events[2].event.subject, "w4");
  EXPECT_EQ(events[2].at_ns, 1004);
}

// --event-retention: the stream keeps about that many events (Redis trims whole stream nodes of
// 100 entries, so between N and N + 100), the newest ones.
TEST(RedisStoreTest, EventRetentionBoundsTheStream) {
  harness::RedisServer redis;
  RedisOptions o;
  o.port = redis.port();
  o.event_retention = 200;
  auto store = makeRedisStore(o);
  for (int i = 0; i < 1000; ++i) {
    ASSERT_OK(store->appendEvent({"routes", "e" + std::to_string(i), "d"}, i).status());
  }
  ASSERT_OK_AND_ASSIGN(auto events, store->readEvents(10000));
  EXPECT_GE(events.size(), 200u);
  EXPECT_LE(events.size(), 300u);
  EXPECT_EQ(events.back().event.subject, "e999");
}

TEST(RedisStoreTest, SurvivesRedisRestartWithDataKept) {
  harness::RedisServer redis;
  auto store = storeFor(redis);
  ASSERT_OK(store->putModel(sampleModel()));
  redis.kill();
  EXPECT_STATUS_CODE(store->ping(), StatusCode::kUnavailable);
  ASSERT_TRUE(redis.start());
  ASSERT_TRUE(harness::waitUntil([&] { return store->ping().isOk(); }, 5000))
      << store->ping().toString();
  ASSERT_OK_AND_ASSIGN(auto models, store->loadModels());
  ASSERT_EQ(models.size(), 1u);
  EXPECT_EQ(models[0].summary.model.name, "m");
}

TEST(RedisStoreTest, UnreachableServerIsUnavailableNotACrash) {
  harness::ReservedPort nobody_listens;
  RedisOptions o;
  o.port = nobody_listens.port();
  auto store = makeRedisStore(o);
  EXPECT_STATUS_CODE(store->ping(), StatusCode::kUnavailable);
  EXPECT_STATUS_CODE(store->loadModels(), StatusCode::kUnavailable);
}

TEST(RedisStoreTest, ParsesAddresses) {
  ASSERT_OK_AND_ASSIGN(auto o, parseRedisAddress("redis.local:6380"));
  EXPECT_EQ(o.host, "redis.local");
  EXPECT_EQ(o.port, 6380);
  EXPECT_STATUS_CODE(parseRedisAddress("x:notaport"), StatusCode::kInvalidArgument);
  EXPECT_STATUS_CODE(parseRedisAddress(":1"), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace spikeline::broker
