// AVX2 with F16C (`vcvtph2ps` widens eight halves per load). Four accumulators: a dependent
// vaddps chain would wait its latency (4 cycles) every iteration. No FMA: the Swift kernels these
// replace measured it slower on this machine, and it would make this set need a third feature.
#if defined(__x86_64__)
#include <immintrin.h>
#include "internal.h"

#define TARGET __attribute__((target("avx2,f16c")))

TARGET static inline float hsum(__m256 v) {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}

TARGET static inline __m256 load_f32(const float *p) { return _mm256_loadu_ps(p); }
TARGET static inline __m256 load_f16(const uint16_t *p) {
    return _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)p));
}
TARGET static inline float one_f32(const float *p) { return *p; }
TARGET static inline float one_f16(const uint16_t *p) { return _cvtsh_ss(*p); }

TARGET static inline __m256 l2_term(__m256 x, __m256 y) {
    __m256 d = _mm256_sub_ps(x, y);
    return _mm256_mul_ps(d, d);
}
TARGET static inline __m256 dot_term(__m256 x, __m256 y) { return _mm256_mul_ps(x, y); }
TARGET static inline float l2_one(float x, float y) { return (x - y) * (x - y); }
TARGET static inline float dot_one(float x, float y) { return x * y; }

#define KERNEL(NAME, STORED, LOAD, ONE, TERM, TERM_ONE)                                  \
    TARGET static float NAME(const float *a, const STORED *b, size_t n) {                \
        __m256 s0 = _mm256_setzero_ps(), s1 = s0, s2 = s0, s3 = s0;                      \
        size_t i = 0;                                                                    \
        for (; i + 32 <= n; i += 32) {                                                   \
            s0 = _mm256_add_ps(s0, TERM(_mm256_loadu_ps(a + i), LOAD(b + i)));           \
            s1 = _mm256_add_ps(s1, TERM(_mm256_loadu_ps(a + i + 8), LOAD(b + i + 8)));   \
            s2 = _mm256_add_ps(s2, TERM(_mm256_loadu_ps(a + i + 16), LOAD(b + i + 16))); \
            s3 = _mm256_add_ps(s3, TERM(_mm256_loadu_ps(a + i + 24), LOAD(b + i + 24))); \
        }                                                                                \
        for (; i + 8 <= n; i += 8)                                                       \
            s0 = _mm256_add_ps(s0, TERM(_mm256_loadu_ps(a + i), LOAD(b + i)));           \
        float sum = hsum(_mm256_add_ps(_mm256_add_ps(s0, s1), _mm256_add_ps(s2, s3)));   \
        for (; i < n; i++) sum += TERM_ONE(a[i], ONE(b + i));                            \
        return sum;                                                                      \
    }

KERNEL(l2_f32, float, load_f32, one_f32, l2_term, l2_one)
KERNEL(dot_f32, float, load_f32, one_f32, dot_term, dot_one)
// One vector against four: an accumulator each, the query's chunk loaded once for all four.
#define FOUR_KERNEL(NAME, TERM, TERM_ONE)                                                                \
    TARGET static void NAME(const float *a, const float *b0, const float *b1, const float *b2, const float *b3, \
                            size_t n, float *out) {                                                      \
        __m256 s0 = _mm256_setzero_ps(), s1 = s0, s2 = s0, s3 = s0;                                      \
        size_t i = 0;                                                                                    \
        for (; i + 8 <= n; i += 8) {                                                                     \
            __m256 x = _mm256_loadu_ps(a + i);                                                           \
            s0 = _mm256_add_ps(s0, TERM(x, _mm256_loadu_ps(b0 + i)));                                    \
            s1 = _mm256_add_ps(s1, TERM(x, _mm256_loadu_ps(b1 + i)));                                    \
            s2 = _mm256_add_ps(s2, TERM(x, _mm256_loadu_ps(b2 + i)));                                    \
            s3 = _mm256_add_ps(s3, TERM(x, _mm256_loadu_ps(b3 + i)));                                    \
        }                                                                                                \
        out[0] = hsum(s0), out[1] = hsum(s1), out[2] = hsum(s2), out[3] = hsum(s3);                      \
        for (; i < n; i++) {                                                                             \
            out[0] += TERM_ONE(a[i], b0[i]), out[1] += TERM_ONE(a[i], b1[i]);                            \
            out[2] += TERM_ONE(a[i], b2[i]), out[3] += TERM_ONE(a[i], b3[i]);                            \
        }                                                                                                \
    }

