/*
 * Error reporting, in QEMU's style.
 *
 * A function that can fail takes `Error **errp` as its last argument and
 * returns false / NULL / a negative value on failure after filling *errp
 * with error_setg().  Callers that do not care pass NULL; callers that want
 * the process to exit on failure pass &error_fatal; &error_abort marks a
 * programming error.  Messages name the thing and the reason:
 *   "-drive file=disk.qcow2: L1 table offset 0x1000 beyond end of file"
 */
#ifndef UTIL_ERROR_H
#define UTIL_ERROR_H

#include "util/osdep.h"

/* Error classes as QMP reports them. */
typedef enum ErrorClass {
    ERROR_CLASS_GENERIC_ERROR,
    ERROR_CLASS_COMMAND_NOT_FOUND,
    ERROR_CLASS_DEVICE_NOT_FOUND,
    ERROR_CLASS_KVM_MISSING_CAP,
} ErrorClass;

typedef struct Error Error;

extern Error *error_fatal; /* pass &error_fatal: print and exit(1) */
extern Error *error_abort; /* pass &error_abort: print and abort() */

void error_setg(Error **errp, const char *fmt, ...) PRINTF_FMT(2, 3);
void error_set(Error **errp, ErrorClass cls, const char *fmt, ...)
    PRINTF_FMT(3, 4);
/* Like error_setg, with ": <strerror(os_errno)>" appended. */
void error_setg_errno(Error **errp, int os_errno, const char *fmt, ...)
    PRINTF_FMT(3, 4);
/* Add context in front of an error's message: "prefix: message". */
void error_prepend(Error **errp, const char *fmt, ...) PRINTF_FMT(2, 3);
/* Move local_err into *dst (or report/free it per dst's special meaning). */
void error_propagate(Error **dst, Error *local_err);

const char *error_get_pretty(const Error *err);
ErrorClass error_get_class(const Error *err);
const char *error_class_name(ErrorClass cls);
Error *error_copy(const Error *err);
void error_free(Error *err);
/* Print "osprey: message" to stderr and free the error. */
void error_report_err(Error *err);

/* Print "osprey: message" on stderr (or to the current monitor). */
void error_report(const char *fmt, ...) PRINTF_FMT(1, 2);
void warn_report(const char *fmt, ...) PRINTF_FMT(1, 2);
void info_report(const char *fmt, ...) PRINTF_FMT(1, 2);

/* Program name used as message prefix, "osprey" unless set. */
void error_set_progname(const char *name);
const char *error_get_progname(void);

#endif
