/*
 * mux: one chardev shared by up to MAX_MUX frontends (serial + monitor
 * for mon:stdio and -nographic).  Output from every frontend goes to the
 * base chardev; input goes to the frontend with focus.  C-a (0x01) starts
 * an escape:
 *   C-a h  help            C-a x  quit (prints "osprey: terminated")
 *   C-a c  next frontend   C-a b  break to the focused frontend
 *   C-a C-a  one C-a to the focused frontend
 *
 * Input passes through a small pending queue and then a ring per
 * frontend.  A frontend that cannot read keeps its bytes in its ring;
 * when the ring and the queue are full, the mux stops reading from the
 * base chardev, so nothing is dropped.  The cost, as in QEMU: while the
 * focused frontend reads nothing, escapes wait behind its input.
 */
#include "chardev/char.h"

#define MAX_MUX 4
#define MUX_BUFFER_SIZE 32
#define MUX_ESCAPE_CHAR 0x01

typedef struct MuxRing {
    uint8_t buf[MUX_BUFFER_SIZE];
    unsigned prod, cons;    /* free-running; prod - cons = bytes held */
} MuxRing;

typedef struct MuxChardev {
    Chardev parent;
    CharBackend chr;        /* the mux as frontend of the base chardev */
    CharBackend *backends[MAX_MUX];
    MuxRing rings[MAX_MUX];
    int mux_cnt;
    int focus;              /* -1 until a frontend sets handlers */
    bool got_escape;
    uint8_t pending[MUX_BUFFER_SIZE];   /* read, not yet escape-processed */
    int pending_len;
} MuxChardev;

static void default_quit_hook(void *opaque)
{
    exit(0);
}

static void (*quit_hook)(void *opaque) = default_quit_hook;
static void *quit_hook_opaque;

void qemu_chr_set_quit_hook(void (*hook)(void *opaque), void *opaque)
{
    quit_hook = hook ? hook : default_quit_hook;
    quit_hook_opaque = opaque;
}

static MuxChardev *mux_of(Chardev *chr)
{
    assert(qemu_chr_is_mux(chr));
    return (MuxChardev *)chr;
}

static void mux_send_event(MuxChardev *d, int idx, QEMUChrEvent event)
{
    CharBackend *be = d->backends[idx];

    if (be && be->chr_event) {
        be->chr_event(be->opaque, event);
    }
}

static void mux_write_str(MuxChardev *d, const char *s)
{
    qemu_chr_write(&d->parent, (const uint8_t *)s, strlen(s), true);
}

static void mux_print_help(MuxChardev *d)
{
    mux_write_str(d, "\n\r"
                  "C-a h    print this help\n\r"
                  "C-a x    exit emulator\n\r"
                  "C-a b    send break (magic sysrq)\n\r"
                  "C-a c    switch between console and monitor\n\r"
                  "C-a C-a  sends C-a\n\r");
}

/* Hand buffered bytes to frontend idx while it takes them. */
static void mux_flush_ring(MuxChardev *d, int idx)
{
    CharBackend *be = d->backends[idx];
    MuxRing *r = &d->rings[idx];

    while (be && be->chr_can_read && r->prod != r->cons) {
        int avail = be->chr_can_read(be->opaque);
        unsigned start = r->cons % MUX_BUFFER_SIZE;
        int n = MIN((unsigned)avail, r->prod - r->cons);

        if (avail <= 0) {
            break;
        }
        n = MIN(n, (int)(MUX_BUFFER_SIZE - start));
        r->cons += n;
        if (be->chr_read) {
            be->chr_read(be->opaque, r->buf + start, n);
        }
    }
}

static void mux_set_focus_locked(MuxChardev *d, int idx)
{
    if (idx < 0 || idx >= d->mux_cnt) {
        return;
    }
    if (d->focus >= 0 && d->focus != idx) {
        mux_send_event(d, d->focus, CHR_EVENT_MUX_OUT);
    }
    d->focus = idx;
    d->parent.be = d->backends[idx];
    mux_send_event(d, idx, CHR_EVENT_MUX_IN);
}