FOUR_KERNEL(l2_f32_four, l2_term, l2_one)
FOUR_KERNEL(dot_f32_four, dot_term, dot_one)
KERNEL(l2_f16, uint16_t, load_f16, one_f16, l2_term, l2_one)
KERNEL(dot_f16, uint16_t, load_f16, one_f16, dot_term, dot_one)
// Int8 codes against an int16 query: sixteen components per `vpmaddwd`, int32 lanes converted to
// float every 2048 components (see cdistance_i8_fn), the tail in scalar code.
TARGET static inline __m256i codes_i16(const int8_t *p) { return _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)p)); }
TARGET static inline __m256i l2_i16(__m256i q, __m256i c) {
    __m256i d = _mm256_sub_epi16(q, c);
    return _mm256_madd_epi16(d, d);
}
TARGET static inline __m256i dot_i16(__m256i q, __m256i c) { return _mm256_madd_epi16(q, c); }
static inline int32_t l2_i16_one(int32_t q, int32_t c) { return (q - c) * (q - c); }
static inline int32_t dot_i16_one(int32_t q, int32_t c) { return q * c; }

#define KERNEL_I8(NAME, TERM, TERM_ONE)                                                          \
    TARGET static float NAME(const int16_t *q, const int8_t *c, size_t n) {                      \
        float total = 0;                                                                         \
        size_t i = 0;                                                                            \
        while (i < n) {                                                                          \
            size_t end = n - i > 2048 ? i + 2048 : n;                                            \
            __m256i s0 = _mm256_setzero_si256(), s1 = s0;                                        \
            for (; i + 32 <= end; i += 32) {                                                     \
                s0 = _mm256_add_epi32(s0, TERM(_mm256_loadu_si256((const __m256i *)(q + i)), codes_i16(c + i))); \
                s1 = _mm256_add_epi32(s1, TERM(_mm256_loadu_si256((const __m256i *)(q + i + 16)), codes_i16(c + i + 16))); \
            }                                                                                    \
            for (; i + 16 <= end; i += 16)                                                       \
                s0 = _mm256_add_epi32(s0, TERM(_mm256_loadu_si256((const __m256i *)(q + i)), codes_i16(c + i))); \
            int32_t lanes[8];                                                                    \
            int64_t sum = 0;                                                                     \
            _mm256_storeu_si256((__m256i *)lanes, _mm256_add_epi32(s0, s1));                    \
            for (int l = 0; l < 8; l++) sum += lanes[l];                                         \
            for (; i < end; i++) sum += TERM_ONE(q[i], c[i]);                                    \
            total += (float)sum;                                                                 \
        }                                                                                        \
        return total;                                                                            \
    }

KERNEL_I8(l2_i8, l2_i16, l2_i16_one)
KERNEL_I8(dot_i8, dot_i16, dot_i16_one)

// Eight centroids at a time, their partial sums kept in a register across the subspace's width.
TARGET static void pq_table(const float *centroids, const float *sub, size_t width, int dot, float *out) {
    for (size_t block = 0; block < 256; block += 8) {
        __m256 acc = _mm256_setzero_ps();
        for (size_t t = 0; t < width; t++) {
            __m256 c = _mm256_loadu_ps(centroids + t * 256 + block), x = _mm256_set1_ps(sub[t]);
            acc = dot ? _mm256_sub_ps(acc, _mm256_mul_ps(c, x)) : _mm256_add_ps(acc, l2_term(c, x));
        }
        _mm256_storeu_ps(out + block, acc);
    }
}

TARGET static void to_f16(const float *from, uint16_t *to, size_t n) {
    size_t i = 0;
    for (; i + 8 <= n; i += 8)
        _mm_storeu_si128((__m128i *)(to + i), _mm256_cvtps_ph(_mm256_loadu_ps(from + i), _MM_FROUND_TO_NEAREST_INT));
    for (; i < n; i++) to[i] = _cvtss_sh(from[i], _MM_FROUND_TO_NEAREST_INT);
}

TARGET static void from_f16(const uint16_t *from, float *to, size_t n) {
    size_t i = 0;
    for (; i + 8 <= n; i += 8) _mm256_storeu_ps(to + i, load_f16(from + i));
    for (; i < n; i++) to[i] = _cvtsh_ss(from[i]);
}

const cdistance_kernels cdistance_avx2 = {
    CDISTANCE_AVX2, "avx2", l2_f32, dot_f32, l2_f16, dot_f16, l2_i8, dot_i8, pq_table, to_f16, from_f16,
    l2_f32_four, dot_f32_four,
};
#endif
