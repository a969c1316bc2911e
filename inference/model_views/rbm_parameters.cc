#include "inference/model_views/rbm_parameters.h"

#include <tbb/blocked_range.h>
#include <tbb/parallel_for.h>

#include <algorithm>
#include <cmath>

#include "engine/dense_product.h"
#include "engine/log_potential.h"
#include "engine/vector_math.h"

namespace dgm::inference {

namespace {
constexpr std::int64_t kRowBlock = 256;
}  // namespace

std::optional<RbmParameters> rbm_parameters(const engine::CompiledModel& model) {
  const std::optional<RbmLayout> layout = rbm_layout(model);
  if (!layout) return std::nullopt;
  const std::vector<double> bias = rbm_bias_log_odds(model);
  if (!std::all_of(bias.begin(), bias.end(), [](double x) { return std::isfinite(x); }))
    return std::nullopt;
  RbmParameters p;
  p.layout = *layout;
  const std::int32_t nv = layout->num_visible, nh = layout->num_hidden;
  const factors::FactorBlock& block = model.graph->blocks[static_cast<std::size_t>(layout->block)];
  p.w = Eigen::Map<const RbmParameters::Matrix>(model.params.values.data() + block.param_offset, nv,
                                                nh);
  p.b = Eigen::Map<const Eigen::VectorXd>(bias.data() + layout->visible_begin, nv);
  p.c = Eigen::Map<const Eigen::VectorXd>(bias.data() + layout->hidden_begin, nh);
  // Every factor is affine in the states (factors/binary_affine.h), so f at the all-zero state
  // is the constant k; it is finite because the biases are.
  const std::vector<std::int32_t> zeros(static_cast<std::size_t>(model.graph->num_variables()), 0);
  p.constant = engine::total_log_potential(model, zeros);
  if (!std::isfinite(p.constant)) return std::nullopt;
  return p;
}

std::vector<double> rbm_log_visible_marginals(const engine::CompiledModel& model,
                                              const RbmParameters& rbm,
                                              std::span<const std::int32_t> visible,
                                              std::int64_t rows) {
  const std::int32_t nv = rbm.layout.num_visible, nh = rbm.layout.num_hidden;
  // Per hidden unit: 1 when summed out, else 0 and its clamped state in `fixed`.
  Eigen::ArrayXd free_unit = Eigen::ArrayXd::Ones(nh), fixed = Eigen::ArrayXd::Zero(nh);
  for (std::int32_t j = 0; j < nh; ++j) {
    const std::int32_t e =
        model.evidence.empty()
            ? engine::kFree
            : model.evidence[static_cast<std::size_t>(rbm.layout.hidden_begin + j)];
    if (e != engine::kFree) {
      free_unit[j] = 0.0;
      fixed[j] = e;
    }
  }
  std::vector<double> out(static_cast<std::size_t>(rows));
  const std::int64_t blocks = (rows + kRowBlock - 1) / kRowBlock;
  tbb::parallel_for(tbb::blocked_range<std::int64_t>(0, blocks, 1), [&](const auto& range) {
    RbmParameters::Matrix v, a;
    std::vector<double> terms(static_cast<std::size_t>(nh)), factors(static_cast<std::size_t>(nh));
    for (std::int64_t blk = range.begin(); blk != range.end(); ++blk) {
      const std::int64_t r0 = blk * kRowBlock, m = std::min(kRowBlock, rows - r0);
      v.resize(m, nv);
      for (std::int64_t r = 0; r < m; ++r)
        for (std::int32_t i = 0; i < nv; ++i)
          v(r, i) = visible[static_cast<std::size_t>((r0 + r) * nv + i)];
      a.resize(m, nh);
      engine::gemm(false, false, m, nh, nv, 1.0, v.data(), nv, rbm.w.data(), nh, 0.0, a.data(), nh);
      a.rowwise() += rbm.c.transpose();
      const Eigen::VectorXd bv = v * rbm.b;
      for (std::int64_t r = 0; r < m; ++r) {
        const double* ar = a.row(r).data();
        double clamped = 0.0;
        for (std::int32_t j = 0; j < nh; ++j) {
          // A clamped unit's term is s·a_j; its softplus part is zeroed (term 0, factor 1).
          const double x = ar[j] * free_unit[j];
          engine::softplus_parts(x, engine::exp_neg_abs(x), terms[static_cast<std::size_t>(j)],
                                 factors[static_cast<std::size_t>(j)]);
          terms[static_cast<std::size_t>(j)] *= free_unit[j];
          factors[static_cast<std::size_t>(j)] =
              free_unit[j] * factors[static_cast<std::size_t>(j)] + (1.0 - free_unit[j]);
          clamped += fixed[j] * ar[j];
        }
        out[static_cast<std::size_t>(r0 + r)] =
            rbm.constant + bv[r] + clamped +
            engine::softplus_total(terms.data(), factors.data(), nh);
      }
    }
  });
  return out;
}

std::vector<double> rbm_log_potentials(const RbmParameters& rbm,
                                       std::span<const std::int32_t> states, std::int64_t rows) {
  const RbmLayout& l = rbm.layout;
  const std::int64_t n = l.num_visible + l.num_hidden;
  std::vector<double> out(static_cast<std::size_t>(rows));
  // Small blocks: the monitor passes a few chains at a time, and two blocks keep two cores busy.
  constexpr std::int64_t kBlock = 4;
  const std::int64_t blocks = (rows + kBlock - 1) / kBlock;
  tbb::parallel_for(tbb::blocked_range<std::int64_t>(0, blocks, 1), [&](const auto& range) {
    RbmParameters::Matrix v, h, a;
    for (std::int64_t blk = range.begin(); blk != range.end(); ++blk) {
      const std::int64_t r0 = blk * kBlock, m = std::min(kBlock, rows - r0);
      v.resize(m, l.num_visible);
      h.resize(m, l.num_hidden);
      for (std::int64_t r = 0; r < m; ++r) {
        const std::int32_t* x = states.data() + (r0 + r) * n;
        for (std::int32_t i = 0; i < l.num_visible; ++i) v(r, i) = x[l.visible_begin + i];
        for (std::int32_t j = 0; j < l.num_hidden; ++j) h(r, j) = x[l.hidden_begin + j];
      }
      a.resize(m, l.num_hidden);
      engine::gemm(false, false, m, l.num_hidden, l.num_visible, 1.0, v.data(), l.num_visible,
                   rbm.w.data(), l.num_hidden, 0.0, a.data(), l.num_hidden);
      for (std::int64_t r = 0; r < m; ++r)
        out[static_cast<std::size_t>(r0 + r)] =
            rbm.constant + v.row(r).dot(rbm.b) + h.row(r).dot(rbm.c) + a.row(r).dot(h.row(r));
    }
  });
  return out;
}

}  // namespace dgm::inference