/* Returns true if ch is input for the focused frontend. */
static bool mux_proc_byte(MuxChardev *d, uint8_t ch)
{
    if (!d->got_escape) {
        if (ch == MUX_ESCAPE_CHAR) {
            d->got_escape = true;
            return false;
        }
        return true;
    }
    d->got_escape = false;
    switch (ch) {
    case MUX_ESCAPE_CHAR:
        return true;
    case 'h':
    case '?':
        mux_print_help(d);
        break;
    case 'x':
        mux_write_str(d, "osprey: terminated\n\r");
        quit_hook(quit_hook_opaque);
        break;
    case 'b':
        if (d->focus >= 0) {
            mux_send_event(d, d->focus, CHR_EVENT_BREAK);
        }
        break;
    case 'c':
        if (d->mux_cnt > 0) {
            mux_set_focus_locked(d, (d->focus + 1) % d->mux_cnt);
        }
        break;
    default:
        /* Unknown escapes are swallowed, as in QEMU. */
        break;
    }
    return false;
}

/* Move pending bytes into the focused ring, processing escapes. */
static void mux_process_pending(MuxChardev *d)
{
    int done = 0;

    while (done < d->pending_len && d->focus >= 0) {
        MuxRing *r = &d->rings[d->focus];
        if (r->prod - r->cons >= MUX_BUFFER_SIZE) {
            /* Drain first: a frontend may take bytes right away. */
            mux_flush_ring(d, d->focus);
            if (r->prod - r->cons >= MUX_BUFFER_SIZE) {
                break;
            }
        }
        uint8_t ch = d->pending[done++];
        if (mux_proc_byte(d, ch)) {
            r = &d->rings[d->focus];
            r->buf[r->prod++ % MUX_BUFFER_SIZE] = ch;
        }
    }
    memmove(d->pending, d->pending + done, d->pending_len - done);
    d->pending_len -= done;
    for (int i = 0; i < d->mux_cnt; i++) {
        mux_flush_ring(d, i);
    }
}

static int mux_chr_can_read(void *opaque)
{
    MuxChardev *d = opaque;

    if (d->focus < 0 || !d->backends[d->focus]) {
        return 0;
    }
    return MUX_BUFFER_SIZE - d->pending_len;
}

static void mux_chr_read(void *opaque, const uint8_t *buf, int size)
{
    MuxChardev *d = opaque;

    while (size > 0) {
        int n = MIN(size, MUX_BUFFER_SIZE - d->pending_len);
        if (n <= 0) {
            /* The base ignored can_read; nowhere to keep the rest. */
            warn_report("chardev '%s': mux input overrun, %d bytes dropped",
                        d->parent.label, size);
            return;
        }
        memcpy(d->pending + d->pending_len, buf, n);
        d->pending_len += n;
        buf += n;
        size -= n;
        mux_process_pending(d);
    }
}

static void mux_chr_event(void *opaque, QEMUChrEvent event)
{
    MuxChardev *d = opaque;

    switch (event) {
    case CHR_EVENT_OPENED:
    case CHR_EVENT_CLOSED:
        d->parent.be_open = event == CHR_EVENT_OPENED;
        for (int i = 0; i < d->mux_cnt; i++) {
            mux_send_event(d, i, event);
        }
        break;
    default:
        if (d->focus >= 0) {
            mux_send_event(d, d->focus, event);
        }
        break;
    }
}

static bool mux_chr_open(Chardev *chr, const ChardevBackendOptions *opts,
                         bool *be_opened, Error **errp)
{
    MuxChardev *d = mux_of(chr);
    Chardev *base = qemu_chr_find(opts->chardev);

    d->focus = -1;
    if (!base) {
        error_setg(errp, "chardev '%s': chardev '%s' not found", chr->label,
                   opts->chardev);
        return false;
    }
    if (qemu_chr_is_mux(base)) {
        error_setg(errp, "chardev '%s': cannot multiplex mux '%s'",
                   chr->label, opts->chardev);
        return false;
    }
    if (!qemu_chr_fe_init(&d->chr, base, errp)) {
        return false;
    }
    *be_opened = base->be_open;
    qemu_chr_fe_set_handlers(&d->chr, mux_chr_can_read, mux_chr_read,
                             mux_chr_event, d);
    qemu_chr_set_filename(chr, "mux");
    return true;
}

