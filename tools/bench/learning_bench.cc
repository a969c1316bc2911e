// Seconds per training epoch of a 784×500 RBM on 9,000 binary examples (batch 100, SGD lr 0.01,
// weight decay 2e-4: the MNIST recipe of the learning experiments), through the engine's
// Trainer for CD-1, CD-10 and PCD-1 with block Gibbs, against a bare CD-1 loop in the same
// process: the products a PyTorch trainer makes (σ(vW + c), a Bernoulli draw, σ(hWᵀ + b),
// σ(v'W + c), vᵀp − v'ᵀp'), in float through engine::gemm (OpenBLAS), one thread, nothing else. The
// ratio bare/engine is the engine's speed relative to that loop (> 1: faster).
//
// The reference figures of a PyTorch + OpenBLAS trainer on this kind of 2-core machine are
// 0.41 s (CD-1), 2.0 s (CD-10) and 0.47 s (PCD-1) per epoch. By default the data are random
// pixels with MNIST-like density and the model a random RBM, whose samples are about half ones
// (the dense paths). With DGM_BENCH_MNIST=DIR (the folder `dgm data mnist --out DIR` wrote) the
// bench runs the target's own setting: the first 9,000 digits of DIR/train.npy and
// examples/rbm_mnist.pbtxt, timing the second and third epochs (after one of warm-up, when the
// model's samples have become digit-like and sparse).
#include <Eigen/Dense>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <random>
#include <string>

#include "engine/dense_product.h"
#include "tools/bench/bench_common.h"

