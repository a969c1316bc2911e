#pragma once
// A sampling session: one sampler on one model with its batch of chains, and the position of
// every random stream it draws from. Everything that runs a sampler goes through it — the dgm
// program, applications (through <dgm/dgm.h>), the learner and the comparison tool:
//
//   Session session(model, {.sampler = "chromatic-gibbs", .chains = 16, .seed = 7});
//   session.run({.sweeps = 1000}, observers);          // sweeps 0..999
//   session.run({.sweeps = 1000}, observers);          // sweeps 1000..1999: fresh numbers
//   session.set_parameters(new_values);                 // the sampler refreshes what it derived
//   session.save("run.session");                        // Session::restore continues exactly
//
// What it owns:
//   * its own copy of the model's parameters (the structure, Graph, is shared and immutable),
//     so set_parameters() never changes a model another thread reads;
//   * the sampler (resolved by name through the registry, sharing ownership of the model);
//   * the chains and the number of sweeps done, which is the counter of every random stream:
//     a continued or restored run draws the numbers an uninterrupted run would have drawn.
//
// Determinism: a session's samples depend on (model, sampler, settings, seed, chains) and on
// nothing else — not on the number of threads, nor on how the sweeps were split into runs,
// nor on whether the session was saved and restored in between.
//
// Threads: a compiled model may be shared by any number of threads and sessions; one Session
// must be used by one thread at a time. run() uses up to `threads` worker threads (0: all).
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "dgm/sampler.pb.h"
#include "engine/compiled_model.h"
#include "engine/resource_limits.h"
#include "inference/sampling/chains.h"
#include "inference/sampling/run.h"
#include "inference/sampling/sampler.h"

namespace dgm::proto {
class SessionCheckpoint;
}

namespace dgm::inference {

// How chains start when the session is created.
enum class StartPolicy {
  // Uniformly at random (evidence clamped). When the sampler needs a start of positive
  // probability and some uniform start has probability zero (hard constraints), those chains
  // start from the exact MAP state where exact inference is affordable; otherwise creating
  // the session fails, saying how to give valid starts (a note says how many were replaced).
  kUniform,
  // Chain b starts from rows[b mod rows] (SessionOptions::start_rows).
  kRows,
};

struct SessionOptions {
  // A registry name (see sampler_registry()). Empty: the backend that `config` selects, or
  // "gibbs" when it selects none. A name that disagrees with the backend `config` selects is
  // an error (dgm::Error), never silently overridden.
  std::string sampler;
  // The backend's settings (its run settings are not read: use the fields below).
  proto::SamplerConfig config;
  std::int32_t chains = 64;
  std::uint64_t seed = 0;
  // Worker threads for run(); 0: all cores. Results do not depend on it.
  int threads = 0;
  // The keep rule on global sweep indices (see RunOptions): part of the session, so that a
  // continued run keeps what an uninterrupted one would have kept.
  std::int64_t burn_in = 0;
  std::int64_t thin = 1;
  StartPolicy start = StartPolicy::kUniform;
  // kRows: row-major states, num_rows × N; `start_source` names them in errors.
  std::vector<std::int32_t> start_rows;
  std::int64_t num_start_rows = 0;
  std::string start_source = "initial states";
  // Caps on chains × variables and on memory (max_chain_states, max_memory_bytes), checked
  // before the sampler and the chains are built.
  engine::ResourceLimits limits;
};

// A budget for one run(): it stops at whichever comes first. At least one must be set.
struct Budget {
  std::int64_t sweeps = -1;  // < 0: no limit on sweeps
  double seconds = -1.0;     // < 0: no time limit
  // Polled after every sweep; returning true stops the run (Ctrl-C, convergence, ...).
  std::function<bool(const RunProgress&)> stop;

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
  static Budget until(std::function<bool(const RunProgress&)> stop) {
    Budget b;
    b.stop = std::move(stop);
    return b;
  }
};

class Session {
 public:
  // Copies the model's parameters and evidence (shares its structure), builds the sampler and
  // starts the chains. Throws dgm::Error on unknown samplers, bad settings, bad start rows.
  Session(const engine::CompiledModel& model, SessionOptions options);
  Session(std::shared_ptr<const engine::CompiledModel> model, SessionOptions options);

  // Restores a session written by save() onto `model`, which must be the model it ran on
  // (structure, evidence and parameter values are checked). `threads` may differ.
  static Session restore(const std::string& path, const engine::CompiledModel& model,
                         int threads = 0);
  static Session restore(const proto::SessionCheckpoint& checkpoint,
                         const engine::CompiledModel& model, int threads = 0,
                         const std::string& source = "saved session");

