/*
 * ACPI fixed-hardware PM block of the pc machine, after QEMU's
 * hw/acpi/core.c (PM1 event/control, PM timer, GPE0) as used by piix4_pm.
 *
 * The layout is the one hw/i386/acpi-build.h promises the FADT:
 *   io_base + 0x00  PM1a_EVT: STS (16, write 1 to clear), EN (16)
 *   io_base + 0x04  PM1a_CNT (16): SCI_EN, SLP_TYP (12:10), SLP_EN (13)
 *   io_base + 0x08  PM_TMR (32-bit reads): 24-bit counter at 3.579545 MHz
 *                   from QEMU_CLOCK_VIRTUAL (the FADT has no TMR_VAL_EXT)
 *   io_base + 0x20  GPE0: STS (2 bytes, write 1 to clear), EN (2 bytes)
 * The SCI output ("sysbus IRQ 0", ISA IRQ 9 on the pc, level, active high)
 * is high while an enabled PM1 or GPE0 status bit is set.
 *
 * With no SMI command port (FADT SMI_CMD 0) the block comes out of reset
 * with PM1a_CNT.SCI_EN set.  SLP_EN with SLP_TYP 0 (_S5) requests a guest
 * shutdown; other sleep types are not supported and are logged.  A
 * powerdown request (system_powerdown, QMP) presses the power button:
 * PWRBTN_STS is set and the SCI raised if PWRBTN_EN allows.
 *
 * The block is a plain sysbus device today; a PIIX4 PM PCI function can
 * embed it later (QEMU maps it through config register 0x40).
 */
#ifndef HW_ACPI_PM_H
#define HW_ACPI_PM_H

#include "hw/sysbus.h"
#include "hw/irq.h"
#include "system/timer.h"
#include "util/notify.h"

#define TYPE_ACPI_PM "acpi-pm"
OBJECT_DECLARE_SIMPLE_TYPE(ACPIPMState, ACPI_PM)

#define ACPI_PM_TIMER_FREQUENCY 3579545
#define ACPI_PM_TIMER_MASK 0xffffff          /* 24-bit */

/* PM1 status / enable bits. */
#define ACPI_BITMASK_TIMER_STATUS          0x0001
#define ACPI_BITMASK_BUS_MASTER_STATUS     0x0010
#define ACPI_BITMASK_GLOBAL_LOCK_STATUS    0x0020
#define ACPI_BITMASK_POWER_BUTTON_STATUS   0x0100
#define ACPI_BITMASK_SLEEP_BUTTON_STATUS   0x0200
#define ACPI_BITMASK_RT_CLOCK_STATUS       0x0400
#define ACPI_BITMASK_PCIEXP_WAKE_STATUS    0x4000
#define ACPI_BITMASK_WAKE_STATUS           0x8000
#define ACPI_BITMASK_TIMER_ENABLE          0x0001
#define ACPI_BITMASK_GLOBAL_LOCK_ENABLE    0x0020
#define ACPI_BITMASK_POWER_BUTTON_ENABLE   0x0100
#define ACPI_BITMASK_SLEEP_BUTTON_ENABLE   0x0200
#define ACPI_BITMASK_RT_CLOCK_ENABLE       0x0400
/* PM1 control bits. */
#define ACPI_BITMASK_SCI_ENABLE            0x0001
#define ACPI_BITMASK_SLEEP_TYPE            0x1c00
#define ACPI_BITMASK_SLEEP_ENABLE          0x2000

struct ACPIPMState {
    SysBusDevice parent_obj;

    uint32_t io_base;           /* "io-base": 0x600 */

    uint16_t pm1_sts;
    uint16_t pm1_en;
    uint16_t pm1_cnt;
    uint8_t gpe_sts[2];
    uint8_t gpe_en[2];

    qemu_irq sci;
    QEMUTimer *tmr_timer;       /* next TMR_STS (bit 23 toggle) */
    Notifier powerdown_notifier;
    MemoryRegion io;            /* container, PC_ACPI_PM_IO_LEN bytes */
    MemoryRegion evt, cnt, tmr, gpe;
    bool mapped;
};

/* The PM timer now: 24 bits at 3.579545 MHz of virtual time. */
uint32_t acpi_pm_tmr_get(ACPIPMState *s);
/* Press the power button (the powerdown notifier does this). */
void acpi_pm_powerdown_req(ACPIPMState *s);
/* Set GPE0 status bit n (e.g. hotplug), raising the SCI if enabled. */
void acpi_pm_send_gpe(ACPIPMState *s, unsigned n);

#endif
