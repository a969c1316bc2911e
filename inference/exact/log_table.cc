#include "inference/exact/log_table.h"

#include <algorithm>
#include <cmath>
#include <string>

#include "engine/error.h"

namespace dgm::inference {

namespace {

// A vector that keeps up to 16 elements inline: per-axis scratch (strides, counters) without
// a heap allocation per operation, which dominates on models with many tiny tables (a chain
// of a million variables). Only what the operations below need.
template <typename T>
class AxisVector {
 public:
  explicit AxisVector(std::size_t n = 0, T value = T{}) { assign(n, value); }
  AxisVector(const AxisVector&) = delete;
  AxisVector& operator=(const AxisVector&) = delete;

  // n copies of value (the previous contents are not kept).
  void assign(std::size_t n, T value = T{}) {
    if (n > kInline) {
      heap_.assign(n, value);
      data_ = heap_.data();
    } else {
      std::fill(inline_, inline_ + n, value);
      data_ = inline_;
    }
    size_ = n;
  }
  void push_back(T x) {
    if (size_ == kInline && data_ == inline_) {
      heap_.assign(inline_, inline_ + size_);
      data_ = heap_.data();
    }
    if (data_ == inline_) {
      inline_[size_++] = x;
    } else {
      heap_.resize(size_);
      heap_.push_back(x);
      data_ = heap_.data();
      ++size_;
    }
  }
  T& operator[](std::size_t i) { return data_[i]; }
  const T& operator[](std::size_t i) const { return data_[i]; }
  T& back() { return data_[size_ - 1]; }
  std::size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  T* data() { return data_; }
  const T* data() const { return data_; }
  operator std::span<const T>() const { return {data_, size_}; }  // NOLINT

