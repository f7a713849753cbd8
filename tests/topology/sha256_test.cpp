#include "topology/sha256.h"

#include <gtest/gtest.h>

#include <string>

namespace spikeline::topology {
namespace {

// NIST FIPS 180-4 example vectors (csrc.nist.gov, "SHA256.pdf" and "SHA2_Additional.pdf").
TEST(Sha256Test, MatchesNistVectorAbc) {
  EXPECT_EQ(toHex(sha256("abc")),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(Sha256Test, MatchesNistVectorEmpty) {
  EXPECT_EQ(toHex(sha256("")), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

TEST(Sha256Test, MatchesNistVector448Bits) {
  EXPECT_EQ(toHex(sha256("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq")),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}

TEST(Sha256Test, MatchesNistVectorMillionA) {
  EXPECT_EQ(toHex(sha256(std::string(1'000'000, 'a'))),
            "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

TEST(Sha256Test, IncrementalUpdatesEqualOneShot) {
  std::string message;
  for (int i = 0; i < 1000; ++i) message.push_back(char('a' + i % 26));
  // Chunk sizes that straddle the 64-byte block boundary in different ways.
  for (size_t chunk : {1u, 7u, 55u, 56u, 63u, 64u, 65u, 200u}) {
    Sha256 h;
    for (size_t pos = 0; pos < message.size(); pos += chunk) {
      h.update(std::string_view(message).substr(pos, chunk));
    }
    EXPECT_EQ(toHex(h.finish()), toHex(sha256(message))) << "chunk " << chunk;
  }
}

TEST(Sha256Test, PaddingBoundaryLengthsDiffer) {
  // 55, 56 and 64 bytes take different padding paths; each must give a distinct digest.
  EXPECT_NE(sha256(std::string(55, 'x')), sha256(std::string(56, 'x')));
  EXPECT_EQ(toHex(sha256(std::string(64, 'a'))),
            "ffe054fe7ae0cb6dc65c3af9b61d5209f439851db43d0ba5997337df154668eb");
}

}  // namespace
}  // namespace spikeline::topology
