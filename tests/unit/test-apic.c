/*
 * Local APIC: timer modes under a stepped virtual clock, TPR/PPR masking,
 * EOI broadcast for level-triggered vectors, IPIs between two CPUs, MSI
 * decoding, the xAPIC page as seen from a vCPU, and x2APIC MSR rules.
 *
 * The CPUs are unrealized objects of a test CPU type: the APIC only needs
 * them for cpu_interrupt(), which records the request in
 * interrupt_request (and kicks nobody) when there is no thread.
 */
#include "test.h"
#include "hw/i386/apic.h"
#include "hw/qdev-properties.h"
#include "memory/memory.h"
#include "system/main-loop.h"
#include "system/timer.h"

#define TYPE_TEST_CPU "test-apic-cpu"

static const TypeInfo test_cpu_type = {
    .name = TYPE_TEST_CPU,
    .parent = TYPE_CPU,
    .instance_size = sizeof(CPUState),
    .class_size = sizeof(CPUClass),
};

static void register_test_cpu(void)
{
    type_register_static(&test_cpu_type);
}
type_init(register_test_cpu)

#define NCPUS 3

typedef struct Fixture {
    CPUState *cpu[NCPUS];
    DeviceState *apic[NCPUS];
} Fixture;

static int eoi_vectors[16];
static int eoi_count;

static void fake_ioapic_eoi(Notifier *n, void *data)
{
    if (eoi_count < 16) {
        eoi_vectors[eoi_count] = *(int *)data;
    }
    eoi_count++;
}

static Notifier eoi_notifier = { .notify = fake_ioapic_eoi };

static int setup(void **state)
{
    Fixture *f = xnew(Fixture);

    for (int i = 0; i < NCPUS; i++) {
        f->cpu[i] = CPU(object_new(TYPE_TEST_CPU));
        f->cpu[i]->cpu_index = i;
        f->apic[i] = qdev_new(TYPE_APIC);
        qdev_prop_set_uint32(f->apic[i], "id", i);
        assert_true(object_property_set_link(OBJECT(f->apic[i]), "cpu",
                                             OBJECT(f->cpu[i]), NULL));
        assert_true(qdev_realize(f->apic[i], NULL, NULL));
        device_cold_reset(f->apic[i]);
    }
    eoi_count = 0;
    apic_add_eoi_notifier(&eoi_notifier);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    Fixture *f = *state;

    apic_remove_eoi_notifier(&eoi_notifier);
    for (int i = 0; i < NCPUS; i++) {
        qdev_unrealize(f->apic[i]);
        object_unref(f->apic[i]);
        object_unref(f->cpu[i]);
    }
    free(f);
    return 0;
}

static void wr(DeviceState *apic, hwaddr reg, uint32_t val)
{
    apic_mem_writel(apic, reg, val);
}

static uint32_t rd(DeviceState *apic, hwaddr reg)
{
    return apic_mem_readl(apic, reg);
}

static void sw_enable(DeviceState *apic)
{
    wr(apic, APIC_REG_SVR, APIC_SV_ENABLE | 0xff);
}

/* Take every deliverable interrupt, EOI each; count those == vector. */
static int drain(DeviceState *apic, int vector)
{
    int n = 0, v;

    while ((v = apic_get_interrupt(apic)) >= 0 && v != 0xff) {
        if (v == vector) {
            n++;
        }
        wr(apic, APIC_REG_EOI, 0);
    }
    return n;
}

static int64_t vnow(void)
{
    return qemu_clock_get_ns(QEMU_CLOCK_VIRTUAL);
}

