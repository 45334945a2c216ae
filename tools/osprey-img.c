/*
 * osprey-img: create, inspect, check, convert, resize and snapshot disk
 * images.  Commands, options, output and exit codes follow qemu-img so
 * scripts written for one work with the other.
 */
#include "util/osdep.h"
#include "util/error.h"
#include "util/qobject.h"
#include "block/block.h"
#include "block/block-backend.h"

#include <getopt.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>

enum { OUTPUT_HUMAN, OUTPUT_JSON };

static void NORETURN usage_error(const char *fmt, ...) PRINTF_FMT(1, 2);
static void usage_error(const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "osprey-img: ");
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\nTry 'osprey-img --help' for more information\n");
    exit(1);
}

static int parse_output(const char *s)
{
    if (!strcmp(s, "json")) {
        return OUTPUT_JSON;
    }
    if (!strcmp(s, "human")) {
        return OUTPUT_HUMAN;
    }
    error_report("--output must be used with human or json as argument.");
    exit(1);
}

static BlockDriverState *open_image(const char *filename, const char *fmt,
                                    int flags)
{
    Error *err = NULL;
    BlockDriverState *bs = bdrv_open(filename, fmt, flags, &err);
    if (!bs) {
        error_report_err(err);
    }
    return bs;
}

/* Pretty JSON as qemu-img prints it (QEMU's writer: 4-space indents). */
static void print_json(QObject *obj)
{
    char *json = qobject_to_json_pretty(obj);
    printf("%s\n", json);
    free(json);
}

/* ---- create ---- */

typedef struct CreateOpts {
    BlockCreateOptions o;
    bool have_size;
    char *strings[4];
} CreateOpts;

static int parse_create_opts(const char *str, CreateOpts *c)
{
    char *copy = xstrdup(str), *save = NULL;
    int ret = 0;
    for (char *kv = strtok_r(copy, ",", &save); kv;
         kv = strtok_r(NULL, ",", &save)) {
        char *val = strchr(kv, '=');
        if (!val) {
            error_report("Invalid option '%s': expected key=value", kv);
            ret = -1;
            break;
        }
        *val++ = 0;
        uint64_t n;
        if (!strcmp(kv, "size")) {
            if (parse_size(val, '\0', &n) < 0) {
                error_report("Invalid image size specified. You may use k, "
                             "M, G, T, P or E suffixes for ");
                ret = -1;
                break;
            }
            c->o.size = n;
            c->have_size = true;
        } else if (!strcmp(kv, "backing_file")) {
            c->o.backing_file = c->strings[0] = xstrdup(val);
        } else if (!strcmp(kv, "backing_fmt")) {
            c->o.backing_fmt = c->strings[1] = xstrdup(val);
        } else if (!strcmp(kv, "cluster_size")) {
            if (parse_size(val, '\0', &n) < 0 || n > UINT32_MAX) {
                error_report("Invalid cluster_size '%s'", val);
                ret = -1;
                break;
            }
            c->o.cluster_size = n;
        } else if (!strcmp(kv, "refcount_bits")) {
            if (parse_size(val, '\0', &n) < 0 || n == 0 || n > 64) {
                error_report("Refcount width must be a power of two and may "
                             "not exceed 64 bits");
                ret = -1;
                break;
            }
            c->o.refcount_bits = n;
        } else if (!strcmp(kv, "compat")) {
            if (!strcmp(val, "0.10") || !strcmp(val, "v2")) {
                c->o.compat = 2;
            } else if (!strcmp(val, "1.1") || !strcmp(val, "v3")) {
                c->o.compat = 3;
            } else {
                error_report("Invalid compatibility level: '%s'", val);
                ret = -1;
                break;
            }
        } else if (!strcmp(kv, "compression_type")) {
            c->o.compression_type = c->strings[2] = xstrdup(val);
        } else if (!strcmp(kv, "lazy_refcounts") ||
                   !strcmp(kv, "extended_l2")) {
            bool b;
            if (parse_bool(val, &b) < 0 || b) {
                error_report("%s=%s is not supported", kv, val);
                ret = -1;
                break;
            }
        } else {
            error_report("Invalid parameter '%s'", kv);
            ret = -1;
            break;
        }
    }
    free(copy);
    return ret;
}

static void free_create_opts(CreateOpts *c)
{
    for (size_t i = 0; i < ARRAY_SIZE(c->strings); i++) {
        free(c->strings[i]);
    }
}

