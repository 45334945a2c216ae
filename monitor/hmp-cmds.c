/*
 * HMP commands: formatting over the QMP-level functions.
 */
#include "monitor-internal.h"
#include "monitor/hmp.h"
#include "util/log.h"
#include "accel/tcg/cpu-exec.h"
#include "block/block-backend.h"
#include "block/blockdev.h"
#include "hw/core/cpu.h"
#include "hw/qdev-core.h"
#include "memory/memory.h"
#include "qom/introspect.h"
#include "system/runstate.h"
#ifdef CONFIG_CAPSTONE
#include <capstone/capstone.h>
#endif

void hmp_help_cmd(Monitor *mon, const char *name);

static void hmp_help(Monitor *mon, const QObject *args)
{
    hmp_help_cmd(mon, qdict_get_try_str(args, "name"));
}

static void hmp_info_status(Monitor *mon, const QObject *args)
{
    QObject *st = qmp_query_status(NULL);
    const char *status = qdict_get_try_str(st, "status");
    bool running = qdict_get_try_bool(st, "running", false);

    monitor_printf(mon, "VM status: %s", running ? "running" : "paused");
    /* As QEMU: name states that are neither running nor a plain pause. */
    if (!running && strcmp(status, "paused") != 0) {
        monitor_printf(mon, " (%s)", status);
    }
    monitor_printf(mon, "\n");
    qobject_unref(st);
}

static void hmp_info_version(Monitor *mon, const QObject *args)
{
    QObject *ver = qmp_query_version(NULL);
    QObject *q = qdict_get(ver, "qemu");

    monitor_printf(mon, "%" PRId64 ".%" PRId64 ".%" PRId64 " (%s)\n",
                   qdict_get_try_int(q, "major", 0),
                   qdict_get_try_int(q, "minor", 0),
                   qdict_get_try_int(q, "micro", 0),
                   qdict_get_try_str(ver, "package"));
    qobject_unref(ver);
}

static void hmp_info_cpus(Monitor *mon, const QObject *args)
{
    CPUState *cur = monitor_get_cpu(mon);
    CPUState *cpu;

    CPU_FOREACH(cpu) {
        CPUClass *cc = CPU_GET_CLASS(cpu);

        monitor_printf(mon, "%c CPU #%d:", cpu == cur ? '*' : ' ',
                       cpu->cpu_index);
        if (cc->get_pc) {
            /* under KVM the kernel holds the registers: pull them (once) */
            cpu_synchronize_state(cpu);
            monitor_printf(mon, " pc=0x%016" PRIx64, cc->get_pc(cpu));
        }
        if (cpu->halted) {
            monitor_printf(mon, " (halted)");
        }
        monitor_printf(mon, " thread_id=%d\n", cpu->thread_id);
    }
}

static void dump_cpu_state(Monitor *mon, CPUState *cpu)
{
    CPUClass *cc = CPU_GET_CLASS(cpu);
    char *text = NULL;
    size_t len = 0;
    FILE *f;

    if (!cc->dump_state) {
        monitor_printf(mon, "CPU#%d: no register dump for this CPU\n",
                       cpu->cpu_index);
        return;
    }
    cpu_synchronize_state(cpu);
    f = open_memstream(&text, &len);
    if (!f) {
        monitor_printf(mon, "out of memory\n");
        return;
    }
    cc->dump_state(cpu, f, 0);
    fclose(f);
    monitor_puts(mon, text);
    free(text);
}

static void hmp_info_registers(Monitor *mon, const QObject *args)
{
    CPUState *cpu;

    if (qdict_get_try_bool(args, "cpustate_all", false)) {
        CPU_FOREACH(cpu) {
            monitor_printf(mon, "\nCPU#%d\n", cpu->cpu_index);
            dump_cpu_state(mon, cpu);
        }
        return;
    }
    cpu = monitor_get_cpu(mon);
    if (!cpu) {
        monitor_printf(mon, "No CPU available\n");
        return;
    }
    dump_cpu_state(mon, cpu);
}

static void hmp_info_mtree(Monitor *mon, const QObject *args)
{
    StrBuf sb;

    strbuf_init(&sb);
    mtree_info(&sb, qdict_get_try_bool(args, "flatview", false),
               qdict_get_try_bool(args, "owner", false),
               qdict_get_try_bool(args, "disabled", false));
    monitor_puts(mon, sb.str ? sb.str : "");
    strbuf_free(&sb);
}

