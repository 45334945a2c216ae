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
import os
import re
import struct
import time

import pytest

from guest import MIGRATION_TIMEOUT, QmpVm, free_port, start
from test_guest_programs import osprey_runs_pc  # noqa: F401
from test_snapshot import QEMU_IMG, qemu_img

RECORD_RE = re.compile(r"^count (\d+) hash 0x([0-9a-f]{8})\n", re.M)
BUF_PAGES = 256
PAGE_WORDS = 1024
STEP = 0.1                  # the guest's pace, seconds


_hashes = {}


def buffer_hash(n):
    """The hash hashcount prints at count n (see tests/guest/hashcount.S):
    slow in Python (about 0.3 s), so used for a few counts only."""
    if n in _hashes:
        return _hashes[n]
    h = 0x811c9dc5
    for p in range(BUF_PAGES):
        high = p << 20
        for i in range(PAGE_WORDS):
            m = n - ((n - i) % PAGE_WORDS)
            h = ((h ^ ((m ^ high) if m >= 1 else 0)) * 0x01000193) \
                & 0xffffffff
    _hashes[n] = h
    return h


def records(text):
    """[(count, hash)] of the complete lines in text."""
    return [(int(c), int(h, 16)) for c, h in RECORD_RE.findall(text)]


@pytest.fixture
def hashcount(osprey, guest_programs):
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
    for i, c in enumerate(counts):
        assert c == first + i, \
            f"expected counts from {first}: after " \
            f"{counts[max(0, i - 3):i]} comes {counts[i:i + 3]}"
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
        t0 = time.monotonic()
        # The guest goes on from the snapshot's point: the rest of the
        # line it was printing, then count saved + 1, ..., with the same
        # hashes as before.
        wait_record(vm, saved + 4, offset)
        # Paced by the restored PIT: three whole 100 ms waits and part of
        # one, about 0.35 s.  The bounds allow for a loaded host (the
        # waits are in guest time, only the hashing slows down) but not
        # for a PIT or virtual clock restored seconds off.
        elapsed = time.monotonic() - t0
        assert 3 * STEP * 0.8 <= elapsed <= 3, \
            f"round {rnd}: 3 steps after loadvm took {elapsed:.2f} s"
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
    """(where the device part starts, {(idstr, instance): (version,
    bytes)} of a stream's device (FULL) sections).

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
            return p + len(marker), found
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
    parts = [device_sections(s) for s in streams]
    secs = [sections for _, sections in parts]
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
    for i in (1, 2):
        assert streams[i][:parts[i][0]] == streams[0][:parts[0][0]]


# ---- 3. live migration ----------------------------------------------------

@pytest.fixture(scope="module")
def reference(osprey, guest_programs, tmp_path_factory):
    """hashes(n): {count: hash} for counts 1..n from an uninterrupted run
    of the fast guest (kept paused between uses)."""
    if not osprey_runs_pc(osprey):
        pytest.skip("pc machine not available yet")
    kernel = guest_programs / "hashcount.elf"
    vm = QmpVm(osprey, tmp_path_factory.mktemp("reference"), "ref", ["-S"],
               kernel=kernel, append="forever fast")

    def hashes(n):
        if vm.status() != "running":
            vm.qmp.cmd("cont")
        wait_record(vm, n, timeout=MIGRATION_TIMEOUT)
        vm.qmp.cmd("stop")
        recs = records(vm.serial())
        check_sequence(recs, 1, {})
        return dict(recs)

    yield hashes
    vm.close()


def check_migrated(src, dst, reference, at_least=20):
    """Source output up to its stop, then the destination's, form one
    sequence 1, 2, ... and every hash is the uninterrupted run's."""
    src_out = src.serial()
    wait_record(dst, records(src_out)[-1][0] + at_least)
    time.sleep(0.3)                 # the source stays stopped
    assert src.serial() == src_out
    recs = records(src_out + dst.serial())
    check_sequence(recs, 1, {})
    # The destination did not start over: it printed no first count.
    assert records(dst.serial())[0][0] > 1
    ref = reference(recs[-1][0])
    bad = [(c, h, ref[c]) for c, h in recs if h != ref[c]]
    assert not bad, f"hashes differ from the uninterrupted run: {bad[:5]}"
    # And the run is the formula's: one count checked in Python.
    junction = records(src_out)[-1][0] + 1
    assert ref[junction] == buffer_hash(junction)


