#include "engine/philox_batch.h"

#include <Random123/uniform.hpp>
#include <algorithm>

#include "engine/cpu_dispatch.h"

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>
#define DGM_X86_KERNELS 1
#endif

namespace dgm::engine {

namespace {

// Philox4x32-10 (Salmon, Moraes, Dror and Shaw, "Parallel random numbers: as easy as 1, 2, 3",
// SC 2011), the constants of Random123's philox.h: each round multiplies words 0 and 2 by
// M0 and M1, keeps both halves of the 64-bit products, and mixes in the other words and the
// key, which is bumped by the Weyl constants between rounds.
constexpr std::uint32_t kM0 = 0xD2511F53u, kM1 = 0xCD9E8D57u;
constexpr std::uint32_t kBump0 = 0x9E3779B9u, kBump1 = 0xBB67AE85u;
constexpr int kRounds = 10;

// How `out` is filled from the four words of a draw (what the public functions differ in).
enum class Output { kWords, kFloats, kDoubles };

template <Output kOut, class T>
void scalar_draws(const CounterRng& rng, std::uint64_t first, std::int64_t begin, std::int64_t end,
                  T* out) {
  for (std::int64_t q = begin; q < end; ++q) {
    const auto words = rng.bits(first + static_cast<std::uint64_t>(q));
    for (int w = 0; w < 4; ++w) {
      if constexpr (kOut == Output::kWords)
        out[4 * q + w] = words[w];
      else if constexpr (kOut == Output::kFloats)
        out[4 * q + w] = CounterRng::uniform_word(words[w]);
      else
        out[4 * q + w] = r123::u01<double>(words[w]);
    }
  }
}

#ifdef DGM_X86_KERNELS

#define DGM_TARGET_AVX512 __attribute__((target("avx512f,avx512bw,avx512dq,avx512vl,avx2")))
#define DGM_TARGET_AVX2 __attribute__((target("avx2")))

// --- AVX-512: 16 draws, one per 32-bit lane; word w of the 16 draws in register x[w].

// The high and low halves of the 32×32-bit products x·m, lane by lane: vpmuludq multiplies
// the even lanes; the odd lanes are shifted down for a second multiply.
DGM_TARGET_AVX512 inline void mulhilo16(__m512i x, __m512i m, __m512i& hi, __m512i& lo) {
  const __m512i even = _mm512_mul_epu32(x, m);
  const __m512i odd = _mm512_mul_epu32(_mm512_srli_epi64(x, 32), m);
  lo = _mm512_mask_blend_epi32(0xAAAA, even, _mm512_slli_epi64(odd, 32));
  hi = _mm512_mask_blend_epi32(0xAAAA, _mm512_srli_epi64(even, 32), odd);
}

// The 16 draws with counters counter .. counter + 15 (the low word must not carry).
DGM_TARGET_AVX512 inline void philox16(const CounterRng& rng, std::uint64_t counter, __m512i x[4]) {
  const __m512i m0 = _mm512_set1_epi32(static_cast<int>(kM0));
  const __m512i m1 = _mm512_set1_epi32(static_cast<int>(kM1));
  x[0] = _mm512_add_epi32(_mm512_set1_epi32(static_cast<int>(counter)),
                          _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15));
  x[1] = _mm512_set1_epi32(static_cast<int>(counter >> 32));
  x[2] = _mm512_set1_epi32(static_cast<int>(rng.stream_lo()));
  x[3] = _mm512_set1_epi32(static_cast<int>(rng.stream_hi()));
  std::uint32_t k0 = rng.key()[0], k1 = rng.key()[1];
  for (int r = 0; r < kRounds; ++r) {
    __m512i hi0, lo0, hi1, lo1;
    mulhilo16(x[0], m0, hi0, lo0);
    mulhilo16(x[2], m1, hi1, lo1);
    x[0] = _mm512_xor_si512(_mm512_xor_si512(hi1, x[1]), _mm512_set1_epi32(static_cast<int>(k0)));
    x[1] = lo1;
    x[2] = _mm512_xor_si512(_mm512_xor_si512(hi0, x[3]), _mm512_set1_epi32(static_cast<int>(k1)));
    x[3] = lo0;
    k0 += kBump0;
    k1 += kBump1;
  }
}

// Words → draws in order: y[v] holds draws 4v .. 4v + 3, each as its four words. A 4×4
// transpose within 128-bit lanes (lane L of t[w] then holds draw 4L + w), then a regrouping
// of the 128-bit lanes.
DGM_TARGET_AVX512 inline void interleave16(const __m512i x[4], __m512i y[4]) {
  const __m512i a = _mm512_unpacklo_epi32(x[0], x[1]), b = _mm512_unpacklo_epi32(x[2], x[3]);
  const __m512i c = _mm512_unpackhi_epi32(x[0], x[1]), d = _mm512_unpackhi_epi32(x[2], x[3]);
  const __m512i t0 = _mm512_unpacklo_epi64(a, b), t1 = _mm512_unpackhi_epi64(a, b);
  const __m512i t2 = _mm512_unpacklo_epi64(c, d), t3 = _mm512_unpackhi_epi64(c, d);
  const __m512i s0 = _mm512_shuffle_i32x4(t0, t1, 0x44), s1 = _mm512_shuffle_i32x4(t2, t3, 0x44);
  const __m512i s2 = _mm512_shuffle_i32x4(t0, t1, 0xEE), s3 = _mm512_shuffle_i32x4(t2, t3, 0xEE);
  y[0] = _mm512_shuffle_i32x4(s0, s1, 0x88);
  y[1] = _mm512_shuffle_i32x4(s0, s1, 0xDD);
  y[2] = _mm512_shuffle_i32x4(s2, s3, 0x88);
  y[3] = _mm512_shuffle_i32x4(s2, s3, 0xDD);
}

template <Output kOut, class T>
DGM_TARGET_AVX512 void avx512_draws(const CounterRng& rng, std::uint64_t first, std::int64_t count,
                                    T* out) {
  // (w + 1/2)·2^−32 as float: the conversion rounds once (vcvtudq2ps, to nearest), the
  // scaling by 2^−32 is exact, the addition rounds once — Random123's u01<float>.
  const __m512 scale = _mm512_set1_ps(0x1p-32f), half = _mm512_set1_ps(0x1p-33f);
  const __m512d scale_d = _mm512_set1_pd(0x1p-32), half_d = _mm512_set1_pd(0x1p-33);
  std::int64_t q = 0;
  for (; q + 16 <= count; q += 16) {
    __m512i x[4], y[4];
    philox16(rng, first + static_cast<std::uint64_t>(q), x);
    interleave16(x, y);
    T* o = out + 4 * q;
    for (int v = 0; v < 4; ++v) {
      if constexpr (kOut == Output::kWords) {
        _mm512_storeu_si512(o + 16 * v, y[v]);
      } else if constexpr (kOut == Output::kFloats) {
        _mm512_storeu_ps(o + 16 * v,
                         _mm512_add_ps(_mm512_mul_ps(_mm512_cvtepu32_ps(y[v]), scale), half));
      } else {
        const __m256i lo = _mm512_castsi512_si256(y[v]);
        const __m256i hi = _mm512_extracti64x4_epi64(y[v], 1);
        _mm512_storeu_pd(o + 16 * v,
                         _mm512_add_pd(_mm512_mul_pd(_mm512_cvtepu32_pd(lo), scale_d), half_d));
        _mm512_storeu_pd(o + 16 * v + 8,
                         _mm512_add_pd(_mm512_mul_pd(_mm512_cvtepu32_pd(hi), scale_d), half_d));
      }
    }
  }
  scalar_draws<kOut>(rng, first, q, count, out);
}

// --- AVX2: 8 draws, the same scheme on 256-bit registers.

DGM_TARGET_AVX2 inline void mulhilo8(__m256i x, __m256i m, __m256i& hi, __m256i& lo) {
  const __m256i even = _mm256_mul_epu32(x, m);
  const __m256i odd = _mm256_mul_epu32(_mm256_srli_epi64(x, 32), m);
  lo = _mm256_blend_epi32(even, _mm256_slli_epi64(odd, 32), 0xAA);
  hi = _mm256_blend_epi32(_mm256_srli_epi64(even, 32), odd, 0xAA);
}

DGM_TARGET_AVX2 inline void philox8(const CounterRng& rng, std::uint64_t counter, __m256i x[4]) {
  const __m256i m0 = _mm256_set1_epi32(static_cast<int>(kM0));
  const __m256i m1 = _mm256_set1_epi32(static_cast<int>(kM1));
  x[0] = _mm256_add_epi32(_mm256_set1_epi32(static_cast<int>(counter)),
                          _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
  x[1] = _mm256_set1_epi32(static_cast<int>(counter >> 32));
  x[2] = _mm256_set1_epi32(static_cast<int>(rng.stream_lo()));
  x[3] = _mm256_set1_epi32(static_cast<int>(rng.stream_hi()));
  std::uint32_t k0 = rng.key()[0], k1 = rng.key()[1];
  for (int r = 0; r < kRounds; ++r) {
    __m256i hi0, lo0, hi1, lo1;
    mulhilo8(x[0], m0, hi0, lo0);
    mulhilo8(x[2], m1, hi1, lo1);
    x[0] = _mm256_xor_si256(_mm256_xor_si256(hi1, x[1]), _mm256_set1_epi32(static_cast<int>(k0)));
    x[1] = lo1;
    x[2] = _mm256_xor_si256(_mm256_xor_si256(hi0, x[3]), _mm256_set1_epi32(static_cast<int>(k1)));
    x[3] = lo0;
    k0 += kBump0;
    k1 += kBump1;
  }
}

// y[v] holds draws 2v and 2v + 1 (lane L of t[w] holds draw 4L + w).
DGM_TARGET_AVX2 inline void interleave8(const __m256i x[4], __m256i y[4]) {
  const __m256i a = _mm256_unpacklo_epi32(x[0], x[1]), b = _mm256_unpacklo_epi32(x[2], x[3]);
  const __m256i c = _mm256_unpackhi_epi32(x[0], x[1]), d = _mm256_unpackhi_epi32(x[2], x[3]);
  const __m256i t0 = _mm256_unpacklo_epi64(a, b), t1 = _mm256_unpackhi_epi64(a, b);
  const __m256i t2 = _mm256_unpacklo_epi64(c, d), t3 = _mm256_unpackhi_epi64(c, d);
  y[0] = _mm256_permute2x128_si256(t0, t1, 0x20);
  y[1] = _mm256_permute2x128_si256(t2, t3, 0x20);
  y[2] = _mm256_permute2x128_si256(t0, t1, 0x31);
  y[3] = _mm256_permute2x128_si256(t2, t3, 0x31);
}

// Unsigned 32-bit to float, correctly rounded, without AVX-512's vcvtudq2ps: both 16-bit
// halves convert exactly, hi·2^16 is exact, and the sum rounds once.
DGM_TARGET_AVX2 inline __m256 u32_to_float8(__m256i w) {
  const __m256 hi = _mm256_cvtepi32_ps(_mm256_srli_epi32(w, 16));
  const __m256 lo = _mm256_cvtepi32_ps(_mm256_and_si256(w, _mm256_set1_epi32(0xFFFF)));
  return _mm256_add_ps(_mm256_mul_ps(hi, _mm256_set1_ps(65536.0f)), lo);
}

// Unsigned 32-bit (four of them) to double, exactly: the signed conversion of w − 2^31, plus
// 2^31.
DGM_TARGET_AVX2 inline __m256d u32_to_double4(__m128i w) {
  const __m128i shifted = _mm_xor_si128(w, _mm_set1_epi32(static_cast<int>(0x80000000u)));
  return _mm256_add_pd(_mm256_cvtepi32_pd(shifted), _mm256_set1_pd(2147483648.0));
}

template <Output kOut, class T>
DGM_TARGET_AVX2 void avx2_draws(const CounterRng& rng, std::uint64_t first, std::int64_t count,
                                T* out) {
  const __m256 scale = _mm256_set1_ps(0x1p-32f), half = _mm256_set1_ps(0x1p-33f);
  const __m256d scale_d = _mm256_set1_pd(0x1p-32), half_d = _mm256_set1_pd(0x1p-33);
  std::int64_t q = 0;
  for (; q + 8 <= count; q += 8) {
    __m256i x[4], y[4];
    philox8(rng, first + static_cast<std::uint64_t>(q), x);
    interleave8(x, y);
    T* o = out + 4 * q;
    for (int v = 0; v < 4; ++v) {
      if constexpr (kOut == Output::kWords) {
        _mm256_storeu_si256(reinterpret_cast<__m256i*>(o + 8 * v), y[v]);
      } else if constexpr (kOut == Output::kFloats) {
        _mm256_storeu_ps(o + 8 * v, _mm256_add_ps(_mm256_mul_ps(u32_to_float8(y[v]), scale), half));
      } else {
        const __m128i lo = _mm256_castsi256_si128(y[v]);
        const __m128i hi = _mm256_extracti128_si256(y[v], 1);
        _mm256_storeu_pd(o + 8 * v,
                         _mm256_add_pd(_mm256_mul_pd(u32_to_double4(lo), scale_d), half_d));
        _mm256_storeu_pd(o + 8 * v + 4,
                         _mm256_add_pd(_mm256_mul_pd(u32_to_double4(hi), scale_d), half_d));
      }
    }
  }
  scalar_draws<kOut>(rng, first, q, count, out);
}

#endif  // DGM_X86_KERNELS

template <Output kOut, class T>
void draws(const CounterRng& rng, std::uint64_t first, std::int64_t count, T* out) {
  if (count <= 0) return;
#ifdef DGM_X86_KERNELS
  // The vector kernels step only the counter's low word; a run that would carry into the high
  // word (once in 2^32 draws of a stream) goes to the scalar code.
  const bool carries = (first & 0xffffffffu) + static_cast<std::uint64_t>(count) > (1ull << 32);
  if (!carries) {
    switch (simd_level()) {
      case SimdLevel::kAvx512:
        avx512_draws<kOut>(rng, first, count, out);
        return;
      case SimdLevel::kAvx2:
        avx2_draws<kOut>(rng, first, count, out);
        return;
      case SimdLevel::kPortable:
        break;
    }
  }
#endif
  scalar_draws<kOut>(rng, first, 0, count, out);
}

}  // namespace

void philox_words(const CounterRng& rng, std::uint64_t first_counter, std::int64_t count,
                  std::uint32_t* out) {
  draws<Output::kWords>(rng, first_counter, count, out);
}

void philox_uniform_floats(const CounterRng& rng, std::uint64_t first_counter, std::int64_t count,
                           float* out) {
  draws<Output::kFloats>(rng, first_counter, count, out);
}

void philox_uniform_doubles(const CounterRng& rng, std::uint64_t first_counter, std::int64_t count,
                            double* out) {
  draws<Output::kDoubles>(rng, first_counter, count, out);
}

void philox_uniform_doubles_wide(const CounterRng& rng, std::uint64_t first_counter,
                                 std::int64_t count, double* out) {
  constexpr std::int64_t kChunk = 64;  // draws per pass through a stack buffer
  std::uint32_t words[4 * kChunk];
  for (std::int64_t q0 = 0; q0 < count; q0 += kChunk) {
    const std::int64_t n = std::min(kChunk, count - q0);
    philox_words(rng, first_counter + static_cast<std::uint64_t>(q0), n, words);
    for (std::int64_t i = 0; i < 2 * n; ++i)
      out[2 * q0 + i] =
          r123::u01<double>((static_cast<std::uint64_t>(words[2 * i]) << 32) | words[2 * i + 1]);
  }
}

}  // namespace dgm::engine
