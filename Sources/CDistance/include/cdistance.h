#ifndef CDISTANCE_H
#define CDISTANCE_H

// Distance kernels in three instruction sets, one of which is chosen once per process from the
// CPU (and the CALIBY_KERNELS environment variable) so that the package needs no target-CPU flags
// and runs on any CPU. The query is float32 against float32 or IEEE half (the bits Swift's Float16
// stores); against int8 codes (an index's quantized copy) it is int16, already moved into code
// units, and the arithmetic is integer. Pointers need no alignment; any length is handled.

#include <stddef.h>
#include <stdint.h>

typedef float (*cdistance_f32_fn)(const float *query, const float *stored, size_t count);
typedef float (*cdistance_f16_fn)(const float *query, const uint16_t *stored, size_t count);
/// Squared distance or dot product of int16 query components within ±CDISTANCE_I8_QUERY_LIMIT and
/// int8 codes, exactly as integers (every 2048 components are summed in int32 lanes, which that
/// limit keeps far from overflow), returned as a float.
typedef float (*cdistance_i8_fn)(const int16_t *query, const int8_t *stored, size_t count);
#define CDISTANCE_I8_QUERY_LIMIT 2047
/// Product-quantization table of one subspace: for each of 256 centroids c, the squared L2
/// (dot = 0) or minus the inner product (dot = 1) between `sub[0..<width]` and the centroid whose
/// coordinate t is `centroids[t * 256 + c]`, written to `out[c]`.
typedef void (*cdistance_pq_fn)(const float *centroids, const float *sub, size_t width, int dot, float *out);
/// Float32 to IEEE half, rounding to nearest even (beyond ±65504 becomes ±infinity), and back.
typedef void (*cdistance_to_f16_fn)(const float *from, uint16_t *to, size_t count);
typedef void (*cdistance_from_f16_fn)(const uint16_t *from, float *to, size_t count);
/// The float32 kernel of the same name from one vector to four at once, written to `out[0..<4]`:
/// each component of `query` is loaded once for the four. Both graphs' neighbour selections measure
/// each candidate against every neighbour kept so far, all of them in cache, where loads bound the
/// time (SearchScratch.anyKept).
typedef void (*cdistance_f32_four_fn)(const float *query, const float *s0, const float *s1, const float *s2,
                                      const float *s3, size_t count, float *out);

typedef enum {
    CDISTANCE_PORTABLE = 0,
    CDISTANCE_AVX2 = 1,   // AVX2 and F16C, with the OS saving YMM state
    CDISTANCE_AVX512 = 2, // AVX-512F and BW, with the OS saving ZMM state
} cdistance_isa;

typedef struct {
    cdistance_isa isa;
    const char *name;
    cdistance_f32_fn l2_f32;
    cdistance_f32_fn dot_f32;
    cdistance_f16_fn l2_f16;
    cdistance_f16_fn dot_f16;
    cdistance_i8_fn l2_i8;
    cdistance_i8_fn dot_i8;
    cdistance_pq_fn pq_table;
    cdistance_to_f16_fn to_f16;
    cdistance_from_f16_fn from_f16;
    cdistance_f32_four_fn l2_f32_four;
    cdistance_f32_four_fn dot_f32_four;
} cdistance_kernels;

/// Bit `1 << isa` for each instruction set this CPU and OS can run (portable always).
unsigned cdistance_supported(void);

/// The kernels of one instruction set, whether or not this CPU runs them (NULL when this build
/// has none, as on non-x86 for the x86 sets). Calling unsupported ones raises SIGILL.
const cdistance_kernels *cdistance_implementation(cdistance_isa isa);

/// The choice for a CALIBY_KERNELS value (`request`, NULL or "" for none) given the `supported`
/// mask: the request when it names a supported set, otherwise the best supported set, with
/// `*refused` set to why the request was not honoured (else to NULL). Never an unsupported set:
/// a wrong request costs speed, not a SIGILL.
cdistance_isa cdistance_choose(const char *request, unsigned supported, const char **refused);

/// The process's kernels: chosen on first use from the CPU and CALIBY_KERNELS, then one load.
/// Inline so that a distance costs that load and an indirect call, nothing more.
extern const cdistance_kernels *cdistance_selected;
const cdistance_kernels *cdistance_select(void);
static inline const cdistance_kernels *cdistance_active(void) {
    const cdistance_kernels *k = __atomic_load_n(&cdistance_selected, __ATOMIC_ACQUIRE);
    return k ? k : cdistance_select();
}

/// Why CALIBY_KERNELS was not honoured, or NULL when it was (or is unset).
const char *cdistance_refused(void);

#endif
