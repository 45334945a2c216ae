#!/usr/bin/python3
"""Block I/O benchmark: sequential and 4 KiB random read/write throughput
of the default guest on a qcow2 image through virtio-blk, Osprey side by
side with QEMU TCG (-M pc) on the same kind of image.

    make guest && bench/blockio.py [--runs N] [--size MB] [--rand-ops N]
                                   [--append ARGS] [--qemu-cpu MODEL]
                                   [--osprey-cpu MODEL]
                                   [--perf] [--no-qemu]

For each emulator and run: a fresh qcow2 image (qemu-img create, 1 GiB),
the guest boots with it as /dev/vda (cache=writeback on both), and
bench/guest-io (a static C program built here with gcc -static and
appended to a copy of the initramfs as a second cpio archive) measures,
with O_DIRECT so the guest's page cache does not hide the device and
timed inside the guest:

    seq write   --size MB from offset 0, 1 MiB requests (allocates clusters)
    seq read    the same range
    4K randwrite/randread  --rand-ops requests at 4 KiB-aligned random
                offsets inside that range (allocated clusters)

Prints the median over runs per operation (MB/s, and IOPS for 4 KiB),
QEMU's figure and Osprey/QEMU ratio, then the host CPU time per guest
request of each thread group (vCPU, block I/O workers, main loop), from
/proc/PID/task/*/stat around each measurement, and whether the I/O path
or the CPU emulation is the bottleneck.  --append adds kernel arguments
for both emulators (mitigations=off shows what the guest kernel's
Meltdown/MDS mitigations cost: it turns them on for Osprey's GenuineIntel
CPU model, not for QEMU's AMD qemu64).  --perf also runs `perf record -g`
on Osprey during the random reads and prints the top symbols.  Never part
of make check.
"""
import argparse
import os
import pathlib
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = pathlib.Path(__file__).resolve().parents[1]
BUILD = pathlib.Path(os.environ.get("BUILD", ROOT / "build"))
GUEST = pathlib.Path(os.environ.get("GUEST_DIR", BUILD / "guest"))
sys.path.insert(0, str(ROOT / "tests" / "system"))
from guest import SerialGuest  # noqa: E402

PROMPT = b"osprey-guest# "
IMAGE_SIZE = "1G"
SEQ_BLOCK = 1 << 20
RAND_BLOCK = 4096
CLK_TCK = os.sysconf("SC_CLK_TCK")
OPS = ("seqwrite", "seqread", "randwrite", "randread")
LABELS = {"seqwrite": "seq write 1M", "seqread": "seq read 1M",
          "randwrite": "rand write 4K", "randread": "rand read 4K"}
RESULT = re.compile(r"GUEST-IO mode=(\w+) bytes=(\d+) ops=(\d+) "
                    r"secs=([\d.]+) mbps=([\d.]+) iops=(\d+)")


def build_initrd(tmp):
    """The default initramfs with /bin/guest-io appended as a second
    gzip'd newc cpio archive (Linux unpacks concatenated archives)."""
    root = tmp / "root"
    (root / "bin").mkdir(parents=True)
    subprocess.run(["gcc", "-static", "-O2", "-Wall", "-o",
                    str(root / "bin" / "guest-io"),
                    str(ROOT / "bench" / "guest-io.c")], check=True)
    listing = b"bin\nbin/guest-io\n"
    cpio = subprocess.run(["cpio", "-o", "-H", "newc", "-R", "0:0",
                           "--quiet"], input=listing, cwd=root,
                          capture_output=True, check=True).stdout
    extra = subprocess.run(["gzip", "-9"], input=cpio, capture_output=True,
                           check=True).stdout
    initrd = tmp / "initramfs-bench.cpio.gz"
    initrd.write_bytes((GUEST / "initramfs.cpio.gz").read_bytes() + extra)
    return initrd


def thread_times(pid):
    """{thread name: [cpu seconds, ...]} for every thread of pid."""
    out = {}
    for task in pathlib.Path(f"/proc/{pid}/task").iterdir():
        try:
            stat = (task / "stat").read_text()
        except OSError:
            continue            # the thread exited meanwhile
        name = stat[stat.index("(") + 1:stat.rindex(")")]
        fields = stat[stat.rindex(")") + 2:].split()
        # utime and stime are fields 14 and 15 of stat(5); fields[0] is 3.
        secs = (int(fields[11]) + int(fields[12])) / CLK_TCK
        out.setdefault(task.name, (name, secs))
    return out


GROUPS = ("vCPU", "block I/O workers", "main loop + other")


