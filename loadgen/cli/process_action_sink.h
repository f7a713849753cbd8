// ProcessActionSink: carries out scenario actions against real processes: kill_worker sends
// SIGKILL to the worker's PID, inject_chip_fault sends wire::InjectFault to the worker's data
// endpoint (a control message on a DEALER, waits for the worker's ack), restart_broker runs a
// configured shell command. Owns its maps; opens a socket per fault. Thread safety: execute()
// from one thread (the driver's sender thread), as loadgen::ActionSink says.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <sys/types.h>

#include "core/result.h"
#include "loadgen/scenario_action.h"

namespace spikeline::loadgen::cli {

struct ProcessActionOptions {
  std::map<std::string, pid_t> pids;              // worker name -> PID (kill_worker)
  std::map<std::string, std::string> endpoints;   // worker name -> data endpoint (chip fault)
  std::string restart_broker_command;             // run by /bin/sh -c; empty: not configured
  int ack_timeout_ms = 1000;                      // chip fault: wait this long for the ack
};

// Parses "name=VALUE" into (name, VALUE). kInvalidArgument when malformed.
Result<std::pair<std::string, std::string>> splitAssignment(const std::string& text);
// Reads a pid file: one "name=PID" per line; blank lines and '#' comments skipped.
// kNotFound when unreadable, kInvalidArgument "file:line: ..." on a bad line.
Result<std::map<std::string, pid_t>> readPidFile(const std::string& path);
// Parses a PID. kInvalidArgument unless a positive integer.
Result<pid_t> parsePid(const std::string& text);

std::unique_ptr<ActionSink> makeProcessActionSink(ProcessActionOptions options);

}  // namespace spikeline::loadgen::cli
