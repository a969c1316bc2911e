#pragma once
// Exact inference by variable elimination on a junction tree: log Z, every single-variable
// marginal and a MAP state, with evidence.
//
// The tree is the bucket (elimination) tree of the best of the greedy min-fill, min-degree
// and natural orders of the free variables (engine/elimination_order.h): eliminating variable v
// creates the clique C_v = {v} ∪ (its neighbours at that moment), whose separator S_v = C_v \ {v}
// is contained in the clique of the first-eliminated variable of S_v, its parent (Dechter 1999,
// "Bucket elimination"; Koller & Friedman 2009, §10.4.1). Each factor, restricted to the evidence,
// is assigned to the clique of its first-eliminated free variable.
//
// Messages follow Shafer & Shenoy (1990, "Probability propagation") in the log domain:
//   * collect (leaves to roots): m_{v→parent}(S_v) = log Σ_v exp(ψ_v + Σ_children m);
//     log Z = Σ over roots (one per connected component) of the root's log-sum-exp;
//   * distribute (roots to leaves): the message to child c excludes c's own message rather
//     than dividing it out, so hard zeros (−inf) never meet a subtraction. For a clique with
//     k children the k "all but one" sums are formed by halving the child list recursively:
//     O(k log k) table additions and O(log k) scratch tables, not O(k²);
//   * MAP: the collect pass with max instead of log-sum-exp, then a traceback from the roots
//     that picks, for each variable, the best state given the states already chosen;
//   * exact samples (forward filtering, backward sampling: Dawid 1992, "Applications of a
//     general propagation algorithm for probabilistic expert systems"; Koller & Friedman
//     2009, §12.1): the sum-product collect pass, then the same traceback drawing each
//     variable from its conditional given the states already drawn instead of taking the best.
// Tables are log-domain (inference/exact/log_table.h); every computation is sequential and
// deterministic.
//
// Cost: O(Σ_v |C_v|) per pass, where |C_v| is the clique's table size. A model whose largest
// clique table exceeds ExactOptions::max_table_entries is refused with a dgm::Error that
// states the induced width of the best order found (searched up to engine::kReportedWidthCap,
// the same words as dgm check: engine::describe_width) and the table size needed.
#include <cstdint>
#include <limits>
#include <memory>
#include <span>
#include <string_view>
#include <vector>

#include "engine/compiled_model.h"
#include "engine/graph.h"
#include "engine/params.h"
#include "inference/exact/log_table.h"

namespace dgm::inference {

struct ExactOptions {
  // Largest clique table (entries) exact inference may build; each entry is a double, so the
  // default 2^24 is 128 MiB per table (a few such tables are alive at once). The command line
  // sets it with --max-table-size.
  std::int64_t max_table_entries = std::int64_t{1} << 24;
  // What to compute. log Z comes with the marginals at no extra cost; the MAP state needs a
  // separate max-product pass.
  bool log_z = true;
  bool marginals = true;
  bool map = true;
  // Every factor's marginal over its whole scope (learning's exact model statistics, the
  // expectations of the sufficient statistics). Implies marginals.
  bool factor_marginals = false;
};

struct ExactResult {
  // log Z, including the model's log_constant and the evidence (log Z = log p̃(evidence));
  // −inf when the evidence (or the model's hard constraints) has probability zero; NaN when
  // not computed.
  double log_z = std::numeric_limits<double>::quiet_NaN();
  // p(x_v = k | evidence) at graph.state_offset[v] + k; clamped variables are one-hot. Empty
  // when not computed.
  std::vector<double> marginals;
  // A most probable full state given the evidence (clamped variables at their states); empty
  // when not computed.
  std::vector<std::int32_t> map_state;
  // Its unnormalised log-probability f(map_state), log_constant included; NaN when not
  // computed.
  double map_log_potential = std::numeric_limits<double>::quiet_NaN();
  // With ExactOptions::factor_marginals: p(x_f = c | evidence) for factor f's configuration c
  // (row-major over its scope in scope order, last position fastest) at
  // factor_marginal_offsets[f] + c; clamped scope positions are one-hot.
  std::vector<double> factor_marginals;
  std::vector<std::int64_t> factor_marginal_offsets;  // size F + 1
  // Of the elimination order used: largest clique size − 1, and the largest clique table.
  int induced_width = 0;
  std::int64_t largest_table = 0;
};

// What exact sampling keeps of one parameter vector and evidence (JunctionTree::
// prepare_sampling): the factors restricted to the evidence and the sum-product collect
// pass's messages m_{v→parent}(S_v), computed once and read by every sample.
struct SamplingTables {
  std::vector<double> factor_values;
  std::vector<double> up;
  // log Z, as ExactResult::log_z (finite: prepare_sampling refuses evidence of probability 0).
  double log_z = std::numeric_limits<double>::quiet_NaN();
};

// A junction tree planned once for a graph and a set of clamped variables, reusable for any
// parameters and any evidence values on the same clamped set (learning with hidden variables
// runs it once per data point). run() is const and keeps its buffers local, so several
// threads may run one tree at once.
class JunctionTree {
 public:
  // Plans elimination of the variables that `evidence` (one entry per variable: a state or
  // engine::kFree) leaves free. Throws dgm::Error when a clique table would exceed
  // `max_table_entries`; the message states the induced width and the table needed, and
  // ends with `advice` (how to raise the limit, or what to use instead) when it is given,
  // else with the advice for --max-table-size.
  JunctionTree(std::shared_ptr<const engine::Graph> graph, std::span<const std::int32_t> evidence,
               std::int64_t max_table_entries = ExactOptions{}.max_table_entries,
               std::string_view advice = {});

