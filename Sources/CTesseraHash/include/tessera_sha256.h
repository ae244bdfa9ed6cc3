/*
 * SHA-256 (FIPS 180-4), for content addressing and plugin pinning. In C because hashing
 * multi-gigabyte model files must not depend on Swift's optimisation level.
 */
#ifndef TESSERA_SHA256_H
#define TESSERA_SHA256_H

#include <stddef.h>
#include <stdint.h>

typedef struct tsh_sha256 {
    uint32_t state[8];
    uint64_t length;      /* bytes hashed so far */
    uint8_t block[64];
    size_t used;          /* bytes waiting in block */
} tsh_sha256;

void tsh_sha256_init(tsh_sha256 *ctx);
void tsh_sha256_update(tsh_sha256 *ctx, const void *data, size_t size);
void tsh_sha256_final(tsh_sha256 *ctx, uint8_t digest[32]);

#endif
