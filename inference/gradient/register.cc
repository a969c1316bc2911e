// Registration of the gradient-informed samplers: gwg, dula, dmala.
//
// Why one folder (inference/gradient/) rather than gwg/ and langevin/: the two families share
// everything but the proposal — the exact flip-difference scores (flip_scores.h), the
// evidence-aware slot layout, the RBM visible-marginal target (rbm_marginal.h) — and differ in
// one file each (gwg_sampler.h, dlp_sampler.h).
//
// In brief: the papers' "gradients" are, in a factor graph, exact flip differences Δ_s(x) =
// f(x after move s) − f(x), computed from the factors (flip_scores.h), one slot per binary
// variable and per other state of a categorical one, none for clamped ones. GWG keeps each
// chain's Δ's and a sum tree of exp(Δ/2 − shift) (sum_tree.h; nodes recomputed, so an MH undo
// is bit-exact) and rescores only the moved variables and their neighbours: O(degree · log N)
// per step. A sweep is max(1, N/n) GWG proposals or one DULA/DMALA step (which moves every
// variable), so --sweeps buys comparable work. RBMs take the visible marginal (rbm_marginal.h):
// one float product per step for all chains, the scores at the proposal reused as the next
// step's, the MH target in double; its default scores are the papers' first-order ones, ~50×
// cheaper than exact differences at 784 × 500, and the MH test keeps gwg and dmala exact.
//
// How the names and the settings combine:
//   gwg    reads GwgConfig; num_flips n > 1 is GWG-n (multi-flip). On an RBM-shaped model with
//          no clamped hidden unit it samples the visible marginal (rbm_marginal.h) unless
//          rbm { joint: true }.
//   dula   reads DulaConfig (step size default 0.1); no MH test.
//   dmala  reads DmalaConfig (step size default 0.2); MH test.
#include "inference/gradient/register.h"

#include <memory>
#include <sstream>
#include <string>

#include "dgm/sampler.pb.h"
#include "engine/error.h"
#include "inference/gradient/dlp_sampler.h"
#include "inference/gradient/gradient_params.h"
#include "inference/gradient/gwg_sampler.h"
#include "inference/gradient/rbm_marginal.h"
#include "inference/sampling/sampler_registry.h"

namespace dgm::inference {

namespace {

GradientCommon common_of(bool generic_only, const proto::RbmMarginalConfig& rbm) {
  GradientCommon c;
  c.generic_only = generic_only;
  c.rbm_marginal = !rbm.joint();
  c.rbm_scores =
      rbm.scores() == proto::RbmMarginalConfig::EXACT ? RbmScores::kExact : RbmScores::kFirstOrder;
  return c;
}

std::unique_ptr<Sampler> make_gwg(const engine::CompiledModel& model,
                                  const proto::SamplerConfig& config, std::uint64_t seed) {
  const proto::GwgConfig& c = config.gwg();  // the defaults when another backend is set
  GwgParams p;
  p.common = common_of(c.generic_only(), c.rbm());
  if (c.num_flips() != 0) p.num_flips = c.num_flips();
  validate_num_flips(p.num_flips);
  p.full_recompute = c.full_recompute();
  if (p.common.rbm_marginal && !p.full_recompute && !p.common.generic_only && p.num_flips >= 1) {
    RbmMarginalSampler::Settings s;
    s.method = RbmMarginalSampler::Method::kGwg;
    s.scores = p.common.rbm_scores;
    s.num_flips = p.num_flips;
    if (auto rbm = make_rbm_marginal(model, s, seed)) return rbm;
  }
  return std::make_unique<GwgSampler>(model, p, seed);
}

std::unique_ptr<Sampler> make_dlp(const engine::CompiledModel& model, bool metropolis,
                                  double step_size, bool generic_only,
                                  const proto::RbmMarginalConfig& rbm, std::uint64_t seed) {
  DlpParams p;
  p.common = common_of(generic_only, rbm);
  p.metropolis = metropolis;
  p.step_size = step_size != 0.0 ? step_size : (metropolis ? 0.2 : 0.1);
  validate_step_size(metropolis ? "dmala" : "dula", p.step_size);
  if (p.common.rbm_marginal && !p.common.generic_only && p.step_size > 0.0) {
    RbmMarginalSampler::Settings s;
    s.method = metropolis ? RbmMarginalSampler::Method::kDmala : RbmMarginalSampler::Method::kDula;
    s.scores = p.common.rbm_scores;
    s.step_size = p.step_size;
    if (auto sampler = make_rbm_marginal(model, s, seed)) return sampler;
  }
  return std::make_unique<DlpSampler>(model, p, seed);
}

}  // namespace

void validate_num_flips(std::int32_t num_flips) {
  if (num_flips < 1 || num_flips > (1 << 20))
    throw Error("gwg: num_flips must be in [1, 1048576] (got " + std::to_string(num_flips) + ")");
}

void validate_step_size(const char* sampler, double step_size) {
  if (!(step_size >= 1e-6 && step_size <= 1e6)) {
    std::ostringstream value;
    value << step_size;
    throw Error(std::string(sampler) + ": step_size must be in [1e-6, 1e6] (got " + value.str() +
                ")");
  }
}

void register_gradient_samplers(SamplerRegistry& registry) {
  registry.add({"gwg",
                "Gibbs-with-gradients (Grathwohl et al. 2021): MH with a softmax(Δ/2) "
                "proposal over exact flip differences kept incrementally; gwg { num_flips: "
                "n } for GWG-n; RBMs: visible marginal; a sweep = N proposals",
                "gwg", make_gwg});
  registry.add({"dula",
                "discrete unadjusted Langevin (Zhang et al. 2022): every variable moves at "
                "once, no MH test (biased); step size 0.1; a sweep = one step",
                "dula",
                [](const engine::CompiledModel& model, const proto::SamplerConfig& config,
                   std::uint64_t seed) {
                  const proto::DulaConfig& c = config.dula();
                  return make_dlp(model, false, c.step_size(), c.generic_only(), c.rbm(), seed);
                }});
  registry.add({"dmala",
                "discrete Metropolis-adjusted Langevin (Zhang et al. 2022): every variable "
                "moves at once, MH test; step size 0.2; a sweep = one step",
                "dmala",
                [](const engine::CompiledModel& model, const proto::SamplerConfig& config,
                   std::uint64_t seed) {
                  const proto::DmalaConfig& c = config.dmala();
                  return make_dlp(model, true, c.step_size(), c.generic_only(), c.rbm(), seed);
                }});
}

}  // namespace dgm::inference
