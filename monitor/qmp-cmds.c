/*
 * The built-in QMP commands.  Each has a C function (used by HMP too) and
 * a table entry whose schema the dispatcher checks before the handler
 * runs, so handlers read their arguments without re-checking types.
 */
#include <fcntl.h>
#include "monitor-internal.h"
#include "system/runstate.h"
#include "migration/migration.h"
#include "hw/core/cpu.h"
#include "qom/introspect.h"
#include "block/block-backend.h"
#include "block/blockdev.h"

extern const QmpCommand qmp_capabilities_command;

/* ---- C functions ---- */

QObject *qmp_query_version(Error **errp)
{
    QObject *ver = qdict_new();
    QObject *qemu = qdict_new();
    unsigned major = 0, minor = 0, micro = 0;

    sscanf(OSPREY_VERSION, "%u.%u.%u", &major, &minor, &micro);
    /* QEMU's member order. */
    qdict_put_int(qemu, "micro", micro);
    qdict_put_int(qemu, "minor", minor);
    qdict_put_int(qemu, "major", major);
    qdict_put(ver, "qemu", qemu);
    qdict_put_str(ver, "package", "osprey-" OSPREY_VERSION);
    return ver;
}

QObject *qmp_query_status(Error **errp)
{
    QObject *st = qdict_new();

    qdict_put_str(st, "status", runstate_name(runstate_get()));
    qdict_put_bool(st, "singlestep", false);
    qdict_put_bool(st, "running", runstate_is_running());
    return st;
}

bool qmp_stop(Error **errp)
{
    if (vm_stop(RUN_STATE_PAUSED) < 0) {
        error_setg(errp, "Cannot stop the VM in state '%s'",
                   runstate_name(runstate_get()));
        return false;
    }
    return true;
}

bool qmp_cont(Error **errp)
{
    /* QEMU's checks and messages (qmp_cont). */
    if (runstate_needs_reset()) {
        error_setg(errp, "Resetting the Virtual Machine is required");
        return false;
    }
    if (runstate_check(RUN_STATE_SUSPENDED)) {
        return true;
    }
    if (runstate_check(RUN_STATE_FINISH_MIGRATE)) {
        error_setg(errp, "Migration is not finalized yet");
        return false;
    }
    /*
     * As QEMU: while the incoming stream is not in, cont only asks for
     * the VM to run once it is (the state is half loaded until then).
     */
    if (runstate_check(RUN_STATE_INMIGRATE) && migration_incoming_pending()) {
        migration_incoming_set_autostart(true);
        return true;
    }
    if (vm_start() < 0) {
        error_setg(errp, "Cannot continue the VM from state '%s'",
                   runstate_name(runstate_get()));
        return false;
    }
    return true;
}

void qmp_system_reset(void)
{
    qemu_system_reset_request(SHUTDOWN_CAUSE_HOST_QMP_SYSTEM_RESET);
}

void qmp_system_powerdown(void)
{
    qemu_system_powerdown_request();
}

void qmp_quit(void)
{
    /* quit exits even under -no-shutdown, as in QEMU. */
    qemu_set_shutdown_action(SHUTDOWN_ACTION_POWEROFF);
    qemu_system_shutdown_request(SHUTDOWN_CAUSE_HOST_QMP_QUIT);
}

QObject *qmp_query_cpus_fast(Error **errp)
{
    QObject *list = qlist_new();
    CPUState *cpu;

    CPU_FOREACH(cpu) {
        QObject *info = qdict_new();
        QObject *props = qdict_new();
        int threads = cpu->nr_threads > 0 ? cpu->nr_threads : 1;
        int cores = cpu->nr_cores > 0 ? cpu->nr_cores : 1;
        char *path = object_get_canonical_path(OBJECT(cpu));

        /* x86 topology ids as the pc machine derives them from the index. */
        qdict_put_int(props, "core-id", (cpu->cpu_index / threads) % cores);
        qdict_put_int(props, "thread-id", cpu->cpu_index % threads);
        qdict_put_int(props, "socket-id",
                      cpu->cpu_index / (threads * cores));
        qdict_put_int(info, "cpu-index", cpu->cpu_index);
        qdict_put_str(info, "qom-path", path ? path : "");
        qdict_put_int(info, "thread-id", cpu->thread_id);
        qdict_put(info, "props", props);
        qdict_put_str(info, "target", "x86_64");
        qlist_append(list, info);
        free(path);
    }
    return list;
}

