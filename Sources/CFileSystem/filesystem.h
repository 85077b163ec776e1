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

#include <stdio.h>

// Swaps two names atomically (both must exist): a restore puts a whole new data directory in
// place with no instant at which the name is missing or half-filled.
static inline int caliby_rename_exchange(const char *from, const char *to) {
    return renameat2(AT_FDCWD, from, AT_FDCWD, to, RENAME_EXCHANGE);
}

// Renames only if `to` does not exist, so a backup never replaces what appeared meanwhile.
static inline int caliby_rename_noreplace(const char *from, const char *to) {
    return renameat2(AT_FDCWD, from, AT_FDCWD, to, RENAME_NOREPLACE);
}
