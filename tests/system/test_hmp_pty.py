"""HMP on a pseudo-terminal, as a user at a terminal drives it: Osprey's
`-monitor pty` prints the pty's path; the test opens it in raw mode and
types commands.  The guest is Debian's SeaBIOS with two CPUs and no boot
device: it starts paused (-S), runs its POST when continued, and ends
with both CPUs halted."""
import os
import pathlib
import re
import select
import struct
import subprocess
import time
import termios
import tty

import pytest

BIOS = pathlib.Path("/usr/share/seabios/bios-256k.bin")
PROMPT = b"(osprey) "

pytestmark = pytest.mark.skipif(
    not BIOS.exists(),
    reason=f"{BIOS} missing: install Debian's seabios package")


class PtyMonitor:
    def __init__(self, path):
        self.fd = os.open(path, os.O_RDWR | os.O_NOCTTY)
        # Raw already (Osprey sets it); TCSANOW, since the default
        # TCSAFLUSH would discard a banner that has already arrived.
        tty.setraw(self.fd, termios.TCSANOW)
        self.buf = b""

    def read_until_prompt(self, timeout=20):
        deadline = time.monotonic() + timeout
        while PROMPT not in self.buf:
            left = deadline - time.monotonic()
            assert left > 0, f"no prompt; got {self.buf!r}"
            r, _, _ = select.select([self.fd], [], [], left)
            if r:
                self.buf += os.read(self.fd, 4096)
        text, _, self.buf = self.buf.partition(PROMPT)
        return text.decode(errors="replace")

    def cmd(self, line):
        """Type a line; return what the monitor printed for it (without
        the echoed command)."""
        os.write(self.fd, line.encode() + b"\r")
        text = self.read_until_prompt()
        lines = text.replace("\r", "").split("\n")
        # The first line is the echo of what was typed.
        assert line in lines[0], lines
        return "\n".join(lines[1:]).strip()

    def close(self):
        os.close(self.fd)


@pytest.fixture
def vm(osprey):
    proc = subprocess.Popen(
        [osprey, "-M", "pc", "-m", "64", "-smp", "2", "-S",
         "-bios", str(BIOS), "-serial", "null", "-monitor", "pty"],
        stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE)
    line = proc.stderr.readline().decode()
    m = re.search(r"char device redirected to (/dev/pts/\d+)", line)
    assert m, f"no pty announced: {line!r}"
    mon = PtyMonitor(m.group(1))
    banner = mon.read_until_prompt()
    assert "monitor - type 'help' for more information" in banner
    yield proc, mon
    mon.close()
    proc.kill()
    proc.wait()


def parse_cpus(text):
    """info cpus -> {index: (pc, halted, thread_id, current)}"""
    cpus = {}
    for line in text.splitlines():
        m = re.match(r"([* ]) CPU #(\d+): pc=0x([0-9a-f]+)( \(halted\))? "
                     r"thread_id=(\d+)$", line)
        assert m, f"unexpected info cpus line: {line!r}"
        cpus[int(m.group(2))] = (int(m.group(3), 16), bool(m.group(4)),
                                 int(m.group(5)), m.group(1) == "*")
    return cpus


def test_stop_cont_change_info_status(vm):
    proc, mon = vm
    assert mon.cmd("info status") == "VM status: paused (prelaunch)"
    assert mon.cmd("cont") == ""
    assert mon.cmd("info status") == "VM status: running"
    assert mon.cmd("stop") == ""
    assert mon.cmd("info status") == "VM status: paused"
    assert mon.cmd("c") == ""
    assert mon.cmd("info status") == "VM status: running"


def test_info_cpus_shows_pc_thread_and_halted(vm):
    proc, mon = vm
    cpus = parse_cpus(mon.cmd("info cpus"))
    assert sorted(cpus) == [0, 1]
    # Before the first instruction both are at the reset vector; the AP
    # waits for INIT/SIPI, which shows as halted.
    assert cpus[0][0] == 0xfffffff0 and not cpus[0][1]
    assert cpus[1][1]
    assert cpus[0][3] and not cpus[1][3]
    # Thread ids are the process's real threads, one per vCPU.
    tids = {c[2] for c in cpus.values()}
    assert len(tids) == 2
    for tid in tids:
        assert pathlib.Path(f"/proc/{proc.pid}/task/{tid}").exists()

    mon.cmd("cont")
    # SeaBIOS's POST ends with no bootable device: both CPUs halt.
    deadline = time.monotonic() + 30
    while True:
        cpus = parse_cpus(mon.cmd("info cpus"))
        if all(c[1] for c in cpus.values()):
            break
        assert time.monotonic() < deadline, cpus
        time.sleep(0.5)
    # Both left the reset vector and now sit in the BIOS (F segment).
    for pc, *_ in cpus.values():
        assert 0xf0000 <= pc < 0x100000, hex(pc)


def test_x_reads_guest_memory(vm):
    _, mon = vm
    # The reset vector: the last 16 bytes of the firmware, mapped below
    # 1 MiB (real mode: linear = physical).
    want = struct.unpack("<4I", BIOS.read_bytes()[-16:])
    out = mon.cmd("x/4xw 0xffff0")
    m = re.match(r"0*ffff0: (.*)$", out)
    assert m, out
    assert [int(v, 16) for v in m.group(1).split()] == list(want)
    # Bytes, and the same through the physical view at the top of 4 GiB.
    out = mon.cmd("xp/2xb 0xfffffff0")
    assert out.split(":")[1].split() == [f"0x{b:02x}" for b in
                                         BIOS.read_bytes()[-16:-14]]
    # A bad format is an error, not a crash.
    assert mon.cmd("x/4qw 0") == "invalid char in format: 'q'"
    assert mon.cmd("info status").startswith("VM status")