static void test_version_and_reset_state(void **state)
{
    Fixture *f = *state;

    assert_int_equal(rd(f->apic[0], APIC_REG_VERSION), 0x50014);
    assert_int_equal(rd(f->apic[1], APIC_REG_ID), 1u << 24);
    assert_int_equal(cpu_get_apic_base(f->apic[0]),
                     APIC_DEFAULT_ADDRESS | MSR_IA32_APICBASE_ENABLE |
                     MSR_IA32_APICBASE_BSP);
    assert_int_equal(cpu_get_apic_base(f->apic[1]),
                     APIC_DEFAULT_ADDRESS | MSR_IA32_APICBASE_ENABLE);
    assert_int_equal(rd(f->apic[1], APIC_REG_LVT_TIMER), APIC_LVT_MASKED);
    assert_int_equal(rd(f->apic[0], APIC_REG_SVR), 0xff);
    assert_true(apic_wait_for_sipi(f->apic[1]));
    assert_false(apic_wait_for_sipi(f->apic[0]));
    assert_ptr_equal(cpu_get_apic(f->cpu[2]), f->apic[2]);
}

static void test_timer_oneshot(void **state)
{
    Fixture *f = *state;
    DeviceState *a = f->apic[0];
    int64_t t0 = vnow();

    sw_enable(a);
    wr(a, APIC_REG_TIMER_DIVIDE, 0x3);          /* divide by 16 */
    wr(a, APIC_REG_LVT_TIMER, 0x30);            /* one-shot, vector 0x30 */
    wr(a, APIC_REG_TIMER_INITIAL, 1000);        /* 16000 ns */
    assert_int_equal(rd(a, APIC_REG_TIMER_CURRENT), 1000);

    qemu_clock_advance_virtual_time(t0 + 8000);
    assert_int_equal(rd(a, APIC_REG_TIMER_CURRENT), 500);
    assert_int_equal(drain(a, 0x30), 0);

    /* As QEMU: the count runs initial..0, firing on the tick after 0. */
    qemu_clock_advance_virtual_time(t0 + 16000);
    assert_int_equal(rd(a, APIC_REG_TIMER_CURRENT), 0);
    assert_int_equal(drain(a, 0x30), 0);
    qemu_clock_advance_virtual_time(t0 + 16016);
    assert_true(f->cpu[0]->interrupt_request & CPU_INTERRUPT_HARD);
    assert_int_equal(drain(a, 0x30), 1);
    assert_int_equal(rd(a, APIC_REG_TIMER_CURRENT), 0);

    qemu_clock_advance_virtual_time(t0 + 1000000);
    assert_int_equal(drain(a, 0x30), 0);
}

static void test_timer_periodic(void **state)
{
    Fixture *f = *state;
    DeviceState *a = f->apic[1];
    int64_t t0 = vnow();
    int fired = 0;

    sw_enable(a);
    wr(a, APIC_REG_TIMER_DIVIDE, 0xb);          /* divide by 1 */
    wr(a, APIC_REG_LVT_TIMER, APIC_LVT_TIMER_PERIODIC | 0x31);
    wr(a, APIC_REG_TIMER_INITIAL, 199999);      /* 200 us period */

    for (int step = 1; step <= 100; step++) {
        qemu_clock_advance_virtual_time(t0 + step * 10000);
        fired += drain(a, 0x31);
    }
    /* 1 ms: 5 periods. */
    assert_int_equal(fired, 5);

    /* Masking the LVT keeps the timer counting but delivers nothing. */
    wr(a, APIC_REG_LVT_TIMER,
       APIC_LVT_TIMER_PERIODIC | APIC_LVT_MASKED | 0x31);
    qemu_clock_advance_virtual_time(t0 + 2000000);
    assert_int_equal(drain(a, 0x31), 0);

    /* Writing 0 to the initial count stops it. */
    wr(a, APIC_REG_LVT_TIMER, APIC_LVT_TIMER_PERIODIC | 0x31);
    wr(a, APIC_REG_TIMER_INITIAL, 0);
    qemu_clock_advance_virtual_time(t0 + 3000000);
    assert_int_equal(drain(a, 0x31), 0);
}

