/* SHA-256 (FIPS 180-4), for naming cached rewritten files by content. */
#ifndef HX_SHA256_H
#define HX_SHA256_H

#include <stddef.h>
#include <stdint.h>

struct hx_sha256 {
    uint32_t h[8];
    uint64_t len;
    uint8_t buf[64];
    size_t nbuf;
};

void hx_sha256_init(struct hx_sha256 *s);
void hx_sha256_update(struct hx_sha256 *s, const void *data, size_t n);
void hx_sha256_final(struct hx_sha256 *s, uint8_t out[32]);

#endif
