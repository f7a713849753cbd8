#include "broker/redis_connection.h"

#include <hiredis/hiredis.h>

#include <algorithm>

namespace spikeline::broker {
namespace {

redisContext* ctx(void* p) { return static_cast<redisContext*>(p); }

RedisValue convert(const redisReply* r) {
  RedisValue v;
  switch (r->type) {
    case REDIS_REPLY_INTEGER:
      v.kind = RedisValue::Kind::kInteger;
      v.integer = r->integer;
      break;
    case REDIS_REPLY_STRING:
    case REDIS_REPLY_STATUS:
      v.kind = RedisValue::Kind::kString;
      v.str.assign(r->str, r->len);
      break;
    case REDIS_REPLY_ARRAY:
      v.kind = RedisValue::Kind::kArray;
      for (size_t i = 0; i < r->elements; ++i) v.elements.push_back(convert(r->element[i]));
      break;
    default:
      break;
  }
  return v;
}

timeval toTimeval(int ms) { return timeval{ms / 1000, (ms % 1000) * 1000}; }

}  // namespace

RedisConnection::RedisConnection(const RedisOptions& options) : options_(options) {}

RedisConnection::~RedisConnection() {
  if (context_ != nullptr) redisFree(ctx(context_));
}

void RedisConnection::dropConnection(const std::string& why) {
  if (context_ != nullptr) redisFree(ctx(context_));
  context_ = nullptr;
  last_error_ = why;
  backoff_ms_ = backoff_ms_ == 0 ? options_.backoff_initial_ms
                                 : std::min(backoff_ms_ * 2, options_.backoff_max_ms);
  next_attempt_ = std::chrono::steady_clock::now() + std::chrono::milliseconds(backoff_ms_);
}

Status RedisConnection::ensureConnected() {
  if (context_ != nullptr) return Status::ok();
  const std::string where = options_.host + ":" + std::to_string(options_.port);
  if (std::chrono::steady_clock::now() < next_attempt_) {
    return unavailable("redis " + where + " unreachable (" + last_error_ + "); retrying later");
  }
  redisContext* c = redisConnectWithTimeout(options_.host.c_str(), options_.port,
                                            toTimeval(options_.connect_timeout_ms));
  if (c == nullptr || c->err != 0) {
    std::string why = c != nullptr ? c->errstr : "cannot allocate a redis context";
    if (c != nullptr) redisFree(c);
    dropConnection(why);
    return unavailable("redis " + where + ": " + why);
  }
  redisSetTimeout(c, toTimeval(options_.command_timeout_ms));
  if (!options_.password.empty()) {
    const std::string user = options_.user.empty() ? "default" : options_.user;
    const char* argv[] = {"AUTH", user.c_str(), options_.password.c_str()};
    const size_t lens[] = {4, user.size(), options_.password.size()};
    auto* reply = static_cast<redisReply*>(redisCommandArgv(c, 3, argv, lens));
    std::string why;
    if (reply == nullptr) {
      why = c->errstr;
    } else if (reply->type == REDIS_REPLY_ERROR) {
      why = "AUTH as '" + user + "' refused: " + std::string(reply->str, reply->len);
    }
    if (reply != nullptr) freeReplyObject(reply);
    if (!why.empty()) {
      redisFree(c);
      dropConnection(why);
      return invalidArgument("redis " + where + ": " + why);
    }
  }
  context_ = c;
  backoff_ms_ = 0;
  ++connections_;
  return Status::ok();
}

Result<RedisValue> RedisConnection::run(const std::vector<std::string>& args) {
  SPIKELINE_RETURN_IF_ERROR(ensureConnected());
  std::vector<const char*> argv;
  std::vector<size_t> lens;
  for (const auto& a : args) {
    argv.push_back(a.data());
    lens.push_back(a.size());
  }
  auto* reply = static_cast<redisReply*>(
      redisCommandArgv(ctx(context_), static_cast<int>(argv.size()), argv.data(), lens.data()));
  if (reply == nullptr) {
    std::string why = ctx(context_)->errstr;
    dropConnection(why);
    return unavailable("redis connection lost: " + why);
  }
  if (reply->type == REDIS_REPLY_ERROR) {
    std::string msg(reply->str, reply->len);
    freeReplyObject(reply);
    if (msg.rfind("NOAUTH", 0) == 0 || msg.rfind("WRONGPASS", 0) == 0 ||
        msg.rfind("NOPERM", 0) == 0) {  // credentials missing, wrong or without the right
      return invalidArgument("redis " + args.front() + ": " + msg +
                             " (credentials: --redis-user, --redis-password-file or "
                             "SPIKELINE_REDIS_PASSWORD)");
    }
    return internalError("redis " + args.front() + ": " + msg);
  }
  RedisValue value = convert(reply);
  freeReplyObject(reply);
  return value;
}

Status RedisConnection::runAtomically(const std::vector<std::vector<std::string>>& commands) {
  SPIKELINE_ASSIGN_OR_RETURN(auto begin, run({"MULTI"}));
  (void)begin;
  for (const auto& c : commands) {
    auto r = run(c);
    if (!r) {
      if (r.status().code() != StatusCode::kUnavailable) (void)run({"DISCARD"});
      return r.status();
    }
  }
  SPIKELINE_ASSIGN_OR_RETURN(auto done, run({"EXEC"}));
  if (done.kind != RedisValue::Kind::kArray) return internalError("redis EXEC aborted");
  return Status::ok();
}

}  // namespace spikeline::broker
