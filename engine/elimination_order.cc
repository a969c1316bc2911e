#include "engine/elimination_order.h"

#include <algorithm>
#include <bit>
#include <functional>
#include <string>

#include "engine/error.h"

namespace dgm::engine {

namespace {

constexpr std::int64_t kInt64Max = std::numeric_limits<std::int64_t>::max();

// a·b, or INT64_MAX when the product does not fit (a, b ≥ 0).
std::int64_t saturating_mul(std::int64_t a, std::int64_t b) {
  std::int64_t product;
  return __builtin_mul_overflow(a, b, &product) ? kInt64Max : product;
}

// The candidates ordered by (fill, degree, id), smallest first, with lazy invalidation: an
// update pushes a fresh entry instead of finding the old one, and an entry is stale when its
// (fill, degree) no longer match the vertex (or the vertex is gone). Fills are small for the
// vertices min-fill actually picks, so entries are bucketed by fill, each bucket a min-heap of
// (degree, id) packed into one integer: pops touch only the small buckets at the front, never
// a heap holding every vertex of a huge graph (a million untouched lattice sites sit in the
// fill-6 bucket and cost nothing until they are reached). Fills beyond the buckets go to one
// ordinary heap. The queue counts the live entries (one per remaining vertex, under its
// latest key) of each bucket, and purges a bucket of stale and duplicate entries once they
// outnumber the live ones: amortised O(1) per push.
class CandidateQueue {
 public:
  struct Entry {
    std::int64_t fill;
    std::int32_t degree;
    std::int32_t id;
  };

  CandidateQueue() : buckets_(kBuckets + 1), live_(kBuckets + 1, 0) {}

  // Builds the initial queue in O(n), one entry per vertex.
  void assign(std::span<const Entry> entries) {
    for (const Entry& e : entries) {
      if (e.fill < kBuckets) {
        buckets_[e.fill].push_back(pack(e.degree, e.id));
        lowest_ = std::min<std::int64_t>(lowest_, e.fill);
      } else {
        overflow_.push_back(e);
      }
      ++live_[slot(e.fill)];
    }
    for (std::int64_t f = 0; f < kBuckets; ++f)
      std::make_heap(buckets_[f].begin(), buckets_[f].end(), std::greater<>());
    std::make_heap(overflow_.begin(), overflow_.end(), LaterEntry{});
  }

  // Queues a vertex's new key; `previous_fill` is the fill of its previous key, whose entry
  // is now stale. A purge calls keep(nullptr) to start, then keep(&entry) for every entry of
  // the bucket, and keeps those for which it returns true (the first current entry of each
  // vertex).
  template <typename Keep>
  void push(const Entry& e, std::int64_t previous_fill, Keep&& keep) {
    --live_[slot(previous_fill)];
    ++live_[slot(e.fill)];
    if (e.fill < kBuckets) {
      auto& bucket = buckets_[e.fill];
      bucket.push_back(pack(e.degree, e.id));
      std::push_heap(bucket.begin(), bucket.end(), std::greater<>());
      lowest_ = std::min<std::int64_t>(lowest_, e.fill);
      if (bucket.size() >= 2 * live_[e.fill] + kMinPurge) {
        keep(nullptr);
        std::erase_if(bucket, [&](std::uint64_t x) {
          const Entry entry = unpack(e.fill, x);
          return !keep(&entry);
        });
        std::make_heap(bucket.begin(), bucket.end(), std::greater<>());
      }
      return;
    }
    overflow_.push_back(e);
    std::push_heap(overflow_.begin(), overflow_.end(), LaterEntry{});
    if (overflow_.size() >= 2 * live_[kBuckets] + kMinPurge) {
      keep(nullptr);
      std::erase_if(overflow_, [&](const Entry& x) { return !keep(&x); });
      std::make_heap(overflow_.begin(), overflow_.end(), LaterEntry{});
    }
  }

  // A vertex with a queued key of this fill is gone.
  void remove(std::int64_t fill) { --live_[slot(fill)]; }