static int img_create(int argc, char **argv)
{
    CreateOpts c = { 0 };
    const char *fmt = "raw";
    bool quiet = false, unsafe = false;
    int ch, ret = 1;

    optind = 1;
    while ((ch = getopt(argc, argv, "f:o:b:F:quh")) != -1) {
        switch (ch) {
        case 'f': fmt = optarg; break;
        case 'o':
            if (parse_create_opts(optarg, &c) < 0) {
                goto out;
            }
            break;
        case 'b':
            free(c.strings[0]);
            c.o.backing_file = c.strings[0] = xstrdup(optarg);
            break;
        case 'F':
            free(c.strings[1]);
            c.o.backing_fmt = c.strings[1] = xstrdup(optarg);
            break;
        case 'q': quiet = true; break;
        case 'u': unsafe = true; break;
        default: usage_error("invalid option");
        }
    }
    if (optind >= argc) {
        usage_error("Expecting image file name");
    }
    const char *filename = argv[optind++];
    if (optind < argc) {
        uint64_t size;
        if (parse_size(argv[optind], '\0', &size) < 0 ||
            size > (uint64_t)INT64_MAX) {
            error_report("Invalid image size specified. You may use k, M, G, "
                         "T, P or E suffixes for");
            error_report("kilobytes, megabytes, gigabytes, terabytes, "
                         "petabytes and exabytes.");
            goto out;
        }
        c.o.size = size;
        c.have_size = true;
        optind++;
    }
    if (optind < argc) {
        usage_error("Unexpected argument: %s", argv[optind]);
    }
    if (!bdrv_find_format(fmt) || !strcmp(fmt, "file")) {
        error_report("Unknown file format '%s'", fmt);
        goto out;
    }
    if (c.o.backing_file && !unsafe) {
        /* The backing file must open; it also gives the default size. */
        char *path = bdrv_resolve_backing_filename(filename,
                                                   c.o.backing_file);
        Error *err = NULL;
        BlockDriverState *bb = bdrv_open(path, c.o.backing_fmt,
                                         BDRV_O_NO_BACKING | BDRV_O_FORCE_SHARE,
                                         &err);
        free(path);
        if (!bb) {
            error_prepend(&err, "%s: ", filename);
            error_report_err(err);
            goto out;
        }
        if (!c.o.backing_fmt) {
            c.o.backing_fmt = c.strings[1] = xstrdup(bb->drv->format_name);
        }
        if (!c.have_size) {
            c.o.size = bb->total_size;
            c.have_size = true;
        }
        bdrv_unref(bb);
    }
    if (!c.have_size) {
        error_report("Image creation needs a size parameter");
        goto out;
    }
    if (!quiet) {
        if (!strcmp(fmt, "qcow2")) {
            printf("Formatting '%s', fmt=qcow2 cluster_size=%u extended_l2=off "
                   "compression_type=%s size=%" PRIu64, filename,
                   c.o.cluster_size ? c.o.cluster_size : 65536,
                   c.o.compression_type ? c.o.compression_type : "zlib",
                   c.o.size);
            if (c.o.backing_file) {
                printf(" backing_file=%s", c.o.backing_file);
            }
            if (c.o.backing_fmt) {
                printf(" backing_fmt=%s", c.o.backing_fmt);
            }
            printf(" lazy_refcounts=off refcount_bits=%d\n",
                   c.o.refcount_bits ? c.o.refcount_bits : 16);
        } else {
            printf("Formatting '%s', fmt=%s size=%" PRIu64 "\n", filename, fmt,
                   c.o.size);
        }
    }
    Error *err = NULL;
    if (bdrv_create(fmt, filename, &c.o, &err) < 0) {
        error_prepend(&err, "%s: ", filename);
        error_report_err(err);
        goto out;
    }
    ret = 0;
out:
    free_create_opts(&c);
    return ret;
}

/* ---- info ---- */

/* Print the snapshot table's header, or one snapshot's line. */
static void dump_snapshot_header(void)
{
    StrBuf sb;

    strbuf_init(&sb);
    bdrv_snapshot_dump_header(&sb);
    fputs(sb.str, stdout);
    strbuf_free(&sb);
}

static void dump_snapshot(const QEMUSnapshotInfo *sn)
{
    StrBuf sb;

    strbuf_init(&sb);
    bdrv_snapshot_dump(&sb, sn, sn->id_str);
    fputs(sb.str, stdout);
    strbuf_free(&sb);
}

static void dump_human_info(BlockDriverState *bs, QObject *info)
{
    char *vsize = size_to_str(bs->total_size);
    printf("image: %s\n", bs->filename);
    printf("file format: %s\n", bs->drv->format_name);
    printf("virtual size: %s (%" PRIu64 " bytes)\n", vsize, bs->total_size);
    free(vsize);
    int64_t actual = qdict_get_try_int(info, "actual-size", -1);
    if (actual >= 0) {
        char *s = size_to_str(actual);
        printf("disk size: %s\n", s);
        free(s);
    } else {
        printf("disk size: unavailable\n");
    }
    if (qdict_haskey(info, "cluster-size")) {
        printf("cluster_size: %" PRId64 "\n",
               qdict_get_try_int(info, "cluster-size", 0));
    }
    if (bs->backing_file[0]) {
        const char *full = qdict_get_try_str(info, "full-backing-filename");
        printf("backing file: %s", bs->backing_file);
        if (full && strcmp(full, bs->backing_file)) {
            printf(" (actual path: %s)", full);
        }
        printf("\n");
        if (bs->backing_format[0]) {
            printf("backing file format: %s\n", bs->backing_format);
        }
    }
    QEMUSnapshotInfo *sn;
    int nb = bdrv_snapshot_list(bs, &sn);
    if (nb > 0) {
        printf("Snapshot list:\n");
        dump_snapshot_header();
        for (int i = 0; i < nb; i++) {
            dump_snapshot(&sn[i]);
        }
    }
    free(sn);
    QObject *spec = qdict_get_qdict(info, "format-specific");
    if (spec) {
        QObject *data = qdict_get_qdict(spec, "data");
        printf("Format specific information:\n");
        for (const QDictEntry *e = qdict_first(data); e;
             e = qdict_next(data, e)) {
            char *key = xstrdup(qdict_entry_key(e));
            for (char *p = key; *p; p++) {
                if (*p == '-') {
                    *p = ' ';
                }
            }
            QObject *v = qdict_entry_value(e);
            if (qobject_type(v) == QTYPE_QSTRING) {
                printf("    %s: %s\n", key, qstring_get_str(v));
            } else {
                char *json = qobject_to_json_pretty(v);
                printf("    %s: %s\n", key, json);
                free(json);
            }
            free(key);
        }
    }
}

