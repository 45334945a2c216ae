"""Live migration between two Osprey processes (migration/migration.c).

The guest is tests/guest/migcount.S run with -append forever: it prints
"count 0x%08x" for every step of a counter kept in RAM and rewrites a
word in each page of a 1 MiB buffer at every step, so RAM is re-dirtied
while the migration iterates.  After a migration the destination must go
on from the count where the source stopped, never from 1.

Everything is driven over raw QMP (tests/system/qmp.py); the serial
ports write to files the test reads.
"""
import os
import pathlib
import re
import shutil
import socket
import subprocess
import time

import pytest

from conftest import BUILD, GUEST_OUT
from guest import MIGRATION_TIMEOUT, QmpVm, SerialGuest, free_port
from guest import start as guest_start
from qmp import QMP, QMPError

MIGCOUNT = GUEST_OUT / "migcount.elf"
GUEST = pathlib.Path(os.environ.get("GUEST_DIR", BUILD / "guest"))
KERNEL = GUEST / "vmlinuz"
INITRD = GUEST / "initramfs.cpio.gz"
COUNT_RE = re.compile(r"^count 0x([0-9a-f]{8})$", re.M)


class Vm(QmpVm):
    """migcount's counter: "count 0x%08x" lines."""
    COUNT_RE = COUNT_RE
    COUNT_BASE = 16


def start(vms, *args, **kwargs):
    return guest_start(vms, *args, cls=Vm, **kwargs)


@pytest.fixture(scope="module")
def migcount(guest_programs):
    return MIGCOUNT


def events_of(vm, name):
    return [ev for ev in vm.qmp.events() if ev["event"] == name]


def check_continues(src, dst):
    """The destination's counter goes on from where the source stopped."""
    src_counts = src.counts()
    assert src_counts, "source printed no count"
    last = src_counts[-1]
    # The source is paused for good: its counter does not move.
    time.sleep(0.5)
    assert src.counts()[-1] == last
    dst_counts = dst.wait_counts(20)
    # The source may have stopped between the increment and the print,
    # or in the middle of a line: the first full line is last+1 or last+2.
    assert last < dst_counts[0] <= last + 2, \
        f"source stopped at {last:#x}, destination starts at " \
        f"{dst_counts[0]:#x}"
    assert dst_counts == list(range(dst_counts[0],
                                    dst_counts[0] + len(dst_counts)))


def check_completed_info(info):
    assert info["status"] == "completed", info
    ram = info["ram"]
    assert ram["total"] >= 64 << 20
    assert ram["remaining"] == 0
    assert ram["transferred"] > 0
    assert ram["normal"] > 0          # the program and its buffer
    assert ram["duplicate"] > 0       # most of 64 MiB is zero
    assert ram["normal-bytes"] == ram["normal"] * 4096
    assert ram["dirty-sync-count"] >= 1
    assert isinstance(ram["mbps"], (int, float))
    assert info["total-time"] >= info["downtime"] >= 0
    assert "error-desc" not in info


def migrate_and_check(src, dst, uri):
    src.wait_counts(10)
    src.qmp.events()
    assert src.qmp.cmd("migrate", uri=uri) == {}
    info = src.wait_migration()
    check_completed_info(info)
    assert src.status() == "postmigrate"
    evs = src.qmp.events()
    names = [(ev["event"], ev.get("data", {}).get("status")) for ev in evs]
    assert ("STOP", None) in names
    migs = [s for e, s in names if e == "MIGRATION"]
    assert migs[0] == "setup" and migs[-1] == "completed", names
    assert "active" in migs
    return info


@pytest.mark.parametrize("transport", ["unix", "tcp"])
def test_migrate_socket_counter_continues(osprey, migcount, tmp_path, vms,
                                          transport):
    uri = f"unix:{tmp_path}/mig.sock" if transport == "unix" \
        else f"tcp:127.0.0.1:{free_port()}"
    src = start(vms, osprey, tmp_path, "src", [], kernel=migcount)
    dst = start(vms, osprey, tmp_path, "dst", ["-incoming", uri],
                kernel=migcount)
    assert dst.status() == "inmigrate"
    assert dst.qmp.cmd("query-migrate")["status"] == "setup"
    migrate_and_check(src, dst, uri)
    # The destination runs by itself once the stream is in.
    deadline = time.monotonic() + 30
    while dst.status() != "running":
        assert time.monotonic() < deadline
        time.sleep(0.1)
    assert dst.qmp.cmd("query-migrate")["status"] == "completed"
    evs = [(ev["event"], ev.get("data", {}).get("status"))
           for ev in dst.qmp.events()]
    assert ("MIGRATION", "active") in evs
    assert evs.index(("MIGRATION", "completed")) < evs.index(("RESUME", None))
    check_continues(src, dst)


