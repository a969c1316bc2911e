#pragma once
// Factor-to-variable messages of belief propagation, as pure kernels over one factor.
//
// Every message is in the log domain: one vector of K_j entries per scope position, all
// positions concatenated in scope order ("flat"). The temperature T ≥ 0 selects the reduction
// over the other variables: T = 0 is max-product (max), T = 1 sum-product (log-sum-exp), and
// 0 < T < 1 soft max-marginals, T·logsumexp(·/T) (Yedidia, Freeman & Weiss 2005, "Constructing
// free-energy approximations"; the temperature form as in PGMax, Zhou et al. 2022).
//
// Outgoing messages are normalised (their maximum is subtracted). −inf is a hard zero and stays
// −inf: a message whose every entry is −inf (the factor and the other incoming messages leave
// the variable no possible state) is returned as all −inf, never NaN, and never clipped to a
// finite floor. Incoming messages may contain −inf but never +inf or NaN.
#include <cstdint>
#include <span>

namespace dgm::factors {

// T·log(e^{a/T} + e^{b/T}) for T > 0, max(a, b) for T = 0; −inf when both are −inf.
double soft_max2(double a, double b, double temperature);

// Subtracts the maximum of `message`; leaves an all −inf message unchanged.
void normalize_message(std::span<double> message);

// The generic kernel for a dense table θ over variables with cardinalities `cards` (last
// variable fastest, see table_layout.h):
//   out_j(x_j) = T-reduce over x_{-j} of [θ(x) + Σ_{i≠j} in_i(x_i)].
// `incoming` and `outgoing` (which must not overlap) have Σ_j cards[j] entries. Entries of θ may be
// −inf. Work is O(|θ|·k); no allocation per entry (a per-thread scratch buffer grows once).
void dense_table_messages(std::span<const double> table, std::span<const std::int32_t> cards,
                          std::span<const double> incoming, double temperature,
                          std::span<double> outgoing);

// OR factor over binary variables, scope = n parents then the child (factors/logical.h):
// θ = 0 when child = OR(parents), −inf otherwise. `incoming` and `outgoing` have 2·(n + 1)
// entries. O(n) for every T: the same messages as dense_table_messages on the 2^{n+1} table.
void or_messages(std::span<const double> incoming, double temperature, std::span<double> outgoing);

// AND factor (child = AND(parents)); by De Morgan, the OR kernel on complemented variables.
void and_messages(std::span<const double> incoming, double temperature, std::span<double> outgoing);

// Sparse enumeration factor (factors/enumeration.h): `configs` holds `num_configs` rows of
// cards.size() states; θ of row c is weights[c] (0 when `weights` is empty) and every unlisted
// configuration is −inf. Work is O(num_configs · arity), independent of the dense table size.
void enumeration_messages(std::span<const std::int32_t> configs, std::int64_t num_configs,
                          std::span<const double> weights, std::span<const std::int32_t> cards,
                          std::span<const double> incoming, double temperature,
                          std::span<double> outgoing);

// log Σ_x exp(θ(x) + Σ_j in_j(x_j)): the factor's term in the Bethe estimate of log Z
// (inference/bp/bethe.h); −inf when every configuration is impossible.
double dense_table_log_partition(std::span<const double> table, std::span<const std::int32_t> cards,
                                 std::span<const double> incoming);
double or_log_partition(std::span<const double> incoming);   // O(n)
double and_log_partition(std::span<const double> incoming);  // O(n)
double enumeration_log_partition(std::span<const std::int32_t> configs, std::int64_t num_configs,
                                 std::span<const double> weights,
                                 std::span<const std::int32_t> cards,
                                 std::span<const double> incoming);

}  // namespace dgm::factors
