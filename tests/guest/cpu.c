/*
 * cpu: the CPU features a program sees (CPUID and the XSAVE state enabled
 * in XCR0) must match native, so that glibc picks the same AVX2/AVX-512
 * string functions; then exercise those functions across sizes and
 * alignments and check their results.
 */
#include <cpuid.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint64_t xgetbv0(void)
{
    uint32_t lo, hi;
    __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
    return ((uint64_t)hi << 32) | lo;
}

int main(void)
{
    static const char *const feats[] = {"sse4.2",  "avx",      "avx2",    "bmi2",
                                        "avx512f", "avx512bw", "avx512vl"};
    __builtin_cpu_init();
    for (size_t i = 0; i < sizeof(feats) / sizeof(feats[0]); i++) {
        int on;
        switch (i) {
        case 0:
            on = __builtin_cpu_supports("sse4.2");
            break;
        case 1:
            on = __builtin_cpu_supports("avx");
            break;
        case 2:
            on = __builtin_cpu_supports("avx2");
            break;
        case 3:
            on = __builtin_cpu_supports("bmi2");
            break;
        case 4:
            on = __builtin_cpu_supports("avx512f");
            break;
        case 5:
            on = __builtin_cpu_supports("avx512bw");
            break;
        default:
            on = __builtin_cpu_supports("avx512vl");
            break;
        }
        printf("%s: %s\n", feats[i], on ? "yes" : "no");
    }
    unsigned a, b, c, d;
    __cpuid(1, a, b, c, d);
    printf("OSXSAVE: %s\n", (c >> 27) & 1 ? "yes" : "no");
    /* x87, SSE, AVX and the AVX-512 state: what hx enables (PKRU, AMX
     * and the like are left out of the comparison). */
    printf("XCR0 & 0xe7: %#llx\n", (unsigned long long)(xgetbv0() & 0xe7));

    /* String functions on every small size and alignment. */
    char *src = malloc(4096 + 64), *dst = malloc(4096 + 64);
    long bad = 0;
    for (int n = 0; n < 300; n++)
        for (int al = 0; al < 64; al += 7) {
            for (int i = 0; i < n; i++)
                src[al + i] = (char)('a' + (i * 7 + n) % 26);
            src[al + n] = 0;
            memset(dst, 'x', 4096 + 64);
            memcpy(dst + 3, src + al, (size_t)n + 1);
            bad += strlen(dst + 3) != (size_t)n;
            bad += memcmp(dst + 3, src + al, (size_t)n) != 0;
            bad += strcmp(dst + 3, src + al) != 0;
            bad += n && memchr(dst + 3, src[al + n - 1], (size_t)n) == NULL;
            bad += n && strchr(dst + 3, src[al + n / 2]) == NULL;
        }
    printf("string function mismatches: %ld\n", bad);
    return 0;
}
