/*
 * Internals shared by block drivers: byte-order helpers and the
 * protocol driver.  Not for device code (use block-backend.h).
 */
#ifndef BLOCK_BLOCK_INT_H
#define BLOCK_BLOCK_INT_H

#include "block/block.h"
#include <endian.h>

extern const BlockDriver bdrv_file;

static inline uint16_t ldbe16(const void *p)
{
    uint16_t v;
    memcpy(&v, p, 2);
    return be16toh(v);
}

static inline uint32_t ldbe32(const void *p)
{
    uint32_t v;
    memcpy(&v, p, 4);
    return be32toh(v);
}

static inline uint64_t ldbe64(const void *p)
{
    uint64_t v;
    memcpy(&v, p, 8);
    return be64toh(v);
}

static inline void stbe16(void *p, uint16_t v)
{
    v = htobe16(v);
    memcpy(p, &v, 2);
}

static inline void stbe32(void *p, uint32_t v)
{
    v = htobe32(v);
    memcpy(p, &v, 4);
}

static inline void stbe64(void *p, uint64_t v)
{
    v = htobe64(v);
    memcpy(p, &v, 8);
}

#endif
