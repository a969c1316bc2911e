#include "engine/elimination_order.h"

#include <algorithm>
#include <bit>
#include <functional>
#include <string>
#include <utility>

#include "engine/error.h"

namespace dgm::engine {

namespace {

constexpr std::int64_t kInt64Max = std::numeric_limits<std::int64_t>::max();
constexpr int kIntMax = std::numeric_limits<int>::max();

// a·b, or INT64_MAX when the product does not fit (a, b ≥ 0).
std::int64_t saturating_mul(std::int64_t a, std::int64_t b) {
  std::int64_t product;
  return __builtin_mul_overflow(a, b, &product) ? kInt64Max : product;
}

// The candidates of a greedy heuristic ordered by (key, tie, id), smallest first — (fill,
// degree) for min-fill, (degree, 0) for min-degree — with lazy invalidation: an update pushes
// a fresh entry instead of finding the old one, and an entry is stale when its (key, tie) no
// longer match the vertex (or the vertex is gone). Keys are small for the vertices the
// heuristics actually pick, so entries are bucketed by key, each bucket a min-heap of (tie, id)
// packed into one integer: pops touch only the small buckets at the front, never a heap
// holding every vertex of a huge graph (a million untouched lattice sites sit in the fill-6
// bucket and cost nothing until they are reached). Keys beyond the buckets go to one ordinary
// heap. The queue counts the live entries (one per remaining vertex, under its latest key) of
// each bucket, and purges a bucket of stale and duplicate entries once they outnumber the live
// ones: amortised O(1) per push.
class CandidateQueue {
 public:
  struct Entry {
    std::int64_t key;
    std::int32_t tie;
    std::int32_t id;
    bool operator==(const Entry&) const = default;
  };

  CandidateQueue() : buckets_(kBuckets + 1), live_(kBuckets + 1, 0) {}

  // Builds the initial queue in O(n), one entry per vertex.
  void assign(std::span<const Entry> entries) {
    for (const Entry& e : entries) {
      if (e.key < kBuckets) {
        buckets_[e.key].push_back(pack(e.tie, e.id));
        lowest_ = std::min<std::int64_t>(lowest_, e.key);
      } else {
        overflow_.push_back(e);
      }
      ++live_[slot(e.key)];
    }
    for (std::int64_t f = 0; f < kBuckets; ++f)
      std::make_heap(buckets_[f].begin(), buckets_[f].end(), std::greater<>());
    std::make_heap(overflow_.begin(), overflow_.end(), LaterEntry{});
  }

