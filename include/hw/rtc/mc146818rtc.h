/*
 * The MC146818 real-time clock and CMOS RAM, after QEMU's
 * hw/rtc/mc146818rtc.c.
 *
 * An "mc146818rtc" ISA device: index port 0x70 (bit 7 of a write is the
 * NMI mask), data port 0x71, 128 bytes of CMOS.  Bytes 0-9 and the
 * century (0x32) are the clock, in BCD or binary and 12 or 24 hour format
 * as register B says; registers A-D are 0x0a-0x0d.
 *
 * Guest time runs on the virtual clock from a base set at realize by the
 * "base" property: "utc" (host time, the default), "localtime", or a
 * date "YYYY-MM-DD" or "YYYY-MM-DDTHH:MM:SS" (as -rtc base=).  The time
 * registers are computed when read.  Once a second (when the divider runs
 * and SET is clear) the clock updates: UF, and AF when the alarm bytes
 * match (0xC0-0xFF in an alarm byte matches anything).  UIP reads 1 for
 * the 244 us before each update, as on the real part.  The periodic
 * interrupt (PF) runs at 32768 >> (rate - 1) Hz from register A while PIE
 * is set.  IRQ 8 goes high when an enabled flag is set and low when
 * register C is read.
 *
 * Not emulated: the square wave output, daylight saving (DSE), PF while
 * PIE is clear (reads of C show PF only for enabled periodic interrupts).
 */
#ifndef HW_RTC_MC146818RTC_H
#define HW_RTC_MC146818RTC_H

#include "hw/isa/isa.h"
#include "system/timer.h"

#define TYPE_MC146818_RTC "mc146818rtc"
OBJECT_DECLARE_SIMPLE_TYPE(MC146818RtcState, MC146818_RTC)

#define RTC_ISA_IRQ 8
#define RTC_ISA_BASE 0x70

#define RTC_SECONDS 0
#define RTC_SECONDS_ALARM 1
#define RTC_MINUTES 2
#define RTC_MINUTES_ALARM 3
#define RTC_HOURS 4
#define RTC_HOURS_ALARM 5
#define RTC_DAY_OF_WEEK 6
#define RTC_DAY_OF_MONTH 7
#define RTC_MONTH 8
#define RTC_YEAR 9
#define RTC_REG_A 10
#define RTC_REG_B 11
#define RTC_REG_C 12
#define RTC_REG_D 13
#define RTC_CENTURY 0x32

#define REG_A_UIP 0x80
#define REG_B_SET 0x80
#define REG_B_PIE 0x40
#define REG_B_AIE 0x20
#define REG_B_UIE 0x10
#define REG_B_SQWE 0x08
#define REG_B_DM 0x04
#define REG_B_24H 0x02
#define REG_C_IRQF 0x80
#define REG_C_PF 0x40
#define REG_C_AF 0x20
#define REG_C_UF 0x10
#define REG_D_VRT 0x80

/* UIP is set this long before each update: 8 cycles of 32768 Hz. */
#define RTC_UIP_HOLD_NS (8 * NANOSECONDS_PER_SECOND / 32768)

struct MC146818RtcState {
    ISADevice parent_obj;

    /* Guest-visible state (for a VMState description). */
    uint8_t cmos_data[128];
    uint8_t cmos_index;
    uint8_t nmi_disabled;       /* bit 7 of the last index write */
    int64_t base_ns;            /* guest time (ns since 1970) at ref_ns */
    int64_t ref_ns;             /* virtual time base_ns was taken at */

    qemu_irq irq;
    QEMUTimer *update_timer;    /* next second boundary */
    QEMUTimer *periodic_timer;

    /* Properties. */
    uint32_t iobase;
    char *base;                 /* "utc", "localtime" or a date */

    MemoryRegion io;
};

/* Create "mc146818rtc" at 0x70, IRQ 8. */
MC146818RtcState *mc146818_rtc_init(ISABus *bus, Error **errp);

/* CMOS bytes, for the board (and the firmware interface). */
void mc146818rtc_set_cmos_data(MC146818RtcState *s, int addr, int val);
int mc146818rtc_get_cmos_data(MC146818RtcState *s, int addr);
/* Guest time now, in seconds since 1970 (as the registers would say). */
int64_t mc146818rtc_get_time(MC146818RtcState *s);
/* Set the guest time (as -rtc base= or a monitor command would). */
void mc146818rtc_set_time(MC146818RtcState *s, int64_t seconds);
bool mc146818rtc_nmi_disabled(MC146818RtcState *s);

/*
 * The bytes a PC BIOS expects, as QEMU's pc_cmos_init fills them:
 * 0x15-0x16 base memory (640 KiB), 0x17-0x18 and 0x30-0x31 memory above
 * 1 MiB in KiB (capped at 65535), 0x34-0x35 memory above 16 MiB in 64 KiB
 * units, 0x5b-0x5d memory above 4 GiB in 64 KiB units.
 */
void rtc_cmos_set_ram_size(MC146818RtcState *s, uint64_t below_4g,
                           uint64_t above_4g);
/* 0x5f: number of CPUs - 1. */
void rtc_cmos_set_cpus(MC146818RtcState *s, unsigned cpus);
/* 0x14: equipment byte (FPU, mouse, floppies). */
void rtc_cmos_set_equipment(MC146818RtcState *s, uint8_t equipment);
/*
 * 0x3d and 0x38: boot order from -boot order= ("a" floppy, "c" disk,
 * "d" CD-ROM, "n" network; up to 3).  False with errp set otherwise.
 */
bool rtc_cmos_set_boot_order(MC146818RtcState *s, const char *order,
                             bool fd_bootchk, Error **errp);

#endif