  // Computes what `options` asks for (its max_table_entries is not used: the plan is fixed).
  // `evidence` must clamp exactly the variables the tree was planned for. Throws dgm::Error
  // for marginals or MAP when the evidence has probability zero, and for NaN or +inf
  // log-potentials.
  ExactResult run(const engine::Params& params, std::span<const std::int32_t> evidence,
                  const ExactOptions& options = {}) const;

  // Exact sampling, step 1: the sum-product collect pass for `params` and `evidence` (which
  // must clamp exactly the variables the tree was planned for), O(Σ clique tables). Throws
  // dgm::Error when the evidence (or the hard constraints) has probability zero, and for NaN
  // or +inf log-potentials.
  SamplingTables prepare_sampling(const engine::Params& params,
                                  std::span<const std::int32_t> evidence) const;
  // Exact sampling, step 2: one independent draw from p(x | evidence) into `state`, whose
  // clamped variables are neither read nor written. Variables are drawn in reverse
  // elimination order, each from p(x_v | S_v) at the separator states already drawn, by
  // inversion with uniforms[i] ∈ (0, 1] for the variable at elimination position i (one per
  // free variable). O(Σ_v K_v · (bucket factors + children)) time; `row` is scratch, grown
  // once to the largest cardinality and then never reallocated. Returns the number of free
  // variables whose state changed. Const and without shared scratch: several threads may
  // sample from one tree and one SamplingTables at once, each with its own `row`. Throws
  // dgm::Error when the sizes of `tables`, `uniforms` or `state` do not fit this tree.
  std::int64_t sample(const SamplingTables& tables, std::span<const double> uniforms,
                      std::span<std::int32_t> state, std::vector<double>& row) const;

  // The free variables in elimination order.
  std::span<const std::int32_t> order() const { return order_; }
  int induced_width() const { return induced_width_; }
  // The work of one sample (inference/sampling/work.h): each free variable's conditional row
  // reads its bucket's factors and its children's messages at K_v states.
  std::int64_t sampling_evaluations() const;
  std::int64_t largest_table() const { return largest_table_; }

 private:
  // Table views of the plan's parts, over value buffers owned by a run.
  std::span<const std::int32_t> clique_vars(int i) const;
  std::span<const std::int32_t> clique_cards(int i) const;
  std::span<const std::int32_t> separator_vars(int i) const { return clique_vars(i).subspan(1); }
  std::span<const std::int32_t> separator_cards(int i) const { return clique_cards(i).subspan(1); }
  std::span<const std::int32_t> children(int i) const;
  std::span<const std::int32_t> bucket(int i) const;

