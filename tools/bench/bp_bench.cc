// Belief propagation and PMP throughput (issue 4), each engine figure next to a baseline
// measured in the same process:
//   * PMP lattice: a 2-D periodic 256×256 Ising lattice (J = 0.4407, spins) with a batch of
//     16 perturbed problems (Logistic noise on the log-odds), 100 flooding max-product
//     iterations with damping 0.5. The engine (BeliefPropagation in the binary log-ratio
//     representation, 16 lanes) against a hand-specialised binary-lattice kernel: four
//     incoming log-ratios per site, neighbours by index arithmetic, the coupling a constant,
//     lanes innermost, rows in parallel on oneTBB, no engine code. Both do the same
//     arithmetic per message. Target: engine ≥ 0.5× the kernel's messages per second.
//     Reported in pairwise messages per second and in PGMax's unit, pairwise factor updates
//     per second (one factor update = both of its messages; PGMax: ~1–2×10⁷/s on a CPU, ~5×10⁸/s
//     on a V100). Issue 11's target: ≥ 3×10⁸ messages/s on 2 threads. The kernel is plain C++
//     for baseline x86-64 (its std::max compiles to branches), while the engine's lane loop is
//     a dispatched, branch-free vector kernel; the ratio is kept as a regression watch. The
//     whole `pmp` sweep (noise, BP, decoding, energies) is timed too.
//   * RBM: 784×500 (examples/rbm_mnist_random.pbtxt), 100 perturbed problems: time per
//     flooding iteration, max-product and sum-product.
//   * Logical: the OR/AND example (7 variables) with 100 lanes, and a larger random model of
//     2,000 OR and 2,000 AND factors over 6 parents each, time per iteration.
// Every benchmark takes the number of threads as its argument (tbb::global_control).
#include <benchmark/benchmark.h>
#include <tbb/blocked_range.h>
#include <tbb/global_control.h>
#include <tbb/parallel_for.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "dgm.h"
#include "tools/bench/bench_common.h"

namespace {

using dgm::bench::figures;
using dgm::bench::on_1_and_2_threads;
using dgm::engine::CompiledModel;
using dgm::inference::bp::BeliefPropagation;
using dgm::inference::bp::BpParams;
using Clock = std::chrono::steady_clock;

constexpr int kSide = 256;
constexpr int kLanes = 16;
constexpr int kIterations = 100;
constexpr double kCoupling = 0.4407;
constexpr int kRbmLanes = 100;

// Times `step` (one unit of `work`) and records the best rate per thread count.
template <class Step>
void time_steps(benchmark::State& state, const std::string& name, double work, const char* unit,
                Step step) {
  double seconds = 0.0;
  std::int64_t steps = 0;
  for (auto _ : state) {
    const auto t0 = Clock::now();
    step();
    seconds += std::chrono::duration<double>(Clock::now() - t0).count();
    ++steps;
  }
  const double rate = work * static_cast<double>(steps) / seconds;
  state.counters[unit] = rate;
  state.counters["ms_per_step"] = 1e3 * seconds / static_cast<double>(steps);
  double& best = figures()[name][static_cast<int>(state.range(0))];
  best = std::max(best, rate);
}

// ------------------------------------------------------------------------------------------
// PMP on the 256×256 lattice
// ------------------------------------------------------------------------------------------

const CompiledModel& lattice_model() {
  static const CompiledModel model = [] {
    dgm::proto::Model m;
    auto* g = m.add_variables();
    g->set_name("s");
    g->add_shape(kSide);
    g->add_shape(kSide);
    g->set_cardinality(2);
    auto* p = m.add_parameters();
    p->set_name("J");
    p->add_value(kCoupling);
    auto* f = m.add_factors();
    f->set_name("bonds");
    f->mutable_ising()->set_coupling("J");
    f->mutable_lattice()->set_group("s");
    f->mutable_lattice()->set_periodic(true);
    return dgm::engine::compile(m, dgm::engine::SourceMap("lattice"), "");
  }();
  return model;
}

// Logistic noise per (site, lane), the same for both contenders (as PMP draws it).
const std::vector<double>& lattice_noise() {
  static const std::vector<double> noise = [] {
    std::vector<double> n(static_cast<std::size_t>(kSide) * kSide * kLanes);
    std::mt19937_64 rng(7);
    std::uniform_real_distribution<double> u(1e-12, 1.0 - 1e-12);
    for (double& x : n) {
      const double v = u(rng);
      x = std::log(v) - std::log1p(-v);
    }
    return n;
  }();
  return noise;
}

BpParams pmp_params() {
  BpParams p;
  p.temperature = 0.0;
  p.damping = 0.5;
  p.tolerance = 0.0;
  p.max_iterations = kIterations;
  return p;
}

void BM_PmpLatticeEngine(benchmark::State& state) {
  tbb::global_control limit(tbb::global_control::max_allowed_parallelism, state.range(0));
  const CompiledModel& model = lattice_model();
  BeliefPropagation bp(dgm::inference::bp::build_message_graph(model), kLanes);
  const std::span<double> u = bp.lane_unary();
  const std::vector<double>& noise = lattice_noise();
  for (std::size_t i = 0; i < u.size(); ++i) u[i] += noise[i];
  const BpParams p = pmp_params();
  const double messages = 4.0 * kSide * kSide * kLanes * kIterations;
  time_steps(state, "lattice/engine", messages, "messages_per_s", [&] {
    bp.reset_messages();
    bp.run(p);
  });
}

// The hand-specialised kernel. in[d][v][lane]: the log-ratio message site v receives from
// its neighbour in direction d (0 right, 1 left, 2 down, 3 up); the message v sends in
// direction d lands in in[opposite(d)][neighbour]. Flooding: read `old`, write `fresh`.
class LatticeKernel {
 public:
  LatticeKernel(double w, std::vector<double> unary)
      : w_(w),
        unary_(std::move(unary)),
        old_(4 * unary_.size(), 0.0),
        fresh_(4 * unary_.size(), 0.0) {}

