#include "engine/dense_product.h"

#include <Eigen/Core>
#include <algorithm>
#include <limits>
#include <mutex>
#include <stdexcept>
#include <type_traits>

#include "engine/cpu_dispatch.h"

#ifdef DGM_HAVE_OPENBLAS
#include <cblas.h>
#endif

namespace dgm::engine {

namespace {

template <class T>
using RowMajor = Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

template <class T>
void eigen_gemm(bool transpose_a, bool transpose_b, std::int64_t m, std::int64_t n, std::int64_t k,
                T alpha, const T* a, std::int64_t lda, const T* b, std::int64_t ldb, T beta, T* c,
                std::int64_t ldc) {
  using Stride = Eigen::OuterStride<>;
  using ConstMap = Eigen::Map<const RowMajor<T>, 0, Stride>;
  const ConstMap a_stored(a, transpose_a ? k : m, transpose_a ? m : k, Stride(lda));
  const ConstMap b_stored(b, transpose_b ? n : k, transpose_b ? k : n, Stride(ldb));
  Eigen::Map<RowMajor<T>, 0, Stride> out(c, m, n, Stride(ldc));
  auto run = [&](const auto& left, const auto& right) {
    if (beta == T(0)) {
      out.noalias() = alpha * (left * right);
    } else {
      if (beta != T(1)) out *= beta;
      out.noalias() += alpha * (left * right);
    }
  };
  if (transpose_a && transpose_b)
    run(a_stored.transpose(), b_stored.transpose());
  else if (transpose_a)
    run(a_stored.transpose(), b_stored);
  else if (transpose_b)
    run(a_stored, b_stored.transpose());
  else
    run(a_stored, b_stored);
}

#ifdef DGM_HAVE_OPENBLAS
// A sequential OpenBLAS (Debian's openblas-serial variant, if the libopenblas.so alternative
// points at it) may be built without locking, and then is not safe to call from two threads
// at once (OpenBLAS issue 2126): its calls are serialised. The threaded variants (the default
// libopenblas-dev) lock their buffers and run each call on the calling thread once
// openblas_set_num_threads(1) is set (engine/cpu_dispatch.cc).
std::mutex sequential_blas_mutex;
bool blas_needs_serialising() {
  static const bool sequential = openblas_get_parallel() == 0;
  return sequential;
}

// OpenBLAS takes int sizes (LP64 build).
blasint as_blas_int(std::int64_t x) {
  if (x < 0 || x > std::numeric_limits<blasint>::max())
    throw std::length_error("gemm: dimension beyond the BLAS's integer range");
  return static_cast<blasint>(x);
}
#endif

template <class T>
void dispatch_gemm(bool transpose_a, bool transpose_b, std::int64_t m, std::int64_t n,
                   std::int64_t k, T alpha, const T* a, std::int64_t lda, const T* b,
                   std::int64_t ldb, T beta, T* c, std::int64_t ldc) {
  if (m == 0 || n == 0) return;
#ifdef DGM_HAVE_OPENBLAS
  if (blas_products()) {
    const CBLAS_TRANSPOSE ta = transpose_a ? CblasTrans : CblasNoTrans;
    const CBLAS_TRANSPOSE tb = transpose_b ? CblasTrans : CblasNoTrans;
    // The BLAS requires leading dimensions ≥ 1 even for empty operands.
    const blasint la = as_blas_int(std::max<std::int64_t>(lda, 1));
    const blasint lb = as_blas_int(std::max<std::int64_t>(ldb, 1));
    std::unique_lock<std::mutex> lock(sequential_blas_mutex, std::defer_lock);
    if (blas_needs_serialising()) lock.lock();
    if constexpr (std::is_same_v<T, float>)
      cblas_sgemm(CblasRowMajor, ta, tb, as_blas_int(m), as_blas_int(n), as_blas_int(k), alpha, a,
                  la, b, lb, beta, c, as_blas_int(ldc));
    else
      cblas_dgemm(CblasRowMajor, ta, tb, as_blas_int(m), as_blas_int(n), as_blas_int(k), alpha, a,
                  la, b, lb, beta, c, as_blas_int(ldc));
    return;
  }
#endif
  eigen_gemm(transpose_a, transpose_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}

}  // namespace

void gemm(bool transpose_a, bool transpose_b, std::int64_t m, std::int64_t n, std::int64_t k,
          float alpha, const float* a, std::int64_t lda, const float* b, std::int64_t ldb,
          float beta, float* c, std::int64_t ldc) {
  dispatch_gemm(transpose_a, transpose_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}

void gemm(bool transpose_a, bool transpose_b, std::int64_t m, std::int64_t n, std::int64_t k,
          double alpha, const double* a, std::int64_t lda, const double* b, std::int64_t ldb,
          double beta, double* c, std::int64_t ldc) {
  dispatch_gemm(transpose_a, transpose_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}

}  // namespace dgm::engine
