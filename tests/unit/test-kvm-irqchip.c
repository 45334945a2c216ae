/*
 * The in-kernel irqchip conversions, without /dev/kvm: Osprey's PIC,
 * IOAPIC, LAPIC and PIT state <-> KVM's structures (KVM_GET/SET_IRQCHIP,
 * _LAPIC, _PIT2), which the models' VMState hooks use under KVM so that
 * one stream format serves both accelerators.  Every field must survive
 * model -> KVM -> model and KVM -> model -> KVM, and land where the
 * kernel's layout (Documentation/virt/kvm/api.rst, the xAPIC register
 * page) has it.  Also the TSC <-> tsc_offset conversion of the CPU state.
 */
#include "test.h"
#include <linux/kvm.h>
#include "hw/intc/i8259.h"
#include "hw/intc/ioapic.h"
#include "hw/i386/apic.h"
#include "hw/timer/i8254.h"
#include "target/x86/kvm.h"
#include "system/kvm.h"

/* ---- PIC --------------------------------------------------------------- */

static void pic_fill(PICCommonState *s, uint8_t seed)
{
    uint8_t *r = (uint8_t *)&s->r;

    for (size_t i = 0; i < sizeof(s->r); i++) {
        r[i] = seed + 7 * i;
    }
    s->elcr_mask = 0xf8;
    s->r.elcr &= s->elcr_mask;
}

static void test_pic_roundtrip(void **state)
{
    PICCommonState a, b;
    struct kvm_pic_state k;

    memset(&a, 0, sizeof(a));
    pic_fill(&a, 0x11);
    pic_state_to_kvm(&a, &k);
    /* Field by field: KVM's names are QEMU's. */
    assert_int_equal(k.last_irr, a.r.last_irr);
    assert_int_equal(k.irr, a.r.irr);
    assert_int_equal(k.imr, a.r.imr);
    assert_int_equal(k.isr, a.r.isr);
    assert_int_equal(k.priority_add, a.r.priority_add);
    assert_int_equal(k.irq_base, a.r.irq_base);
    assert_int_equal(k.read_reg_select, a.r.read_reg_select);
    assert_int_equal(k.poll, a.r.poll);
    assert_int_equal(k.special_mask, a.r.special_mask);
    assert_int_equal(k.init_state, a.r.init_state);
    assert_int_equal(k.auto_eoi, a.r.auto_eoi);
    assert_int_equal(k.rotate_on_auto_eoi, a.r.rotate_on_auto_eoi);
    assert_int_equal(k.special_fully_nested_mode,
                     a.r.special_fully_nested_mode);
    assert_int_equal(k.init4, a.r.init4);
    assert_int_equal(k.elcr, a.r.elcr);
    assert_int_equal(k.elcr_mask, 0xf8);

    /* Back into a chip with the same single_mode and property. */
    memset(&b, 0, sizeof(b));
    b.elcr_mask = a.elcr_mask;
    b.r.single_mode = a.r.single_mode;
    pic_state_from_kvm(&b, &k);
    assert_memory_equal(&b.r, &a.r, sizeof(a.r));
}

static void test_pic_kvm_roundtrip(void **state)
{
    PICCommonState s;
    struct kvm_pic_state k, k2;
    uint8_t *p = (uint8_t *)&k;

    for (size_t i = 0; i < sizeof(k); i++) {
        p[i] = 0x5a + 13 * i;
    }
    memset(&s, 0, sizeof(s));
    s.elcr_mask = 0xff;
    k.elcr_mask = 0xff;
    s.r.single_mode = 1;
    pic_state_from_kvm(&s, &k);
    /* KVM has no single_mode: the chip's is left alone. */
    assert_int_equal(s.r.single_mode, 1);
    pic_state_to_kvm(&s, &k2);
    assert_memory_equal(&k2, &k, sizeof(k));
}

/* ELCR bits the chip cannot have (elcr_mask) are dropped on the way in. */
static void test_pic_elcr_mask(void **state)
{
    PICCommonState s;
    struct kvm_pic_state k;

    memset(&s, 0, sizeof(s));
    memset(&k, 0, sizeof(k));
    s.elcr_mask = 0xde;         /* the slave's: IRQ 8 and 13 edge only */
    k.elcr = 0xff;
    pic_state_from_kvm(&s, &k);
    assert_int_equal(s.r.elcr, 0xde);
}