QObject *qmp_query_kvm(Error **errp)
{
    QObject *info = qdict_new();
    const AccelOpsClass *accel = cpus_get_accel();
    int fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);

    if (fd >= 0) {
        close(fd);
    }
    qdict_put_bool(info, "enabled",
                   accel && accel->name && !strcmp(accel->name, "KVM"));
    qdict_put_bool(info, "present", fd >= 0);
    return info;
}

#define MACHINE_TYPE_SUFFIX "-machine"

QObject *qmp_query_machines(Error **errp)
{
    QObject *list = qlist_new();
    ObjectClass **classes;

    /*
     * Machine types are QOM types derived from "machine", named
     * "<name>-machine".  Without the machine model nothing matches and
     * the list is empty.
     */
    if (!type_get_by_name("machine")) {
        return list;
    }
    classes = object_class_get_list_sorted("machine", false, NULL);
    for (ObjectClass **k = classes; *k; k++) {
        const char *type = object_class_get_name(*k);
        size_t len = strlen(type), slen = strlen(MACHINE_TYPE_SUFFIX);
        QObject *info = qdict_new();

        if (len > slen && !strcmp(type + len - slen, MACHINE_TYPE_SUFFIX)) {
            len -= slen;
        }
        qdict_put(info, "name", qstring_from_len(type, len));
        qdict_put_bool(info, "deprecated", false);
        qlist_append(list, info);
    }
    free(classes);
    return list;
}

/* ---- table handlers ---- */

static void cmd_query_version(QObject *args, QObject **ret, Error **errp)
{
    *ret = qmp_query_version(errp);
}

static void add_command_name(const QmpCommand *cmd, void *opaque)
{
    QObject *info = qdict_new();

    qdict_put_str(info, "name", cmd->name);
    qlist_append(opaque, info);
}

static void cmd_query_commands(QObject *args, QObject **ret, Error **errp)
{
    *ret = qlist_new();
    qmp_for_each_command(add_command_name, *ret);
}

static void cmd_query_status(QObject *args, QObject **ret, Error **errp)
{
    *ret = qmp_query_status(errp);
}

static void cmd_stop(QObject *args, QObject **ret, Error **errp)
{
    qmp_stop(errp);
}

static void cmd_cont(QObject *args, QObject **ret, Error **errp)
{
    qmp_cont(errp);
}

static void cmd_system_reset(QObject *args, QObject **ret, Error **errp)
{
    qmp_system_reset();
}

static void cmd_system_powerdown(QObject *args, QObject **ret, Error **errp)
{
    qmp_system_powerdown();
}

static void cmd_quit(QObject *args, QObject **ret, Error **errp)
{
    qmp_quit();
}

static void cmd_query_cpus_fast(QObject *args, QObject **ret, Error **errp)
{
    *ret = qmp_query_cpus_fast(errp);
}

static void cmd_query_name(QObject *args, QObject **ret, Error **errp)
{
    *ret = qdict_new();
    if (monitor_get_vm_name()) {
        qdict_put_str(*ret, "name", monitor_get_vm_name());
    }
}

/* QEMU's query-block: every -drive and -blockdev, by name. */
static void cmd_query_block(QObject *args, QObject **ret, Error **errp)
{
    *ret = qmp_query_block();
}

static void cmd_block_resize(QObject *args, QObject **ret, Error **errp)
{
    qmp_block_resize(qdict_get_try_str(args, "device"),
                     qdict_get_try_str(args, "node-name"),
                     qdict_get_try_int(args, "size", 0), errp);
}

static void cmd_query_machines(QObject *args, QObject **ret, Error **errp)
{
    *ret = qmp_query_machines(errp);
}

static void cmd_query_kvm(QObject *args, QObject **ret, Error **errp)
{
    *ret = qmp_query_kvm(errp);
}

/* The lists themselves come from chardev/char-qmp.c. */
static void cmd_query_chardev(QObject *args, QObject **ret, Error **errp)
{
    *ret = qmp_query_chardev(errp);
}

static void cmd_query_chardev_backends(QObject *args, QObject **ret,
                                       Error **errp)
{
    *ret = qmp_query_chardev_backends(errp);
}