static void test_timer_tsc_deadline(void **state)
{
    Fixture *f = *state;
    DeviceState *a = f->apic[0];
    uint64_t tsc;

    sw_enable(a);
    wr(a, APIC_REG_LVT_TIMER, APIC_LVT_TIMER_TSCDEADLINE | 0x32);
    tsc = apic_get_tsc(a);      /* 1 GHz: one tick per virtual ns */
    apic_set_tsc_deadline(a, tsc + 50000);
    assert_int_equal(apic_get_tsc_deadline(a), tsc + 50000);
    qemu_clock_advance_virtual_time(vnow() + 49999);
    assert_int_equal(drain(a, 0x32), 0);
    qemu_clock_advance_virtual_time(vnow() + 1);
    assert_int_equal(drain(a, 0x32), 1);
    assert_int_equal(apic_get_tsc_deadline(a), 0);
    /* The initial count register is ignored in this mode. */
    wr(a, APIC_REG_TIMER_INITIAL, 10);
    assert_int_equal(rd(a, APIC_REG_TIMER_INITIAL), 0);
}

static void test_tpr_ppr(void **state)
{
    Fixture *f = *state;
    DeviceState *a = f->apic[0];

    sw_enable(a);
    wr(a, APIC_REG_TPR, 0x50);
    apic_deliver_irq(0, APIC_DESTMODE_PHYSICAL, APIC_DM_FIXED, 0x45,
                     APIC_TRIGGER_EDGE);
    assert_true(rd(a, APIC_REG_IRR + 0x20) & (1u << 5)); /* 0x45 */
    assert_int_equal(rd(a, APIC_REG_PPR), 0x50);
    assert_false(f->cpu[0]->interrupt_request & CPU_INTERRUPT_HARD);
    assert_int_equal(apic_get_interrupt(a), 0xff);  /* spurious */

    wr(a, APIC_REG_TPR, 0x30);
    assert_true(f->cpu[0]->interrupt_request & CPU_INTERRUPT_HARD);
    assert_int_equal(apic_get_interrupt(a), 0x45);
    /* In service: PPR is the ISR class, a same-class vector waits. */
    assert_int_equal(rd(a, APIC_REG_PPR), 0x40);
    apic_deliver_irq(0, APIC_DESTMODE_PHYSICAL, APIC_DM_FIXED, 0x44,
                     APIC_TRIGGER_EDGE);
    apic_deliver_irq(0, APIC_DESTMODE_PHYSICAL, APIC_DM_FIXED, 0x80,
                     APIC_TRIGGER_EDGE);
    assert_int_equal(apic_get_interrupt(a), 0x80);  /* nests */
    wr(a, APIC_REG_EOI, 0);
    assert_int_equal(apic_get_interrupt(a), 0xff);  /* 0x44 blocked */
    wr(a, APIC_REG_EOI, 0);
    assert_int_equal(apic_get_interrupt(a), 0x44);
    wr(a, APIC_REG_EOI, 0);
    assert_int_equal(apic_get_interrupt(a), -1);
    assert_int_equal(rd(a, APIC_REG_PPR), 0x30);
}

static void test_eoi_broadcast(void **state)
{
    Fixture *f = *state;
    DeviceState *a = f->apic[1];

    sw_enable(a);
    /* Level-triggered MSI, as the IOAPIC sends. */
    address_space_stl_le(&address_space_memory, APIC_DEFAULT_ADDRESS | 1 << 12,
                         0x61 | APIC_TRIGGER_LEVEL << 15 | 1 << 14,
                         MEMTXATTRS_UNSPECIFIED, NULL);
    address_space_stl_le(&address_space_memory, APIC_DEFAULT_ADDRESS | 1 << 12,
                         0x62, MEMTXATTRS_UNSPECIFIED, NULL);
    assert_true(rd(a, APIC_REG_TMR + 0x30) & (1u << 1));   /* 0x61 */
    assert_int_equal(apic_get_interrupt(a), 0x62);
    assert_int_equal(apic_get_interrupt(a), 0xff); /* same class: waits */
    wr(a, APIC_REG_EOI, 0);
    assert_int_equal(eoi_count, 0);              /* 0x62 was edge */
    assert_int_equal(apic_get_interrupt(a), 0x61);
    assert_true(rd(a, APIC_REG_ISR + 0x30) & (1u << 1));
    wr(a, APIC_REG_EOI, 0);
    assert_int_equal(eoi_count, 1);
    assert_int_equal(eoi_vectors[0], 0x61);
    assert_int_equal(rd(a, APIC_REG_ISR + 0x30), 0);

    /* Directed EOI (SVR bit 12) suppresses the broadcast. */
    wr(a, APIC_REG_SVR, APIC_SV_ENABLE | APIC_SV_DIRECTED_IO | 0xff);
    apic_deliver_irq(1, 0, APIC_DM_FIXED, 0x63, APIC_TRIGGER_LEVEL);
    assert_int_equal(apic_get_interrupt(a), 0x63);
    wr(a, APIC_REG_EOI, 0);
    assert_int_equal(eoi_count, 1);
}

