// The HDF5 reader against the real NIR files (tests/nir/data, copied from the NIR paper's
// repository and the NIR reference library) and against malformed input.
#include "nir/nir_reader.h"

#include <gtest/gtest.h>

#include "tests/nir/nir_test_util.h"
#include "tests/support/status_matchers.h"

namespace spikeline::nir {
namespace {

using testing::dataPath;
using testing::readBytes;

TEST(NirReaderTest, ReadsBrailleRnnWithItsDottedNodeNamesAndFloat64Parameters) {
  ASSERT_OK_AND_ASSIGN(NirFile f, readNirFile(dataPath("braille_noDelay_noBias_subtract.nir")));
  EXPECT_EQ(f.version, "0.2.0");
  EXPECT_EQ(f.graph.nodes.size(), 7u);
  EXPECT_EQ(f.graph.edges.size(), 7u);
  const NirNode& lif = f.graph.nodes.at("lif1.lif");
  EXPECT_EQ(lif.type, "CubaLIF");
  EXPECT_EQ(lif.params.at("tau_syn").shape, (std::vector<uint64_t>{40}));
  EXPECT_DOUBLE_EQ(lif.params.at("tau_syn").numbers[0], 0.0004);
  const NirNode& fc1 = f.graph.nodes.at("fc1");
  EXPECT_EQ(fc1.params.at("weight").shape, (std::vector<uint64_t>{40, 12}));
}

TEST(NirReaderTest, ReadsGzipDatasetsAndIgnoresMetadata) {
  ASSERT_OK_AND_ASSIGN(NirFile f, readNirFile(dataPath("all_primitives.nir")));
  EXPECT_EQ(f.version, "1.0.7-HEAD-7232ada");
  EXPECT_EQ(f.graph.nodes.size(), 17u);
  const NirNode& conv = f.graph.nodes.at("conv");
  EXPECT_EQ(conv.params.at("weight").shape, (std::vector<uint64_t>{3, 2, 3, 3}));
  EXPECT_EQ(conv.params.at("weight").numbers.size(), 54u);
  EXPECT_EQ(conv.params.at("groups").shape, std::vector<uint64_t>{});  // a scalar
  EXPECT_EQ(f.graph.nodes.at("flatten").params.at("input_type").numbers,
            (std::vector<double>{3, 4, 4}));
}

TEST(NirReaderTest, ReadsNestedGraphs) {
  ASSERT_OK_AND_ASSIGN(NirFile f, readNirFile(dataPath("nested_subgraph.nir")));
  const NirNode& rnn = f.graph.nodes.at("rnn");
  EXPECT_EQ(rnn.type, "NIRGraph");
  ASSERT_NE(rnn.subgraph, nullptr);
  EXPECT_EQ(rnn.subgraph->nodes.size(), 4u);
  EXPECT_EQ(rnn.subgraph->edges.size(), 4u);
}

TEST(NirReaderTest, ReadsVersion01And02Files) {
  ASSERT_OK_AND_ASSIGN(NirFile norse, readNirFile(dataPath("lif_norse.nir")));
  EXPECT_EQ(norse.version, "0.1.1");
  ASSERT_OK_AND_ASSIGN(NirFile rockpool, readNirFile(dataPath("lif_rockpool.nir")));
  EXPECT_EQ(rockpool.graph.nodes.at("output").params.at("shape").numbers,
            (std::vector<double>{1, 1, 1}));
}

TEST(NirReaderTest, RefusesWhatIsNotHdf5) {
  Result<NirFile> r = readNirFile(dataPath("not_hdf5.nir"));
  EXPECT_STATUS_CODE(r, StatusCode::kInvalidArgument);
  EXPECT_NE(r.status().message().find("not an HDF5 file"), std::string::npos)
      << r.status().message();
  EXPECT_STATUS_CODE(readNir(""), StatusCode::kInvalidArgument);
  EXPECT_STATUS_CODE(readNirFile(dataPath("no_such_file.nir")), StatusCode::kNotFound);
}

TEST(NirReaderTest, RefusesATruncatedFile) {
  const std::string bytes = readBytes(dataPath("braille_noDelay_noBias_subtract.nir"));
  Result<NirFile> r = readNir(std::string_view(bytes).substr(0, bytes.size() / 2));
  EXPECT_STATUS_CODE(r, StatusCode::kInvalidArgument);
}

TEST(NirReaderTest, RefusesANewerMajorVersion) {
  Result<NirFile> r = readNirFile(dataPath("bad_version.nir"));
  EXPECT_STATUS_CODE(r, StatusCode::kInvalidArgument);
  EXPECT_NE(r.status().message().find("NIR 2.0.0 is newer than this reader"), std::string::npos)
      << r.status().message();
}

}  // namespace
}  // namespace spikeline::nir
