// Plain C for any CPU. Eight independent partial sums per kernel: they hide the add latency and
// leave the compiler free to put them in one vector register of whatever width the baseline has
// (float reductions are never reordered otherwise).
#include <string.h>
#include "internal.h"

// IEEE half to float without F16C: shift exponent and mantissa into float position, then one
// multiply by 2^(127-15) rebiases the exponent and normalizes subnormals; all-ones exponents
// (infinity, NaN) are restored after. Branch-free, so the loops still vectorize.
static inline float half_to_float(uint16_t h) {
    uint32_t bits = (uint32_t)(h & 0x7fff) << 13;
    float f;
    memcpy(&f, &bits, 4);
    f *= 0x1p112f;
    memcpy(&bits, &f, 4);
    if ((h & 0x7c00) == 0x7c00) bits |= 0x7f800000;
    bits |= (uint32_t)(h & 0x8000) << 16;
    memcpy(&f, &bits, 4);
    return f;
}

// Float to half, rounding to nearest even (F. Giesen's float_to_half_fast3_rtne): subnormal
// results come from one float addition of a magic number, whose rounding is the rounding wanted;
// normal ones from rebiasing the exponent and adding the rounding bias to the bits.
static inline uint16_t float_to_half(float value) {
    uint32_t f;
    memcpy(&f, &value, 4);
    uint32_t sign = f & 0x80000000u;
    f ^= sign;
    uint16_t h;
    if (f >= (uint32_t)(127 + 16) << 23) {
        h = f > 0x7f800000u ? 0x7e00 : 0x7c00;
    } else if (f < (uint32_t)113 << 23) {
        const uint32_t magic_bits = (uint32_t)((127 - 15) + (23 - 10) + 1) << 23;
        float magic, x;
        memcpy(&magic, &magic_bits, 4);
        memcpy(&x, &f, 4);
        x += magic;
        memcpy(&f, &x, 4);
        h = (uint16_t)(f - magic_bits);
    } else {
        uint32_t odd = (f >> 13) & 1;
        f += ((uint32_t)(15 - 127) << 23) + 0xfff + odd;
        h = (uint16_t)(f >> 13);
    }
    return h | (uint16_t)(sign >> 16);
}

#define LANES 8

#define KERNEL(NAME, STORED, LOAD, TERM)                                    \
    static float NAME(const float *a, const STORED *b, size_t n) {          \
        float acc[LANES] = {0};                                             \
        size_t i = 0;                                                       \
        for (; i + LANES <= n; i += LANES)                                  \
            for (size_t l = 0; l < LANES; l++) {                            \
                float x = a[i + l], y = LOAD(b[i + l]);                     \
                acc[l] += TERM;                                             \
            }                                                               \
        float sum = 0;                                                      \
        for (size_t l = 0; l < LANES; l++) sum += acc[l];                   \
        for (; i < n; i++) {                                                \
            float x = a[i], y = LOAD(b[i]);                                 \
            sum += TERM;                                                    \
        }                                                                   \
        return sum;                                                         \
    }

#define AS_FLOAT(v) (v)
KERNEL(l2_f32, float, AS_FLOAT, (x - y) * (x - y))
KERNEL(dot_f32, float, AS_FLOAT, x * y)
KERNEL(l2_f16, uint16_t, half_to_float, (x - y) * (x - y))
KERNEL(dot_f16, uint16_t, half_to_float, x * y)
// Without vectors there is no load to share: the four are the one-to-one kernel's.
#define FOUR_KERNEL(NAME, ONE)                                                                           \
    static void NAME(const float *a, const float *b0, const float *b1, const float *b2, const float *b3, \
                     size_t n, float *out) {                                                             \
        out[0] = ONE(a, b0, n), out[1] = ONE(a, b1, n), out[2] = ONE(a, b2, n), out[3] = ONE(a, b3, n);  \
    }
FOUR_KERNEL(l2_f32_four, l2_f32)
FOUR_KERNEL(dot_f32_four, dot_f32)
// Int8 codes against an int16 query, exactly, in 64-bit sums.
static float l2_i8(const int16_t *q, const int8_t *c, size_t n) {
    int64_t sum = 0;
    for (size_t i = 0; i < n; i++) sum += (int64_t)(q[i] - c[i]) * (q[i] - c[i]);
    return (float)sum;
}

static float dot_i8(const int16_t *q, const int8_t *c, size_t n) {
    int64_t sum = 0;
    for (size_t i = 0; i < n; i++) sum += (int64_t)q[i] * c[i];
    return (float)sum;
}

static void pq_table(const float *centroids, const float *sub, size_t width, int dot, float *out) {
    for (size_t c = 0; c < 256; c++) out[c] = 0;
    for (size_t t = 0; t < width; t++) {
        const float *row = centroids + t * 256;
        float x = sub[t];
        if (dot)
            for (size_t c = 0; c < 256; c++) out[c] -= row[c] * x;
        else
            for (size_t c = 0; c < 256; c++) out[c] += (row[c] - x) * (row[c] - x);
    }
}

static void to_f16(const float *from, uint16_t *to, size_t n) {
    for (size_t i = 0; i < n; i++) to[i] = float_to_half(from[i]);
}

static void from_f16(const uint16_t *from, float *to, size_t n) {
    for (size_t i = 0; i < n; i++) to[i] = half_to_float(from[i]);
}

const cdistance_kernels cdistance_portable = {
    CDISTANCE_PORTABLE, "portable", l2_f32, dot_f32, l2_f16, dot_f16, l2_i8, dot_i8, pq_table, to_f16, from_f16,
    l2_f32_four, dot_f32_four,
};
