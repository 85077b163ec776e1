// A DiskANN beam's page reads, three ways, timed alone on a file larger than the page cache keeps:
//   advise   posix_fadvise(WILLNEED) for each page of the beam, then a pread each: caliby's search
//   uring    one io_uring submission of the beam's buffered reads, waiting for all of them
//   direct   the same through an O_DIRECT descriptor: no page cache, as diskannpy's disk index reads
// Each hop reads WIDTH random 4 KiB pages into page-aligned memory. "cold" drops the file from the
// page cache first (posix_fadvise DONTNEED); "warm" repeats the same pages at once, so buffered
// reads find them cached (direct reads go to the disk again). Prints wall and system CPU time per
// hop: what a cold search waits for, and what it spends in the kernel to ask.
//
// No liburing: the ring is set up with the raw system calls, as a shim in the engine would be.
//
// usage: cc -O2 -o /tmp/beam_reads bench/beam_reads.c
//        for i in 1 2 3; do for m in advise uring direct; do /tmp/beam_reads INDEX_FILE $m; done; done
#define _GNU_SOURCE
#include <fcntl.h>
#include <linux/io_uring.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

enum { PAGE = 4096, WIDTH = 4, HOPS = 3000 };

struct ring {
    int fd;
    unsigned *sq_tail, *sq_mask, *sq_array, *cq_head, *cq_tail, *cq_mask;
    struct io_uring_sqe *sqes;
    struct io_uring_cqe *cqes;
};

static int ring_open(struct ring *r, unsigned entries) {
    struct io_uring_params p;
    memset(&p, 0, sizeof p);
    r->fd = (int)syscall(SYS_io_uring_setup, entries, &p);
    if (r->fd < 0) return -1;
    size_t sq_bytes = p.sq_off.array + p.sq_entries * sizeof(unsigned);
    size_t cq_bytes = p.cq_off.cqes + p.cq_entries * sizeof(struct io_uring_cqe);
    if (!(p.features & IORING_FEAT_SINGLE_MMAP)) return -1;  // Linux 5.4+: both rings in one mapping
    size_t bytes = sq_bytes > cq_bytes ? sq_bytes : cq_bytes;
    char *rings = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, r->fd, IORING_OFF_SQ_RING);
    r->sqes = mmap(NULL, p.sq_entries * sizeof(struct io_uring_sqe), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE,
                   r->fd, IORING_OFF_SQES);
    if (rings == MAP_FAILED || r->sqes == MAP_FAILED) return -1;
    r->sq_tail = (unsigned *)(rings + p.sq_off.tail);
    r->sq_mask = (unsigned *)(rings + p.sq_off.ring_mask);
    r->sq_array = (unsigned *)(rings + p.sq_off.array);
    r->cq_head = (unsigned *)(rings + p.cq_off.head);
    r->cq_tail = (unsigned *)(rings + p.cq_off.tail);
    r->cq_mask = (unsigned *)(rings + p.cq_off.ring_mask);
    r->cqes = (struct io_uring_cqe *)(rings + p.cq_off.cqes);
    return 0;
}

// Submits one read per page and waits for all of them; 0 when every read returned a whole page.
static int ring_read(struct ring *r, int fd, char *into, const long *pages, int n) {
    unsigned tail = *r->sq_tail;
    for (int i = 0; i < n; i++, tail++) {
        unsigned slot = tail & *r->sq_mask;
        struct io_uring_sqe *s = &r->sqes[slot];
        memset(s, 0, sizeof *s);
        s->opcode = IORING_OP_READ;
        s->fd = fd;
        s->addr = (unsigned long)(into + i * PAGE);
        s->len = PAGE;
        s->off = (unsigned long long)pages[i] * PAGE;
        r->sq_array[slot] = slot;
    }
    atomic_store_explicit((_Atomic unsigned *)r->sq_tail, tail, memory_order_release);
    int done = 0, whole = 1, submit = n;
    while (done < n) {
        if (syscall(SYS_io_uring_enter, r->fd, submit, n - done, IORING_ENTER_GETEVENTS, NULL, 0) < 0) return -1;
        submit = 0;
        unsigned head = *r->cq_head;
        unsigned end = atomic_load_explicit((_Atomic unsigned *)r->cq_tail, memory_order_acquire);
        for (; head != end; head++, done++) whole &= r->cqes[head & *r->cq_mask].res == PAGE;
        atomic_store_explicit((_Atomic unsigned *)r->cq_head, head, memory_order_release);
    }
    return whole ? 0 : -1;
}

static double seconds(struct timeval t) { return t.tv_sec + t.tv_usec / 1e6; }

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec / 1e9;
}

// Runs HOPS hops of WIDTH reads from the same random pages each call; prints the times per hop.
static int run(const char *label, const char *method, int fd, int direct_fd, struct ring *ring, long pages_in_file,
               char *buffer) {
    srand(42);
    struct rusage before, after;
    getrusage(RUSAGE_SELF, &before);
    double start = now();
    for (int hop = 0; hop < HOPS; hop++) {
        long pages[WIDTH];
        for (int i = 0; i < WIDTH; i++) pages[i] = (long)((double)rand() / RAND_MAX * (pages_in_file - 1));
        if (strcmp(method, "advise") == 0) {
            for (int i = 0; i < WIDTH; i++) posix_fadvise(fd, pages[i] * PAGE, PAGE, POSIX_FADV_WILLNEED);
            for (int i = 0; i < WIDTH; i++)
                if (pread(fd, buffer + i * PAGE, PAGE, pages[i] * PAGE) != PAGE) return -1;
        } else if (ring_read(ring, strcmp(method, "direct") == 0 ? direct_fd : fd, buffer, pages, WIDTH) != 0) {
            return -1;
        }
    }
    double wall = now() - start;
    getrusage(RUSAGE_SELF, &after);
    printf("%-6s %-5s %7.1f us/hop wall %7.1f us/hop system\n", method, label, wall / HOPS * 1e6,
           (seconds(after.ru_stime) - seconds(before.ru_stime)) / HOPS * 1e6);
    return 0;
}

int main(int argc, char **argv) {
    if (argc != 3) {
        fprintf(stderr, "usage: %s FILE advise|uring|direct\n", argv[0]);
        return 2;
    }
    const char *method = argv[2];
    int fd = open(argv[1], O_RDONLY), direct_fd = open(argv[1], O_RDONLY | O_DIRECT);
    if (fd < 0 || direct_fd < 0) { perror(argv[1]); return 1; }
    long pages_in_file = lseek(fd, 0, SEEK_END) / PAGE;
    char *buffer = aligned_alloc(PAGE, WIDTH * PAGE);
    struct ring ring;
    if (strcmp(method, "advise") != 0 && ring_open(&ring, 2 * WIDTH) != 0) { perror("io_uring"); return 1; }
    posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
    if (run("cold", method, fd, direct_fd, &ring, pages_in_file, buffer) != 0 ||
        run("warm", method, fd, direct_fd, &ring, pages_in_file, buffer) != 0) {
        perror("read");
        return 1;
    }
    return 0;
}