static void cmd_human_monitor_command(QObject *args, QObject **ret,
                                      Error **errp)
{
    const char *line = qdict_get_try_str(args, "command-line");
    int64_t cpu_index = qdict_get_try_int(args, "cpu-index", -1);
    char *out;

    if (qdict_haskey(args, "cpu-index") &&
        (cpu_index < 0 || cpu_index > INT_MAX || !qemu_get_cpu(cpu_index))) {
        error_setg(errp, "Parameter 'cpu-index' expects a CPU number");
        return;
    }
    out = monitor_hmp_run(line, cpu_index, errp);
    if (out) {
        *ret = qstring_from_owned(out, strlen(out));
    }
}

static void cmd_qom_list(QObject *args, QObject **ret, Error **errp)
{
    *ret = qmp_qom_list(qdict_get_try_str(args, "path"), errp);
}

static void cmd_qom_get(QObject *args, QObject **ret, Error **errp)
{
    *ret = qmp_qom_get(qdict_get_try_str(args, "path"),
                       qdict_get_try_str(args, "property"), errp);
}

static void cmd_qom_set(QObject *args, QObject **ret, Error **errp)
{
    qmp_qom_set(qdict_get_try_str(args, "path"),
                qdict_get_try_str(args, "property"),
                qdict_get(args, "value"), errp);
}

static void cmd_qom_list_types(QObject *args, QObject **ret, Error **errp)
{
    *ret = qmp_qom_list_types(qdict_get_try_str(args, "implements"),
                              qdict_get_try_bool(args, "abstract", false),
                              errp);
}

static void cmd_device_list_properties(QObject *args, QObject **ret,
                                       Error **errp)
{
    *ret = qmp_device_list_properties(qdict_get_try_str(args, "typename"),
                                      errp);
}

static const QmpArgSpec hmc_args[] = {
    { "command-line", QMP_ARG_STR },
    { "cpu-index", QMP_ARG_INT, true },
    { NULL }
};
static const QmpArgSpec path_args[] = {
    { "path", QMP_ARG_STR },
    { NULL }
};
static const QmpArgSpec qom_get_args[] = {
    { "path", QMP_ARG_STR },
    { "property", QMP_ARG_STR },
    { NULL }
};
static const QmpArgSpec qom_set_args[] = {
    { "path", QMP_ARG_STR },
    { "property", QMP_ARG_STR },
    { "value", QMP_ARG_ANY },
    { NULL }
};
static const QmpArgSpec qom_list_types_args[] = {
    { "implements", QMP_ARG_STR, true },
    { "abstract", QMP_ARG_BOOL, true },
    { NULL }
};
static const QmpArgSpec block_resize_args[] = {
    { "device", QMP_ARG_STR, true },
    { "node-name", QMP_ARG_STR, true },
    { "size", QMP_ARG_INT },
    { NULL }
};
static const QmpArgSpec typename_args[] = {
    { "typename", QMP_ARG_STR },
    { NULL }
};

static const QmpCommand builtin_commands[] = {
    { "query-version", cmd_query_version },
    { "query-commands", cmd_query_commands },
    { "query-status", cmd_query_status },
    { "stop", cmd_stop },
    { "cont", cmd_cont },
    { "system_reset", cmd_system_reset },
    { "system_powerdown", cmd_system_powerdown },
    { "quit", cmd_quit },
    { "query-cpus-fast", cmd_query_cpus_fast },
    { "query-name", cmd_query_name },
    { "query-block", cmd_query_block },
    { "block_resize", cmd_block_resize, block_resize_args },
    { "query-machines", cmd_query_machines },
    { "query-kvm", cmd_query_kvm },
    { "query-chardev", cmd_query_chardev },
    { "query-chardev-backends", cmd_query_chardev_backends },
    { "human-monitor-command", cmd_human_monitor_command, hmc_args },
    { "qom-list", cmd_qom_list, path_args },
    { "qom-get", cmd_qom_get, qom_get_args },
    { "qom-set", cmd_qom_set, qom_set_args },
    { "qom-list-types", cmd_qom_list_types, qom_list_types_args },
    { "device-list-properties", cmd_device_list_properties, typename_args },
};

void qmp_init_builtin_commands(void)
{
    static bool done;

    if (done) {
        return;
    }
    done = true;
    qmp_register_command(&qmp_capabilities_command);
    for (size_t i = 0; i < ARRAY_SIZE(builtin_commands); i++) {
        qmp_register_command(&builtin_commands[i]);
    }
}

/* Registered at start-up so other subsystems' commands come after them. */
static void __attribute__((constructor)) qmp_builtin_commands_init(void)
{
    qmp_init_builtin_commands();
}
