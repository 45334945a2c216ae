/*
 * Osprey entry point: command-line parsing and machine start-up.
 *
 * Options are described as data in system/options.def.  Parsing only
 * collects them into a Config; start-up then builds the VM in a fixed
 * order (as QEMU's vl.c): main loop, machine, board init, reset, start.
 */
#include "util/osdep.h"
#include "util/error.h"
#include "util/log.h"
#include "util/qemu-option.h"
#include <fcntl.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/stat.h>
#include "block/blockdev.h"
#include "chardev/char.h"
#include "hw/boards.h"
#include "hw/char/serial.h"
#include "accel/tcg/tcg-accel-ops.h"
#include "system/kvm.h"
#include "accel/tcg/cpu-exec.h"
#include "target/x86/cpu-qom.h"
#include "migration/ram.h"
#include "migration/migration.h"
#include "migration/savevm.h"
#include "migration/snapshot.h"
#include "monitor/monitor.h"
#include "system/qdev-monitor.h"
#include "migration/vmstate.h"
#include "system/main-loop.h"
#include "system/runstate.h"
#include "system/system.h"
#include "block/blockdev.h"

typedef enum OptionId {
#define DEF(name, has_arg, id, help) OPTION_##id,
#include "options.def"
#undef DEF
} OptionId;

typedef struct OptionDef {
    const char *name;
    bool has_arg;
    OptionId id;
    const char *help;
} OptionDef;

static const OptionDef option_table[] = {
#define DEF(name, has_arg, id, help) { name, has_arg, OPTION_##id, help },
#include "options.def"
#undef DEF
};

/* Everything the command line asked for, before anything is built. */
typedef struct Config {
    const char *machine_type;
    uint64_t ram_size;        /* 0: the machine's default */
    unsigned smp_cpus, smp_max_cpus;
    bool start_paused;
    const char *pidfile;
    bool daemonize;
    const char **chardevs;    /* -chardev specs, created in order */
    size_t nr_chardevs;
    const char **devices;     /* -device specs, created after the board */
    size_t nr_devices;
    const char **drives;      /* -drive (and -hda) specs */
    size_t nr_drives;
    const char **blockdevs;   /* -blockdev specs */
    size_t nr_blockdevs;
    bool snapshot;            /* -snapshot */
    const char *dump_vmstate;
    const char *loadvm;       /* -loadvm tag */
    const char *incoming;     /* -incoming URI */
    const char *kernel, *initrd, *append, *bios, *cpu_model, *accel;
    bool no_reboot, no_shutdown;
    const char **serials;     /* -serial specs, COM1.. */
    size_t nr_serials;
    bool nographic;
    /* Monitors, in command-line order: -monitor/-qmp specs and -mon opts. */
    struct MonitorArg {
        OptionId kind;        /* OPTION_MONITOR, _QMP, _QMP_PRETTY, _MON */
        const char *arg;
    } *monitors;
    size_t nr_monitors;
} Config;

static void config_add_monitor(Config *cfg, OptionId kind, const char *arg)
{
    cfg->monitors = xrealloc(cfg->monitors,
                             (cfg->nr_monitors + 1) * sizeof(*cfg->monitors));
    cfg->monitors[cfg->nr_monitors++] = (struct MonitorArg){ kind, arg };
}

static bool create_monitors(Config *cfg, Error **errp)
{
    for (size_t i = 0; i < cfg->nr_monitors; i++) {
        const struct MonitorArg *m = &cfg->monitors[i];
        bool ok;
        if (m->kind == OPTION_MON) {
            QemuOpts *opts = qemu_opts_parse(&qemu_mon_opts, m->arg, true,
                                             errp);
            ok = opts && monitor_init_opts(opts, errp);
        } else {
            ok = monitor_parse_legacy(m->arg, m->kind != OPTION_MONITOR,
                                      m->kind == OPTION_QMP_PRETTY, errp);
        }
        if (!ok) {
            error_prepend(errp, "-%s %s: ",
                          m->kind == OPTION_MON ? "mon" :
                          m->kind == OPTION_MONITOR ? "monitor" :
                          m->kind == OPTION_QMP ? "qmp" : "qmp-pretty",
                          m->arg);
            return false;
        }
    }
    return true;
}