static int mux_chr_write(Chardev *chr, const uint8_t *buf, int len)
{
    MuxChardev *d = mux_of(chr);

    return qemu_chr_fe_write(&d->chr, buf, len);
}

static void mux_chr_wait_writable(Chardev *chr)
{
    Chardev *base = mux_of(chr)->chr.chr;

    if (base && base->driver->chr_wait_writable) {
        base->driver->chr_wait_writable(base);
    }
}

static void mux_write_ready(void *opaque)
{
    qemu_chr_be_write_ready(opaque);
}

static bool mux_chr_add_write_watch(Chardev *chr)
{
    return qemu_chr_fe_add_write_watch(&mux_of(chr)->chr, mux_write_ready,
                                       chr);
}

static void mux_chr_accept_input(Chardev *chr)
{
    MuxChardev *d = mux_of(chr);

    for (int i = 0; i < d->mux_cnt; i++) {
        mux_flush_ring(d, i);
    }
    mux_process_pending(d);
    qemu_chr_fe_accept_input(&d->chr);
}

static int mux_chr_attach_frontend(Chardev *chr, CharBackend *be,
                                   Error **errp)
{
    MuxChardev *d = mux_of(chr);

    if (d->mux_cnt >= MAX_MUX) {
        error_setg(errp, "too many uses of multiplexed chardev '%s'",
                   chr->label);
        return -1;
    }
    d->backends[d->mux_cnt] = be;
    return d->mux_cnt++;
}

static void mux_chr_detach_frontend(Chardev *chr, CharBackend *be)
{
    MuxChardev *d = mux_of(chr);

    if (be->tag < 0 || be->tag >= d->mux_cnt || d->backends[be->tag] != be) {
        return;
    }
    d->backends[be->tag] = NULL;
    d->rings[be->tag].cons = d->rings[be->tag].prod;
    if (chr->be == be) {
        chr->be = NULL;
    }
}

static void mux_chr_set_handlers(Chardev *chr, CharBackend *be)
{
    MuxChardev *d = mux_of(chr);

    /* As QEMU: the frontend that sets handlers last gets the focus. */
    if (be->fe_is_open) {
        mux_set_focus_locked(d, be->tag);
    }
    /* The base may have stopped reading while nobody could take input. */
    mux_chr_accept_input(chr);
}

static void mux_chr_finalize(Chardev *chr)
{
    MuxChardev *d = mux_of(chr);

    for (int i = 0; i < d->mux_cnt; i++) {
        if (d->backends[i]) {
            d->backends[i]->chr = NULL;
        }
    }
    chr->be = NULL;
    qemu_chr_fe_deinit(&d->chr, false);
}

void qemu_chr_mux_set_focus(Chardev *chr, int idx)
{
    MuxChardev *d = mux_of(chr);

    mux_set_focus_locked(d, idx);
    mux_chr_accept_input(chr);
}

int qemu_chr_mux_get_focus(Chardev *chr)
{
    return mux_of(chr)->focus;
}

static const ChardevClass mux_driver = {
    .name = "mux",
    .kind = CHARDEV_BACKEND_MUX,
    .instance_size = sizeof(MuxChardev),
    .open = mux_chr_open,
    .chr_write = mux_chr_write,
    .chr_wait_writable = mux_chr_wait_writable,
    .chr_add_write_watch = mux_chr_add_write_watch,
    .chr_accept_input = mux_chr_accept_input,
    .chr_attach_frontend = mux_chr_attach_frontend,
    .chr_detach_frontend = mux_chr_detach_frontend,
    .chr_set_handlers = mux_chr_set_handlers,
    .finalize = mux_chr_finalize,
};

static void __attribute__((constructor)) mux_chr_register(void)
{
    qemu_chr_register_driver(&mux_driver);
}
