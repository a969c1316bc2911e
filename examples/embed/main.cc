// Embedding dgm: a 3-state Potts model on an 8×8 grid, declared in code, sampled by
// chromatic Gibbs through a Session for at most one second (or until the estimates settle),
// and its single-site marginals printed next to the exact ones (junction tree).
#include <dgm/dgm.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <vector>

int main() {
  try {
    // p(x) ∝ exp(J·Σ_{i~j} [x_i = x_j] + Σ_i θ(x_i)), a field favouring state 0.
    dgm::ModelBuilder builder;
    builder.variables("x", {8, 8}, 3);
    builder.parameter("J", 0.6);
    builder.parameter("theta", {0.3, 0.0, -0.2});
    builder.factors("smooth").potts("J").lattice("x");
    builder.factors("field").unary("theta").each("x");
    builder.evidence("x[0,0]", 2);  // one observed pixel
    const dgm::Model model = builder.compile("potts8x8");

    const dgm::ExactResult exact = dgm::exact(model);

    // Marginal estimates accumulate from every kept sweep; the stop callback ends the run
    // once 20000 samples are in, the time budget after one second, whichever comes first.
    std::vector<double> counts(model.state_offset(model.num_variables()), 0.0);
    std::int64_t samples = 0;
    dgm::Session session(model,
                         {.sampler = "chromatic-gibbs", .chains = 32, .seed = 1, .burn_in = 100});
    dgm::Budget budget = dgm::Budget::for_seconds(1.0);
    budget.stop = [&](const dgm::Progress&) { return samples >= 20000; };
    const dgm::RunSummary run =
        session.run(budget, [&](std::int64_t, const dgm::ChainsView& chains) {
          for (std::int32_t b = 0; b < chains.num_chains(); ++b) {
            const auto state = chains.chain(b);
            for (std::int32_t v = 0; v < chains.num_variables(); ++v)
              counts[model.state_offset(v) + state[v]] += 1;
          }
          samples += chains.num_chains();
        });

    std::printf("%lld sweeps in %.2f s, %lld samples (stopped %s)\n",
                static_cast<long long>(run.sweeps_done), run.seconds,
                static_cast<long long>(samples),
                samples >= 20000 ? "by the callback" : "by the time budget");
    std::printf("log Z = %.6f (exact)\n", exact.log_z);
    std::printf("%-8s %25s %25s\n", "variable", "Gibbs p(0) p(1) p(2)", "exact p(0) p(1) p(2)");
    double worst = 0;
    for (std::int32_t v = 0; v < model.num_variables(); ++v) {
      const std::int64_t o = model.state_offset(v);
      double est[3];
      for (int k = 0; k < 3; ++k) {
        est[k] = counts[o + k] / static_cast<double>(samples);
        worst = std::max(worst, std::abs(est[k] - exact.marginals[o + k]));
      }
      if (v % 9 == 0)  // the diagonal
        std::printf("%-8s %8.3f %7.3f %7.3f   %8.3f %7.3f %7.3f\n", model.variable_name(v).c_str(),
                    est[0], est[1], est[2], exact.marginals[o], exact.marginals[o + 1],
                    exact.marginals[o + 2]);
    }
    std::printf("largest |Gibbs - exact| over all variables and states: %.3f\n", worst);
    return worst < 0.05 ? 0 : 1;
  } catch (const dgm::Error& e) {
    std::fprintf(stderr, "dgm: %s\n", e.what());
    return 2;
  }
}