 private:
  static constexpr std::size_t kInline = 16;
  T inline_[kInline];
  std::vector<T> heap_;
  T* data_ = inline_;
  std::size_t size_ = 0;
};

// The index space of one operation as runs: axes (outermost first) with a length and the
// stride of each of two operands, after merging neighbouring axes along which both operands
// are contiguous (the inner axis's stride times its length equals the outer's stride) and
// dropping axes of length 1. At least one axis remains (length 1 for a scalar).
struct Runs {
  AxisVector<std::int64_t> length, stride_a, stride_b;
};

void make_runs(std::span<const std::int32_t> cards, std::span<const std::int64_t> stride_a,
               std::span<const std::int64_t> stride_b, Runs& runs) {
  for (std::size_t j = 0; j < cards.size(); ++j) {
    if (cards[j] == 1) continue;
    if (!runs.length.empty() && runs.stride_a.back() == stride_a[j] * cards[j] &&
        runs.stride_b.back() == stride_b[j] * cards[j]) {
      runs.length.back() *= cards[j];
      runs.stride_a.back() = stride_a[j];
      runs.stride_b.back() = stride_b[j];
      continue;
    }
    runs.length.push_back(cards[j]);
    runs.stride_a.push_back(stride_a[j]);
    runs.stride_b.push_back(stride_b[j]);
  }
  if (runs.length.empty()) {
    runs.length.push_back(1);
    runs.stride_a.push_back(0);
    runs.stride_b.push_back(0);
  }
}

// Calls kernel(n, a, sa, b, sb) for each run of the innermost axis: n entries at operand
// offsets a + i·sa and b + i·sb. The odometer over the outer axes is the only per-run cost.
template <typename Kernel>
void for_each_run(const Runs& runs, std::int64_t a, std::int64_t b, Kernel&& kernel) {
  const int inner = static_cast<int>(runs.length.size()) - 1;
  const std::int64_t n = runs.length[inner];
  const std::int64_t sa = runs.stride_a[inner], sb = runs.stride_b[inner];
  AxisVector<std::int64_t> counter(static_cast<std::size_t>(inner), 0);
  while (true) {
    kernel(n, a, sa, b, sb);
    int k = inner - 1;
    for (; k >= 0; --k) {
      a += runs.stride_a[k];
      b += runs.stride_b[k];
      if (++counter[k] < runs.length[k]) break;
      a -= runs.stride_a[k] * runs.length[k];
      b -= runs.stride_b[k] * runs.length[k];
      counter[k] = 0;
    }
    if (k < 0) return;
  }
}

void row_major_strides(std::span<const std::int32_t> cards, AxisVector<std::int64_t>& strides) {
  strides.assign(cards.size());
  std::int64_t stride = 1;
  for (std::size_t j = cards.size(); j-- > 0;) {
    strides[j] = stride;
    stride *= cards[j];
  }
}

int axis_of(std::span<const std::int32_t> vars, std::int32_t v) {
  for (std::size_t j = 0; j < vars.size(); ++j)
    if (vars[j] == v) return static_cast<int>(j);
  return -1;
}

// For each axis of `table`, the stride of its variable in a row-major table over `keep`
// (0 for the variables that are not kept): the output offset as the input is walked.
void kept_strides(LogTableView table, std::span<const std::int32_t> keep,
                  AxisVector<std::int64_t>& strides) {
  strides.assign(table.vars.size(), 0);
  std::int64_t stride = 1;
  for (std::size_t j = keep.size(); j-- > 0;) {
    const int a = axis_of(table.vars, keep[j]);
    if (a < 0)
      throw Error("log table: variable " + std::to_string(keep[j]) +
                  " to keep is not in the table");
    strides[a] = stride;
    stride *= table.cards[a];
  }
}

std::int64_t kept_entries(LogTableView table, std::span<const std::int32_t> keep) {
  std::int64_t n = 1;
  for (std::int32_t v : keep) {
    const int a = axis_of(table.vars, v);
    if (a < 0)
      throw Error("log table: variable " + std::to_string(v) + " to keep is not in the table");
    n *= table.cards[a];
  }
  return n;
}

void check_out_size(std::span<double> out, std::int64_t expected) {
  if (static_cast<std::int64_t>(out.size()) != expected)
    throw Error("log table: output has " + std::to_string(out.size()) + " entries, expected " +
                std::to_string(expected));
}

// out = max over the configurations that agree with each entry of out (out is initialised
// to −inf first).
void max_reduce(const double* in, const Runs& runs, double* out) {
  for_each_run(
      runs, 0, 0,
      [&](std::int64_t n, std::int64_t a, std::int64_t sa, std::int64_t b, std::int64_t sb) {
        if (sb == 0) {
          double m = out[b];
          for (std::int64_t i = 0; i < n; ++i) m = std::max(m, in[a + i * sa]);
          out[b] = m;
        } else if (sa == 1 && sb == 1) {
          for (std::int64_t i = 0; i < n; ++i) out[b + i] = std::max(out[b + i], in[a + i]);
        } else {
          for (std::int64_t i = 0; i < n; ++i)
            out[b + i * sb] = std::max(out[b + i * sb], in[a + i * sa]);
        }
      });
}

// Strides and runs of a reduction of `table` onto `keep`.
void reduction_runs(LogTableView table, std::span<const std::int32_t> keep, Runs& runs) {
  AxisVector<std::int64_t> in_strides, out_strides;
  row_major_strides(table.cards, in_strides);
  kept_strides(table, keep, out_strides);
  make_runs(table.cards, in_strides, out_strides, runs);
}

std::vector<std::int32_t> remaining_vars(LogTableView table,
                                         std::span<const std::int32_t> eliminate) {
  std::vector<std::int32_t> keep;
  for (std::int32_t v : table.vars)
    if (std::find(eliminate.begin(), eliminate.end(), v) == eliminate.end()) keep.push_back(v);
  return keep;
}

std::vector<std::int32_t> cards_of(LogTableView table, std::span<const std::int32_t> vars) {
  std::vector<std::int32_t> cards(vars.size());
  for (std::size_t j = 0; j < vars.size(); ++j)
    cards[j] = table.cards[axis_of(table.vars, vars[j])];
  return cards;
}

}  // namespace

std::int64_t num_entries(std::span<const std::int32_t> cards) {
  constexpr std::int64_t kMax = std::numeric_limits<std::int64_t>::max();
  std::int64_t n = 1;
  for (std::int32_t k : cards) {
    if (k <= 0) throw Error("log table: cardinality " + std::to_string(k) + " is not positive");
    if (n > kMax / k) throw Error("log table: the number of entries overflows int64");
    n *= k;
  }
  return n;
}

LogTable::LogTable(std::span<const std::int32_t> vars, std::span<const std::int32_t> cards,
                   double fill) {
  assign(vars, cards, fill);
}

void LogTable::assign(std::span<const std::int32_t> new_vars,
                      std::span<const std::int32_t> new_cards, double fill) {
  if (new_vars.size() != new_cards.size())
    throw Error("log table: " + std::to_string(new_vars.size()) + " variables but " +
                std::to_string(new_cards.size()) + " cardinalities");
  vars.assign(new_vars.begin(), new_vars.end());
  cards.assign(new_cards.begin(), new_cards.end());
  values.assign(static_cast<std::size_t>(num_entries(cards)), fill);
}

void add_into(std::span<const std::int32_t> vars, std::span<const std::int32_t> cards,
              std::span<double> values, LogTableView source) {
  // Walk the target; the source offset advances by the source's stride of each target axis.
  AxisVector<std::int64_t> source_strides_by_axis, source_strides(vars.size(), 0), strides;
  row_major_strides(source.cards, source_strides_by_axis);
  for (std::size_t j = 0; j < source.vars.size(); ++j) {
    const int a = axis_of(vars, source.vars[j]);
    if (a < 0)
      throw Error("log table: variable " + std::to_string(source.vars[j]) +
                  " of the added table is not in the target's scope");
    source_strides[a] += source_strides_by_axis[j];
  }
  row_major_strides(cards, strides);
  Runs runs;
  make_runs(cards, strides, source_strides, runs);
  double* t = values.data();
  const double* s = source.values.data();
  for_each_run(
      runs, 0, 0,
      [&](std::int64_t n, std::int64_t a, std::int64_t sa, std::int64_t b, std::int64_t sb) {
        if (sa == 1 && sb == 1) {
          for (std::int64_t i = 0; i < n; ++i) t[a + i] += s[b + i];
        } else if (sa == 1 && sb == 0) {
          const double x = s[b];
          for (std::int64_t i = 0; i < n; ++i) t[a + i] += x;
        } else {
          for (std::int64_t i = 0; i < n; ++i) t[a + i * sa] += s[b + i * sb];
        }
      });
}

void add_into(LogTable& target, LogTableView source) {
  add_into(target.vars, target.cards, target.values, source);
}

LogTable product(std::span<const LogTableView> tables, std::span<const std::int32_t> vars,
                 std::span<const std::int32_t> cards) {
  LogTable result(vars, cards, 0.0);
  for (const LogTableView& t : tables) add_into(result, t);
  return result;
}

void max_onto(LogTableView table, std::span<const std::int32_t> keep, std::span<double> out) {
  check_out_size(out, kept_entries(table, keep));
  std::fill(out.begin(), out.end(), kNegInf);
  Runs runs;
  reduction_runs(table, keep, runs);
  max_reduce(table.values.data(), runs, out.data());
}

void sum_onto(LogTableView table, std::span<const std::int32_t> keep, std::span<double> out) {
  check_out_size(out, kept_entries(table, keep));
  // Two passes: the max of each slice, then Σ exp(x − max), so that nothing overflows or
  // underflows to a wrong zero; a slice that is all −inf keeps max = −inf and yields −inf.
  Runs runs;
  reduction_runs(table, keep, runs);
  std::fill(out.begin(), out.end(), kNegInf);
  const double* in = table.values.data();
  double* m = out.data();
  max_reduce(in, runs, m);
  AxisVector<double> sum(out.size(), 0.0);
  double* acc = sum.data();
  auto term = [](double x, double max) { return x == kNegInf ? 0.0 : std::exp(x - max); };
  for_each_run(
      runs, 0, 0,
      [&](std::int64_t n, std::int64_t a, std::int64_t sa, std::int64_t b, std::int64_t sb) {
        if (sb == 0) {
          const double mb = m[b];
          double s = 0.0;
          for (std::int64_t i = 0; i < n; ++i) s += term(in[a + i * sa], mb);
          acc[b] += s;
        } else {
          for (std::int64_t i = 0; i < n; ++i)
            acc[b + i * sb] += term(in[a + i * sa], m[b + i * sb]);
        }
      });
  for (std::size_t o = 0; o < out.size(); ++o)
    if (m[o] != kNegInf) out[o] = m[o] + std::log(acc[o]);
}

LogTable sum_out(LogTableView table, std::span<const std::int32_t> eliminate) {
  const std::vector<std::int32_t> keep = remaining_vars(table, eliminate);
  LogTable result(keep, cards_of(table, keep));
  sum_onto(table, keep, result.values);
  return result;
}

LogTable max_out(LogTableView table, std::span<const std::int32_t> eliminate) {
  const std::vector<std::int32_t> keep = remaining_vars(table, eliminate);
  LogTable result(keep, cards_of(table, keep));
  max_onto(table, keep, result.values);
  return result;
}

void gather_into(LogTableView table, std::span<const std::int32_t> vars,
                 std::span<const std::int32_t> evidence, std::span<double> out) {
  AxisVector<std::int64_t> in_strides, source_strides(vars.size(), 0), out_strides;
  AxisVector<std::int32_t> out_cards(vars.size(), 0);
  row_major_strides(table.cards, in_strides);
  std::int64_t base = 0;
  for (std::size_t j = 0; j < table.vars.size(); ++j) {
    const std::int32_t v = table.vars[j];
    const bool clamped =
        v >= 0 && static_cast<std::size_t>(v) < evidence.size() && evidence[v] >= 0;
    if (clamped) {
      if (evidence[v] >= table.cards[j])
        throw Error("log table: evidence state " + std::to_string(evidence[v]) + " of variable " +
                    std::to_string(v) + " is out of range (cardinality " +
                    std::to_string(table.cards[j]) + ")");
      base += evidence[v] * in_strides[j];
      continue;
    }
    const int a = axis_of(vars, v);
    if (a < 0)
      throw Error("log table: free variable " + std::to_string(v) +
                  " of the table is missing from the gathered scope");
    if (out_cards[a] != 0 && out_cards[a] != table.cards[j])
      throw Error("log table: variable " + std::to_string(v) + " appears with two cardinalities");
    out_cards[a] = table.cards[j];
    source_strides[a] += in_strides[j];  // a repeated variable walks the diagonal
  }
  for (std::size_t a = 0; a < vars.size(); ++a)
    if (out_cards[a] == 0)
      throw Error("log table: variable " + std::to_string(vars[a]) +
                  " is not a free variable of the table");
  check_out_size(out, num_entries(out_cards));
  row_major_strides(out_cards, out_strides);
  Runs runs;
  make_runs(out_cards, out_strides, source_strides, runs);
  const double* in = table.values.data();
  double* o = out.data();
  for_each_run(
      runs, 0, base,
      [&](std::int64_t n, std::int64_t a, std::int64_t sa, std::int64_t b, std::int64_t sb) {
        for (std::int64_t i = 0; i < n; ++i) o[a + i * sa] = in[b + i * sb];
      });
}

LogTable gather(LogTableView table, std::span<const std::int32_t> vars,
                std::span<const std::int32_t> evidence) {
  std::vector<std::int32_t> cards(vars.size());
  for (std::size_t a = 0; a < vars.size(); ++a) {
    const int j = axis_of(table.vars, vars[a]);
    if (j < 0)
      throw Error("log table: variable " + std::to_string(vars[a]) + " is not in the table");
    cards[a] = table.cards[j];
  }
  LogTable result(vars, cards);
  gather_into(table, vars, evidence, result.values);
  return result;
}

LogTable restrict(LogTableView table, std::span<const std::int32_t> evidence) {
  std::vector<std::int32_t> free;
  for (std::int32_t v : table.vars) {
    const bool clamped =
        v >= 0 && static_cast<std::size_t>(v) < evidence.size() && evidence[v] >= 0;
    if (!clamped && std::find(free.begin(), free.end(), v) == free.end()) free.push_back(v);
  }
  return gather(table, free, evidence);
}

double log_sum_exp(std::span<const double> values) {
  double m = kNegInf;
  for (double x : values) m = std::max(m, x);
  if (m == kNegInf) return kNegInf;
  double s = 0.0;
  for (double x : values)
    if (x != kNegInf) s += std::exp(x - m);
  return m + std::log(s);
}

void normalise_log_weights(std::span<double> values) {
  double m = kNegInf;
  for (double x : values) m = std::max(m, x);
  if (m == kNegInf) {
    std::fill(values.begin(), values.end(), 0.0);
    return;
  }
  double s = 0.0;
  for (double& x : values) {
    x = std::exp(x - m);  // exp(−inf) = 0
    s += x;
  }
  for (double& x : values) x /= s;
}

double value_at(LogTableView table, std::span<const std::int32_t> assignment) {
  std::int64_t index = 0;
  for (std::size_t j = 0; j < table.vars.size(); ++j)
    index = index * table.cards[j] + assignment[table.vars[j]];
  return table.values[index];
}

}  // namespace dgm::inference
