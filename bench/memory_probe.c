/* What memory costs on this machine, for docs/performance.md ("Cost flatness at 10,000
 * threads"). Two probes, standard C only:
 *
 *   memory_probe latency MB   ns per load, one dependent load after another over a shuffled
 *                             ring of 64-byte lines spanning MB megabytes
 *   memory_probe faults MB    ms to touch MB megabytes of fresh anonymous memory, one write
 *                             per 4 KB page (a page fault each)
 *
 * Build and run: gcc -O2 bench/memory_probe.c -o /tmp/memory_probe && /tmp/memory_probe latency 16
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

static double now_ns(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1e9 + t.tv_nsec;
}

/* xorshift64: a fixed shuffle, the same on every run. */
static uint64_t rnd(uint64_t *s) {
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

static int latency(size_t mb) {
    size_t lines = mb * 1024 * 1024 / 64;
    uint64_t *ring = aligned_alloc(64, lines * 64);
    size_t *order = malloc(lines * sizeof *order);
    if (!ring || !order) return 1;
    for (size_t i = 0; i < lines; i++) order[i] = i;
    uint64_t seed = 88172645463325252ull;
    for (size_t i = lines - 1; i > 0; i--) {
        size_t j = rnd(&seed) % (i + 1);
        size_t t = order[i];
        order[i] = order[j];
        order[j] = t;
    }
    /* Each line holds the index (in words) of the next line of the ring. */
    for (size_t i = 0; i < lines; i++) ring[order[i] * 8] = order[(i + 1) % lines] * 8;
    size_t p = 0;
    for (size_t i = 0; i < lines; i++) p = ring[p]; /* warm up: one lap */
    long loads = 20000000;
    double t0 = now_ns();
    for (long i = 0; i < loads; i++) p = ring[p];
    double ns = (now_ns() - t0) / loads;
    printf("%zu MB: %.1f ns per load (%zu)\n", mb, ns, p);
    return 0;
}

static int faults(size_t mb) {
    size_t bytes = mb * 1024 * 1024;
    double t0 = now_ns();
    char *m = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (m == MAP_FAILED) return 1;
    for (size_t i = 0; i < bytes; i += 4096) m[i] = 1;
    double ms = (now_ns() - t0) / 1e6;
    printf("%zu MB: %.2f ms for %zu pages, %.2f us per page\n", mb, ms, bytes / 4096,
           ms * 1000 / (bytes / 4096));
    return 0;
}

int main(int argc, char **argv) {
    if (argc != 3 || atoi(argv[2]) <= 0) {
        fprintf(stderr, "usage: memory_probe latency|faults MB\n");
        return 2;
    }
    size_t mb = (size_t)atoi(argv[2]);
    if (!strcmp(argv[1], "latency")) return latency(mb);
    if (!strcmp(argv[1], "faults")) return faults(mb);
    fprintf(stderr, "usage: memory_probe latency|faults MB\n");
    return 2;
}
