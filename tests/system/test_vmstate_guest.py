"""Snapshots and migration of a guest that keeps a hash of its RAM.

The guest is tests/guest/hashcount.S with -append forever: every 100 ms
of guest time (PIT channel 2 one-shots; "fast" drops the wait) it steps
a counter N, stores a word in each page of a 1 MiB buffer and prints
"count N hash 0x%08x", the FNV-1a hash of the whole buffer, whose
contents are a function of N (buffer_hash() below computes it the same
way).  So after a loadvm or a migration the output must go on from the
saved count with no gap and no repeat, and each hash must be the one the
count gives: a RAM page restored wrongly (or a dirty page not re-sent)
shows.

Also: save -> load -> save of a stopped VM gives byte-identical device
sections (the streams are split into sections and compared).
"""
import re
import struct
import subprocess
import time

import pytest

from conftest import BUILD, ROOT
from guest import free_port, start
from qmp import QMPError
from test_guest_programs import guest_programs, osprey_runs_pc  # noqa: F401
from test_snapshot import QEMU_IMG, qemu_img

GUEST_SRC = ROOT / "tests" / "guest"
RECORD_RE = re.compile(r"^count (\d+) hash 0x([0-9a-f]{8})\n", re.M)
BUF_PAGES = 256
PAGE_WORDS = 1024
STEP = 0.1                  # the guest's pace, seconds


def buffer_hash(n, _cache={}):
    """The hash hashcount prints at count n (see tests/guest/hashcount.S)."""
    if n in _cache:
        return _cache[n]
    h = 0x811c9dc5
    for p in range(BUF_PAGES):
        high = p << 20
        for i in range(PAGE_WORDS):
            m = n - ((n - i) % PAGE_WORDS)
            h = ((h ^ ((m ^ high) if m >= 1 else 0)) * 0x01000193) \
                & 0xffffffff
    _cache[n] = h
    return h


def records(text):
    """[(count, hash)] of the complete lines in text."""
    return [(int(c), int(h, 16)) for c, h in RECORD_RE.findall(text)]


@pytest.fixture
def hashcount(osprey, guest_programs):  # noqa: F811
    if not osprey_runs_pc(osprey):
        pytest.skip("pc machine not available yet")
    return guest_programs / "hashcount.elf"


def settle(vm):
    """Stop the VM; its serial output once it no longer grows."""
    vm.qmp.cmd("stop")
    out, same = vm.serial(), 0
    while same < 3:
        time.sleep(0.1)
        now = vm.serial()
        same = same + 1 if now == out else 0
        out = now
    return out


def wait_record(vm, count, start=0, timeout=60):
    """Wait until count has been printed after serial offset start."""
    deadline = time.monotonic() + timeout
    while True:
        recs = records(vm.serial()[start:])
        if recs and recs[-1][0] >= count:
            return recs
        assert vm.proc.poll() is None, f"{vm.name} exited"
        assert time.monotonic() < deadline, \
            f"{vm.name}: count {count} not reached; status " \
            f"{vm.status()}; output tail:\n{vm.serial()[-600:]}"
        time.sleep(0.05)


def check_pace(vm, steps=10):
    """The guest prints about every 100 ms (loose: the host is loaded;
    a guest that cannot keep up is slower, never faster)."""
    first = wait_record(vm, 0)[-1][0]
    t0 = time.monotonic()
    wait_record(vm, first + steps)
    elapsed = time.monotonic() - t0
    assert steps * STEP * 0.7 <= elapsed <= steps * STEP * 8 + 5, \
        f"{steps} steps took {elapsed:.2f} s"


def check_sequence(recs, first, known):
    """recs go on from first without gap or repeat; each hash equals the
    one known (a dict) holds for that count; new ones are added."""
    assert recs, "no output"
    counts = [c for c, _ in recs]
    assert counts == list(range(first, first + len(recs))), \
        f"expected counts from {first}, got {counts[:20]}"
    for c, h in recs:
        if c in known:
            assert h == known[c], \
                f"count {c}: hash {h:#010x}, before {known[c]:#010x}"
        known[c] = h


# ---- 1. savevm / loadvm, 10 rounds ----------------------------------------

@pytest.mark.skipif(QEMU_IMG is None, reason="qemu-img not installed")
def test_savevm_loadvm_resumes_count_and_hash(osprey, hashcount, tmp_path,
                                              vms):
    disk = tmp_path / "disk.qcow2"
    qemu_img("create", "-f", "qcow2", str(disk), "64M")
    vm = start(vms, osprey, tmp_path, "vm",
               ["-drive", f"file={disk},if=none,id=disk0"], kernel=hashcount)
    wait_record(vm, 3)
    check_pace(vm)
    known = {}
    check_sequence(records(vm.serial()), 1, known)
    for rnd in range(10):
        # Stopped at a known point: the last complete line is count saved,
        # and what follows it (part of a line, maybe) is in the snapshot.
        out = settle(vm)
        saved = records(out)[-1][0]
        tail = out[out.rindex("\n") + 1:]
        tag = f"s{rnd % 4}"             # rounds 4.. replace a snapshot
        assert vm.hmp(f"savevm {tag}") == ""
        vm.qmp.cmd("cont")
        # Run on: these hashes are what the loaded guest must print again.
        wait_record(vm, saved + 3, len(out))
        ran = settle(vm)
        check_sequence(records(tail + ran[len(out):]), saved + 1, known)
        offset = len(ran)
        assert vm.hmp(f"loadvm {tag}") == ""
        assert vm.status() == "paused"
        vm.qmp.cmd("cont")
        # The guest goes on from the snapshot's point: the rest of the
        # line it was printing, then count saved + 1, ..., with the same
        # hashes as before.
        wait_record(vm, saved + 4, offset)
        check_sequence(records(tail + vm.serial()[offset:]), saved + 1,
                       known)
    # The timer came back too: still about one line per 100 ms.
    check_pace(vm)
    # And the hashes are the function of the count, not just repeatable.
    last = max(known)
    for c in (1, last):
        assert known[c] == buffer_hash(c), f"count {c}"
    vm.qmp.cmd("quit")
    assert vm.proc.wait(timeout=60) == 0
    r = qemu_img("check", str(disk))
    assert "No errors" in r.stdout