static void send_ipi(DeviceState *from, uint8_t dest, uint32_t icr_low)
{
    wr(from, APIC_REG_ICR_HIGH, (uint32_t)dest << 24);
    wr(from, APIC_REG_ICR_LOW, icr_low);
}

static void test_ipi_fixed_nmi(void **state)
{
    Fixture *f = *state;

    for (int i = 0; i < NCPUS; i++) {
        sw_enable(f->apic[i]);
    }
    send_ipi(f->apic[0], 1, 0x40);
    assert_true(f->cpu[1]->interrupt_request & CPU_INTERRUPT_HARD);
    assert_false(f->cpu[2]->interrupt_request & CPU_INTERRUPT_HARD);
    assert_int_equal(apic_get_interrupt(f->apic[1]), 0x40);

    send_ipi(f->apic[1], 2, APIC_DM_NMI << 8);
    assert_true(f->cpu[2]->interrupt_request & CPU_INTERRUPT_NMI);
    assert_false(f->cpu[0]->interrupt_request & CPU_INTERRUPT_NMI);

    /* All but self. */
    send_ipi(f->apic[2], 0, 0x50 | APIC_ICR_SHORTHAND_OTHERS << 18);
    assert_int_equal(apic_get_interrupt(f->apic[0]), 0x50);
    assert_int_equal(apic_get_interrupt(f->apic[1]), 0x50);
    assert_int_equal(apic_get_interrupt(f->apic[2]), -1);
    /* Self. */
    send_ipi(f->apic[2], 0, 0x51 | APIC_ICR_SHORTHAND_SELF << 18);
    assert_int_equal(apic_get_interrupt(f->apic[2]), 0x51);
    /* Illegal vector: send error in ESR, nothing delivered. */
    send_ipi(f->apic[0], 1, 0x05);
    wr(f->apic[0], APIC_REG_ESR, 0);
    assert_int_equal(rd(f->apic[0], APIC_REG_ESR),
                     APIC_ESR_SEND_ILLEGAL_VECTOR);
}

static void test_ipi_init_sipi(void **state)
{
    Fixture *f = *state;
    DeviceState *ap = f->apic[1];

    /* The AP is running (it took an earlier SIPI). */
    apic_sipi(ap);
    sw_enable(ap);
    assert_false(apic_wait_for_sipi(ap));

    send_ipi(f->apic[0], 1, APIC_DM_INIT << 8 | APIC_ICR_LEVEL_ASSERT);
    assert_true(f->cpu[1]->interrupt_request & CPU_INTERRUPT_INIT);
    assert_true(apic_wait_for_sipi(ap));
    /* INIT put the APIC back in its INIT state. */
    assert_int_equal(rd(ap, APIC_REG_SVR), 0xff);
    /* Level de-assert INIT does nothing. */
    send_ipi(f->apic[0], 1, APIC_DM_INIT << 8 | 1 << 15);

    send_ipi(f->apic[0], 1, APIC_DM_SIPI << 8 | 0x9a);
    assert_true(f->cpu[1]->interrupt_request & CPU_INTERRUPT_SIPI);
    assert_int_equal(apic_sipi_vector(ap), 0x9a);
    apic_sipi(ap);
    assert_false(apic_wait_for_sipi(ap));
    assert_false(f->cpu[1]->interrupt_request & CPU_INTERRUPT_SIPI);

    /* A second SIPI to a running CPU is ignored. */
    send_ipi(f->apic[0], 1, APIC_DM_SIPI << 8 | 0x10);
    assert_false(f->cpu[1]->interrupt_request & CPU_INTERRUPT_SIPI);
    assert_int_equal(apic_sipi_vector(ap), 0x9a);
    /* The BSP is not a SIPI target. */
    assert_false(f->cpu[2]->interrupt_request & CPU_INTERRUPT_SIPI);
}

