// The importer on every NIR file of tests/nir/data: what each primitive becomes, that the written
// model validates, and the errors for malformed graphs (each names the node and the problem).
#include "nir/importer.h"

#include <filesystem>

#include <gtest/gtest.h>

#include "nir/model_writer.h"
#include "nir/nir_reader.h"
#include "tests/nir/nir_test_util.h"
#include "tests/support/status_matchers.h"
#include "topology/topology_loader.h"

namespace spikeline::nir {
namespace {

using testing::dataPath;

ImportOptions options(Precision p = Precision::kFloat32) {
  ImportOptions o;
  o.dt = 1e-4;
  o.precision = p;
  return o;
}

Result<ImportedModel> importFile(const std::string& name, const ImportOptions& o) {
  SPIKELINE_ASSIGN_OR_RETURN(NirFile f, readNirFile(dataPath(name)));
  return importNir(f, o);
}

std::vector<std::string> kinds(const ImportedModel& m) {
  std::vector<std::string> out;
  for (const OperatorSpec& op : m.ops) out.push_back(op.kind);
  return out;
}

// Writes the model to a fresh directory and loads it with the topology loader.
Result<Topology> writeAndLoad(const ImportedModel& m) {
  static int counter = 0;
  const auto dir = std::filesystem::temp_directory_path() /
                   ("nir_import_test_" + std::to_string(::getpid()) + "_" + std::to_string(++counter));
  SPIKELINE_ASSIGN_OR_RETURN(ModelFiles files, encodeModel(m, "test"));
  SPIKELINE_ASSIGN_OR_RETURN(std::filesystem::path yaml,
                             writeModelFiles(files, dir, m.name, m.weights_file));
  Result<Topology> t = topology::loadTopologyFile(yaml);
  std::filesystem::remove_all(dir);
  return t;
}

std::string errorOf(const std::string& file, const ImportOptions& o = options()) {
  Result<ImportedModel> m = importFile(file, o);
  return m.isOk() ? "ok" : m.status().message();
}

TEST(NirImporterTest, EverySharedFileImportsAndValidatesInBothPrecisions) {
  for (const char* file : {"lif_norse.nir", "lif_rockpool.nir", "two_lif_neurons.nir",
                           "braille_noDelay_noBias_subtract.nir", "all_primitives.nir",
                           "nested_subgraph.nir"}) {
    for (Precision p : {Precision::kFloat32, Precision::kFixed}) {
      SCOPED_TRACE(std::string(file) + " " + std::string(precisionName(p)));
      ASSERT_OK_AND_ASSIGN(ImportedModel m, importFile(file, options(p)));
      ASSERT_OK_AND_ASSIGN(Topology t, writeAndLoad(m));
      EXPECT_EQ(t.operators.size(), m.ops.size());
      EXPECT_EQ(t.stages.size(), m.stages.size());
      EXPECT_EQ(t.precision, p);
    }
  }
}

TEST(NirImporterTest, AllPrimitivesMapOntoTheCatalog) {
  ASSERT_OK_AND_ASSIGN(ImportedModel m, importFile("all_primitives.nir", options()));
  EXPECT_EQ(kinds(m), (std::vector<std::string>{"conv2d", "sumpool2d", "avgpool2d", "flatten",
                                                "linear", "recurrent_lif", "linear", "cuba_lif",
                                                "scale", "if", "delay", "li", "integrator",
                                                "cuba_li", "threshold"}));
  const OperatorSpec& lif = m.ops[5];  // a self-loop: identity recurrent weights
  const WeightTensor& rec = lif.weights.at("recurrent");
  EXPECT_EQ(rec.shape, (Shape{4, 4}));
  EXPECT_EQ(rec.values[0], 1.0f);
  EXPECT_EQ(rec.values[1], 0.0f);
  const OperatorSpec& delay = m.ops[10];
  EXPECT_EQ(*delay.params.getInt("steps"), 10);  // 1 ms at dt 0.1 ms
  const OperatorSpec& iff = m.ops[9];
  EXPECT_DOUBLE_EQ(*iff.params.getDouble("gain"), 1e-4);  // r * dt
  EXPECT_EQ(m.ops[0].output_shape, (Shape{3, 8, 8}));
  EXPECT_EQ(m.ops.back().output_shape, (Shape{4}));
}

TEST(NirImporterTest, BrailleRecurrentLinearBecomesTheNeuronsRecurrentWeights) {
  ImportOptions o = options(Precision::kFixed);
  o.reset = ResetMode::kSubtract;
  ASSERT_OK_AND_ASSIGN(NirFile f, readNirFile(dataPath("braille_noDelay_noBias_subtract.nir")));
  ASSERT_OK_AND_ASSIGN(ImportedModel m, importNir(f, o));
  EXPECT_EQ(kinds(m), (std::vector<std::string>{"linear", "cuba_lif", "linear", "cuba_lif"}));
  const OperatorSpec& lif1 = m.ops[1];
  EXPECT_EQ(lif1.name, "lif1.lif");
  EXPECT_EQ(*lif1.params.getString("reset"), "subtract");
  EXPECT_DOUBLE_EQ(*lif1.params.getDouble("tau_syn"), 0.0004);
  EXPECT_DOUBLE_EQ(*lif1.params.getDouble("w_in"), 4.0);
  const NirValue& w_rec = f.graph.nodes.at("lif1.w_rec").params.at("weight");
  const WeightTensor& rec = lif1.weights.at("recurrent");
  ASSERT_EQ(rec.values.size(), w_rec.numbers.size());
  for (size_t i = 0; i < rec.values.size(); ++i) EXPECT_EQ(rec.values[i], float(w_rec.numbers[i]));
  EXPECT_FALSE(m.ops[2].weights.count("recurrent"));
  ASSERT_EQ(m.stages.size(), 4u);  // per-layer: one stage per operator here
  EXPECT_EQ(m.stages[0].backends, (std::vector<std::string>{"chip", "cuda", "cpu"}));
}

TEST(NirImporterTest, ResetModes) {
  ImportOptions o = options();
  ASSERT_OK_AND_ASSIGN(ImportedModel nir, importFile("lif_norse.nir", o));
  EXPECT_EQ(*nir.ops[1].params.getString("reset"), "value");
  EXPECT_EQ(*nir.ops[1].params.getDouble("v_reset"), 0.0);  // absent in the file: 0
  o.reset = ResetMode::kSubtract;
  ASSERT_OK_AND_ASSIGN(ImportedModel sub, importFile("lif_norse.nir", o));
  EXPECT_EQ(*sub.ops[1].params.getString("reset"), "subtract");
}

TEST(NirImporterTest, ToleratesRockpoolsOutputShapeAndLeadingSingletons) {
  ASSERT_OK_AND_ASSIGN(ImportedModel m, importFile("lif_rockpool.nir", options()));
  EXPECT_EQ(kinds(m), (std::vector<std::string>{"linear", "lif"}));
  EXPECT_DOUBLE_EQ(*m.ops[1].params.getDouble("r"), double(24.019737243652344f));
}

TEST(NirImporterTest, NestedGraphIsFlattenedAndItsLoopIsRecurrent) {
  ASSERT_OK_AND_ASSIGN(ImportedModel m, importFile("nested_subgraph.nir", options()));
  // Spikes into a LIF become currents of 1.0 through a scale of ones.
  EXPECT_EQ(kinds(m), (std::vector<std::string>{"scale", "recurrent_lif"}));
  EXPECT_EQ(m.ops[1].name, "rnn.l");
}

TEST(NirImporterTest, DenseInputGetsAnEncoderAndReadoutIsAppended) {
  ImportOptions o = options();
  o.dense_input = true;
  o.readout = "spike_count";
  ASSERT_OK_AND_ASSIGN(ImportedModel m, importFile("two_lif_neurons.nir", o));
  EXPECT_EQ(kinds(m), (std::vector<std::string>{"encode_direct", "linear", "lif", "linear", "lif",
                                                "readout"}));
  ASSERT_OK(writeAndLoad(m).status());
}

TEST(NirImporterTest, StageCounts) {
  ImportOptions o = options();
  o.stages = "one";
  ASSERT_OK_AND_ASSIGN(ImportedModel one, importFile("braille_noDelay_noBias_subtract.nir", o));
  EXPECT_EQ(one.stages.size(), 1u);
  o.stages = "2";
  ASSERT_OK_AND_ASSIGN(ImportedModel two, importFile("braille_noDelay_noBias_subtract.nir", o));
  ASSERT_EQ(two.stages.size(), 2u);
  EXPECT_EQ(two.stages[0].operators, (std::vector<std::string>{"fc1", "lif1.lif"}));
  o.stages = "9";
  EXPECT_EQ(errorOf("braille_noDelay_noBias_subtract.nir", o),
            "--stages 9: the graph can be cut into at most 4 stages");
  o.stages = "many";
  EXPECT_EQ(errorOf("braille_noDelay_noBias_subtract.nir", o),
            "--stages: must be per-layer, one or a count >= 1, got many");
}

TEST(NirImporterTest, SeveralEdgesIntoOneNodeAreSummed) {
  // input -> a, input -> b, a -> lif, b -> lif, lif -> output
  NirFile f;
  f.version = "1.0.0";
  auto num = [](std::vector<uint64_t> shape, std::vector<double> v) {
    NirValue x;
    x.shape = std::move(shape);
    x.numbers = std::move(v);
    return x;
  };
  f.graph.nodes["input"] = NirNode{"Input", {{"shape", num({1}, {2})}}, nullptr};
  f.graph.nodes["output"] = NirNode{"Output", {{"shape", num({1}, {2})}}, nullptr};
  f.graph.nodes["a"] = NirNode{"Linear", {{"weight", num({2, 2}, {1, 0, 0, 1})}}, nullptr};
  f.graph.nodes["b"] = NirNode{"Linear", {{"weight", num({2, 2}, {0, 1, 1, 0})}}, nullptr};
  f.graph.nodes["lif"] = NirNode{"LIF",
                                 {{"tau", num({2}, {1e-3, 1e-3})},
                                  {"r", num({2}, {1, 1})},
                                  {"v_leak", num({2}, {0, 0})},
                                  {"v_threshold", num({2}, {1, 1})}},
                                 nullptr};
  f.graph.edges = {{"input", "a"}, {"input", "b"}, {"a", "lif"}, {"b", "lif"}, {"lif", "output"}};
  ASSERT_OK_AND_ASSIGN(ImportedModel m, importNir(f, options()));
  EXPECT_EQ(kinds(m), (std::vector<std::string>{"linear", "linear", "add", "lif"}));
  EXPECT_EQ(m.ops[2].inputs, (std::vector<std::string>{"a", "b"}));
  // Two branches cross any cut before the add, and the sum belongs to the LIF's layer.
  ASSERT_EQ(m.stages.size(), 1u);
  EXPECT_EQ(m.stages[0].operators, (std::vector<std::string>{"a", "b", "lif.sum1", "lif"}));
  ASSERT_OK(writeAndLoad(m).status());
}

TEST(NirImporterTest, BadGraphsNameTheNodeAndTheProblem) {
  EXPECT_EQ(errorOf("bad_edge_missing.nir"), "edge fc -> lif9: no node 'lif9'");
  EXPECT_EQ(errorOf("bad_weight_chain.nir"),
            "node 'fc' (Linear): weight [4, 5] does not chain: its input [3] has 3 values");
  EXPECT_EQ(errorOf("bad_tau_negative.nir"), "node 'lif' (LIF): tau must be > 0, got -0.001");
  EXPECT_EQ(errorOf("bad_tau_varies.nir"),
            "node 'lif' (LIF): parameter 'tau' differs across neurons (min 0.001, max 0.002); "
            "spikeline's neuron operators take one value per layer");
  EXPECT_NE(errorOf("bad_unknown_type.nir").find("node 'lif': unknown NIR primitive type \"Foo\""),
            std::string::npos);
  EXPECT_NE(errorOf("bad_cycle.nir").find("cycle fc2 -> lif2 -> fc3 -> lif -> fc2 is not supported"),
            std::string::npos)
      << errorOf("bad_cycle.nir");
  ImportOptions o = options();
  o.dt = 0;
  EXPECT_EQ(errorOf("lif_norse.nir", o), "--dt: must be > 0");
  // Input straight into Output: nothing to serve.
  NirFile empty;
  empty.version = "1.0.0";
  NirValue shape;
  shape.shape = {1};
  shape.numbers = {3};
  empty.graph.nodes["input"] = NirNode{"Input", {{"shape", shape}}, nullptr};
  empty.graph.nodes["output"] = NirNode{"Output", {{"shape", shape}}, nullptr};
  empty.graph.edges = {{"input", "output"}};
  Result<ImportedModel> m = importNir(empty, options());
  ASSERT_FALSE(m.isOk());
  EXPECT_EQ(m.status().message(), "the graph has no operator between its Input and Output");
}

}  // namespace
}  // namespace spikeline::nir
