#include "broker/placement.h"

#include <algorithm>
#include <limits>
#include <set>
#include <string>

namespace spikeline::broker {
namespace {

// What one pool needs, merged over every stage that uses it.
struct PoolNeed {
  OperatorId pool;
  Placement placement;
  Precision precision = Precision::kFloat32;
  std::vector<std::string> users;  // "model/stage"
};

std::vector<PoolNeed> collectNeeds(const std::vector<DeployedModel>& models) {
  std::vector<const DeployedModel*> ordered;
  for (const auto& m : models) ordered.push_back(&m);
  std::sort(ordered.begin(), ordered.end(),
            [](const DeployedModel* a, const DeployedModel* b) { return a->model < b->model; });
  std::map<OperatorId, PoolNeed> needs;
  for (const DeployedModel* m : ordered) {
    for (const auto& stage : m->stages) {
      auto [it, inserted] = needs.try_emplace(stage.pool);
      PoolNeed& need = it->second;
      if (inserted) {
        need.pool = stage.pool;
        need.placement = stage.placement;
        need.precision = m->precision;
      } else {
        need.placement.replicas = std::max(need.placement.replicas, stage.placement.replicas);
        need.placement.standby = std::max(need.placement.standby, stage.placement.standby);
      }
      need.users.push_back(m->model.toString() + "/" + stage.name);
    }
  }
  std::vector<PoolNeed> out;
  for (auto& [pool, need] : needs) out.push_back(std::move(need));
  return out;
}

// Rank of `backend` in the placement's allowed list; max() when not allowed.
size_t backendRank(const Placement& p, BackendKind backend) {
  if (p.backends.empty()) return 0;
  size_t allowed = p.allow_fallback ? p.backends.size() : 1;
  for (size_t i = 0; i < allowed; ++i) {
    if (p.backends[i] == backend) return i;
  }
  return std::numeric_limits<size_t>::max();
}

bool qualifies(const PoolNeed& need, const WorkerInfo& w, const HealthSnapshot& health) {
  if (!health.isUp(w.id) || w.capacity == 0) return false;
  if (backendRank(need.placement, w.backend) == std::numeric_limits<size_t>::max()) return false;
  if (w.precisions.empty()) return true;
  return std::find(w.precisions.begin(), w.precisions.end(), need.precision) != w.precisions.end();
}

std::string backendList(const Placement& p) {
  std::string s;
  for (auto b : p.backends) s += (s.empty() ? "" : ",") + std::string(backendKindName(b));
  return "[" + s + "]";
}

struct Planner {
  const std::vector<WorkerInfo>& workers;
  const HealthSnapshot& health;
  const PlacementMap& previous;
  std::set<std::string> taken;
  std::map<OperatorId, std::vector<const WorkerInfo*>> members;

  const WorkerInfo* find(const WorkerId& id) const {
    for (const auto& w : workers) {
      if (w.id == id) return &w;
    }
    return nullptr;
  }

  // Keeps the pool's previous serving members that still qualify.
  void keepServing(const PoolNeed& need) {
    auto it = previous.pools.find(need.pool);
    if (it == previous.pools.end()) return;
    for (const auto& id : it->second.serving) take(need, id);
  }

  // Keeps the pool's previous standby members that still qualify and are still free, preferred
  // backend first, until the pool has `want` members.
  void keepStandby(const PoolNeed& need, size_t want) {
    auto it = previous.pools.find(need.pool);
    if (it == previous.pools.end()) return;
    std::vector<WorkerId> standby = it->second.standby;
    std::stable_sort(standby.begin(), standby.end(), [&](const WorkerId& a, const WorkerId& b) {
      const WorkerInfo* wa = find(a);
      const WorkerInfo* wb = find(b);
      const size_t ra = wa == nullptr ? kNoRank : backendRank(need.placement, wa->backend);
      const size_t rb = wb == nullptr ? kNoRank : backendRank(need.placement, wb->backend);
      return ra < rb;
    });
    for (const auto& id : standby) {
      if (members[need.pool].size() >= want) return;
      take(need, id);
    }
  }

  void take(const PoolNeed& need, const WorkerId& id) {
    const WorkerInfo* w = find(id);
    if (w == nullptr || taken.count(id.name) || !qualifies(need, *w, health)) return;
    taken.insert(id.name);
    members[need.pool].push_back(w);
  }

  static constexpr size_t kNoRank = std::numeric_limits<size_t>::max();

  size_t sameNode(const PoolNeed& need, const WorkerInfo& w) {
    size_t n = 0;
    for (const auto* m : members[need.pool]) n += m->node == w.node ? 1 : 0;
    return n;
  }

  // Adds free qualifying workers to `need`'s pool until it has `want` members, taking only
  // workers whose backend rank is at most `max_rank` (0 = the preferred backend only).
  void fill(const PoolNeed& need, size_t want, size_t max_rank) {
    auto& mine = members[need.pool];
    while (mine.size() < want) {
      const WorkerInfo* best = nullptr;
      auto key = [&](const WorkerInfo& w) {
        return std::make_tuple(backendRank(need.placement, w.backend), sameNode(need, w),
                               std::numeric_limits<uint32_t>::max() - w.capacity, w.id.name);
      };
      for (const auto& w : workers) {
        if (taken.count(w.id.name) || !qualifies(need, w, health)) continue;
        if (backendRank(need.placement, w.backend) > max_rank) continue;
        if (best == nullptr || key(w) < key(*best)) best = &w;
      }
      if (best == nullptr) return;
      taken.insert(best->id.name);
      mine.push_back(best);
    }
  }