@pytest.mark.parametrize("transport", ["exec", "file"])
def test_migrate_through_file_counter_continues(osprey, migcount, tmp_path,
                                                vms, transport):
    stream = tmp_path / "stream.bin"
    out_uri = f"exec:cat > {stream}" if transport == "exec" \
        else f"file:{stream}"
    in_uri = f"exec:cat {stream}" if transport == "exec" \
        else f"file:{stream}"
    src = start(vms, osprey, tmp_path, "src", [], kernel=migcount)
    migrate_and_check(src, None, out_uri)
    assert stream.stat().st_size > 0
    assert stream.read_bytes()[:4] == b"QEVM"
    dst = start(vms, osprey, tmp_path, "dst", ["-incoming", in_uri],
                kernel=migcount)
    info = dst.wait_migration()
    assert info["status"] == "completed", info
    deadline = time.monotonic() + 30
    while dst.status() != "running":
        assert time.monotonic() < deadline
        time.sleep(0.1)
    check_continues(src, dst)


def test_incoming_defer_and_autostart_off(osprey, migcount, tmp_path, vms):
    """-incoming defer waits for migrate-incoming; with -S the VM stays
    paused after the stream is in, as QEMU's autostart."""
    uri = f"tcp:127.0.0.1:{free_port()}"
    src = start(vms, osprey, tmp_path, "src", [], kernel=migcount)
    dst = start(vms, osprey, tmp_path, "dst", ["-incoming", "defer", "-S"],
                kernel=migcount)
    assert dst.status() == "inmigrate"
    assert dst.qmp.cmd("query-migrate") == {}
    with pytest.raises(QMPError, match="only for -incoming"):
        dst.qmp.cmd("migrate-incoming", uri="defer")
    assert dst.qmp.cmd("migrate-incoming", uri=uri) == {}
    with pytest.raises(QMPError, match="already been started"):
        dst.qmp.cmd("migrate-incoming", uri=uri)
    migrate_and_check(src, dst, uri)
    assert dst.wait_migration()["status"] == "completed"
    assert dst.status() == "paused"
    time.sleep(0.5)
    assert dst.counts() == []           # not running yet
    dst.qmp.cmd("cont")
    check_continues(src, dst)


def test_migrate_incoming_needs_defer(osprey, tmp_path, vms):
    vm = start(vms, osprey, tmp_path, "vm", [])
    with pytest.raises(QMPError, match="'-incoming' was not specified"):
        vm.qmp.cmd("migrate-incoming", uri="tcp:127.0.0.1:1")


def test_iterates_until_downtime_fits(osprey, migcount, tmp_path, vms):
    """With a link too slow for the dirty rate, the migration keeps
    iterating (re-sending re-dirtied pages); a larger downtime-limit set
    while it runs lets it complete."""
    uri = f"unix:{tmp_path}/mig.sock"
    src = start(vms, osprey, tmp_path, "src", [], kernel=migcount)
    dst = start(vms, osprey, tmp_path, "dst", ["-incoming", uri],
                kernel=migcount)
    # 1 MiB dirtied all the time, 2 MB/s for 10 ms: 20 kB would fit.
    src.qmp.cmd("migrate-set-parameters",
                **{"max-bandwidth": 2_000_000, "downtime-limit": 10})
    params = src.qmp.cmd("query-migrate-parameters")
    assert params == {"max-bandwidth": 2_000_000, "downtime-limit": 10}
    src.wait_counts(10)
    src.qmp.cmd("migrate", uri=uri)
    deadline = time.monotonic() + MIGRATION_TIMEOUT
    while True:
        info = src.qmp.cmd("query-migrate")
        assert info["status"] in ("setup", "active"), info
        ram = info.get("ram", {})
        if ram.get("dirty-sync-count", 0) >= 4 and ram["dirty-pages-rate"]:
            break
        assert time.monotonic() < deadline, info
        time.sleep(0.2)
    assert src.status() == "running"
    assert ram["remaining"] > 0
    assert info["expected-downtime"] > 10
    assert ram["normal"] > 256          # the buffer went more than once
    # Rate limited: far below what the loopback socket could take.
    assert ram["mbps"] < 2_000_000 * 8 / 1e6 * 1.5
    sent_before = ram["transferred"]
    src.qmp.cmd("migrate-set-parameters", **{"downtime-limit": 2000,
                                             "max-bandwidth": 100 << 20})
    info = src.wait_migration()
    check_completed_info(info)
    assert info["ram"]["transferred"] > sent_before
    check_continues(src, dst)