static void test_msi_decoding(void **state)
{
    Fixture *f = *state;
    MemTxResult r = MEMTX_OK;

    for (int i = 0; i < NCPUS; i++) {
        sw_enable(f->apic[i]);
    }
    /* Physical destination 2, fixed, vector 0x70. */
    address_space_stl_le(&address_space_memory, 0xfee02000, 0x70,
                         MEMTXATTRS_UNSPECIFIED, &r);
    assert_int_equal(r, MEMTX_OK);
    assert_int_equal(apic_get_interrupt(f->apic[2]), 0x70);
    assert_int_equal(apic_get_interrupt(f->apic[0]), -1);
    assert_int_equal(apic_get_interrupt(f->apic[1]), -1);
    wr(f->apic[2], APIC_REG_EOI, 0);

    /* Logical flat: LDR bits 0x01, 0x02, 0x04; destination 0x06. */
    for (int i = 0; i < NCPUS; i++) {
        wr(f->apic[i], APIC_REG_DFR, 0xffffffff);
        wr(f->apic[i], APIC_REG_LDR, (1u << i) << 24);
    }
    address_space_stl_le(&address_space_memory,
                         0xfee00000 | 0x06 << 12 | 1 << 2, 0x71,
                         MEMTXATTRS_UNSPECIFIED, NULL);
    assert_int_equal(apic_get_interrupt(f->apic[0]), -1);
    assert_int_equal(apic_get_interrupt(f->apic[1]), 0x71);
    assert_int_equal(apic_get_interrupt(f->apic[2]), 0x71);
    for (int i = 0; i < NCPUS; i++) {
        wr(f->apic[i], APIC_REG_EOI, 0);
    }

    /* Redirection hint: only one of the logical destinations. */
    address_space_stl_le(&address_space_memory,
                         0xfee00000 | 0x07 << 12 | 1 << 3 | 1 << 2, 0x72,
                         MEMTXATTRS_UNSPECIFIED, NULL);
    {
        int got = 0;
        for (int i = 0; i < NCPUS; i++) {
            got += apic_get_interrupt(f->apic[i]) == 0x72;
        }
        assert_int_equal(got, 1);
    }

    /* Cluster model: cluster 1, members 0x3 -> APICs with LDR 0x11, 0x12. */
    for (int i = 0; i < NCPUS; i++) {
        wr(f->apic[i], APIC_REG_DFR, 0x0fffffff);
        wr(f->apic[i], APIC_REG_LDR, (0x10u | (1u << i)) << 24);
        wr(f->apic[i], APIC_REG_EOI, 0);
        while (apic_get_interrupt(f->apic[i]) >= 0) {
            wr(f->apic[i], APIC_REG_EOI, 0);
        }
    }
    apic_deliver_irq(0x13, APIC_DESTMODE_LOGICAL, APIC_DM_FIXED, 0x73, 0);
    assert_int_equal(apic_get_interrupt(f->apic[0]), 0x73);
    assert_int_equal(apic_get_interrupt(f->apic[1]), 0x73);
    assert_int_equal(apic_get_interrupt(f->apic[2]), -1);

    /* NMI by MSI; broadcast 0xff reaches everybody. */
    address_space_stl_le(&address_space_memory, 0xfeeff000,
                         APIC_DM_NMI << 8, MEMTXATTRS_UNSPECIFIED, NULL);
    for (int i = 0; i < NCPUS; i++) {
        assert_true(f->cpu[i]->interrupt_request & CPU_INTERRUPT_NMI);
    }
}