  // Releases members beyond replicas + standby (a placement asked for fewer than before).
  void trim(const PoolNeed& need) {
    auto& mine = members[need.pool];
    while (mine.size() > need.placement.replicas + need.placement.standby) {
      taken.erase(mine.back()->id.name);
      mine.pop_back();
    }
  }
};

bool contains(const std::vector<WorkerId>& v, const WorkerId& w) {
  return std::find(v.begin(), v.end(), w) != v.end();
}

PoolAssignment order(const PoolNeed& need, std::vector<const WorkerInfo*> mine,
                     const PoolAssignment* before) {
  auto key = [&](const WorkerInfo* w) {
    bool was_serving = before != nullptr && contains(before->serving, w->id);
    return std::make_tuple(backendRank(need.placement, w->backend), was_serving ? 0 : 1,
                           w->id.name);
  };
  std::sort(mine.begin(), mine.end(),
            [&](const WorkerInfo* a, const WorkerInfo* b) { return key(a) < key(b); });
  PoolAssignment out;
  for (size_t i = 0; i < mine.size(); ++i) {
    (i < need.placement.replicas ? out.serving : out.standby).push_back(mine[i]->id);
  }
  return out;
}

void diffEvents(const OperatorId& pool, const PoolAssignment& now, const PoolAssignment* before,
                std::vector<BrokerEvent>& events) {
  const std::string hex = pool.toHex();
  for (const auto& w : now.serving) {
    if (before != nullptr && contains(before->serving, w)) continue;
    bool was_standby = before != nullptr && contains(before->standby, w);
    events.push_back({was_standby ? "promoted" : "assigned", w.name, "serving pool " + hex});
  }
  for (const auto& w : now.standby) {
    if (before != nullptr && contains(before->standby, w)) continue;
    events.push_back({"standby", w.name, "standby for pool " + hex});
  }
  if (before == nullptr) return;
  for (const auto* list : {&before->serving, &before->standby}) {
    for (const auto& w : *list) {
      if (!contains(now.serving, w) && !contains(now.standby, w)) {
        events.push_back({"unassigned", w.name, "left pool " + hex});
      }
    }
  }
}

}  // namespace

PlacementOutcome computePlacement(const std::vector<DeployedModel>& models,
                                  const std::vector<WorkerInfo>& workers,
                                  const HealthSnapshot& health, const PlacementMap& previous) {
  const std::vector<PoolNeed> needs = collectNeeds(models);
  Planner planner{workers, health, previous, {}, {}};
  // Serving before standby, in every pool: previous serving members stay; a pool short of
  // serving replicas promotes its own standby first, then takes free workers (preferred backend,
  // then fallback) — a previous standby of another pool counts as free here, so no pool's
  // standby keeps a worker another pool needs to serve at all. Then standby: previous standby
  // members stay where still free, and free workers fill the rest (preferred, then fallback).
  constexpr size_t kAnyRank = std::numeric_limits<size_t>::max() - 1;
  for (const auto& need : needs) planner.keepServing(need);
  for (const auto& need : needs) planner.trim(need);
  for (const auto& need : needs) planner.keepStandby(need, need.placement.replicas);
  for (const size_t max_rank : {size_t{0}, kAnyRank}) {
    for (const auto& need : needs) planner.fill(need, need.placement.replicas, max_rank);
  }
  for (const auto& need : needs) {
    planner.keepStandby(need, need.placement.replicas + need.placement.standby);
  }
  for (const size_t max_rank : {size_t{0}, kAnyRank}) {
    for (const auto& need : needs) {
      planner.fill(need, need.placement.replicas + need.placement.standby, max_rank);
    }
  }

  PlacementOutcome out;
  for (const auto& need : needs) {
    auto prev_it = previous.pools.find(need.pool);
    const PoolAssignment* before = prev_it == previous.pools.end() ? nullptr : &prev_it->second;
    PoolAssignment now = order(need, planner.members[need.pool], before);
    diffEvents(need.pool, now, before, out.events);
    const std::string who = need.users.front() + " (pool " + need.pool.toHex() + ")";
    if (now.serving.empty()) {
      std::string why = "no healthy free worker with backend " +
                        (need.placement.allow_fallback || need.placement.backends.empty()
                             ? "in " + backendList(need.placement)
                             : std::string(backendKindName(need.placement.backends.front())) +
                                   " (fallback not allowed)");
      out.errors.push_back(resourceExhausted("stage " + who + " fits nowhere: " + why));
      out.events.push_back({"unplaced", need.pool.toHex(), out.errors.back().message()});
    } else if (now.serving.size() < need.placement.replicas) {
      out.events.push_back({"degraded", need.pool.toHex(),
                            who + ": " + std::to_string(now.serving.size()) + " of " +
                                std::to_string(need.placement.replicas) + " replicas serving"});
    }
    out.placement.pools[need.pool] = std::move(now);
  }
  for (const auto& [pool, before] : previous.pools) {
    if (out.placement.pools.count(pool)) continue;
    diffEvents(pool, PoolAssignment{}, &before, out.events);
  }
  return out;
}

}  // namespace spikeline::broker