def test_cancel_resumes_source(osprey, migcount, tmp_path, vms):
    uri = f"unix:{tmp_path}/mig.sock"
    src = start(vms, osprey, tmp_path, "src", [], kernel=migcount)
    dst = start(vms, osprey, tmp_path, "dst", ["-incoming", uri],
                kernel=migcount)
    src.qmp.cmd("migrate-set-parameters",
                **{"max-bandwidth": 1_000_000, "downtime-limit": 1})
    src.wait_counts(10)
    src.qmp.cmd("migrate", uri=uri)
    src.wait_migration(("active",))
    with pytest.raises(QMPError, match="migration process in progress"):
        src.qmp.cmd("migrate", uri=uri)
    src.qmp.cmd("migrate_cancel")
    info = src.wait_migration(("cancelled", "completed", "failed"))
    assert info["status"] == "cancelled", info
    assert src.migration_events() == ["setup", "active", "cancelling",
                                      "cancelled"]
    assert src.status() == "running"
    before = src.counts()[-1]
    src.wait_counts(len(src.counts()) + 20)
    assert src.counts()[-1] > before
    # The destination saw the stream end early: failed, still answering.
    info = dst.wait_migration(("failed", "completed"))
    assert info["status"] == "failed"
    assert "end of stream" in info["error-desc"] or \
        "Connection reset" in info["error-desc"], info
    assert dst.status() == "inmigrate"
    assert dst.proc.poll() is None
    # A new migration after a cancel works (to a file this time).
    stream = tmp_path / "again.bin"
    src.qmp.cmd("migrate-set-parameters",
                **{"max-bandwidth": 100 << 20, "downtime-limit": 300})
    src.qmp.cmd("migrate", uri=f"file:{stream}")
    check_completed_info(src.wait_migration())


def test_migrate_errors(osprey, migcount, tmp_path, vms):
    src = start(vms, osprey, tmp_path, "src", [], kernel=migcount)
    with pytest.raises(QMPError, match="Unknown migration protocol"):
        src.qmp.cmd("migrate", uri="ftp:example")
    with pytest.raises(QMPError, match="Failed to connect socket.*No such"):
        src.qmp.cmd("migrate", uri=f"unix:{tmp_path}/nobody.sock")
    with pytest.raises(QMPError, match="Failed to connect socket.*refused"):
        src.qmp.cmd("migrate", uri=f"tcp:127.0.0.1:{free_port()}")
    with pytest.raises(QMPError, match="expected tcp:HOST:PORT"):
        src.qmp.cmd("migrate", uri="tcp:nohostport")
    with pytest.raises(QMPError, match="cannot open for writing"):
        src.qmp.cmd("migrate", uri=f"file:{tmp_path}/no/such/dir/f")
    with pytest.raises(QMPError, match="Invalid parameter 'multifd"):
        src.qmp.cmd("migrate-set-parameters", **{"multifd-channels": 2})
    with pytest.raises(QMPError, match="downtime_limit"):
        src.qmp.cmd("migrate-set-parameters",
                    **{"downtime-limit": 3_000_000})
    assert src.qmp.cmd("query-migrate") == {}
    assert src.status() == "running"
    # An exec command that fails: the migration fails, the VM runs on.
    src.qmp.cmd("migrate", uri="exec:exit 3")
    info = src.wait_migration()
    assert info["status"] == "failed", info
    assert info["error-desc"], info
    assert src.status() == "running"


def test_incoming_bad_uri_exits(osprey, tmp_path):
    r = subprocess.run([osprey, "-M", "pc", "-m", "64", "-incoming",
                        "ftp:nowhere"], capture_output=True, text=True,
                       timeout=60)
    assert r.returncode == 1
    assert "-incoming ftp:nowhere: Unknown migration protocol" in r.stderr


