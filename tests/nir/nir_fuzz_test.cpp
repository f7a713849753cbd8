// A bounded mutation fuzz of the NIR reader and importer (run in CI with the unit tests): every
// shared NIR file truncated at 48 points and with 400 seeded random bit flips each. Each mutant
// must come back as a NirFile or an error (never a crash, a hang or an unbounded allocation: the
// reader's limits in nir_reader.h; libhdf5 itself crashes or loops on some mutants, which the
// reader's child process turns into errors); mutants that still read are then imported.
#include <iostream>
#include <random>

#include <gtest/gtest.h>

#include "nir/importer.h"
#include "nir/nir_reader.h"
#include "tests/nir/nir_test_util.h"

namespace spikeline::nir {
namespace {

constexpr const char* kFiles[] = {"lif_norse.nir",      "lif_rockpool.nir",
                                  "two_lif_neurons.nir", "braille_noDelay_noBias_subtract.nir",
                                  "all_primitives.nir",  "nested_subgraph.nir"};

struct Tally {
  int read = 0, refused = 0, imported = 0, crashed = 0, timed_out = 0;
};

void tryOne(std::string_view bytes, Tally& tally) {
  // libhdf5 loops forever on some mutants: a short limit keeps the run bounded.
  Result<NirFile> f = readNir(bytes, ReadLimits{uint64_t{1} << 30, 1});
  if (!f.isOk()) {
    ++tally.refused;
    const std::string& m = f.status().message();
    tally.crashed += m.find("failed reading it (signal") != std::string::npos;
    tally.timed_out += m.find("took more than") != std::string::npos;
    EXPECT_FALSE(f.status().message().empty());
    return;
  }
  ++tally.read;
  ImportOptions o;
  o.dt = 1e-4;
  Result<ImportedModel> m = importNir(*f, o);
  if (m.isOk()) ++tally.imported;
}

class NirFuzzTest : public ::testing::TestWithParam<const char*> {};

TEST_P(NirFuzzTest, TruncatedCopiesAreRefusedOrRead) {
  const std::string bytes = testing::readBytes(testing::dataPath(GetParam()));
  ASSERT_FALSE(bytes.empty());
  Tally tally;
  for (int k = 0; k < 48; ++k) tryOne(std::string_view(bytes).substr(0, bytes.size() * k / 48), tally);
  EXPECT_GT(tally.refused, 0);
  RecordProperty("refused", tally.refused);
}

TEST_P(NirFuzzTest, BitFlippedCopiesAreRefusedOrRead) {
  const std::string original = testing::readBytes(testing::dataPath(GetParam()));
  ASSERT_FALSE(original.empty());
  std::mt19937_64 rng(0x5eed + original.size());
  Tally tally;
  for (int k = 0; k < 400; ++k) {
    std::string bytes = original;
    const int flips = 1 + int(rng() % 8);
    for (int i = 0; i < flips; ++i) {
      const size_t at = rng() % bytes.size();
      bytes[at] = char(uint8_t(bytes[at]) ^ uint8_t(1u << (rng() % 8)));
    }
    tryOne(bytes, tally);
  }
  RecordProperty("read", tally.read);
  RecordProperty("refused", tally.refused);
  RecordProperty("imported", tally.imported);
  RecordProperty("hdf5_crashed", tally.crashed);
  RecordProperty("hdf5_timed_out", tally.timed_out);
  std::cout << GetParam() << ": " << tally.read << " read (" << tally.imported << " imported), "
            << tally.refused << " refused, of which libhdf5 crashed on " << tally.crashed
            << " and looped on " << tally.timed_out << "\n";
  EXPECT_EQ(tally.read + tally.refused, 400);
}

INSTANTIATE_TEST_SUITE_P(SharedFiles, NirFuzzTest, ::testing::ValuesIn(kFiles),
                         [](const auto& info) {
                           std::string s = info.param;
                           for (char& c : s) {
                             if (!std::isalnum(uint8_t(c))) c = '_';
                           }
                           return s;
                         });

}  // namespace
}  // namespace spikeline::nir
