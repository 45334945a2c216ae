/*
 * Debug logging (see include/util/log.h).
 */
#include "util/osdep.h"
#include "util/log.h"

#include <pthread.h>

int qemu_loglevel;

/* Guards log_file; messages from several threads come out whole. */
static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;
static FILE *log_file;          /* NULL: stderr */

const QEMULogItem qemu_log_items[] = {
    { CPU_LOG_TB_OUT_ASM, "out_asm", "show generated host assembly code" },
    { CPU_LOG_TB_IN_ASM, "in_asm", "show target assembly code" },
    { CPU_LOG_TB_OP, "op", "show micro ops" },
    { CPU_LOG_TB_OP_OPT, "op_opt", "show micro ops after optimization" },
    { CPU_LOG_INT, "int", "show interrupts/exceptions in short format" },
    { CPU_LOG_EXEC, "exec", "show trace before each executed TB" },
    { CPU_LOG_TB_CPU, "cpu", "show CPU registers before entering a TB" },
    { CPU_LOG_MMU, "mmu", "log MMU-related activities" },
    { CPU_LOG_PCALL, "pcall", "x86 only: show protected mode far calls" },
    { CPU_LOG_RESET, "cpu_reset", "show CPU state before CPU resets" },
    { LOG_UNIMP, "unimp", "log unimplemented functionality" },
    { LOG_GUEST_ERROR, "guest_errors",
      "log when the guest OS does something invalid (eg accessing a\n"
      "non-existent register)" },
    { 0, NULL, NULL },
};

void qemu_log_vprintf(const char *fmt, va_list ap)
{
    pthread_mutex_lock(&log_lock);
    vfprintf(log_file ? log_file : stderr, fmt, ap);
    if (log_file) {
        fflush(log_file);
    }
    pthread_mutex_unlock(&log_lock);
}

void qemu_log(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    qemu_log_vprintf(fmt, ap);
    va_end(ap);
}

void qemu_set_log(int mask)
{
    __atomic_store_n(&qemu_loglevel, mask, __ATOMIC_RELAXED);
}

int qemu_str_to_log_mask(const char *str, Error **errp)
{
    char *copy = xstrdup(str ? str : "");
    char *save = NULL;
    int mask = 0;

    for (char *item = strtok_r(copy, ",", &save); item;
         item = strtok_r(NULL, ",", &save)) {
        const QEMULogItem *li;

        if (!strcmp(item, "all")) {
            for (li = qemu_log_items; li->mask; li++) {
                mask |= li->mask;
            }
            continue;
        }
        for (li = qemu_log_items; li->mask; li++) {
            if (!strcmp(item, li->name)) {
                mask |= li->mask;
                break;
            }
        }
        if (!li->mask) {
            error_setg(errp, "-d %s: unknown log item '%s' (try -d help)",
                       str, item);
            mask = 0;
            goto out;
        }
    }
    if (!mask) {
        error_setg(errp, "-d '%s': no log items given", str ? str : "");
    }
out:
    free(copy);
    return mask;
}

bool qemu_set_log_filename(const char *filename, Error **errp)
{
    FILE *f = NULL;

    if (filename) {
        f = fopen(filename, "a");
        if (!f) {
            error_setg_errno(errp, errno, "-D %s: cannot open log file",
                             filename);
            return false;
        }
        setvbuf(f, NULL, _IOLBF, 0);
    }
    pthread_mutex_lock(&log_lock);
    if (log_file) {
        fclose(log_file);
    }
    log_file = f;
    pthread_mutex_unlock(&log_lock);
    return true;
}

void qemu_print_log_usage(FILE *f)
{
    fprintf(f, "Log items (comma separated):\n");
    for (const QEMULogItem *li = qemu_log_items; li->mask; li++) {
        fprintf(f, "%-15s %s\n", li->name, li->help);
    }
}
