#pragma once
// Log-domain tables over a few discrete variables — factor potentials, messages and clique
// beliefs of exact inference — and the operations variable elimination needs: the product of
// potentials (a sum of logs, broadcast onto a larger scope), sum- and max-marginalisation
// (log-sum-exp and max), and restriction to evidence.
//
// Layout: one axis per variable, row-major with the LAST axis fastest, as every dgm table
// (factors/table_layout.h). The axes may be in any order; operations match axes by variable
// id, never by position, so tables with different axis orders combine correctly.
//
// −inf is a hard zero and stays one: a sum involving −inf is −inf, log-sum-exp over entries
// that are all −inf is −inf, and no operation ever subtracts two logs (which could give
// NaN from −inf − −inf). +inf and NaN are not valid log-potentials; callers reject them.
//
// Each operation precomputes its stride tables once and then walks the tables with an
// odometer over "runs": adjacent axes along which both operands are contiguous are merged,
// so the inner loop is as long as possible and, in the common cases (eliminating the first or
// the last axes, adding a table over a suffix of the scope), unit-stride.
#include <cstdint>
#include <span>
#include <vector>

#include "factors/infinity.h"

namespace dgm::inference {

// A read-only table: `values` has Π cards entries, last axis fastest. `vars` are variable ids
// (distinct, except where a function says otherwise).
struct LogTableView {
  std::span<const std::int32_t> vars;
  std::span<const std::int32_t> cards;
  std::span<const double> values;
};

// A table that owns its storage. Invariant: values.size() == Π cards, vars.size() ==
// cards.size(). A table with no axes is a scalar (one entry).
struct LogTable {
  std::vector<std::int32_t> vars;
  std::vector<std::int32_t> cards;
  std::vector<double> values;

  LogTable() : values(1, 0.0) {}
  // A table over (vars, cards) with every entry equal to `fill` (0 = log 1).
  LogTable(std::span<const std::int32_t> vars, std::span<const std::int32_t> cards,
           double fill = 0.0);

  // Makes this a table over (vars, cards) filled with `fill`, reusing the storage.
  void assign(std::span<const std::int32_t> vars, std::span<const std::int32_t> cards,
              double fill = 0.0);

  std::int64_t size() const { return static_cast<std::int64_t>(values.size()); }
  LogTableView view() const { return {vars, cards, values}; }
  operator LogTableView() const { return view(); }  // NOLINT: a view of a table is the table
};

// Π cards; throws dgm::Error if it overflows int64.
std::int64_t num_entries(std::span<const std::int32_t> cards);

// target(x) += source(x), the source broadcast over the target's other variables: the
// product of two potentials in the log domain. Every variable of `source` must be one of
// `target`'s (any order); throws dgm::Error otherwise.
void add_into(LogTable& target, LogTableView source);
// The same, onto raw storage laid out as (vars, cards).
void add_into(std::span<const std::int32_t> vars, std::span<const std::int32_t> cards,
              std::span<double> values, LogTableView source);

// The product of `tables` on the scope (vars, cards), which must contain each table's
// variables.
LogTable product(std::span<const LogTableView> tables, std::span<const std::int32_t> vars,
                 std::span<const std::int32_t> cards);

// out(y) = log Σ_x exp(table(x)) over the configurations x that agree with y, for y over
// `keep` (variables of `table`, in the order given, which is out's axis order). `out` has
// Π(cards of keep) entries. With `keep` empty, out[0] is the log-sum-exp of the whole table.
void sum_onto(LogTableView table, std::span<const std::int32_t> keep, std::span<double> out);
// The same with max instead of log-sum-exp (max-product).
void max_onto(LogTableView table, std::span<const std::int32_t> keep, std::span<double> out);

// The table with the variables `eliminate` summed (log-sum-exp) or maxed out; the result
// keeps the remaining variables in their order. Variables not in the table are ignored.
LogTable sum_out(LogTableView table, std::span<const std::int32_t> eliminate);
LogTable max_out(LogTableView table, std::span<const std::int32_t> eliminate);

// The table over `vars` read from `table` with some of its variables fixed: `evidence` is
// indexed by variable id (it may be empty: no evidence), evidence[v] ≥ 0 fixes v to that
// state and a negative value (engine::kFree) leaves it free. Every free variable of `table`
// must be in `vars`, and every variable of `vars` must be a free variable of `table`. The
// axes of the result follow `vars`, so this also permutes axes. `table` may repeat a
// variable (a factor over (x, x)): the result then reads its diagonal.
LogTable gather(LogTableView table, std::span<const std::int32_t> vars,
                std::span<const std::int32_t> evidence);
// The same into raw storage (Π cards of vars entries).
void gather_into(LogTableView table, std::span<const std::int32_t> vars,
                 std::span<const std::int32_t> evidence, std::span<double> out);

// `table` restricted to the evidence: the clamped variables' axes disappear, the others keep
// their order.
LogTable restrict(LogTableView table, std::span<const std::int32_t> evidence);

// log Σ exp(values), −inf for an empty span or when every value is −inf.
double log_sum_exp(std::span<const double> values);

// Turns log-weights into probabilities in place: exp(x − max) / Σ exp(x − max). The normaliser
// is never formed in the log domain, where max + log(sum) rounds to the ulp of max (about 1e-4
// at max = 1e12, an error of that size in every probability). All −inf gives all 0.
void normalise_log_weights(std::span<double> values);

// The entry at `assignment`, a state per variable id.
double value_at(LogTableView table, std::span<const std::int32_t> assignment);

}  // namespace dgm::inference
