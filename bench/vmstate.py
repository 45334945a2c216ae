#!/usr/bin/python3
"""VM state benchmark: savevm/loadvm and live migration of the default
guest, Osprey side by side with QEMU TCG on the same kernel and initramfs.

    make guest && bench/vmstate.py [--runs N] [--mem 512,4096] [--dirty MB]
                                   [--fill MB] [--only savevm|migrate]

savevm/loadvm: the guest boots with a qcow2 disk (the snapshot's storage)
and, once its shell answers, `human-monitor-command savevm s1` and then
`loadvm s1` are timed over QMP (wall time of the command); the shell must
answer after the loadvm.  --fill MB first writes MB of random data to the
guest's /dev/shm, so the snapshot holds that much non-zero RAM.

migration: a source and an `-incoming tcp:127.0.0.1:PORT` destination on
loopback; `migrate` on the source, query-migrate polled until completed.
Reported: total-time and downtime as query-migrate gives them, and the wall
time from the migrate command to "completed".  --dirty MB has a guest shell
loop rewrite MB of /dev/shm over and over during the migration, so it has
to iterate.  Both emulators keep their default migration parameters.

Prints the median of N runs for every measure, and Osprey / QEMU.  QEMU
columns appear when qemu-system-x86_64 and qemu-img are installed.  Never
part of make check.
"""
import argparse
import os
import pathlib
import select
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = pathlib.Path(__file__).resolve().parents[1]
BUILD = pathlib.Path(os.environ.get("BUILD", ROOT / "build"))
GUEST = BUILD / "guest"
sys.path.insert(0, str(ROOT / "tests" / "system"))
from guest import SerialGuest, free_port  # noqa: E402
from qmp import QMP  # noqa: E402

MARKER = b"OSPREY-GUEST-READY"
PROMPT = b"osprey-guest# "
BOOT_TIMEOUT = 600          # a loaded machine, -m 4096 under TCG
CMD_TIMEOUT = 600


class Guest(SerialGuest):
    """An emulator with the guest's console on stdio (the system tests'
    SerialGuest) and QMP on a unix socket."""

    def __init__(self, argv, qmp_path):
        super().__init__(argv, timeout=CMD_TIMEOUT)
        self.qmp = QMP.connect_unix(qmp_path, timeout=CMD_TIMEOUT, wait=60)

    def boot(self):
        self.read_until(MARKER, BOOT_TIMEOUT)
        self.read_until(PROMPT, BOOT_TIMEOUT)

    def check_alive(self):
        out = self.run("echo $((6 * 7))").strip()
        if out != "42":
            raise RuntimeError(f"guest shell answers {out!r}, not 42")

    def hmp(self, line):
        out = self.qmp.cmd("human-monitor-command", {"command-line": line})
        if out.strip():
            raise RuntimeError(f"{line}: {out.strip()}")

    def kill(self):
        try:
            self.qmp.close()
        except OSError:
            pass
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()


def guest_args(mem):
    return ["-m", str(mem), "-serial", "stdio",
            "-kernel", str(GUEST / "vmlinuz"),
            "-initrd", str(GUEST / "initramfs.cpio.gz"),
            "-append", "console=ttyS0 quiet panic=-1"]


def osprey_argv(mem, qmp_path, disk=None, extra=()):
    argv = [str(BUILD / "osprey"), "-M", "pc"] + guest_args(mem)
    if disk:
        argv += ["-drive", f"file={disk},if=none,id=disk0"]
    return argv + ["-qmp", f"unix:{qmp_path},server=on,wait=off", *extra]


def qemu_argv(qemu, mem, qmp_path, disk=None, extra=()):
    argv = [qemu, "-accel", "tcg", "-M", "pc", "-nodefaults",
            "-no-user-config", "-display", "none"] + guest_args(mem)
    if disk:
        argv += ["-drive", f"file={disk},if=none,id=disk0,format=qcow2"]
    return argv + ["-qmp", f"unix:{qmp_path},server=on,wait=off", *extra]


def fill_shm(g, mb):
    """MB of random data in the guest's tmpfs: non-zero RAM to save."""
    if mb:
        g.run(f"head -c {mb}M /dev/urandom > /dev/shm/fill")


def savevm_once(make_argv, mem, fill, tmp):
    disk = os.path.join(tmp, "disk.qcow2")
    subprocess.run(["qemu-img", "create", "-q", "-f", "qcow2", disk, "64M"],
                   check=True)
    qmp_path = os.path.join(tmp, "vm.qmp")
    g = Guest(make_argv(mem, qmp_path, disk), qmp_path)
    try:
        g.boot()
        fill_shm(g, fill)
        g.run("echo before > /tmp/mark")
        t0 = time.monotonic()
        g.hmp("savevm s1")
        t_save = time.monotonic() - t0
        g.run("echo after > /tmp/mark")
        t0 = time.monotonic()
        g.hmp("loadvm s1")
        t_load = time.monotonic() - t0
        mark = g.run("cat /tmp/mark").strip()
        if mark != "before":
            raise RuntimeError(f"after loadvm /tmp/mark is {mark!r}")
        g.check_alive()
    finally:
        g.kill()
        os.unlink(disk)
    return {"savevm": t_save, "loadvm": t_load}


