// Which kernels the CPU can run, and the one choice per process. Features come from CPUID and
// XCR0 directly (not __builtin_cpu_supports, which needs a runtime library's initializer): an
// instruction set is usable only if the CPU has it AND the OS saves its registers on a context
// switch, which XCR0 says.
#include <stdlib.h>
#include <string.h>
#include "internal.h"

#if defined(__x86_64__)
#include <cpuid.h>

static unsigned detect(void) {
    unsigned supported = 1u << CDISTANCE_PORTABLE;
    unsigned a, b, c, d;
    if (!__get_cpuid_count(1, 0, &a, &b, &c, &d)) return supported;
    int osxsave = (c >> 27) & 1, avx = (c >> 28) & 1, f16c = (c >> 29) & 1;
    if (!osxsave || !avx) return supported;
    unsigned xcr0_lo, xcr0_hi;
    __asm__("xgetbv" : "=a"(xcr0_lo), "=d"(xcr0_hi) : "c"(0));
    // XMM and YMM state (bits 1, 2); for AVX-512 also opmask and both ZMM halves (bits 5-7).
    int ymm = (xcr0_lo & 0x6) == 0x6, zmm = (xcr0_lo & 0xe6) == 0xe6;
    if (!__get_cpuid_count(7, 0, &a, &b, &c, &d)) return supported;
    // The int8 kernels of the AVX-512 set use BW's 16-bit lanes: every AVX-512 CPU since Skylake has it.
    int avx2 = (b >> 5) & 1, avx512f = (b >> 16) & 1, avx512bw = (b >> 30) & 1;
    if (ymm && avx2 && f16c) supported |= 1u << CDISTANCE_AVX2;
    if (zmm && avx512f && avx512bw) supported |= 1u << CDISTANCE_AVX512;
    return supported;
}
#else
static unsigned detect(void) { return 1u << CDISTANCE_PORTABLE; }
#endif

unsigned cdistance_supported(void) {
    static unsigned cached;
    unsigned s = __atomic_load_n(&cached, __ATOMIC_RELAXED);
    if (!s) {
        s = detect();
        __atomic_store_n(&cached, s, __ATOMIC_RELAXED);
    }
    return s;
}

const cdistance_kernels *cdistance_implementation(cdistance_isa isa) {
    switch (isa) {
    case CDISTANCE_PORTABLE: return &cdistance_portable;
#if defined(__x86_64__)
    case CDISTANCE_AVX2: return &cdistance_avx2;
    case CDISTANCE_AVX512: return &cdistance_avx512;
#else
    case CDISTANCE_AVX2:
    case CDISTANCE_AVX512: return NULL;
#endif
    }
    return NULL;
}

static const char *const names[] = {"portable", "avx2", "avx512"};

cdistance_isa cdistance_choose(const char *request, unsigned supported, const char **refused) {
    cdistance_isa best = CDISTANCE_PORTABLE;
    for (int isa = CDISTANCE_AVX512; isa > CDISTANCE_PORTABLE; isa--)
        if (supported & (1u << isa)) { best = (cdistance_isa)isa; break; }
    *refused = NULL;
    if (!request || !*request) return best;
    for (int isa = CDISTANCE_PORTABLE; isa <= CDISTANCE_AVX512; isa++) {
        if (strcmp(request, names[isa]) != 0) continue;
        if (supported & (1u << isa)) return (cdistance_isa)isa;
        *refused = "this CPU cannot run them";
        return best;
    }
    *refused = "not one of portable, avx2, avx512";
    return best;
}

const cdistance_kernels *cdistance_selected;
static const char *refusal;

const cdistance_kernels *cdistance_select(void) {
    const char *why;
    cdistance_isa isa = cdistance_choose(getenv("CALIBY_KERNELS"), cdistance_supported(), &why);
    // Racing first callers compute the same answer; the release store publishes the refusal too.
    __atomic_store_n(&refusal, why, __ATOMIC_RELAXED);
    const cdistance_kernels *k = cdistance_implementation(isa);
    __atomic_store_n(&cdistance_selected, k, __ATOMIC_RELEASE);
    return k;
}

const char *cdistance_refused(void) {
    cdistance_active();
    return __atomic_load_n(&refusal, __ATOMIC_RELAXED);
}
