"""The KVM accelerator (-accel kvm), with tiny guests of our own.

Each guest is a 64 KiB firmware image (-bios) assembled here from a few
lines of real-mode code: it starts at the reset vector, talks to devices
through port I/O (plain and string) and MMIO, and reports on COM1; most
leave through isa-debug-exit.  Every guest runs under -accel tcg as well,
which checks the guest itself and that both accelerators give the same
serial output.  The KVM runs are skipped, with the reason, only when
/dev/kvm is absent; tests of what happens without KVM run everywhere.

Guest code stays small and simple (a few thousand instructions): on a
nested or paravirtual KVM host, guest kernel-mode code may be emulated
slowly, and a test that needs an instruction the host cannot run says so
instead of passing quietly.
"""
import os
import re
import shutil
import socket
import subprocess
import time

import pytest

from conftest import BUILD
from guest import QmpVm, start
from qmp import QMP
from test_migration import check_continues

KVM_DEV = "/dev/kvm"
HAVE_KVM = os.path.exists(KVM_DEV)
NEEDS_KVM = pytest.mark.skipif(
    not HAVE_KVM, reason=f"{KVM_DEV} absent: the KVM runs need a host "
                         "with KVM")
ACCELS = ["tcg", pytest.param("kvm", marks=NEEDS_KVM)]
TIMEOUT = 60
EXIT_PASS = (0x10 << 1) | 1        # isa-debug-exit: out 0x10 -> status 33

GUEST_DIR = BUILD / "kvm-guests"

# Shared real-mode helpers: puts prints the NUL-terminated string at
# DS:SI, one OUTB per byte; exit writes 0x10 to isa-debug-exit; unreal_fs
# gives FS base 0 and a 4 GiB limit (big real mode: the limit is loaded in
# protected mode, then back to real mode), clobbering EAX and BX;
# pic_init puts the master PIC at vector 8 with the IMR in AL.
PRELUDE = r"""
    .code16
    .text
    .org 0
start:
    cli
    xor %ax, %ax
    mov %ax, %ds
    mov %ax, %es
    mov %ax, %ss
    mov $0x7000, %sp
    jmp main
puts:
    push %ax
    push %dx
    mov $0x3f8, %dx
1:  cs lodsb
    test %al, %al
    jz 2f
    out %al, %dx
    jmp 1b
2:  pop %dx
    pop %ax
    ret
exit_ok:
    mov $0x10, %al
    out %al, $0xf4
    hlt
    jmp exit_ok
unreal_fs:
    lgdtl %cs:unreal_gdt_desc
    mov %cr0, %eax
    or $1, %al
    mov %eax, %cr0
    mov $0x08, %bx
    mov %bx, %fs
    and $0xfe, %al
    mov %eax, %cr0
    xor %bx, %bx
    mov %bx, %fs
    ret
pic_init:                           # master PIC at vector 8, IMR = AL
    push %ax
    mov $0x11, %al                  # ICW1..4
    out %al, $0x20
    mov $0x08, %al
    out %al, $0x21
    mov $0x04, %al
    out %al, $0x21
    mov $0x01, %al
    out %al, $0x21
    pop %ax
    out %al, $0x21
    ret
unreal_gdt:
    .quad 0
    .quad 0x008f92000000ffff      # data, base 0, limit 4 GiB
unreal_gdt_desc:
    .word 15
    .long 0xf0000 + unreal_gdt
"""

EPILOGUE = r"""
    .org 0xfff0
    ljmp $0xf000, $start
    .org 0x10000
"""


def assemble(name, body):
    """A 64 KiB firmware image from real-mode assembly (GNU as)."""
    for tool in ("as", "objcopy"):
        if not shutil.which(tool):
            pytest.skip(f"{tool} not installed: cannot build KVM test guests")
    GUEST_DIR.mkdir(parents=True, exist_ok=True)
    src = GUEST_DIR / f"{name}.S"
    obj = GUEST_DIR / f"{name}.o"
    img = GUEST_DIR / f"{name}.bin"
    src.write_text(PRELUDE + body + EPILOGUE)
    subprocess.run(["as", "--32", "-o", str(obj), str(src)], check=True,
                   capture_output=True)
    subprocess.run(["objcopy", "-O", "binary", "-j", ".text", str(obj),
                    str(img)], check=True, capture_output=True)
    assert img.stat().st_size == 0x10000
    return str(img)