  // Removes and returns the smallest entry (possibly stale); false when empty.
  bool pop(Entry& out) {
    while (lowest_ < kBuckets && buckets_[lowest_].empty()) ++lowest_;
    if (lowest_ < kBuckets) {
      auto& bucket = buckets_[lowest_];
      std::pop_heap(bucket.begin(), bucket.end(), std::greater<>());
      out = unpack(lowest_, bucket.back());
      bucket.pop_back();
      return true;
    }
    if (overflow_.empty()) return false;
    std::pop_heap(overflow_.begin(), overflow_.end(), LaterEntry{});
    out = overflow_.back();
    overflow_.pop_back();
    return true;
  }

 private:
  static constexpr std::int64_t kBuckets = 64;
  static constexpr std::size_t kMinPurge = 1024;

  static std::size_t slot(std::int64_t fill) {
    return static_cast<std::size_t>(std::min(fill, kBuckets));
  }
  // Degree in the high half, id in the low half: integer order is (degree, id) order.
  static std::uint64_t pack(std::int32_t degree, std::int32_t id) {
    return (static_cast<std::uint64_t>(degree) << 32) | static_cast<std::uint32_t>(id);
  }
  static Entry unpack(std::int64_t fill, std::uint64_t x) {
    return {fill, static_cast<std::int32_t>(x >> 32), static_cast<std::int32_t>(x & 0xffffffffu)};
  }

  // std heaps keep the largest on top; "larger" here means popped later.
  struct LaterEntry {
    bool operator()(const Entry& a, const Entry& b) const {
      if (a.fill != b.fill) return a.fill > b.fill;
      if (a.degree != b.degree) return a.degree > b.degree;
      return a.id > b.id;
    }
  };

  std::vector<std::vector<std::uint64_t>> buckets_;  // [kBuckets] unused: overflow_ instead
  std::vector<std::size_t> live_;                    // per bucket; [kBuckets]: overflow
  std::int64_t lowest_ = kBuckets;                   // no non-empty bucket below this
  std::vector<Entry> overflow_;
};

// The elimination graph: the interaction graph restricted to the requested variables, to
// which fill edges are added as variables are eliminated.
//
// Layout matters here: on a huge lattice the search runs hundreds of thousands of cheap
// steps along a moving front, so every vertex's state (adjacency slot, fill, marks) sits in
// one 32-byte record indexed by id, and adjacency lists live in one pool, initially in id
// order (a list that outgrows its slot moves to a slot twice as large). Lists are unordered;
// nothing depends on their order, so the result is deterministic.
class MinFill {
 public:
  MinFill(const Graph& graph, std::span<const std::int32_t> variables)
      : graph_(graph), vertex_(graph.num_variables()) {
    const std::int32_t n = graph.num_variables();
    for (std::int32_t v : variables) {
      if (v < 0 || v >= n)
        throw Error("elimination order: variable id " + std::to_string(v) +
                    " is out of range (the model has " + std::to_string(n) + " variables)");
      if (vertex_[v].capacity != 0)
        throw Error("elimination order: variable " + graph.variable_name(v) + " is listed twice");
      vertex_[v].capacity = 1;  // marks "requested" until the slots are laid out
    }
    // Slots in id order, with room to grow by a few fill edges before moving.
    std::int64_t total = 0;
    for (std::int32_t v = 0; v < n; ++v) {
      if (vertex_[v].capacity == 0) continue;
      std::int32_t degree = 0;
      for (std::int32_t u : graph.neighbours_of(v)) degree += vertex_[u].capacity != 0;
      vertex_[v].start = total;
      vertex_[v].capacity =
          static_cast<std::int32_t>(std::bit_ceil(static_cast<std::uint32_t>(degree + kSlack)));
      total += vertex_[v].capacity;
    }
    pool_.resize(static_cast<std::size_t>(total));
    for (std::int32_t v = 0; v < n; ++v) {
      Vertex& x = vertex_[v];
      if (x.capacity == 0) continue;
      for (std::int32_t u : graph.neighbours_of(v))
        if (vertex_[u].capacity != 0) pool_[x.start + x.size++] = u;
    }
    variables_.assign(variables.begin(), variables.end());
    uniform_cardinality_ = variables.empty() ? 0 : graph.cardinality[variables[0]];
    for (std::int32_t v : variables)
      if (graph.cardinality[v] != uniform_cardinality_) uniform_cardinality_ = 0;
  }