/* ---- IOAPIC -------------------------------------------------------------- */

static void test_ioapic_layout(void **state)
{
    IOAPICCommonState a, b;
    struct kvm_ioapic_state k;
    uint64_t e = 0x31 |                              /* vector */
                 ((uint64_t)APIC_DM_LOWPRI << IOAPIC_LVT_DELIV_MODE_SHIFT) |
                 IOAPIC_LVT_DEST_MODE | IOAPIC_LVT_POLARITY |
                 IOAPIC_LVT_REMOTE_IRR | IOAPIC_LVT_TRIGGER_MODE |
                 IOAPIC_LVT_MASKED | (0x5ULL << IOAPIC_LVT_DEST_SHIFT);

    memset(&a, 0, sizeof(a));
    a.id = 3;
    a.ioregsel = 0x21;
    a.irr = 0x00a50001;
    a.line = 0x00800010;
    for (int i = 0; i < IOAPIC_NUM_PINS; i++) {
        a.ioredtbl[i] = IOAPIC_LVT_MASKED | (0x20 + i);
    }
    a.ioredtbl[2] = e;
    ioapic_state_to_kvm(&a, &k, IOAPIC_DEFAULT_BASE);
    assert_int_equal(k.base_address, 0xfec00000);
    assert_int_equal(k.id, 3);                /* a number, not ID's bits */
    assert_int_equal(k.ioregsel, 0x21);
    assert_int_equal(k.irr, 0x00a50001);
    assert_int_equal(k.redirtbl[2].bits, e);
    /* The hardware's bit layout, as KVM's bit-field view reads it. */
    assert_int_equal(k.redirtbl[2].fields.vector, 0x31);
    assert_int_equal(k.redirtbl[2].fields.delivery_mode, APIC_DM_LOWPRI);
    assert_int_equal(k.redirtbl[2].fields.dest_mode, 1);
    assert_int_equal(k.redirtbl[2].fields.polarity, 1);
    assert_int_equal(k.redirtbl[2].fields.remote_irr, 1);
    assert_int_equal(k.redirtbl[2].fields.trig_mode, 1);
    assert_int_equal(k.redirtbl[2].fields.mask, 1);
    assert_int_equal(k.redirtbl[2].fields.dest_id, 5);
    assert_int_equal(k.redirtbl[0].fields.vector, 0x20);
    assert_int_equal(k.redirtbl[0].fields.mask, 1);
    assert_int_equal(k.redirtbl[23].fields.vector, 0x37);

    memset(&b, 0, sizeof(b));
    b.line = a.line;            /* not in KVM's state: stays as it is */
    ioapic_state_from_kvm(&b, &k);
    assert_int_equal(b.id, a.id);
    assert_int_equal(b.ioregsel, a.ioregsel);
    assert_int_equal(b.irr, a.irr);
    assert_int_equal(b.line, a.line);
    assert_memory_equal(b.ioredtbl, a.ioredtbl, sizeof(a.ioredtbl));
}

/* ---- LAPIC ---------------------------------------------------------------- */

static uint32_t reg(const struct kvm_lapic_state *k, int off)
{
    uint32_t v;

    memcpy(&v, k->regs + off, 4);
    return v;
}

static void put_reg(struct kvm_lapic_state *k, int off, uint32_t v)
{
    memcpy(k->regs + off, &v, 4);
}

static void apic_fill(APICCommonState *s)
{
    memset(s, 0, sizeof(*s));
    s->version = 0x14;
    s->id = 2;
    s->tpr = 0x30;
    s->log_dest = 0x04;
    s->dest_mode = 0xf;
    s->spurious_vec = APIC_SV_ENABLE | 0xff;
    for (int i = 0; i < 8; i++) {
        s->isr[i] = 0x01010101u << (i % 4);
        s->tmr[i] = 0x80000000u >> i;
        s->irr[i] = 0x00100000u * (i + 1);
    }
    s->esr = APIC_ESR_RECV_ILLEGAL_VECTOR;
    s->icr[0] = 0x000c4500;
    s->icr[1] = 0x03000000;
    for (int i = 0; i < APIC_LVT_NB; i++) {
        s->lvt[i] = APIC_LVT_MASKED | (0x40 + i);
    }
    s->lvt[APIC_LVT_LINT0] = APIC_DM_EXTINT << 8;
    s->divide_conf = 0x3;       /* divide by 16 */
    s->count_shift = 4;
}