static void config_add(const char ***list, size_t *n, const char *value)
{
    *list = xrealloc(*list, (*n + 1) * sizeof(**list));
    (*list)[(*n)++] = value;
}

static char *guest_name;

const char *qemu_get_vm_name(void)
{
    return guest_name;
}

static void print_version(void)
{
    printf("Osprey emulator version " OSPREY_VERSION "\n");
}

static void print_help(void)
{
    print_version();
    printf("usage: osprey [options]\n\n");
    for (size_t i = 0; i < ARRAY_SIZE(option_table); i++) {
        fputs(option_table[i].help, stdout);
    }
    printf("\nOptions may start with one or two dashes.\n");
}

static const OptionDef *lookup_option(const char *arg)
{
    const char *name = arg + 1;
    if (*name == '-') {
        name++;                 /* QEMU accepts --opt too */
    }
    for (size_t i = 0; i < ARRAY_SIZE(option_table); i++) {
        if (!strcmp(option_table[i].name, name)) {
            return &option_table[i];
        }
    }
    return NULL;
}

/* ---- option groups (key=value lists) --------------------------------- */

static QemuOptsList machine_opts = {
    .name = "machine",
    .implied_opt_name = "type",
    .merge_lists = true,
    .head = QTAILQ_HEAD_INITIALIZER(machine_opts.head),
    .desc = {
        { .name = "type", .type = QEMU_OPT_STRING,
          .help = "machine type" },
        { NULL }
    },
};

static QemuOptsList memory_opts = {
    .name = "memory",
    .implied_opt_name = "size",
    .merge_lists = true,
    .head = QTAILQ_HEAD_INITIALIZER(memory_opts.head),
    .desc = {
        { .name = "size", .type = QEMU_OPT_SIZE },
        { NULL }
    },
};

static QemuOptsList smp_opts = {
    .name = "smp-opts",
    .implied_opt_name = "cpus",
    .merge_lists = true,
    .head = QTAILQ_HEAD_INITIALIZER(smp_opts.head),
    .desc = {
        { .name = "cpus", .type = QEMU_OPT_NUMBER },
        { .name = "maxcpus", .type = QEMU_OPT_NUMBER },
        { NULL }
    },
};

static QemuOptsList name_opts = {
    .name = "name",
    .implied_opt_name = "guest",
    .merge_lists = true,
    .head = QTAILQ_HEAD_INITIALIZER(name_opts.head),
    .desc = {
        { .name = "guest", .type = QEMU_OPT_STRING },
        { NULL }
    },
};

/* Parse "-opt value" into @list; errors are prefixed with the option. */
static QemuOpts *parse_group(QemuOptsList *list, const char *opt,
                             const char *value, Error **errp)
{
    QemuOpts *opts = qemu_opts_parse(list, value, true, errp);
    if (!opts) {
        error_prepend(errp, "%s %s: ", opt, value);
    }
    return opts;
}

static bool apply_machine_opts(Config *cfg, Error **errp)
{
    QemuOpts *opts = qemu_opts_find(&machine_opts, NULL);
    if (opts) {
        cfg->machine_type = qemu_opt_get(opts, "type");
    }
    return true;
}

static bool apply_memory_opts(Config *cfg, Error **errp)
{
    QemuOpts *opts = qemu_opts_find(&memory_opts, NULL);
    const char *size;

    if (!opts || !(size = qemu_opt_get(opts, "size"))) {
        return true;
    }
    uint64_t bytes;
    int ret = parse_size(size, 'M', &bytes);
    if (ret < 0 || bytes == 0) {
        error_setg(errp, "-m %s: invalid RAM size", size);
        return false;
    }
    /* RAM is a whole number of pages, as QEMU rounds it. */
    cfg->ram_size = ALIGN_UP(bytes, 8192);
    if (cfg->ram_size < bytes) {
        error_setg(errp, "-m %s: ram size too large", size);
        return false;
    }
    return true;
}

static bool apply_smp_opts(Config *cfg, Error **errp)
{
    QemuOpts *opts = qemu_opts_find(&smp_opts, NULL);
    if (!opts) {
        return true;
    }
    uint64_t cpus = qemu_opt_get_number(opts, "cpus", 1);
    uint64_t max = qemu_opt_get_number(opts, "maxcpus", cpus);
    if (cpus == 0 || cpus > 255) {
        error_setg(errp, "-smp: Invalid CPU count %" PRIu64
                   " (expected 1 to 255)", cpus);
        return false;
    }
    if (max < cpus) {
        error_setg(errp, "-smp: maxcpus must be equal to or greater than "
                   "smp");
        return false;
    }
    cfg->smp_cpus = cpus;
    cfg->smp_max_cpus = max;
    return true;
}

