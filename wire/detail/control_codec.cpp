#include "wire/detail/control_codec.h"

#include <cmath>
#include <string>
#include <vector>

#include "wire/detail/lists.h"

namespace spikeline::wire::detail {
namespace {

std::string str(uint64_t v) { return std::to_string(v); }

constexpr int kMaxStatusCode = static_cast<int>(StatusCode::kResourceExhausted);

bool isErrorCode(StatusCode code) {
  const int c = static_cast<int>(code);
  return c >= 1 && c <= kMaxStatusCode;
}

Result<StatusCode> readErrorCode(int32_t code, const char* what) {
  if (code < 1 || code > kMaxStatusCode) {
    return invalidArgument(std::string(what) + " status code " + std::to_string(code) +
                           " is not an error code (1.." + str(kMaxStatusCode) + ")");
  }
  return static_cast<StatusCode>(code);
}

Result<BackendKind> readBackend(schema::BackendKind kind, const char* what) {
  const auto v = static_cast<uint16_t>(kind);
  if (v > static_cast<uint16_t>(BackendKind::kChip)) {
    return invalidArgument(std::string(what) + " backend kind " + str(v) + " unknown");
  }
  return static_cast<BackendKind>(v);
}

std::vector<uint32_t> readU32s(capnp::List<uint32_t>::Reader list) {
  std::vector<uint32_t> scratch;
  const std::span<const uint32_t> view = listView<uint32_t>(list, scratch);
  return {view.begin(), view.end()};
}

template <typename ListBuilder>
void fillU32s(const std::vector<uint32_t>& values, ListBuilder list) {
  for (unsigned i = 0; i < values.size(); ++i) list.set(i, values[i]);
}

void writeRegister(const RegisterWorker& m, schema::RegisterWorker::Builder out) {
  out.setWorker(m.worker.name);
  out.setBackend(static_cast<schema::BackendKind>(m.backend));
  out.setCapacity(m.capacity);
  out.setDataEndpoint(m.data_endpoint);
  out.setNode(m.node);
  out.setCurveKey(m.curve_key);
  auto precisions = out.initPrecisions(static_cast<unsigned>(m.precisions.size()));
  for (unsigned i = 0; i < m.precisions.size(); ++i) {
    precisions.set(i, static_cast<schema::Precision>(m.precisions[i]));
  }
}

Result<Message> readRegister(schema::RegisterWorker::Reader in) {
  RegisterWorker m;
  m.worker.name = toStdString(in.getWorker());
  SPIKELINE_ASSIGN_OR_RETURN(m.backend, readBackend(in.getBackend(), "register"));
  m.capacity = in.getCapacity();
  m.data_endpoint = toStdString(in.getDataEndpoint());
  m.node = toStdString(in.getNode());
  m.curve_key = toStdString(in.getCurveKey());
  for (schema::Precision p : in.getPrecisions()) {
    const auto v = static_cast<uint16_t>(p);
    if (v > static_cast<uint16_t>(Precision::kFixed)) {
      return invalidArgument("register precision " + str(v) + " unknown");
    }
    m.precisions.push_back(static_cast<Precision>(v));
  }
  return Message(std::move(m));
}

Result<Message> readHeartbeat(schema::Heartbeat::Reader in) {
  Heartbeat m;
  m.worker.name = toStdString(in.getWorker());
  m.seq = in.getSeq();
  m.load = in.getLoad();
  if (!std::isfinite(m.load) || m.load < 0.0f) {
    return invalidArgument("heartbeat load " + std::to_string(m.load) + " not finite and >= 0");
  }
  const auto health = static_cast<uint16_t>(in.getHealth());
  if (health > static_cast<uint16_t>(BackendHealth::kFailed)) {
    return invalidArgument("heartbeat backend health " + str(health) + " unknown");
  }
  m.health = static_cast<BackendHealth>(health);
  m.failed_cores = readU32s(in.getFailedCores());
  return Message(std::move(m));
}

Result<Message> readFault(schema::HardwareFault::Reader in) {
  HardwareFault m;
  m.worker.name = toStdString(in.getWorker());
  SPIKELINE_ASSIGN_OR_RETURN(m.backend, readBackend(in.getBackend(), "hardware fault"));
  m.failed_cores = readU32s(in.getFailedCores());
  m.whole_device = in.getWholeDevice();
  m.detail = toStdString(in.getDetail());
  m.at_ns = in.getAtNs();
  return Message(std::move(m));
}

Status writeAck(const Ack& m, schema::Ack::Builder out) {
  out.setRequestId(m.request_id);
  out.setAttempt(m.attempt);
  out.setStage(m.stage);
  if (m.kind != AckKind::kNack && (m.code != StatusCode::kOk || !m.message.empty())) {
    return invalidArgument("only a nack carries a status code and message");
  }
  switch (m.kind) {
    case AckKind::kReceived:
      out.initKind().setReceived();
      return Status::ok();
    case AckKind::kHandedOn:
      out.initKind().setHandedOn();
      return Status::ok();
    case AckKind::kNack:
      break;
  }
  if (!isErrorCode(m.code)) return invalidArgument("nack needs an error status code");
  auto nack = out.initKind().initNack();
  nack.setCode(static_cast<int32_t>(m.code));
  nack.setMessage(m.message);
  return Status::ok();
}

Result<Message> readAck(schema::Ack::Reader in) {
  Ack m;
  m.request_id = in.getRequestId();
  m.attempt = in.getAttempt();
  m.stage = toStdString(in.getStage());
  const auto kind = in.getKind();
  switch (kind.which()) {
    case schema::Ack::Kind::UNSET:
      return invalidArgument("ack kind missing (union not set)");
    case schema::Ack::Kind::RECEIVED:
      m.kind = AckKind::kReceived;
      return Message(std::move(m));
    case schema::Ack::Kind::HANDED_ON:
      m.kind = AckKind::kHandedOn;
      return Message(std::move(m));
    case schema::Ack::Kind::NACK:
      break;
    default:
      return invalidArgument("unknown ack kind " + str(static_cast<uint16_t>(kind.which())));
  }
  const auto nack = kind.getNack();
  m.kind = AckKind::kNack;
  SPIKELINE_ASSIGN_OR_RETURN(m.code, readErrorCode(nack.getCode(), "nack"));
  m.message = toStdString(nack.getMessage());
  return Message(std::move(m));
}

void writeRoutes(const RouteTable& m, schema::RouteTable::Builder out) {
  out.setEpoch(m.epoch);
  auto models = out.initModels(static_cast<unsigned>(m.models.size()));
  for (unsigned i = 0; i < m.models.size(); ++i) {
    auto model = models[i].initModel();
    model.setName(m.models[i].model.name);
    model.setVersion(m.models[i].model.version);
    const auto& stages_in = m.models[i].stages;
    auto stages = models[i].initStages(static_cast<unsigned>(stages_in.size()));
    for (unsigned s = 0; s < stages_in.size(); ++s) {
      stages[s].setName(stages_in[s].name);
      stages[s].setOperatorId(stages_in[s].op.value);
      auto replicas = stages[s].initReplicas(static_cast<unsigned>(stages_in[s].replicas.size()));
      for (unsigned r = 0; r < stages_in[s].replicas.size(); ++r) {
        replicas[r].setWorker(stages_in[s].replicas[r].worker.name);
        replicas[r].setEndpoint(stages_in[s].replicas[r].endpoint);
        replicas[r].setCurveKey(stages_in[s].replicas[r].curve_key);
      }
    }
  }
}

StageRoute readStage(schema::StageRoute::Reader in) {
  StageRoute stage{toStdString(in.getName()), OperatorId{in.getOperatorId()}, {}};
  const auto replicas = in.getReplicas();
  stage.replicas.reserve(replicas.size());  // bounded: each element is in the message
  for (auto r : replicas) {
    stage.replicas.push_back(
        Replica{WorkerId{toStdString(r.getWorker())}, toStdString(r.getEndpoint()),
                toStdString(r.getCurveKey())});
  }
  return stage;
}

Result<Message> readRoutes(schema::RouteTable::Reader in) {
  RouteTable m;
  m.epoch = in.getEpoch();
  const auto models = in.getModels();
  m.models.reserve(models.size());
  for (auto model : models) {
    const auto ref = model.getModel();
    ModelRoute route{ModelRef{toStdString(ref.getName()), ref.getVersion()}, {}};
    const auto stages = model.getStages();
    route.stages.reserve(stages.size());
    for (auto stage : stages) route.stages.push_back(readStage(stage));
    m.models.push_back(std::move(route));
  }
  return Message(std::move(m));
}

}  // namespace

Status writeControl(const Message& message, schema::Envelope::Builder out) {
  if (const auto* m = std::get_if<RegisterWorker>(&message)) {
    writeRegister(*m, out.initRegisterWorker());
  } else if (const auto* m = std::get_if<Heartbeat>(&message)) {
    if (!std::isfinite(m->load) || m->load < 0.0f) {
      return invalidArgument("heartbeat load must be finite and >= 0");
    }
    auto hb = out.initHeartbeat();
    hb.setWorker(m->worker.name);
    hb.setSeq(m->seq);
    hb.setLoad(m->load);
    hb.setHealth(static_cast<schema::BackendHealth>(m->health));
    fillU32s(m->failed_cores, hb.initFailedCores(static_cast<unsigned>(m->failed_cores.size())));
  } else if (const auto* m = std::get_if<Deregister>(&message)) {
    auto leave = out.initDeregister();
    leave.setWorker(m->worker.name);
    leave.setReason(m->reason);
  } else if (const auto* m = std::get_if<HardwareFault>(&message)) {
    auto fault = out.initHardwareFault();
    fault.setWorker(m->worker.name);
    fault.setBackend(static_cast<schema::BackendKind>(m->backend));
    fillU32s(m->failed_cores, fault.initFailedCores(static_cast<unsigned>(m->failed_cores.size())));
    fault.setWholeDevice(m->whole_device);
    fault.setDetail(m->detail);
    fault.setAtNs(m->at_ns);
  } else if (const auto* m = std::get_if<CreditGrant>(&message)) {
    auto grant = out.initCreditGrant();
    grant.setIncarnation(m->incarnation);
    grant.setGrantedTotal(m->granted_total);
  } else if (const auto* m = std::get_if<Ack>(&message)) {
    return writeAck(*m, out.initAck());
  } else if (const auto* m = std::get_if<RouteTable>(&message)) {
    writeRoutes(*m, out.initRouteTable());
  } else if (const auto* m = std::get_if<ErrorReply>(&message)) {
    if (!isErrorCode(m->code)) return invalidArgument("error reply needs an error status code");
    auto err = out.initErrorReply();
    err.setRequestId(m->request_id);
    err.setCode(static_cast<int32_t>(m->code));
    err.setMessage(m->message);
    err.setStage(m->stage);
  } else if (const auto* m = std::get_if<InjectFault>(&message)) {
    auto fault = out.initInjectFault();
    fault.setWholeChip(m->whole_chip);
    fault.setCore(m->core);
    fault.setPermanent(m->permanent);
    fault.setFailingRuns(m->failing_runs);
  } else {
    return internalError("writeControl called with a spike frame");
  }
  return Status::ok();
}

Result<Message> readControl(schema::Envelope::Reader in) {
  using E = schema::Envelope;
  switch (in.which()) {
    case E::REGISTER_WORKER:
      return readRegister(in.getRegisterWorker());
    case E::HEARTBEAT:
      return readHeartbeat(in.getHeartbeat());
    case E::DEREGISTER: {
      const auto leave = in.getDeregister();
      return Message(
          Deregister{WorkerId{toStdString(leave.getWorker())}, toStdString(leave.getReason())});
    }
    case E::HARDWARE_FAULT:
      return readFault(in.getHardwareFault());
    case E::CREDIT_GRANT: {
      const auto grant = in.getCreditGrant();
      return Message(CreditGrant{grant.getIncarnation(), grant.getGrantedTotal()});
    }
    case E::ACK:
      return readAck(in.getAck());
    case E::ROUTE_TABLE:
      return readRoutes(in.getRouteTable());
    case E::ERROR_REPLY: {
      const auto err = in.getErrorReply();
      ErrorReply m{err.getRequestId(), StatusCode::kInternal, {}, {}};
      SPIKELINE_ASSIGN_OR_RETURN(m.code, readErrorCode(err.getCode(), "error reply"));
      m.message = toStdString(err.getMessage());
      m.stage = toStdString(err.getStage());
      return Message(std::move(m));
    }
    case E::INJECT_FAULT: {
      const auto f = in.getInjectFault();
      return Message(
          InjectFault{f.getWholeChip(), f.getCore(), f.getPermanent(), f.getFailingRuns()});
    }
    default:
      break;
  }
  return internalError("readControl called with envelope kind " +
                       str(static_cast<uint16_t>(in.which())));
}

}  // namespace spikeline::wire::detail
