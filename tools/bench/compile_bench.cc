// Compile time and IR memory of large models (issue: foundation).
//   * a 1000×1000 periodic Ising lattice: 2,000,000 pairwise factors;
//     target < 2 s to compile and < 64 bytes of IR per pairwise factor;
//   * a 784×500 RBM (392,000 bipartite factors); target < 0.1 s.
//     For scale: PGMax needs about 3 s to build its 392,000-factor RBM graph.
// The analyses (components, colouring, bipartiteness) are part of compilation and are timed;
// a variant without them shows their share. Counters: bytes_per_factor, factors.
#include <benchmark/benchmark.h>

#include <limits>

#include "dgm.h"

namespace {

using dgm::engine::CompileOptions;
using dgm::engine::SourceMap;

dgm::proto::Model lattice_model(int L) {
  dgm::proto::Model m;
  auto* v = m.add_variables();
  v->set_name("s");
  v->add_shape(L);
  v->add_shape(L);
  v->set_cardinality(2);
  auto* p = m.add_parameters();
  p->set_name("J");
  p->add_value(0.4407);
  auto* f = m.add_factors();
  f->set_name("bonds");
  f->mutable_ising()->set_coupling("J");
  f->mutable_lattice()->set_group("s");
  f->mutable_lattice()->set_periodic(true);
  return m;
}

dgm::proto::Model rbm_model(int visible, int hidden) {
  dgm::proto::Model m;
  for (auto [name, n] : {std::pair{"v", visible}, std::pair{"h", hidden}}) {
    auto* g = m.add_variables();
    g->set_name(name);
    g->add_shape(n);
    g->set_cardinality(2);
  }
  auto* w = m.add_parameters();
  w->set_name("W");
  w->add_shape(visible);
  w->add_shape(hidden);
  w->mutable_init()->mutable_normal()->set_stddev(0.01);
  w->mutable_init()->set_seed(1);
  auto* f = m.add_factors();
  f->set_name("weights");
  f->mutable_bipartite()->set_left("v");
  f->mutable_bipartite()->set_right("h");
  f->mutable_bipartite()->set_weights("W");
  return m;
}

void report(benchmark::State& state, const dgm::engine::CompiledModel& model) {
  const auto& g = *model.graph;
  state.counters["factors"] = static_cast<double>(g.num_factors());
  state.counters["IR_MiB"] = static_cast<double>(g.memory_bytes()) / (1 << 20);
  state.counters["bytes_per_factor"] =
      static_cast<double>(g.memory_bytes()) / static_cast<double>(g.num_factors());
}

void BM_CompileLattice(benchmark::State& state) {
  const auto model = lattice_model(static_cast<int>(state.range(0)));
  CompileOptions options;
  options.analyse = state.range(1) != 0;
  for (auto _ : state) {
    auto compiled = dgm::engine::compile(model, SourceMap("lattice"), "", options);
    state.PauseTiming();
    report(state, compiled);
    state.ResumeTiming();
    benchmark::DoNotOptimize(compiled);
  }
}
BENCHMARK(BM_CompileLattice)
    ->ArgsProduct({{1000}, {1, 0}})
    ->ArgNames({"L", "analyse"})
    ->Unit(benchmark::kMillisecond)
    ->Iterations(3);

void BM_CompileRbm(benchmark::State& state) {
  const auto model = rbm_model(784, 500);
  CompileOptions options;
  options.analyse = state.range(0) != 0;
  for (auto _ : state) {
    auto compiled = dgm::engine::compile(model, SourceMap("rbm"), "", options);
    state.PauseTiming();
    report(state, compiled);
    state.ResumeTiming();
    benchmark::DoNotOptimize(compiled);
  }
}
BENCHMARK(BM_CompileRbm)->Arg(1)->Arg(0)->ArgName("analyse")->Unit(benchmark::kMillisecond);

// The elimination-order search on a 1000×1000 lattice must stop early: with the table limit
// exact inference uses (2^24 entries, open lattice) and with the width cap dgm check uses (64,
// periodic lattice). Reports the heuristic that won and where it stopped.
void BM_EliminationOrderAbandoned(benchmark::State& state) {
  const bool periodic = state.range(0) != 0;
  auto model = lattice_model(1000);
  model.mutable_factors(0)->mutable_lattice()->set_periodic(periodic);
  CompileOptions options;
  options.analyse = false;
  const auto compiled = dgm::engine::compile(model, SourceMap("lattice"), "", options);
  const auto& g = *compiled.graph;
  std::vector<std::int32_t> all(g.num_variables());
  for (std::int32_t v = 0; v < g.num_variables(); ++v) all[v] = v;
  for (auto _ : state) {
    const auto order = periodic
                           ? dgm::engine::best_elimination_order(
                                 g, all, std::numeric_limits<std::int64_t>::max(), 64)
                           : dgm::engine::best_elimination_order(g, all, std::int64_t{1} << 24);
    state.counters["stopped_at_width"] = order.induced_width;
    state.counters["complete"] = order.complete;
    benchmark::DoNotOptimize(order);
  }
}
BENCHMARK(BM_EliminationOrderAbandoned)
    ->Arg(0)
    ->Arg(1)
    ->ArgName("periodic")
    ->Unit(benchmark::kMillisecond)
    ->Iterations(1);

}  // namespace

BENCHMARK_MAIN();
