// spikeline: the command-line tool. Subcommands: validate, probe (cli/probe_command.h), keygen
// (cli/keygen_command.h), import-nir
// and run (cli/nir_commands.h), and the broker commands (deploy, undeploy, models, routes, workers, events, fault;
// cli/broker_commands.h).
// Exit codes: 0 ok, 1 a command found problems, 2 bad usage.
// Exceptions (CLI11's parse errors) are caught here, in main().
#include <iostream>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "cli/broker_commands_cli.h"
#include "cli/keygen_command.h"
#include "cli/nir_commands.h"
#include "cli/probe_command.h"
#include "cli/validate_command.h"

namespace {

// Registers `validate FILE...`; the command's exit code is written to `exit_code`.
void addValidateCommand(CLI::App& app, std::vector<std::string>& files, int& exit_code) {
  CLI::App* cmd = app.add_subcommand(
      "validate", "Check model topology files; print OK or every problem as file:line:col");
  cmd->add_option("files", files, "Model files (YAML, topology schema v1)")->required();
  cmd->callback(
      [&files, &exit_code] { exit_code = spikeline::cli::runValidate(files, std::cout); });
}

// Registers `probe HOST:PORT [--path P] [--timeout-ms N]`.
void addProbeCommand(CLI::App& app, spikeline::cli::ProbeCommand& c, int& exit_code) {
  CLI::App* cmd = app.add_subcommand(
      "probe", "GET a probe endpoint (default /ready); exit 0 on 2xx, 1 otherwise (healthchecks)");
  cmd->add_option("address", c.address, "HOST:PORT of a --metrics endpoint or the gateway")
      ->required();
  cmd->add_option("--path", c.path, "Path to GET (/ready, /live, /v2/health/ready)")
      ->capture_default_str();
  cmd->add_option("--timeout-ms", c.timeout_ms, "Connect and read timeout")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  cmd->callback(
      [&c, &exit_code] { exit_code = spikeline::cli::runProbe(c, std::cout, std::cerr); });
}

// Registers `keygen NAME... [--dir DIR]`.
void addKeygenCommand(CLI::App& app, spikeline::cli::KeygenCommand& c, int& exit_code) {
  CLI::App* cmd = app.add_subcommand(
      "keygen", "Make CURVE key pairs: DIR/NAME.key (public) and DIR/NAME.key_secret (0600)");
  cmd->add_option("names", c.names, "One key pair per name, e.g. broker worker-1 gateway")
      ->required();
  cmd->add_option("--dir", c.dir, "Where to write them (created if missing)")
      ->capture_default_str();
  cmd->callback(
      [&c, &exit_code] { exit_code = spikeline::cli::runKeygen(c, std::cout, std::cerr); });
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"spikeline: serve spiking neural networks as pipelines of operator services"};
  app.require_subcommand(1);
  int exit_code = spikeline::cli::kExitOk;
  std::vector<std::string> validate_files;
  addValidateCommand(app, validate_files, exit_code);
  spikeline::cli::BrokerCommand broker_command;
  spikeline::cli::addBrokerCommands(app, broker_command, exit_code);
  spikeline::cli::NirCommands nir_commands;
  spikeline::cli::addNirCommands(app, nir_commands, exit_code);
  spikeline::cli::ProbeCommand probe_command;
  addProbeCommand(app, probe_command, exit_code);
  spikeline::cli::KeygenCommand keygen_command;
  addKeygenCommand(app, keygen_command, exit_code);
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    app.exit(e);
    return spikeline::cli::kExitUsage;
  }
  return exit_code;
}