@pytest.fixture
def saved_stream(osprey, migcount, tmp_path, vms):
    """A complete stream of the counter guest, in a file."""
    stream = tmp_path / "good.bin"
    src = start(vms, osprey, tmp_path, "saver", [], kernel=migcount)
    src.wait_counts(10)
    src.qmp.cmd("migrate", uri=f"file:{stream}")
    check_completed_info(src.wait_migration())
    return stream


def check_incoming_fails(vm, *patterns):
    info = vm.wait_migration(("completed", "failed"))
    assert info["status"] == "failed", info
    for p in patterns:
        assert re.search(p, info["error-desc"]), info["error-desc"]
    # The monitor still answers and the VM did not start; cont does not
    # run the half-loaded state either (it only asks for autostart).
    assert vm.status() == "inmigrate"
    assert vm.qmp.cmd("cont") == {}
    assert vm.status() == "inmigrate"
    assert vm.proc.poll() is None
    assert re.search(patterns[0], vm.stderr_text())


def test_incoming_truncated_stream(osprey, saved_stream, tmp_path, vms):
    data = saved_stream.read_bytes()
    cut = tmp_path / "cut.bin"
    cut.write_bytes(data[: len(data) - 100])
    vm = start(vms, osprey, tmp_path, "dst", ["-incoming", f"file:{cut}"])
    # The end of the stream falls in a device section, named by the loader.
    check_incoming_fails(vm, r"end of stream", r"'\w")


def test_incoming_wrong_machine_type(osprey, saved_stream, tmp_path, vms):
    vm = start(vms, osprey, tmp_path, "dst",
               ["-incoming", f"file:{saved_stream}"], machine="none",
               serial=False)
    check_incoming_fails(vm, r"Machine type received is 'pc' and local is "
                             r"'none'")


def test_incoming_garbage(osprey, tmp_path, vms):
    junk = tmp_path / "junk.bin"
    junk.write_bytes(b"this is not a migration stream" * 10)
    vm = start(vms, osprey, tmp_path, "dst", ["-incoming", f"file:{junk}"])
    check_incoming_fails(vm, r"not an Osprey/QEMU migration stream")


def test_hmp_migration_commands(osprey, migcount, tmp_path, vms):
    src = start(vms, osprey, tmp_path, "src", [], kernel=migcount)

    def hmp(line):
        return src.qmp.cmd("human-monitor-command", **{"command-line": line})

    assert hmp("migrate_set_parameter downtime-limit 500") == ""
    assert hmp("migrate_set_parameter max-bandwidth 32M") == ""
    assert src.qmp.cmd("query-migrate-parameters") == \
        {"downtime-limit": 500, "max-bandwidth": 32 << 20}
    out = hmp("info migrate_parameters")
    assert "downtime-limit: 500 ms" in out
    assert f"max-bandwidth: {32 << 20} bytes/second" in out
    assert "Invalid parameter 'bogus'" in \
        hmp("migrate_set_parameter bogus 1")
    assert "Unknown migration protocol" in hmp("migrate nowhere")
    src.wait_counts(10)
    stream = tmp_path / "hmp.bin"
    assert hmp(f"migrate -d file:{stream}") == ""
    src.wait_migration()
    out = hmp("info migrate")
    assert "Migration status: completed" in out
    assert re.search(r"transferred ram: \d+ kbytes", out)
    assert re.search(r"downtime: \d+ ms", out)
    assert "postmigrate" in hmp("info status")


# ---- a booted Linux guest ------------------------------------------------

@pytest.mark.skipif(not (KERNEL.exists() and INITRD.exists()),
                    reason="no default guest: run make guest")
def test_migrate_linux_guest_shell(osprey, tmp_path):
    uri = f"unix:{tmp_path}/mig.sock"
    common = [osprey, "-M", "pc", "-m", "256", "-serial", "stdio",
              "-kernel", str(KERNEL), "-initrd", str(INITRD),
              "-append", "console=ttyS0 quiet panic=-1"]
    src = SerialGuest(common + ["-qmp", f"unix:{tmp_path}/src.qmp,"
                                "server=on,wait=off"], timeout=150)
    dst = SerialGuest(common + ["-qmp", f"unix:{tmp_path}/dst.qmp,"
                                "server=on,wait=off", "-incoming", uri],
                      timeout=60)
    try:
        src.read_until(b"OSPREY-GUEST-READY")
        src.read_until(b"osprey-guest# ")
        src.run("echo from-the-source > /tmp/mark")
        with QMP.connect_unix(f"{tmp_path}/src.qmp") as qs:
            qs.cmd("migrate", uri=uri)
            deadline = time.monotonic() + MIGRATION_TIMEOUT
            while (info := qs.cmd("query-migrate"))["status"] not in \
                    ("completed", "failed", "cancelled"):
                assert time.monotonic() < deadline
                time.sleep(0.2)
            assert info["status"] == "completed", info
        # The shell and its files moved: the same guest, not a new boot.
        assert dst.run("cat /tmp/mark", timeout=60).strip() == \
            "from-the-source"
        assert dst.run("echo $((6 * 7))").strip() == "42"
    finally:
        src.kill()
        dst.kill()