static void test_apic_layout(void **state)
{
    APICCommonState s;
    struct kvm_lapic_state k;
    int64_t now = 1000000000;

    apic_fill(&s);
    s.lvt[APIC_LVT_TIMER] = 0xef;                  /* one-shot, vector */
    s.initial_count = 1000;
    /* 250 ticks of 16 ns ago */
    s.initial_count_load_time = now - 250 * 16;
    apic_state_to_kvm(&s, &k, now);

    assert_int_equal(reg(&k, 0x20), 2u << 24);    /* ID */
    assert_int_equal(reg(&k, 0x30) & 0xff, 0x14); /* version */
    assert_int_equal(reg(&k, 0x80), 0x30);        /* TPR */
    assert_int_equal(reg(&k, 0xd0), 0x04u << 24); /* LDR */
    assert_int_equal(reg(&k, 0xe0), 0xffffffff);  /* DFR flat */
    assert_int_equal(reg(&k, 0xf0), 0x1ff);       /* SVR */
    for (int i = 0; i < 8; i++) {
        assert_int_equal(reg(&k, 0x100 + 0x10 * i), s.isr[i]);
        assert_int_equal(reg(&k, 0x180 + 0x10 * i), s.tmr[i]);
        assert_int_equal(reg(&k, 0x200 + 0x10 * i), s.irr[i]);
    }
    assert_int_equal(reg(&k, 0x280), APIC_ESR_RECV_ILLEGAL_VECTOR);
    assert_int_equal(reg(&k, 0x300), 0x000c4500);
    assert_int_equal(reg(&k, 0x310), 0x03000000);
    assert_int_equal(reg(&k, 0x320), 0xef);
    assert_int_equal(reg(&k, 0x330), APIC_LVT_MASKED | 0x41);
    assert_int_equal(reg(&k, 0x340), APIC_LVT_MASKED | 0x42);
    assert_int_equal(reg(&k, 0x350), 0x700);
    assert_int_equal(reg(&k, 0x360), APIC_LVT_MASKED | 0x44);
    assert_int_equal(reg(&k, 0x370), APIC_LVT_MASKED | 0x45);
    assert_int_equal(reg(&k, 0x380), 1000);
    assert_int_equal(reg(&k, 0x390), 750);        /* current count */
    assert_int_equal(reg(&k, 0x3e0), 0x3);

    /* Cluster model: DFR bits 31:28 are 0. */
    s.dest_mode = 0;
    apic_state_to_kvm(&s, &k, now);
    assert_int_equal(reg(&k, 0xe0), 0x0fffffff);
}

static void test_apic_roundtrip_oneshot(void **state)
{
    APICCommonState a, b;
    struct kvm_lapic_state k;
    int64_t now = 5000000000LL;

    apic_fill(&a);
    a.lvt[APIC_LVT_TIMER] = 0xef;
    a.initial_count = 1000;
    a.initial_count_load_time = now - 250 * 16;
    a.next_time = a.initial_count_load_time + 1001 * 16;
    a.apicbase = APIC_DEFAULT_ADDRESS | MSR_IA32_APICBASE_ENABLE;
    a.esr_pending = APIC_ESR_ILLEGAL_ADDRESS;
    a.extint_level = true;
    apic_state_to_kvm(&a, &k, now);

    memset(&b, 0, sizeof(b));
    b.version = a.version;
    b.apicbase = a.apicbase;           /* the CPU's MSR, not in the page */
    b.esr_pending = a.esr_pending;
    b.extint_level = a.extint_level;
    apic_state_from_kvm(&b, &k, now);
    assert_memory_equal(&b, &a, sizeof(a));
}

