// Swift has no prefetch intrinsic and cannot import clang builtins; a static inline wrapper is
// imported and inlined like Swift code. The graph searches are memory-latency bound: starting the
// loads of every unvisited neighbour's vector before computing any distance overlaps the misses.
static inline void caliby_prefetch(const void *address) {
    __builtin_prefetch(address, 0, 3);
}