def base_args(osprey, accel, bios, *extra):
    return [osprey, "-M", "pc", "-m", "16", "-accel", accel, "-bios", bios,
            "-device", "isa-debug-exit,iobase=0xf4,iosize=1",
            *extra]


def run_guest(osprey, accel, bios, *extra, timeout=TIMEOUT):
    cmd = base_args(osprey, accel, bios, "-serial", "stdio",
                    "-monitor", "none", *extra)
    r = subprocess.run(cmd, stdin=subprocess.DEVNULL, capture_output=True,
                       timeout=timeout)
    return r.returncode, r.stdout.decode(errors="replace"), \
        r.stderr.decode(errors="replace")


def run_guest_ok(osprey, accel, name, body, *extra):
    """Assemble and run a guest that must exit with EXIT_PASS: (out, err)."""
    status, out, err = run_guest(osprey, accel, assemble(name, body), *extra)
    assert status == EXIT_PASS, f"status {status}\n{out}\n{err}"
    return out, err


# ---- guests --------------------------------------------------------------

SERIAL_GUEST = r"""
main:
    mov $0x3f8, %dx
    mov $'P', %al               # plain OUT
    out %al, %dx
    mov $msg, %si               # string OUT: rep outsb from the ROM
    mov $(msg_end - msg), %cx
    push %cs
    pop %ds
    cld
    rep outsb
    xor %ax, %ax
    mov %ax, %ds
    mov $0x3fb, %dx             # IN: the LCR we write reads back
    mov $0x03, %al
    out %al, %dx
    in %dx, %al
    add $'0', %al
    mov $0x3f8, %dx
    out %al, %dx
    mov $nl, %si
    call puts
    jmp exit_ok
msg: .ascii "ort-io string-io lcr="
msg_end:
nl: .asciz "\n"
"""

# MMIO: the IOAPIC's version register through IOREGSEL/IOWIN, reached in
# big real mode (a 4 GiB FS limit loaded in protected mode, then back).
MMIO_GUEST = r"""
main:
    call unreal_fs
    addr32 movl $0x01, %fs:0xfec00000     # IOREGSEL = version register
    addr32 movl %fs:0xfec00010, %eax      # IOWIN
    mov %al, %bl                          # version byte as two hex digits
    shr $4, %al
    call hexdigit
    mov %bl, %al
    and $0x0f, %al
    call hexdigit
    mov $nl, %si
    call puts
    jmp exit_ok
hexdigit:
    mov $0x3f8, %dx
    add $'0', %al
    cmp $'9', %al
    jbe 1f
    add $('a' - '9' - 1), %al
1:  out %al, %dx
    ret
    .align 8
nl: .asciz " ioapic-version\n"
"""

# HLT woken by the PIT: IRQ0 through the PIC (vector 8) three times.
PIT_GUEST = r"""
main:
    movw $tick, 0x20                # IVT[8]
    movw $0xf000, 0x22
    movb $0, 0x600
    mov $0xfe, %al                  # only IRQ0
    call pic_init
    mov $0x34, %al                  # PIT channel 0, mode 2, divisor 0x1000
    out %al, $0x43
    xor %al, %al
    out %al, $0x40
    mov $0x10, %al
    out %al, $0x40
wait:
    sti
    hlt
    cli
    cmpb $3, 0x600
    jb wait
    mov $done, %si
    call puts
    jmp exit_ok
tick:
    push %ax
    incb 0x600
    mov $0x20, %al                  # EOI
    out %al, $0x20
    pop %ax
    iret
done: .asciz "three PIT interrupts woke HLT\n"
"""

# Triple fault on the first boot (IVT limit 0, then INT3); RAM survives
# the reset, so the second boot knows and exits.
TRIPLE_GUEST = r"""
main:
    cmpb $0x5a, 0x500
    je second
    movb $0x5a, 0x500
    mov $first, %si
    call puts
    lidt %cs:bad_idt
    int3
    jmp .
second:
    mov $again, %si
    call puts
    jmp exit_ok
bad_idt: .word 0
    .long 0
first: .asciz "boot 1: triple fault\n"
again: .asciz "boot 2: after reset\n"
"""