static void test_apic_roundtrip_periodic(void **state)
{
    APICCommonState a, b;
    struct kvm_lapic_state k;
    int64_t now = 7000000000LL;

    apic_fill(&a);
    a.lvt[APIC_LVT_TIMER] = APIC_LVT_TIMER_PERIODIC | 0xec;
    a.divide_conf = 0xb;        /* divide by 1 */
    a.count_shift = 0;
    a.initial_count = 99;       /* period 100 ticks */
    /* loaded 3 periods and 40 ticks ago: current count 59 */
    a.initial_count_load_time = now - 340;
    apic_state_to_kvm(&a, &k, now);
    assert_int_equal(reg(&k, 0x390), 59);

    memset(&b, 0, sizeof(b));
    b.version = a.version;
    apic_state_from_kvm(&b, &k, now);
    /* Same phase: the same count now and later, the same next expiry. */
    assert_int_equal(b.initial_count_load_time, now - 40);
    assert_int_equal(b.next_time, now + 60);
    apic_state_to_kvm(&b, &k, now + 17);
    assert_int_equal(reg(&k, 0x390), 42);
    assert_int_equal(b.count_shift, 0);
    assert_int_equal(b.lvt[APIC_LVT_TIMER], a.lvt[APIC_LVT_TIMER]);
}

/* An expired one-shot timer stays expired; a stopped one stays stopped. */
static void test_apic_expired_and_stopped(void **state)
{
    APICCommonState s;
    struct kvm_lapic_state k;
    int64_t now = 9000000000LL;

    memset(&k, 0, sizeof(k));
    put_reg(&k, 0x320, 0x30);   /* one-shot */
    put_reg(&k, 0x380, 500);
    put_reg(&k, 0x390, 0);
    put_reg(&k, 0x3e0, 0xb);
    memset(&s, 0, sizeof(s));
    s.next_time = -1;
    apic_state_from_kvm(&s, &k, now);
    assert_int_equal(s.initial_count_load_time, now - 500);
    assert_int_equal(s.next_time, -1);          /* not re-armed */
    apic_state_to_kvm(&s, &k, now + 1000);
    assert_int_equal(reg(&k, 0x390), 0);

    put_reg(&k, 0x380, 0);
    apic_state_from_kvm(&s, &k, now);
    assert_int_equal(s.initial_count, 0);
    apic_state_to_kvm(&s, &k, now + 1000);
    assert_int_equal(reg(&k, 0x390), 0);
}

static void test_apic_kvm_roundtrip(void **state)
{
    APICCommonState s;
    struct kvm_lapic_state k, k2;
    static const int offs[] = {
        0x20, 0x80, 0xd0, 0xf0, 0x280, 0x300, 0x310,
        0x320, 0x330, 0x340, 0x350, 0x360, 0x370, 0x380, 0x390, 0x3e0,
    };
    int64_t now = 3000000000LL;

    memset(&k, 0, sizeof(k));
    put_reg(&k, 0x20, 1u << 24);
    put_reg(&k, 0x80, 0x20);
    put_reg(&k, 0xd0, 0x02u << 24);
    put_reg(&k, 0xe0, 0xffffffff);
    put_reg(&k, 0xf0, 0x1ff);
    for (int i = 0; i < 8; i++) {
        put_reg(&k, 0x100 + 0x10 * i, 0x1000u << i);
        put_reg(&k, 0x180 + 0x10 * i, 0x3u << i);
        put_reg(&k, 0x200 + 0x10 * i, 0x80u << i);
    }
    put_reg(&k, 0x280, 0x40);
    put_reg(&k, 0x300, 0x4031);
    put_reg(&k, 0x310, 0x01000000);
    put_reg(&k, 0x320, 0x20030);        /* periodic */
    put_reg(&k, 0x330, 0x10000);
    put_reg(&k, 0x340, 0x10000);
    put_reg(&k, 0x350, 0x700);
    put_reg(&k, 0x360, 0x400);
    put_reg(&k, 0x370, 0x10000);
    put_reg(&k, 0x380, 100000);
    put_reg(&k, 0x390, 12345);
    put_reg(&k, 0x3e0, 0x1);            /* divide by 4 */
    memset(&s, 0, sizeof(s));
    apic_state_from_kvm(&s, &k, now);
    assert_int_equal(s.count_shift, 2);
    apic_state_to_kvm(&s, &k2, now);
    for (size_t i = 0; i < ARRAY_SIZE(offs); i++) {
        assert_int_equal(reg(&k2, offs[i]), reg(&k, offs[i]));
    }
    for (int off = 0x100; off < 0x280; off += 0x10) {
        assert_int_equal(reg(&k2, off), reg(&k, off));
    }
}

/* ---- PIT ------------------------------------------------------------------ */

