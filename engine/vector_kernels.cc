#include "engine/vector_kernels.h"

#include "engine/cpu_dispatch.h"
#include "engine/vector_math.h"

namespace dgm::engine {

namespace {

// The kernels' one body, inlined into a function per level; the compiler vectorises it for
// that level's registers. Nothing in it may depend on the vector width (no reductions in an
// order the compiler chooses; the count of changes is exact whatever the order).
inline std::int64_t bernoulli_logistic_body(const float* a, const float* bias, const float* u,
                                            const float* free, const float* value, float* x,
                                            std::int32_t* state, std::int64_t n) {
  std::int64_t changed = 0;
  for (std::int64_t j = 0; j < n; ++j) {
    const float e = exp_float_clamped(-(a[j] + bias[j]));
    const float draw = u[j] * (1.0f + e) <= 1.0f ? 1.0f : 0.0f;
    const float v = draw * free[j] + value[j];
    x[j] = v;
    const auto s = static_cast<std::int32_t>(v);
    changed += s != state[j];
    state[j] = s;
  }
  return changed;
}

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define DGM_X86_KERNELS 1
__attribute__((target("avx512f,avx512bw,avx512dq,avx512vl,avx2"))) std::int64_t
bernoulli_logistic_avx512(const float* a, const float* bias, const float* u, const float* free,
                          const float* value, float* x, std::int32_t* state, std::int64_t n) {
  return bernoulli_logistic_body(a, bias, u, free, value, x, state, n);
}
__attribute__((target("avx2"))) std::int64_t bernoulli_logistic_avx2(
    const float* a, const float* bias, const float* u, const float* free, const float* value,
    float* x, std::int32_t* state, std::int64_t n) {
  return bernoulli_logistic_body(a, bias, u, free, value, x, state, n);
}
#endif

}  // namespace

std::int64_t bernoulli_logistic_row(const float* a, const float* bias, const float* u,
                                    const float* free, const float* value, float* x,
                                    std::int32_t* state, std::int64_t n) {
#ifdef DGM_X86_KERNELS
  switch (simd_level()) {
    case SimdLevel::kAvx512:
      return bernoulli_logistic_avx512(a, bias, u, free, value, x, state, n);
    case SimdLevel::kAvx2:
      return bernoulli_logistic_avx2(a, bias, u, free, value, x, state, n);
    case SimdLevel::kPortable:
      break;
  }
#endif
  return bernoulli_logistic_body(a, bias, u, free, value, x, state, n);
}

}  // namespace dgm::engine