/* ---- process set-up: pid file, daemon, signals ------------------------ */

static const char *pidfile_path;

static void remove_pidfile(void)
{
    if (pidfile_path) {
        unlink(pidfile_path);
    }
}

static bool write_pidfile(const char *path, Error **errp)
{
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) {
        error_setg_errno(errp, errno, "cannot create PID file '%s'", path);
        return false;
    }
    /* The lock, held for our lifetime, tells two instances apart. */
    if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
        error_setg(errp, "cannot create PID file '%s': another osprey "
                   "process holds it", path);
        close(fd);
        return false;
    }
    char buf[32];
    int len = snprintf(buf, sizeof(buf), "%d\n", (int)getpid());
    if (ftruncate(fd, 0) < 0 || write(fd, buf, len) != len) {
        error_setg_errno(errp, errno, "cannot write PID file '%s'", path);
        close(fd);
        return false;
    }
    pidfile_path = path;
    atexit(remove_pidfile);
    return true;            /* fd stays open: it holds the lock */
}

/*
 * -daemonize: the parent waits until the child reports that start-up
 * succeeded (or failed), so errors still reach the user's terminal.
 */
static int daemon_pipe = -1;

static void daemonize_start(void)
{
    int fds[2];
    if (pipe(fds) < 0) {
        error_report("-daemonize: pipe: %s", strerror(errno));
        exit(1);
    }
    pid_t pid = fork();
    if (pid < 0) {
        error_report("-daemonize: fork: %s", strerror(errno));
        exit(1);
    }
    if (pid > 0) {
        char status = 1;
        close(fds[1]);
        if (read(fds[0], &status, 1) != 1) {
            status = 1;
        }
        _exit(status);
    }
    close(fds[0]);
    daemon_pipe = fds[1];
    setsid();
}

static void daemonize_finish(void)
{
    char ok = 0;
    if (daemon_pipe < 0) {
        return;
    }
    int null = open("/dev/null", O_RDWR);
    if (null >= 0) {
        dup2(null, STDIN_FILENO);
        dup2(null, STDOUT_FILENO);
        dup2(null, STDERR_FILENO);
        close(null);
    }
    if (write(daemon_pipe, &ok, 1) != 1) {
        /* The parent is gone; nothing to tell. */
    }
    close(daemon_pipe);
    daemon_pipe = -1;
}

static void termsig_handler(int signal, siginfo_t *info, void *ctx)
{
    qemu_system_killed(signal, info ? info->si_pid : 0);
}

static void install_signal_handlers(void)
{
    struct sigaction act = { 0 };
    act.sa_sigaction = termsig_handler;
    act.sa_flags = SA_SIGINFO;
    sigaction(SIGINT, &act, NULL);
    sigaction(SIGHUP, &act, NULL);
    sigaction(SIGTERM, &act, NULL);
    signal(SIGPIPE, SIG_IGN);
}

/*
 * -dump-vmstate: as QEMU, the descriptions of the machine just built (each
 * device registers its own at realize).
 */
static int dump_vmstate(const char *path)
{
    FILE *out = fopen(path, "w");
    if (!out) {
        error_report("-dump-vmstate %s: %s", path, strerror(errno));
        return 1;
    }
    vmstate_dump_json(out);
    if (fclose(out) != 0) {
        error_report("-dump-vmstate %s: %s", path, strerror(errno));
        return 1;
    }
    return 0;
}

/* -accel tcg's options: jit=on|off, comma-separated. */
static bool tcg_accel_options(const char *accel, const char *opts,
                              Error **errp)
{
    while (opts && *opts) {
        const char *end = strchr(opts, ',');
        size_t n = end ? (size_t)(end - opts) : strlen(opts);

        if (n == 6 && !strncmp(opts, "jit=on", 6)) {
            if (!tcg_set_jit_enabled(true)) {
                error_setg(errp, "-accel %s: this host has no JIT", accel);
                return false;
            }
        } else if (n == 7 && !strncmp(opts, "jit=off", 7)) {
            tcg_set_jit_enabled(false);
        } else {
            error_setg(errp, "-accel %s: invalid option '%.*s' (jit=on|off)",
                       accel, (int)n, opts);
            return false;
        }
        opts = end ? end + 1 : NULL;
    }
    return true;
}