static void hmp_info_qtree(Monitor *mon, const QObject *args)
{
    StrBuf sb;

    strbuf_init(&sb);
    qdev_print_tree(&sb, NULL);
    monitor_puts(mon, sb.str ? sb.str : "");
    strbuf_free(&sb);
}

static int collect_child(Object *child, void *opaque)
{
    StrBuf *names = opaque;

    strbuf_append_len(names, (const char *)&child, sizeof(child));
    return 0;
}

static int compare_children(const void *a, const void *b)
{
    return strcmp(object_get_canonical_path_component(*(Object *const *)a),
                  object_get_canonical_path_component(*(Object *const *)b));
}

/* QEMU's `info qom-tree`: "/name (type)", children sorted, +2 indent. */
static void print_qom_composition(Monitor *mon, Object *obj, int indent)
{
    const char *name = obj == object_get_root() ? "" :
                       object_get_canonical_path_component(obj);
    StrBuf children;
    size_t n;

    monitor_printf(mon, "%*s/%s (%s)\n", indent, "", name ? name : "",
                   object_get_typename(obj));
    strbuf_init(&children);
    object_child_foreach(obj, collect_child, &children);
    n = children.len / sizeof(Object *);
    if (n) {
        Object **list = (Object **)children.str;

        qsort(list, n, sizeof(Object *), compare_children);
        for (size_t i = 0; i < n; i++) {
            print_qom_composition(mon, list[i], indent + 2);
        }
    }
    strbuf_free(&children);
}

static void hmp_info_qom_tree(Monitor *mon, const QObject *args)
{
    const char *path = qdict_get_try_str(args, "path");
    bool ambiguous = false;
    Object *obj;

    if (path) {
        obj = object_resolve_path(path, &ambiguous);
        if (!obj) {
            monitor_printf(mon, "Path '%s' could not be resolved.\n", path);
            return;
        }
        if (ambiguous) {
            monitor_printf(mon, "Warning: Path '%s' is ambiguous.\n", path);
            return;
        }
    } else {
        obj = qdev_get_machine();
    }
    print_qom_composition(mon, obj, 0);
}

static void hmp_info_chardev(Monitor *mon, const QObject *args)
{
    QObject *list = qmp_query_chardev(NULL);

    for (size_t i = 0; i < qlist_size(list); i++) {
        QObject *c = qlist_get(list, i);

        monitor_printf(mon, "%s: filename=%s\n",
                       qdict_get_try_str(c, "label"),
                       qdict_get_try_str(c, "filename"));
    }
    qobject_unref(list);
}

static void hmp_stop(Monitor *mon, const QObject *args)
{
    Error *err = NULL;

    qmp_stop(&err);
    hmp_handle_error(mon, err);
}

static void hmp_cont(Monitor *mon, const QObject *args)
{
    Error *err = NULL;

    qmp_cont(&err);
    hmp_handle_error(mon, err);
}

static void hmp_system_reset(Monitor *mon, const QObject *args)
{
    qmp_system_reset();
}

static void hmp_system_powerdown(Monitor *mon, const QObject *args)
{
    qmp_system_powerdown();
}

static void hmp_quit(Monitor *mon, const QObject *args)
{
    monitor_flush(mon);
    qmp_quit();
}

static void hmp_qom_list(Monitor *mon, const QObject *args)
{
    const char *path = qdict_get_try_str(args, "path");
    Error *err = NULL;
    QObject *list;

    if (!path) {
        monitor_printf(mon, "/\n");
        return;
    }
    list = qmp_qom_list(path, &err);
    for (size_t i = 0; list && i < qlist_size(list); i++) {
        QObject *p = qlist_get(list, i);

        monitor_printf(mon, "%s (%s)\n", qdict_get_try_str(p, "name"),
                       qdict_get_try_str(p, "type"));
    }
    qobject_unref(list);
    hmp_handle_error(mon, err);
}

static void hmp_qom_get(Monitor *mon, const QObject *args)
{
    Error *err = NULL;
    QObject *value = qmp_qom_get(qdict_get_try_str(args, "path"),
                                 qdict_get_try_str(args, "property"), &err);

    if (value) {
        char *json = qobject_to_json_pretty(value);

        monitor_printf(mon, "%s\n", json);
        free(json);
        qobject_unref(value);
    }
    hmp_handle_error(mon, err);
}