# Sets registers the monitor must show, then spins: stop/cont, system_reset
# and info registers while it runs.
SPIN_GUEST = r"""
main:
    mov $hello, %si
    call puts
    mov $0x12345678, %eax
    mov $0xcafe, %bx
spin:
    inc %ecx
    jmp spin
hello: .asciz "spinning\n"
"""

# Two vCPUs: the BSP copies a trampoline to 0x10000 and starts the AP with
# INIT and SIPI through its local APIC's ICR (big real mode, as above);
# the AP writes a flag the BSP waits for.
SMP_GUEST = r"""
main:
    movb $0, 0x700
    push %cs
    pop %ds
    mov $ap_start, %si
    mov $0x1000, %ax
    mov %ax, %es
    xor %di, %di
    mov $(ap_end - ap_start), %cx
    cld
    rep movsb
    xor %ax, %ax
    mov %ax, %ds
    mov %ax, %es
    call unreal_fs
    addr32 movl $0x1ff, %fs:0xfee000f0        # SVR: APIC on
    addr32 movl $0x01000000, %fs:0xfee00310   # destination: APIC id 1
    addr32 movl $0x00004500, %fs:0xfee00300   # INIT
    mov $0x10000, %ecx
1:  addr32 loop 1b
    addr32 movl $0x01000000, %fs:0xfee00310
    addr32 movl $0x00004610, %fs:0xfee00300   # SIPI, vector 0x10
    mov $0x4000000, %ecx
2:  cmpb $0xa5, 0x700
    je 3f
    addr32 loop 2b
    mov $timeout, %si
    call puts
    jmp exit_ok
3:  mov $started, %si
    call puts
    jmp exit_ok
ap_start:
    xor %ax, %ax
    mov %ax, %ds
    movb $0xa5, 0x700
4:  cli
    hlt
    jmp 4b
ap_end:
    .align 8
started: .asciz "AP started by INIT/SIPI\n"
timeout: .asciz "AP did not start\n"
"""

# An instruction fetch from a hole (nothing mapped at 0xa0000 here):
# KVM cannot run or emulate it and reports an internal error.
FETCH_MMIO_GUEST = r"""
main:
    mov $hello, %si
    call puts
    ljmp $0xa000, $0
hello: .asciz "jumping into MMIO\n"
"""


@pytest.mark.parametrize("accel", ACCELS)
def test_port_io_reaches_serial(osprey, accel):
    out, _ = run_guest_ok(osprey, accel, "serial", SERIAL_GUEST)
    assert out == "Port-io string-io lcr=3\n", out


@pytest.mark.parametrize("accel", ACCELS)
def test_mmio_reaches_ioapic(osprey, accel):
    out, _ = run_guest_ok(osprey, accel, "mmio", MMIO_GUEST)
    assert out == "20 ioapic-version\n", out


@pytest.mark.parametrize("irqchip", ["on", "off"])
@pytest.mark.parametrize("accel", ACCELS)
def test_hlt_woken_by_pit(osprey, accel, irqchip):
    if accel == "tcg" and irqchip == "on":
        pytest.skip("kernel-irqchip is a KVM option")
    acc = accel if accel == "tcg" else f"kvm,kernel-irqchip={irqchip}"
    out, _ = run_guest_ok(osprey, acc, "pit", PIT_GUEST)
    assert out == "three PIT interrupts woke HLT\n", out


@pytest.mark.parametrize("accel", ACCELS)
def test_triple_fault_resets(osprey, accel):
    out, _ = run_guest_ok(osprey, accel, "triple", TRIPLE_GUEST)
    assert out == "boot 1: triple fault\nboot 2: after reset\n", out


@pytest.mark.parametrize("accel", ACCELS)
def test_triple_fault_no_reboot_exits(osprey, accel):
    bios = assemble("triple", TRIPLE_GUEST)
    status, out, err = run_guest(osprey, accel, bios, "-no-reboot")
    assert status == 0, f"status {status}\n{out}\n{err}"
    assert out == "boot 1: triple fault\n", out


