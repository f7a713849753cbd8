// Writes the committed seed corpus of wire_decode_fuzzer into the directory given as argv[1]:
// one valid message of every kind and every payload encoding, plus malformed ones the tests
// use. Regenerate with: build the target `wire_fuzz_seeds`, run it with fuzz/corpus.
#include <cstdio>
#include <fstream>
#include <string>

#include "wire/codec.h"
#include "wire/testing/raw_message.h"

namespace {

using namespace spikeline;
using namespace spikeline::wire;

bool writeSeed(const std::string& dir, const std::string& name, const WireBuffer& buffer) {
  std::ofstream out(dir + "/" + name, std::ios::binary);
  out.write(reinterpret_cast<const char*>(buffer.bytes().data()),
            static_cast<std::streamsize>(buffer.size()));
  return static_cast<bool>(out);
}

SpikeFrame spikeFrame(uint32_t n, uint32_t t, uint32_t every) {
  SpikeFrame f{7, ModelRef{"m", 1}, OperatorId{0xabc}, "s", 0, 123, "tcp://x:1", {{"w", 1, 2}}, {}};
  SpikeTensor s(Shape{n}, t);
  for (uint32_t step = 0; step < t; ++step) {
    for (uint32_t i = step % every; i < n; i += every) s.set(step, i);
  }
  f.payload = s;
  return f;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s OUT_DIR\n", argv[0]);
    return 2;
  }
  const std::string dir = argv[1];
  SpikeFrame dense_frame = spikeFrame(8, 2, 1);
  dense_frame.payload = DenseTensor(Shape{2, 2}, 2, std::vector<float>{1, 2, 3, 4, 5, 6, 7, 8});
  RouteTable routes{3,
                    {ModelRoute{ModelRef{"m", 1},
                                {StageRoute{"s", OperatorId{1}, {Replica{{"w"}, "tcp://w:1"}}}}}}};
  const Message messages[] = {
      spikeFrame(100, 4, 2),
      spikeFrame(784, 8, 97),
      dense_frame,
      RegisterWorker{{"w"}, BackendKind::kChip, 4, "tcp://w:1", "n", {Precision::kFixed}},
      Heartbeat{{"w"}, 1, 0.5f, BackendHealth::kDegraded, {2}},
      Deregister{{"w"}, "bye"},
      HardwareFault{{"w"}, BackendKind::kChip, {1}, false, "core", 9},
      CreditGrant{77, 8},
      Ack{7, 0, "s", AckKind::kNack, StatusCode::kUnavailable, "down"},
      routes,
      ErrorReply{7, StatusCode::kDeadlineExceeded, "late", "s"},
  };
  bool ok = true;
  int i = 0;
  for (const Message& m : messages) {
    const auto buffer = encode(m);
    ok = ok && buffer.isOk() && writeSeed(dir, "valid-" + std::to_string(i++), *buffer);
  }
  testing::RawFrame events{{50}, 2, testing::RawFrame::Kind::kEvents, {}, {0, 2, 1}, {1, 2},
                           {},   {}};
  ok = ok && writeSeed(dir, "bad-offsets", testing::encodeRawFrame(events));
  ok = ok && writeSeed(dir, "bad-kind", testing::encodeEnvelopeKind(12));
  ok = ok && writeSeed(dir, "bad-cycle", testing::encodeSelfReferentialFrame());
  ok = ok && writeSeed(dir, "bad-nack", testing::encodeNack(42));
  return ok ? 0 : 1;
}