static void test_mmio_from_vcpu(void **state)
{
    Fixture *f = *state;
    MemTxResult r;

    current_cpu = f->cpu[2];
    assert_int_equal(address_space_ldl_le(&address_space_memory,
                                          0xfee00020, MEMTXATTRS_UNSPECIFIED,
                                          &r), 2u << 24);
    address_space_stl_le(&address_space_memory, 0xfee00080, 0x20,
                         MEMTXATTRS_UNSPECIFIED, NULL);
    current_cpu = NULL;
    assert_int_equal(rd(f->apic[2], APIC_REG_TPR), 0x20);
    assert_int_equal(rd(f->apic[0], APIC_REG_TPR), 0);

    /* Relocation: the page follows IA32_APIC_BASE. */
    assert_int_equal(cpu_set_apic_base(f->apic[2], 0xfed00000 |
                                       MSR_IA32_APICBASE_ENABLE), 0);
    current_cpu = f->cpu[2];
    assert_int_equal(address_space_ldl_le(&address_space_memory,
                                          0xfed00080, MEMTXATTRS_UNSPECIFIED,
                                          NULL), 0x20);
    current_cpu = NULL;
    assert_int_equal(cpu_set_apic_base(f->apic[2], APIC_DEFAULT_ADDRESS |
                                       MSR_IA32_APICBASE_ENABLE), 0);
}

static void test_x2apic_msrs(void **state)
{
    Fixture *f = *state;
    DeviceState *a = f->apic[0];
    uint64_t base = cpu_get_apic_base(a), v;

    /* Not in x2APIC mode: every MSR faults. */
    assert_int_equal(apic_msr_read(a, 0x802, &v), -1);
    /* Invalid transitions. */
    assert_int_equal(cpu_set_apic_base(a, (base | MSR_IA32_APICBASE_EXTD) &
                                       ~MSR_IA32_APICBASE_ENABLE), -1);
    assert_int_equal(cpu_set_apic_base(a, base | MSR_IA32_APICBASE_EXTD), 0);
    assert_true(apic_is_x2apic(a));
    assert_int_equal(cpu_set_apic_base(a, base), -1);   /* x2APIC -> xAPIC */

    assert_int_equal(apic_msr_read(a, 0x802, &v), 0);
    assert_int_equal(v, 0);                             /* 32-bit id */
    assert_int_equal(apic_msr_read(a, 0x803, &v), 0);
    assert_int_equal(v, 0x50014);
    assert_int_equal(apic_msr_read(a, 0x80d, &v), 0);
    assert_int_equal(v, 1);                             /* derived LDR */
    assert_int_equal(apic_msr_write(a, 0x80d, 5), -1);  /* LDR RO */
    assert_int_equal(apic_msr_read(a, 0x80e, &v), -1);  /* no DFR */
    assert_int_equal(apic_msr_read(a, 0x831, &v), -1);  /* no ICR high */
    assert_int_equal(apic_msr_read(a, 0x80b, &v), -1);  /* EOI WO */
    assert_int_equal(apic_msr_read(a, 0x83f, &v), -1);  /* SELF IPI WO */
    assert_int_equal(apic_msr_write(a, 0x80b, 1), -1);  /* EOI non-zero */
    assert_int_equal(apic_msr_write(a, 0x802, 7), -1);  /* ID RO */

    assert_int_equal(apic_msr_write(a, 0x80f, APIC_SV_ENABLE | 0xff), 0);
    sw_enable(f->apic[1]);
    /* Self IPI. */
    assert_int_equal(apic_msr_write(a, 0x83f, 0x66), 0);
    assert_int_equal(apic_get_interrupt(a), 0x66);
    assert_int_equal(apic_msr_write(a, 0x80b, 0), 0);
    /* 64-bit ICR: destination 1 in bits 63:32 (x2APIC id 1). */
    assert_int_equal(apic_msr_write(a, 0x830, 1ULL << 32 | 0x67), 0);
    assert_int_equal(apic_get_interrupt(f->apic[1]), 0x67);
    assert_int_equal(apic_msr_read(a, 0x830, &v), 0);
    assert_int_equal(v, 1ULL << 32 | 0x67);
    /* The xAPIC page is gone for an x2APIC CPU. */
    current_cpu = f->cpu[0];
    assert_int_equal(address_space_ldl_le(&address_space_memory, 0xfee00030,
                                          MEMTXATTRS_UNSPECIFIED, NULL), 0);
    current_cpu = NULL;
    /* Disable, then xAPIC again. */
    assert_int_equal(cpu_set_apic_base(a, APIC_DEFAULT_ADDRESS), 0);
    assert_int_equal(cpu_set_apic_base(a, base), 0);
    assert_false(apic_is_x2apic(a));
}

