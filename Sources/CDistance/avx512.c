// AVX-512F: sixteen lanes, four accumulators, and the tail done with masked loads (a masked-off
// lane reads nothing, so no fault past the end) instead of a scalar loop. Halves are widened by
// `vcvtph2ps` from a 256-bit load; their tail is copied into a zeroed block first, since a
// masked 16-bit load would need AVX-512BW.
#if defined(__x86_64__)
#include <immintrin.h>
#include <string.h>
#include "internal.h"

#define TARGET __attribute__((target("avx512f")))

TARGET static inline __m512 load_f32(const float *p) { return _mm512_loadu_ps(p); }
TARGET static inline __m512 load_f16(const uint16_t *p) {
    return _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)p));
}
TARGET static inline __m512 tail_f32(const float *p, size_t n) {
    return _mm512_maskz_loadu_ps((__mmask16)((1u << n) - 1), p);
}
TARGET static inline __m512 tail_f16(const uint16_t *p, size_t n) {
    uint16_t block[16] = {0};
    memcpy(block, p, n * 2);
    return load_f16(block);
}

TARGET static inline __m512 l2_term(__m512 x, __m512 y) {
    __m512 d = _mm512_sub_ps(x, y);
    return _mm512_mul_ps(d, d);
}
TARGET static inline __m512 dot_term(__m512 x, __m512 y) { return _mm512_mul_ps(x, y); }

#define KERNEL(NAME, STORED, LOAD, TAIL, TERM)                                            \
    TARGET static float NAME(const float *a, const STORED *b, size_t n) {                 \
        __m512 s0 = _mm512_setzero_ps(), s1 = s0, s2 = s0, s3 = s0;                       \
        size_t i = 0;                                                                     \
        for (; i + 64 <= n; i += 64) {                                                    \
            s0 = _mm512_add_ps(s0, TERM(_mm512_loadu_ps(a + i), LOAD(b + i)));            \
            s1 = _mm512_add_ps(s1, TERM(_mm512_loadu_ps(a + i + 16), LOAD(b + i + 16)));  \
            s2 = _mm512_add_ps(s2, TERM(_mm512_loadu_ps(a + i + 32), LOAD(b + i + 32)));  \
            s3 = _mm512_add_ps(s3, TERM(_mm512_loadu_ps(a + i + 48), LOAD(b + i + 48)));  \
        }                                                                                 \
        for (; i + 16 <= n; i += 16)                                                      \
            s1 = _mm512_add_ps(s1, TERM(_mm512_loadu_ps(a + i), LOAD(b + i)));            \
        if (i < n) s2 = _mm512_add_ps(s2, TERM(tail_f32(a + i, n - i), TAIL(b + i, n - i))); \
        return _mm512_reduce_add_ps(_mm512_add_ps(_mm512_add_ps(s0, s1), _mm512_add_ps(s2, s3))); \
    }

KERNEL(l2_f32, float, load_f32, tail_f32, l2_term)
KERNEL(dot_f32, float, load_f32, tail_f32, dot_term)
// One vector against four: an accumulator each, the query's chunk loaded once for all four.
#define FOUR_TERMS(TERM, X, AT)                                      \
    s0 = _mm512_add_ps(s0, TERM(X, AT(b0)));                         \
    s1 = _mm512_add_ps(s1, TERM(X, AT(b1)));                         \
    s2 = _mm512_add_ps(s2, TERM(X, AT(b2)));                         \
    s3 = _mm512_add_ps(s3, TERM(X, AT(b3)));
#define FOUR_CHUNK(p) _mm512_loadu_ps(p + i)
#define FOUR_TAIL(p) tail_f32(p + i, n - i)
#define FOUR_KERNEL(NAME, TERM)                                                                          \
    TARGET static void NAME(const float *a, const float *b0, const float *b1, const float *b2, const float *b3, \
                            size_t n, float *out) {                                                      \
        __m512 s0 = _mm512_setzero_ps(), s1 = s0, s2 = s0, s3 = s0;                                      \
        size_t i = 0;                                                                                    \
        for (; i + 16 <= n; i += 16) {                                                                   \
            __m512 x = _mm512_loadu_ps(a + i);                                                           \
            FOUR_TERMS(TERM, x, FOUR_CHUNK)                                                              \
        }                                                                                                \
        if (i < n) {                                                                                     \
            __m512 x = tail_f32(a + i, n - i);                                                           \
            FOUR_TERMS(TERM, x, FOUR_TAIL)                                                               \
        }                                                                                                \
        out[0] = _mm512_reduce_add_ps(s0);                                                               \
        out[1] = _mm512_reduce_add_ps(s1);                                                               \
        out[2] = _mm512_reduce_add_ps(s2);                                                               \
        out[3] = _mm512_reduce_add_ps(s3);                                                               \
    }