def migrate_once(make_argv, mem, dirty, tmp):
    uri = f"tcp:127.0.0.1:{free_port()}"
    src_qmp = os.path.join(tmp, "src.qmp")
    dst_qmp = os.path.join(tmp, "dst.qmp")
    src = dst = None
    try:
        src = Guest(make_argv(mem, src_qmp), src_qmp)
        dst = Guest(make_argv(mem, dst_qmp, extra=["-incoming", uri]),
                    dst_qmp)
        src.boot()
        src.run("echo from-the-source > /tmp/mark")
        if dirty:
            src.run(f"head -c {dirty}M /dev/urandom > /dev/shm/r")
            src.run("(while :; do cat /dev/shm/r > /dev/shm/w; done) &")
        t0 = time.monotonic()
        src.qmp.cmd("migrate", uri=uri)
        while True:
            info = src.qmp.cmd("query-migrate")
            if info.get("status") in ("completed", "failed", "cancelled"):
                break
            if time.monotonic() - t0 > CMD_TIMEOUT:
                raise RuntimeError(f"migration did not end: {info}")
            time.sleep(0.02)
        wall = time.monotonic() - t0
        if info["status"] != "completed":
            raise RuntimeError(f"migration {info['status']}: {info}")
        # Type only once the destination runs: input that arrives while
        # it loads is lost (the serial port's state is overwritten).
        while dst.qmp.cmd("query-status")["status"] != "running":
            if time.monotonic() - t0 > CMD_TIMEOUT:
                raise RuntimeError("destination never ran")
            time.sleep(0.02)
        dst.run("")
        mark = dst.run("cat /tmp/mark").strip()
        if mark != "from-the-source":
            raise RuntimeError(f"destination /tmp/mark is {mark!r}")
        dst.check_alive()
    finally:
        for g in (src, dst):
            if g:
                g.kill()
    ram = info.get("ram", {})
    return {"migrate total-time": info.get("total-time", 0) / 1000,
            "migrate downtime": info.get("downtime", 0) / 1000,
            "migrate wall": wall,
            "migrate MiB sent": ram.get("transferred", 0) / 2**20,
            "migrate passes": ram.get("dirty-sync-count", 0)}


def measure(name, fn, runs):
    results = []
    for _ in range(runs):
        with tempfile.TemporaryDirectory(prefix="vmstate-bench-") as tmp:
            results.append(fn(tmp))
    med = {k: statistics.median(r[k] for r in results) for k in results[0]}
    detail = "; ".join(f"{k} " + ", ".join(f"{r[k]:.3f}" for r in results)
                       for k in results[0])
    print(f"  {name}: {detail}", flush=True)
    return med


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--mem", default="512,4096",
                    help="comma-separated guest RAM sizes in MiB")
    ap.add_argument("--fill", type=int, default=0,
                    help="MiB of random data in /dev/shm before savevm")
    ap.add_argument("--dirty", type=int, default=0,
                    help="MiB the guest rewrites in a loop while migrating")
    ap.add_argument("--only", choices=("savevm", "migrate"))
    ap.add_argument("--no-qemu", action="store_true")
    args = ap.parse_args()
    if not (GUEST / "vmlinuz").exists():
        sys.exit("bench/vmstate: no default guest: run make guest")
    if not shutil.which("qemu-img"):
        sys.exit("bench/vmstate: qemu-img is needed for the qcow2 disk")
    qemu = None if args.no_qemu else shutil.which("qemu-system-x86_64")
    emus = {"osprey": osprey_argv}
    if qemu:
        emus["qemu"] = lambda *a, **kw: qemu_argv(qemu, *a, **kw)

    rows = []       # (label, {emu: value}, unit)
    for mem in (int(m) for m in args.mem.split(",")):
        res = {}
        for emu, make_argv in emus.items():
            res[emu] = {}
            if args.only != "migrate":
                res[emu].update(measure(
                    f"{emu} -m {mem} savevm/loadvm",
                    lambda tmp: savevm_once(make_argv, mem, args.fill, tmp),
                    args.runs))
            if args.only != "savevm":
                res[emu].update(measure(
                    f"{emu} -m {mem} migrate",
                    lambda tmp: migrate_once(make_argv, mem, args.dirty, tmp),
                    args.runs))
        for key in res["osprey"]:
            rows.append((f"-m {mem} {key}",
                         {e: res[e][key] for e in res}))

    print(f"\n{'':34s} {'osprey':>10s} {'qemu tcg':>10s} {'ratio':>7s}")
    for label, vals in rows:
        o, q = vals["osprey"], vals.get("qemu")
        if not ("MiB" in label or "passes" in label):
            label += " (s)"
        qs = f"{q:10.3f}" if q is not None else f"{'-':>10s}"
        ratio = f"{o / q:6.2f}x" if q else f"{'-':>7s}"
        print(f"{label:34s} {o:10.3f} {qs} {ratio}")
    print(f"\nload average: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
