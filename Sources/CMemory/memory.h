// syscall(2) is variadic, which Swift cannot call: these wrap the two the buffer pool needs to
// return a batch of evicted pages in one call (see Storage/PageDiscard.swift). malloc.h, which
// Glibc's module leaves out, gives the CLI mallopt(3) (see CalibyCommand.swift).
#include <errno.h>
#include <malloc.h>
#include <stddef.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

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