def group_of(name):
    """Osprey names its threads "CPU n/TCG" and "blk-worker"; QEMU (with
    -name debug-threads=on) "CPU n/TCG" and "worker"."""
    if "TCG" in name or name.startswith("CPU "):
        return GROUPS[0]
    if name == "blk-worker" or name.startswith("worker"):
        return GROUPS[1]
    return GROUPS[2]


def loadavg():
    return " ".join(f"{x:.2f}" for x in os.getloadavg()) + \
        f" ({os.cpu_count()} CPUs)"


def cpu_split(before, after):
    """Host CPU seconds per thread group between two thread_times()."""
    groups = {}
    for tid, (name, secs) in after.items():
        delta = secs - before.get(tid, (name, 0.0))[1]
        groups[group_of(name)] = groups.get(group_of(name), 0.0) + delta
    return groups


def run_guest(kind, argv, size_mb, rand_ops, perf_out=None):
    """Boot, run the four measurements, power off.  Returns
    ({op: (mbps, iops)}, {op: {thread group: cpu seconds, "requests": n}})."""
    g = SerialGuest(argv, timeout=900)
    results, split = {}, {}
    try:
        g.read_until(b"OSPREY-GUEST-READY")
        g.read_until(PROMPT)
        total = size_mb << 20
        cmds = {
            "seqwrite": f"guest-io seqwrite /dev/vda {SEQ_BLOCK} {total}",
            "seqread": f"guest-io seqread /dev/vda {SEQ_BLOCK} {total}",
            "randwrite": f"guest-io randwrite /dev/vda {RAND_BLOCK} "
                         f"{rand_ops * RAND_BLOCK} {total}",
            "randread": f"guest-io randread /dev/vda {RAND_BLOCK} "
                        f"{rand_ops * RAND_BLOCK} {total}",
        }
        for op in OPS:
            perf = None
            before = thread_times(g.proc.pid)
            if op == "randread" and perf_out:
                perf = subprocess.Popen(
                    ["perf", "record", "-g", "-q", "-o", str(perf_out),
                     "-p", str(g.proc.pid)],
                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                time.sleep(1)   # let perf attach before the I/O starts
            out = g.run(cmds[op], timeout=900)
            split[op] = cpu_split(before, thread_times(g.proc.pid))
            if perf:
                perf.send_signal(2)     # SIGINT: perf writes its data
                perf.wait(timeout=120)
            m = RESULT.search(out)
            if not m:
                raise RuntimeError(f"{kind}: guest-io {op} failed:\n{out}")
            results[op] = (float(m.group(5)), int(m.group(6)))
            split[op]["requests"] = int(m.group(3))
        g.proc.stdin.write(b"poweroff -f\n")
        g.proc.stdin.flush()
        try:
            g.wait(timeout=60)
        except subprocess.TimeoutExpired:
            pass
    finally:
        g.kill()
    return results, split


def perf_top(perf_data, n=15):
    r = subprocess.run(["perf", "report", "-i", str(perf_data), "--stdio",
                        "--no-children", "--sort", "comm,symbol",
                        "--percent-limit", "1", "-g", "none"],
                       capture_output=True, text=True)
    # perf pads each line with empty columns ("-"): drop them.
    lines = [re.sub(r"(\s+-)+\s*$", "", l) for l in r.stdout.splitlines()
             if l.strip() and not l.startswith("#")]
    return lines[:n]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--size", type=int, default=64,
                    help="MB written/read sequentially; the random range")
    ap.add_argument("--rand-ops", type=int, default=2000,
                    help="4 KiB requests per random test")
    ap.add_argument("--mem", type=int, default=256)
    ap.add_argument("--perf", action="store_true",
                    help="perf record Osprey during the random reads of "
                         "the first run (which perf slows down)")
    ap.add_argument("--append", default="",
                    help="more kernel arguments, e.g. mitigations=off")
    ap.add_argument("--qemu-cpu", default=None,
                    help="QEMU -cpu model, e.g. qemu64,vendor=GenuineIntel "
                         "to give its guest the mitigations Osprey's gets")
    ap.add_argument("--osprey-cpu", default=None,
                    help="Osprey -cpu model, e.g. osprey64,-arch-capabilities")
    ap.add_argument("--no-qemu", action="store_true")
    args = ap.parse_args()
    load0 = loadavg()
    if args.size <= 0 or args.size > 1024 or args.rand_ops <= 0:
        sys.exit("bench/blockio: --size must be 1..1024, --rand-ops > 0")
    kernel = GUEST / "vmlinuz"
    if not kernel.exists():
        sys.exit("bench/blockio: no default guest: run make guest")
    qemu_img = shutil.which("qemu-img")
    if not qemu_img:
        sys.exit("bench/blockio: qemu-img is needed to create the image")
    for tool in ("gcc", "cpio", "gzip") + (("perf",) if args.perf else ()):
        if not shutil.which(tool):
            sys.exit(f"bench/blockio: {tool} is needed (apt-get install "
                     f"{'linux-perf' if tool == 'perf' else tool})")
    qemu = None if args.no_qemu else shutil.which("qemu-system-x86_64")

    tmp = pathlib.Path(tempfile.mkdtemp(prefix="osprey-blockio-"))
    try:
        initrd = build_initrd(tmp)
        img = tmp / "disk.qcow2"
        common = ["-m", str(args.mem), "-kernel", str(kernel),
                  "-initrd", str(initrd),
                  "-append", f"console=ttyS0 quiet panic=-1 {args.append}",
                  "-serial",
                  "stdio"]
        drive = (f"file={img},format=qcow2,if=virtio,cache=writeback")
        emulators = {"osprey": [str(BUILD / "osprey"), "-M", "pc"] +
                     common + ["-drive", drive]}
        if args.osprey_cpu:
            emulators["osprey"] += ["-cpu", args.osprey_cpu]
        if qemu:
            emulators["qemu"] = [qemu, "-accel", "tcg", "-M", "pc",
                                 "-nodefaults", "-no-user-config",
                                 "-display", "none",
                                 "-name", "bench,debug-threads=on"] + \
                common + ["-drive", drive]
            if args.qemu_cpu:
                emulators["qemu"] += ["-cpu", args.qemu_cpu]
        res = {k: {op: [] for op in OPS} for k in emulators}
        splits = {k: [] for k in emulators}
        for run in range(args.runs):
            for kind, argv in emulators.items():
                img.unlink(missing_ok=True)
                subprocess.run([qemu_img, "create", "-f", "qcow2", str(img),
                                IMAGE_SIZE], check=True, capture_output=True)
                perf_out = (tmp / "perf.data"
                            if args.perf and kind == "osprey" and run == 0
                            else None)
                r, split = run_guest(kind, argv, args.size, args.rand_ops,
                                     perf_out)
                for op in OPS:
                    res[kind][op].append(r[op])
                splits[kind].append(split)
                print(f"run {run + 1} {kind:7s} " + "  ".join(
                    f"{op} {r[op][0]:.1f} MB/s" for op in OPS), flush=True)
                if perf_out and perf_out.exists():
                    print("perf (osprey, random reads), top symbols:")
                    for line in perf_top(perf_out):
                        print("   ", line)

        print()
        print(f"{'operation':15s} {'osprey':>22s} {'qemu tcg':>22s} "
              f"{'osprey/qemu':>11s}")
        med = {k: {op: (statistics.median(x[0] for x in v[op]),
                        statistics.median(x[1] for x in v[op]))
                   for op in OPS} for k, v in res.items()}

        def cell(kind, op):
            if kind not in med:
                return "-"
            mbps, iops = med[kind][op]
            if op.startswith("rand"):
                return f"{mbps:7.2f} MB/s {iops:6d} IOPS"
            return f"{mbps:7.1f} MB/s"

        for op in OPS:
            ratio = (f"{med['osprey'][op][0] / med['qemu'][op][0]:10.2f}x"
                     if "qemu" in med else "-")
            print(f"{LABELS[op]:15s} {cell('osprey', op):>22s} "
                  f"{cell('qemu', op):>22s} {ratio:>11s}")
        print()
        print("host CPU per guest request, microseconds (all runs): vCPU "
              "thread (guest code and the\nvirtqueue notify it handles) / "
              "block I/O worker threads / main loop and other threads")
        for op in OPS:
            row = f"{LABELS[op]:15s}"
            for kind in emulators:
                n = sum(x[op]["requests"] for x in splits[kind]) or 1
                us = [sum(x[op].get(g, 0.0) for x in splits[kind]) / n * 1e6
                      for g in GROUPS]
                row += f"  {kind} {us[0]:7.0f} / {us[1]:5.0f} / {us[2]:5.0f}"
            print(row)
        io = sum(x[op].get(g, 0.0) for x in splits["osprey"] for op in OPS
                 for g in GROUPS[1:])
        vcpu = sum(x[op].get(GROUPS[0], 0.0) for x in splits["osprey"]
                   for op in OPS)
        share = 100 * io / ((io + vcpu) or 1e-9)
        if vcpu > 2 * io:
            verdict = (f"the I/O path is not the bottleneck: block workers "
                       f"and main loop take {share:.0f}% of Osprey's CPU "
                       f"time, the vCPU thread (CPU emulation) the rest")
        else:
            verdict = (f"the I/O path may be the bottleneck: block workers "
                       f"and main loop take {share:.0f}% of Osprey's CPU "
                       f"time")
        print(f"osprey: {verdict}")
        print(f"host load average before: {load0}")
        print(f"host load average after:  {loadavg()}")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