static void hmp_qom_set(Monitor *mon, const QObject *args)
{
    const char *path = qdict_get_try_str(args, "path");
    const char *property = qdict_get_try_str(args, "property");
    const char *value = qdict_get_try_str(args, "value");
    Error *err = NULL;

    if (qdict_get_try_bool(args, "json", false)) {
        QObject *obj = qobject_from_json(value, &err);

        if (obj) {
            qmp_qom_set(path, property, obj, &err);
            qobject_unref(obj);
        }
    } else {
        bool ambiguous = false;
        Object *obj = object_resolve_path(path, &ambiguous);

        if (!obj) {
            error_set(&err, ERROR_CLASS_DEVICE_NOT_FOUND,
                      "Device '%s' not found", path);
        } else {
            if (ambiguous) {
                monitor_printf(mon, "Warning: Path '%s' is ambiguous\n",
                               path);
            }
            object_property_parse(obj, property, value, &err);
        }
    }
    hmp_handle_error(mon, err);
}

/* ---- x, xp, print ---- */

static void monitor_printc(Monitor *mon, int c)
{
    monitor_printf(mon, "'");
    switch (c) {
    case '\'':
        monitor_printf(mon, "\\'");
        break;
    case '\\':
        monitor_printf(mon, "\\\\");
        break;
    case '\n':
        monitor_printf(mon, "\\n");
        break;
    case '\r':
        monitor_printf(mon, "\\r");
        break;
    default:
        if (c >= 32 && c <= 126) {
            monitor_printf(mon, "%c", c);
        } else {
            monitor_printf(mon, "\\x%02x", c);
        }
        break;
    }
    monitor_printf(mon, "'");
}

/* Read guest memory as x/xp see it; false if it cannot be read. */
static bool monitor_read_memory(Monitor *mon, CPUState *cpu, uint64_t addr,
                                uint8_t *buf, int len, bool is_physical)
{
    if (!is_physical && cpu) {
        CPUClass *cc = CPU_GET_CLASS(cpu);

        if (cc->memory_rw_debug) {
            return cc->memory_rw_debug(cpu, addr, buf, len, false) == 0;
        }
    }
    /* Until the CPU translates, virtual addresses are physical. */
    return address_space_read(&address_space_memory, addr,
                              MEMTXATTRS_UNSPECIFIED, buf, len) == MEMTX_OK;
}

static void monitor_disas(Monitor *mon, CPUState *cpu, uint64_t addr,
                          int count, bool is_physical)
{
#ifdef CONFIG_CAPSTONE
    csh handle;
    cs_insn *insn;
    uint8_t buf[16];

    if (cs_open(CS_ARCH_X86, CS_MODE_64, &handle) != CS_ERR_OK) {
        monitor_printf(mon, "Cannot open the disassembler\n");
        return;
    }
    insn = cs_malloc(handle);
    for (int i = 0; i < count; i++) {
        const uint8_t *code = buf;
        size_t size = sizeof(buf);
        uint64_t pc = addr;

        /* Read what one instruction may span, less near the end of RAM. */
        while (size > 0 &&
               !monitor_read_memory(mon, cpu, addr, buf, size, is_physical)) {
            size--;
        }
        if (!size) {
            monitor_printf(mon, "0x%08" PRIx64 ":  Cannot access memory\n",
                           addr);
            break;
        }
        if (!cs_disasm_iter(handle, &code, &size, &pc, insn)) {
            monitor_printf(mon, "0x%08" PRIx64 ":  %02x        (bad)\n",
                           addr, buf[0]);
            addr++;
            continue;
        }
        monitor_printf(mon, "0x%08" PRIx64 ":  ", addr);
        for (int b = 0; b < insn->size; b++) {
            monitor_printf(mon, "%02x ", insn->bytes[b]);
        }
        monitor_printf(mon, "%*s %-8s %s\n", (16 - insn->size) * 3, "",
                       insn->mnemonic, insn->op_str);
        addr += insn->size;
    }
    cs_free(insn, 1);
    cs_close(&handle);
#else
    monitor_printf(mon, "Disassembly is not available (built without "
                   "capstone)\n");
#endif
}

