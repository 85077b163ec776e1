// Linux file calls that Swift's Glibc module does not import because glibc declares them only
// under _GNU_SOURCE. Each is wrapped once here and called from Storage/PosixFile.swift.
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <fcntl.h>
#include <linux/falloc.h>

// Frees the blocks of [offset, offset + length) so they read as zeros, keeping the file's size.
// Returns 0, or -1 with errno set (EOPNOTSUPP where the file system cannot punch holes).
static inline int caliby_punch_hole(int fd, long long offset, long long length) {
    return fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, (off_t)offset, (off_t)length);
}