def transport_uris(transport, tmp_path):
    """(outgoing, incoming) URIs for a live migration over transport."""
    if transport == "tcp":
        uri = f"tcp:127.0.0.1:{free_port()}"
        return uri, uri
    if transport == "unix":
        uri = f"unix:{tmp_path}/mig.sock"
        return uri, uri
    # exec on both ends, through a FIFO: still live, both run at once.
    fifo = tmp_path / "mig.fifo"
    os.mkfifo(fifo)
    return f"exec:cat > {fifo}", f"exec:cat {fifo}"


@pytest.mark.parametrize("transport", ["tcp", "unix", "exec"])
def test_live_migration_continues_count_and_hash(osprey, hashcount,
                                                 reference, tmp_path, vms,
                                                 transport):
    out_uri, in_uri = transport_uris(transport, tmp_path)
    src = start(vms, osprey, tmp_path, "src", [], kernel=hashcount,
                append="forever fast")
    dst = start(vms, osprey, tmp_path, "dst", ["-incoming", in_uri],
                kernel=hashcount, append="forever fast")
    wait_record(src, 50)
    src.qmp.cmd("migrate", uri=out_uri)
    info = src.wait_migration()
    assert info["status"] == "completed", info
    assert src.status() == "postmigrate"
    # The guest kept writing while the RAM went: pages were sent again.
    assert info["ram"]["dirty-sync-count"] >= 2, info
    assert info["ram"]["normal"] > BUF_PAGES, info
    assert dst.wait_migration()["status"] == "completed"
    check_migrated(src, dst, reference)


def test_cancel_then_migrate_again(osprey, hashcount, reference, tmp_path,
                                   vms):
    uri = f"tcp:127.0.0.1:{free_port()}"
    src = start(vms, osprey, tmp_path, "src", [], kernel=hashcount,
                append="forever fast")
    dst = start(vms, osprey, tmp_path, "dst", ["-incoming", uri],
                kernel=hashcount, append="forever fast")
    # Slow enough that it is still going when cancelled.
    src.qmp.cmd("migrate-set-parameters",
                **{"max-bandwidth": 2_000_000, "downtime-limit": 1})
    wait_record(src, 50)
    src.qmp.cmd("migrate", uri=uri)
    deadline = time.monotonic() + MIGRATION_TIMEOUT
    while True:                     # mid-way: some RAM sent, not all
        info = src.qmp.cmd("query-migrate")
        assert info["status"] in ("setup", "active"), info
        if info.get("ram", {}).get("transferred", 0) > 1 << 20:
            break
        assert time.monotonic() < deadline, info
        time.sleep(0.1)
    src.qmp.cmd("migrate_cancel")
    info = src.wait_migration()
    assert info["status"] == "cancelled", info
    assert src.status() == "running"
    # The source counts on, in sequence, with the right hashes.
    n = records(src.serial())[-1][0]
    recs = wait_record(src, n + 50)
    check_sequence(recs, 1, {})
    assert dst.wait_migration(("failed", "completed"))["status"] == "failed"
    assert records(dst.serial()) == []
    # A second migration, to a new destination, completes.
    uri = f"tcp:127.0.0.1:{free_port()}"
    dst2 = start(vms, osprey, tmp_path, "dst2", ["-incoming", uri],
                 kernel=hashcount, append="forever fast")
    src.qmp.cmd("migrate-set-parameters",
                **{"max-bandwidth": 100 << 20, "downtime-limit": 300})
    src.qmp.cmd("migrate", uri=uri)
    info = src.wait_migration()
    assert info["status"] == "completed", info
    check_migrated(src, dst2, reference)