/* QEMU's memory_dump: 16 bytes a line (8 for bytes). */
static void memory_dump(Monitor *mon, int count, int format, int wsize,
                        uint64_t addr, bool is_physical)
{
    CPUState *cpu = monitor_get_cpu(mon);
    int l, line_size, i, max_digits;
    int64_t len;
    uint8_t buf[16];
    uint64_t v;

    if (format == 'i') {
        monitor_disas(mon, cpu, addr, count, is_physical);
        return;
    }
    if (format < 0) {
        format = mon->last_format;
    }
    if (wsize < 0) {
        wsize = format == 'c' ? 1 : mon->last_size;
    }
    if (format == 'c') {
        wsize = 1;
    }
    len = (int64_t)wsize * count;
    line_size = wsize == 1 ? 8 : 16;
    switch (format) {
    case 'o':
        max_digits = DIV_ROUND_UP(wsize * 8, 3);
        break;
    case 'u':
    case 'd':
        max_digits = DIV_ROUND_UP(wsize * 8 * 10, 33);
        break;
    case 'x':
    default:
        max_digits = (wsize * 8) / 4;
        break;
    }
    while (len > 0) {
        monitor_printf(mon, "%016" PRIx64 ":", addr);
        l = len > line_size ? line_size : len;
        if (!monitor_read_memory(mon, cpu, addr, buf, l, is_physical)) {
            monitor_printf(mon, " Cannot access memory\n");
            break;
        }
        for (i = 0; i < l; i += wsize) {
            switch (wsize) {
            case 1:
                v = buf[i];
                break;
            case 2:
                v = buf[i] | (uint16_t)buf[i + 1] << 8;
                break;
            case 4:
                v = 0;
                for (int b = 3; b >= 0; b--) {
                    v = v << 8 | buf[i + b];
                }
                break;
            default:
                v = 0;
                for (int b = 7; b >= 0; b--) {
                    v = v << 8 | buf[i + b];
                }
                break;
            }
            monitor_printf(mon, " ");
            switch (format) {
            case 'o':
                monitor_printf(mon, "%#*" PRIo64, max_digits, v);
                break;
            case 'u':
                monitor_printf(mon, "%*" PRIu64, max_digits, v);
                break;
            case 'd': {
                /* Signed at the unit's width. */
                int shift = 64 - wsize * 8;
                int64_t s = shift ? (int64_t)(v << shift) >> shift
                                  : (int64_t)v;
                monitor_printf(mon, "%*" PRId64, max_digits, s);
                break;
            }
            case 'c':
                monitor_printc(mon, v);
                break;
            case 'x':
            default:
                monitor_printf(mon, "0x%0*" PRIx64, max_digits, v);
                break;
            }
        }
        monitor_printf(mon, "\n");
        addr += l;
        len -= l;
    }
}

static void hmp_memory_dump(Monitor *mon, const QObject *args)
{
    memory_dump(mon, qdict_get_try_int(args, "count", 1),
                qdict_get_try_int(args, "format", -1),
                qdict_get_try_int(args, "size", -1),
                qdict_get_try_int(args, "addr", 0), false);
}

static void hmp_physical_memory_dump(Monitor *mon, const QObject *args)
{
    memory_dump(mon, qdict_get_try_int(args, "count", 1),
                qdict_get_try_int(args, "format", -1),
                qdict_get_try_int(args, "size", -1),
                qdict_get_try_int(args, "addr", 0), true);
}

static void hmp_print(Monitor *mon, const QObject *args)
{
    int format = qdict_get_try_int(args, "format", -1);
    int64_t val = qdict_get_try_int(args, "val", 0);

    switch (format) {
    case 'o':
        monitor_printf(mon, "%#" PRIo64, (uint64_t)val);
        break;
    case 'x':
        monitor_printf(mon, "%#" PRIx64, (uint64_t)val);
        break;
    case 'u':
        monitor_printf(mon, "%" PRIu64, (uint64_t)val);
        break;
    case 'c':
        monitor_printc(mon, val & 0xff);
        break;
    case 'd':
    default:
        monitor_printf(mon, "%" PRId64, val);
        break;
    }
    monitor_printf(mon, "\n");
}

static void hmp_info_jit(Monitor *mon, const QObject *args)
{
    StrBuf sb = { 0 };
    tcg_dump_info(&sb);
    monitor_puts(mon, sb.str ? sb.str : "");
    strbuf_free(&sb);
}

