"""VM snapshots in qcow2 internal snapshots: savevm, loadvm, delvm, info
snapshots (HMP), snapshot-save/-load/-delete jobs (QMP), -loadvm.

The guest is tests/guest/counter.S run with "-append loop": it prints
"count N" on COM1 for ever, N kept in RAM.  A loadvm makes the count go
back to where it was at the savevm, whether the CPU state is restored
(the guest goes on from its loop) or not yet (the guest restarts, finds
the count in RAM and goes on from it: "counter: resumed").

The images are checked by Debian's qemu-img (list, check, info) and by
osprey-img, and modified by qemu-io to see which disk state loadvm left.
"""
import json
import os
import re
import shutil
import struct
import subprocess
import sys
import tempfile
import time

import pytest

sys.path.insert(0, os.path.dirname(__file__))
from conftest import BUILD  # noqa: E402
from qmp import QMP, QMPError  # noqa: E402
from test_guest_programs import osprey_runs_pc  # noqa: E402,F401

TIMEOUT = 60          # generous: the machine is shared and loaded
QEMU_IMG = shutil.which("qemu-img")
QEMU_IO = shutil.which("qemu-io")

pytestmark = pytest.mark.skipif(QEMU_IMG is None,
                                reason="qemu-img not installed")


@pytest.fixture
def workdir():
    d = tempfile.mkdtemp(prefix="snapshot-test-")
    yield d
    shutil.rmtree(d, ignore_errors=True)


@pytest.fixture
def counter(osprey, guest_programs):
    if not osprey_runs_pc(osprey):
        pytest.skip("pc machine not available yet")
    return str(guest_programs / "counter.elf")


def qemu_img(*args, check=True):
    r = subprocess.run([QEMU_IMG, *args], capture_output=True, text=True,
                       timeout=TIMEOUT)
    if check:
        assert r.returncode == 0, f"qemu-img {args}: {r.stdout}{r.stderr}"
    return r


def make_image(workdir, name="disk0.qcow2", fmt="qcow2", size="64M"):
    path = os.path.join(workdir, name)
    qemu_img("create", "-f", fmt, path, size)
    return path


class CounterVM:
    """osprey running the counter guest, COM1 in a file, QMP on a socket."""

    def __init__(self, osprey, kernel, workdir, drives=(), extra=()):
        self.serial = os.path.join(workdir, f"serial-{time.monotonic_ns()}")
        self.qmp_path = os.path.join(workdir, "qmp.sock")
        if os.path.exists(self.qmp_path):
            os.unlink(self.qmp_path)
        args = [osprey, "-M", "pc", "-m", "64", "-kernel", kernel,
                "-append", "loop", "-serial", f"file:{self.serial}",
                "-qmp", f"unix:{self.qmp_path},server=on,wait=off"]
        for d in drives:
            args += ["-drive", d]
        args += list(extra)
        self.proc = subprocess.Popen(args, stdin=subprocess.DEVNULL,
                                     stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, text=True)
        deadline = time.monotonic() + TIMEOUT
        while not os.path.exists(self.qmp_path):
            if self.proc.poll() is not None:
                raise RuntimeError(f"osprey exited {self.proc.returncode}: "
                                   f"{self.proc.stderr.read()}")
            assert time.monotonic() < deadline, "no QMP socket"
            time.sleep(0.05)
        self.qmp = QMP.connect_unix(self.qmp_path, timeout=TIMEOUT)

    def hmp(self, line):
        out = self.qmp.cmd("human-monitor-command", {"command-line": line})
        return out.replace("\r\n", "\n")

    def status(self):
        return self.qmp.cmd("query-status")["status"]

    def output(self):
        try:
            with open(self.serial, "rb") as f:
                return f.read().decode(errors="replace")
        except FileNotFoundError:
            return ""

    def counts(self, start=0):
        """The counts printed after character offset start."""
        text = self.output()[start:]
        # The last line may be incomplete.
        lines = text.split("\n")[:-1]
        return [int(m.group(1)) for m in
                (re.fullmatch(r"count (\d+)", ln.strip()) for ln in lines)
                if m]

    def wait_count(self, at_least, start=0):
        deadline = time.monotonic() + TIMEOUT
        while True:
            c = self.counts(start)
            if c and c[-1] >= at_least:
                return c[-1]
            assert self.proc.poll() is None, "osprey exited"
            assert time.monotonic() < deadline, \
                f"count {at_least} not reached; output tail:\n" \
                f"{self.output()[-500:]}"
            time.sleep(0.05)

    def stopped_count(self):
        """Stop the VM; the last count printed once the output settles."""
        self.qmp.cmd("stop")
        last, settled = None, 0
        while settled < 3:
            time.sleep(0.1)
            c = self.counts()
            now = c[-1] if c else None
            settled = settled + 1 if now == last else 0
            last = now
        return last

    def quit(self):
        if self.proc.poll() is None:
            try:
                self.qmp.cmd("quit")
            except (QMPError, EOFError, OSError):
                pass
            try:
                self.proc.wait(timeout=TIMEOUT)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.qmp.close()

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self.qmp.close()