# ---- 2. save -> load -> save ----------------------------------------------

QEMU_VM_EOF = 0x00
QEMU_VM_SECTION_START = 0x01
QEMU_VM_SECTION_FULL = 0x04
QEMU_VM_SECTION_FOOTER = 0x7e
RAM_SAVE_FLAG_EOS = 0x10


def device_sections(data):
    """{(idstr, instance): (version, bytes)} of a stream's device (FULL)
    sections.

    Sections carry no length, so the device part is found as a chain:
    it starts after the RAM section's last footer (EOS, footer with the
    RAM section's id) and every section ends at a footer with its id
    that is followed by the next section header or by the EOF marker
    just before the 8-byte checksum footer."""
    assert data[:8] == b"QEVM\0\0\0\3", data[:8]
    assert data[8] == 0x07                       # configuration
    pos = 13 + struct.unpack_from(">I", data, 9)[0]
    assert data[pos] == QEMU_VM_SECTION_START
    ram_sid = struct.unpack_from(">I", data, pos + 1)[0]
    eof_pos = len(data) - 9
    assert data[eof_pos] == QEMU_VM_EOF

    def header(p):
        """(sid, idstr, instance, version, data start) of a FULL section
        header at p, or None."""
        if p + 6 > eof_pos or data[p] != QEMU_VM_SECTION_FULL:
            return None
        sid = struct.unpack_from(">I", data, p + 1)[0]
        n = data[p + 5]
        idstr = data[p + 6:p + 6 + n]
        if n == 0 or not re.fullmatch(rb"[\w/:.\-]+", idstr):
            return None
        inst, ver = struct.unpack_from(">II", data, p + 6 + n)
        return sid, idstr.decode(), inst, ver, p + 14 + n

    def chain(p):
        sections = {}
        while p != eof_pos:
            h = header(p)
            if h is None:
                return None
            sid, idstr, inst, ver, body = h
            footer = bytes([QEMU_VM_SECTION_FOOTER]) + struct.pack(">I", sid)
            q = data.find(footer, body)
            while q >= 0:
                nxt = q + 5
                if nxt == eof_pos or header(nxt) is not None:
                    break
                q = data.find(footer, q + 1)
            if q < 0:
                return None
            sections[(idstr, inst)] = (ver, data[body:q])
            p = q + 5
        return sections

    marker = struct.pack(">Q", RAM_SAVE_FLAG_EOS) + \
        bytes([QEMU_VM_SECTION_FOOTER]) + struct.pack(">I", ram_sid)
    p = data.find(marker)
    while p >= 0:
        found = chain(p + len(marker))
        if found:
            return found
        p = data.find(marker, p + 1)
    raise AssertionError("no chain of device sections found")


def migrate_to_file(vm, path):
    vm.qmp.cmd("migrate", uri=f"file:{path}")
    info = vm.wait_migration()
    assert info["status"] == "completed", info
    return path.read_bytes()


def test_save_load_save_identical_device_sections(osprey, hashcount,
                                                  tmp_path, vms):
    src = start(vms, osprey, tmp_path, "src", [], kernel=hashcount)
    wait_record(src, 3)
    settle(src)
    first = migrate_to_file(src, tmp_path / "a.bin")
    streams = [first]
    # Load into a new process that stays paused (-S), save again; twice.
    for name in ("b", "c"):
        vm = start(vms, osprey, tmp_path, f"dst-{name}",
                   ["-incoming", f"file:{tmp_path}/{chr(ord(name) - 1)}.bin",
                    "-S"], kernel=hashcount)
        assert vm.wait_migration()["status"] == "completed"
        assert vm.status() == "paused"
        streams.append(migrate_to_file(vm, tmp_path / f"{name}.bin"))
    secs = [device_sections(s) for s in streams]
    names = {k[0] for k in secs[0]}
    for want in ("cpu", "i8254", "mc146818rtc", "i8259", "serial", "timer",
                 "apic", "pcspk"):
        assert want in names, f"no {want!r} section in {sorted(names)}"
    for i in (1, 2):
        assert secs[i].keys() == secs[0].keys()
        differ = [k for k in secs[0] if secs[i][k] != secs[0][k]]
        assert not differ, \
            f"save {i + 1} differs from save 1 in {differ}: " + \
            "; ".join(f"{k}: {secs[0][k][1].hex()} -> {secs[i][k][1].hex()}"
                      for k in differ[:3])
    # With the guest stopped, the RAM went over unchanged too.
    ends = [s.index(struct.pack(">Q", RAM_SAVE_FLAG_EOS) + b"\x7e") for s in
            streams]
    assert streams[1][:ends[1]] == streams[0][:ends[0]]
