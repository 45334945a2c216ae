/*
 * Notifier lists, as QEMU's: a subscriber embeds a Notifier and adds it to
 * a list; notifier_list_notify calls every notifier with the event's data.
 * A notifier may remove itself from inside its callback.
 */
#ifndef UTIL_NOTIFY_H
#define UTIL_NOTIFY_H

#include "util/osdep.h"
#include "util/queue.h"

typedef struct Notifier Notifier;

struct Notifier {
    void (*notify)(Notifier *notifier, void *data);
    QLIST_ENTRY(Notifier) node;
};

typedef struct NotifierList {
    QLIST_HEAD(, Notifier) notifiers;
} NotifierList;

#define NOTIFIER_LIST_INITIALIZER(head) \
    { QLIST_HEAD_INITIALIZER((head).notifiers) }

static inline void notifier_list_init(NotifierList *list)
{
    QLIST_INIT(&list->notifiers);
}

static inline void notifier_list_add(NotifierList *list, Notifier *notifier)
{
    QLIST_INSERT_HEAD(&list->notifiers, notifier, node);
}

static inline void notifier_remove(Notifier *notifier)
{
    if (QLIST_IS_INSERTED(notifier, node)) {
        QLIST_REMOVE(notifier, node);
    }
}

static inline void notifier_list_notify(NotifierList *list, void *data)
{
    Notifier *notifier, *next;

    QLIST_FOREACH_SAFE(notifier, &list->notifiers, node, next) {
        notifier->notify(notifier, data);
    }
}

static inline bool notifier_list_empty(NotifierList *list)
{
    return QLIST_EMPTY(&list->notifiers);
}

#endif
