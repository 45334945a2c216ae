"""The x86 guest test programs (tests/guest/*.S) run as Multiboot kernels.

Each program prints a TAP-like report over COM1 ("1..N", then one
"ok N - ..." or "not ok N - ..." per check) and leaves through
isa-debug-exit: exit status 1 ((0 << 1) | 1) means every check passed;
3, 5, 7, 9 mean a failed check, an unexpected exception, a plan mismatch
and a bad boot (tests/guest/lib/runtime.h).

The programs run under Osprey's pc machine once it exists (skipped until
`osprey -machine help` lists "pc" and `-cpu help` works), and under
Debian's qemu-system-x86_64 (TCG) when installed, which keeps the
programs themselves honest.  Deselect the QEMU runs with -m "not qemu".
"""
import re
import shutil
import subprocess

import pytest

from conftest import GUEST_SRC

PROGRAMS = sorted(p.stem for p in GUEST_SRC.glob("*.S"))
PASS_STATUS = 1
TIMEOUT = 60


def parse_tap(out):
    """(plan, {number: (ok, description)}) from a program's output."""
    plan = None
    results = {}
    for line in out.splitlines():
        m = re.fullmatch(r"1\.\.(\d+)", line.strip())
        if m:
            plan = int(m.group(1))
            continue
        m = re.match(r"(not )?ok (\d+) - (.*)", line)
        if m:
            results[int(m.group(2))] = (m.group(1) is None, m.group(3))
    return plan, results


def check_run(cmd, name):
    r = subprocess.run(cmd, stdin=subprocess.DEVNULL, capture_output=True,
                       timeout=TIMEOUT)
    out = r.stdout.decode(errors="replace")
    report = f"{' '.join(cmd)}\nstatus {r.returncode}\n{out}" \
             f"{r.stderr.decode(errors='replace')}"
    plan, results = parse_tap(out)
    assert plan is not None and plan > 0, f"{name}: no TAP plan\n{report}"
    failed = [f"{n} - {d}" for n, (ok, d) in sorted(results.items()) if not ok]
    assert not failed, f"{name}: checks failed: {failed}\n{report}"
    missing = [n for n in range(1, plan + 1) if n not in results]
    assert not missing, f"{name}: checks never reported: {missing}\n{report}"
    assert r.returncode == PASS_STATUS, \
        f"{name}: exit status {r.returncode}, want {PASS_STATUS}\n{report}"
    if name == "hello":
        assert "Hello from guest" in out


def osprey_runs_pc(osprey):
    """True when the binary has the pc machine, -cpu and -kernel."""
    def ok(*args):
        try:
            return subprocess.run([osprey, *args], capture_output=True,
                                  text=True, timeout=30)
        except (OSError, subprocess.TimeoutExpired):
            return None
    machines = ok("-machine", "help")
    if not machines or machines.returncode != 0:
        return False
    if not any(line.split()[:1] == ["pc"]
               for line in machines.stdout.splitlines()[1:]):
        return False
    cpus = ok("-cpu", "help")
    if not cpus or cpus.returncode != 0:
        return False
    usage = ok("--help")
    return bool(usage) and "-kernel" in usage.stdout


@pytest.mark.parametrize("name", PROGRAMS)
def test_guest_program_osprey(osprey, guest_programs, name):
    if not osprey_runs_pc(osprey):
        pytest.skip("pc machine not available yet")
    elf = guest_programs / f"{name}.elf"
    check_run([osprey, "-M", "pc", "-m", "64", "-kernel", str(elf),
               "-device", "isa-debug-exit,iobase=0xf4,iosize=4",
               "-serial", "stdio", "-no-reboot"], name)


@pytest.mark.parametrize("name", PROGRAMS)
def test_guest_program_osprey_jit_off(osprey, guest_programs, name):
    """The same programs on the interpreter alone (the JIT's reference)."""
    if not osprey_runs_pc(osprey):
        pytest.skip("pc machine not available yet")
    elf = guest_programs / f"{name}.elf"
    check_run([osprey, "-M", "pc", "-accel", "tcg,jit=off", "-m", "64",
               "-kernel", str(elf),
               "-device", "isa-debug-exit,iobase=0xf4,iosize=4",
               "-serial", "stdio", "-no-reboot"], name)


QEMU = shutil.which("qemu-system-x86_64")


@pytest.mark.qemu
@pytest.mark.skipif(QEMU is None, reason="qemu-system-x86_64 not installed")
@pytest.mark.parametrize("name", PROGRAMS)
def test_guest_program_qemu(guest_programs, name):
    elf = guest_programs / f"{name}.elf"
    check_run([QEMU, "-M", "pc", "-accel", "tcg", "-m", "64",
               "-kernel", str(elf),
               "-device", "isa-debug-exit,iobase=0xf4,iosize=4",
               "-serial", "stdio", "-display", "none", "-no-reboot",
               "-nodefaults"], name)


def test_every_program_is_listed():
    """The parametrisation found the programs the CPU issue asks for."""
    for name in ("hello", "modes", "exceptions", "paging", "syscall", "smc"):
        assert name in PROGRAMS


def test_parse_tap_sees_failures_and_gaps():
    """The checker's parser: plan, ok/not ok, skips count as ok."""
    plan, results = parse_tap("1..3\nok 1 - a\n# note\nnot ok 2 - b\n"
                              "ok 4 - c # SKIP\n")
    assert plan == 3
    assert results == {1: (True, "a"), 2: (False, "b"),
                       4: (True, "c # SKIP")}


def test_programs_are_multiboot_elf32(guest_programs):
    """Each image is ELF32 i386 with a Multiboot header in its first 8 KiB."""
    for name in PROGRAMS:
        data = (guest_programs / f"{name}.elf").read_bytes()
        assert data[:5] == b"\x7fELF\x01", name          # ELFCLASS32
        assert int.from_bytes(data[18:20], "little") == 3, name   # EM_386
        head = data[:8192]
        off = head.find((0x1BADB002).to_bytes(4, "little"))
        assert off >= 0 and off % 4 == 0, name
        flags = int.from_bytes(head[off + 4:off + 8], "little")
        csum = int.from_bytes(head[off + 8:off + 12], "little")
        assert (0x1BADB002 + flags + csum) & 0xffffffff == 0, name
