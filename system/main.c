/*
 * Osprey entry point: command-line parsing and machine start-up.
 */
#include "util/osdep.h"
#include "util/error.h"

static void print_version(void)
{
    printf("Osprey emulator version " OSPREY_VERSION "\n");
}

static void print_help(void)
{
    print_version();
    printf("usage: osprey [options]\n"
           "\n"
           "Standard options:\n"
           "-h or -help     display this help and exit\n"
           "-version        display version information and exit\n");
}

int main(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        const char *opt = argv[i];
        /* QEMU accepts both -opt and --opt. */
        if (opt[0] == '-' && opt[1] == '-') {
            opt++;
        }
        if (!strcmp(opt, "-h") || !strcmp(opt, "-help")) {
            print_help();
            return 0;
        }
        if (!strcmp(opt, "-version")) {
            print_version();
            return 0;
        }
        error_report("%s: invalid option", argv[i]);
        return 1;
    }
    print_help();
    return 0;
}