static void pit_fill(PITCommonState *p)
{
    memset(p, 0, sizeof(*p));
    for (int i = 0; i < 3; i++) {
        PITChannelState *s = &p->channels[i];

        s->count = 0x1000 + i;
        s->latched_count = 0x200 + i;
        s->count_latched = 1 + i;
        s->status_latched = i & 1;
        s->status = 0x30 + i;
        s->read_state = 3;
        s->write_state = 4;
        s->write_latch = 0x40 + i;
        s->rw_mode = 3;
        s->mode = 2 + i;
        s->bcd = 0;
        s->gate = i != 2;
        s->counting = 1;
        s->count_load_time = 1000000 + 100 * i;
    }
}

static void test_pit_roundtrip(void **state)
{
    PITCommonState a, b;
    struct kvm_pit_state2 k;
    int64_t offset = -123456789;     /* virtual - monotonic */
    int64_t now = 2000000;

    pit_fill(&a);
    a.channels[1].mode = 1;             /* waiting for its gate */
    a.channels[1].counting = 0;
    a.channels[2].null_count = 1;       /* control word, no count yet */
    a.channels[2].counting = 0;
    pit_state_to_kvm(&a, &k, offset);
    for (int i = 0; i < 3; i++) {
        assert_int_equal(k.channels[i].count, a.channels[i].count);
        assert_int_equal(k.channels[i].latched_count,
                         a.channels[i].latched_count);
        assert_int_equal(k.channels[i].count_latched,
                         a.channels[i].count_latched);
        assert_int_equal(k.channels[i].status, a.channels[i].status);
        assert_int_equal(k.channels[i].write_latch,
                         a.channels[i].write_latch);
        assert_int_equal(k.channels[i].mode, a.channels[i].mode);
        assert_int_equal(k.channels[i].gate, a.channels[i].gate);
        /* on the kernel's clock */
        assert_int_equal(k.channels[i].count_load_time,
                         a.channels[i].count_load_time - offset);
    }
    assert_int_equal(k.flags, 0);

    /* Back into a PIT with the flags KVM does not carry. */
    memset(&b, 0, sizeof(b));
    for (int i = 0; i < 3; i++) {
        b.channels[i].null_count = a.channels[i].null_count;
        b.channels[i].counting = a.channels[i].counting;
    }
    pit_state_from_kvm(&b, &k, offset, now);
    /* counter 0 (mode 2, count 0x1000) next goes low at count 1 */
    a.channels[0].next_transition_time =
        b.channels[0].next_transition_time;
    assert_memory_equal(&b.channels, &a.channels, sizeof(a.channels));
    assert_true(b.channels[0].next_transition_time > now);
    assert_true(b.channels[0].next_transition_time <=
                now + 0x1000 * 1000000000LL / PIT_FREQ + 1);
}

/* KVM's never-programmed counters (mode 0xff) are idle ones here, and back. */
static void test_pit_never_programmed(void **state)
{
    PITCommonState p;
    struct kvm_pit_state2 k, k2;

    memset(&k, 0, sizeof(k));
    for (int i = 0; i < 3; i++) {
        k.channels[i].mode = 0xff;
        k.channels[i].count = 0x10000;
        k.channels[i].gate = i != 2;
        k.channels[i].count_load_time = 5000;
    }
    pit_fill(&p);       /* a running PIT: reset state is mode 3, counting */
    pit_state_from_kvm(&p, &k, 0, 10000);
    for (int i = 0; i < 3; i++) {
        assert_int_equal(p.channels[i].counting, 0);
        assert_int_equal(p.channels[i].null_count, 0);
        assert_true(p.channels[i].mode <= 5);
        assert_int_equal(p.channels[i].count, 0x10000);
    }
    assert_int_equal(p.channels[0].next_transition_time, -1);
    pit_state_to_kvm(&p, &k2, 0);
    for (int i = 0; i < 3; i++) {
        assert_int_equal(k2.channels[i].mode, 0xff);
        assert_int_equal(k2.channels[i].count, 0x10000);
        assert_int_equal(k2.channels[i].count_load_time, 5000);
    }
}

