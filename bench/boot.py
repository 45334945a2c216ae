#!/usr/bin/python3
"""Boot benchmark: boot the default guest to its shell marker (the time
measured), power it off, and compare Osprey with QEMU TCG on the same kernel and initramfs.

    make guest && bench/boot.py [--runs N] [--mem MB] [--osprey-cpu MODEL]
                                [--no-qemu]

Prints, for each configuration, the median wall time and peak RSS of N
runs, and Osprey's ratio to each QEMU configuration.  QEMU rows appear
when qemu-system-x86_64 is installed.  Never part of make check.
"""
import argparse
import os
import pathlib
import select
import shutil
import statistics
import subprocess
import sys
import time

ROOT = pathlib.Path(__file__).resolve().parents[1]
BUILD = pathlib.Path(os.environ.get("BUILD", ROOT / "build"))
GUEST = BUILD / "guest"
MARKER = b"OSPREY-GUEST-READY"
PROMPT = b"osprey-guest# "


def one_run(argv, timeout=300, exit_grace=10):
    """Seconds from start until the guest's shell prompt follows the
    marker, and the child's peak RSS in KiB (from wait4, so per run).
    The guest is then told to power off; an emulator that does not exit
    within exit_grace seconds (QEMU's microvm without ACPI cannot power
    off) is killed, which does not count in the time."""
    start = time.monotonic()
    proc = subprocess.Popen(argv, stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    fd = proc.stdout.fileno()
    out = b""
    booted = None
    while True:               # until the emulator closes stdout (exits)
        now = time.monotonic()
        if now - start > timeout or (booted and now - booted > exit_grace):
            proc.kill()
        r, _, _ = select.select([fd], [], [], 1)
        if not r:
            continue
        chunk = os.read(fd, 65536)
        if not chunk:
            break
        out += chunk
        if not booted and MARKER in out and PROMPT in out.split(MARKER)[-1]:
            booted = time.monotonic()
            proc.stdin.write(b"poweroff -f\n")
            proc.stdin.flush()
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = 0     # reaped here; keep Popen from waiting again
    if not booted:
        raise RuntimeError(f"guest did not reach its shell: {argv[0]}")
    return booted - start, usage.ru_maxrss


def measure(name, argv, runs):
    times, rss = [], []
    for _ in range(runs):
        t, m = one_run(argv)
        times.append(t)
        rss.append(m)
    print(f"{name:28s} median {statistics.median(times):6.2f} s   "
          f"peak RSS {statistics.median(rss) / 1024:7.1f} MiB   "
          f"(runs: {', '.join(f'{x:.2f}' for x in times)})", flush=True)
    return statistics.median(times), statistics.median(rss)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--mem", type=int, default=256)
    ap.add_argument("--osprey-cpu", default=None,
                    help="Osprey -cpu model, e.g. osprey64,-arch-capabilities "
                         "for the guest mitigations of a vulnerable CPU")
    ap.add_argument("--no-qemu", action="store_true")
    args = ap.parse_args()
    kernel, initrd = GUEST / "vmlinuz", GUEST / "initramfs.cpio.gz"
    if not kernel.exists():
        sys.exit("bench/boot: no default guest: run make guest")
    common = ["-m", str(args.mem), "-kernel", str(kernel), "-initrd",
              str(initrd), "-append", "console=ttyS0 quiet"]
    rows = {}
    cpu = ["-cpu", args.osprey_cpu] if args.osprey_cpu else []
    rows["osprey -M pc"] = measure(
        "osprey -M pc", [str(BUILD / "osprey"), "-M", "pc", "-serial",
                         "stdio"] + cpu + common, args.runs)
    qemu = None if args.no_qemu else shutil.which("qemu-system-x86_64")
    if qemu:
        # Debian's cloud kernel prints nothing on microvm with its default
        # ACPI; without ACPI it boots (legacy devices, MP table).
        for machine in ("microvm,acpi=off", "pc"):
            name = f"qemu -accel tcg -M {machine}"
            rows[name] = measure(name, [qemu, "-accel", "tcg", "-M", machine,
                                        "-nodefaults", "-no-user-config",
                                        "-display", "none", "-serial",
                                        "stdio"] + common, args.runs)
    base_t, base_m = rows["osprey -M pc"]
    for name, (t, m) in rows.items():
        if name.startswith("qemu"):
            print(f"osprey / {name:24s} time {base_t / t:5.2f}x   "
                  f"RSS {base_m / m:5.2f}x")


if __name__ == "__main__":
    main()
