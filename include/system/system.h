/*
 * Process-wide settings from the command line.
 */
#ifndef SYSTEM_SYSTEM_H
#define SYSTEM_SYSTEM_H

/* -name, or NULL. */
const char *qemu_get_vm_name(void);

#endif
