#include "factors/messages.h"

#include <algorithm>
#include <cassert>
#include <cmath>
#include <cstddef>
#include <vector>

#include "factors/infinity.h"

namespace dgm::factors {
namespace {

// log(e^x + e^y) that keeps ±inf exact (never inf − inf).
double log_add(double x, double y) {
  const double hi = std::max(x, y);
  if (hi == kNegInf || hi == kPosInf) return hi;
  return hi + std::log1p(std::exp(std::min(x, y) - hi));
}

// log(softplus(r)) = log(log(1 + e^r)), accurate where softplus(r) underflows (r < −745).
double log_softplus(double r) {
  if (r == kPosInf || r == kNegInf) return r;
  // log(log1p(y)) = log(y) + log(1 − y/2 + O(y²)) with y = e^r; the O(y²) term is below 1e-26.
  if (r < -30.0) return r - 0.5 * std::exp(r);
  const double softplus = r > 0.0 ? r + std::log1p(std::exp(-r)) : std::log1p(std::exp(r));
  return std::log(softplus);
}

// log(1 − e^{−s}) with s = e^u ≥ 0, accurate for tiny s (u very negative): it tends to u.
double log1m_exp_neg_exp(double u) {
  if (u == kNegInf) return kNegInf;
  const double s = std::exp(u);
  if (s == 0.0) return u;
  if (s < 1.0) return u + std::log(-std::expm1(-s) / s);
  return std::log1p(-std::exp(-s));
}

// Per-thread scratch, grown once and reused: no allocation per call in steady state.
std::vector<double>& double_scratch() {
  thread_local std::vector<double> buffer;
  return buffer;
}
std::vector<std::int64_t>& index_scratch() {
  thread_local std::vector<std::int64_t> buffer;
  return buffer;
}

// Calls visit(flat index of (j, x_j) in the messages, value) for every position j and every
// table entry x with θ(x) > −inf, where value = θ(x) + Σ_{i≠j} in_i(x_i). Leave-one-out sums
// come from prefix and suffix sums, never from subtracting in_j (−inf and cancellation).
template <typename Visit>
void for_each_leave_one_out(std::span<const double> table, std::span<const std::int32_t> cards,
                            std::span<const double> incoming, std::span<const std::int64_t> offset,
                            std::span<std::int64_t> state, std::span<double> prefix,
                            std::span<double> suffix, Visit&& visit) {
  const std::size_t k = cards.size();
  std::fill(state.begin(), state.end(), 0);
  for (const double theta : table) {
    if (theta != kNegInf) {
      prefix[0] = theta;
      for (std::size_t j = 0; j < k; ++j)
        prefix[j + 1] = prefix[j] + incoming[offset[j] + state[j]];
      suffix[k] = 0.0;
      for (std::size_t j = k; j-- > 0;) suffix[j] = suffix[j + 1] + incoming[offset[j] + state[j]];
      for (std::size_t j = 0; j < k; ++j) visit(offset[j] + state[j], prefix[j] + suffix[j + 1]);
    }
    for (std::size_t j = k; j-- > 0;) {  // odometer, last variable fastest
      if (++state[j] < cards[j]) break;
      state[j] = 0;
    }
  }
}

// The OR kernel in the scaled domain (messages divided by T when T > 0). With per-parent
// a_j = in_j(0), b_j = in_j(1), L_j = reduce(a_j, b_j), A = Σ a_j and S = Σ L_j, the
// parents' reduction over "not all zero" is N = S + log(1 − Π_j e^{a_j − L_j}); with
// a_j − L_j = −softplus(b_j − a_j) this is S + g(log Σ_j softplus(b_j − a_j)), g(u) =
// log(1 − e^{−e^u}), which stays accurate when every softplus underflows. At T = 0 it is
// N = S + max_j (b_j − L_j): flip the parent that costs least (the max/second-max
// form). Leave-one-out sums and reductions use prefix/suffix arrays, so −inf never meets
// a subtraction. kComplement reads and writes every variable's states swapped: AND by
// De Morgan (c = AND(p) ⇔ ¬c = OR(¬p)).
template <bool kComplement>
void or_kernel(std::span<const double> incoming, double temperature, std::span<double> outgoing) {
  assert(incoming.size() == outgoing.size() && incoming.size() >= 4 && incoming.size() % 2 == 0);
  assert(temperature >= 0.0);
  const std::size_t n = incoming.size() / 2 - 1;
  const bool soft = temperature > 0.0;
  const double inv_t = soft ? 1.0 / temperature : 1.0;
  constexpr std::size_t kFlip = kComplement ? 1 : 0;
  const auto in = [&](std::size_t j, std::size_t x) {
    return incoming[2 * j + (x ^ kFlip)] * inv_t;
  };
  const auto reduce = [soft](double x, double y) { return soft ? log_add(x, y) : std::max(x, y); };
  // N from S and the reduction u of the per-parent flip terms.
  const auto not_all_zero = [soft](double s, double u) {
    return soft ? s + log1m_exp_neg_exp(u) : s + u;
  };

  // Prefix and suffix arrays (n + 1 entries each) of A, S and the flip terms.
  std::vector<double>& scratch = double_scratch();
  scratch.resize(6 * (n + 1));
  const std::span<double> pre_a(scratch.data(), n + 1), suf_a(scratch.data() + (n + 1), n + 1);
  const std::span<double> pre_s(scratch.data() + 2 * (n + 1), n + 1),
      suf_s(scratch.data() + 3 * (n + 1), n + 1);
  const std::span<double> pre_m(scratch.data() + 4 * (n + 1), n + 1),
      suf_m(scratch.data() + 5 * (n + 1), n + 1);
  // The suffix arrays first hold each parent's own term, then are accumulated in place.
  pre_a[0] = pre_s[0] = 0.0;
  pre_m[0] = kNegInf;
  for (std::size_t j = 0; j < n; ++j) {
    const double a = in(j, 0), b = in(j, 1);
    const double l = reduce(a, b);
    double flip = kNegInf;  // L_j = −inf makes S = −inf, whatever this term is
    if (l != kNegInf) flip = soft ? log_softplus(b - a) : b - l;
    suf_a[j] = a;
    suf_s[j] = l;
    suf_m[j] = flip;
    pre_a[j + 1] = pre_a[j] + a;
    pre_s[j + 1] = pre_s[j] + l;
    pre_m[j + 1] = reduce(pre_m[j], flip);
  }
  suf_a[n] = suf_s[n] = 0.0;
  suf_m[n] = kNegInf;
  for (std::size_t j = n; j-- > 0;) {
    suf_a[j] += suf_a[j + 1];
    suf_s[j] += suf_s[j + 1];
    suf_m[j] = reduce(suf_m[j], suf_m[j + 1]);
  }

  const double child0 = in(n, 0), child1 = in(n, 1);
  const auto out = [&](std::size_t j, std::size_t x) -> double& {
    return outgoing[2 * j + (x ^ kFlip)];
  };
  out(n, 0) = pre_a[n];
  out(n, 1) = not_all_zero(pre_s[n], pre_m[n]);
  for (std::size_t i = 0; i < n; ++i) {
    const double a_rest = pre_a[i] + suf_a[i + 1];
    const double s_rest = pre_s[i] + suf_s[i + 1];
    const double m_rest = reduce(pre_m[i], suf_m[i + 1]);
    out(i, 1) = child1 + s_rest;
    out(i, 0) = reduce(child0 + a_rest, child1 + not_all_zero(s_rest, m_rest));
  }
  for (std::size_t j = 0; j <= n; ++j) {
    const std::span<double> message = outgoing.subspan(2 * j, 2);
    if (soft) {
      message[0] *= temperature;
      message[1] *= temperature;
    }
    normalize_message(message);
  }
}

// Offsets of each scope position's message in the flat layout; returns the total length.
std::int64_t message_offsets(std::span<const std::int32_t> cards, std::span<std::int64_t> offset) {
  std::int64_t total = 0;
  for (std::size_t j = 0; j < cards.size(); ++j) {
    offset[j] = total;
    total += cards[j];
  }
  return total;
}

// log(Σ_j e^{x_j}) over a stream of values: the running max and the scaled sum, so one pass
// suffices and −inf terms add nothing.
struct LogSumExp {
  double hi = kNegInf;
  double sum = 0.0;
  void add(double x) {
    if (x == kNegInf) return;
    if (x <= hi) {
      sum += std::exp(x - hi);
    } else {
      sum = sum * std::exp(hi - x) + 1.0;
      hi = x;
    }
  }
  double value() const { return hi == kNegInf ? kNegInf : hi + std::log(sum); }
};

// The OR factor's log partition: Σ over valid configurations = [child 0, parents all 0] +
// [child 1, parents not all 0]; the second term is S + log(1 − Π_j e^{a_j − L_j}) as in
// or_kernel with T = 1.
template <bool kComplement>
double or_partition(std::span<const double> incoming) {
  assert(incoming.size() >= 4 && incoming.size() % 2 == 0);
  const std::size_t n = incoming.size() / 2 - 1;
  constexpr std::size_t kFlip = kComplement ? 1 : 0;
  double a_sum = 0.0, s_sum = 0.0, flips = kNegInf;
  for (std::size_t j = 0; j < n; ++j) {
    const double a = incoming[2 * j + kFlip], b = incoming[2 * j + (1 ^ kFlip)];
    const double l = log_add(a, b);
    a_sum += a;
    s_sum += l;
    if (l != kNegInf) flips = log_add(flips, log_softplus(b - a));
  }
  const double child0 = incoming[2 * n + kFlip], child1 = incoming[2 * n + (1 ^ kFlip)];
  const double not_all_zero = s_sum == kNegInf ? kNegInf : s_sum + log1m_exp_neg_exp(flips);
  return log_add(child0 + a_sum, child1 + not_all_zero);
}

// Calls visit(flat index, value) for every position j of every listed row c, with value =
// w_c + Σ_{i≠j} in_i(c_i) (prefix and suffix sums, as for_each_leave_one_out).
template <typename Visit>
void for_each_listed_leave_one_out(std::span<const std::int32_t> configs, std::int64_t num_configs,
                                   std::span<const double> weights,
                                   std::span<const double> incoming,
                                   std::span<const std::int64_t> offset, std::span<double> prefix,
                                   std::span<double> suffix, Visit&& visit) {
  const std::size_t k = offset.size();
  for (std::int64_t c = 0; c < num_configs; ++c) {
    const std::int32_t* row = configs.data() + c * static_cast<std::int64_t>(k);
    const double theta = weights.empty() ? 0.0 : weights[c];
    if (theta == kNegInf) continue;
    prefix[0] = theta;
    for (std::size_t j = 0; j < k; ++j) prefix[j + 1] = prefix[j] + incoming[offset[j] + row[j]];
    suffix[k] = 0.0;
    for (std::size_t j = k; j-- > 0;) suffix[j] = suffix[j + 1] + incoming[offset[j] + row[j]];
    for (std::size_t j = 0; j < k; ++j) visit(offset[j] + row[j], prefix[j] + suffix[j + 1]);
  }
}

// The per-thread workspace of the leave-one-out kernels for a scope with cardinalities
// `cards` and `entries` message entries: each position's message offset, an odometer state,
// prefix and suffix sums, and the soft pass's sums. Views into thread-local buffers that grow
// once, so nothing is allocated per call in steady state.
struct Workspace {
  std::span<std::int64_t> offset, state;
  std::span<double> prefix, suffix, sums;
  Workspace(std::span<const std::int32_t> cards, std::size_t entries) {
    const std::size_t k = cards.size();
    std::vector<std::int64_t>& indices = index_scratch();
    indices.resize(2 * k);
    offset = {indices.data(), k};
    state = {indices.data() + k, k};
    [[maybe_unused]] const std::int64_t total = message_offsets(cards, offset);
    assert(static_cast<std::size_t>(total) == entries);
    std::vector<double>& scratch = double_scratch();
    scratch.resize(2 * (k + 1) + entries);
    prefix = {scratch.data(), k + 1};
    suffix = {scratch.data() + k + 1, k + 1};
    sums = {scratch.data() + 2 * (k + 1), entries};
  }
};

// The T-reduction, for every (position j, state x_j), of the values that `for_each(visit)`
// passes to visit(flat index, value): the max at T = 0, else T·log Σ e^{v/T} in two passes
// (the max, then the scaled sum, so nothing overflows); then each position's message is
// normalised. `sums` is workspace of outgoing.size() entries.
template <typename ForEach>
void reduce_leave_one_out(ForEach&& for_each, double temperature,
                          std::span<const std::int64_t> offset, std::span<const std::int32_t> cards,
                          std::span<double> sums, std::span<double> outgoing) {
  std::fill(outgoing.begin(), outgoing.end(), kNegInf);
  for_each([&](std::int64_t index, double value) {
    if (value > outgoing[index]) outgoing[index] = value;
  });
  if (temperature > 0.0) {
    std::fill(sums.begin(), sums.end(), 0.0);
    const double inv_t = 1.0 / temperature;
    for_each([&](std::int64_t index, double value) {
      if (value != kNegInf) sums[index] += std::exp((value - outgoing[index]) * inv_t);
    });
    for (std::size_t i = 0; i < sums.size(); ++i) {
      if (outgoing[i] != kNegInf) outgoing[i] += temperature * std::log(sums[i]);
    }
  }
  for (std::size_t j = 0; j < cards.size(); ++j) {
    normalize_message(outgoing.subspan(offset[j], cards[j]));
  }
}

}  // namespace

double soft_max2(double a, double b, double temperature) {
  if (temperature <= 0.0) return std::max(a, b);
  return temperature * log_add(a / temperature, b / temperature);
}

void normalize_message(std::span<double> message) {
  if (message.empty()) return;
  const double hi = *std::max_element(message.begin(), message.end());
  if (hi == kNegInf) return;
  for (double& v : message) v -= hi;
}

void dense_table_messages(std::span<const double> table, std::span<const std::int32_t> cards,
                          std::span<const double> incoming, double temperature,
                          std::span<double> outgoing) {
  assert(temperature >= 0.0);
  assert(incoming.size() == outgoing.size());
  const Workspace w(cards, incoming.size());
  reduce_leave_one_out(
      [&](auto&& visit) {
        for_each_leave_one_out(table, cards, incoming, w.offset, w.state, w.prefix, w.suffix,
                               visit);
      },
      temperature, w.offset, cards, w.sums, outgoing);
}

void or_messages(std::span<const double> incoming, double temperature, std::span<double> outgoing) {
  or_kernel<false>(incoming, temperature, outgoing);
}

void and_messages(std::span<const double> incoming, double temperature,
                  std::span<double> outgoing) {
  or_kernel<true>(incoming, temperature, outgoing);
}

void enumeration_messages(std::span<const std::int32_t> configs, std::int64_t num_configs,
                          std::span<const double> weights, std::span<const std::int32_t> cards,
                          std::span<const double> incoming, double temperature,
                          std::span<double> outgoing) {
  assert(temperature >= 0.0);
  assert(incoming.size() == outgoing.size());
  const Workspace w(cards, incoming.size());
  reduce_leave_one_out(
      [&](auto&& visit) {
        for_each_listed_leave_one_out(configs, num_configs, weights, incoming, w.offset, w.prefix,
                                      w.suffix, visit);
      },
      temperature, w.offset, cards, w.sums, outgoing);
}

double dense_table_log_partition(std::span<const double> table, std::span<const std::int32_t> cards,
                                 std::span<const double> incoming) {
  const std::size_t k = cards.size();
  std::vector<std::int64_t>& indices = index_scratch();
  indices.resize(2 * k);
  const std::span<std::int64_t> offset(indices.data(), k), state(indices.data() + k, k);
  message_offsets(cards, offset);
  std::fill(state.begin(), state.end(), 0);
  LogSumExp total;
  for (const double theta : table) {
    double value = theta;
    for (std::size_t j = 0; j < k && value != kNegInf; ++j) value += incoming[offset[j] + state[j]];
    total.add(value);
    for (std::size_t j = k; j-- > 0;) {
      if (++state[j] < cards[j]) break;
      state[j] = 0;
    }
  }
  return total.value();
}

double or_log_partition(std::span<const double> incoming) { return or_partition<false>(incoming); }

double and_log_partition(std::span<const double> incoming) { return or_partition<true>(incoming); }

double enumeration_log_partition(std::span<const std::int32_t> configs, std::int64_t num_configs,
                                 std::span<const double> weights,
                                 std::span<const std::int32_t> cards,
                                 std::span<const double> incoming) {
  const std::size_t k = cards.size();
  std::vector<std::int64_t>& indices = index_scratch();
  indices.resize(k);
  const std::span<std::int64_t> offset(indices.data(), k);
  message_offsets(cards, offset);
  LogSumExp total;
  for (std::int64_t c = 0; c < num_configs; ++c) {
    const std::int32_t* row = configs.data() + c * static_cast<std::int64_t>(k);
    double value = weights.empty() ? 0.0 : weights[c];
    for (std::size_t j = 0; j < k && value != kNegInf; ++j) value += incoming[offset[j] + row[j]];
    total.add(value);
  }
  return total.value();
}

}  // namespace dgm::factors
