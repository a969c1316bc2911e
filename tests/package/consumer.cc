// An application embedding dgm through the public API only: builds a model in code, asks
// exact inference for log Z and marginals, and samples it through a Session.
#include <dgm/dgm.h>

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <vector>

int main() {
  // A ring of 8 spins with coupling J and a field h on spin 0.
  dgm::ModelBuilder builder;
  builder.variables("s", {8}, 2);
  builder.parameter("J", 0.5);
  builder.factors("bonds").ising("J").lattice("s", {.periodic = true});
  const dgm::Model model = builder.compile("ring");

  const double log_z = dgm::exact_log_z(model);
  // Ring of n spins: Z = (2 cosh J)^n + (2 sinh J)^n.
  const double expected =
      std::log(std::pow(2 * std::cosh(0.5), 8) + std::pow(2 * std::sinh(0.5), 8));
  std::printf("log Z = %.12f (closed form %.12f)\n", log_z, expected);
  if (std::abs(log_z - expected) > 1e-9) return 1;

  // Samples straight into a buffer; by symmetry p(s_0 = 1) = 1/2.
  dgm::Session session(model, {.sampler = "chromatic-gibbs", .chains = 16, .seed = 3});
  std::vector<std::int32_t> samples(4000 * static_cast<std::size_t>(model.num_variables()));
  const std::int64_t rows = session.draw(samples);
  double ones = 0;
  for (std::int64_t r = 0; r < rows; ++r) ones += samples[r * model.num_variables()];
  std::printf("p(s[0] = 1) ≈ %.3f from %lld samples (exact 0.5)\n", ones / rows,
              static_cast<long long>(rows));
  if (rows != 4000 || std::abs(ones / rows - 0.5) > 0.05) return 1;

  // Errors carry fields besides the message.
  try {
    dgm::Session bad(model, {.sampler = "no-such-sampler"});
  } catch (const dgm::Error& e) {
    std::printf("error: %s (code %s, %zu allowed names)\n", e.what(), dgm::to_string(e.code()),
                e.allowed().size());
    return e.code() == dgm::ErrorCode::kUnknownName && e.allowed() == dgm::sampler_names() ? 0 : 1;
  }
  return 1;
}