/*
 * -accel: a ':'-separated list of candidates ("kvm:tcg"), each a name and
 * options ("kvm,kernel-irqchip=off"), tried in order.  A candidate that
 * fails is reported; the next one is tried; the last failure is the error.
 */
static bool select_accelerator(const char *accel, Error **errp)
{
    char *list, *cand, *save = NULL;
    bool ok = false;
    Error *last = NULL;

    if (!accel || !*accel) {
        tcg_accel_register();
        return true;
    }
    list = xstrdup(accel);
    for (cand = strtok_r(list, ":", &save); cand && !ok;
         cand = strtok_r(NULL, ":", &save)) {
        char *opts = strchr(cand, ',');
        const char *name = cand;

        if (opts) {
            *opts++ = '\0';
        }
        if (last) {
            /* an earlier candidate failed: say so before falling back */
            error_report("%s; trying %s", error_get_pretty(last), name);
            error_free(last);
            last = NULL;
        }
        if (!strcmp(name, "tcg")) {
            if (!tcg_accel_options(accel, opts, &last)) {
                continue;
            }
            tcg_accel_register();
            ok = true;
        } else if (!strcmp(name, "kvm")) {
            ok = kvm_accel_init(opts, &last);
        } else {
            error_setg(&last, "-accel %s: invalid accelerator %s", accel,
                       name);
        }
    }
    free(list);
    if (!ok) {
        if (!last) {
            error_setg(&last, "-accel %s: no accelerator given", accel);
        }
        error_propagate(errp, last);
    }
    return ok;
}

/*
 * Serial ports: each -serial spec is a chardev "serialN"; "mon:" specs
 * also get an HMP monitor on the same (muxed) chardev, and -nographic
 * without -serial means "mon:stdio", as in QEMU.
 */
static bool create_serial_ports(Config *cfg, Error **errp)
{
    const char *nographic_spec[] = { "mon:stdio" };
    const char **specs = cfg->serials;
    size_t n = cfg->nr_serials;

    if (!n && cfg->nographic) {
        specs = nographic_spec;
        n = 1;
    }
    for (size_t i = 0; i < n; i++) {
        char label[32];
        Chardev *chr;

        if (!strcmp(specs[i], "none")) {
            continue;
        }
        snprintf(label, sizeof(label), "serial%zu", i);
        chr = qemu_chr_new(label, specs[i], errp);
        if (!chr) {
            error_prepend(errp, "-serial %s: ", specs[i]);
            return false;
        }
        if (!serial_hds_add(chr, errp)) {
            error_prepend(errp, "-serial %s: ", specs[i]);
            return false;
        }
        if (strstart(specs[i], "mon:", NULL) &&
            !monitor_init_hmp(chr, true, errp)) {
            return false;
        }
    }
    return true;
}

/* ---- block devices ----------------------------------------------------- */

/*
 * Open every -blockdev and -drive image before the machine exists, so a
 * bad image fails start-up before anything else is built.  The ids of
 * if=virtio drives are returned in *virtio_ids for build_machine.
 */
static bool open_block_devices(Config *cfg, char ***virtio_ids,
                               size_t *nr_virtio, Error **errp)
{
    for (size_t i = 0; i < cfg->nr_blockdevs; i++) {
        if (!blockdev_new(cfg->blockdevs[i], errp)) {
            error_prepend(errp, "-blockdev %s: ", cfg->blockdevs[i]);
            return false;
        }
    }
    for (size_t i = 0; i < cfg->nr_drives; i++) {
        DriveInfo *d = NULL;
        DriveInfo *parsed = drive_parse(cfg->drives[i], errp);

        /* Refuse interfaces we have no controller for before opening. */
        if (parsed && strcmp(parsed->interface, "virtio") &&
            strcmp(parsed->interface, "none")) {
            error_setg(errp, "if=%s is not supported: Osprey has only "
                       "virtio disks (use if=virtio, or if=none with "
                       "-device virtio-blk-pci,drive=ID)", parsed->interface);
        }
        drive_info_free(parsed);
        if (*errp || !drive_new(cfg->drives[i], cfg->snapshot, &d, errp)) {
            error_prepend(errp, "-drive %s: ", cfg->drives[i]);
            return false;
        }
        if (!strcmp(d->interface, "virtio")) {
            *virtio_ids = xrealloc(*virtio_ids,
                                   (*nr_virtio + 1) * sizeof(char *));
            (*virtio_ids)[(*nr_virtio)++] = xstrdup(d->id);
        }
        drive_info_free(d);
    }
    return true;
}

