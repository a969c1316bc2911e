#pragma once
// A sampling session: one MCMC sampler (Gibbs family, PMP, Gibbs-with-gradients, DULA,
// DMALA) on one model, with its batch of chains and the position of every random stream.
//
//   dgm::Session session(model, {.sampler = "chromatic-gibbs", .chains = 16, .seed = 7});
//   session.run(dgm::Budget::for_seconds(2.0), on_sample);   // continues where it stopped
//   std::int64_t rows = session.draw(buffer);                 // samples straight into a span
//   session.save("run.session");                              // Session::restore continues
//
// Determinism: the samples depend on (model, sampler, settings, seed, chains) only — not on
// the number of threads, nor on how the sweeps were split into runs or draws, nor on a
// save/restore in between.
//
// Threads: a Session must be used by one thread at a time (it owns mutable chains). Many
// sessions may run at once on one shared Model. run() and draw() use up to `threads` worker
// threads of their own (0: all cores).
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "dgm/model.h"
#include "dgm/sampler.pb.h"

namespace dgm {

// Members all have initialisers, so designated initialisers may name any subset
// ({.sampler = "gwg", .seed = 7}) without -Wmissing-field-initializers warnings.
struct SessionOptions {
  // A sampler name: "gibbs", "chromatic-gibbs", "block-gibbs", "pmp", "gwg", "dula",
  // "dmala", "exact", ... (sampler_names()). Empty: the backend `config` selects, else "gibbs".
  std::string sampler{};
  // The backend's settings (its `run` block is not read: use the fields below).
  proto::SamplerConfig config{};
  std::int32_t chains = 64;
  std::uint64_t seed = 0;
  int threads = 0;  // 0: all cores; results never depend on it
  // Keep rule on the session's global sweep index g: kept when g ≥ burn_in and
  // (g − burn_in + 1) is a multiple of thin.
  std::int64_t burn_in = 0;
  std::int64_t thin = 1;
  // Empty: chains start uniformly at random (evidence clamped; models with hard constraints
  // start impossible chains from the exact MAP state when that is affordable). Otherwise
  // rows of N states, row-major; chain b starts from row b mod rows.
  std::vector<std::int32_t> start_states{};
  // Resource caps, checked before the chains are allocated (ErrorCode::kLimit): chains ×
  // variables, and the estimated bytes of the chains, the sampler's per-chain buffers and the
  // model. The defaults are the `dgm` program's (--max-chain-states, --max-memory).
  std::int64_t max_chain_states = std::int64_t{1} << 28;
  std::int64_t max_memory_bytes = std::int64_t{4} << 30;
};

// What a stop callback sees after every sweep of a run.
struct Progress {
  std::int64_t sweeps_done = 0;  // in this run
  std::int64_t kept_sweeps = 0;  // in this run
  double seconds = 0.0;          // since this run started
};

// A budget for one run() or draw(): whichever limit comes first ends it.
struct Budget {
  std::int64_t sweeps = -1;  // < 0: no limit
  double seconds = -1.0;     // < 0: no limit
  // Polled after every sweep; returning true stops (Ctrl-C, convergence, a UI's cancel).
  std::function<bool(const Progress&)> stop{};