  EliminationOrder run(std::int64_t max_table_entries, int max_induced_width) {
    EliminationOrder result;
    result.order.reserve(variables_.size());
    if (variables_.empty()) {
      result.complete = true;
      return result;
    }
    // If every variable's clique is already too large, any order fails at its first step:
    // answer now rather than computing fills (Θ(Σ deg²), which is large for dense graphs).
    std::int64_t smallest_table = kInt64Max;
    int smallest_degree = std::numeric_limits<int>::max();
    for (std::int32_t v : variables_) {
      const std::int64_t table = clique_table(v);
      const int degree = vertex_[v].size;
      if (fits(table, degree, max_table_entries, max_induced_width)) {
        smallest_table = -1;
        break;
      }
      smallest_table = std::min(smallest_table, table);
      smallest_degree = std::min(smallest_degree, degree);
    }
    if (smallest_table >= 0) {
      result.induced_width = smallest_degree;
      result.largest_table = smallest_table;
      return result;
    }

    std::vector<CandidateQueue::Entry> initial;
    initial.reserve(variables_.size());
    for (std::int32_t v : variables_) {
      vertex_[v].fill = count_fill(v);
      initial.push_back({vertex_[v].fill, vertex_[v].size, v});
    }
    CandidateQueue queue;
    queue.assign(initial);
    initial = {};

    std::vector<std::int32_t> neighbours;
    // Vertices whose fill or degree may change in a step, with the key they had before it
    // (which is queued: every remaining vertex's key is queued between steps).
    std::vector<CandidateQueue::Entry> affected;
    auto is_current = [&](const CandidateQueue::Entry& e) {
      const Vertex& x = vertex_[e.id];
      return x.size >= 0 && e.fill == x.fill && e.degree == x.size;
    };
    // For purges: the current entries, each vertex's once.
    std::uint32_t purge_stamp = 0;
    auto keep_once = [&](const CandidateQueue::Entry* e) {
      if (e == nullptr) {
        purge_stamp = next_stamp();
        return true;
      }
      if (!is_current(*e) || vertex_[e->id].mark == purge_stamp) return false;
      vertex_[e->id].mark = purge_stamp;
      return true;
    };
    CandidateQueue::Entry top;
    while (queue.pop(top)) {
      if (!is_current(top)) continue;  // stale
      const std::int32_t v = top.id;
      const auto adjacent = list(v);
      neighbours.assign(adjacent.begin(), adjacent.end());
      const std::int64_t table = clique_table(v);
      const int width = static_cast<int>(neighbours.size());
      result.induced_width = std::max(result.induced_width, width);
      result.largest_table = std::max(result.largest_table, table);
      if (!fits(table, width, max_table_entries, max_induced_width)) return result;
      result.order.push_back(v);

      // Only the neighbours of v and the common neighbours of the endpoints of a fill edge
      // change fill or degree; they get fresh entries, everything else keeps its own.
      const std::uint32_t round = next_affected_stamp();
      affected.clear();
      auto touch = [&](std::int32_t w) {  // before w's fill or degree changes
        Vertex& x = vertex_[w];
        if (w != v && x.affected_mark != round) {
          x.affected_mark = round;
          affected.push_back({x.fill, x.size, w});
        }
      };
      for (std::int32_t a : neighbours) touch(a);
      add_fill_edges(v, neighbours, touch);
      // With the neighbours now a clique, the pairs (v, x) in N(a) that were not adjacent are
      // exactly x ∈ N(a) \ N[v]: deg(a) − |N(v)| of them leave a's fill with v.
      for (std::int32_t a : neighbours) {
        vertex_[a].fill -= vertex_[a].size - width;
        remove_from_list(a, v);
      }
      release_slot(vertex_[v].start, vertex_[v].capacity);
      vertex_[v].size = -1;  // eliminated: invalidates any entry of v still queued
      queue.remove(top.fill);
      for (const CandidateQueue::Entry& before : affected) {
        const Vertex& x = vertex_[before.id];
        if (x.fill == before.fill && x.size == before.degree) continue;  // entry still valid
        queue.push({x.fill, x.size, before.id}, before.fill, keep_once);
      }
    }
    result.complete = true;
    return result;
  }

