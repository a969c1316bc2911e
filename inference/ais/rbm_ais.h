#pragma once
// AIS for restricted Boltzmann machines, all runs as one batch (Salakhutdinov & Murray 2008,
// "On the quantitative analysis of deep belief networks", §4.2), on the path of
// inference/ais/ais.h with p_0 giving the visible units log-odds b⁰ (from the data's marginals,
// or 0) and the hidden units c⁰ (0 by default). The hidden layer is summed out analytically:
// with a = Wᵀv + c,
//   f_β(v) = (1 − β)(b⁰ᵀv + k⁰) + β(bᵀv + k) + Σ_j softplus((1 − β)c⁰_j + β·a_j),
// k and k⁰ the constants of the model and of the base (f at the all-zero state), so the log
// weight of run m grows by f_{β_k}(v) − f_{β_{k−1}}(v) at its current v. The transition at β is
// one block Gibbs step of the joint p_β(v, h):
//   h ~ σ((1 − β)c⁰ + β·a),   v ~ σ((1 − β)b⁰ + β(b + W·h)).
//
// One β step for all M runs is two matrix products, V·W (M × nv × nh) and H·Wᵀ, in float
// (Eigen GEMM): the products dominate the cost, and float halves it. Everything the weights
// are made of is double (the pre-activations as the product returned them, then softplus by
// engine::vector_math's vectorised exponentials, one log per 512 terms), so the weights carry
// the rounding of the float product only (relative ~1e−7 on each a_j, which does not
// accumulate along the path: a is recomputed at every β). The draws compare a 32-bit uniform
// with σ in double.
//
// Work is split into tiles — blocks of at most 256 runs × column ranges of the layer drawn,
// sized by M and the layer sizes alone — run on oneTBB. A hidden tile also computes its part of
// each run's softplus difference (and the first tile the linear part); a run's weight adds the
// parts in column order. So the results are bit-identical for any number of threads (a run's
// rounding may depend on M, through the product's blocking). No buffer is allocated per β.
//
// Random numbers: run m, β index k (0 for the base draw of v), CounterRng(seed,
// stream_id(kAnnealing, m)): hidden unit j reads word j mod 4 of draw sweep_counter(k, j / 4),
// visible unit i word i mod 4 of draw sweep_counter(k, ⌈nh/4⌉ + i / 4) (clamped units consume
// theirs too).
#include <cstdint>
#include <span>

#include "engine/compiled_model.h"
#include "inference/ais/ais.h"
#include "inference/ais/base_model.h"
#include "inference/model_views/rbm_parameters.h"

namespace dgm::inference {

// Whether the batch path can run `model`: RBM-shaped with finite biases (rbm_parameters), no
// clamped hidden unit, and weights that its float products can hold (a finite weight beyond
// ±3.4e38 would become ±inf there; the factor-graph path, in double, runs such a model).
bool rbm_ais_applies(const engine::CompiledModel& model);

// Runs options.runs annealing runs over `betas` and writes their log weights (without
// log Z_0). Returns the number of βs done (betas.size() unless options.stop asked to stop).
// Requires rbm_ais_applies(model); `rbm` = rbm_parameters(model).
std::int64_t run_rbm_ais(const engine::CompiledModel& model, const RbmParameters& rbm,
                         const BaseModel& base, std::span<const double> betas,
                         const AisOptions& options, std::span<double> log_weights);

}  // namespace dgm::inference