@pytest.mark.parametrize("irqchip", ["on", "off"])
@pytest.mark.parametrize("accel", ACCELS)
def test_two_vcpus_init_sipi(osprey, accel, irqchip):
    if accel == "tcg" and irqchip == "on":
        pytest.skip("kernel-irqchip is a KVM option")
    acc = accel if accel == "tcg" else f"kvm,kernel-irqchip={irqchip}"
    out, _ = run_guest_ok(osprey, acc, "smp", SMP_GUEST, "-smp", "2")
    assert out == "AP started by INIT/SIPI\n", out


class Machine:
    """Osprey with serial output in a file and QMP + HMP on sockets."""

    def __init__(self, osprey, accel, bios, tmp_path, *extra):
        self.serial = tmp_path / "serial.txt"
        qmp_sock = tmp_path / "qmp.sock"
        self.proc = subprocess.Popen(
            base_args(osprey, accel, bios,
                      "-serial", f"file:{self.serial}",
                      "-qmp", f"unix:{qmp_sock},server=on,wait=off",
                      "-monitor", "none", *extra),
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
            stderr=subprocess.PIPE)
        self.qmp = QMP.connect_unix(str(qmp_sock), wait=30)

    def hmp(self, line):
        return self.qmp.cmd("human-monitor-command",
                            {"command-line": line})

    def status(self):
        return self.qmp.cmd("query-status")["status"]

    def wait_serial(self, text, count=1, timeout=TIMEOUT):
        deadline = time.time() + timeout
        while time.time() < deadline:
            data = self.serial.read_text() if self.serial.exists() else ""
            if data.count(text) >= count:
                return data
            assert self.proc.poll() is None, \
                f"exited {self.proc.returncode}: {self.stderr()}"
            time.sleep(0.1)
        raise AssertionError(f"{text!r} x{count} not seen: {data!r}")

    def wait_status(self, want, timeout=TIMEOUT):
        deadline = time.time() + timeout
        while time.time() < deadline:
            st = self.status()
            if st == want:
                return
            time.sleep(0.1)
        raise AssertionError(f"status {st}, want {want}")

    def stderr(self):
        if self.proc.poll() is None:
            return ""
        return self.proc.stderr.read().decode(errors="replace")

    def close(self):
        try:
            self.qmp.close()
        finally:
            if self.proc.poll() is None:
                self.proc.kill()
            out, err = self.proc.communicate(timeout=30)
            return err.decode(errors="replace")


@pytest.fixture
def machine(osprey, tmp_path):
    made = []

    def make(accel, body, name, *extra):
        m = Machine(osprey, accel, assemble(name, body), tmp_path, *extra)
        made.append(m)
        return m
    yield make
    for m in made:
        m.close()


def reg(text, name):
    m = re.search(name + r"=([0-9a-f]+)", text)
    assert m, f"{name} not in {text!r}"
    return int(m.group(1), 16)


@pytest.mark.parametrize("accel", ACCELS)
def test_stop_cont_and_registers_while_spinning(machine, accel):
    m = machine(accel, SPIN_GUEST, "spin")
    m.wait_serial("spinning\n")
    # run_on_cpu (register sync) must reach a vCPU inside guest code
    t0 = time.time()
    regs = m.hmp("info registers")
    assert time.time() - t0 < 10, "info registers waited for the vCPU"
    assert reg(regs, "EAX") == 0x12345678, regs
    assert reg(regs, "EBX") & 0xffff == 0xcafe, regs
    ecx1 = reg(regs, "ECX")
    t0 = time.time()
    m.qmp.cmd("stop")
    assert m.status() == "paused"
    assert time.time() - t0 < 10, "stop took too long: the kick is slow"
    a = reg(m.hmp("info registers"), "ECX")
    time.sleep(0.3)
    b = reg(m.hmp("info registers"), "ECX")
    assert a == b, "the guest ran while paused"
    m.qmp.cmd("cont")
    assert m.status() == "running"
    deadline = time.time() + TIMEOUT
    while reg(m.hmp("info registers"), "ECX") == b:
        assert time.time() < deadline, "no progress after cont"
        time.sleep(0.1)
    assert reg(m.hmp("info registers"), "ECX") != ecx1
    cpus = m.hmp("info cpus")
    assert re.search(r"CPU #0: pc=0x[0-9a-f]+ thread_id=\d+", cpus), cpus


