#include "loadgen/report_writer.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "loadgen/plot.h"
#include "tests/support/status_matchers.h"

namespace spikeline::loadgen {
namespace {

RunReport sampleReport() {
  RunReport r;
  r.mode = "open";
  r.sent = 1000;
  r.completed = 990;
  r.lost = 2;
  r.duplicates = 1;
  r.late = 1;
  r.errors_by_kind[static_cast<size_t>(Outcome::kOverloaded)] = 5;
  r.errors_by_kind[static_cast<size_t>(Outcome::kUnavailable)] = 3;
  r.warmup_sent = 100;
  r.duration_s = 10;
  r.send_rate_rps = 100;
  r.throughput_rps = 99;
  r.latency = {990, 1'000'000, 2'000'000, 3'000'000, 40'000'000, 50'000'000, 60'000'000, 2.5e6, 0};
  r.labelled = 800;
  r.correct = 700;
  r.timeline = {{0, 100, 99, 1, 0, 2'000'000, 3'500'000, 4'000'000},
                {1, 100, 90, 8, 2, 2'000'000, 40'000'000, 60'000'000}};
  r.faults = {{0.5, "kill_worker chip-0", "ok"}};
  return r;
}

TEST(ReportWriterTest, JsonHasStableFields) {
  const nlohmann::json j = nlohmann::json::parse(toJson(sampleReport()));
  EXPECT_EQ(j["schema"], "spikeline.loadgen.v1");
  EXPECT_EQ(j["mode"], "open");
  EXPECT_EQ(j["sent"], 1000);
  EXPECT_EQ(j["completed"], 990);
  EXPECT_EQ(j["errors"], 8);
  EXPECT_EQ(j["errors_by_kind"]["overloaded"], 5);
  EXPECT_EQ(j["errors_by_kind"]["unavailable"], 3);
  EXPECT_EQ(j["errors_by_kind"]["deadline"], 0);
  EXPECT_EQ(j["errors_by_kind"].size(), 5u);
  EXPECT_EQ(j["lost"], 2);
  EXPECT_EQ(j["duplicates"], 1);
  EXPECT_EQ(j["late"], 1);
  EXPECT_EQ(j["warmup_sent"], 100);
  EXPECT_DOUBLE_EQ(j["throughput_rps"].get<double>(), 99.0);
  EXPECT_EQ(j["latency"]["p50_ns"], 2'000'000);
  EXPECT_EQ(j["latency"]["p99_ns"], 40'000'000);
  EXPECT_EQ(j["latency"]["p999_ns"], 50'000'000);
  EXPECT_EQ(j["latency"]["max_ns"], 60'000'000);
  EXPECT_DOUBLE_EQ(j["accuracy"].get<double>(), 0.875);
  ASSERT_EQ(j["timeline"].size(), 2u);
  EXPECT_EQ(j["timeline"][1]["errors"], 8);
  EXPECT_EQ(j["timeline"][1]["p99_ns"], 40'000'000);
  EXPECT_EQ(j["faults"][0]["label"], "kill_worker chip-0");
}

TEST(ReportWriterTest, JsonAccuracyIsNullWithoutLabels) {
  RunReport r = sampleReport();
  r.labelled = 0;
  r.correct = 0;
  EXPECT_TRUE(nlohmann::json::parse(toJson(r))["accuracy"].is_null());
}

TEST(ReportWriterTest, SummaryNamesEveryFigure) {
  const std::string s = formatSummary(sampleReport());
  for (const char* needle :
       {"p50 2.000", "p99 40.000", "p99.9 50.000", "max 60.000", "overloaded 5", "unavailable 3",
        "2 lost", "1 duplicates", "accuracy: 87.50%", "99.0 ok/s", "kill_worker chip-0"}) {
    EXPECT_NE(s.find(needle), std::string::npos) << needle << "\n" << s;
  }
}

TEST(ReportWriterTest, TimelineCsvHasOneRowPerSecond) {
  const std::string csv = timelineCsv(sampleReport());
  std::istringstream in(csv);
  std::string line;
  std::getline(in, line);
  EXPECT_EQ(line, "second,sent,completed,errors,lost,p50_ms,p99_ms,max_ms");
  std::getline(in, line);
  EXPECT_EQ(line, "0,100,99,1,0,2.000,3.500,4.000");
  std::getline(in, line);
  EXPECT_EQ(line, "1,100,90,8,2,2.000,40.000,60.000");
  EXPECT_FALSE(std::getline(in, line));
}

TEST(ReportWriterTest, WritesFilesAndReportsUnwritablePaths) {
  const auto path = std::filesystem::temp_directory_path() / "loadgen_report_test.json";
  ASSERT_OK(writeJsonFile(sampleReport(), path.string()));
  std::ifstream in(path);
  EXPECT_EQ(nlohmann::json::parse(in)["sent"], 1000);
  std::filesystem::remove(path);
  EXPECT_STATUS_CODE(writeTimelineCsvFile(sampleReport(), "/nonexistent-dir/x.csv"),
                     StatusCode::kUnavailable);
}

TEST(PlotTest, ScriptMarksFaultsAndQuotesLabels) {
  std::vector<FaultMark> faults = {{2.5, "kill_worker it's-0", "ok"}, {7, "restart_broker", "ok"}};
  const std::string gp = gnuplotScript({"/tmp/t.csv", "/tmp/t.gp", "/tmp/t.png", "run"}, faults);
  EXPECT_NE(gp.find("pngcairo"), std::string::npos);
  EXPECT_NE(gp.find("set output '/tmp/t.png'"), std::string::npos);
  EXPECT_NE(gp.find("from 2.500, graph 0 to 2.500, graph 1"), std::string::npos);
  EXPECT_NE(gp.find("from 7.000, graph 0"), std::string::npos);
  EXPECT_NE(gp.find("'kill_worker it''s-0'"), std::string::npos);
}

TEST(PlotTest, MissingGnuplotIsAClearSkip) {
  Status s = renderPlot(sampleReport(), {"/tmp/a.csv", "/tmp/a.gp", "/tmp/a.png"},
                        "gnuplot-that-does-not-exist");
  EXPECT_STATUS_CODE(s, StatusCode::kUnavailable);
  EXPECT_NE(s.message().find("plot skipped"), std::string::npos);
}

TEST(PlotTest, RendersAPngWhenGnuplotIsInstalled) {
  if (findExecutable("gnuplot").empty()) GTEST_SKIP() << "gnuplot not installed";
  const auto dir = std::filesystem::temp_directory_path() / "loadgen_plot_test";
  std::filesystem::create_directories(dir);
  const PlotFiles files{(dir / "t.csv").string(), (dir / "t.gp").string(), (dir / "t.png").string(),
                        "test"};
  ASSERT_OK(renderPlot(sampleReport(), files));
  std::ifstream png(files.png_path, std::ios::binary);
  char magic[8] = {};
  png.read(magic, 8);
  EXPECT_EQ(std::string(magic + 1, 3), "PNG");
  EXPECT_GT(std::filesystem::file_size(files.png_path), 1000u);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace spikeline::loadgen