# ---- a QEMU stream -------------------------------------------------------

QEMU = shutil.which("qemu-system-x86_64")


@pytest.mark.qemu
@pytest.mark.skipif(QEMU is None, reason="qemu-system-x86_64 not installed")
def test_incoming_refuses_qemu_stream(osprey, tmp_path, vms):
    stream = tmp_path / "qemu.bin"
    qmp_path = str(tmp_path / "qemu.qmp")
    qemu = subprocess.Popen([QEMU, "-M", "pc", "-accel", "tcg", "-m", "64",
                             "-nodefaults", "-display", "none", "-S",
                             "-qmp", f"unix:{qmp_path},server=on,wait=off"],
                            stdin=subprocess.DEVNULL,
                            stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    try:
        with QMP.connect_unix(qmp_path, timeout=30, wait=30) as q:
            q.cmd("migrate", uri=f"exec:cat > {stream}")
            deadline = time.monotonic() + 60
            while (st := q.cmd("query-migrate").get("status")) not in \
                    ("completed", "failed"):
                assert time.monotonic() < deadline
                time.sleep(0.1)
            assert st == "completed"
    finally:
        qemu.kill()
        qemu.wait()
    assert stream.read_bytes()[:4] == b"QEVM"
    vm = start(vms, osprey, tmp_path, "dst", ["-incoming", f"file:{stream}"])
    check_incoming_fails(vm, r"Machine type received is 'pc-i440fx-[^']*' "
                             r"and local is 'pc'")


def test_hmp_migrate_reports_end_on_its_monitor(osprey, migcount, tmp_path,
                                                vms):
    """HMP migrate without -d announces the end on the monitor that
    started it; through human-monitor-command (a monitor that is gone
    when the command returns) it must not."""
    hmp_path = str(tmp_path / "hmp.sock")
    src = start(vms, osprey, tmp_path, "src",
                ["-monitor", f"unix:{hmp_path},server=on,wait=off"],
                kernel=migcount)
    src.wait_counts(10)
    # No announcement target: must not crash when it ends.
    src.qmp.cmd("human-monitor-command",
                **{"command-line": f"migrate file:{tmp_path}/a.bin"})
    check_completed_info(src.wait_migration())
    src.qmp.cmd("cont")
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(hmp_path)
    s.settimeout(MIGRATION_TIMEOUT)
    s.sendall(f"migrate file:{tmp_path}/b.bin\n".encode())
    out = b""
    while b"migration completed" not in out:
        chunk = s.recv(4096)
        assert chunk, out
        out += chunk
    s.sendall(b"info migrate\n")
    while b"Migration status: completed" not in out:
        chunk = s.recv(4096)
        assert chunk, out
        out += chunk
    s.close()
    assert src.status() == "postmigrate"


def test_destination_dies_source_runs_on(osprey, migcount, tmp_path, vms):
    uri = f"unix:{tmp_path}/mig.sock"
    src = start(vms, osprey, tmp_path, "src", [], kernel=migcount)
    dst = start(vms, osprey, tmp_path, "dst", ["-incoming", uri],
                kernel=migcount)
    src.qmp.cmd("migrate-set-parameters",
                **{"max-bandwidth": 1_000_000, "downtime-limit": 1})
    src.wait_counts(10)
    src.qmp.cmd("migrate", uri=uri)
    src.wait_migration(("active",))
    dst.proc.kill()
    info = src.wait_migration()
    assert info["status"] == "failed", info
    assert re.search(r"Broken pipe|Connection reset", info["error-desc"])
    assert src.status() == "running"
    n = len(src.counts())
    src.wait_counts(n + 20)
    assert "migration failed" in src.stderr_text()