 private:
  struct Vertex {
    std::int64_t start = 0;     // of the adjacency list in pool_
    std::int64_t fill = 0;      // non-adjacent pairs of neighbours
    std::int32_t size = 0;      // current degree; −1 once eliminated
    std::int32_t capacity = 0;  // 0: not a requested variable
    std::uint32_t mark = 0;     // == stamp_: in the set being tested
    std::uint32_t affected_mark = 0;
  };
  static constexpr std::int32_t kSlack = 2;

  static bool fits(std::int64_t table, int width, std::int64_t max_table_entries,
                   int max_induced_width) {
    // An overflowing product saturates at INT64_MAX, which exceeds every limit but "none".
    return table <= max_table_entries && width <= max_induced_width;
  }

  std::span<std::int32_t> list(std::int32_t v) {
    const Vertex& x = vertex_[v];
    return {pool_.data() + x.start, static_cast<std::size_t>(x.size)};
  }

  // Slots have power-of-two capacities; a full list moves to a slot twice as large, taken
  // from the free slots of that size when there is one, so memory stays proportional to the
  // edges alive rather than to every list's history.
  void append(std::int32_t v, std::int32_t u) {
    Vertex& x = vertex_[v];
    if (x.size == x.capacity) {
      const std::int64_t start = allocate_slot(2 * x.capacity);
      std::copy_n(pool_.begin() + x.start, x.size, pool_.begin() + start);
      release_slot(x.start, x.capacity);
      x.start = start;
      x.capacity *= 2;
    }
    pool_[x.start + x.size++] = u;
  }

  std::int64_t allocate_slot(std::int32_t capacity) {
    const auto k = static_cast<std::size_t>(std::countr_zero(static_cast<std::uint32_t>(capacity)));
    if (k < free_slots_.size() && !free_slots_[k].empty()) {
      const std::int64_t start = free_slots_[k].back();
      free_slots_[k].pop_back();
      return start;
    }
    const auto start = static_cast<std::int64_t>(pool_.size());
    pool_.resize(pool_.size() + static_cast<std::size_t>(capacity));
    return start;
  }

  void release_slot(std::int64_t start, std::int32_t capacity) {
    const auto k = static_cast<std::size_t>(std::countr_zero(static_cast<std::uint32_t>(capacity)));
    if (k >= free_slots_.size()) free_slots_.resize(k + 1);
    free_slots_[k].push_back(start);
  }

  void remove_from_list(std::int32_t a, std::int32_t v) {
    auto adj = list(a);
    auto it = std::find(adj.begin(), adj.end(), v);
    *it = adj.back();
    --vertex_[a].size;
  }

  // Fresh stamps; on the (rare) wrap-around every mark is cleared so no stale mark matches.
  std::uint32_t next_stamp() {
    if (++stamp_ == 0) {
      for (Vertex& x : vertex_) x.mark = 0;
      stamp_ = 1;
    }
    return stamp_;
  }
  std::uint32_t next_affected_stamp() {
    if (++affected_stamp_ == 0) {
      for (Vertex& x : vertex_) x.affected_mark = 0;
      affected_stamp_ = 1;
    }
    return affected_stamp_;
  }

