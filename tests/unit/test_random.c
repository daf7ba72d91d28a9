/* Unit tests for kernel/random.c, the guest's ChaCha20 generator, compiled
 * for the host: the block function against the published keystream for an
 * all-zero key and nonce, and the generator's fast key erasure. */
#include <check.h>
#include <stdint.h>
#include <string.h>

#include "hx/abi.h"
#include "suites.h"

void random_init(void);
void random_fill(void *buf, size_t len);
void chacha20_block(const uint32_t key[8], uint64_t counter, uint32_t out[16]);

static struct hx_boot_info info;
struct hx_boot_info *boot = &info;

/* ChaCha20, key and nonce all zero, block 0 (draft-agl-tls-chacha20poly1305
 * test vector 1). */
static const uint8_t zero_block0[64] = {
    0x76, 0xb8, 0xe0, 0xad, 0xa0, 0xf1, 0x3d, 0x90, 0x40, 0x5d, 0x6a, 0xe5, 0x53, 0x86, 0xbd, 0x28,
    0xbd, 0xd2, 0x19, 0xb8, 0xa0, 0x8d, 0xed, 0x1a, 0xa8, 0x36, 0xef, 0xcc, 0x8b, 0x77, 0x0d, 0xc7,
    0xda, 0x41, 0x59, 0x7c, 0x51, 0x57, 0x48, 0x8d, 0x77, 0x24, 0xe0, 0x3f, 0xb8, 0xd8, 0x4a, 0x37,
    0x6a, 0x43, 0xb8, 0xf4, 0x15, 0x18, 0xa1, 0x1c, 0xc3, 0x87, 0xb6, 0x69, 0xb2, 0xee, 0x65, 0x86};

START_TEST(block_matches_test_vector)
{
    uint32_t key[8] = {0}, out[16];
    chacha20_block(key, 0, out);
    ck_assert_mem_eq(out, zero_block0, 64);
}
END_TEST

START_TEST(fill_erases_seed_and_never_repeats)
{
    memset(info.random_seed, 0x5a, sizeof(info.random_seed));
    random_init();
    for (size_t i = 0; i < sizeof(info.random_seed); i++)
        ck_assert_uint_eq(info.random_seed[i], 0);
    uint8_t a[100], b[100];
    random_fill(a, sizeof(a));
    random_fill(b, sizeof(b));
    ck_assert(memcmp(a, b, sizeof(a)) != 0);
    /* Output is not the raw keystream of the seed key: the first request
     * re-keys before it draws. */
    uint32_t key[8], raw[16];
    memset(key, 0x5a, sizeof(key));
    chacha20_block(key, 0, raw);
    ck_assert(memcmp(a, raw, 64) != 0);
}
END_TEST

Suite *random_suite(void)
{
    Suite *s = suite_create("random");
    TCase *t = tcase_create("chacha20");
    tcase_add_test(t, block_matches_test_vector);
    tcase_add_test(t, fill_erases_seed_and_never_repeats);
    suite_add_tcase(s, t);
    return s;
}
