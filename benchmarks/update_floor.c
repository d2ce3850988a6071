/* What one neuron update costs in plain C on this machine: the floor under
 * the population kernel's update of the Joglekar E/I neurons (LifDelta,
 * Brian2's order). Per neuron and step, as the kernel: the excitatory and
 * inhibitory ring cells of this step read and cleared, two counter-based
 * normal draws (input noise and membrane noise: lowbias32 hash, 65,536-entry
 * table), the Euler step in float64 rounded to float32, refractoriness,
 * threshold and reset, one spike bit per neuron packed into 32-bit words.
 * 29 areas x 2000 neurons.
 *
 * benchmarks/event_floor.py compiles it four ways: -O3 -march=native (gcc
 * vectorises the neuron loop) or with -fno-tree-vectorize (scalar code: the
 * optimised LLVM IR of Taichi 1.7's x64 kernels holds no vector types), and
 * with the model's ring of SLOTS_EX = SLOTS_IN = 268 slots per receptor
 * (124 MB: the slot a step reads was written up to 26.8 ms earlier and
 * comes from memory) or of 2 slots (cache-resident). Threads split the
 * neurons (one OpenMP loop per step).
 */
#include <omp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#define N 58000
#ifndef SLOTS_EX
#define SLOTS_EX 268  /* excitatory ring: the longest inter-areal delay + 1 */
#endif
#ifndef SLOTS_IN
#define SLOTS_IN 268  /* inhibitory ring */
#endif

static inline uint32_t mix32(uint32_t x) {
    x ^= x >> 16; x *= 0x21F0AAADu; x ^= x >> 15; x *= 0x735A2D97u; x ^= x >> 15; return x;
}

static double now(void) {
    struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec + 1e-9 * t.tv_nsec;
}


/* Neurons [lo, hi) of one step: branch-free, so that gcc can vectorise it. */
static void update(int lo, int hi, uint32_t noise_key, uint32_t membrane_key, float *restrict v,
                   int32_t *restrict left, const uint32_t *restrict cmix, const float *restrict normal,
                   float *restrict ex, float *restrict in, uint8_t *restrict spike) {
    const float V_rest = -70.0f, V_th = -50.0f, V_reset = -60.0f, euler = 0.005f, noise_scale = 0.3f;
    const float drive = 14.0f, noise_mean = 0.0f, noise_std = 2.0f;
    const int ref_steps = 20;
    for (int n = lo; n < hi; n++) {
        float z = normal[mix32(noise_key ^ cmix[n]) >> 16];
        float xi = normal[mix32(membrane_key ^ cmix[n]) >> 16];
        float drive_n = drive + (float)((double)z * noise_std + noise_mean);
        float vn = v[n];
        int l = left[n];
        int refractory = l > 0;
        float stepped = (float)((double)(drive_n - (vn - V_rest)) * euler + (float)((double)xi * noise_scale + vn));
        int s = !refractory & (stepped > V_th);
        float jumped = stepped + ex[n] + in[n];
        ex[n] = 0.0f;
        in[n] = 0.0f;
        v[n] = s ? V_reset : (refractory ? vn : jumped);
        int dec = l - 1;
        left[n] = s ? ref_steps : (dec < 0 ? 0 : dec);
        spike[n] = (uint8_t)s;
    }
}

int main(int argc, char **argv) {
    const int steps = argc > 1 ? atoi(argv[1]) : 2000;  /* steps timed */
    float *v = malloc(N * sizeof(float)), *normal = malloc(65536 * sizeof(float));
    int32_t *left = calloc(N, sizeof(int32_t));
    uint32_t *cmix = malloc(N * sizeof(uint32_t)), *words = calloc((size_t)steps * (N / 32 + 1), sizeof(uint32_t));
    float *ring_ex = calloc((size_t)SLOTS_EX * N, sizeof(float)), *ring_in = calloc((size_t)SLOTS_IN * N, sizeof(float));
    for (int i = 0; i < 65536; i++) normal[i] = (float)((i - 32768) / 16384.0);
    for (int i = 0; i < N; i++) { v[i] = -70.0f + (float)(mix32(i) % 20000) / 1000.0f; cmix[i] = mix32(i); }
    for (size_t i = 0; i < (size_t)SLOTS_EX * N; i++) ring_ex[i] = (mix32(i) & 63) == 0 ? 0.5f : 0.0f;
    const int n_words = N / 32 + (N % 32 != 0);
    uint8_t *spike = malloc(N);
    double t0 = now();
    for (int t = 0; t < steps; t++) {
        uint32_t noise_key = mix32(0x1234u ^ mix32(t)), membrane_key = mix32(0x5678u ^ mix32(t));
        float *ex = ring_ex + (size_t)(t % SLOTS_EX) * N, *in = ring_in + (size_t)(t % SLOTS_IN) * N;
#pragma omp parallel for schedule(static)
        for (int w = 0; w < n_words; w++) {
            int lo = 32 * w, hi = lo + 32 < N ? lo + 32 : N;
            update(lo, hi, noise_key, membrane_key, v, left, cmix, normal, ex, in, spike);
            uint32_t bits = 0;
            for (int n = lo; n < hi; n++) bits |= (uint32_t)spike[n] << (n - lo);
            words[(size_t)t * n_words + w] = bits;
        }
    }
    double elapsed = now() - t0;
    uint64_t fired = 0;
    for (size_t i = 0; i < (size_t)steps * n_words; i++) fired += __builtin_popcount(words[i]);
    printf("{\"threads\": %d, \"seconds\": %.4f, \"ns_per_neuron_step\": %.3f, \"rate_hz\": %.2f}\n",
           omp_get_max_threads(), elapsed, elapsed / ((double)N * steps) * 1e9, fired / (N * steps * 1e-4));
    return 0;
}
