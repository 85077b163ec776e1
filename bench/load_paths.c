// The three ways a preload can bring a file the OS has cached into memory, timed alone:
//   read   pread in 256 KiB calls into fresh anonymous memory (4 KiB pages)
//   thp    the same into memory advised MADV_HUGEPAGE (2 MiB pages)
//   map    mmap MAP_PRIVATE + MADV_POPULATE_READ (the page cache's own pages, no copy)
// then one pass over every byte (what checksum verification costs), then 20M random one-byte
// reads (what a graph search's hops see of the TLB).
//
// usage: cc -O2 -o /tmp/load_paths bench/load_paths.c
//        head -c $((16384 * 12207)) /dev/urandom > /tmp/f && cat /tmp/f > /dev/null
//        for i in 1 2 3; do for m in read thp map; do /tmp/load_paths /tmp/f $m; done; done
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

static double ms(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

int main(int argc, char **argv) {
    if (argc != 3) { fprintf(stderr, "usage: %s FILE read|thp|map\n", argv[0]); return 2; }
    int fd = open(argv[1], O_RDONLY);
    if (fd < 0) { perror(argv[1]); return 1; }
    size_t n = (size_t)lseek(fd, 0, SEEK_END) & ~(size_t)4095;
    const char *mode = argv[2];
    double t0 = ms();
    unsigned char *p;
    if (strcmp(mode, "map") == 0) {
        p = mmap(NULL, n, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
        if (p == MAP_FAILED || madvise(p, n, MADV_POPULATE_READ) != 0) { perror("map"); return 1; }
    } else {
        p = mmap(NULL, n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (p == MAP_FAILED) { perror("mmap"); return 1; }
        if (strcmp(mode, "thp") == 0) madvise(p, n, MADV_HUGEPAGE);
        for (size_t o = 0; o < n; o += 256 << 10) {
            size_t c = n - o < (256 << 10) ? n - o : (256 << 10);
            if (pread(fd, p + o, c, (off_t)o) != (ssize_t)c) { perror("pread"); return 1; }
        }
    }
    double t1 = ms();
    uint64_t sum = 0;
    for (size_t o = 0; o + 8 <= n; o += 8) {
        uint64_t w;
        memcpy(&w, p + o, 8);
        sum = (sum ^ w) * 0x9E3779B97F4A7C15ull;
    }
    double t2 = ms();
    uint64_t x = 1;
    for (int i = 0; i < 20000000; i++) {
        x = x * 6364136223846793005ull + 1;
        sum += p[(x >> 20) % n];
    }
    double t3 = ms();
    printf("%-4s load %7.1f ms  pass %6.1f ms  random %6.1f ms  (%llx)\n", mode, t1 - t0, t2 - t1, t3 - t2,
           (unsigned long long)sum);
    return 0;
}