/* A count of 0 from the kernel would divide by zero here: 0x10000. */
static void test_pit_bad_count(void **state)
{
    PITCommonState p;
    struct kvm_pit_state2 k;

    memset(&k, 0, sizeof(k));
    for (int i = 0; i < 3; i++) {
        k.channels[i].mode = 2;
        k.channels[i].count = 0;
    }
    pit_fill(&p);
    pit_state_from_kvm(&p, &k, 0, 0);
    for (int i = 0; i < 3; i++) {
        assert_int_equal(p.channels[i].count, 0x10000);
    }
}

/* ---- TSC ---------------------------------------------------------------- */

static void test_tsc_offset(void **state)
{
    CPUX86State env;

    memset(&env, 0, sizeof(env));
    x86_kvm_tsc_to_env(&env, 0x123456789abcULL, 5000000);
    assert_int_equal(env.tsc_offset, 0x123456789abcULL - 5000000);
    /* Virtual time went on by 1 ms: so did the TSC (1 GHz). */
    assert_int_equal(x86_kvm_tsc_from_env(&env, 6000000),
                     0x123456789abcULL + 1000000);
    /* A TSC behind the virtual clock: the offset is negative. */
    x86_kvm_tsc_to_env(&env, 10, 5000000);
    assert_int_equal(x86_kvm_tsc_from_env(&env, 5000000), 10);
}

/* ---- multiprocessing state ------------------------------------------- */

static void test_mp_state(void **state)
{
    static const uint32_t kept[] = {
        KVM_MP_STATE_RUNNABLE, KVM_MP_STATE_HALTED,
        KVM_MP_STATE_UNINITIALIZED,
    };
    CPUX86State env;

    memset(&env, 0, sizeof(env));
    for (size_t i = 0; i < ARRAY_SIZE(kept); i++) {
        x86_kvm_mp_state_to_env(&env, kept[i]);
        assert_int_equal(x86_kvm_mp_state_from_env(&env), kept[i]);
    }
    x86_kvm_mp_state_to_env(&env, KVM_MP_STATE_HALTED);
    assert_int_equal(env.halted, 1);
    assert_false(env.hflags2 & HF2_WAIT_SIPI);
    /* An AP after INIT waits for SIPI, as after power-on. */
    x86_kvm_mp_state_to_env(&env, KVM_MP_STATE_INIT_RECEIVED);
    assert_int_equal(env.halted, 0);
    assert_true(env.hflags2 & HF2_WAIT_SIPI);
    assert_int_equal(x86_kvm_mp_state_from_env(&env),
                     KVM_MP_STATE_UNINITIALIZED);
    x86_kvm_mp_state_to_env(&env, KVM_MP_STATE_RUNNABLE);
    assert_int_equal(env.halted, 0);
    assert_false(env.hflags2 & HF2_WAIT_SIPI);
}

/* Without KVM nothing reaches a kernel irqchip. */
static void test_no_kvm(void **state)
{
    struct kvm_irqchip chip = { .chip_id = KVM_IRQCHIP_IOAPIC };
    struct kvm_pit_state2 pit;
    struct kvm_lapic_state lapic;

    assert_false(kvm_pit_in_kernel());
    assert_int_equal(kvm_irqchip_get(&chip), -ENOSYS);
    assert_int_equal(kvm_irqchip_set(&chip), -ENOSYS);
    assert_int_equal(kvm_pit_get(&pit), -ENOSYS);
    assert_int_equal(kvm_pit_set(&pit), -ENOSYS);
    assert_int_equal(kvm_lapic_get(NULL, &lapic), -ENOSYS);
    assert_int_equal(kvm_lapic_set(NULL, &lapic), -ENOSYS);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pic_roundtrip),
        cmocka_unit_test(test_pic_kvm_roundtrip),
        cmocka_unit_test(test_pic_elcr_mask),
        cmocka_unit_test(test_ioapic_layout),
        cmocka_unit_test(test_apic_layout),
        cmocka_unit_test(test_apic_roundtrip_oneshot),
        cmocka_unit_test(test_apic_roundtrip_periodic),
        cmocka_unit_test(test_apic_expired_and_stopped),
        cmocka_unit_test(test_apic_kvm_roundtrip),
        cmocka_unit_test(test_pit_roundtrip),
        cmocka_unit_test(test_pit_never_programmed),
        cmocka_unit_test(test_pit_bad_count),
        cmocka_unit_test(test_tsc_offset),
        cmocka_unit_test(test_mp_state),
        cmocka_unit_test(test_no_kvm),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
