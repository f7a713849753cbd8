// Internal to broker/ (included by .cpp files only): multipart send/receive over cppzmq that
// reports failures as values instead of throwing. Thread safety: as the socket (one thread).
#pragma once

#include <optional>
#include <string>

#include <zmq.hpp>

#include "broker/agent/protocol.h"

namespace spikeline::broker::detail {

// False when the message could not be queued (no peer, HWM, closed context).
inline bool sendParts(zmq::socket_t& socket, const Parts& parts) {
  try {
    for (size_t i = 0; i < parts.size(); ++i) {
      auto flags = zmq::send_flags::dontwait;
      if (i + 1 < parts.size()) flags = flags | zmq::send_flags::sndmore;
      if (!socket.send(zmq::const_buffer(parts[i].data(), parts[i].size()), flags)) return false;
    }
    return true;
  } catch (const zmq::error_t&) {
    return false;
  }
}

// One whole message if one is ready now; nullopt otherwise.
inline std::optional<Parts> recvParts(zmq::socket_t& socket) {
  Parts parts;
  try {
    zmq::message_t msg;
    if (!socket.recv(msg, zmq::recv_flags::dontwait)) return std::nullopt;
    parts.push_back(msg.to_string());
    while (msg.more()) {
      if (!socket.recv(msg, zmq::recv_flags::none)) break;
      parts.push_back(msg.to_string());
    }
  } catch (const zmq::error_t&) {
    return std::nullopt;
  }
  return parts;
}

}  // namespace spikeline::broker::detail
