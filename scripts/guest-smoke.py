#!/usr/bin/python3
"""Boot the default guest (build/guest/) and check it reaches a usable shell.

    scripts/guest-smoke.py [--emulator CMD] [--timeout S] [--osprey-loader[=real]]

The emulator defaults to Debian's qemu-system-x86_64 with TCG; pass e.g.
--emulator build/osprey to try Osprey once it boots Linux.  The guest must
print OSPREY-GUEST-READY, answer `uname -r` with the packaged kernel version
and power off on `poweroff`.  Prints the time to the marker.  No pexpect:
plain subprocess pipes and a reader thread.

--osprey-loader cross-checks Osprey's 64-bit Linux loader with QEMU as the
CPU: tests/tools/x86-boot-snapshot.c (built here against build/libosprey.a)
loads the kernel and initrd with x86_load_linux64() and writes the result as
a Multiboot ELF whose trampoline enters the kernel in the loader's CPU state;
--osprey-loader=real does the same for x86_load_linux_real_mode().
"""
import argparse
import os
import pathlib
import queue
import shlex
import subprocess
import sys
import threading
import time

ROOT = pathlib.Path(__file__).resolve().parents[1]
GUEST = pathlib.Path(os.environ.get("GUEST_DIR", ROOT / "build" / "guest"))
MARKER = b"OSPREY-GUEST-READY"


class Console:
    """Serial console on the emulator's stdio, read by a thread."""

    def __init__(self, argv):
        self.proc = subprocess.Popen(argv, stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT)
        self.chunks = queue.Queue()
        self.buf = b""
        threading.Thread(target=self._reader, daemon=True).start()

    def _reader(self):
        while True:
            data = os.read(self.proc.stdout.fileno(), 4096)
            self.chunks.put(data)
            if not data:
                return

    def expect(self, needle, timeout):
        """Wait for needle; return everything read up to and including it."""
        deadline = time.monotonic() + timeout
        while needle not in self.buf:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError(f"no {needle!r} within {timeout}s; "
                                   f"last output:\n{self.buf[-2000:].decode(errors='replace')}")
            try:
                data = self.chunks.get(timeout=left)
            except queue.Empty:
                continue
            if not data:
                raise EOFError(f"emulator exited before {needle!r}; output:\n"
                               f"{self.buf[-2000:].decode(errors='replace')}")
            self.buf += data
        end = self.buf.index(needle) + len(needle)
        seen, self.buf = self.buf[:end], self.buf[end:]
        return seen

    def send(self, line):
        self.proc.stdin.write(line.encode() + b"\n")
        self.proc.stdin.flush()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--emulator", default="qemu-system-x86_64 -accel tcg -M pc")
    ap.add_argument("--timeout", type=float, default=300)
    ap.add_argument("--append", default="console=ttyS0 quiet")
    ap.add_argument("--osprey-loader", nargs="?", const="long64",
                    choices=["long64", "real"],
                    help="boot through Osprey's loader (see above): its "
                    "64-bit entry (default) or its real-mode entry")
    args = ap.parse_args()

    kernel, initrd = GUEST / "vmlinuz", GUEST / "initramfs.cpio.gz"
    for f in (kernel, initrd):
        if not f.exists():
            sys.exit(f"{f} missing: run scripts/build-guest.sh")
    kver = (GUEST / "kernel-version").read_text().strip()
    argv = shlex.split(args.emulator) + ["-m", "512", "-nographic", "-no-reboot"]
    if args.osprey_loader:
        build = pathlib.Path(os.environ.get("BUILD", ROOT / "build"))
        tool, snap = build / "x86-boot-snapshot", build / "guest-snapshot.elf"
        subprocess.run(["gcc", "-std=gnu11", "-O2", "-D_GNU_SOURCE",
                        f"-I{ROOT / 'include'}", "-o", str(tool),
                        str(ROOT / "tests/tools/x86-boot-snapshot.c"),
                        "-Wl,--whole-archive", str(build / "libosprey.a"),
                        "-Wl,--no-whole-archive", "-pthread", "-lurcu-bp"],
                       check=True)
        subprocess.run([str(tool), str(kernel), str(initrd), args.append,
                        "512", str(snap)] +
                       (["real"] if args.osprey_loader == "real" else []),
                       check=True)
        argv += ["-kernel", str(snap)]
    else:
        argv += ["-kernel", str(kernel), "-initrd", str(initrd),
                 "-append", args.append]
    print("running:", " ".join(argv))
    start = time.monotonic()
    con = Console(argv)
    try:
        con.expect(MARKER, args.timeout)
        t_marker = time.monotonic() - start
        print(f"marker after {t_marker:.1f}s")
        con.expect(b"# ", 60)
        # Echo off would be nicer; instead look for the answer on its own line.
        con.send("echo UNAME-$(uname -r)-END")
        con.expect(f"UNAME-{kver}-END".encode(), 60)
        print(f"uname -r: {kver}")
        # Every module in the initramfs' load list got loaded.
        # (The echoed command line holds "$((6*9))", the answer "54".)
        con.send("echo MODS-$(wc -l < /proc/modules)-$(wc -l < /etc/modules-order)-$((6*9))")
        mods = con.expect(b"-54", 30).split(b"MODS-")[-1].split(b"-")
        if mods[0] != mods[1]:
            raise TimeoutError(f"{int(mods[0])} modules loaded, "
                               f"{int(mods[1])} in /etc/modules-order")
        print(f"modules loaded: {int(mods[0])}")
        con.send("sleep 30 & kill %1 && echo JOBCTL-$((40+2))")
        con.expect(b"JOBCTL-42", 30)
        print("job control: ok")
        con.send("poweroff")
        try:
            con.proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            raise TimeoutError("guest did not power off within 60s")
        print(f"powered off after {time.monotonic() - start:.1f}s "
              f"(exit status {con.proc.returncode})")
    except (TimeoutError, EOFError) as e:
        con.proc.kill()
        sys.exit(f"guest-smoke: FAILED: {e}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
