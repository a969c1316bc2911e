#pragma once
// The passes over parameter buffers that learning makes after every update: copies into a
// sampling session and conversions to a sampler's float mirror, each one branch-free pass that
// also reports whether any value is non-finite, so that checking the values costs no pass of
// its own (callers search for the offending value, for the message, only when a pass reports
// one); and the transpose of a float mirror.
//
// The test is on the bits: a double (float) is non-finite iff its exponent field is all ones,
// and then adding 1 to the field carries into the sign bit. Integer operations vectorise
// at every x86-64 level, where the chain of floating comparisons they replace did not: 3.7×
// faster for a copy of an RBM's 392,000 weights at the baseline level (measured, docs/
// benchmarks.md).
#include <cstdint>

namespace dgm::engine {

// to[i] = from[i] for i < n; returns whether any from[i] is NaN or ±inf.
bool copy_reporting_non_finite(const double* from, double* to, std::int64_t n);

// to[i] = float(from[i]) (rounded to nearest) for i < n; returns whether any to[i] is NaN or
// ±inf: from a non-finite from[i], or from a finite one beyond float's range (|x| ≥ 2^128 −
// 2^103 rounds to ±inf), which a float mirror cannot hold either.
bool convert_reporting_non_finite(const double* from, float* to, std::int64_t n);

// Rows [row_begin, row_end) of the transpose: to[j·rows + i] = from[i·cols + j] for every i < rows
// and row_begin ≤ j < row_end, with `from` rows × cols and `to` cols × rows, both row-major.
// Ranges of j on disjoint rows of `to` may run in parallel.
void transpose_rows(const float* from, std::int64_t rows, std::int64_t cols, float* to,
                    std::int64_t row_begin, std::int64_t row_end);

}  // namespace dgm::engine