namespace {

using namespace dgm;
using Clock = std::chrono::steady_clock;
using MatrixF = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

constexpr int kVisible = 784, kHidden = 500, kExamples = 9000, kBatch = 100;

// The MNIST folder of DGM_BENCH_MNIST, or empty.
std::string mnist_dir() {
  const char* dir = std::getenv("DGM_BENCH_MNIST");
  return dir != nullptr ? dir : "";
}

const learning::Dataset& data() {
  static const learning::Dataset d = [] {
    if (!mnist_dir().empty()) {
      learning::Dataset digits = learning::read_dataset(mnist_dir() + "/train.npy");
      if (digits.width != kVisible || digits.num_examples < kExamples)
        throw Error(digits.source + ": not the 28×28 digits of `dgm data mnist`");
      digits.num_examples = kExamples;
      digits.values.resize(static_cast<std::size_t>(kExamples) * kVisible);
      return digits;
    }
    learning::Dataset out;
    out.source = "random pixels";
    out.num_examples = kExamples;
    out.width = kVisible;
    std::mt19937_64 gen(3);
    std::uniform_real_distribution<double> u(0.0, 1.0);
    std::vector<double> density(kVisible);
    for (double& p : density) p = 0.26 * u(gen);  // MNIST's mean pixel density is about 0.13
    for (int r = 0; r < kExamples; ++r)
      for (int i = 0; i < kVisible; ++i) out.values.push_back(u(gen) < density[i] ? 1 : 0);
    return out;
  }();
  return d;
}

void BM_EngineEpoch(benchmark::State& state, learning::Negatives negatives, int k) {
  const bool mnist = !mnist_dir().empty();
  const engine::CompiledModel model =
      mnist ? engine::load_compiled(std::string(DGM_SOURCE_DIR) + "/examples/rbm_mnist.pbtxt")
            : bench::random_rbm(kVisible, kHidden);
  const learning::VisibleLayout layout = learning::visible_layout(*model.graph, {}, kVisible, "d");
  learning::TrainerSettings s;
  s.gradient.negatives = negatives;
  s.gradient.sampler = "block-gibbs";
  s.gradient.k = k;
  s.gradient.chains = kBatch;
  s.gradient.threads = static_cast<int>(state.range(0));
  s.optimizer.learning_rate = 0.01;
  s.optimizer.l2 = 2e-4;
  s.optimizer.penalise_weights_only = true;
  s.batch_size = kBatch;
  s.epochs = 1 << 20;
  s.proxy_examples = 1;
  learning::Trainer trainer(model, data(), layout, s);
  double last = 0.0, warm_up = 0.0;
  if (mnist) {  // one epoch of warm-up, not timed
    bool epoch_done = false;
    learning::Trainer::Hooks hooks;
    hooks.on_epoch = [&](const learning::EpochRecord& r) {
      last = r.seconds;
      epoch_done = true;
    };
    hooks.stop = [&] { return epoch_done; };
    trainer.run(hooks);
    warm_up = last;
  }
  for (auto _ : state) {
    double seconds = 0.0;
    bool epoch_done = false;
    learning::Trainer::Hooks hooks;
    hooks.on_epoch = [&](const learning::EpochRecord& r) {
      seconds = r.seconds - last;
      last = r.seconds;
      epoch_done = true;
    };
    hooks.stop = [&] { return epoch_done; };
    trainer.run(hooks);
    state.SetIterationTime(seconds);
  }
  const std::string name =
      std::string(negatives == learning::Negatives::kCd ? "cd-" : "pcd-") + std::to_string(k);
  bench::figures()[name][static_cast<int>(state.range(0))] =
      (last - warm_up) / static_cast<double>(state.iterations());
}

// The bare loop: CD-1 on the same data and batches (in order), float products, one thread.
void BM_BareCd1Epoch(benchmark::State& state) {
  std::mt19937 gen(5);
  std::normal_distribution<float> normal(0.0f, 0.05f);
  MatrixF w(kVisible, kHidden);
  for (int i = 0; i < w.size(); ++i) w.data()[i] = normal(gen);
  Eigen::RowVectorXf b = Eigen::RowVectorXf::Zero(kVisible), c = Eigen::RowVectorXf::Zero(kHidden);
  MatrixF v0(kBatch, kVisible), h0(kBatch, kHidden), v1(kBatch, kVisible), p0(kBatch, kHidden),
      p1(kBatch, kHidden), pv(kBatch, kVisible), dw(kVisible, kHidden);
  std::uniform_real_distribution<float> u(0.0f, 1.0f);
  const auto sigmoid = [](auto&& m) { m = (1.0f + (-m.array()).exp()).inverse().matrix(); };
  // a·w or a·wᵀ through the engine's product (engine/dense_product.h: OpenBLAS, or Eigen at
  // dispatch level portable), as the engine's own products go.
  const auto product = [](const MatrixF& a, const MatrixF& w, bool transpose, MatrixF& out) {
    engine::gemm(false, transpose, a.rows(), out.cols(), a.cols(), 1.0f, a.data(), a.cols(),
                 w.data(), w.cols(), 0.0f, out.data(), out.cols());
  };
  const learning::Dataset& d = data();
  double total = 0.0;
  for (auto _ : state) {
    const Clock::time_point start = Clock::now();
    for (int batch = 0; batch + kBatch <= kExamples; batch += kBatch) {
      for (int r = 0; r < kBatch; ++r)
        for (int i = 0; i < kVisible; ++i)
          v0(r, i) =
              static_cast<float>(d.values[static_cast<std::size_t>((batch + r) * kVisible + i)]);
      product(v0, w, false, p0);
      p0.rowwise() += c;
      sigmoid(p0);
      for (int i = 0; i < h0.size(); ++i) h0.data()[i] = u(gen) < p0.data()[i] ? 1.0f : 0.0f;
      product(h0, w, true, pv);
      pv.rowwise() += b;
      sigmoid(pv);
      for (int i = 0; i < v1.size(); ++i) v1.data()[i] = u(gen) < pv.data()[i] ? 1.0f : 0.0f;
      product(v1, w, false, p1);
      p1.rowwise() += c;
      sigmoid(p1);
      engine::gemm(true, false, kVisible, kHidden, kBatch, 1.0f, v0.data(), kVisible, p0.data(),
                   kHidden, 0.0f, dw.data(), kHidden);
      engine::gemm(true, false, kVisible, kHidden, kBatch, -1.0f, v1.data(), kVisible, p1.data(),
                   kHidden, 1.0f, dw.data(), kHidden);
      w += 0.01f * (dw / kBatch - 2e-4f * w);
      b += 0.01f * (v0.colwise().sum() - v1.colwise().sum()) / kBatch;
      c += 0.01f * (p0.colwise().sum() - p1.colwise().sum()) / kBatch;
    }
    const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
    total += seconds;
    state.SetIterationTime(seconds);
  }
  benchmark::DoNotOptimize(w.data());
  bench::figures()["bare-cd-1"][1] = total / state.iterations();
}

void configure(benchmark::internal::Benchmark* b) {
  b->Arg(1)->Arg(2)->ArgName("threads")->Unit(benchmark::kSecond)->UseManualTime()->Iterations(2);
}

BENCHMARK_CAPTURE(BM_EngineEpoch, cd1, learning::Negatives::kCd, 1)->Apply(configure);
BENCHMARK_CAPTURE(BM_EngineEpoch, pcd1, learning::Negatives::kPcd, 1)->Apply(configure);
BENCHMARK_CAPTURE(BM_EngineEpoch, cd10, learning::Negatives::kCd, 10)->Apply(configure);
BENCHMARK(BM_BareCd1Epoch)->Unit(benchmark::kSecond)->UseManualTime()->Iterations(2);

void print_report() {
  auto& f = bench::figures();
  const double bare = f["bare-cd-1"][1];
  const double reference[] = {0.41, 0.47, 2.0};
  const char* names[] = {"cd-1", "pcd-1", "cd-10"};
  std::printf("\nseconds per epoch (784x500 RBM, 9,000 examples, batch 100; %s):\n",
              mnist_dir().empty() ? "random RBM on random pixels"
                                  : ("examples/rbm_mnist.pbtxt on the digits of " + mnist_dir() +
                                     ", after one epoch of warm-up")
                                        .c_str());
  for (int i = 0; i < 3; ++i)
    for (const auto& [threads, seconds] : f[names[i]])
      std::printf("  %-6s %d thread(s): %.3f s   PyTorch reference %.2f s: x%.2f as fast\n",
                  names[i], threads, seconds, reference[i], reference[i] / seconds);
  for (const auto& [threads, seconds] : f["cd-1"])
    std::printf(
        "  cd-1 at %d thread(s): the engine takes x%.2f the bare float loop's time (1 thread)\n",
        threads, seconds / bare);
}

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  try {  // a wrong DGM_BENCH_MNIST is a message and exit code 1, not an uncaught exception
    if (!mnist_dir().empty()) data();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "dgm_bench_learning: DGM_BENCH_MNIST: %s\n", e.what());
    return 1;
  }
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  print_report();
  return 0;
}
