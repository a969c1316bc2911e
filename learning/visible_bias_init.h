#pragma once
// The usual starting point of a visible layer's biases (Hinton 2010, "A practical guide to
// training restricted Boltzmann machines", §8.1): b_i = log(p_i / (1 − p_i)), p_i the fraction of
// training examples with visible unit i on. The model then starts out reproducing the data's
// pixel marginals; from zero biases a model first spends epochs learning them, and on MNIST a
// CD-25 RBM ends 5 nats lower after 50 epochs (docs/benchmarks.md).
#include <cstdint>
#include <string>
#include <vector>

#include "engine/compiled_model.h"
#include "learning/dataset.h"

namespace dgm::learning {

// Probabilities are kept in [kBiasInitClip, 1 − kBiasInitClip] so that pixels never (or always)
// on in the data get a finite bias (log-odds ±6.9).
inline constexpr double kBiasInitClip = 1e-3;

struct VisibleBiasInit {
  std::int64_t values_set = 0;          // parameter values written
  std::vector<std::string> parameters;  // their parameters' names, in model order
};

// Writes b_i into every learnable log-odds unary factor's own value (one value per factor, not
// tied) whose variable is a binary visible variable of `layout`; other factors and parameters
// are left alone. The data's column means are computed over all of `data`.
VisibleBiasInit init_visible_log_odds_from_data(engine::CompiledModel& model,
                                                const VisibleLayout& layout, const Dataset& data);

}  // namespace dgm::learning
