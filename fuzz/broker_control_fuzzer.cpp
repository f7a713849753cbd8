// libFuzzer target for the broker's control decoding (issue 14): the whole BrokerService state
// machine fed arbitrary multipart messages from a few peers, as its ROUTER would deliver them:
// admin JSON (deploy, undeploy, models, routes, workers, events, fault, unknown ops, broken JSON)
// and the Cap'n Proto control messages (register, heartbeat, deregister, hardware fault), the
// workers' answers to injected faults, with
// time advancing and the store coming and going between messages. Any input must give replies,
// never a crash, a sanitizer report, an exception, or a message without a reply to an admin peer.
// Built and run by scripts/fuzz.sh; with SPIKELINE_FUZZ_WRITE_SEEDS=DIR it writes its seed inputs
// into DIR and exits (the seeds are made from the real encoders, so they track the protocol).
//
// Input format, repeated: [peer][flags][part count][part: len lo, len hi, bytes]...
//   peer & 3 picks one of 4 routing ids; flags & 0x80 toggles the store, flags & 0x7f advances
//   the clock by that many 10 ms steps (then tick()); part 0 is the tag.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "broker/agent/protocol.h"
#include "broker/broker_service.h"
#include "tests/broker/fake_store.h"
#include "tests/support/fake_clock.h"
#include "wire/codec.h"

namespace {

using spikeline::broker::Outbox;
using spikeline::broker::Parts;

void check(bool ok) {
  if (!ok) __builtin_trap();
}

std::string encoded(const spikeline::wire::Message& m) {
  auto b = spikeline::wire::encode(m);
  if (!b.isOk()) return {};
  return std::string(reinterpret_cast<const char*>(b->bytes().data()), b->size());
}

// One record of the input format.
std::string record(uint8_t peer, uint8_t flags, const Parts& parts) {
  std::string r{char(peer), char(flags), char(parts.size())};
  for (const std::string& p : parts) {
    const size_t n = std::min<size_t>(p.size(), 0xffff);
    r += char(n & 0xff);
    r += char(n >> 8);
    r.append(p, 0, n);
  }
  return r;
}

std::vector<std::string> seeds() {
  using namespace spikeline;
  wire::RegisterWorker chip{WorkerId{"w1"}, BackendKind::kChip, 8, "tcp://127.0.0.1:7001", "n1",
                            {Precision::kFixed}};
  wire::RegisterWorker cpu{WorkerId{"w2"}, BackendKind::kCpu, 8, "tcp://127.0.0.1:7002", "n1",
                           {Precision::kFloat32, Precision::kFixed}};
  wire::Heartbeat hb{WorkerId{"w1"}, 1, 0.5f, wire::BackendHealth::kHealthy, {}};
  wire::Heartbeat failed{WorkerId{"w1"}, 2, 0.0f, wire::BackendHealth::kFailed, {3}};
  wire::HardwareFault fault{WorkerId{"w1"}, BackendKind::kChip, {3}, true, "injected", 5};
  wire::Deregister bye{WorkerId{"w2"}, "shutdown"};
  const std::string reg1 = record(1, 1, {std::string(broker::kTagWire), encoded(chip)});
  const std::string reg2 = record(2, 1, {std::string(broker::kTagWire), encoded(cpu)});
  auto admin = [](const std::string& json) {
    return record(0, 0, {std::string(broker::kTagAdmin), json});
  };
  return {
      reg1 + reg2 + record(1, 5, {std::string(broker::kTagWire), encoded(hb)}),
      reg1 + record(1, 3, {std::string(broker::kTagWire), encoded(failed)}) + admin(R"({"op":"workers","id":1})"),
      reg1 + record(1, 0, {std::string(broker::kTagWire), encoded(fault)}) + admin(R"({"op":"events","count":5})"),
      reg1 + reg2 + record(2, 0, {std::string(broker::kTagWire), encoded(bye)}) + admin(R"({"op":"routes"})"),
      reg1 + record(3, 0, {std::string(broker::kTagWire), encoded(chip), R"({"replace":true})"}),
      admin(R"({"op":"fault","worker":"w1","whole_chip":false,"core":3,"permanent":false})"),
      admin(R"({"op":"deploy","file_name":"m.yaml","files":["w.safetensors"]})"),
      admin(R"({"op":"undeploy","model":"m","version":0})") + admin(R"({"op":"models"})"),
      admin(R"({"op":"events","count":-1})") + admin(R"({"op":"nope"})") + admin("{\"op\":"),
      record(0, 0x85, {"unknown-tag", "x"}) + record(1, 0x7f, {std::string(broker::kTagWire), "garbage"}),
      reg1 + admin(R"({"op":"fault","worker":"w1","id":7})") +
          record(1, 0, broker::encodeInjectResult({1, Status::ok()})) +
          record(2, 0x7f, broker::encodeInjectResult({1, invalidArgument("no")})),
  };
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  if (const char* dir = std::getenv("SPIKELINE_FUZZ_WRITE_SEEDS")) {
    std::filesystem::create_directories(dir);
    int i = 0;
    for (const std::string& s : seeds()) {
      std::ofstream(std::filesystem::path(dir) / ("seed-" + std::to_string(i++)), std::ios::binary)
          << s;
    }
    std::exit(0);
  }
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace spikeline;
  broker::testing::FakeStore store;
  testing::FakeClock clock;
  broker::BrokerService service(store, clock, broker::ServiceOptions{});
  Outbox out;
  (void)service.restore(out);
  static const char* const kPeers[] = {"admin-cli", "peer-w1", "peer-w2", "stranger"};
  size_t at = 0;
  while (at + 3 <= size) {
    const std::string peer = kPeers[data[at] & 3];
    const uint8_t flags = data[at + 1];
    const size_t count = data[at + 2] % 6;
    at += 3;
    Parts parts;
    for (size_t i = 0; i < count && at + 2 <= size; ++i) {
      const size_t len = std::min<size_t>(data[at] | (size_t(data[at + 1]) << 8), size - at - 2);
      parts.emplace_back(reinterpret_cast<const char*>(data + at + 2), len);
      at += 2 + len;
    }
    out = Outbox{};
    service.onMessage(peer, parts, out);
    // Every admin request is answered, to the peer that asked, or (a `fault`) forwarded to the
    // worker, whose answer or the broker's timeout answers it later.
    if (!parts.empty() && parts[0] == broker::kTagAdmin) {
      bool answered = false;
      for (const auto& [to, message] : out.to_peers) {
        answered = answered || (to == peer && !message.empty() && message[0] == broker::kTagReply) ||
                   (!message.empty() && message[0] == broker::kTagInject);
      }
      check(answered);
    }
    if (flags & 0x80) store.available = !store.available;
    clock.advanceNs(int64_t(flags & 0x7f) * 10'000'000);
    out = Outbox{};
    service.tick(out);
  }
  return 0;
}