  Session(Session&&) noexcept;
  Session& operator=(Session&&) noexcept;
  ~Session();

  // Runs sweeps sweeps_done() .. until the budget ends; observers see every sweep and every
  // kept sweep (RunObserver). Returns what this run did.
  RunSummary run(const Budget& budget, std::span<RunObserver* const> observers = {});

  // Replaces every parameter value (Params::values order; same size) or one parameter by
  // name. Bumps the parameter version, and the sampler refreshes what it derived from the
  // numbers (Sampler::refresh_parameters): O(parameters). Chains are kept; per-chain caches
  // are rebuilt at the next run(). Throws dgm::Error on a wrong size, NaN or +inf.
  void set_parameters(std::span<const double> values);
  void set_parameter(std::string_view name, std::span<const double> values);

  // Replaces the chains' states (num_chains × N, chain-major); evidence is checked.
  void set_states(std::span<const std::int32_t> states, const std::string& source = "states");

  // Writes everything needed to continue (format: proto/dgm/session.proto) to `path`,
  // through a temporary file in the same folder renamed into place, so the file is always
  // either the old or the new checkpoint.
  // `output_rows`: rows of the caller's samples file at this point (recorded, not checked).
  void save(const std::string& path, std::int64_t output_rows = 0) const;
  proto::SessionCheckpoint checkpoint() const;
  // Reads a file save() wrote (dgm::Error naming the file if it is not one).
  static proto::SessionCheckpoint read_checkpoint(const std::string& path);

  const engine::CompiledModel& model() const { return *model_; }
  std::shared_ptr<const engine::CompiledModel> shared_model() const { return model_; }
  const Chains& chains() const { return chains_; }
  const Sampler& sampler() const { return *sampler_; }
  const std::string& sampler_name() const { return sampler_name_; }
  const proto::SamplerConfig& config() const { return config_; }
  std::uint64_t seed() const { return seed_; }
  std::int32_t num_chains() const { return chains_.num_chains(); }
  std::int64_t burn_in() const { return burn_in_; }
  std::int64_t thin() const { return thin_; }
  int threads() const { return threads_; }
  void set_threads(int threads);
  // Sweeps done over the session's life: the next sweep's index in every random stream.
  std::int64_t sweeps_done() const { return sweeps_done_; }
  // Sweeps kept over the session's life (samples = kept_sweeps × chains).
  std::int64_t kept_sweeps() const { return kept_sweeps_; }
  std::uint64_t parameter_version() const { return model_->params.version; }
  // Things worth telling a user (chains moved to the MAP state, ...), in order.
  const std::vector<std::string>& notes() const { return notes_; }

 private:
  Session() = default;
  void build_sampler(const std::string& name);
  // Copies `values` into previous_values_ (the staging buffer) and checks them in the same
  // pass (parallel chunks: learning calls this after every update); throws dgm::Error naming
  // the first NaN or +inf. Returns whether some value is −inf.
  bool stage_values(std::span<const double> values, const std::string& what);
  // Installs the staged values and refreshes the sampler; if the sampler refuses them, the old
  // values are restored and the error rethrown.
  void install_staged(bool has_minus_infinity);
  // engine::every_state_possible of the current values, remembered per parameter version.
  bool every_state_possible();
  void start(const SessionOptions& options);
  engine::CompiledModel& mutable_model() { return *model_; }

  std::shared_ptr<engine::CompiledModel> model_;  // private copy of the numbers
  std::string sampler_name_;
  proto::SamplerConfig config_;
  std::uint64_t seed_ = 0;
  int threads_ = 0;
  std::int64_t burn_in_ = 0, thin_ = 1;
  std::unique_ptr<Sampler> sampler_;
  Chains chains_;
  std::int64_t sweeps_done_ = 0, kept_sweeps_ = 0;
  // Whether sampler_->reset(chains_) must run before the next sweep (the chains or the
  // parameters changed from outside since the sampler last saw them).
  bool needs_reset_ = true;
  std::vector<double> previous_values_;  // stage_values: the values being installed or replaced
  std::uint64_t possible_version_ = ~std::uint64_t{0};  // every_state_possible(): its version
  bool possible_ = false;
  std::vector<std::string> notes_;
};

// The registry name a session would run for (`name`, `config`): `name` when given, else the
// backend `config` selects, else "gibbs". Throws dgm::Error when both are given and disagree.
std::string resolve_sampler_name(const std::string& name, const proto::SamplerConfig& config);

}  // namespace dgm::inference
