/*
 * Creating devices from the command line (-device) and the monitor
 * (device_add, device_del), as QEMU's qdev-monitor.
 */
#ifndef SYSTEM_QDEV_MONITOR_H
#define SYSTEM_QDEV_MONITOR_H

#include "hw/qdev-core.h"
#include "util/qobject.h"

/*
 * Create and realize a device from "driver[,id=ID][,bus=NAME][,prop=v...]".
 * "help" or "driver,help" print what exists (to stdout) and return NULL
 * with *help_printed set.
 */
DeviceState *qdev_device_add(const char *optstr, bool *help_printed,
                             Error **errp);
/* The same from a QDict {"driver": ..., "id": ..., props...} (QMP). */
DeviceState *qdev_device_add_from_qdict(const QObject *opts, Error **errp);
/* device_del: unplug through the device's hotplug handler. */
bool qdev_device_del(const char *id_or_path, Error **errp);
/* Print user-creatable devices, as -device help. */
void qdev_print_device_list(FILE *out);
/* Print a device type's properties, as -device DRIVER,help. */
bool qdev_print_device_properties(FILE *out, const char *driver,
                                  Error **errp);

#endif