  // Queues a vertex's new entry; `previous_key` is the key of its previous one, which is now
  // stale. A purge calls keep(nullptr) to start, then keep(&entry) for every entry of
  // the bucket, and keeps those for which it returns true (the first current entry of each
  // vertex).
  template <typename Keep>
  void push(const Entry& e, std::int64_t previous_key, Keep&& keep) {
    --live_[slot(previous_key)];
    ++live_[slot(e.key)];
    if (e.key < kBuckets) {
      auto& bucket = buckets_[e.key];
      bucket.push_back(pack(e.tie, e.id));
      std::push_heap(bucket.begin(), bucket.end(), std::greater<>());
      lowest_ = std::min<std::int64_t>(lowest_, e.key);
      if (bucket.size() >= 2 * live_[e.key] + kMinPurge) {
        keep(nullptr);
        std::erase_if(bucket, [&](std::uint64_t x) {
          const Entry entry = unpack(e.key, x);
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

  // A vertex with a queued key of this value is gone.
  void remove(std::int64_t key) { --live_[slot(key)]; }

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

  static std::size_t slot(std::int64_t key) {
    return static_cast<std::size_t>(std::min(key, kBuckets));
  }
  // Tie in the high half, id in the low half: integer order is (tie, id) order.
  static std::uint64_t pack(std::int32_t tie, std::int32_t id) {
    return (static_cast<std::uint64_t>(tie) << 32) | static_cast<std::uint32_t>(id);
  }
  static Entry unpack(std::int64_t key, std::uint64_t x) {
    return {key, static_cast<std::int32_t>(x >> 32), static_cast<std::int32_t>(x & 0xffffffffu)};
  }

  // std heaps keep the largest on top; "larger" here means popped later.
  struct LaterEntry {
    bool operator()(const Entry& a, const Entry& b) const {
      if (a.key != b.key) return a.key > b.key;
      if (a.tie != b.tie) return a.tie > b.tie;
      return a.id > b.id;
    }
  };

  std::vector<std::vector<std::uint64_t>> buckets_;  // [kBuckets] unused: overflow_ instead
  std::vector<std::size_t> live_;                    // per bucket; [kBuckets]: overflow
  std::int64_t lowest_ = kBuckets;                   // no non-empty bucket below this
  std::vector<Entry> overflow_;
};

// The elimination graph: the interaction graph restricted to the requested variables, to
// which fill edges are added as variables are eliminated. Every heuristic simulates its
// elimination on one of these.
//
// Layout matters here: on a huge lattice a search runs hundreds of thousands of cheap steps
// along a moving front, so every vertex's state (adjacency slot, fill, marks) sits in one
// 32-byte record indexed by id, and adjacency lists live in one pool, initially in id order
// (a list that outgrows its slot moves to a slot twice as large). Lists are unordered; nothing
// depends on their order, so the result is deterministic.
class EliminationGraph {
 public:
  EliminationGraph(const Graph& graph, std::span<const std::int32_t> variables)
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

  std::span<const std::int32_t> variables() const { return variables_; }

  // Current degree; −1 once eliminated.
  std::int32_t degree(std::int32_t v) const { return vertex_[v].size; }

  // Pairs of current neighbours of v that are not adjacent; only kept up to date by
  // eliminate<true> after set_fill has been given count_fill for every variable.
  std::int64_t fill(std::int32_t v) const { return vertex_[v].fill; }
  void set_fill(std::int32_t v, std::int64_t fill) { vertex_[v].fill = fill; }

  // Entries of the table over v and its current neighbours.
  std::int64_t clique_table(std::int32_t v) const {
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

  // Tags for the searches' own sets of vertices (independent of the marks used inside
  // eliminate): next_tag() starts a set, and tag(w, t) adds w to set t, returning false when
  // it was already there.
  std::uint32_t next_tag() {
    if (++tag_stamp_ == 0) {  // wrap-around: clear every tag so no stale one matches
      for (Vertex& x : vertex_) x.tag = 0;
      tag_stamp_ = 1;
    }
    return tag_stamp_;
  }
  bool tag(std::int32_t w, std::uint32_t t) {
    if (vertex_[w].tag == t) return false;
    vertex_[w].tag = t;
    return true;
  }

  // Eliminates v: its neighbours become a clique and v leaves the graph. touch(w) is called
  // for every vertex w ≠ v before its degree (or, with kTrackFill, its fill) changes, possibly
  // more than once. With kTrackFill every remaining fill count is kept exact without
  // recounting, at O(fill · degree) per step rather than O(degree³).
  template <bool kTrackFill, typename Touch>
  void eliminate(std::int32_t v, Touch&& touch) {
    const auto adjacent = list(v);
    neighbours_.assign(adjacent.begin(), adjacent.end());  // the pool may move below
    for (std::int32_t a : neighbours_) touch(a);
    add_fill_edges<kTrackFill>(v, touch);
    // With the neighbours now a clique, the pairs (v, x) in N(a) that were not adjacent are
    // exactly x ∈ N(a) \ N[v]: deg(a) − |N(v)| of them leave a's fill with v.
    const auto width = static_cast<std::int32_t>(neighbours_.size());
    for (std::int32_t a : neighbours_) {
      if constexpr (kTrackFill) vertex_[a].fill -= vertex_[a].size - width;
      remove_from_list(a, v);
    }
    release_slot(vertex_[v].start, vertex_[v].capacity);
    vertex_[v].size = -1;
  }

 private:
  struct Vertex {
    std::int64_t start = 0;     // of the adjacency list in pool_
    std::int64_t fill = 0;      // non-adjacent pairs of neighbours (when tracked)
    std::int32_t size = 0;      // current degree; −1 once eliminated
    std::int32_t capacity = 0;  // 0: not a requested variable
    std::uint32_t mark = 0;     // == stamp_: in the set being tested
    std::uint32_t tag = 0;      // for the searches (next_tag)
  };
  static constexpr std::int32_t kSlack = 2;

  std::span<const std::int32_t> list(std::int32_t v) const {
    const Vertex& x = vertex_[v];
    return {pool_.data() + x.start, static_cast<std::size_t>(x.size)};
  }

  // Slots have power-of-two capacities; a full list moves to a slot twice as large, taken
  // from the free slots of that size when there is one. Slots never shrink, so most free
  // slots are of sizes few lists ask for any more: before the pool would reallocate while
  // more than half of it is free, the live lists are compacted into a fresh pool instead, so
  // memory stays proportional to the lists alive rather than to every list's history.
  void append(std::int32_t v, std::int32_t u) {
    Vertex& x = vertex_[v];
    if (x.size == x.capacity) {
      const std::int64_t start = allocate_slot(2 * x.capacity);  // may move x's list
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
      free_entries_ -= capacity;
      return start;
    }
    if (pool_.size() + static_cast<std::size_t>(capacity) > pool_.capacity() &&
        2 * free_entries_ > pool_.size())
      compact();
    const auto start = static_cast<std::int64_t>(pool_.size());
    pool_.resize(pool_.size() + static_cast<std::size_t>(capacity));
    return start;
  }

  void release_slot(std::int64_t start, std::int32_t capacity) {
    const auto k = static_cast<std::size_t>(std::countr_zero(static_cast<std::uint32_t>(capacity)));
    if (k >= free_slots_.size()) free_slots_.resize(k + 1);
    free_slots_[k].push_back(start);
    free_entries_ += capacity;
  }

  // Moves every live list, with its capacity, to a fresh pool (in id order) with as much
  // room again to grow, and forgets the free slots.
  void compact() {
    std::size_t live = 0;
    for (const Vertex& x : vertex_)
      if (x.size >= 0) live += static_cast<std::size_t>(x.capacity);
    std::vector<std::int32_t> pool;
    pool.reserve(2 * live);
    for (Vertex& x : vertex_) {
      if (x.size < 0 || x.capacity == 0) continue;
      const auto start = static_cast<std::int64_t>(pool.size());
      pool.insert(pool.end(), pool_.begin() + x.start, pool_.begin() + x.start + x.size);
      pool.resize(pool.size() + static_cast<std::size_t>(x.capacity - x.size));
      x.start = start;
    }
    pool_.swap(pool);
    free_slots_.clear();
    free_entries_ = 0;
  }

  void remove_from_list(std::int32_t a, std::int32_t v) {
    Vertex& x = vertex_[a];
    const auto adj = pool_.begin() + x.start;
    const auto it = std::find(adj, adj + x.size, v);
    *it = adj[x.size - 1];
    --x.size;
  }

  // A fresh stamp; on the (rare) wrap-around every mark is cleared so no stale mark matches.
  std::uint32_t next_stamp() {
    if (++stamp_ == 0) {
      for (Vertex& x : vertex_) x.mark = 0;
      stamp_ = 1;
    }
    return stamp_;
  }

  // Connects the non-adjacent pairs of v's neighbours (neighbours_). With kTrackFill, adding
  // the edge (a, b) with c common neighbours updates the fills:
  //   * each common neighbour w loses the missing pair (a, b): fill(w) −= 1;
  //   * a gains the pairs (b, x), x ∈ N(a), that are not adjacent: deg(a) − c; same for b;
  // and the scan stops once fill(v) edges have been added.
  template <bool kTrackFill, typename Touch>
  void add_fill_edges(std::int32_t v, Touch& touch) {
    std::int64_t missing = kTrackFill ? vertex_[v].fill : kInt64Max;
    for (std::size_t i = 0; i < neighbours_.size() && missing > 0; ++i) {
      const std::int32_t a = neighbours_[i];
      const std::uint32_t stamp = next_stamp();
      for (std::int32_t x : list(a)) vertex_[x].mark = stamp;  // N(a), kept up to date below
      for (std::size_t j = i + 1; j < neighbours_.size() && missing > 0; ++j) {
        const std::int32_t b = neighbours_[j];
        if (vertex_[b].mark == stamp) continue;
        if constexpr (kTrackFill) {
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
        }
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
  std::size_t free_entries_ = 0;                       // in free slots
  std::vector<std::int32_t> neighbours_;               // of the variable being eliminated
  std::int32_t uniform_cardinality_ = 0;  // of every requested variable, or 0 if they differ
  std::uint32_t stamp_ = 0, tag_stamp_ = 0;
};

// A greedy search: min-fill (kMinFill: key fill, tie degree) or min-degree (key degree).
// Every remaining vertex's current entry is queued between steps; a step re-queues only the
// vertices whose entry it changed (the neighbours of the eliminated vertex and, for min-fill,
// the common neighbours of the ends of each fill edge).
template <bool kMinFill>
class GreedySearch {
 public:
  explicit GreedySearch(EliminationGraph& graph) : graph_(graph) {}

  void start() {
    std::vector<CandidateQueue::Entry> initial;
    initial.reserve(graph_.variables().size());
    for (std::int32_t v : graph_.variables()) {
      if constexpr (kMinFill) graph_.set_fill(v, graph_.count_fill(v));
      initial.push_back(entry(v));
    }
    queue_.assign(initial);
  }

  bool next(std::int32_t& v) {
    while (queue_.pop(top_)) {
      if (graph_.degree(top_.id) >= 0 && top_ == entry(top_.id)) {  // else stale
        v = top_.id;
        return true;
      }
    }
    return false;
  }

  void eliminate(std::int32_t v) {
    // The entries of the vertices the step changes, as they were (and are queued) before it.
    const std::uint32_t round = graph_.next_tag();
    affected_.clear();
    graph_.eliminate<kMinFill>(v, [&](std::int32_t w) {
      if (graph_.tag(w, round)) affected_.push_back(entry(w));
    });
    queue_.remove(top_.key);  // v's entry
    // For purges: the current entries, each vertex's once.
    std::uint32_t purge = 0;
    auto keep_once = [&](const CandidateQueue::Entry* e) {
      if (e == nullptr) {
        purge = graph_.next_tag();
        return true;
      }
      return graph_.degree(e->id) >= 0 && *e == entry(e->id) && graph_.tag(e->id, purge);
    };
    for (const CandidateQueue::Entry& before : affected_) {
      const CandidateQueue::Entry now = entry(before.id);
      if (now != before) queue_.push(now, before.key, keep_once);
    }
  }

 private:
  CandidateQueue::Entry entry(std::int32_t w) const {
    if constexpr (kMinFill) return {graph_.fill(w), graph_.degree(w), w};
    return {graph_.degree(w), 0, w};
  }

  EliminationGraph& graph_;
  CandidateQueue queue_;
  CandidateQueue::Entry top_{};  // the entry of the vertex last returned by next()
  std::vector<CandidateQueue::Entry> affected_;
};

// The variables by increasing id.
class NaturalOrder {
 public:
  explicit NaturalOrder(EliminationGraph& graph)
      : graph_(graph), order_(graph.variables().begin(), graph.variables().end()) {
    std::sort(order_.begin(), order_.end());
  }
  void start() {}
  bool next(std::int32_t& v) {
    if (next_ == order_.size()) return false;
    v = order_[next_++];
    return true;
  }
  void eliminate(std::int32_t v) {
    graph_.eliminate<false>(v, [](std::int32_t) {});
  }

 private:
  EliminationGraph& graph_;
  std::vector<std::int32_t> order_;
  std::size_t next_ = 0;
};

// When a simulation stops: at a clique beyond the caller's limits, or, in best-of searches,
// at one that makes the order worse than a completed candidate's, i.e. (table, width)
// lexicographically beyond `bound`.
struct Limits {
  std::int64_t max_table_entries = kInt64Max;
  int max_induced_width = kIntMax;
  std::int64_t bound_table = kInt64Max;
  int bound_width = kIntMax;

  bool fits(std::int64_t table, int width) const {
    // An overflowing product saturates at INT64_MAX, which exceeds every limit but "none".
    return table <= max_table_entries && width <= max_induced_width &&
           (table < bound_table || (table == bound_table && width <= bound_width));
  }
};

// Simulates the elimination in the order `search` picks, stopping at the first clique that
// does not fit the limits.
template <typename Search>
EliminationOrder simulate(EliminationGraph& graph, Search& search, const Limits& limits) {
  EliminationOrder result;
  const auto variables = graph.variables();
  result.order.reserve(variables.size());
  if (variables.empty()) {
    result.complete = true;
    return result;
  }
  // If every variable's clique is already too large, any order fails at its first step:
  // answer now rather than computing fills (Θ(Σ deg²), which is large for dense graphs).
  std::int64_t smallest_table = kInt64Max;
  int smallest_degree = kIntMax;
  for (std::int32_t v : variables) {
    const std::int64_t table = graph.clique_table(v);
    const int degree = graph.degree(v);
    if (limits.fits(table, degree)) {
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

  search.start();
  std::int32_t v;
  while (search.next(v)) {
    const std::int64_t table = graph.clique_table(v);
    const int width = graph.degree(v);
    result.induced_width = std::max(result.induced_width, width);
    result.largest_table = std::max(result.largest_table, table);
    if (!limits.fits(table, width)) return result;
    result.order.push_back(v);
    search.eliminate(v);
  }
  result.complete = true;
  return result;
}

EliminationOrder run(OrderHeuristic heuristic, const Graph& graph,
                     std::span<const std::int32_t> variables, const Limits& limits) {
  EliminationGraph elimination(graph, variables);
  EliminationOrder result;
  switch (heuristic) {
    case OrderHeuristic::kMinFill: {
      GreedySearch<true> search(elimination);
      result = simulate(elimination, search, limits);
      break;
    }
    case OrderHeuristic::kMinDegree: {
      GreedySearch<false> search(elimination);
      result = simulate(elimination, search, limits);
      break;
    }
    case OrderHeuristic::kNatural: {
      NaturalOrder search(elimination);
      result = simulate(elimination, search, limits);
      break;
    }
  }
  result.heuristic = heuristic;
  return result;
}

// Whether a is a better result than b (see best_elimination_order).
bool better(const EliminationOrder& a, const EliminationOrder& b) {
  if (a.complete != b.complete) return a.complete;
  if (a.largest_table != b.largest_table) return a.largest_table < b.largest_table;
  if (a.induced_width != b.induced_width) return a.induced_width < b.induced_width;
  return a.heuristic < b.heuristic;
}

std::vector<std::int32_t> every_variable(const Graph& graph) {
  std::vector<std::int32_t> all(graph.num_variables());
  for (std::int32_t v = 0; v < graph.num_variables(); ++v) all[v] = v;
  return all;
}

}  // namespace

std::string_view heuristic_name(OrderHeuristic heuristic) {
  switch (heuristic) {
    case OrderHeuristic::kMinFill:
      return "min-fill";
    case OrderHeuristic::kMinDegree:
      return "min-degree";
    case OrderHeuristic::kNatural:
      return "natural";
  }
  return "unknown";
}

EliminationOrder elimination_order(OrderHeuristic heuristic, const Graph& graph,
                                   std::span<const std::int32_t> variables,
                                   std::int64_t max_table_entries, int max_induced_width) {
  return run(heuristic, graph, variables, Limits{max_table_entries, max_induced_width});
}

EliminationOrder min_fill_order(const Graph& graph, std::span<const std::int32_t> variables,
                                std::int64_t max_table_entries, int max_induced_width) {
  return elimination_order(OrderHeuristic::kMinFill, graph, variables, max_table_entries,
                           max_induced_width);
}

EliminationOrder min_fill_order(const Graph& graph, int max_induced_width) {
  return min_fill_order(graph, every_variable(graph), kInt64Max, max_induced_width);
}

EliminationOrder best_elimination_order(const Graph& graph, std::span<const std::int32_t> variables,
                                        std::int64_t max_table_entries, int max_induced_width) {
  // Cheapest first: the natural order costs nothing to choose and often completes (lattices,
  // chains), and a completed candidate lets the others stop early.
  Limits limits{max_table_entries, max_induced_width};
  EliminationOrder best;
  bool first = true;
  for (OrderHeuristic h :
       {OrderHeuristic::kNatural, OrderHeuristic::kMinDegree, OrderHeuristic::kMinFill}) {
    EliminationOrder candidate = run(h, graph, variables, limits);
    if (first || better(candidate, best)) best = std::move(candidate);
    first = false;
    if (best.complete) {
      limits.bound_table = best.largest_table;
      limits.bound_width = best.induced_width;
    }
  }
  return best;
}

EliminationOrder best_elimination_order(const Graph& graph, int max_induced_width) {
  return best_elimination_order(graph, every_variable(graph), kInt64Max, max_induced_width);
}

std::string describe_width(const EliminationOrder& order, int width_cap) {
  if (!order.complete) {
    return "induced width > " + std::to_string(width_cap) +
           " (the min-fill, min-degree and natural orders all pass it; a bound on these "
           "orders only: the treewidth may be smaller)";
  }
  return "induced width " + std::to_string(order.induced_width) + " (" +
         std::string(heuristic_name(order.heuristic)) +
         " order, the best of the min-fill, min-degree and natural orders; an upper bound on "
         "the treewidth)";
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
