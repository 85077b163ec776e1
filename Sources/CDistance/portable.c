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

const cdistance_kernels cdistance_portable = {
    CDISTANCE_PORTABLE, "portable", l2_f32, dot_f32, l2_f16, dot_f16, pq_table,
};
