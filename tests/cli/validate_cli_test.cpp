// Runs the built `spikeline` binary on good and bad model files and checks what a user sees:
// the printed lines and the exit code.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <string>

#include "tests/topology/model_fixture.h"

namespace spikeline::cli {
namespace {

using ::spikeline::testing::positionOf;
using ::spikeline::testing::replaceOnce;
using ::spikeline::testing::ScratchDir;

struct CliRun {
  int exit_code = -1;
  std::string output;  // stdout and stderr
};

CliRun runCli(const std::string& args) {
  CliRun run;
  const std::string command = std::string("'") + SPIKELINE_CLI_PATH + "' " + args + " 2>&1";
  FILE* pipe = ::popen(command.c_str(), "r");
  if (pipe == nullptr) return run;
  std::array<char, 4096> buf;
  size_t n;
  while ((n = std::fread(buf.data(), 1, buf.size(), pipe)) > 0) run.output.append(buf.data(), n);
  const int status = ::pclose(pipe);
  run.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return run;
}

const std::string kExample =
    std::string(SPIKELINE_SOURCE_DIR) + "/topology/models/fmnist_scnn.yaml";

TEST(ValidateCliTest, PrintsOkForTheExampleModel) {
  CliRun run = runCli("validate '" + kExample + "'");
  EXPECT_EQ(run.exit_code, 0) << run.output;
  EXPECT_EQ(run.output, kExample + ": OK (fmnist-scnn@1, 10 operators, 3 stages)\n");
}

TEST(ValidateCliTest, PrintsEachDiagnosticAndExitsOne) {
  ScratchDir dir;
  std::string yaml = ::spikeline::testing::writeSmallModelWeights(dir);
  yaml = replaceOnce(yaml, "timesteps: 8", "timesteps: 0");
  yaml = replaceOnce(yaml, "backends: [cpu]", "backends: [gpu]");
  const std::string bad = dir.write("bad.yaml", yaml).string();
  CliRun run = runCli("validate '" + kExample + "' '" + bad + "'");
  EXPECT_EQ(run.exit_code, 1) << run.output;
  const auto [t_line, t_col] = positionOf(yaml, "0\ninput");
  const auto [b_line, b_col] = positionOf(yaml, "gpu]");
  EXPECT_EQ(run.output,
            kExample + ": OK (fmnist-scnn@1, 10 operators, 3 stages)\n" + bad + ":" +
                std::to_string(t_line) + ":" + std::to_string(t_col) +
                ": timesteps: must be in 1..4096, got 0\n" + bad + ":" + std::to_string(b_line) +
                ":" + std::to_string(b_col) +
                ": stages[1].placement.backends[0]: unknown backend 'gpu' (expected cpu, cuda or "
                "chip)\n");
}

TEST(ValidateCliTest, UnreadableFileIsAProblemNotAUsageError) {
  CliRun run = runCli("validate /nonexistent/model.yaml");
  EXPECT_EQ(run.exit_code, 1) << run.output;
  EXPECT_EQ(run.output, "/nonexistent/model.yaml: cannot read the file\n");
}

TEST(ValidateCliTest, UsageErrorsExitTwo) {
  EXPECT_EQ(runCli("").exit_code, 2);
  EXPECT_EQ(runCli("validate").exit_code, 2);
  EXPECT_EQ(runCli("frobnicate x.yaml").exit_code, 2);
}

TEST(ValidateCliTest, HelpListsValidate) {
  CliRun run = runCli("--help");
  EXPECT_EQ(run.exit_code, 0);
  EXPECT_NE(run.output.find("validate"), std::string::npos) << run.output;
  CliRun sub = runCli("validate --help");
  EXPECT_EQ(sub.exit_code, 0);
  EXPECT_NE(sub.output.find("files"), std::string::npos) << sub.output;
}

}  // namespace
}  // namespace spikeline::cli