@pytest.fixture
def vms():
    started = []
    yield started
    for vm in started:
        vm.kill()


def start(vms, *args, **kw):
    vm = CounterVM(*args, **kw)
    vms.append(vm)
    return vm


def went_back(vm, offset, saved, timeout=TIMEOUT):
    """After output offset, a count at most saved + 2 appears (the count
    in RAM at the savevm, plus one not yet printed), and counting goes on
    from it."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        c = vm.counts(offset)
        low = [i for i, n in enumerate(c) if n <= saved + 2]
        if low and len(c) > low[0] + 3:
            after = c[low[0]:low[0] + 4]
            assert after == list(range(after[0], after[0] + 4)), after
            return after[0]
        time.sleep(0.05)
    raise AssertionError(f"count did not go back to ~{saved}; output after "
                         f"loadvm:\n{vm.output()[offset:][:1000]}")


def snapshot_table(text):
    """{tag: (id, vm size)} from an info snapshots / snapshot -l table."""
    rows = {}
    for line in text.splitlines():
        m = re.match(r"(\S+)\s+(\S+)\s+(\d+(?:\.\d+)? \S+)\s+\d{4}-\d\d-\d\d ",
                     line)
        if m:
            rows[m.group(2)] = (m.group(1), m.group(3))
    return rows


def test_savevm_loadvm_count_goes_back(osprey, counter, workdir, vms):
    disk = make_image(workdir)
    vm = start(vms, osprey, counter, workdir,
               drives=[f"file={disk},if=none,id=disk0"])
    vm.wait_count(5)
    saved = vm.stopped_count()
    assert vm.hmp("savevm s1") == ""
    assert vm.status() == "paused"          # savevm keeps a paused VM paused
    vm.qmp.cmd("cont")
    vm.wait_count(saved + 40)
    offset = len(vm.output())
    assert vm.hmp("loadvm s1") == ""
    assert vm.status() == "running"         # running before, running after
    went_back(vm, offset, saved)
    # Loading twice works too (the snapshot is not used up).
    vm.wait_count(saved + 40, len(vm.output()))
    offset = len(vm.output())
    assert vm.hmp("loadvm s1") == ""
    went_back(vm, offset, saved)
    vm.quit()
    assert vm.proc.returncode == 0


def test_loadvm_on_paused_vm_stays_paused(osprey, counter, workdir, vms):
    disk = make_image(workdir)
    vm = start(vms, osprey, counter, workdir,
               drives=[f"file={disk},if=none,id=disk0"])
    vm.wait_count(3)
    vm.qmp.events()
    assert vm.hmp("savevm s1") == ""
    # The VM was stopped for the save and started again.
    assert vm.qmp.event_wait("STOP")
    assert vm.qmp.event_wait("RESUME")
    # COM1 writes reach the file at once: nothing the guest counted
    # before the savevm stopped it is missing from the output now.
    saved = vm.counts()[-1]
    assert vm.status() == "running"
    vm.wait_count(saved + 40)
    vm.qmp.cmd("stop")
    assert vm.hmp("loadvm s1") == ""
    assert vm.status() == "paused"
    offset = len(vm.output())
    vm.qmp.cmd("cont")
    went_back(vm, offset, saved)


def test_info_snapshots_and_delvm(osprey, counter, workdir, vms):
    disk = make_image(workdir)
    vm = start(vms, osprey, counter, workdir,
               drives=[f"file={disk},if=none,id=disk0"])
    vm.wait_count(2)
    out = vm.hmp("info snapshots")
    assert out.splitlines() == ["List of snapshots present on all disks:",
                                "None"]
    assert vm.hmp("savevm s1") == ""
    assert vm.hmp("savevm") == ""           # automatic name
    out = vm.hmp("info snapshots")
    lines = out.splitlines()
    assert lines[0] == "List of snapshots present on all disks:"
    assert lines[1].split() == ["ID", "TAG", "VM", "SIZE", "DATE", "VM",
                                "CLOCK", "ICOUNT"]
    rows = snapshot_table(out)
    assert set(rows) >= {"s1"} and len(rows) == 2, out
    auto = [t for t in rows if t != "s1"][0]
    assert re.fullmatch(r"vm-\d{14}", auto), auto
    assert all(r[0] == "--" for r in rows.values())
    assert all(not r[1].startswith("0 ") for r in rows.values()), out
    # savevm with an existing name replaces it (HMP overwrites, as QEMU).
    assert vm.hmp("savevm s1") == ""
    assert set(snapshot_table(vm.hmp("info snapshots"))) == {"s1", auto}
    assert vm.hmp("delvm s1") == ""
    assert set(snapshot_table(vm.hmp("info snapshots"))) == {auto}
    assert "Snapshot 's1' does not exist" in vm.hmp("delvm s1")
    assert "does not exist on device 'disk0'" in vm.hmp("loadvm s1")
    vm.quit()
    out = qemu_img("snapshot", "-l", disk).stdout
    assert set(snapshot_table(out)) == {auto}


def test_images_after_savevm(osprey, counter, workdir, vms):
    disk = make_image(workdir)
    vm = start(vms, osprey, counter, workdir,
               drives=[f"file={disk},if=none,id=disk0"])
    vm.wait_count(2)
    assert vm.hmp("savevm before-quit") == ""
    vm.quit()
    assert vm.proc.returncode == 0
    out = qemu_img("snapshot", "-l", disk).stdout
    assert "before-quit" in snapshot_table(out), out
    r = subprocess.run([str(BUILD / "osprey-img"), "snapshot", "-l", disk],
                       capture_output=True, text=True, timeout=TIMEOUT)
    assert r.returncode == 0, r.stderr
    assert "before-quit" in snapshot_table(r.stdout), r.stdout
    r = qemu_img("check", disk, check=False)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "No errors were found" in r.stdout
    info = json.loads(qemu_img("info", "--output=json", disk).stdout)
    (sn,) = info["snapshots"]
    assert sn["name"] == "before-quit"
    assert sn["vm-state-size"] > 64 * 1024   # RAM is in it
    assert sn["vm-clock-sec"] * 10**9 + sn["vm-clock-nsec"] > 0
    assert abs(sn["date-sec"] - time.time()) < 3600
    assert "icount" not in sn                # -1: not recorded


def test_loadvm_at_startup(osprey, counter, workdir, vms):
    disk = make_image(workdir)
    vm = start(vms, osprey, counter, workdir,
               drives=[f"file={disk},if=none,id=disk0"])
    vm.wait_count(5)
    saved = vm.stopped_count()
    assert vm.hmp("savevm boot") == ""
    vm.qmp.cmd("cont")
    vm.wait_count(saved + 40)
    vm.quit()
    vm = start(vms, osprey, counter, workdir,
               drives=[f"file={disk},if=none,id=disk0"],
               extra=["-loadvm", "boot"])
    first = went_back(vm, 0, saved)
    assert first > 1, "the guest started from scratch"
    vm.quit()
    # A missing tag stops start-up with an error.
    r = subprocess.run([osprey, "-M", "pc", "-m", "64", "-kernel", counter,
                        "-drive", f"file={disk},if=none", "-loadvm", "nope"],
                       capture_output=True, text=True, timeout=TIMEOUT)
    assert r.returncode == 1
    assert "-loadvm nope" in r.stderr and "does not exist" in r.stderr


def test_two_disks_and_missing_snapshot(osprey, counter, workdir, vms):
    d0 = make_image(workdir, "d0.qcow2")
    d1 = make_image(workdir, "d1.qcow2")
    vm = start(vms, osprey, counter, workdir,
               drives=[f"file={d0},if=none,id=d0",
                       f"file={d1},if=none,id=d1"])
    vm.wait_count(3)
    assert vm.hmp("savevm both") == ""
    # A snapshot of d0 only, through QMP's devices list.
    vm.qmp.cmd("snapshot-save", {"job-id": "j1", "tag": "only0",
                                 "vmstate": "d0", "devices": ["d0"]})
    wait_job(vm, "j1")
    (job,) = vm.qmp.cmd("query-jobs")
    assert "error" not in job, job
    vm.qmp.cmd("job-dismiss", id="j1")
    out = vm.hmp("info snapshots")
    assert set(snapshot_table(out.split("\n\n")[0])) == {"both"}, out
    assert "List of partial (non-loadable) snapshots on 'd0':" in out
    assert "only0" in out.split("\n\n")[1]
    # Loading it refuses before touching anything: the VM stays stopped
    # and its RAM is not reverted.
    saved = vm.wait_count(20)
    err = vm.hmp("loadvm only0")
    assert "Snapshot 'only0' does not exist on device 'd1'" in err, err
    assert vm.status() == "restore-vm"
    offset = len(vm.output())
    vm.qmp.cmd("cont")
    assert min(vm.counts(offset) or [saved]) >= saved - 1
    vm.wait_count(saved + 10)
    assert min(vm.counts(offset)) >= saved - 1
    vm.quit()
    i0 = json.loads(qemu_img("info", "--output=json", d0).stdout)
    i1 = json.loads(qemu_img("info", "--output=json", d1).stdout)
    s0 = {s["name"]: s for s in i0["snapshots"]}
    s1 = {s["name"]: s for s in i1["snapshots"]}
    assert set(s0) == {"both", "only0"} and set(s1) == {"both"}
    # The VM state goes into the first drive only.
    assert s0["both"]["vm-state-size"] > 0
    assert s1["both"]["vm-state-size"] == 0
    for d in (d0, d1):
        assert qemu_img("check", d, check=False).returncode == 0


@pytest.mark.parametrize("drive,msg", [
    (None, "No block device can accept snapshots"),
    ("format=raw", "Device 'disk0' is writable but does not support "
                   "snapshots"),
    ("readonly=on", "No block device can accept snapshots"),
])
def test_savevm_errors(osprey, counter, workdir, vms, drive, msg):
    drives = []
    if drive:
        fmt = "raw" if "raw" in drive else "qcow2"
        disk = make_image(workdir, "disk0." + fmt, fmt=fmt)
        drives = [f"file={disk},if=none,id=disk0,{drive}"]
    vm = start(vms, osprey, counter, workdir, drives=drives)
    vm.wait_count(2)
    assert msg in vm.hmp("savevm s1")
    assert msg in vm.hmp("info snapshots") or drive == "format=raw"
    assert vm.status() == "running"         # a refused savevm changes nothing
    assert msg in vm.hmp("loadvm s1")
    vm.quit()


def find_snapshot_entry(path, tag):
    """Offset of the snapshot table entry for tag, and its fields."""
    with open(path, "rb") as f:
        hdr = f.read(72)
        nb, off = struct.unpack(">IQ", hdr[60:72])
        f.seek(off)
        table = f.read(1 << 20)
    pos = 0
    for _ in range(nb):
        (l1_off, l1_size, id_len, name_len, _ds, _dn, _clk, vm32,
         extra) = struct.unpack(">QIHHIIQII", table[pos:pos + 40])
        name_at = pos + 40 + extra + id_len
        name = table[name_at:name_at + name_len].decode()
        if name == tag:
            return off + pos, l1_off, vm32, extra
        pos = (name_at + name_len + 7) & ~7
    raise KeyError(tag)


def vmstate_host_offset(path, tag):
    """Host offset of the first VM state cluster of snapshot tag (the
    stream starts with "QEVM")."""
    with open(path, "rb") as f:
        data = f.read()
    at = data.find(b"QEVM\x00\x00\x00\x03")
    assert at >= 0, "no VM state stream in the image"
    return at


def qemu_io(disk, command):
    """One qemu-io command on disk; a failure or a read -P that finds
    another pattern fails the test."""
    r = subprocess.run([QEMU_IO, "-c", command, disk],
                       capture_output=True, text=True, timeout=TIMEOUT)
    assert r.returncode == 0 and "Pattern verification failed" not in \
        r.stdout, r.stdout + r.stderr


def savevm_then_write_disk(osprey, counter, workdir, vms):
    """An image with snapshot s1 whose disk was written (0xaa over the
    first 64 KiB) after it: a loadvm that reverts the disk undoes that."""
    disk = make_image(workdir)
    vm = start(vms, osprey, counter, workdir,
               drives=[f"file={disk},if=none,id=disk0"])
    vm.wait_count(3)
    assert vm.hmp("savevm s1") == ""
    vm.quit()
    qemu_io(disk, "write -P 0xaa 0 64k")
    return disk


@pytest.mark.skipif(QEMU_IO is None, reason="qemu-io not installed")
@pytest.mark.parametrize("damage", ["corrupt", "truncate"])
def test_bad_vmstate_leaves_disks_and_vm_alone(osprey, counter, workdir,
                                                vms, damage):
    disk = savevm_then_write_disk(osprey, counter, workdir, vms)
    if damage == "corrupt":
        at = vmstate_host_offset(disk, "s1")
        with open(disk, "r+b") as f:
            f.seek(at + 200)
            b = f.read(1)
            f.seek(at + 200)
            f.write(bytes([b[0] ^ 0xff]))
        want = "checksum mismatch"
    else:
        entry, _, vm32, extra = find_snapshot_entry(disk, "s1")
        short = vm32 // 2
        with open(disk, "r+b") as f:
            f.seek(entry + 32)
            f.write(struct.pack(">I", short))
            if extra >= 8:                  # vm_state_size_large
                f.seek(entry + 40)
                f.write(struct.pack(">Q", short))
        want = "truncated"

    vm = start(vms, osprey, counter, workdir,
               drives=[f"file={disk},if=none,id=disk0"])
    saved = vm.wait_count(20)
    err = vm.hmp("loadvm s1")
    assert want in err and "no disk was reverted" in err, err
    assert "'s1'" in err and "'disk0'" in err, err
    assert vm.status() == "restore-vm"      # a failed load stays stopped
    offset = len(vm.output())
    vm.qmp.cmd("cont")
    vm.wait_count(saved + 5)
    assert min(vm.counts(offset)) >= saved - 1
    vm.quit()
    qemu_io(disk, "read -P 0xaa 0 64k")      # not reverted
    # -loadvm refuses to start from it.
    r = subprocess.run([osprey, "-M", "pc", "-m", "64", "-kernel", counter,
                        "-drive", f"file={disk},if=none", "-loadvm", "s1"],
                       capture_output=True, text=True, timeout=TIMEOUT)
    assert r.returncode == 1 and want in r.stderr, r.stderr


@pytest.mark.skipif(QEMU_IO is None, reason="qemu-io not installed")
def test_loadvm_reverts_disk(osprey, counter, workdir, vms):
    disk = savevm_then_write_disk(osprey, counter, workdir, vms)
    vm = start(vms, osprey, counter, workdir,
               drives=[f"file={disk},if=none,id=disk0"])
    vm.wait_count(3)
    assert vm.hmp("loadvm s1") == ""
    vm.quit()
    qemu_io(disk, "read -P 0 0 64k")         # reverted
    assert qemu_img("check", disk, check=False).returncode == 0


def wait_job(vm, job_id):
    """JOB_STATUS_CHANGE events for job_id up to concluded."""
    seen = []
    while not seen or seen[-1] != "concluded":
        ev = vm.qmp.event_wait("JOB_STATUS_CHANGE", timeout=TIMEOUT)
        if ev["data"]["id"] == job_id:
            seen.append(ev["data"]["status"])
    return seen


def test_qmp_snapshot_jobs(osprey, counter, workdir, vms):
    disk = make_image(workdir)
    vm = start(vms, osprey, counter, workdir,
               drives=[f"file={disk},if=none,id=disk0"])
    vm.wait_count(5)
    saved = vm.stopped_count()
    assert vm.qmp.cmd("snapshot-save", {"job-id": "save1", "tag": "q1",
                                        "vmstate": "disk0",
                                        "devices": ["disk0"]}) == {}
    assert wait_job(vm, "save1") == ["created", "running", "waiting",
                                     "pending", "concluded"]
    assert vm.status() == "paused"
    vm.qmp.cmd("cont")
    jobs = vm.qmp.cmd("query-jobs")
    assert jobs == [{"id": "save1", "type": "snapshot-save",
                     "status": "concluded", "current-progress": 1,
                     "total-progress": 1}]
    # A job id stays taken until dismissed.
    with pytest.raises(QMPError, match="Job ID 'save1' already in use"):
        vm.qmp.cmd("snapshot-save", {"job-id": "save1", "tag": "q2",
                                     "vmstate": "disk0",
                                     "devices": ["disk0"]})
    vm.qmp.cmd("job-dismiss", id="save1")
    assert vm.qmp.cmd("query-jobs") == []
    with pytest.raises(QMPError, match="Job not found"):
        vm.qmp.cmd("job-dismiss", id="save1")

    # Saving under an existing tag fails (QMP does not overwrite).
    vm.qmp.cmd("snapshot-save", {"job-id": "save2", "tag": "q1",
                                 "vmstate": "disk0", "devices": ["disk0"]})
    wait_job(vm, "save2")
    (job,) = vm.qmp.cmd("query-jobs")
    assert job["status"] == "concluded"
    assert "Snapshot 'q1' already exists" in job["error"]
    vm.qmp.cmd("job-dismiss", id="save2")

    # Errors in the arguments are the job's error, too.
    vm.qmp.cmd("snapshot-load", {"job-id": "bad", "tag": "q1",
                                 "vmstate": "nodisk", "devices": ["disk0"]})
    wait_job(vm, "bad")
    (job,) = vm.qmp.cmd("query-jobs")
    assert "block device 'nodisk' does not exist" in job["error"]
    vm.qmp.cmd("job-dismiss", id="bad")
    assert vm.status() == "restore-vm"      # a failed load stays stopped
    vm.qmp.cmd("cont")

    vm.wait_count(saved + 60)
    offset = len(vm.output())
    vm.qmp.cmd("snapshot-load", {"job-id": "load1", "tag": "q1",
                                 "vmstate": "disk0", "devices": ["disk0"]})
    wait_job(vm, "load1")
    (job,) = vm.qmp.cmd("query-jobs")
    assert "error" not in job, job
    vm.qmp.cmd("job-dismiss", id="load1")
    assert vm.status() == "running"
    went_back(vm, offset, saved)

    vm.qmp.cmd("snapshot-delete", {"job-id": "del1", "tag": "q1",
                                   "devices": ["disk0"]})
    wait_job(vm, "del1")
    (job,) = vm.qmp.cmd("query-jobs")
    assert "error" not in job, job
    assert snapshot_table(vm.hmp("info snapshots")) == {}

    with pytest.raises(QMPError, match="Invalid job ID"):
        vm.qmp.cmd("snapshot-delete", {"job-id": "1x", "tag": "q1",
                                       "devices": []})
    with pytest.raises(QMPError, match="Parameter 'devices' missing"):
        vm.qmp.cmd("snapshot-delete", {"job-id": "x", "tag": "q1"})
    vm.quit()


GUEST = BUILD / "guest"


@pytest.mark.skipif(not (GUEST / "vmlinuz").exists() or
                    not (GUEST / "initramfs.cpio.gz").exists(),
                    reason="no default guest: run make guest")
def test_linux_guest_savevm_loadvm(osprey, workdir):
    from guest import SerialGuest
    disk = make_image(workdir)
    qmp_path = os.path.join(workdir, "qmp.sock")
    g = SerialGuest([osprey, "-M", "pc", "-m", "256", "-serial", "stdio",
                     "-kernel", str(GUEST / "vmlinuz"),
                     "-initrd", str(GUEST / "initramfs.cpio.gz"),
                     "-append", "console=ttyS0 quiet panic=-1",
                     "-drive", f"file={disk},if=none,id=disk0",
                     "-qmp", f"unix:{qmp_path},server=on,wait=off"],
                    timeout=100)
    qmp = None
    try:
        g.read_until(b"OSPREY-GUEST-READY")
        g.read_until(b"osprey-guest# ")
        qmp = QMP.connect_unix(qmp_path, timeout=TIMEOUT)

        def hmp(line):
            return qmp.cmd("human-monitor-command", {"command-line": line})

        g.run("echo before > /tmp/mark")
        assert hmp("savevm s1") == ""
        assert g.run("echo after > /tmp/mark; cat /tmp/mark").strip() == \
            "after"
        assert hmp("loadvm s1") == ""
        assert qmp.cmd("query-status")["status"] == "running"
        # The shell still answers, with the file as it was at the savevm.
        assert g.run("cat /tmp/mark", timeout=60).strip() == "before"
        assert g.run("echo $((6 * 7))", timeout=60).strip() == "42"
    finally:
        if qmp:
            qmp.close()
        g.kill()


def test_drive_and_hda_options(osprey, workdir):
    """-drive if=none and -hda open the image (a comma in the file name
    is doubled for -drive, taken as is by -hda); -hda is a virtio disk,
    which needs a PCI bus; interfaces with no controller are refused."""
    disk = make_image(workdir, "a,b.qcow2")
    out = os.path.join(workdir, "vmstate.json")

    def run(*args, machine="pc"):
        return subprocess.run([osprey, "-M", machine, *args,
                               "-dump-vmstate", out],
                              capture_output=True, text=True, timeout=TIMEOUT)
    r = run("-hda", disk)
    assert r.returncode == 0, r.stderr
    r = run("-drive", f"file={disk.replace(',', ',,')},if=none,id=x",
            machine="none")
    assert r.returncode == 0, r.stderr
    r = run("-hda", disk, machine="none")
    assert r.returncode == 1
    assert "No 'PCI' bus found for device 'virtio-blk-pci'" in r.stderr
    r = run("-drive", f"file={disk.replace(',', ',,')},if=ide")
    assert r.returncode == 1
    assert "if=ide is not supported" in r.stderr
    r = run("-hda", os.path.join(workdir, "missing.qcow2"))
    assert r.returncode == 1
    assert "Could not open" in r.stderr and "missing.qcow2" in r.stderr
    # Two drives on one image: the second is refused by the image lock.
    r = run("-hda", disk, "-hda", disk)
    assert r.returncode == 1 and "lock" in r.stderr, r.stderr