/* Close every image at exit, so its metadata is on disk and clean. */
static void close_drives(void)
{
    BlockBackend *blk;

    while ((blk = blk_next(NULL))) {
        blk_unref(blk);
    }
}

/* ---- start-up --------------------------------------------------------- */

static bool build_machine(Config *cfg, char **virtio_ids, size_t nr_virtio,
                          Error **errp)
{
    MachineClass *mc;

    if (cfg->machine_type) {
        mc = machine_find_class(cfg->machine_type, errp);
    } else {
        mc = machine_default_class();
        if (!mc) {
            error_setg(errp, "No machine specified, and there is no default\n"
                       "Use -machine help to list supported machines");
        }
    }
    if (!mc) {
        return false;
    }
    savevm_set_machine_name(mc->name);
    MachineState *machine = machine_create(mc, errp);
    if (!machine) {
        return false;
    }
    if (cfg->ram_size) {
        machine->ram_size = cfg->ram_size;
    }
    if ((cfg->initrd || cfg->append) && !cfg->kernel) {
        error_setg(errp, "-%s only allowed with -kernel option",
                   cfg->initrd ? "initrd" : "append");
        return false;
    }
    machine->kernel_filename = cfg->kernel ? xstrdup(cfg->kernel) : NULL;
    machine->initrd_filename = cfg->initrd ? xstrdup(cfg->initrd) : NULL;
    machine->kernel_cmdline = xstrdup(cfg->append ? cfg->append : "");
    machine->firmware = cfg->bios ? xstrdup(cfg->bios) : NULL;
    if (cfg->cpu_model) {
        size_t len = strcspn(cfg->cpu_model, ",");
        char *model = xstrndup(cfg->cpu_model, len);
        const char *type = x86_cpu_type_by_model(model);
        if (!type) {
            error_setg(errp, "-cpu %s: unable to find CPU model '%s'",
                       cfg->cpu_model, model);
            free(model);
            return false;
        }
        free(model);
        machine->cpu_type = xstrdup(type);
        machine->cpu_features = xstrdup(cfg->cpu_model);
    }
    machine->smp.cpus = cfg->smp_cpus;
    machine->smp.max_cpus = cfg->smp_max_cpus;
    if (!machine_run_board_init(machine, errp)) {
        return false;
    }
    /* -drive if=virtio: a virtio-blk-pci on the PCI bus for each. */
    for (size_t i = 0; i < nr_virtio; i++) {
        char *opts = xasprintf("virtio-blk-pci,drive=%s", virtio_ids[i]);
        bool help;
        bool ok = qdev_device_add(opts, &help, errp);
        free(opts);
        if (!ok) {
            error_prepend(errp, "-drive id=%s: ", virtio_ids[i]);
            return false;
        }
    }
    for (size_t i = 0; i < cfg->nr_devices; i++) {
        bool help;
        if (!qdev_device_add(cfg->devices[i], &help, errp)) {
            error_prepend(errp, "-device %s: ", cfg->devices[i]);
            return false;
        }
    }
    machine_creation_done(machine);
    return true;
}

