# spikeline wire schema: every message that crosses a socket, wrapped in one Envelope.
#
# VERSIONING RULE: field ordinals and enumerant numbers are NEVER reused or renumbered. A field
# that is no longer wanted is kept (renamed `obsoleteX` if needed) and its ordinal stays taken.
# New fields get the next free ordinal; new message kinds are appended to Envelope's union.
# Old readers ignore fields they do not know; an Envelope kind they do not know is rejected with
# "unknown message kind N". See docs/wire-format.md.
#
# The C++ code generated from this file is PRIVATE to wire/: other modules see the plain structs
# of wire/frame.h and wire/control.h only.
@0x8aa54e718078362a;

$import "/capnp/c++.capnp".namespace("spikeline::wire::schema");

struct ModelRef {
  name @0 :Text;
  version @1 :UInt32;
}

# One worker's passage of a frame: when it received the frame and when it sent its output.
struct HopTrace {
  hop @0 :Text;          # worker name
  receivedNs @1 :Int64;  # wall clock, ns since the Unix epoch
  sentNs @2 :Int64;
}

# One request's activity crossing one stage boundary, for all T timesteps.
struct SpikeFrame {
  requestId @0 :UInt64;
  model @1 :ModelRef;
  target @2 :UInt64;        # OperatorId (core/ids.h) this frame is addressed to
  stage @3 :Text;
  attempt @4 :UInt32;
  deadlineNs @5 :Int64;     # wall clock, ns since the Unix epoch
  replyTo @6 :Text;         # address the last stage replies to
  shape @7 :List(UInt32);   # per-timestep shape; N = product of dims
  timesteps @8 :UInt32;     # T
  trace @9 :List(HopTrace);
  payload :union {
    unset @10 :Void;        # a frame with no payload is rejected
    # T rows of ceil(N/64) words, bit i of row t = (word[t*wpr + i/64] >> (i%64)) & 1,
    # padding bits zero: exactly core::SpikeTensor's layout.
    bitmap @11 :List(UInt64);
    # Address events: spikes of step t are addresses[offsets[t] .. offsets[t+1]), ascending.
    events :group {
      offsets @12 :List(UInt32);    # T + 1 entries, offsets[0] = 0, offsets[T] = #addresses
      addresses @13 :List(UInt32);  # neuron indices < N
    }
    denseFloat32 @14 :List(Float32);  # T * N values, row-major [T, shape...]
    denseInt32 @15 :List(Int32);      # T * N values (fixed-point mode)
  }
  replyKey @16 :Text;       # CURVE public key of the replyTo socket (Z85); "" = plaintext
}

# Numbering equals core::BackendKind.
enum BackendKind {
  cpu @0;
  cuda @1;
  chip @2;
}

# Numbering equals core::Precision.
enum Precision {
  float32 @0;
  fixed @1;
}

enum BackendHealth {
  healthy @0;
  degraded @1;  # some cores failed; the rest serve
  failed @2;
}

# Worker -> broker: "I am here, this is what I can run and where to send frames".
struct RegisterWorker {
  worker @0 :Text;
  backend @1 :BackendKind;
  capacity @2 :UInt32;      # frames in flight the worker accepts
  dataEndpoint @3 :Text;
  node @4 :Text;            # host / node name
  precisions @5 :List(Precision);
  curveKey @6 :Text;        # the data port's CURVE public key (Z85); "" = plaintext
}

struct Heartbeat {
  worker @0 :Text;
  seq @1 :UInt64;
  load @2 :Float32;          # frames in flight / capacity, >= 0
  health @3 :BackendHealth;
  failedCores @4 :List(UInt32);
}

# Worker -> broker: orderly leave.
struct Deregister {
  worker @0 :Text;
  reason @1 :Text;
}

struct HardwareFault {
  worker @0 :Text;
  backend @1 :BackendKind;
  failedCores @2 :List(UInt32);
  wholeDevice @3 :Bool;
  detail @4 :Text;
  atNs @5 :Int64;            # wall clock
}

# Receiver -> sender (docs/decisions/0002): grants are absolute, not increments. Free credit at
# the sender = grantedTotal - frames sent since this incarnation's first grant.
struct CreditGrant {
  incarnation @0 :UInt64;   # changes when the receiver restarts or forgets the sender
  grantedTotal @1 :UInt64;  # frames granted in total to this sender in this incarnation
}

# Custody acknowledgement of one (request, attempt, stage).
struct Ack {
  requestId @0 :UInt64;
  attempt @1 :UInt32;
  stage @2 :Text;
  kind :union {
    unset @3 :Void;
    received @4 :Void;
    handedOn @5 :Void;
    nack :group {
      code @6 :Int32;        # core::StatusCode number, never 0 (ok)
      message @7 :Text;
    }
  }
}

struct Replica {
  worker @0 :Text;
  endpoint @1 :Text;
  curveKey @2 :Text;        # its data port's CURVE public key (Z85); "" = plaintext
}

struct StageRoute {
  name @0 :Text;
  operatorId @1 :UInt64;
  replicas @2 :List(Replica);
}

struct ModelRoute {
  model @0 :ModelRef;
  stages @1 :List(StageRoute);  # pipeline order
}

struct RouteTable {
  epoch @0 :UInt64;
  models @1 :List(ModelRoute);
}

# The final answer for a request that failed (the client gets this instead of a result).
struct ErrorReply {
  requestId @0 :UInt64;
  code @1 :Int32;            # core::StatusCode number, never 0 (ok)
  message @2 :Text;
  stage @3 :Text;            # where it failed; empty when unknown
}

# Anyone (tests, `spikeline fault`) -> worker, as a control message on its data port: fail the
# worker's emulated chip, so failover can be exercised on a running system.
struct InjectFault {
  wholeChip @0 :Bool;        # the whole chip; otherwise one core
  core @1 :UInt32;           # when not wholeChip
  permanent @2 :Bool;        # otherwise transient
  failingRuns @3 :UInt32;    # transient only: runs it fails before healing; 0 = until cleared
}

struct Envelope {
  union {
    unset @0 :Void;          # an empty envelope is rejected
    frame @1 :SpikeFrame;
    registerWorker @2 :RegisterWorker;
    heartbeat @3 :Heartbeat;
    deregister @4 :Deregister;
    hardwareFault @5 :HardwareFault;
    creditGrant @6 :CreditGrant;
    ack @7 :Ack;
    routeTable @8 :RouteTable;
    errorReply @9 :ErrorReply;
    injectFault @10 :InjectFault;
  }
}