static void hmp_info_block_cmd(Monitor *mon, const QObject *args)
{
    char *text = hmp_info_block();
    monitor_puts(mon, text);
    free(text);
}

/* block_resize device size: a plain number is MiB, as QEMU's 'o' type. */
static void hmp_block_resize(Monitor *mon, const QObject *args)
{
    Error *err = NULL;

    qmp_block_resize(qdict_get_try_str(args, "device"), NULL,
                     qdict_get_try_int(args, "size", 0), &err);
    hmp_handle_error(mon, err);
}

/* log item1,item2 / log none: what -d logs, changed at run time. */
static void hmp_log(Monitor *mon, const QObject *args)
{
    const char *items = qdict_get_try_str(args, "items");
    Error *err = NULL;
    int mask = 0;

    if (strcmp(items, "none")) {
        mask = qemu_str_to_log_mask(items, &err);
        if (err) {
            hmp_handle_error(mon, err);
            return;
        }
    }
    qemu_set_log(mask);
    memory_set_log_guest_errors(mask & LOG_GUEST_ERROR);
}

static const HMPCommand hmp_cmds[] = {
    { "help|?", "name:s?", "[cmd]",
      "show the help", hmp_help },
    { "info", "item:s?", "[subcommand]",
      "show various information about the system state", NULL },
    { "stop", "", "", "stop emulation", hmp_stop },
    { "cont|c", "", "", "resume emulation", hmp_cont },
    { "system_reset", "", "", "reset the system", hmp_system_reset },
    { "system_powerdown", "", "", "send system power down event",
      hmp_system_powerdown },
    { "quit|q", "", "", "quit the emulator", hmp_quit },
    { "qom-list", "path:s?", "path",
      "list QOM properties", hmp_qom_list },
    { "qom-get", "path:s,property:s", "path property",
      "print QOM property", hmp_qom_get },
    { "qom-set", "json:-j,path:s,property:s,value:S",
      "[-j] path property value",
      "set QOM property.\n\t\t\t-j: the value is specified in json format.",
      hmp_qom_set },
    { "x", "fmt:/,addr:l", "/fmt addr",
      "virtual memory dump starting at 'addr' (physical until the CPU "
      "translates addresses)", hmp_memory_dump },
    { "xp", "fmt:/,addr:l", "/fmt addr",
      "physical memory dump starting at 'addr'",
      hmp_physical_memory_dump },
    { "log", "items:s", "item1[,...]|none",
      "log the named items (as -d; 'none' stops logging)", hmp_log },
    { "print|p", "fmt:/,val:l", "/fmt expr",
      "print expression value (use $reg for CPU register access)",
      hmp_print },
    { "block_resize", "device:s,size:o", "device size",
      "resize a block image", hmp_block_resize },
};

static const HMPCommand hmp_info_cmds[] = {
    { "block", "", "", "show the block devices", hmp_info_block_cmd },
    { "chardev", "", "", "show the character devices", hmp_info_chardev },
    { "cpus", "", "", "show infos for each CPU", hmp_info_cpus },
    { "jit", "", "", "show the software CPU's translation statistics",
      hmp_info_jit },
    { "mtree", "flatview:-f,owner:-o,disabled:-D", "[-f][-o][-D]",
      "show memory tree (-f: dump flat view for address spaces;"
      "-o: dump region owners/parents;-D: dump disabled regions)",
      hmp_info_mtree },
    { "qom-tree", "path:s?", "[path]",
      "show QOM composition tree", hmp_info_qom_tree },
    { "qtree", "", "", "show device tree", hmp_info_qtree },
    { "registers", "cpustate_all:-a", "[-a]",
      "show the cpu registers (-a: all - show register info for all cpus)",
      hmp_info_registers },
    { "status", "", "", "show the current VM status (running|paused)",
      hmp_info_status },
    { "version", "", "", "show the version of Osprey", hmp_info_version },
};

static void __attribute__((constructor)) hmp_cmds_init(void)
{
    for (size_t i = 0; i < ARRAY_SIZE(hmp_cmds); i++) {
        hmp_register_command(&hmp_cmds[i], false);
    }
    for (size_t i = 0; i < ARRAY_SIZE(hmp_info_cmds); i++) {
        hmp_register_command(&hmp_info_cmds[i], true);
    }
}