int main(int argc, char **argv)
{
    Config cfg = { 0 };
    Error *err = NULL;
    bool help_machine = false;
    int status = 0;
    char *hda_spec = NULL;
    char **virtio_ids = NULL;
    size_t nr_virtio = 0;

    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        if (arg[0] != '-') {
            error_report("%s: invalid option (disk image arguments are not "
                         "supported)", arg);
            status = 1;
            goto out;
        }
        const OptionDef *opt = lookup_option(arg);
        if (!opt) {
            error_report("%s: invalid option", arg);
            status = 1;
            goto out;
        }
        const char *optarg = NULL;
        if (opt->has_arg) {
            if (i + 1 >= argc) {
                error_report("%s: requires an argument", arg);
                status = 1;
                goto out;
            }
            optarg = argv[++i];
        }
        switch (opt->id) {
        case OPTION_H:
        case OPTION_HELP:
            print_help();
            status = 0;
            goto out;
        case OPTION_VERSION:
            print_version();
            status = 0;
            goto out;
        case OPTION_MACHINE:
        case OPTION_M:
            if (!strcmp(optarg, "help") || !strcmp(optarg, "?")) {
                help_machine = true;
                break;
            }
            parse_group(&machine_opts, arg, optarg, &err);
            break;
        case OPTION_M_SIZE:
            parse_group(&memory_opts, arg, optarg, &err);
            break;
        case OPTION_SMP:
            parse_group(&smp_opts, arg, optarg, &err);
            break;
        case OPTION_NAME: {
            QemuOpts *opts = parse_group(&name_opts, arg, optarg, &err);
            if (opts) {
                free(guest_name);
                guest_name = xstrdup(qemu_opt_get(opts, "guest"));
                monitor_set_vm_name(guest_name);
            }
            break;
        }
        case OPTION_S:
            cfg.start_paused = true;
            break;
        case OPTION_NO_REBOOT:
            cfg.no_reboot = true;
            break;
        case OPTION_NO_SHUTDOWN:
            cfg.no_shutdown = true;
            break;
        case OPTION_KERNEL:
            cfg.kernel = optarg;
            break;
        case OPTION_INITRD:
            cfg.initrd = optarg;
            break;
        case OPTION_APPEND:
            cfg.append = optarg;
            break;
        case OPTION_BIOS:
            cfg.bios = optarg;
            break;
        case OPTION_CPU:
            if (!strcmp(optarg, "help") || !strcmp(optarg, "?")) {
                x86_cpu_list(stdout);
                status = 0;
                goto out;
            }
            cfg.cpu_model = optarg;
            break;
        case OPTION_ACCEL:
            cfg.accel = optarg;
            break;
        case OPTION_ENABLE_KVM:
            cfg.accel = "kvm";
            break;
        case OPTION_SERIAL:
            config_add(&cfg.serials, &cfg.nr_serials, optarg);
            break;
        case OPTION_NOGRAPHIC:
            cfg.nographic = true;
            break;
        case OPTION_DISPLAY:
            /* QEMU's -display none[,opts]: the only display we have. */
            if (strcmp(optarg, "none") && strncmp(optarg, "none,", 5)) {
                error_setg(&err, "-display %s: Osprey has no graphical "
                           "display; only 'none' is accepted", optarg);
            }
            break;
        case OPTION_DEVICE: {
            bool help = false;
            if (!strcmp(optarg, "help") || strstr(optarg, ",help") ||
                strstr(optarg, ",?")) {
                /* Help needs the types only, not a machine. */
                qdev_device_add(optarg, &help, &err);
                if (help) {
                    status = 0;
                    goto out;
                }
                break;
            }
            config_add(&cfg.devices, &cfg.nr_devices, optarg);
            break;
        }
        case OPTION_DRIVE:
            config_add(&cfg.drives, &cfg.nr_drives, optarg);
            break;
        case OPTION_HDA: {
            /* Commas in the file name are doubled, as -drive wants. */
            StrBuf sb;
            strbuf_init(&sb);
            strbuf_append(&sb, "file=");
            for (const char *c = optarg; *c; c++) {
                strbuf_append(&sb, *c == ',' ? ",," : (char[]){ *c, 0 });
            }
            strbuf_append(&sb, ",if=virtio");
            hda_spec = strbuf_steal(&sb);
            config_add(&cfg.drives, &cfg.nr_drives, hda_spec);
            break;
        }
        case OPTION_SNAPSHOT:
            cfg.snapshot = true;
            break;
        case OPTION_BLOCKDEV:
            config_add(&cfg.blockdevs, &cfg.nr_blockdevs, optarg);
            break;
        case OPTION_LOADVM:
            cfg.loadvm = optarg;
            break;
        case OPTION_CHARDEV:
            config_add(&cfg.chardevs, &cfg.nr_chardevs, optarg);
            break;
        case OPTION_MON:
        case OPTION_MONITOR:
        case OPTION_QMP:
        case OPTION_QMP_PRETTY:
            config_add_monitor(&cfg, opt->id, optarg);
            break;
        case OPTION_D_LOG: {
            if (!strcmp(optarg, "help")) {
                qemu_print_log_usage(stdout);
                status = 0;
                goto out;
            }
            int mask = qemu_str_to_log_mask(optarg, &err);
            if (!err) {
                qemu_set_log(mask);
                memory_set_log_guest_errors(mask & LOG_GUEST_ERROR);
            }
            break;
        }
        case OPTION_D_FILE:
            qemu_set_log_filename(optarg, &err);
            break;
        case OPTION_DUMP_VMSTATE:
            cfg.dump_vmstate = optarg;
            break;
        case OPTION_INCOMING:
            cfg.incoming = optarg;
            break;
        case OPTION_PIDFILE:
            cfg.pidfile = optarg;
            break;
        case OPTION_DAEMONIZE:
            cfg.daemonize = true;
            break;
        }
        if (err) {
            error_report_err(err);
            status = 1;
            goto out;
        }
    }

    if (help_machine) {
        machine_print_help(stdout);
        status = 0;
        goto out;
    }
    if (!apply_machine_opts(&cfg, &err) || !apply_memory_opts(&cfg, &err) ||
        !apply_smp_opts(&cfg, &err)) {
        error_report_err(err);
        status = 1;
        goto out;
    }

    if (cfg.daemonize) {
        daemonize_start();
    }
    if (cfg.pidfile && !write_pidfile(cfg.pidfile, &err)) {
        error_report_err(err);
        status = 1;
        goto out;
    }

    main_loop_init();
    runstate_init();
    /* after runstate_init, which puts the default actions back */
    if (cfg.no_reboot) {
        qemu_set_reboot_action(REBOOT_ACTION_SHUTDOWN);
    }
    if (cfg.no_shutdown) {
        qemu_set_shutdown_action(SHUTDOWN_ACTION_PAUSE);
    }
    ram_mig_init();         /* guest RAM in savevm and migration streams */
    install_signal_handlers();
    bql_lock();

    for (size_t i = 0; i < cfg.nr_chardevs; i++) {
        if (!qemu_chr_new_cmdline(cfg.chardevs[i], &err)) {
            error_prepend(&err, "-chardev %s: ", cfg.chardevs[i]);
            error_report_err(err);
            status = 1;
            goto out;
        }
    }
    if (!open_block_devices(&cfg, &virtio_ids, &nr_virtio, &err) ||
        !select_accelerator(cfg.accel, &err) ||
        !create_serial_ports(&cfg, &err) ||
        !create_monitors(&cfg, &err) ||
        !build_machine(&cfg, virtio_ids, nr_virtio, &err)) {
        error_report_err(err);
        status = 1;
        goto out;
    }

    if (cfg.dump_vmstate) {
        status = dump_vmstate(cfg.dump_vmstate);
        goto out;
    }
    if (cfg.loadvm && !load_snapshot(cfg.loadvm, NULL, NULL, &err)) {
        error_prepend(&err, "-loadvm %s: ", cfg.loadvm);
        error_report_err(err);
        status = 1;
        goto out;
    }
    migration_object_init();
    if (cfg.incoming) {
        /* As QEMU: wait in inmigrate; -S decides whether it runs after. */
        runstate_set(RUN_STATE_INMIGRATE);
        migration_incoming_set_autostart(!cfg.start_paused);
        if (!migration_incoming_start(cfg.incoming, &err)) {
            error_prepend(&err, "-incoming %s: ", cfg.incoming);
            error_report_err(err);
            status = 1;
            goto out;
        }
    }
    daemonize_finish();
    if (!cfg.start_paused && !cfg.incoming) {
        vm_start();
    }
    status = qemu_main_loop();
    monitor_cleanup();
    qemu_chr_cleanup();
    bql_unlock();
out:
    close_drives();
    for (size_t i = 0; i < nr_virtio; i++) {
        free(virtio_ids[i]);
    }
    free(virtio_ids);
    free(hda_spec);
    free(cfg.drives);
    free(cfg.blockdevs);
    free(cfg.chardevs);
    free(cfg.serials);
    free(cfg.devices);
    free(cfg.monitors);
    free(guest_name);
    return status;
}
