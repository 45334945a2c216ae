/*
 * Error objects and reporting.
 */
#include "util/error.h"

struct Error {
    char *msg;
    ErrorClass cls;
};

/* Distinct addresses used only as markers; never dereferenced as errors. */
static Error error_fatal_marker, error_abort_marker;
Error *error_fatal = &error_fatal_marker;
Error *error_abort = &error_abort_marker;

static const char *progname = "osprey";

void error_set_progname(const char *name)
{
    progname = name;
}

const char *error_get_progname(void)
{
    return progname;
}

static void error_handle_special(Error **errp, Error *err)
{
    if (errp == &error_abort) {
        fprintf(stderr, "%s: unexpected error: %s\n", progname, err->msg);
        abort();
    }
    if (errp == &error_fatal) {
        fprintf(stderr, "%s: %s\n", progname, err->msg);
        exit(1);
    }
}

static void error_setv(Error **errp, ErrorClass cls, const char *fmt,
                       va_list ap, const char *suffix)
{
    if (!errp) {
        return;
    }
    /* Setting an error twice is a bug: the first one would be lost. */
    assert(errp == &error_fatal || errp == &error_abort || *errp == NULL);
    Error *err = xnew(Error);
    char *msg = xvasprintf(fmt, ap);
    if (suffix) {
        err->msg = xasprintf("%s: %s", msg, suffix);
        free(msg);
    } else {
        err->msg = msg;
    }
    err->cls = cls;
    error_handle_special(errp, err);
    *errp = err;
}

void error_setg(Error **errp, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    error_setv(errp, ERROR_CLASS_GENERIC_ERROR, fmt, ap, NULL);
    va_end(ap);
}

void error_set(Error **errp, ErrorClass cls, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    error_setv(errp, cls, fmt, ap, NULL);
    va_end(ap);
}

void error_setg_errno(Error **errp, int os_errno, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    error_setv(errp, ERROR_CLASS_GENERIC_ERROR, fmt, ap,
               strerror(os_errno < 0 ? -os_errno : os_errno));
    va_end(ap);
}

void error_prepend(Error **errp, const char *fmt, ...)
{
    if (!errp || !*errp || *errp == error_fatal || *errp == error_abort) {
        return;
    }
    va_list ap;
    va_start(ap, fmt);
    char *prefix = xvasprintf(fmt, ap);
    va_end(ap);
    char *msg = xasprintf("%s%s", prefix, (*errp)->msg);
    free(prefix);
    free((*errp)->msg);
    (*errp)->msg = msg;
}

void error_propagate(Error **dst, Error *local_err)
{
    if (!local_err) {
        return;
    }
    if (dst == &error_abort || dst == &error_fatal) {
        error_handle_special(dst, local_err);
    }
    if (dst && !*dst) {
        *dst = local_err;
    } else {
        error_free(local_err);
    }
}

const char *error_get_pretty(const Error *err)
{
    return err->msg;
}

ErrorClass error_get_class(const Error *err)
{
    return err->cls;
}

const char *error_class_name(ErrorClass cls)
{
    switch (cls) {
    case ERROR_CLASS_COMMAND_NOT_FOUND: return "CommandNotFound";
    case ERROR_CLASS_DEVICE_NOT_FOUND: return "DeviceNotFound";
    case ERROR_CLASS_KVM_MISSING_CAP: return "KVMMissingCap";
    case ERROR_CLASS_GENERIC_ERROR:
    default: return "GenericError";
    }
}

Error *error_copy(const Error *err)
{
    Error *copy = xnew(Error);
    copy->msg = xstrdup(err->msg);
    copy->cls = err->cls;
    return copy;
}

void error_free(Error *err)
{
    if (err && err != error_fatal && err != error_abort) {
        free(err->msg);
        free(err);
    }
}

void error_report_err(Error *err)
{
    fprintf(stderr, "%s: %s\n", progname, err->msg);
    error_free(err);
}

static void reportv(const char *kind, const char *fmt, va_list ap)
{
    fprintf(stderr, "%s: %s", progname, kind);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
}

void error_report(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    reportv("", fmt, ap);
    va_end(ap);
}

void warn_report(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    reportv("warning: ", fmt, ap);
    va_end(ap);
}

void info_report(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    reportv("info: ", fmt, ap);
    va_end(ap);
}