@pytest.mark.parametrize("accel", ACCELS)
def test_system_reset_while_running(machine, accel):
    m = machine(accel, SPIN_GUEST, "spin")
    m.wait_serial("spinning\n")
    m.qmp.cmd("system_reset")
    m.wait_serial("spinning\n", count=2)
    # Reset while paused: the vCPU is at the reset vector, as the SDM says.
    m.qmp.cmd("stop")
    m.qmp.cmd("system_reset")
    regs = m.hmp("info registers")
    assert reg(regs, "EIP") == 0xfff0, regs
    assert re.search(r"CS =f000 ffff0000", regs), regs
    assert reg(regs, "EAX") == 0, regs
    m.qmp.cmd("cont")
    m.wait_serial("spinning\n", count=3)


@NEEDS_KVM
def test_internal_error_stops_vm_and_monitor_answers(machine):
    m = machine("kvm", FETCH_MMIO_GUEST, "fetchmmio")
    m.wait_serial("jumping into MMIO\n")
    deadline = time.time() + TIMEOUT
    while m.status() != "internal-error":
        assert time.time() < deadline, f"status {m.status()}"
        time.sleep(0.1)
    # the process is alive and the monitor answers
    assert m.proc.poll() is None
    assert "EIP=" in m.hmp("info registers")
    assert m.qmp.cmd("query-kvm") == {"enabled": True, "present": True}
    m.qmp.cmd("quit")
    err = m.close()
    assert "KVM_EXIT_INTERNAL_ERROR" in err or "KVM: " in err, err
    assert "EIP=" in err, err


@NEEDS_KVM
def test_query_kvm_enabled(machine):
    m = machine("kvm", SPIN_GUEST, "spin")
    assert m.qmp.cmd("query-kvm") == {"enabled": True, "present": True}
    info = m.hmp("info kvm")
    assert "kvm support: enabled" in info, info
    assert "interrupt controllers: in-kernel" in info, info


@NEEDS_KVM
def test_kernel_irqchip_off_uses_osprey_models(machine):
    m = machine("kvm,kernel-irqchip=off", SPIN_GUEST, "spin")
    info = m.hmp("info kvm")
    assert "Osprey's PIC, IOAPIC, LAPIC and PIT (kernel-irqchip=off)" \
        in info, info


@NEEDS_KVM
def test_cpu_host(osprey):
    run_guest_ok(osprey, "kvm", "serial", SERIAL_GUEST, "-cpu", "host")


@NEEDS_KVM
def test_guest_program_hello_under_kvm(osprey, guest_programs):
    """A Multiboot guest program (32-bit protected mode) under KVM."""
    elf = guest_programs / "hello.elf"
    r = subprocess.run([osprey, "-M", "pc", "-m", "64", "-accel", "kvm",
                        "-kernel", str(elf), "-device",
                        "isa-debug-exit,iobase=0xf4,iosize=4",
                        "-serial", "stdio", "-no-reboot"],
                       stdin=subprocess.DEVNULL, capture_output=True,
                       timeout=TIMEOUT)
    out = r.stdout.decode(errors="replace")
    err = r.stderr.decode(errors="replace")
    if "KVM_EXIT_INTERNAL_ERROR" in err and "emulation failure" in err:
        pytest.skip("this host's KVM cannot emulate an instruction the "
                    f"program needs:\n{err[:2000]}")
    assert r.returncode == 1, f"status {r.returncode}\n{out}\n{err}"
    assert "Hello from guest" in out


# ---- snapshots and migration ------------------------------------------------
#
# Under KVM the in-kernel PIC, IOAPIC, LAPIC and PIT hold the interrupt
# state; the models' VMState hooks pull it into the stream and push it
# back.  These guests live on PIT interrupts through the PIC, so a state
# that did not make it through a savevm/loadvm or a migration shows as a
# guest that stops counting (or takes no interrupt), not as a quiet pass.

