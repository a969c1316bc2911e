#include "learning/quality_proxy.h"

#include <tbb/blocked_range.h>
#include <tbb/parallel_for.h>

#include <Eigen/Dense>
#include <algorithm>
#include <cmath>
#include <limits>
#include <optional>
#include <vector>

#include "engine/error.h"
#include "engine/vector_math.h"
#include "inference/model_views/conditional.h"
#include "inference/model_views/rbm_layout.h"

namespace dgm::learning {
namespace {

using RowMatrix = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

// The RBM layout when the data holds exactly the visible layer, in order.
std::optional<inference::RbmLayout> rbm_with_hidden(const engine::CompiledModel& model,
                                                    const VisibleLayout& layout) {
  std::optional<inference::RbmLayout> rbm = inference::rbm_layout(model);
  if (!rbm || static_cast<std::int32_t>(layout.variables.size()) != rbm->num_visible)
    return std::nullopt;
  for (std::int32_t i = 0; i < rbm->num_visible; ++i)
    if (layout.variables[static_cast<std::size_t>(i)] != rbm->visible_begin + i)
      return std::nullopt;
  return rbm;
}

double reconstruction_error(const engine::CompiledModel& model, const inference::RbmLayout& r,
                            const Dataset& data, std::int64_t n) {
  const factors::FactorBlock& block = model.graph->blocks[static_cast<std::size_t>(r.block)];
  const Eigen::Map<const RowMatrix> w(model.params.values.data() + block.param_offset,
                                      r.num_visible, r.num_hidden);
  const std::vector<double> bias = inference::rbm_bias_log_odds(model);
  std::vector<double> per_example(static_cast<std::size_t>(n), 0.0);
  // Blocks of examples: one pair of matrix products each.
  constexpr std::int64_t kChunk = 256;
  tbb::parallel_for(std::int64_t{0}, (n + kChunk - 1) / kChunk, [&](std::int64_t chunk) {
    const std::int64_t begin = chunk * kChunk, end = std::min(n, begin + kChunk);
    RowMatrix v(end - begin, r.num_visible);
    for (std::int64_t b = begin; b < end; ++b) {
      const auto x = data.example(b);
      for (std::int32_t i = 0; i < r.num_visible; ++i)
        v(b - begin, i) = x[static_cast<std::size_t>(i)];
    }
    RowMatrix h = v * w;
    for (Eigen::Index b = 0; b < h.rows(); ++b)
      for (std::int32_t j = 0; j < r.num_hidden; ++j)
        h(b, j) = engine::sigmoid(h(b, j) + bias[static_cast<std::size_t>(r.hidden_begin + j)]);
    const RowMatrix a = h * w.transpose();
    for (Eigen::Index b = 0; b < a.rows(); ++b) {
      double sum = 0.0;
      for (std::int32_t i = 0; i < r.num_visible; ++i) {
        const double d =
            v(b, i) -
            engine::sigmoid(a(b, i) + bias[static_cast<std::size_t>(r.visible_begin + i)]);
        sum += d * d;
      }
      per_example[static_cast<std::size_t>(begin + b)] = sum / r.num_visible;
    }
  });
  double total = 0.0;
  for (const double e : per_example) total += e;
  return total / static_cast<double>(n);
}

double pseudo_log_likelihood(const engine::CompiledModel& model, const VisibleLayout& layout,
                             const Dataset& data, std::int64_t n) {
  const engine::Graph& g = *model.graph;
  const inference::Conditional conditional(model);
  std::vector<double> per_example(static_cast<std::size_t>(n), 0.0);
  tbb::parallel_for(
      tbb::blocked_range<std::int64_t>(0, n, 64),
      [&](const tbb::blocked_range<std::int64_t>& range) {
        std::vector<std::int32_t> x(static_cast<std::size_t>(g.num_variables()));
        std::vector<double> lp(static_cast<std::size_t>(conditional.max_cardinality()));
        for (std::int64_t b = range.begin(); b < range.end(); ++b) {
          for (std::int32_t v = 0; v < g.num_variables(); ++v)
            x[static_cast<std::size_t>(v)] = std::max(model.evidence[v], 0);
          const auto example = data.example(b);
          for (std::size_t c = 0; c < layout.variables.size(); ++c)
            x[static_cast<std::size_t>(layout.variables[c])] = example[c];
          double sum = 0.0;
          for (const std::int32_t v : layout.variables) {
            if (model.evidence[v] != engine::kFree) continue;
            const std::int32_t k = g.cardinality[v];
            conditional.log_probabilities(v, x, lp);
            double top = -std::numeric_limits<double>::infinity();
            for (std::int32_t s = 0; s < k; ++s)
              top = std::max(top, lp[static_cast<std::size_t>(s)]);
            double z = 0.0;
            for (std::int32_t s = 0; s < k; ++s)
              z += std::exp(lp[static_cast<std::size_t>(s)] - top);
            sum += lp[static_cast<std::size_t>(x[static_cast<std::size_t>(v)])] - top - std::log(z);
          }
          per_example[static_cast<std::size_t>(b)] = sum;
        }
      });
  double total = 0.0;
  for (const double e : per_example) total += e;
  return total / static_cast<double>(n);
}

bool fully_visible(const engine::CompiledModel& model, const VisibleLayout& layout) {
  std::vector<std::uint8_t> in_data(static_cast<std::size_t>(model.graph->num_variables()), 0);
  for (const std::int32_t v : layout.variables) in_data[static_cast<std::size_t>(v)] = 1;
  for (std::int32_t v = 0; v < model.graph->num_variables(); ++v)
    if (!in_data[static_cast<std::size_t>(v)] && model.evidence[v] == engine::kFree) return false;
  return true;
}

}  // namespace

QualityProxy quality_proxy_for(const engine::CompiledModel& model, const VisibleLayout& layout) {
  if (fully_visible(model, layout)) return {"pseudo_log_likelihood", true};
  if (rbm_with_hidden(model, layout)) return {"reconstruction_error", false};
  return {"none", false};
}

double quality_proxy(const engine::CompiledModel& model, const VisibleLayout& layout,
                     const Dataset& data, std::int64_t max_examples) {
  if (data.num_examples < 1) throw Error("learning: " + data.source + " has no examples");
  const std::int64_t n =
      max_examples > 0 ? std::min(max_examples, data.num_examples) : data.num_examples;
  if (fully_visible(model, layout)) return pseudo_log_likelihood(model, layout, data, n);
  if (const auto rbm = rbm_with_hidden(model, layout))
    return reconstruction_error(model, *rbm, data, n);
  return std::numeric_limits<double>::quiet_NaN();
}

}  // namespace dgm::learning