FOUR_KERNEL(l2_f32_four, l2_term)
FOUR_KERNEL(dot_f32_four, dot_term)
#undef FOUR_TERMS
#undef FOUR_CHUNK
#undef FOUR_TAIL
KERNEL(l2_f16, uint16_t, load_f16, tail_f16, l2_term)
KERNEL(dot_f16, uint16_t, load_f16, tail_f16, dot_term)
// Int8 codes against an int16 query: 32 components per instruction, widened by `vpmovsxbw` and
// multiplied and pair-summed by `vpmaddwd` into int32 lanes (AVX-512BW), converted to float every
// 2048 components (see cdistance_i8_fn). The tail goes through zeroed blocks.
#define TARGET_BW __attribute__((target("avx512f,avx512bw")))
TARGET_BW static inline __m512i codes_i16(const int8_t *p) { return _mm512_cvtepi8_epi16(_mm256_loadu_si256((const __m256i *)p)); }
TARGET_BW static inline __m512i l2_i16(__m512i q, __m512i c) {
    __m512i d = _mm512_sub_epi16(q, c);
    return _mm512_madd_epi16(d, d);
}
TARGET_BW static inline __m512i dot_i16(__m512i q, __m512i c) { return _mm512_madd_epi16(q, c); }

#define KERNEL_I8(NAME, TERM)                                                                      \
    TARGET_BW static float NAME(const int16_t *q, const int8_t *c, size_t n) {                     \
        __m512 total = _mm512_setzero_ps();                                                        \
        size_t i = 0;                                                                              \
        while (i < n) {                                                                            \
            size_t end = n - i > 2048 ? i + 2048 : n;                                              \
            __m512i s0 = _mm512_setzero_si512(), s1 = s0;                                          \
            for (; i + 64 <= end; i += 64) {                                                       \
                s0 = _mm512_add_epi32(s0, TERM(_mm512_loadu_si512(q + i), codes_i16(c + i)));      \
                s1 = _mm512_add_epi32(s1, TERM(_mm512_loadu_si512(q + i + 32), codes_i16(c + i + 32))); \
            }                                                                                      \
            for (; i + 32 <= end; i += 32)                                                         \
                s0 = _mm512_add_epi32(s0, TERM(_mm512_loadu_si512(q + i), codes_i16(c + i)));      \
            if (i < end) {                                                                         \
                int16_t qb[32] = {0};                                                              \
                int8_t cb[32] = {0};                                                               \
                memcpy(qb, q + i, (end - i) * 2);                                                  \
                memcpy(cb, c + i, end - i);                                                        \
                s1 = _mm512_add_epi32(s1, TERM(_mm512_loadu_si512(qb), codes_i16(cb)));            \
                i = end;                                                                           \
            }                                                                                      \
            total = _mm512_add_ps(total, _mm512_cvtepi32_ps(_mm512_add_epi32(s0, s1)));            \
        }                                                                                          \
        return _mm512_reduce_add_ps(total);                                                        \
    }

KERNEL_I8(l2_i8, l2_i16)
KERNEL_I8(dot_i8, dot_i16)

// Sixteen centroids at a time, their partial sums kept in a register across the subspace's width.
TARGET static void pq_table(const float *centroids, const float *sub, size_t width, int dot, float *out) {
    for (size_t block = 0; block < 256; block += 16) {
        __m512 acc = _mm512_setzero_ps();
        for (size_t t = 0; t < width; t++) {
            __m512 c = _mm512_loadu_ps(centroids + t * 256 + block), x = _mm512_set1_ps(sub[t]);
            acc = dot ? _mm512_sub_ps(acc, _mm512_mul_ps(c, x)) : _mm512_add_ps(acc, l2_term(c, x));
        }
        _mm512_storeu_ps(out + block, acc);
    }
}

// Conversions in blocks of sixteen; the tail goes through a zeroed block like the halves' tail
// in the kernels above.
TARGET static void to_f16(const float *from, uint16_t *to, size_t n) {
    size_t i = 0;
    for (; i + 16 <= n; i += 16)
        _mm256_storeu_si256((__m256i *)(to + i), _mm512_cvtps_ph(_mm512_loadu_ps(from + i), _MM_FROUND_TO_NEAREST_INT));
    if (i < n) {
        uint16_t block[16];
        _mm256_storeu_si256((__m256i *)block, _mm512_cvtps_ph(tail_f32(from + i, n - i), _MM_FROUND_TO_NEAREST_INT));
        memcpy(to + i, block, (n - i) * 2);
    }
}

TARGET static void from_f16(const uint16_t *from, float *to, size_t n) {
    size_t i = 0;
    for (; i + 16 <= n; i += 16) _mm512_storeu_ps(to + i, load_f16(from + i));
    if (i < n) _mm512_mask_storeu_ps(to + i, (__mmask16)((1u << (n - i)) - 1), tail_f16(from + i, n - i));
}

const cdistance_kernels cdistance_avx512 = {
    CDISTANCE_AVX512, "avx512", l2_f32, dot_f32, l2_f16, dot_f16, l2_i8, dot_i8, pq_table, to_f16, from_f16,
    l2_f32_four, dot_f32_four,
};
#endif
