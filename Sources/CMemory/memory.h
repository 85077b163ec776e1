// syscall(2) and mremap(2) are variadic, which Swift cannot call: these wrap the two calls the
// buffer pool needs to return a batch of evicted pages in one call (see Storage/PageDiscard.swift),
// and the move that puts a mapped file in place of its frames (`mapWhole` in
// Storage/PageSpace+Preload.swift). malloc.h, which Glibc's module leaves out, gives the CLI
// mallopt(3) (see CalibyCommand.swift).
#include <errno.h>
#include <malloc.h>
#include <stddef.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#ifndef MREMAP_MAYMOVE
#define MREMAP_MAYMOVE 1
#endif
#ifndef MREMAP_FIXED
#define MREMAP_FIXED 2
#endif

// Moves the `bytes`-long mapping at `from` to `to`, replacing whatever was mapped there in one step.
// Returns `to`, or (void *)-1 with errno.
static inline void *caliby_move_mapping(void *from, size_t bytes, void *to) {
    return (void *)syscall(SYS_mremap, from, bytes, bytes, MREMAP_MAYMOVE | MREMAP_FIXED, to);
}

// A descriptor for this process (pidfd_open(2)), or -1 with errno where the kernel has none.
static inline int caliby_pidfd_self(void) {
#ifdef SYS_pidfd_open
    return (int)syscall(SYS_pidfd_open, getpid(), 0);
#else
    errno = ENOSYS;
    return -1;
#endif
}

// process_madvise(2): the bytes advised, or -1 with errno.
static inline long caliby_process_madvise(int pidfd, const struct iovec *ranges, size_t count, int advice) {
#ifdef SYS_process_madvise
    return syscall(SYS_process_madvise, pidfd, ranges, count, advice, 0);
#else
    errno = ENOSYS;
    return -1;
#endif
}
