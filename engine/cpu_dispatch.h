#pragma once
// Run-time choice of the instruction set for dgm's own vector kernels (batched Philox, the
// samplers' row kernels) and of the library for dense float products, so that one portable
// binary runs at the speed of the CPU it lands on (a -march=native build cannot be shipped).
//
// The level is the best the CPU supports, lowered, never raised, by the environment variable
// DGM_DISPATCH=portable|avx2|avx512 (read once, at the first call) or by set_simd_level.
// The first call also sets OpenBLAS to one thread per call (openblas_set_num_threads(1)), for
// the whole process: an application that embeds dgm and uses OpenBLAS itself shares that
// setting. `portable` also turns the BLAS off: dense products go through Eigen compiled for
// baseline x86-64, the path CI tests once per run (docs/performance.md).
//
// Results: every dispatched kernel but the dense product gives bit-identical results on every
// level (integer arithmetic, or the same IEEE operations lane by lane, compiled without FMA
// contraction); a product's float sums may round differently between BLAS kernels, Eigen and
// CPUs, so samples drawn from products agree only up to that rounding. Neither depends on the
// number of threads (products are split into tiles that do not depend on it).
#include <string>

namespace dgm::engine {

enum class SimdLevel : int {
  kPortable = 0,  // baseline x86-64 (SSE2), or any other architecture
  kAvx2 = 1,      // AVX2 and FMA (Haswell, Zen)
  kAvx512 = 2,    // AVX-512 F, BW, DQ and VL (Skylake-X, Ice Lake, Zen 4)
};

const char* simd_level_name(SimdLevel level);

// The best level this CPU supports (cpuid, checked once).
SimdLevel supported_simd_level();

// The level the kernels use now.
SimdLevel simd_level();

// Sets the level for the whole process (tests and benchmarks compare levels in one run).
// Throws dgm::Error for a level the CPU does not support.
void set_simd_level(SimdLevel level);

// Parses "portable", "avx2", "avx512"; throws dgm::Error naming the value otherwise.
SimdLevel parse_simd_level(const std::string& name);

// Whether dense float products go to the BLAS: built with one (DGM_BLAS) and the level is not
// portable.
bool blas_products();

// One line for benchmarks and `dgm --version`: the level and why (CPU or DGM_DISPATCH), the
// BLAS and the kernels it chose for this CPU, e.g.
// "simd avx512 (cpu; cpu supports avx512); dense products: OpenBLAS 0.3.21 … , kernels for
// core Haswell, one thread per call".
std::string dispatch_description();

}  // namespace dgm::engine
