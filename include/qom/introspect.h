/*
 * Introspection of the object model for the monitor, in the JSON shapes
 * of QEMU's QMP commands (the QMP layer wraps these as "return" values):
 *   qom-list-types          [{"name", "parent"?, "abstract"? (if true)}]
 *   qom-list                [{"name", "type", "description"?}]
 *   qom-get / qom-set       property values as QObjects
 *   device-list-properties  [{"name", "type", "description"?,
 *                             "default-value"?}]
 *   qom-list-properties     same shape, for any type
 * Results are new references; NULL (and *errp) on error.
 */
#ifndef QOM_INTROSPECT_H
#define QOM_INTROSPECT_H

#include "qom/object.h"

/* Sorted by name.  @implements may be NULL; @abstract includes abstract
 * types. */
QObject *qmp_qom_list_types(const char *implements, bool abstract,
                            Error **errp);
QObject *qmp_qom_list(const char *path, Error **errp);
QObject *qmp_qom_get(const char *path, const char *property, Error **errp);
bool qmp_qom_set(const char *path, const char *property, QObject *value,
                 Error **errp);
QObject *qmp_device_list_properties(const char *typename, Error **errp);
QObject *qmp_qom_list_properties(const char *typename, Error **errp);

/* Resolve a path the way the QOM commands do, with their messages:
 * "Device 'x' not found" (DeviceNotFound), "Path 'x' is ambiguous". */
Object *qom_resolve_path(const char *path, Error **errp);

#endif
