// The reply-to endpoint a client puts in every frame: the address the last stage's workers
// connect to for results, derived from what the client's ROUTER bound and what it was told to
// advertise (like spikeline-worker's --bind/--advertise). A pure function over strings.
// Thread safety: stateless.
#pragma once

#include <string>

#include "core/result.h"

namespace spikeline::client {

// `bound` is the ROUTER's actual endpoint (ZMQ_LAST_ENDPOINT, e.g. "tcp://0.0.0.0:41234").
// `advertise` empty: `bound` itself (loopback binds stay as they are). Otherwise
// "tcp://HOST:PORT" is used as given, and "tcp://HOST", "tcp://HOST:*" or "tcp://HOST:0" take
// the port the bind got. kInvalidArgument for a non-tcp advertise, an empty host, a bad port,
// or a port placeholder when `bound` has no numeric port.
Result<std::string> advertisedEndpoint(const std::string& advertise, const std::string& bound);

// True for a bind host no peer can connect to from another host: "*", "0.0.0.0", "[::]", "::".
bool isWildcardEndpoint(const std::string& endpoint);

}  // namespace spikeline::client