# Counts PIT ticks (IRQ0, mode 2, ~36 Hz) in RAM at 0x600 and prints
# "count XXXX" (hex) for each, from a second counter at 0x602, so the
# lines are consecutive even when a tick comes during a print.
TICK_COUNTER_GUEST = r"""
main:
    movw $tick, 0x20                # IVT[8]
    movw $0xf000, 0x22
    movw $0, 0x600
    movw $0, 0x602
    mov $0xfe, %al                  # only IRQ0
    call pic_init
    mov $0x34, %al                  # PIT channel 0, mode 2, 0x8000
    out %al, $0x43
    xor %al, %al
    out %al, $0x40
    mov $0x80, %al
    out %al, $0x40
wait:
    sti
    hlt
    cli
more:
    mov 0x602, %ax
    cmp 0x600, %ax
    je wait
    inc %ax
    mov %ax, 0x602
    mov $label, %si
    call puts
    call puthex
    jmp more
puthex:                             # AX as 4 hex digits and a newline
    mov $4, %cx
    mov $0x3f8, %dx
1:  rol $4, %ax
    push %ax
    and $0xf, %al
    add $'0', %al
    cmp $'9', %al
    jbe 2f
    add $39, %al
2:  out %al, %dx
    pop %ax
    loop 1b
    mov $'\n', %al
    out %al, %dx
    ret
tick:
    push %ax
    incw 0x600
    mov $0x20, %al                  # EOI
    out %al, $0x20
    pop %ax
    iret
label: .asciz "count "
"""

# A PIT interrupt pending in the PIC while masked: counter 0 in mode 0
# raises IRQ0 once (OUT stays high), the PIC holds it in IRR behind its
# mask, and the guest waits for a byte on COM2 before unmasking.  Then
# the interrupt must come at once: nothing else will raise IRQ0 within
# the few instructions it waits, so it is taken only if IRR and IMR came
# through the snapshot as they were.
PENDING_GUEST = r"""
main:
    movw $tick, 0x20                # IVT[8]
    movw $0xf000, 0x22
    movb $0, 0x600
    mov $0xff, %al                  # everything masked
    call pic_init
    mov $0x30, %al                  # PIT channel 0, mode 0, count 0x100
    out %al, $0x43
    xor %al, %al
    out %al, $0x40
    mov $0x01, %al
    out %al, $0x40
    mov $0x0a, %al                  # OCW3: read IRR
    out %al, $0x20
irr:
    in $0x20, %al
    test $1, %al
    jz irr
    mov $pending, %si
    call puts
go:
    mov $0x2fd, %dx                 # COM2 LSR: a byte from the test?
    in %dx, %al
    test $1, %al
    jz go
    mov $0x2f8, %dx
    in %dx, %al
    mov $0xfe, %al                  # unmask IRQ0
    out %al, $0x21
    sti
    nop
    nop
    nop
    nop
    nop
    nop
    nop
    nop
    cli
    mov $took, %si
    cmpb $1, 0x600
    je 1f
    mov $lost, %si
1:  call puts
    mov $0x20, %al                  # OCW3: read IRR again
    out %al, $0x20
stay:
    hlt
    jmp stay
tick:
    push %ax
    incb 0x600
    mov $0x20, %al                  # EOI
    out %al, $0x20
    pop %ax
    iret
pending: .asciz "IRQ0 pending, masked\n"
took: .asciz "took pending IRQ0\n"
lost: .asciz "IRQ0 lost\n"
"""


class TinyVm(QmpVm):
    """A tiny -bios guest under accel, QMP on a socket, COM1 in a file."""
    COUNT_RE = re.compile(r"^count ([0-9a-f]{4})$", re.M)
    COUNT_BASE = 16

    def __init__(self, osprey, tmp, name, accel, bios, extra=()):
        super().__init__(osprey, tmp, name, [
            "-accel", accel, "-bios", bios,
            "-device", "isa-debug-exit,iobase=0xf4,iosize=1", *extra])

    def counts_after(self, offset):
        text = self.serial()[offset:]
        return [int(m, 16) for m in self.COUNT_RE.findall(text)]

    def stop_and_settle(self):
        """Stop the VM: the last count printed, once COM1 is quiet."""
        assert self.qmp.cmd("stop") == {}
        last, same = None, 0
        while same < 3:
            time.sleep(0.1)
            c = self.counts()
            same = same + 1 if c and c[-1] == last else 0
            last = c[-1] if c else None
        return last


