/*
 * RAM migration: the live "ram" section, in QEMU's ram.c format.
 *
 * Each record starts with be64 (page offset in its block | flags):
 *   RAM_SAVE_FLAG_MEM_SIZE  offset field = total bytes of RAM; then, per
 *                           block, u8 idstr length, idstr, be64 length
 *   RAM_SAVE_FLAG_ZERO      a page filled with one byte: u8 fill value
 *   RAM_SAVE_FLAG_PAGE      TARGET_PAGE_SIZE bytes of page contents
 *   RAM_SAVE_FLAG_CONTINUE  with ZERO/PAGE: same block as the previous
 *                           page; without it, u8 length + idstr follow
 *   RAM_SAVE_FLAG_EOS       end of this section's part
 *
 * Pages to send come from each block's DIRTY_MEMORY_MIGRATION bitmap:
 * setup marks every page dirty, each pass clears and sends the dirty ones,
 * and the CPUs and DMA set bits again as they write, so live pre-copy
 * iterates until little is left.
 */
#ifndef MIGRATION_RAM_H
#define MIGRATION_RAM_H

#include "migration/qemu-file.h"

#define RAM_SAVE_FLAG_FULL     0x01   /* obsolete: refused */
#define RAM_SAVE_FLAG_ZERO     0x02
#define RAM_SAVE_FLAG_MEM_SIZE 0x04
#define RAM_SAVE_FLAG_PAGE     0x08
#define RAM_SAVE_FLAG_EOS      0x10
#define RAM_SAVE_FLAG_CONTINUE 0x20

typedef struct RAMStats {
    uint64_t normal_pages;    /* sent with their contents */
    uint64_t zero_pages;      /* sent as ZERO records */
    uint64_t passes;          /* dirty bitmap passes completed */
} RAMStats;

/* Register the "ram" live section (once; later calls do nothing). */
void ram_mig_init(void);
/* Counters since the last save_setup. */
void ram_get_stats(RAMStats *stats);

#endif