  // Entries of the table over v and its current neighbours.
  std::int64_t clique_table(std::int32_t v) {
    if (uniform_cardinality_ > 0) {
      std::int64_t size = 1;
      for (std::int32_t i = 0; i <= vertex_[v].size && size != kInt64Max; ++i)
        size = saturating_mul(size, uniform_cardinality_);
      return size;
    }
    std::int64_t size = graph_.cardinality[v];
    for (std::int32_t u : list(v)) size = saturating_mul(size, graph_.cardinality[u]);
    return size;
  }

  // Number of pairs of neighbours of w that are not adjacent: d(d−1)/2 minus the edges among
  // the neighbours, each of which is seen from both of its ends.
  std::int64_t count_fill(std::int32_t w) {
    const std::uint32_t stamp = next_stamp();
    for (std::int32_t a : list(w)) vertex_[a].mark = stamp;
    std::int64_t ends = 0;
    for (std::int32_t a : list(w))
      for (std::int32_t b : list(a)) ends += vertex_[b].mark == stamp;
    const std::int64_t d = vertex_[w].size;
    return d * (d - 1) / 2 - ends / 2;
  }

  // Connects the non-adjacent pairs of v's neighbours, keeping every fill count exact
  // without recounting (fills are kept incrementally so that a step costs O(fill · degree),
  // not O(degree³)). Adding the edge (a, b) with c common neighbours:
  //   * each common neighbour w loses the missing pair (a, b): fill(w) −= 1;
  //   * a gains the pairs (b, x), x ∈ N(a), that are not adjacent: deg(a) − c; same for b.
  template <typename Touch>
  void add_fill_edges(std::int32_t v, std::span<const std::int32_t> neighbours, Touch&& touch) {
    std::int64_t missing = vertex_[v].fill;
    for (std::size_t i = 0; i < neighbours.size() && missing > 0; ++i) {
      const std::int32_t a = neighbours[i];
      const std::uint32_t stamp = next_stamp();
      for (std::int32_t x : list(a)) vertex_[x].mark = stamp;  // N(a), kept up to date below
      for (std::size_t j = i + 1; j < neighbours.size() && missing > 0; ++j) {
        const std::int32_t b = neighbours[j];
        if (vertex_[b].mark == stamp) continue;
        std::int64_t common = 0;
        for (std::int32_t w : list(b)) {
          Vertex& x = vertex_[w];
          if (x.mark != stamp) continue;
          ++common;
          if (w != v) {
            touch(w);
            --x.fill;
          }
        }
        vertex_[a].fill += vertex_[a].size - common;
        vertex_[b].fill += vertex_[b].size - common;
        append(a, b);
        append(b, a);
        vertex_[b].mark = stamp;
        --missing;
      }
    }
  }

  const Graph& graph_;
  std::vector<std::int32_t> variables_;
  std::vector<Vertex> vertex_;
  std::vector<std::int32_t> pool_;
  std::vector<std::vector<std::int64_t>> free_slots_;  // by log2(capacity)
  std::int32_t uniform_cardinality_ = 0;  // of every requested variable, or 0 if they differ
  std::uint32_t stamp_ = 0, affected_stamp_ = 0;
};

}  // namespace

EliminationOrder min_fill_order(const Graph& graph, std::span<const std::int32_t> variables,
                                std::int64_t max_table_entries, int max_induced_width) {
  MinFill search(graph, variables);
  return search.run(max_table_entries, max_induced_width);
}

EliminationOrder min_fill_order(const Graph& graph, int max_induced_width) {
  std::vector<std::int32_t> all(graph.num_variables());
  for (std::int32_t v = 0; v < graph.num_variables(); ++v) all[v] = v;
  return min_fill_order(graph, all, kInt64Max, max_induced_width);
}

std::int64_t width_limit_to_table_limit(const Graph& graph, int max_induced_width) {
  std::int64_t largest = 1;
  for (std::int32_t k : graph.cardinality) largest = std::max<std::int64_t>(largest, k);
  std::int64_t limit = 1;
  for (int i = 0; i <= max_induced_width && limit != kInt64Max; ++i)
    limit = saturating_mul(limit, largest);
  return limit;
}

}  // namespace dgm::engine