  void check_evidence(std::span<const std::int32_t> evidence) const;
  // Fills `factor_values` with each factor's table restricted to the evidence; returns the
  // log_constant plus the factors with every variable clamped.
  double restrict_factors(const engine::Params& params, std::span<const std::int32_t> evidence,
                          std::vector<double>& factor_values) const;
  // ψ_i: the clique's factors, plus the given messages of its children when `messages` is
  // not empty.
  void clique_potential(int i, std::span<const double> factor_values,
                        std::span<const double> messages, std::vector<double>& out) const;
  void collect(std::span<const double> factor_values, bool max_product,
               std::vector<double>& messages) const;
  // The sum over the roots' messages (one per connected component) plus `constant`: log Z
  // after the sum pass, the MAP value after the max pass.
  double root_total(double constant, std::span<const double> messages) const;
  // row[k] = ψ_i(k, s) + Σ_{children c} m_c(k, s) for the variable eliminated at position i,
  // k = 0..K−1: its unnormalised log-conditional given its separator's states s, read from
  // `state` (a state per variable id). The variable is the first axis of every table
  // involved (its bucket's factors and its children's messages), so each table contributes
  // K entries at a fixed stride from one offset. Terms are added in the order
  // clique_potential adds them, so traceback scores exactly as the max pass did.
  void conditional_row(int i, std::span<const double> factor_values,
                       std::span<const double> messages, std::span<const std::int32_t> state,
                       std::span<double> row) const;
  // `factor_marginals`: when not null, each bucket factor's marginal is filled in from its
  // clique's belief (ExactResult::factor_marginals, offsets sized by the caller).
  void distribute(std::span<const double> factor_values, std::span<const double> up,
                  std::vector<double>& down, std::vector<double>& marginals,
                  ExactResult* factor_marginals = nullptr,
                  std::span<const std::int32_t> evidence = {}) const;
  void factor_marginal(std::int64_t f, LogTableView belief, std::span<const std::int32_t> evidence,
                       std::vector<double>& scratch, ExactResult& out) const;
  // Sizes ExactResult::factor_marginals and fills the factors whose scope is all clamped.
  void prepare_factor_marginals(std::span<const std::int32_t> evidence, ExactResult& out) const;
  void send_to_children(std::span<const std::int32_t> kids, std::span<const double> up,
                        std::span<const double> acc, int i, int depth,
                        std::vector<std::vector<double>>& scratch, std::vector<double>& down) const;
  std::vector<std::int32_t> traceback(std::span<const double> factor_values,
                                      std::span<const double> max_up,
                                      std::span<const std::int32_t> evidence) const;

  std::shared_ptr<const engine::Graph> graph_;
  std::int64_t max_table_entries_ = 0;
  bool has_evidence_ = false;
  std::int32_t max_cardinality_ = 0;    // of the free variables
  std::vector<std::uint8_t> clamped_;   // per variable
  std::vector<std::int32_t> order_;     // free variables, elimination order
  std::vector<std::int32_t> position_;  // per variable: index in order_, −1 if clamped

  // Cliques, one per free variable, indexed by elimination position. The clique's variables
  // are sorted by elimination position, so the eliminated variable is the first axis and the
  // separator is the rest.
  std::vector<std::int64_t> clique_offsets_;  // CSR into clique_vars_/clique_cards_
  std::vector<std::int32_t> clique_vars_, clique_cards_;
  std::vector<std::int32_t> parent_;         // −1 for a root
  std::vector<std::int64_t> child_offsets_;  // CSR into children_
  std::vector<std::int32_t> children_;
  std::vector<std::int64_t> message_offsets_;  // separator tables in a message buffer

  // Factors with at least one free variable: their free variables (in elimination order),
  // where their restricted tables go in a factor-value buffer, and the bucket they feed.
  std::vector<std::int64_t> factor_ids_;
  std::vector<std::int64_t> factor_axis_offsets_;  // CSR into factor_vars_/factor_cards_
  std::vector<std::int32_t> factor_vars_, factor_cards_;
  std::vector<std::int64_t> factor_value_offsets_;
  std::vector<std::int64_t> bucket_offsets_;  // CSR into buckets_: indices into factor_ids_
  std::vector<std::int32_t> buckets_;
  // Factors whose variables are all clamped: constants.
  std::vector<std::int64_t> constant_factors_;

  int induced_width_ = 0;
  std::int64_t largest_table_ = 0;
};

// Plans and runs a junction tree for `model` (its parameters and evidence).
ExactResult exact_inference(const engine::CompiledModel& model, const ExactOptions& options = {});

// Shorthands for one quantity.
double exact_log_z(const engine::CompiledModel& model,
                   std::int64_t max_table_entries = ExactOptions{}.max_table_entries);
ExactResult exact_marginals(const engine::CompiledModel& model,
                            std::int64_t max_table_entries = ExactOptions{}.max_table_entries);
ExactResult exact_map(const engine::CompiledModel& model,
                      std::int64_t max_table_entries = ExactOptions{}.max_table_entries);

}  // namespace dgm::inference
