// AIS log Z of a 784×500 RBM (examples/rbm_mnist_random.pbtxt): Salakhutdinov & Murray's
// setting, 100 runs × 14,501 βs, hidden units summed out, all runs as one batch
// (inference/ais/rbm_ais.h). BM_AisRbmStep times 1,000 βs at 1 and 2 threads (ms per β, the
// full schedule's seconds extrapolated); BM_AisRbmFull runs the whole schedule once on every
// core (about half a minute; --benchmark_filter=Step skips it). Target: ≤ 24 s on the 2-core
// machine (the PyTorch + OpenBLAS reference takes about 37 s there).
#include <benchmark/benchmark.h>
#include <tbb/global_control.h>

#include <cstdio>

#include "dgm.h"
#include "inference/ais/ais.h"
#include "tools/bench/bench_common.h"

namespace {

const dgm::engine::CompiledModel& mnist_rbm() {
  static const dgm::engine::CompiledModel model =
      dgm::engine::load_compiled(DGM_SOURCE_DIR "/examples/rbm_mnist_random.pbtxt");
  return model;
}

void BM_AisRbmStep(benchmark::State& state) {
  const int threads = static_cast<int>(state.range(0));
  tbb::global_control control(tbb::global_control::max_allowed_parallelism, threads);
  dgm::inference::AisOptions o;
  o.runs = 100;
  o.num_betas = 1001;
  o.seed = 1;
  double log_z = 0;
  for (auto _ : state) log_z = dgm::inference::ais_log_z(mnist_rbm(), o).log_z;
  state.counters["ms_per_beta"] =
      benchmark::Counter(static_cast<double>(state.iterations()) * 1000.0,
                         benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
  state.counters["full_schedule_s"] =
      benchmark::Counter(static_cast<double>(state.iterations()) * 1000.0 / 14500.0,
                         benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
  state.counters["log_z"] = log_z;
}
BENCHMARK(BM_AisRbmStep)->Apply(dgm::bench::on_1_and_2_threads);

void BM_AisRbmFull(benchmark::State& state) {
  dgm::inference::AisOptions o;
  o.runs = 100;
  o.seed = 1;
  dgm::inference::AisResult r;
  for (auto _ : state) r = dgm::inference::ais_log_z(mnist_rbm(), o);
  state.counters["log_z"] = r.log_z;
  state.counters["log_z_low"] = r.log_z_low;
  state.counters["log_z_high"] = r.log_z_high;
  state.counters["ess"] = r.effective_sample_size;
  state.counters["seconds"] = r.seconds;
}
BENCHMARK(BM_AisRbmFull)->Iterations(1)->Unit(benchmark::kSecond)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