static void test_pic_virtual_wire(void **state)
{
    Fixture *f = *state;
    DeviceState *bsp = f->apic[0];

    /* After reset the BSP's LINT0 is ExtINT: the PIC reaches the CPU. */
    assert_true(apic_accept_pic_intr(bsp));
    assert_false(apic_accept_pic_intr(f->apic[1]));
    apic_deliver_pic_intr(bsp, 1);
    assert_true(f->cpu[0]->interrupt_request & CPU_INTERRUPT_HARD);
    /* The APIC itself has nothing: the CPU must ask the PIC. */
    sw_enable(bsp);
    assert_int_equal(apic_get_interrupt(bsp), -1);
    apic_deliver_pic_intr(bsp, 0);
    assert_false(f->cpu[0]->interrupt_request & CPU_INTERRUPT_HARD);
    /* Masking LINT0 cuts the wire. */
    wr(bsp, APIC_REG_LVT_LINT0, APIC_LVT_MASKED | APIC_DM_EXTINT << 8);
    assert_false(apic_accept_pic_intr(bsp));
    /* A globally disabled APIC passes INTR through. */
    assert_int_equal(cpu_set_apic_base(bsp, APIC_DEFAULT_ADDRESS), 0);
    assert_true(apic_accept_pic_intr(bsp));
}

static void test_bad_guest_input(void **state)
{
    Fixture *f = *state;
    DeviceState *a = f->apic[0];

    /* Reserved registers: logged, ESR illegal address, no crash. */
    wr(a, 0x040, 1);
    (void)rd(a, 0x3a0);
    wr(a, APIC_REG_ESR, 0);
    assert_true(rd(a, APIC_REG_ESR) & APIC_ESR_ILLEGAL_ADDRESS);
    /* Reserved bits in IA32_APIC_BASE. */
    assert_int_equal(cpu_set_apic_base(a, 1ULL << 63), -1);
    /* Odd MSI writes (byte-wide, reserved delivery modes). */
    address_space_stb(&address_space_memory, 0xfee01003, 0xff,
                      MEMTXATTRS_UNSPECIFIED, NULL);
    address_space_stl_le(&address_space_memory, 0xfee01000,
                         3 << 8 | 0x40, MEMTXATTRS_UNSPECIFIED, NULL);
    address_space_stl_le(&address_space_memory, 0xfee01000,
                         APIC_DM_EXTINT << 8, MEMTXATTRS_UNSPECIFIED, NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_version_and_reset_state,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_timer_oneshot, setup, teardown),
        cmocka_unit_test_setup_teardown(test_timer_periodic, setup, teardown),
        cmocka_unit_test_setup_teardown(test_timer_tsc_deadline, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_tpr_ppr, setup, teardown),
        cmocka_unit_test_setup_teardown(test_eoi_broadcast, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ipi_fixed_nmi, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ipi_init_sipi, setup, teardown),
        cmocka_unit_test_setup_teardown(test_msi_decoding, setup, teardown),
        cmocka_unit_test_setup_teardown(test_mmio_from_vcpu, setup, teardown),
        cmocka_unit_test_setup_teardown(test_x2apic_msrs, setup, teardown),
        cmocka_unit_test_setup_teardown(test_pic_virtual_wire, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_bad_guest_input, setup,
                                        teardown),
    };

    bql_lock();
    return cmocka_run_group_tests(tests, NULL, NULL);
}
