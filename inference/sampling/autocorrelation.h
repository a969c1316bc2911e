#pragma once
// The integrated autocorrelation time of a scalar observed along MCMC chains (an energy, a
// magnetisation), and the effective sample size it implies:
//
//   τ_int = 1 + 2 Σ_{t=1}^{W} ρ(t),      ESS = chains × length / τ_int,
//
// with ρ the autocorrelation function averaged over chains (each chain centred on the mean of
// all chains, so that chains stuck in different modes count as correlated — the conservative
// choice of Goodman & Weare 2010 and emcee), and the window W chosen by Sokal's automatic rule
// (Sokal 1997, "Monte Carlo methods in statistical mechanics", §3): the smallest W with
// W ≥ c·τ_int(W), c = 5. When no such window exists within the series (chains much shorter
// than the correlation), the estimate is a lower bound and `reliable` says so.
//
// A learner logs τ_int of its persistent chains' energy beside k, the sweeps per update: when k
// falls well below τ_int, training leaves the equilibrium regime (Decelle, Furtlehner &
// Seoane 2021, "Equilibrium and non-equilibrium regimes in the learning of restricted Boltzmann
// machines").
#include <cstdint>
#include <span>

namespace dgm::inference {

struct Autocorrelation {
  double tau_int = 1.0;  // in sweeps (the series' steps)
  double ess = 0.0;      // effective number of independent samples over all chains
  std::int64_t window = 0;
  // False when the window rule found no window inside the series: tau_int is then a lower
  // bound, and so is the true cost of an independent sample.
  bool reliable = true;
  // True when every value is the same (no variation: τ_int is reported as 1).
  bool constant = false;
};

// `series` is chain-major: chains × length values (chain c's t-th value at c·length + t).
// Throws dgm::Error when length < 4, chains < 1, the sizes disagree or a value is not finite.
Autocorrelation integrated_autocorrelation(std::span<const double> series, std::int64_t chains,
                                           std::int64_t length, double window_factor = 5.0);

}  // namespace dgm::inference
