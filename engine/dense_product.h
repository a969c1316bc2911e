#pragma once
// Dense matrix products of the RBM paths (block Gibbs, the gradient samplers' visible
// marginal, AIS, the learning layer's statistics): C = alpha·op(A)·op(B) + beta·C on row-major
// matrices, the contract of cblas_?gemm(CblasRowMajor, ...). They go to OpenBLAS when dgm is
// built with it (DGM_BLAS, the default) and the dispatch level is not portable; OpenBLAS picks
// its kernels for the CPU at start-up. Otherwise to Eigen, compiled for baseline x86-64.
//
// One call runs on the calling thread: callers split their products into tiles whose bounds
// do not depend on the number of threads (engine/parallel_tiles.h), so the numbers do not
// either. Which library, and on which CPU, changes the rounding of the sums (docs/performance.md).
#include <cstdint>

namespace dgm::engine {

// op(A) is m×k: A itself (row stride lda ≥ k) or, with transpose_a, the transpose of the k×m
// matrix A (lda ≥ m); op(B) is k×n likewise. C is m×n with row stride ldc ≥ n. With beta = 0,
// C is only written (it may hold NaN before).
void gemm(bool transpose_a, bool transpose_b, std::int64_t m, std::int64_t n, std::int64_t k,
          float alpha, const float* a, std::int64_t lda, const float* b, std::int64_t ldb,
          float beta, float* c, std::int64_t ldc);
void gemm(bool transpose_a, bool transpose_b, std::int64_t m, std::int64_t n, std::int64_t k,
          double alpha, const double* a, std::int64_t lda, const double* b, std::int64_t ldb,
          double beta, double* c, std::int64_t ldc);

}  // namespace dgm::engine