  void reset(double start) {
    std::fill(old_.begin(), old_.end(), start);
    std::fill(fresh_.begin(), fresh_.end(), start);
  }

  void iterate(double damping) {
    const std::size_t plane = unary_.size();
    tbb::parallel_for(tbb::blocked_range<int>(0, kSide, 8),
                      [&](const tbb::blocked_range<int>& rows) {
                        for (int r = rows.begin(); r < rows.end(); ++r) {
                          for (int c = 0; c < kSide; ++c) {
                            const std::size_t v = static_cast<std::size_t>(r) * kSide + c;
                            const std::size_t nbr[4] = {
                                static_cast<std::size_t>(r) * kSide + (c + 1) % kSide,
                                static_cast<std::size_t>(r) * kSide + (c + kSide - 1) % kSide,
                                static_cast<std::size_t>((r + 1) % kSide) * kSide + c,
                                static_cast<std::size_t>((r + kSide - 1) % kSide) * kSide + c};
                            const double* in0 = &old_[0 * plane + v * kLanes];
                            const double* in1 = &old_[1 * plane + v * kLanes];
                            const double* in2 = &old_[2 * plane + v * kLanes];
                            const double* in3 = &old_[3 * plane + v * kLanes];
                            const double* h = &unary_[v * kLanes];
                            double belief[kLanes];
                            for (int l = 0; l < kLanes; ++l)
                              belief[l] = h[l] + in0[l] + in1[l] + in2[l] + in3[l];
                            for (int d = 0; d < 4; ++d) {
                              const int opposite = d ^ 1;
                              const double* in = &old_[d * plane + v * kLanes];
                              const double* previous = &old_[opposite * plane + nbr[d] * kLanes];
                              double* out = &fresh_[opposite * plane + nbr[d] * kLanes];
                              for (int l = 0; l < kLanes; ++l) {
                                const double mu = belief[l] - in[l];
                                const double m = std::max(0.0, w_ + mu) - std::max(0.0, mu);
                                out[l] = damping * previous[l] + (1.0 - damping) * m;
                              }
                            }
                          }
                        }
                      });
    old_.swap(fresh_);
  }

  // Log-ratio belief of site v in lane l.
  double belief(std::size_t v, int l) const {
    const std::size_t plane = unary_.size();
    double b = unary_[v * kLanes + l];
    for (int d = 0; d < 4; ++d) b += old_[d * plane + v * kLanes + l];
    return b;
  }

