/*
 * Debug logging selected with -d and -D, after QEMU's include/qemu/log.h.
 *
 *   qemu_log_mask(LOG_GUEST_ERROR, "pic: bad ICW4 0x%02x\n", val);
 *
 * A message is written only when its mask bit is enabled (-d guest_errors,
 * -d unimp, -d int,exec,...).  The target is stderr, or the file given
 * with -D.  Devices log guest mistakes here instead of aborting; the mask
 * check is one load, so unselected messages cost next to nothing.
 */
#ifndef UTIL_LOG_H
#define UTIL_LOG_H

#include "util/osdep.h"
#include "util/error.h"

/* QEMU's bit values, so `-d` masks read the same. */
#define CPU_LOG_TB_OUT_ASM  (1 << 0)
#define CPU_LOG_TB_IN_ASM   (1 << 1)
#define CPU_LOG_TB_OP       (1 << 2)
#define CPU_LOG_TB_OP_OPT   (1 << 3)
#define CPU_LOG_INT         (1 << 4)
#define CPU_LOG_EXEC        (1 << 5)
#define CPU_LOG_PCALL       (1 << 6)
#define CPU_LOG_TB_CPU      (1 << 8)
#define CPU_LOG_RESET       (1 << 9)
#define LOG_UNIMP           (1 << 10)
#define LOG_GUEST_ERROR     (1 << 11)
#define CPU_LOG_MMU         (1 << 12)

typedef struct QEMULogItem {
    int mask;
    const char *name;
    const char *help;
} QEMULogItem;

/* The -d items, ending with { 0, NULL, NULL }. */
extern const QEMULogItem qemu_log_items[];

/* The enabled mask; read directly by qemu_loglevel_mask(). */
extern int qemu_loglevel;

static inline bool qemu_loglevel_mask(int mask)
{
    return (__atomic_load_n(&qemu_loglevel, __ATOMIC_RELAXED) & mask) != 0;
}

/* Write unconditionally to the log target. */
void qemu_log(const char *fmt, ...) PRINTF_FMT(1, 2);
void qemu_log_vprintf(const char *fmt, va_list ap) PRINTF_FMT(1, 0);

/* Write when any bit of mask is enabled. */
#define qemu_log_mask(mask, ...)                \
    do {                                        \
        if (unlikely(qemu_loglevel_mask(mask))) { \
            qemu_log(__VA_ARGS__);              \
        }                                       \
    } while (0)

/* Set the enabled mask (what -d selects). */
void qemu_set_log(int mask);
/*
 * Parse a -d argument: comma-separated item names, or "all".  Returns the
 * mask, or 0 with errp set naming the unknown item.
 */
int qemu_str_to_log_mask(const char *str, Error **errp);
/*
 * -D: send the log to filename (appended to, created if missing); NULL
 * goes back to stderr.  False with errp set if it cannot be opened.
 */
bool qemu_set_log_filename(const char *filename, Error **errp);
/* `-d help`: one line per item. */
void qemu_print_log_usage(FILE *f);

#endif
