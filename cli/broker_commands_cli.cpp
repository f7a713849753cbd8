#include "cli/broker_commands_cli.h"

#include <iostream>

namespace spikeline::cli {
namespace {

CLI::App* addOne(CLI::App& app, const std::string& name, const std::string& help, BrokerCommand& c,
                 int& exit_code) {
  CLI::App* cmd = app.add_subcommand(name, help);
  cmd->add_option("--broker", c.broker, "Broker ROUTER endpoint")->capture_default_str();
  cmd->add_option("--timeout-ms", c.timeout_ms, "How long to wait for the broker")
      ->capture_default_str();
  cmd->add_option("--curve-key", c.curve.key_file,
                  "Your NAME.key_secret when the broker runs CURVE (or SPIKELINE_CURVE_KEY)");
  cmd->add_option("--curve-broker-key", c.curve.broker_key_file,
                  "The broker's public key file (or SPIKELINE_CURVE_BROKER_KEY)");
  cmd->callback([&c, &exit_code, name] {
    c.name = name;
    exit_code = runBrokerCommand(c, std::cout, std::cerr);
  });
  return cmd;
}

}  // namespace

void addBrokerCommands(CLI::App& app, BrokerCommand& c, int& exit_code) {
  addOne(app, "deploy", "Validate a model file locally, then deploy it", c, exit_code)
      ->add_option("file", c.argument, "Model file (YAML, topology schema v1)")
      ->required();
  addOne(app, "undeploy", "Remove a deployed model (every version unless @VERSION)", c, exit_code)
      ->add_option("model", c.argument, "MODEL or MODEL@VERSION")
      ->required();
  addOne(app, "models", "List deployed models, their pools and which are shared", c, exit_code);
  addOne(app, "routes", "Show the current route table", c, exit_code);
  addOne(app, "workers", "List registered workers, their health and assignment", c, exit_code);
  addOne(app, "events", "Show recent control-plane events", c, exit_code)
      ->add_option("--count", c.count, "How many (newest)")
      ->capture_default_str();
  CLI::App* fault = addOne(app, "fault", "Inject a chip fault into a worker", c, exit_code);
  fault->add_option("worker", c.argument, "Worker name")->required();
  auto* core = fault->add_option("--core", c.core, "Fail one core");
  auto* chip = fault->add_flag("--chip", c.whole_chip_flag, "Fail the whole chip (default)");
  core->excludes(chip);
  fault->add_option("--transient", c.transient_runs, "Transient: heal after N failing runs");
}

}  // namespace spikeline::cli
