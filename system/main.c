/*
 * Osprey entry point: command-line parsing and machine start-up.
 *
 * Options are described as data in system/options.def; parsing only
 * collects them, and start-up then builds the machine in a fixed order.
 */
#include "util/osdep.h"
#include "util/error.h"
#include "migration/vmstate.h"

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

/*
 * -dump-vmstate: QEMU writes the descriptions of the machine it built;
 * ours are those registered so far.
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

int main(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        if (arg[0] != '-') {
            error_report("%s: invalid option (disk image arguments are not "
                         "supported)", arg);
            return 1;
        }
        const OptionDef *opt = lookup_option(arg);
        if (!opt) {
            error_report("%s: invalid option", arg);
            return 1;
        }
        const char *optarg = NULL;
        if (opt->has_arg) {
            if (i + 1 >= argc) {
                error_report("%s: requires an argument", arg);
                return 1;
            }
            optarg = argv[++i];
        }
        switch (opt->id) {
        case OPTION_H:
        case OPTION_HELP:
            print_help();
            return 0;
        case OPTION_VERSION:
            print_version();
            return 0;
        case OPTION_DUMP_VMSTATE:
            return dump_vmstate(optarg);
        }
    }
    print_help();
    return 0;
}
