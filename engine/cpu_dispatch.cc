#include "engine/cpu_dispatch.h"

#include <atomic>
#include <cstdlib>

#include "engine/error.h"

#ifdef DGM_HAVE_OPENBLAS
#include <cblas.h>
#endif

namespace dgm::engine {

namespace {

SimdLevel detect() {
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
      __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512vl") &&
      __builtin_cpu_supports("fma"))
    return SimdLevel::kAvx512;
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return SimdLevel::kAvx2;
#endif
  return SimdLevel::kPortable;
}

struct DispatchState {
  SimdLevel supported = SimdLevel::kPortable;
  std::atomic<int> level{0};
  std::string source = "cpu";  // what chose the level: "cpu" or "DGM_DISPATCH"
};

DispatchState& state() {
  static DispatchState* s = [] {
    // Everything that can throw (an unusable DGM_DISPATCH) before anything is allocated: a
    // throw leaves the static uninitialised, to be retried by the next call.
    const SimdLevel supported = detect();
    SimdLevel level = supported;
    std::string source = "cpu";
    if (const char* env = std::getenv("DGM_DISPATCH"); env != nullptr && *env != '\0') {
      const SimdLevel wanted = parse_simd_level(env);
      if (static_cast<int>(wanted) > static_cast<int>(supported))
        throw Error(std::string("DGM_DISPATCH=") + env + ": this CPU supports at most " +
                        simd_level_name(supported),
                    error_details(ErrorCode::kUnsupported, env));
      level = wanted;
      source = "DGM_DISPATCH";
    }
    auto* d = new DispatchState;  // never destroyed: kernels may run during static destruction
    d->supported = supported;
    d->source = source;
    d->level.store(static_cast<int>(level));
#ifdef DGM_HAVE_OPENBLAS
    // dgm parallelises over tiles itself (oneTBB); a threaded OpenBLAS build (the pthread or
    // OpenMP variant behind Debian's libopenblas.so alternative) would start its own threads
    // inside every task.
    openblas_set_num_threads(1);
#endif
    return d;
  }();
  return *s;
}

}  // namespace

const char* simd_level_name(SimdLevel level) {
  switch (level) {
    case SimdLevel::kPortable:
      return "portable";
    case SimdLevel::kAvx2:
      return "avx2";
    case SimdLevel::kAvx512:
      return "avx512";
  }
  return "?";
}

SimdLevel parse_simd_level(const std::string& name) {
  for (SimdLevel level : {SimdLevel::kPortable, SimdLevel::kAvx2, SimdLevel::kAvx512})
    if (name == simd_level_name(level)) return level;
  throw Error("unknown instruction-set level '" + name + "' (DGM_DISPATCH)",
              error_details(ErrorCode::kUnknownName, name, {"portable", "avx2", "avx512"}));
}

SimdLevel supported_simd_level() { return state().supported; }

SimdLevel simd_level() { return static_cast<SimdLevel>(state().level.load()); }

void set_simd_level(SimdLevel level) {
  DispatchState& s = state();
  if (static_cast<int>(level) > static_cast<int>(s.supported))
    throw Error(std::string("instruction-set level ") + simd_level_name(level) +
                    " is not supported by this CPU (at most " + simd_level_name(s.supported) + ")",
                error_details(ErrorCode::kUnsupported, simd_level_name(level)));
  s.level.store(static_cast<int>(level));
}

bool blas_products() {
#ifdef DGM_HAVE_OPENBLAS
  return simd_level() != SimdLevel::kPortable;
#else
  return false;
#endif
}

std::string dispatch_description() {
  const DispatchState& s = state();
  std::string out = std::string("simd ") + simd_level_name(simd_level()) + " (" + s.source +
                    "; cpu supports " + simd_level_name(s.supported) + "); dense products: ";
#ifdef DGM_HAVE_OPENBLAS
  if (blas_products()) {
    out += std::string(openblas_get_config()) + ", kernels for core " + openblas_get_corename() +
           (openblas_get_parallel() == 0 ? ", a sequential build: calls serialised"
                                         : ", one thread per call");
    return out;
  }
  out += "Eigen (baseline x86-64; OpenBLAS available, off at level portable)";
#else
  out += "Eigen (built without a BLAS: DGM_BLAS=OFF)";
#endif
  return out;
}

}  // namespace dgm::engine
