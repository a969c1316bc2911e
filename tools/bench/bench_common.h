#pragma once
// What the benchmark programs share: the table of figures the final report reads, and the
// argument set every benchmark runs with (threads 1 and 2, wall time, at least 1 s).
#include <benchmark/benchmark.h>

#include <map>
#include <string>
#include <tuple>

#include "dgm.h"
#include "engine/cpu_dispatch.h"

namespace dgm::bench {

// Which code paths this CPU got (engine/cpu_dispatch.h; DGM_DISPATCH=portable|avx2|avx512
// lowers the level), printed in the context lines at the top of every program's output and
// in its JSON "context".
inline const bool kDispatchContext =
    (benchmark::AddCustomContext("dgm_dispatch", engine::dispatch_description()), true);

// Figures by benchmark name and thread count (a rate, or a time per step: each program says
// which), kept across repetitions so the report can use the best one.
inline std::map<std::string, std::map<int, double>>& figures() {
  static std::map<std::string, std::map<int, double>> f;
  return f;
}

// Argument = number of threads (1 and 2), wall time, at least 1 s per benchmark.
inline void on_1_and_2_threads(benchmark::internal::Benchmark* b) {
  b->Arg(1)->Arg(2)->ArgName("threads")->Unit(benchmark::kMillisecond)->UseRealTime()->MinTime(1.0);
}

// A random RBM with `visible` × `hidden` binary units: weights N(0, 0.05²), visible and
// hidden log-odds biases N(0, 0.5²), all from seed 1 — the RBM of the Gibbs and gradient
// benchmarks (the scale of a trained MNIST RBM's weights).
inline engine::CompiledModel random_rbm(int visible, int hidden) {
  proto::Model m;
  for (auto [name, size] : {std::tuple{"v", visible}, std::tuple{"h", hidden}}) {
    auto* g = m.add_variables();
    g->set_name(name);
    g->add_shape(size);
    g->set_cardinality(2);
  }
  for (auto [name, rows, cols, stddev] :
       {std::tuple{"W", visible, hidden, 0.05}, std::tuple{"b", visible, 0, 0.5},
        std::tuple{"c", hidden, 0, 0.5}}) {
    auto* p = m.add_parameters();
    p->set_name(name);
    p->add_shape(rows);
    if (cols > 0) p->add_shape(cols);
    p->mutable_init()->mutable_normal()->set_stddev(stddev);
    p->mutable_init()->set_seed(1);
  }
  auto* f = m.add_factors();
  f->set_name("weights");
  f->mutable_bipartite()->set_left("v");
  f->mutable_bipartite()->set_right("h");
  f->mutable_bipartite()->set_weights("W");
  for (auto [name, group, param] : {std::tuple{"vb", "v", "b"}, std::tuple{"hb", "h", "c"}}) {
    auto* u = m.add_factors();
    u->set_name(name);
    u->mutable_unary()->set_log_odds(param);
    u->set_each(group);
  }
  return engine::compile(m, engine::SourceMap("rbm"), "");
}

}  // namespace dgm::bench
