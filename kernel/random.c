/* The guest's random generator: ChaCha20 keyed from 32 host random bytes
 * at boot, with fast key erasure (each request first draws a new key), so
 * getrandom and /dev/urandom never leave the VM. */
#include "kernel.h"

static uint32_t key[8];
static uint64_t counter;

static inline uint32_t rotl(uint32_t v, int n)
{
    return (v << n) | (v >> (32 - n));
}

#define QR(a, b, c, d)                                                                             \
    do {                                                                                           \
        a += b, d ^= a, d = rotl(d, 16);                                                           \
        c += d, b ^= c, b = rotl(b, 12);                                                           \
        a += b, d ^= a, d = rotl(d, 8);                                                            \
        c += d, b ^= c, b = rotl(b, 7);                                                            \
    } while (0)

/* One 64-byte ChaCha20 block: Bernstein's layout, 64-bit block counter,
 * zero nonce. Pure, so the host unit tests can check it. */
void chacha20_block(const uint32_t k[8], uint64_t ctr, uint32_t out[16])
{
    uint32_t s[16] = {0x61707865, 0x3320646e, 0x79622d32, 0x6b206574};
    memcpy(&s[4], k, 32);
    s[12] = (uint32_t)ctr;
    s[13] = (uint32_t)(ctr >> 32);
    s[14] = s[15] = 0;
    uint32_t x[16];
    memcpy(x, s, sizeof(x));
    for (int i = 0; i < 10; i++) {
        QR(x[0], x[4], x[8], x[12]);
        QR(x[1], x[5], x[9], x[13]);
        QR(x[2], x[6], x[10], x[14]);
        QR(x[3], x[7], x[11], x[15]);
        QR(x[0], x[5], x[10], x[15]);
        QR(x[1], x[6], x[11], x[12]);
        QR(x[2], x[7], x[8], x[13]);
        QR(x[3], x[4], x[9], x[14]);
    }
    for (int i = 0; i < 16; i++)
        out[i] = x[i] + s[i];
}

static void block(uint32_t out[16])
{
    chacha20_block(key, counter++, out);
}

void random_init(void)
{
    memcpy(key, boot->random_seed, sizeof(key));
    memset(boot->random_seed, 0, sizeof(boot->random_seed));
}

void random_fill(void *buf, size_t len)
{
    uint32_t b[16];
    block(b); /* fast key erasure: the old key cannot reproduce this output */
    memcpy(key, b, sizeof(key));
    uint8_t *p = buf;
    while (len) {
        block(b);
        size_t n = MIN(len, sizeof(b));
        memcpy(p, b, n);
        p += n;
        len -= n;
    }
    memset(b, 0, sizeof(b));
}
