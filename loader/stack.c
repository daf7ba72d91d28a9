/* Initial stack builder: strings at the top, then the platform string and
 * AT_RANDOM bytes, then the 16-byte aligned argc/argv/envp/auxv block, in the
 * order Linux's fs/binfmt_elf.c create_elf_tables() writes them. */
#include "stack.h"

#include <elf.h>
#include <string.h>

#include "hx/abi.h"

struct cursor {
    uint8_t *buf;
    uint64_t base_va; /* user address of buf[0] */
    uint64_t va;      /* current lowest used address */
};

static int push_bytes(struct cursor *c, const void *p, size_t n, uint64_t *at)
{
    if (c->va - c->base_va < n)
        return -1;
    c->va -= n;
    memcpy(c->buf + (c->va - c->base_va), p, n);
    if (at)
        *at = c->va;
    return 0;
}

static size_t count(char *const *v)
{
    size_t n = 0;
    while (v && v[n])
        n++;
    return n;
}

int hx_build_stack(const struct hx_stack_spec *spec, uint8_t *buf, size_t size, uint64_t top_va,
                   uint64_t *sp)
{
    struct cursor c = {buf, top_va - size, top_va};
    size_t argc = count(spec->argv), envc = count(spec->envp);
    uint64_t zero = 0, execfn_va, platform_va, random_va;

    /* Linux leaves one pointer of zeroes at the very top, then copies the
     * file name, the environment and the arguments, each downwards. */
    if (push_bytes(&c, &zero, sizeof(zero), NULL) ||
        push_bytes(&c, spec->execfn, strlen(spec->execfn) + 1, &execfn_va))
        return -1;
    uint64_t env_va[envc ? envc : 1], arg_va[argc ? argc : 1];
    for (size_t i = envc; i-- > 0;)
        if (push_bytes(&c, spec->envp[i], strlen(spec->envp[i]) + 1, &env_va[i]))
            return -1;
    for (size_t i = argc; i-- > 0;)
        if (push_bytes(&c, spec->argv[i], strlen(spec->argv[i]) + 1, &arg_va[i]))
            return -1;

    if ((c.va & ~15ull) < c.base_va)
        return -1;
    c.va &= ~15ull;
    if (push_bytes(&c, spec->platform, strlen(spec->platform) + 1, &platform_va) ||
        push_bytes(&c, spec->random16, 16, &random_va))
        return -1;

    struct hx_auxv aux[spec->naux + 5];
    memcpy(aux, spec->aux, spec->naux * sizeof(*aux));
    size_t n = spec->naux;
    /* Keep Linux's order: AT_RANDOM follows AT_SECURE, AT_EXECFN and
     * AT_PLATFORM come last. */
    size_t at = n;
    for (size_t i = 0; i < n; i++)
        if (aux[i].type == AT_SECURE)
            at = i + 1;
    memmove(&aux[at + 1], &aux[at], (n - at) * sizeof(*aux));
    aux[at] = (struct hx_auxv){AT_RANDOM, random_va};
    n++;
    aux[n++] = (struct hx_auxv){AT_EXECFN, execfn_va};
    aux[n++] = (struct hx_auxv){AT_PLATFORM, platform_va};
    /* Only for rewritten programs, so every other program sees exactly
     * Linux's auxv; a rewritten one's native-run guard looks for it. */
    if (spec->hx)
        aux[n++] = (struct hx_auxv){HX_AT_HX, 1};
    aux[n++] = (struct hx_auxv){AT_NULL, 0};

    size_t words = 1 + (argc + 1) + (envc + 1) + 2 * n;
    if (c.va - c.base_va < words * 8)
        return -1;
    uint64_t bottom = (c.va - words * 8) & ~15ull;
    if (bottom < c.base_va)
        return -1;
    uint64_t *w = (uint64_t *)(buf + (bottom - c.base_va));
    *w++ = argc;
    for (size_t i = 0; i < argc; i++)
        *w++ = arg_va[i];
    *w++ = 0;
    for (size_t i = 0; i < envc; i++)
        *w++ = env_va[i];
    *w++ = 0;
    memcpy(w, aux, n * sizeof(*aux));
    *sp = bottom;
    return 0;
}
