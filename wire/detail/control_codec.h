// Private to wire/: control messages (wire/control.h) <-> generated Cap'n Proto builders and
// readers. Includes the generated header, so no header outside wire/ may include this one.
// May throw kj::Exception (capnp); wire/codec.cpp catches. Thread safety: pure functions.
#pragma once

#include "core/result.h"
#include "core/status.h"
#include "spikeline.capnp.h"
#include "wire/control.h"

namespace spikeline::wire::detail {

// REQUIRES: `message` is not a SpikeFrame. Fills the matching member of `out`.
Status writeControl(const Message& message, schema::Envelope::Builder out);

// REQUIRES: in.which() is neither UNSET nor FRAME. Validates enums and status codes.
Result<Message> readControl(schema::Envelope::Reader in);

}  // namespace spikeline::wire::detail