static int img_info(int argc, char **argv)
{
    static const struct option longopts[] = {
        { "output", required_argument, NULL, 'O' },
        { "backing-chain", no_argument, NULL, 'B' },
        { "force-share", no_argument, NULL, 'U' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    const char *fmt = NULL;
    int output = OUTPUT_HUMAN, ch, ret = 0;
    bool chain = false;
    int flags = BDRV_O_NO_BACKING;

    optind = 1;
    while ((ch = getopt_long(argc, argv, "f:hU", longopts, NULL)) != -1) {
        switch (ch) {
        case 'f': fmt = optarg; break;
        case 'O': output = parse_output(optarg); break;
        case 'B': chain = true; break;
        case 'U': flags |= BDRV_O_FORCE_SHARE; break;
        default: usage_error("invalid option");
        }
    }
    if (optind != argc - 1) {
        usage_error("Expecting one image file name");
    }
    const char *filename = argv[optind];
    QObject *list = qlist_new();
    char *names[BDRV_MAX_BACKING_DEPTH + 1];
    int depth = 0;
    char *cur = xstrdup(filename);
    char *cur_fmt = fmt ? xstrdup(fmt) : NULL;

    while (cur) {
        char *real = realpath(cur, NULL);
        for (int i = 0; i < depth; i++) {
            if (real && !strcmp(names[i], real)) {
                error_report("Backing file '%s' creates an infinite loop.",
                             cur);
                free(real);
                ret = 1;
                goto out;
            }
        }
        if (depth >= BDRV_MAX_BACKING_DEPTH) {
            error_report("Backing chain of '%s' is too deep", filename);
            free(real);
            ret = 1;
            goto out;
        }
        names[depth++] = real ? real : xstrdup(cur);
        BlockDriverState *bs = open_image(cur, cur_fmt, flags);
        if (!bs) {
            ret = 1;
            goto out;
        }
        QObject *info = bdrv_image_info(bs, NULL);
        if (output == OUTPUT_HUMAN) {
            if (depth > 1) {
                printf("\n");
            }
            dump_human_info(bs, info);
        }
        qlist_append(list, info);
        free(cur);
        free(cur_fmt);
        cur = cur_fmt = NULL;
        if (chain && bs->backing_file[0]) {
            cur = bdrv_resolve_backing_filename(bs->filename,
                                                bs->backing_file);
            cur_fmt = bs->backing_format[0] ? xstrdup(bs->backing_format)
                                            : NULL;
        }
        bdrv_unref(bs);
    }
    if (output == OUTPUT_JSON) {
        print_json(chain ? list : qlist_get(list, 0));
    }
out:
    for (int i = 0; i < depth; i++) {
        free(names[i]);
    }
    free(cur);
    free(cur_fmt);
    qobject_unref(list);
    return ret;
}

/* ---- check ---- */

static void dump_check(const BdrvCheckResult *r, const char *filename,
                       const char *format, int output)
{
    if (output == OUTPUT_JSON) {
        QObject *d = qdict_new();
        if (r->image_end_offset) {
            qdict_put_int(d, "image-end-offset", r->image_end_offset);
        }
        if (r->total_clusters) {
            qdict_put_uint(d, "total-clusters", r->total_clusters);
        }
        qdict_put_int(d, "check-errors", r->check_errors);
        if (r->allocated_clusters) {
            qdict_put_uint(d, "allocated-clusters", r->allocated_clusters);
        }
        qdict_put_str(d, "filename", filename);
        qdict_put_str(d, "format", format);
        if (r->leaks) {
            qdict_put_int(d, "leaks", r->leaks);
        }
        if (r->corruptions) {
            qdict_put_int(d, "corruptions", r->corruptions);
        }
        if (r->leaks_fixed) {
            qdict_put_int(d, "leaks-fixed", r->leaks_fixed);
        }
        if (r->corruptions_fixed) {
            qdict_put_int(d, "corruptions-fixed", r->corruptions_fixed);
        }
        if (r->fragmented_clusters) {
            qdict_put_uint(d, "fragmented-clusters", r->fragmented_clusters);
        }
        if (r->compressed_clusters) {
            qdict_put_uint(d, "compressed-clusters", r->compressed_clusters);
        }
        print_json(d);
        qobject_unref(d);
        return;
    }
    if (!(r->corruptions || r->leaks || r->check_errors)) {
        printf("No errors were found on the image.\n");
    } else {
        if (r->corruptions) {
            printf("\n%d errors were found on the image.\nData may be "
                   "corrupted, or further writes to the image may corrupt "
                   "it.\n", r->corruptions);
        }
        if (r->leaks) {
            printf("\n%d leaked clusters were found on the image.\nThis "
                   "means waste of disk space, but no harm to data.\n",
                   r->leaks);
        }
        if (r->check_errors) {
            printf("\n%d internal errors have occurred during the check.\n",
                   r->check_errors);
        }
    }
    if (r->total_clusters && r->allocated_clusters) {
        printf("%" PRIu64 "/%" PRIu64 " = %0.2f%% allocated, %0.2f%% "
               "fragmented, %0.2f%% compressed clusters\n",
               r->allocated_clusters, r->total_clusters,
               r->allocated_clusters * 100.0 / r->total_clusters,
               r->fragmented_clusters * 100.0 / r->allocated_clusters,
               r->compressed_clusters * 100.0 / r->allocated_clusters);
    }
    if (r->image_end_offset) {
        printf("Image end offset: %" PRId64 "\n", r->image_end_offset);
    }
}

static int img_check(int argc, char **argv)
{
    static const struct option longopts[] = {
        { "output", required_argument, NULL, 'O' },
        { "repair", required_argument, NULL, 'r' },
        { "force-share", no_argument, NULL, 'U' },
        { NULL, 0, NULL, 0 },
    };
    const char *fmt = NULL;
    int output = OUTPUT_HUMAN, fix = 0, ch;
    int flags = BDRV_O_NO_BACKING;
    bool quiet = false;

    optind = 1;
    while ((ch = getopt_long(argc, argv, "f:r:qU", longopts, NULL)) != -1) {
        switch (ch) {
        case 'f': fmt = optarg; break;
        case 'O': output = parse_output(optarg); break;
        case 'q': quiet = true; break;
        case 'U': flags |= BDRV_O_FORCE_SHARE; break;
        case 'r':
            if (!strcmp(optarg, "leaks")) {
                fix = BDRV_FIX_LEAKS;
            } else if (!strcmp(optarg, "all")) {
                fix = BDRV_FIX_LEAKS | BDRV_FIX_ERRORS;
            } else {
                usage_error("Unknown option value for -r (expecting 'leaks' "
                            "or 'all'): %s", optarg);
            }
            break;
        default: usage_error("invalid option");
        }
    }
    if (optind != argc - 1) {
        usage_error("Expecting one image file name");
    }
    const char *filename = argv[optind];
    if (fix) {
        flags |= BDRV_O_RDWR | BDRV_O_CHECK;
    }
    BlockDriverState *bs = open_image(filename, fmt, flags);
    if (!bs) {
        return 1;
    }
    BdrvCheckResult r;
    int ret = bdrv_check(bs, &r, fix);
    if (ret == -ENOTSUP) {
        error_report("This image format does not support checks");
        bdrv_unref(bs);
        return 63;
    }
    if (ret == 0 && fix && (r.corruptions_fixed || r.leaks_fixed)) {
        if (output == OUTPUT_HUMAN && !quiet) {
            printf("The following inconsistencies were found and repaired:\n\n"
                   "    %d leaked clusters\n    %d corruptions\n\n"
                   "Double checking the fixed image now...\n",
                   r.leaks_fixed, r.corruptions_fixed);
        }
        int leaks_fixed = r.leaks_fixed, corruptions_fixed = r.corruptions_fixed;
        ret = bdrv_check(bs, &r, 0);
        r.leaks_fixed = leaks_fixed;
        r.corruptions_fixed = corruptions_fixed;
    }
    if (ret < 0) {
        error_report("Check failed: %s", strerror(-ret));
        bdrv_unref(bs);
        return 1;
    }
    if (!quiet || output == OUTPUT_JSON) {
        dump_check(&r, filename, bs->drv->format_name, output);
    }
    bdrv_unref(bs);
    if (r.check_errors) {
        return 1;
    }
    if (r.corruptions) {
        return 2;
    }
    if (r.leaks) {
        return 3;
    }
    return 0;
}

/* ---- snapshot ---- */

static int img_snapshot(int argc, char **argv)
{
    enum { SN_NONE, SN_LIST, SN_CREATE, SN_APPLY, SN_DELETE } action = SN_NONE;
    const char *fmt = NULL, *name = NULL;
    int ch, flags = BDRV_O_RDWR | BDRV_O_NO_BACKING;
    bool quiet = false;

    optind = 1;
    while ((ch = getopt(argc, argv, "lc:a:d:f:qU")) != -1) {
        if (strchr("lcad", ch) && action != SN_NONE) {
            usage_error("Cannot mix '-l', '-a', '-c', '-d'");
        }
        switch (ch) {
        case 'l': action = SN_LIST; flags &= ~BDRV_O_RDWR; break;
        case 'c': action = SN_CREATE; name = optarg; break;
        case 'a': action = SN_APPLY; name = optarg; break;
        case 'd': action = SN_DELETE; name = optarg; break;
        case 'f': fmt = optarg; break;
        case 'q': quiet = true; break;
        case 'U': flags |= BDRV_O_FORCE_SHARE; break;
        default: usage_error("invalid option");
        }
    }
    if (optind != argc - 1 || action == SN_NONE) {
        usage_error("Expecting one image file name and one of -l -c -a -d");
    }
    (void)quiet;
    const char *filename = argv[optind];
    BlockDriverState *bs = open_image(filename, fmt, flags);
    if (!bs) {
        return 1;
    }
    Error *err = NULL;
    int ret = 0;
    switch (action) {
    case SN_LIST: {
        QEMUSnapshotInfo *sn;
        int nb = bdrv_snapshot_list(bs, &sn);
        if (nb > 0) {
            printf("Snapshot list:\n");
            dump_snapshot_header();
        }
        for (int i = 0; i < nb; i++) {
            dump_snapshot(&sn[i]);
        }
        free(sn);
        break;
    }
    case SN_CREATE: {
        QEMUSnapshotInfo sn = { 0 };
        struct timeval tv;
        gettimeofday(&tv, NULL);
        snprintf(sn.name, sizeof(sn.name), "%s", name);
        sn.date_sec = tv.tv_sec;
        sn.date_nsec = tv.tv_usec * 1000;
        sn.icount = 0;
        ret = bdrv_snapshot_create(bs, &sn, &err);
        if (ret < 0) {
            error_report_err(err);
        }
        break;
    }
    case SN_APPLY:
        ret = bdrv_snapshot_goto(bs, name, &err);
        if (ret < 0) {
            error_report_err(err);
        }
        break;
    case SN_DELETE:
        ret = bdrv_snapshot_delete(bs, name, &err);
        if (ret < 0) {
            error_report_err(err);
        }
        break;
    default:
        break;
    }
    if (ret == 0 && bdrv_flush(bs) < 0) {
        error_report("Could not flush '%s'", filename);
        ret = -EIO;
    }
    bdrv_unref(bs);
    return ret < 0 ? 1 : 0;
}

/* ---- convert ---- */

/* True when [off, off+*pnum) reads as zeroes through the whole chain. */
static bool range_reads_zero(BlockDriverState *bs, uint64_t off, uint64_t len,
                             uint64_t *pnum)
{
    uint64_t map;
    BlockDriverState *file;
    int st = bdrv_block_status(bs, off, len, pnum, &map, &file);
    if (st < 0 || *pnum == 0) {
        *pnum = len;
        return false;
    }
    if (st & BDRV_BLOCK_ZERO) {
        return true;
    }
    if (st & (BDRV_BLOCK_DATA | BDRV_BLOCK_ALLOCATED)) {
        return false;
    }
    if (!bs->backing || off >= bs->backing->total_size) {
        return true;
    }
    uint64_t n = MIN(*pnum, bs->backing->total_size - off);
    bool z = range_reads_zero(bs->backing, off, n, pnum);
    return z;
}

static bool buffer_is_zero(const uint8_t *buf, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        if (buf[i]) {
            return false;
        }
    }
    return true;
}

static int img_convert(int argc, char **argv)
{
    const char *src_fmt = NULL, *out_fmt = "raw";
    CreateOpts c = { 0 };
    bool compress = false, quiet = false;
    int ch, ret = 1;
    BlockDriverState *src = NULL, *dst = NULL;
    uint8_t *buf = NULL;
    int src_flags = 0;

    optind = 1;
    while ((ch = getopt(argc, argv, "f:O:co:pqUW")) != -1) {
        switch (ch) {
        case 'f': src_fmt = optarg; break;
        case 'O': out_fmt = optarg; break;
        case 'c': compress = true; break;
        case 'o':
            if (parse_create_opts(optarg, &c) < 0) {
                goto out;
            }
            break;
        case 'p': break;
        case 'q': quiet = true; break;
        case 'U': src_flags |= BDRV_O_FORCE_SHARE; break;
        case 'W': break;
        default: usage_error("invalid option");
        }
    }
    (void)quiet;
    if (optind != argc - 2) {
        usage_error("Expecting a source and a target image file name");
    }
    const char *src_name = argv[optind], *dst_name = argv[optind + 1];
    if (!bdrv_find_format(out_fmt) || !strcmp(out_fmt, "file")) {
        error_report("Unknown file format '%s'", out_fmt);
        goto out;
    }
    if (compress && strcmp(out_fmt, "qcow2")) {
        error_report("Compression not supported for this file format");
        goto out;
    }
    src = open_image(src_name, src_fmt, src_flags);
    if (!src) {
        goto out;
    }
    c.o.size = src->total_size;
    if (c.o.backing_file) {
        error_report("Backing files for the target are not supported by "
                     "convert");
        goto out;
    }
    Error *err = NULL;
    if (bdrv_create(out_fmt, dst_name, &c.o, &err) < 0) {
        error_prepend(&err, "%s: error while converting %s: ", dst_name,
                      out_fmt);
        error_report_err(err);
        goto out;
    }
    dst = open_image(dst_name, out_fmt, BDRV_O_RDWR | BDRV_O_NO_BACKING);
    if (!dst) {
        goto out;
    }
    uint64_t chunk = bdrv_get_cluster_size(dst);
    if (!chunk) {
        chunk = 64 * KiB;
    }
    buf = xmalloc(chunk);
    for (uint64_t off = 0; off < src->total_size;) {
        uint64_t n = MIN(chunk - off % chunk, src->total_size - off);
        uint64_t pnum;
        if (range_reads_zero(src, off, n, &pnum)) {
            off += MIN(n, pnum);
            continue;
        }
        int r = bdrv_pread(src, off, n, buf);
        if (r < 0) {
            error_report("error while reading at byte %" PRIu64 ": %s", off,
                         strerror(-r));
            goto out;
        }
        if (!buffer_is_zero(buf, n)) {
            if (compress) {
                r = bdrv_pwrite_compressed(dst, off, n, buf);
            } else {
                r = bdrv_pwrite(dst, off, n, buf);
            }
            if (r < 0) {
                error_report("error while writing at byte %" PRIu64 ": %s",
                             off, strerror(-r));
                goto out;
            }
        }
        off += n;
    }
    if (bdrv_flush(dst) < 0) {
        error_report("error while flushing '%s'", dst_name);
        goto out;
    }
    ret = 0;
out:
    free(buf);
    bdrv_unref(dst);
    bdrv_unref(src);
    free_create_opts(&c);
    return ret;
}

/* ---- resize ---- */

static int img_resize(int argc, char **argv)
{
    const char *fmt = NULL;
    bool shrink = false, quiet = false;

    /* A size like -1G must not look like an option. */
    int n = 0;
    char **args = xnew_array(char *, argc + 1);
    const char *size_arg = NULL;
    for (int i = 0; i < argc; i++) {
        if (i == argc - 1 && argv[i][0] == '-' && argv[i][1] >= '0' &&
            argv[i][1] <= '9') {
            size_arg = argv[i];
        } else {
            args[n++] = argv[i];
        }
    }
    static const struct option longopts[] = {
        { "shrink", no_argument, NULL, 'S' },
        { NULL, 0, NULL, 0 },
    };
    int ch;
    optind = 1;
    while ((ch = getopt_long(n, args, "f:q", longopts, NULL)) != -1) {
        switch (ch) {
        case 'f': fmt = optarg; break;
        case 'q': quiet = true; break;
        case 'S': shrink = true; break;
        default: usage_error("invalid option");
        }
    }
    if (!size_arg) {
        if (optind != n - 2) {
            free(args);
            usage_error("Expecting image file name and size");
        }
        size_arg = args[n - 1];
    } else if (optind != n - 1) {
        free(args);
        usage_error("Expecting image file name and size");
    }
    const char *filename = args[optind];
    free(args);

    int relative = 0;
    if (*size_arg == '+') {
        relative = 1;
        size_arg++;
    } else if (*size_arg == '-') {
        relative = -1;
        size_arg++;
    }
    uint64_t size;
    if (parse_size(size_arg, '\0', &size) < 0) {
        error_report("Invalid size specified. You may use k, M, G, T, P or E "
                     "suffixes for ");
        error_report("kilobytes, megabytes, gigabytes, terabytes, petabytes "
                     "and exabytes.");
        return 1;
    }
    BlockDriverState *bs = open_image(filename, fmt,
                                      BDRV_O_RDWR | BDRV_O_NO_BACKING);
    if (!bs) {
        return 1;
    }
    uint64_t cur = bs->total_size;
    uint64_t target = relative > 0 ? cur + size
                    : relative < 0 ? (size > cur ? 0 : cur - size) : size;
    if (relative < 0 && size > cur) {
        error_report("New image size must be positive");
        bdrv_unref(bs);
        return 1;
    }
    Error *err = NULL;
    int ret = bdrv_truncate(bs, target, shrink, &err);
    if (ret == 0) {
        ret = bdrv_flush(bs);
    }
    bdrv_unref(bs);
    if (ret < 0) {
        if (err) {
            error_report_err(err);
        } else {
            error_report("Error resizing image: %s", strerror(-ret));
        }
        return 1;
    }
    if (!quiet) {
        printf("Image resized.\n");
    }
    return 0;
}

/* ---- map ---- */

typedef struct MapEntry {
    uint64_t start, length, offset;
    int depth;
    bool present, zero, data, has_offset;
    const char *filename;
} MapEntry;

static int map_status(BlockDriverState *bs, uint64_t off, uint64_t len,
                      MapEntry *e)
{
    int depth = 0;
    BlockDriverState *cur = bs;
    for (;;) {
        uint64_t pnum, map;
        BlockDriverState *file;
        int st = bdrv_block_status(cur, off, len, &pnum, &map, &file);
        if (st < 0) {
            return st;
        }
        if (pnum == 0) {
            pnum = len;
        }
        len = MIN(len, pnum);
        if (st & BDRV_BLOCK_ALLOCATED) {
            *e = (MapEntry){
                .start = off, .length = len, .depth = depth, .present = true,
                .zero = st & BDRV_BLOCK_ZERO, .data = st & BDRV_BLOCK_DATA,
                .has_offset = st & BDRV_BLOCK_OFFSET_VALID, .offset = map,
                .filename = file ? file->filename : cur->filename,
            };
            return 0;
        }
        if (!cur->backing || off >= cur->backing->total_size) {
            *e = (MapEntry){
                .start = off, .length = len, .depth = depth, .zero = true,
                .filename = cur->filename,
            };
            return 0;
        }
        len = MIN(len, cur->backing->total_size - off);
        cur = cur->backing;
        depth++;
    }
}

static bool map_can_merge(const MapEntry *a, const MapEntry *b)
{
    if (a->depth != b->depth || a->present != b->present ||
        a->zero != b->zero || a->data != b->data ||
        a->has_offset != b->has_offset) {
        return false;
    }
    return !a->has_offset || a->offset + a->length == b->offset;
}

static int img_map(int argc, char **argv)
{
    static const struct option longopts[] = {
        { "output", required_argument, NULL, 'O' },
        { "force-share", no_argument, NULL, 'U' },
        { NULL, 0, NULL, 0 },
    };
    const char *fmt = NULL;
    int output = OUTPUT_HUMAN, ch, flags = 0;

    optind = 1;
    while ((ch = getopt_long(argc, argv, "f:U", longopts, NULL)) != -1) {
        switch (ch) {
        case 'f': fmt = optarg; break;
        case 'O': output = parse_output(optarg); break;
        case 'U': flags |= BDRV_O_FORCE_SHARE; break;
        default: usage_error("invalid option");
        }
    }
    if (optind != argc - 1) {
        usage_error("Expecting one image file name");
    }
    BlockDriverState *bs = open_image(argv[optind], fmt, flags);
    if (!bs) {
        return 1;
    }
    MapEntry cur = { 0 }, next;
    bool have = false, first = true;
    int ret = 0;

    if (output == OUTPUT_JSON) {
        printf("[");
    } else {
        printf("%-16s%-16s%-16s%s\n", "Offset", "Length", "Mapped to", "File");
    }
    for (uint64_t off = 0; off <= bs->total_size; off += next.length) {
        bool end = off == bs->total_size;
        if (!end) {
            ret = map_status(bs, off, MIN(bs->total_size - off, 1 * GiB),
                             &next);
            if (ret < 0) {
                error_report("Could not read file metadata: %s",
                             strerror(-ret));
                break;
            }
        }
        if (have && !end && map_can_merge(&cur, &next)) {
            cur.length += next.length;
            continue;
        }
        if (have) {
            if (output == OUTPUT_JSON) {
                printf("%s{ \"start\": %" PRIu64 ", \"length\": %" PRIu64
                       ", \"depth\": %d, \"present\": %s, \"zero\": %s, "
                       "\"data\": %s", first ? "" : ",\n", cur.start,
                       cur.length, cur.depth, cur.present ? "true" : "false",
                       cur.zero ? "true" : "false",
                       cur.data ? "true" : "false");
                if (cur.has_offset) {
                    printf(", \"offset\": %" PRIu64, cur.offset);
                }
                printf("}");
                first = false;
            } else if (cur.data && !cur.has_offset) {
                error_report("File contains external, encrypted or "
                             "compressed clusters.");
                ret = -1;
                break;
            } else if (cur.data && !cur.zero) {
                printf("%#-16" PRIx64 "%#-16" PRIx64 "%#-16" PRIx64 "%s\n",
                       cur.start, cur.length, cur.offset, cur.filename);
            }
        }
        if (end) {
            break;
        }
        cur = next;
        have = true;
    }
    if (output == OUTPUT_JSON && ret == 0) {
        printf("]\n");
    }
    bdrv_unref(bs);
    return ret < 0 ? 1 : 0;
}

/*
 * ---- io (hidden, for tests) ----
 * osprey-img io [-f fmt] file CMD...  with CMD one of
 *   "write -P pattern offset length", "read -P pattern offset length",
 *   "zero offset length", "discard offset length", "flush",
 *   "save-vmstate -P pattern offset length", "load-vmstate ...",
 *   "stress seed count": random writes, each flushed, logged on stdout.
 */

static int parse_num(const char *s, uint64_t *v)
{
    return parse_size(s, '\0', v);
}

static uint64_t xorshift(uint64_t *state)
{
    uint64_t x = *state;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return *state = x;
}

static int io_stress(BlockBackend *blk, uint64_t seed, uint64_t count)
{
    int64_t size = blk_getlength(blk);
    uint64_t state = seed ? seed : 1;
    uint8_t *buf = xmalloc(256 * KiB);

    setvbuf(stdout, NULL, _IOLBF, 0);
    for (uint64_t i = 0; count == 0 || i < count; i++) {
        uint64_t len = (xorshift(&state) % (256 * KiB)) + 1;
        len = MIN(len, (uint64_t)size);
        uint64_t off = xorshift(&state) % (size - len + 1);
        int pattern = (i % 255) + 1;
        int kind = xorshift(&state) % 8;
        int ret;
        if (kind == 0) {
            /* Occasionally zero or discard instead of writing data. */
            printf("Z %" PRIu64 " %" PRIu64 "\n", off, len);
            ret = blk_pwrite_zeroes(blk, off, len);
        } else {
            memset(buf, pattern, len);
            printf("W %" PRIu64 " %" PRIu64 " %d\n", off, len, pattern);
            ret = blk_pwrite(blk, off, len, buf);
        }
        if (ret == 0) {
            ret = blk_flush(blk);
        }
        if (ret < 0) {
            fprintf(stderr, "osprey-img: stress: %s\n", strerror(-ret));
            free(buf);
            return 1;
        }
        printf("F %" PRIu64 "\n", i);
    }
    free(buf);
    return 0;
}

static int io_command(BlockBackend *blk, char *cmd)
{
    char *argv[8];
    int argc = 0;
    char *save = NULL;
    for (char *t = strtok_r(cmd, " ", &save); t && argc < 8;
         t = strtok_r(NULL, " ", &save)) {
        argv[argc++] = t;
    }
    if (!argc) {
        return 0;
    }
    int pattern = 0, a = 1;
    if (argc > 2 && !strcmp(argv[1], "-P")) {
        pattern = strtol(argv[2], NULL, 0);
        a = 3;
    }
    uint64_t off = 0, len = 0;
    if (argc >= a + 2 && (parse_num(argv[a], &off) < 0 ||
                          parse_num(argv[a + 1], &len) < 0)) {
        error_report("io: bad offset or length in '%s'", argv[0]);
        return 1;
    }
    int ret = 0;
    if (!strcmp(argv[0], "write") || !strcmp(argv[0], "save-vmstate")) {
        uint8_t *buf = xmalloc(len);
        memset(buf, pattern, len);
        ret = !strcmp(argv[0], "write")
            ? blk_pwrite(blk, off, len, buf)
            : bdrv_save_vmstate(blk_bs(blk), buf, off, len);
        free(buf);
    } else if (!strcmp(argv[0], "read") || !strcmp(argv[0], "load-vmstate")) {
        uint8_t *buf = xmalloc(len);
        ret = !strcmp(argv[0], "read")
            ? blk_pread(blk, off, len, buf)
            : bdrv_load_vmstate(blk_bs(blk), buf, off, len);
        for (uint64_t i = 0; ret == 0 && i < len; i++) {
            if (buf[i] != pattern) {
                printf("Pattern verification failed at offset %" PRIu64
                       ", %" PRIu64 " bytes\n", off + i, len);
                free(buf);
                return 1;
            }
        }
        free(buf);
    } else if (!strcmp(argv[0], "zero")) {
        ret = blk_pwrite_zeroes(blk, off, len);
    } else if (!strcmp(argv[0], "discard")) {
        ret = blk_pdiscard(blk, off, len);
    } else if (!strcmp(argv[0], "flush")) {
        ret = blk_flush(blk);
    } else if (!strcmp(argv[0], "stress")) {
        uint64_t seed = argc > 1 ? strtoull(argv[1], NULL, 0) : 1;
        uint64_t count = argc > 2 ? strtoull(argv[2], NULL, 0) : 0;
        return io_stress(blk, seed, count);
    } else {
        error_report("io: unknown command '%s'", argv[0]);
        return 1;
    }
    if (ret < 0) {
        error_report("io: %s failed: %s", argv[0], strerror(-ret));
        return 1;
    }
    return 0;
}

static int img_io(int argc, char **argv)
{
    const char *fmt = NULL;
    int ch, flags = BDRV_O_RDWR;
    optind = 1;
    while ((ch = getopt(argc, argv, "+f:rU")) != -1) {
        switch (ch) {
        case 'f': fmt = optarg; break;
        case 'r': flags &= ~BDRV_O_RDWR; break;
        case 'U': flags |= BDRV_O_FORCE_SHARE; break;
        default: usage_error("invalid option");
        }
    }
    if (optind >= argc) {
        usage_error("Expecting image file name");
    }
    Error *err = NULL;
    BlockBackend *blk = blk_new_open(argv[optind], fmt, flags, &err);
    if (!blk) {
        error_report_err(err);
        return 1;
    }
    int ret = 0;
    for (int i = optind + 1; i < argc && ret == 0; i++) {
        char *cmd = xstrdup(argv[i]);
        ret = io_command(blk, cmd);
        free(cmd);
    }
    if (ret == 0 && (flags & BDRV_O_RDWR) && blk_flush(blk) < 0) {
        ret = 1;
    }
    blk_unref(blk);
    return ret;
}

static void help(void)
{
    printf("osprey-img version " OSPREY_VERSION "\n"
           "usage: osprey-img [standard options] command [command options]\n"
           "\n"
           "Command syntax:\n"
           "  create [-f fmt] [-o options] [-b backing_file [-F backing_fmt]]"
           " [-u] [-q] filename [size]\n"
           "  info [-f fmt] [--output=ofmt] [--backing-chain] [-U] filename\n"
           "  check [-f fmt] [--output=ofmt] [-r [leaks | all]] [-q] [-U]"
           " filename\n"
           "  snapshot [-l | -a snapshot | -c snapshot | -d snapshot]"
           " [-f fmt] filename\n"
           "  convert [-f fmt] [-O output_fmt] [-c] [-o options] [-U]"
           " filename output_filename\n"
           "  resize [-f fmt] [--shrink] [-q] filename [+ | -]size\n"
           "  map [-f fmt] [--output=ofmt] [-U] filename\n"
           "\n"
           "Supported formats: raw qcow2\n");
}

int main(int argc, char **argv)
{
    static const struct {
        const char *name;
        int (*fn)(int argc, char **argv);
    } cmds[] = {
        { "create", img_create }, { "info", img_info },
        { "check", img_check }, { "snapshot", img_snapshot },
        { "convert", img_convert }, { "resize", img_resize },
        { "map", img_map }, { "io", img_io },
    };

    error_set_progname("osprey-img");
    if (argc < 2) {
        error_report("Not enough arguments");
        fprintf(stderr, "Try 'osprey-img --help' for more information\n");
        return 1;
    }
    if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
        help();
        return 0;
    }
    if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "-V")) {
        printf("osprey-img version " OSPREY_VERSION "\n");
        return 0;
    }
    for (size_t i = 0; i < ARRAY_SIZE(cmds); i++) {
        if (!strcmp(argv[1], cmds[i].name)) {
            return cmds[i].fn(argc - 1, argv + 1);
        }
    }
    error_report("Command not found: %s", argv[1]);
    return 1;
}