  static Budget for_sweeps(std::int64_t n) {
    Budget b;
    b.sweeps = n;
    return b;
  }
  static Budget for_seconds(double s) {
    Budget b;
    b.seconds = s;
    return b;
  }
};

struct RunSummary {
  std::int64_t sweeps_done = 0;
  std::int64_t kept_sweeps = 0;  // samples = kept_sweeps × chains
  double seconds = 0.0;
  bool stopped_early = false;  // by the stop callback, an observer or the time limit
  // Over all sweeps of the run: site updates, Metropolis–Hastings proposals and acceptances
  // (0 for Gibbs samplers), variables that changed.
  std::int64_t site_updates = 0, proposals = 0, accepted = 0, changed = 0;
  // Work in units that do not depend on what a sampler calls a sweep: evaluations of one
  // factor at one configuration (computing a K-state conditional of a variable in d factors
  // counts K·d), belief-propagation message updates, and flops of dense products.
  std::int64_t factor_evaluations = 0, messages = 0, flops = 0;
};

// The chains' states, chain-major (chain b's state is states()[b·N, (b+1)·N)). A view into
// the session: valid until the session's next non-const call.
class ChainsView {
 public:
  ChainsView(std::int32_t num_chains, std::int32_t num_variables,
             std::span<const std::int32_t> states)
      : num_chains_(num_chains), num_variables_(num_variables), states_(states) {}
  std::int32_t num_chains() const { return num_chains_; }
  std::int32_t num_variables() const { return num_variables_; }
  std::span<const std::int32_t> states() const { return states_; }
  std::span<const std::int32_t> chain(std::int32_t b) const {
    return states_.subspan(static_cast<std::size_t>(b) * num_variables_,
                           static_cast<std::size_t>(num_variables_));
  }

 private:
  std::int32_t num_chains_ = 0, num_variables_ = 0;
  std::span<const std::int32_t> states_;
};

// Called during run(): after every sweep, and after every kept sweep (each chain's state is
// then one sample). `sweep` is the session's global sweep index.
class Observer {
 public:
  virtual ~Observer() = default;
  // Return false to stop the run after this sweep.
  virtual bool on_sweep(std::int64_t /*sweep*/, const ChainsView& /*chains*/) { return true; }
  virtual void on_sample(std::int64_t /*sweep*/, const ChainsView& /*chains*/) {}
};

// The per-kept-sweep callback form of an observer.
using SampleCallback = std::function<void(std::int64_t sweep, const ChainsView& chains)>;

class Session {
 public:
  // Copies the model's parameters (the structure is shared), builds the sampler and starts
  // the chains. dgm::Error on an unknown sampler (kUnknownName, with the allowed names), bad
  // settings or bad start states.
  Session(const Model& model, SessionOptions options = {});
  // Continues a session written by save() on `model`, which must be the model it ran on
  // (structure, evidence and parameters are checked). `threads` may differ.
  static Session restore(const std::string& path, const Model& model, int threads = 0);

  Session(Session&&) noexcept;
  Session& operator=(Session&&) noexcept;
  ~Session();

  // Runs sweeps until the budget ends (at least one limit must be set).
  RunSummary run(const Budget& budget, std::span<Observer* const> observers = {});
  RunSummary run(const Budget& budget, const SampleCallback& on_sample);

  // Runs until `out` holds out.size() / N samples (rows of N states: the chains' states
  // after each kept sweep, chain 0 first; the last kept sweep may fill only some rows) or the
  // budget ends, writing straight into `out`. Returns the number of rows written. out.size()
  // must be a multiple of N. The default budget is no limit but a full buffer.
  std::int64_t draw(std::span<std::int32_t> out, const Budget& budget = {});

  // Replaces every parameter value (Model::parameter_values() order and length) or one
  // parameter by name; the sampler refreshes what it derived from them, chains are kept.
  void set_parameters(std::span<const double> values);
  void set_parameter(std::string_view name, std::span<const double> values);
  // Replaces the chains' states (num_chains × N, chain-major); evidence is checked.
  void set_states(std::span<const std::int32_t> states);

  // Writes everything needed to continue to `path` (atomically: old or new file, never half).
  void save(const std::string& path) const;

  ChainsView chains() const;
  std::int32_t num_chains() const;
  std::int32_t num_variables() const;
  const std::string& sampler_name() const;
  // Sweeps done (and kept) over the session's life, across runs, draws and restores.
  std::int64_t sweeps_done() const;
  std::int64_t kept_sweeps() const;
  // The session's own parameter values (after set_parameters).
  std::span<const double> parameter_values() const;
  // Things worth telling a user (chains moved to the MAP state, ...), in order.
  const std::vector<std::string>& notes() const;

 private:
  struct Impl;
  explicit Session(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// The registered sampler names.
std::vector<std::string> sampler_names();

}  // namespace dgm
