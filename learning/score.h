#pragma once
// Evaluating a model on data: the average log-likelihood per example of a dataset, and the
// distance of learned parameters to known true ones.
//
// Log-likelihood: log p(v) = log p̃(v) − log Z, with p̃(v) = Σ_h exp f(v, h) over the variables
// the data does not hold (hidden), summed out exactly:
//   * none hidden: log p̃(v) = f(v), the log-potential;
//   * hidden = an RBM's hidden layer: minus the free energy, one double product per block of
//     examples (inference/model_views/rbm_parameters.h);
//   * otherwise: the junction tree of the model with the example's visible values clamped,
//     planned once for the whole dataset (refused, saying the width, when too large).
// The model's own evidence stays clamped throughout, so the score is that of the conditional
// model given the evidence (log Z is then log p̃(evidence)).
//
// log Z comes from exact inference (the RBM layer enumeration when it fits, else the junction
// tree), from AIS (inference/ais/ais.h; its ±3σ interval is carried into the score's), or is
// given. The mean's standard error over examples is reported separately from the log Z
// interval: the first says how much the test set's sample moves the mean, the second how
// uncertain the normaliser is; the latter shifts every example alike.
//
// Parameter recovery: RMSE between the model's learnable parameters and a reference model's
// parameters of the same names and shapes, over all their values and per parameter.
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include "engine/compiled_model.h"
#include "inference/ais/ais.h"
#include "inference/exact/junction_tree.h"
#include "learning/dataset.h"

namespace dgm::learning {

enum class LogZMethod { kExact, kAis, kGiven };

struct LogZEstimate {
  static constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
  LogZMethod method = LogZMethod::kExact;
  double value = kNaN;
  double low = kNaN, high = kNaN;  // the AIS interval; equal to value otherwise
  bool exact = true;               // exact up to rounding (not AIS, not a given value)
  std::string detail;              // how it was obtained, for people
  std::optional<inference::AisResult> ais;
};

// log Z of `model` (with its evidence) by `method`: kExact enumerates an RBM's smaller layer
// when that fits (inference/exact/rbm_log_z.h), else runs the junction tree (refused with the
// width when a clique table would pass `max_table_entries`); kAis runs ais_log_z with `ais`;
// kGiven takes `given` (which must be finite). Throws dgm::Error.
LogZEstimate model_log_z(
    const engine::CompiledModel& model, LogZMethod method, const inference::AisOptions& ais = {},
    double given = LogZEstimate::kNaN,
    std::int64_t max_table_entries = inference::ExactOptions{}.max_table_entries);

enum class HiddenSum { kNone, kRbmFreeEnergy, kJunctionTree };
const char* to_string(HiddenSum how);

// log p̃(v) of every example (−∞ for an example of probability zero), the hidden variables
// summed out as above. The data must have been validated (validate_dataset).
struct UnnormalisedLogLikelihoods {
  std::vector<double> values;
  HiddenSum hidden = HiddenSum::kNone;
  std::int64_t hidden_variables = 0;
  int induced_width = 0;  // of the junction tree, when one is used
};
UnnormalisedLogLikelihoods log_unnormalised(
    const engine::CompiledModel& model, const Dataset& data, const VisibleLayout& layout,
    std::int64_t max_table_entries = inference::ExactOptions{}.max_table_entries);

struct ScoreResult {
  static constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
  std::int64_t examples = 0;
  double mean_log_likelihood = kNaN;    // (1/n) Σ log p(v_n); −∞ if an example is impossible
  double standard_error = kNaN;         // of that mean over examples (NaN for n < 2 or −∞)
  double low = kNaN, high = kNaN;       // the mean with log Z at its interval's ends
  double mean_log_unnormalised = kNaN;  // (1/n) Σ log p̃(v_n)
  std::int64_t zero_probability_examples = 0;
  HiddenSum hidden = HiddenSum::kNone;
  std::int64_t hidden_variables = 0;
  LogZEstimate log_z;
};

// The average log-likelihood of `data` under `model` with the given log Z (model_log_z).
ScoreResult score(const engine::CompiledModel& model, const Dataset& data,
                  const VisibleLayout& layout, const LogZEstimate& log_z,
                  std::int64_t max_table_entries = inference::ExactOptions{}.max_table_entries);

// AIS base log-potentials from the data's visible marginals, `pseudo_count` per state
// (inference::base_from_state_counts); hidden variables get the uniform base.
std::vector<double> ais_base_from_data(const engine::CompiledModel& model, const Dataset& data,
                                       const VisibleLayout& layout, double pseudo_count = 1.0);

struct ParameterRmse {
  std::string name;
  std::int64_t size = 0;
  double rmse = 0;
};
struct RmseReport {
  double rmse = 0;          // over every value compared
  std::int64_t values = 0;  // how many
  std::vector<ParameterRmse> parameters;
};

// RMSE between `model`'s learnable parameters (all of its parameters when none is learnable)
// and the parameters of the same names in `reference`. Throws dgm::Error naming the parameter
// when the reference lacks it or its shape differs, and when there is nothing to compare.
RmseReport parameter_rmse(const engine::CompiledModel& model,
                          const engine::CompiledModel& reference);

}  // namespace dgm::learning
