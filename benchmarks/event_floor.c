/* What one synaptic event costs in plain C on this machine: the floor under the
 * population kernel's delivery (benchmarks/event_floor.py compiles and runs it).
 *
 * The work per event is that of the microcircuit's just-in-time delivery: a
 * ring of 2 receptors x 61 slots x 77,169 neurons (float32, 37.6 MB), spikes
 * of uniformly random pre neurons, each with a row of ROW synapses onto
 * uniformly random post neurons of a 20,000-neuron target population.
 *
 *   add:    the ring additions alone, indices precomputed (memory floor);
 *   hash:   + one lowbias32 hash per synapse for the post index (Lemire);
 *   full:   + a second hash for the delay (64-bucket alias table) and a third
 *           for the weight (65,536-entry normal table, float64 FMA emulated
 *           as the kernel does) - the kernel's work per synapse.
 *
 * Threads split the spikes, each delivering into its own target population
 * (its own ring cells, as the kernel's rows do): OMP_NUM_THREADS <= 3 threads.
 */
#include <math.h>
#include <omp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define N_NEURONS 77169
#define N_SLOTS 61
#define N_POST 20000
#define ROW 3900
#define SPIKES 20000

static inline uint32_t mix32(uint32_t x) {
    x ^= x >> 16; x *= 0x21F0AAADu; x ^= x >> 15; x *= 0x735A2D97u; x ^= x >> 15; return x;
}

static double now(void) {
    struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec + 1e-9 * t.tv_nsec;
}

int main(int argc, char **argv) {
    const char *mode = argc > 1 ? argv[1] : "full";
    float *ring = calloc((size_t)2 * N_SLOTS * N_NEURONS, sizeof(float));
    float *normal = malloc(65536 * sizeof(float));
    uint32_t alias[64];
    for (int i = 0; i < 65536; i++) normal[i] = (float)((i - 32768) / 8192.0);
    for (int i = 0; i < 64; i++) alias[i] = ((uint32_t)(i * 7919 % (1 << 25)) << 6) | (uint32_t)(i * 13 % 61);
    int threads = omp_get_max_threads();
    int chunk = ROW;
    int32_t *scratch = malloc((size_t)threads * chunk * sizeof(int32_t));
    float *weights = malloc((size_t)threads * chunk * sizeof(float));
    uint32_t *pre = malloc(SPIKES * sizeof(uint32_t));
    for (int i = 0; i < SPIKES; i++) pre[i] = mix32(i * 2654435761u) % 20000;
    int full = strcmp(mode, "full") == 0, hash = full || strcmp(mode, "hash") == 0;
    double t0 = now();
#pragma omp parallel
    {
        int me = omp_get_thread_num(), nt = omp_get_num_threads();
        int first_post = me * N_POST;  /* this thread's target population */
        int32_t *cells = scratch + (size_t)me * chunk;
        float *w = weights + (size_t)me * chunk;
        for (int s = me; s < SPIKES; s += nt) {
            uint32_t rk = mix32(0x9E3779B9u + pre[s]);
            int n = 0;
            for (uint32_t c = 0; c < ROW; c++) {
                uint32_t post;
                if (hash) post = (uint32_t)(((uint64_t)mix32(rk ^ mix32(3 * c)) * N_POST) >> 32);
                else post = (rk + c * 40503u) % N_POST;
                int slot = 15, rec = 0;
                float weight = 87.8f;
                if (full) {
                    uint32_t b = mix32(rk ^ mix32(3 * c + 1)) >> 1, e = alias[b >> 25];
                    slot = 1 + (int)(((b & ((1u << 25) - 1)) < (e >> 6)) ? (b >> 25) : (e & 63));
                    uint32_t u = mix32(rk ^ mix32(3 * c + 2));
                    weight = (float)((double)normal[u >> 16] * 8.78 + 87.8);
                    rec = weight > 0 ? 0 : 1;
                }
                cells[n] = (rec * N_SLOTS + slot) * N_NEURONS + first_post + (int)post;
                w[n++] = weight;
            }
            for (int i = 0; i < n; i++) ring[cells[i]] += w[i];
        }
    }
    double elapsed = now() - t0;
    double events = (double)SPIKES * ROW;
    printf("{\"mode\": \"%s\", \"threads\": %d, \"events\": %.0f, \"seconds\": %.4f, \"ns_per_event\": %.3f, "
           "\"checksum\": %.6g}\n", mode, threads, events, elapsed, elapsed / events * 1e9, ring[12345]);
    return 0;
}