def make_qcow2(tmp_path, name="disk.qcow2"):
    path = tmp_path / name
    r = subprocess.run([str(BUILD / "osprey-img"), "create", "-f", "qcow2",
                        str(path), "16M"], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    return path


def counts_back_to(vm, offset, saved, timeout=TIMEOUT, more=10):
    """After output offset the count restarts at most at saved + 2 (the
    count at the savevm, plus one not yet printed) and goes on, one by
    one, for more lines: the PIT and the PIC work after the load."""
    deadline = time.monotonic() + timeout
    while True:
        c = vm.counts_after(offset)
        if len(c) > more:
            break
        assert vm.proc.poll() is None, vm.stderr_text()
        assert time.monotonic() < deadline, \
            f"{len(c)} counts after the load: {c} (saved {saved:#x}); " \
            f"{vm.status()}\nstderr: {vm.stderr_text()[-2000:]}"
        time.sleep(0.1)
    assert c[0] <= saved + 2, f"count did not go back to {saved:#x}: {c}"
    assert c == list(range(c[0], c[0] + len(c))), c
    return c


@pytest.mark.parametrize("accel", ACCELS)
def test_savevm_loadvm_tick_counter(osprey, accel, tmp_path, vms):
    """savevm/loadvm with a qcow2 drive: the count goes back and the PIT
    keeps interrupting, in the same process and in a new one (-loadvm)."""
    bios = assemble("tickcount", TICK_COUNTER_GUEST)
    disk = make_qcow2(tmp_path)
    drive = ["-drive", f"file={disk},if=none,id=disk0"]
    vm = start(vms, osprey, tmp_path, "snap", accel, bios, drive,
               cls=TinyVm)
    vm.wait_counts(5)
    saved = vm.stop_and_settle()
    assert vm.hmp("savevm s1") == ""
    assert vm.status() == "paused"
    assert vm.qmp.cmd("cont") == {}
    deadline = time.monotonic() + TIMEOUT
    while vm.counts()[-1] < saved + 40:
        assert time.monotonic() < deadline, vm.counts()[-5:]
        time.sleep(0.1)
    # Stopped first, so that nothing printed before the load can follow
    # the offset; loadvm leaves a paused VM paused.
    vm.stop_and_settle()
    offset = len(vm.serial())
    assert vm.hmp("loadvm s1") == ""
    assert vm.status() == "paused"
    assert vm.qmp.cmd("cont") == {}
    counts_back_to(vm, offset, saved)
    vm.close()

    # A new process: the state goes into a fresh (in-kernel) irqchip.
    vm2 = start(vms, osprey, tmp_path, "snap2", accel, bios,
                [*drive, "-loadvm", "s1"], cls=TinyVm)
    counts_back_to(vm2, 0, saved)


@pytest.mark.parametrize("accel", ACCELS)
def test_migrate_tick_counter_over_unix_socket(osprey, accel, tmp_path,
                                               vms):
    """The destination goes on counting from where the source stopped:
    its PIT and PIC came with the stream."""
    bios = assemble("tickcount", TICK_COUNTER_GUEST)
    uri = f"unix:{tmp_path}/mig.sock"
    src = start(vms, osprey, tmp_path, "src", accel, bios, cls=TinyVm)
    dst = start(vms, osprey, tmp_path, "dst", accel, bios,
                ["-incoming", uri], cls=TinyVm)
    assert dst.status() == "inmigrate"
    src.wait_counts(10)
    assert src.qmp.cmd("migrate", uri=uri) == {}
    info = src.wait_migration()
    assert info["status"] == "completed", info
    assert src.status() == "postmigrate"
    check_continues(src, dst)


@pytest.mark.parametrize("accel", ACCELS)
def test_loadvm_keeps_masked_pending_pit_irq(osprey, accel, tmp_path, vms):
    """A snapshot taken while IRQ0 is pending behind the PIC's mask: after
    loadvm (here and in a new process) unmasking delivers it at once."""
    bios = assemble("pending", PENDING_GUEST)
    disk = make_qcow2(tmp_path)
    drive = ["-drive", f"file={disk},if=none,id=disk0"]

    def boot(name, *extra):
        com2 = tmp_path / f"{name}.com2"
        vm = start(vms, osprey, tmp_path, name, accel, bios,
                   [*drive, "-serial", f"unix:{com2},server=on,wait=off",
                    *extra], cls=TinyVm)
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.connect(str(com2))
        return vm, sock

    def release(vm, sock, times):
        """Send the go byte; the outcome line appears for the times'th."""
        sock.sendall(b"g")
        deadline = time.monotonic() + TIMEOUT
        while True:
            out = vm.serial()
            assert "IRQ0 lost" not in out, out
            if out.count("took pending IRQ0\n") >= times:
                return out
            assert time.monotonic() < deadline, \
                f"{out!r}\nstderr: {vm.stderr_text()[-2000:]}"
            time.sleep(0.1)

    vm, sock = boot("pend")
    deadline = time.monotonic() + TIMEOUT
    while "IRQ0 pending, masked\n" not in vm.serial():
        assert time.monotonic() < deadline, vm.serial()
        time.sleep(0.1)
    assert vm.hmp("savevm masked") == ""
    assert "took" not in vm.serial()
    release(vm, sock, 1)
    # Back to the masked, pending interrupt: it is delivered again.
    assert vm.hmp("loadvm masked") == ""
    out = release(vm, sock, 2)
    assert out.count("IRQ0 pending, masked\n") == 1, out
    sock.close()
    vm.close()

    vm2, sock2 = boot("pend2", "-loadvm", "masked")
    out = release(vm2, sock2, 1)
    assert "IRQ0 pending" not in out, out       # resumed, not rebooted
    sock2.close()


# ---- without KVM -----------------------------------------------------------

def run(osprey, *args, timeout=30):
    return subprocess.run([osprey, *args], stdin=subprocess.DEVNULL,
                          capture_output=True, text=True, timeout=timeout)


def test_accel_kvm_without_device_fails_clearly(osprey):
    r = run(osprey, "-M", "pc", "-accel", "kvm,device=/nonexistent/kvm")
    assert r.returncode == 1
    assert "Could not access KVM kernel module: No such file or directory" \
        in r.stderr, r.stderr


@pytest.mark.skipif(HAVE_KVM, reason=f"{KVM_DEV} present")
@pytest.mark.parametrize("opt", [["-accel", "kvm"], ["-enable-kvm"]])
def test_accel_kvm_fails_when_dev_kvm_absent(osprey, opt):
    r = run(osprey, "-M", "pc", *opt)
    assert r.returncode == 1
    assert "Could not access KVM kernel module" in r.stderr, r.stderr


def test_accel_kvm_on_a_non_kvm_device(osprey):
    r = run(osprey, "-M", "pc", "-accel", "kvm,device=/dev/null")
    assert r.returncode == 1
    assert "/dev/null: not a KVM device" in r.stderr, r.stderr


def test_accel_kvm_bad_options(osprey):
    r = run(osprey, "-M", "pc", "-accel", "kvm,kernel-irqchip=maybe")
    assert r.returncode == 1
    assert "kernel-irqchip=maybe" in r.stderr
    r = run(osprey, "-M", "pc", "-accel", "warp")
    assert r.returncode == 1
    assert "invalid accelerator warp" in r.stderr


def test_cpu_host_needs_kvm(osprey):
    r = run(osprey, "-M", "pc", "-accel", "tcg", "-cpu", "host")
    assert r.returncode == 1
    assert "CPU model 'host' requires KVM" in r.stderr, r.stderr


def test_kvm_tcg_falls_back(osprey):
    """kvm:tcg runs the guest on TCG when KVM cannot be used."""
    out, err = run_guest_ok(osprey, "kvm,device=/nonexistent/kvm:tcg",
                            "serial", SERIAL_GUEST)
    assert out == "Port-io string-io lcr=3\n"
    assert "Could not access KVM kernel module" in err
    assert "trying tcg" in err


def test_query_kvm_under_tcg(machine):
    m = machine("kvm,device=/nonexistent/kvm:tcg", SPIN_GUEST, "spin")
    assert m.qmp.cmd("query-kvm") == {"enabled": False, "present": HAVE_KVM}
    assert "kvm support: disabled" in m.hmp("info kvm")