 private:
  double w_;
  std::vector<double> unary_;
  std::vector<double> old_, fresh_;
};

// The kernel's model in the engine's form: w = 4J on x_i·x_j, each bond adding −2J to both
// ends' log-odds (four bonds per site), the engine's message start −a = 2J.
LatticeKernel make_kernel() {
  std::vector<double> unary(lattice_noise());
  for (double& u : unary) u += 4 * (-2.0 * kCoupling);
  LatticeKernel k(4.0 * kCoupling, std::move(unary));
  return k;
}

void BM_PmpLatticeKernel(benchmark::State& state) {
  tbb::global_control limit(tbb::global_control::max_allowed_parallelism, state.range(0));
  LatticeKernel kernel = make_kernel();
  const double messages = 4.0 * kSide * kSide * kLanes * kIterations;
  time_steps(state, "lattice/kernel", messages, "messages_per_s", [&] {
    kernel.reset(2.0 * kCoupling);
    for (int it = 0; it < kIterations; ++it) kernel.iterate(0.5);
  });
}

// The engine and the kernel compute the same beliefs (checked once, reported).
void check_lattice_agreement() {
  const CompiledModel& model = lattice_model();
  BeliefPropagation bp(dgm::inference::bp::build_message_graph(model), kLanes);
  const std::span<double> u = bp.lane_unary();
  const std::vector<double>& noise = lattice_noise();
  for (std::size_t i = 0; i < u.size(); ++i) u[i] += noise[i];
  BpParams p = pmp_params();
  p.max_iterations = 20;
  bp.run(p);
  LatticeKernel kernel = make_kernel();
  kernel.reset(2.0 * kCoupling);
  for (int it = 0; it < 20; ++it) kernel.iterate(0.5);
  double worst = 0.0;
  for (std::size_t v = 0; v < static_cast<std::size_t>(kSide) * kSide; v += 97) {
    for (int l = 0; l < kLanes; ++l) {
      worst = std::max(worst, std::fabs(bp.beliefs()[v * kLanes + l] - kernel.belief(v, l)));
    }
  }
  std::printf("lattice: engine and kernel beliefs after 20 iterations differ by at most %.2g\n",
              worst);
}

void BM_PmpLatticeSweep(benchmark::State& state) {
  tbb::global_control limit(tbb::global_control::max_allowed_parallelism, state.range(0));
  const CompiledModel& model = lattice_model();
  dgm::proto::SamplerConfig config;
  auto sampler = dgm::inference::make_sampler(
      "pmp", std::make_shared<const dgm::engine::CompiledModel>(model), config, 1);
  dgm::inference::Chains chains(kLanes, model.graph->num_variables());
  std::int64_t sweep = 0;
  const double samples = kLanes;
  time_steps(state, "lattice/pmp-sweep", samples, "samples_per_s",
             [&] { sampler->sweep(chains, sweep++); });
}

BENCHMARK(BM_PmpLatticeKernel)->Apply(on_1_and_2_threads);
BENCHMARK(BM_PmpLatticeEngine)->Apply(on_1_and_2_threads);
BENCHMARK(BM_PmpLatticeSweep)->Apply(on_1_and_2_threads);

// ------------------------------------------------------------------------------------------
// RBM 784×500 and logical models
// ------------------------------------------------------------------------------------------

std::string source(const std::string& relative) {
  return std::string(DGM_SOURCE_DIR) + "/" + relative;
}

const CompiledModel& rbm_model() {
  static const CompiledModel model =
      dgm::engine::load_compiled(source("examples/rbm_mnist_random.pbtxt"));
  return model;
}

// A random logical model: 2,000 OR and 2,000 AND factors, each over 6 parents drawn from
// 4,000 binary variables, with its own child, and log-odds priors on the parents.
const CompiledModel& logical_model() {
  static const CompiledModel model = [] {
    dgm::proto::Model m;
    const int parents = 4000, per_kind = 2000, arity = 6;
    auto* p = m.add_variables();
    p->set_name("p");
    p->add_shape(parents);
    p->set_cardinality(2);
    auto* c = m.add_variables();
    c->set_name("c");
    c->add_shape(2 * per_kind);
    c->set_cardinality(2);
    auto* prior = m.add_parameters();
    prior->set_name("prior");
    prior->add_shape(parents);
    prior->mutable_init()->mutable_normal()->set_mean(-1.0);
    prior->mutable_init()->mutable_normal()->set_stddev(1.0);
    auto* u = m.add_factors();
    u->set_name("priors");
    u->mutable_unary()->set_log_odds("prior");
    u->set_each("p");
    std::mt19937_64 rng(3);
    std::uniform_int_distribution<int> pick(0, parents - 1);
    for (int kind = 0; kind < 2; ++kind) {
      auto* f = m.add_factors();
      f->set_name(kind == 0 ? "or" : "and");
      if (kind == 0) {
        f->mutable_logical_or();
      } else {
        f->mutable_logical_and();
      }
      for (int i = 0; i < per_kind; ++i) {
        std::vector<int> chosen;
        while (static_cast<int>(chosen.size()) < arity) {
          const int x = pick(rng);
          if (std::find(chosen.begin(), chosen.end(), x) == chosen.end()) chosen.push_back(x);
        }
        std::string scope;
        for (const int x : chosen) scope += "p[" + std::to_string(x) + "] ";
        scope += "c[" + std::to_string(kind * per_kind + i) + "]";
        f->add_scope(scope);
      }
    }
    return dgm::engine::compile(m, dgm::engine::SourceMap("logical"), "");
  }();
  return model;
}

const CompiledModel& lawn_model() {
  static const CompiledModel model =
      dgm::engine::load_compiled(source("examples/logic_or_and.pbtxt"));
  return model;
}

// Time per flooding iteration with `lanes` problems (10 iterations per timed step).
void iteration_time(benchmark::State& state, const std::string& name, const CompiledModel& model,
                    int lanes, double temperature) {
  tbb::global_control limit(tbb::global_control::max_allowed_parallelism, state.range(0));
  BeliefPropagation bp(dgm::inference::bp::build_message_graph(model), lanes);
  BpParams p;
  p.temperature = temperature;
  p.tolerance = 0.0;
  p.max_iterations = 10;
  const double factors = static_cast<double>(bp.graph().num_message_factors) * lanes * 10;
  time_steps(state, name, factors, "factor_updates_per_s", [&] {
    bp.reset_messages();
    bp.run(p);
  });
}

void BM_RbmMaxProductIteration(benchmark::State& state) {
  iteration_time(state, "rbm/max-product", rbm_model(), kRbmLanes, 0.0);
}
void BM_RbmSumProductIteration(benchmark::State& state) {
  iteration_time(state, "rbm/sum-product", rbm_model(), kRbmLanes, 1.0);
}
void BM_LawnIteration(benchmark::State& state) {
  iteration_time(state, "lawn/max-product", lawn_model(), kRbmLanes, 0.0);
}
void BM_LogicalMaxProductIteration(benchmark::State& state) {
  iteration_time(state, "logical/max-product", logical_model(), 1, 0.0);
}
void BM_LogicalSumProductIteration(benchmark::State& state) {
  iteration_time(state, "logical/sum-product", logical_model(), 1, 1.0);
}
BENCHMARK(BM_RbmMaxProductIteration)->Apply(on_1_and_2_threads);
BENCHMARK(BM_RbmSumProductIteration)->Apply(on_1_and_2_threads);
BENCHMARK(BM_LawnIteration)->Apply(on_1_and_2_threads);
BENCHMARK(BM_LogicalMaxProductIteration)->Apply(on_1_and_2_threads);
BENCHMARK(BM_LogicalSumProductIteration)->Apply(on_1_and_2_threads);

void print_report() {
  auto& f = figures();
  std::printf("\n");
  if (f.count("lattice/engine") && f.count("lattice/kernel")) {
    for (const auto& [threads, rate] : f["lattice/engine"]) {
      if (!f["lattice/kernel"].count(threads)) continue;
      const double r = rate / f["lattice/kernel"][threads];
      std::printf(
          "PMP 256x256 x16, 100 iterations, %d thread%s: engine %.3g messages/s = %.3g pairwise "
          "factor updates/s; kernel %.3g messages/s; engine / kernel %.2fx (target >= 0.5x) %s\n",
          threads, threads == 1 ? " " : "s", rate, rate / 2, f["lattice/kernel"][threads], r,
          r >= 0.5 ? "met" : "MISSED");
      if (threads == 2)  // issue 11's absolute target
        std::printf("PMP 256x256 x16, 2 threads: %.3g messages/s (target >= 3e8) %s\n", rate,
                    rate >= 3e8 ? "met" : "MISSED");
    }
  }
  if (f.count("lattice/pmp-sweep")) {
    for (const auto& [threads, rate] : f["lattice/pmp-sweep"]) {
      std::printf("pmp sweep 256x256 x16 (noise, 100 iterations, decoding), %d thread%s: %.1f ms\n",
                  threads, threads == 1 ? " " : "s", 1e3 * kLanes / rate);
    }
  }
  const auto per_iteration = [&](const char* what, const std::string& name, double factors) {
    if (!f.count(name)) return;
    for (const auto& [threads, rate] : f[name]) {
      std::printf("%s, %d thread%s: %.2f ms per iteration (%.3g factor updates/s)\n", what, threads,
                  threads == 1 ? " " : "s", 1e3 * factors / rate, rate);
    }
  };
  per_iteration("RBM 784x500 x100 max-product", "rbm/max-product", 392000.0 * kRbmLanes);
  per_iteration("RBM 784x500 x100 sum-product", "rbm/sum-product", 392000.0 * kRbmLanes);
  per_iteration("OR/AND example x100", "lawn/max-product", 3.0 * kRbmLanes);
  per_iteration("4000 OR/AND factors (6 parents) max-product", "logical/max-product", 4000.0);
  per_iteration("4000 OR/AND factors (6 parents) sum-product", "logical/sum-product", 4000.0);
}

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  check_lattice_agreement();
  benchmark::RunSpecifiedBenchmarks();
  print_report();
  benchmark::Shutdown();
  return 0;
}
