#include "inference/metrics/convergence_monitor.h"

#include <tbb/blocked_range.h>
#include <tbb/parallel_for.h>

#include <algorithm>
#include <cmath>
#include <span>
#include <string>
#include <utility>

#include "engine/error.h"
#include "engine/log_potential.h"
#include "inference/metrics/effective_sample_size.h"
#include "inference/metrics/split_rhat.h"

namespace dgm::inference {

namespace {

// Geyer ESS and split-R̂ of a trace (chain-major, chains × length), τ_int converted from
// trace points to kept sweeps.
TraceDiagnostics diagnose(std::span<const double> trace, std::int64_t chains, std::int64_t length,
                          std::int64_t stride) {
  TraceDiagnostics d;
  if (length < 4) return d;
  for (const double x : trace)
    if (!std::isfinite(x)) return d;
  const EffectiveSampleSize e = geyer_ess(trace, chains, length);
  d.ess = e.ess;
  d.tau_int = e.tau_int * static_cast<double>(stride);
  d.constant = e.constant;
  d.rhat = split_rhat(trace, chains, length);
  return d;
}

}  // namespace

bool ConvergenceMonitor::Trace::make_room(std::int64_t kept) {
  if (series == 0 || kept % stride != 0) return false;
  if (length == capacity) {
    // Keep the points at even positions: those whose kept-sweep index is a multiple of the new
    // stride, so the trace stays evenly spaced.
    const std::int64_t half = length / 2;
    for (std::int64_t s = 0; s < series; ++s)
      for (std::int64_t t = 0; t < half; ++t)
        values[s * capacity + t] = values[s * capacity + 2 * t];
    length = half;
    stride *= 2;
  }
  return true;  // kept is a multiple of the new stride too: capacity · stride is even
}

void ConvergenceMonitor::Trace::compact(std::int64_t first, std::int64_t chains,
                                        std::vector<double>& out) const {
  out.resize(static_cast<std::size_t>(chains * length));
  for (std::int64_t c = 0; c < chains; ++c)
    std::copy(values.begin() + (first + c) * capacity,
              values.begin() + (first + c) * capacity + length, out.begin() + c * length);
}

ConvergenceMonitor::ConvergenceMonitor(const engine::CompiledModel& model, std::int32_t num_chains,
                                       ConvergenceOptions options)
    : model_(model), options_(std::move(options)), chains_(num_chains) {
  if (num_chains < 1)
    throw Error("convergence monitor: needs at least one chain (got " + std::to_string(num_chains) +
                ")");
  if (options_.max_segments < 4 || options_.max_segments % 2 != 0)
    throw Error("convergence monitor: max_segments must be even and at least 4 (got " +
                std::to_string(options_.max_segments) + ")");
  for (const auto& [name, capacity] : {std::pair{"trace_capacity", options_.trace_capacity},
                                       std::pair{"energy_capacity", options_.energy_capacity}})
    if (capacity < 8 || capacity % 2 != 0)
      throw Error(std::string("convergence monitor: ") + name +
                  " must be even and at least 8 (got " + std::to_string(capacity) + ")");
  if (options_.energy_chains < 0)
    throw Error("convergence monitor: energy_chains must be ≥ 0 (got " +
                std::to_string(options_.energy_chains) + ")");
  const engine::Graph& g = *model.graph;
  for (std::int32_t v = 0; v < g.num_variables(); ++v) {
    if (model.evidence[v] != engine::kFree) continue;
    tracked_.push_back(v);
    counter_.push_back(static_cast<std::int32_t>(counters_));
    cardinality_.push_back(g.cardinality[v]);
    counters_ += g.cardinality[v] == 2 ? 1 : g.cardinality[v];
  }
  dense_binary_ =
      counters_ == g.num_variables() && static_cast<std::int64_t>(tracked_.size()) == counters_;
  counts_.assign(static_cast<std::size_t>(options_.max_segments * num_chains * counters_), 0);
  energy_chains_ = std::min(options_.energy_chains, num_chains);
  const auto make_trace = [](std::int64_t series, std::int64_t capacity) {
    Trace t;
    t.series = series;
    t.capacity = capacity;
    t.values.assign(static_cast<std::size_t>(series * capacity), 0.0);
    return t;
  };
  energy_ = make_trace(energy_chains_, options_.energy_capacity);
  energy_scratch_.assign(static_cast<std::size_t>(energy_chains_), 0.0);
  group_means_ =
      make_trace(static_cast<std::int64_t>(g.groups.size()) * num_chains, options_.trace_capacity);
  if (!options_.log_potential)
    options_.log_potential = [&model](std::span<const std::int32_t> states, std::int64_t rows,
                                      std::span<double> out) {
      const std::size_t n = static_cast<std::size_t>(model.graph->num_variables());
      tbb::parallel_for(tbb::blocked_range<std::int64_t>(0, rows, 1), [&](const auto& range) {
        for (std::int64_t r = range.begin(); r != range.end(); ++r)
          out[r] = engine::total_log_potential(model, states.subspan(r * n, n));
      });
    };
}

void ConvergenceMonitor::on_sample(std::int64_t /*sweep*/, const Chains& chains) {
  const engine::Graph& g = *model_.graph;
  if (chains.num_chains() != chains_ || chains.num_variables() != g.num_variables())
    throw Error("convergence monitor: built for " + std::to_string(chains_) + " chains of " +
                std::to_string(g.num_variables()) + " variables, given " +
                std::to_string(chains.num_chains()) + " of " +
                std::to_string(chains.num_variables()));
  // The segment this sample counts in: the next one when the current is full, merging
  // neighbours first when there is none left.
  if (in_segment_ == segment_length_) {
    ++segment_;
    in_segment_ = 0;
    if (segment_ == options_.max_segments) {
      const std::int64_t per_segment = chains_ * counters_;
      const std::int64_t half = options_.max_segments / 2;
      for (std::int64_t s = 0; s < half; ++s) {
        std::int32_t* to = counts_.data() + s * per_segment;
        const std::int32_t* a = counts_.data() + 2 * s * per_segment;
        const std::int32_t* b = a + per_segment;
        for (std::int64_t i = 0; i < per_segment; ++i) to[i] = a[i] + b[i];
      }
      std::fill(counts_.begin() + half * per_segment, counts_.end(), 0);
      segment_ = half;
      segment_length_ *= 2;
    }
  }
  const bool record_groups = group_means_.make_room(kept_);
  const std::int64_t num_groups = static_cast<std::int64_t>(g.groups.size());
  tbb::parallel_for(tbb::blocked_range<std::int32_t>(0, chains_), [&](const auto& range) {
    for (std::int32_t b = range.begin(); b != range.end(); ++b) {
      const std::span<const std::int32_t> x = chains.chain(b);
      std::int32_t* counts = counts_.data() + (segment_ * chains_ + b) * counters_;
      if (dense_binary_) {
        // Counter v is variable v's: a loop the compiler vectorises.
        for (std::int64_t v = 0; v < counters_; ++v) counts[v] += x[v];
      } else {
        for (std::size_t i = 0; i < tracked_.size(); ++i) {
          const std::int32_t state = x[tracked_[i]];
          if (cardinality_[i] == 2)
            counts[counter_[i]] += state;
          else
            ++counts[counter_[i] + state];
        }
      }
      if (!record_groups) continue;
      for (std::int64_t gi = 0; gi < num_groups; ++gi) {
        const auto& group = g.groups[gi];
        std::int64_t sum = 0;  // integer adds: exact, and vectorised
        for (std::int32_t i = 0; i < group.size; ++i) sum += x[group.first + i];
        group_means_.values[(gi * chains_ + b) * group_means_.capacity + group_means_.length] =
            group.size > 0 ? static_cast<double>(sum) / group.size : 0.0;
      }
    }
  });
  if (record_groups) ++group_means_.length;
  if (energy_.make_room(kept_)) {
    // The traced chains are the first rows of the chains' states.
    options_.log_potential(
        chains.states().first(static_cast<std::size_t>(energy_chains_) * g.num_variables()),
        energy_chains_, energy_scratch_);
    for (std::int32_t b = 0; b < energy_chains_; ++b)
      energy_.values[b * energy_.capacity + energy_.length] = energy_scratch_[b];
    ++energy_.length;
  }
  ++in_segment_;
  ++kept_;
}

ConvergenceReport ConvergenceMonitor::report() const {
  const engine::Graph& g = *model_.graph;
  ConvergenceReport r;
  r.chains = chains_;
  r.kept_sweeps = kept_;
  r.variable_rhat.assign(static_cast<std::size_t>(g.num_variables()),
                         std::numeric_limits<double>::quiet_NaN());

  // Split-R̂ from the counts of the first 2h full segments.
  const std::int64_t full = kept_ == 0 ? 0 : segment_ + (in_segment_ == segment_length_ ? 1 : 0);
  const std::int64_t h = full / 2;
  const std::int64_t n = h * segment_length_;
  if (n >= 2) {
    r.rhat_half_length = n;
    // Per chain and half, the counts summed over the half's segments.
    std::vector<std::int64_t> halves(static_cast<std::size_t>(2 * chains_ * counters_), 0);
    for (std::int64_t s = 0; s < 2 * h; ++s) {
      const std::int64_t half = s < h ? 0 : 1;
      for (std::int32_t b = 0; b < chains_; ++b) {
        const std::int32_t* from = counts_.data() + (s * chains_ + b) * counters_;
        std::int64_t* to = halves.data() + ((2 * b + half) * counters_);
        for (std::int64_t i = 0; i < counters_; ++i) to[i] += from[i];
      }
    }
    std::vector<double> means(static_cast<std::size_t>(2 * chains_)), variances(means.size());
    const double dn = static_cast<double>(n);
    const auto indicator_rhat = [&](std::int64_t counter) {
      for (std::int32_t j = 0; j < 2 * chains_; ++j) {
        const double p = static_cast<double>(halves[j * counters_ + counter]) / dn;
        means[j] = p;
        variances[j] = p * (1.0 - p) * dn / (dn - 1.0);
      }
      return rhat_from_moments(means, variances, n);
    };
    for (std::size_t i = 0; i < tracked_.size(); ++i) {
      double rhat = 0.0;
      if (cardinality_[i] == 2) {
        rhat = indicator_rhat(counter_[i]);
      } else {
        for (std::int32_t k = 0; k < cardinality_[i]; ++k)
          rhat = std::max(rhat, indicator_rhat(counter_[i] + k));
      }
      const std::int32_t v = tracked_[i];
      r.variable_rhat[v] = rhat;
      if (r.worst_variable < 0 || rhat > r.max_rhat) {
        r.max_rhat = rhat;
        r.worst_variable = v;
      }
    }
    if (r.worst_variable >= 0) r.worst_variable_name = g.variable_name(r.worst_variable);
  }

  std::vector<double> trace;
  r.energy_chains = energy_chains_;
  r.energy_trace_length = energy_.length;
  r.energy_trace_stride = energy_.stride;
  if (energy_chains_ > 0) {
    energy_.compact(0, energy_chains_, trace);
    r.energy = diagnose(trace, energy_chains_, energy_.length, energy_.stride);
  }
  r.trace_length = group_means_.length;
  r.trace_stride = group_means_.stride;
  for (std::size_t gi = 0; gi < g.groups.size(); ++gi) {
    group_means_.compact(static_cast<std::int64_t>(gi) * chains_, chains_, trace);
    r.groups.push_back(
        {g.groups[gi].name, diagnose(trace, chains_, group_means_.length, group_means_.stride)});
  }
  return r;
}

}  // namespace dgm::inference
