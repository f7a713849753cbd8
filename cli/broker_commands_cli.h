// Registers the broker commands (cli/broker_commands.h) with CLI11. Used by main() only.
// Thread safety: main thread only.
#pragma once

#include <CLI/CLI.hpp>

#include "cli/broker_commands.h"

namespace spikeline::cli {

// Adds deploy, undeploy, models, routes, workers, events and fault; the chosen command's exit
// code is written to `exit_code`. `command` must outlive parsing.
void addBrokerCommands(CLI::App& app, BrokerCommand& command, int& exit_code);

}  // namespace spikeline::cli
