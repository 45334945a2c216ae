"""Drive guests from system tests.

SerialGuest: start Osprey with the serial port on stdio, wait for
output, type commands, read their output.

QmpVm: an Osprey process with QMP on a unix socket and COM1 in a file,
for the migration and snapshot tests (start() keeps it in the vms
fixture's list, which kills it at the end of the test).
"""
import os
import re
import select
import socket
import subprocess
import time

from qmp import QMP

# Generous: the machine running the tests is shared and loaded.
MIGRATION_TIMEOUT = 120


class SerialGuest:
    def __init__(self, argv, timeout=120):
        self.proc = subprocess.Popen(argv, stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE)
        self.out = b""
        self.timeout = timeout
        os.set_blocking(self.proc.stdout.fileno(), False)

    def read_until(self, marker, timeout=None):
        """Wait until marker (bytes) appears after what was consumed."""
        deadline = time.time() + (timeout or self.timeout)
        while marker not in self.out:
            left = deadline - time.time()
            if left <= 0 or self.proc.poll() is not None:
                raise AssertionError(
                    f"{marker!r} not seen (exit {self.proc.poll()}); "
                    f"output tail:\n{self.out[-3000:].decode(errors='replace')}")
            r, _, _ = select.select([self.proc.stdout], [], [], min(left, 1))
            if r:
                chunk = self.proc.stdout.read(65536)
                if chunk:
                    self.out += chunk
        idx = self.out.index(marker) + len(marker)
        seen, self.out = self.out[:idx], self.out[idx:]
        return seen

    def run(self, command, prompt=b"osprey-guest# ", timeout=None):
        """Type a command; return its output (between the echo and the
        next prompt)."""
        self.proc.stdin.write(command.encode() + b"\n")
        self.proc.stdin.flush()
        text = self.read_until(prompt, timeout)
        lines = text.decode(errors="replace").replace("\r", "").split("\n")
        # First line is the echoed command, last the prompt.
        return "\n".join(lines[1:-1])

    def wait(self, timeout=None):
        return self.proc.wait(timeout=timeout or self.timeout)

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class QmpVm:
    """An Osprey process with QMP on a unix socket and COM1 in a file.

    kernel is booted with -append append; counts() reads the counter a
    guest prints as lines matching COUNT_RE (group 1, in base COUNT_BASE).
    """
    COUNT_RE = re.compile(r"^count (\d+)\b", re.M)
    COUNT_BASE = 10

    def __init__(self, osprey, tmp, name, args, kernel=None, serial=True,
                 machine="pc", append="forever"):
        self.name = name
        self.qmp_path = str(tmp / f"{name}.qmp")
        self.serial_path = tmp / f"{name}.serial"
        self.stderr_path = tmp / f"{name}.stderr"
        argv = [osprey, "-M", machine, "-m", "64"]
        if kernel:
            argv += ["-kernel", str(kernel), "-append", append]
        if serial:
            argv += ["-serial", f"file:{self.serial_path}"]
        argv += ["-qmp", f"unix:{self.qmp_path},server=on,wait=off", *args]
        self.stderr = open(self.stderr_path, "wb")
        self.proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL,
                                     stdout=subprocess.DEVNULL,
                                     stderr=self.stderr)
        self.qmp = QMP.connect_unix(self.qmp_path, timeout=30, wait=30)

    def serial(self):
        try:
            return self.serial_path.read_text(errors="replace")
        except FileNotFoundError:
            return ""

    def counts(self):
        return [int(m, self.COUNT_BASE)
                for m in self.COUNT_RE.findall(self.serial())]

    def wait_counts(self, at_least, timeout=60):
        deadline = time.monotonic() + timeout
        while True:
            counts = self.counts()
            if len(counts) >= at_least:
                return counts
            assert self.proc.poll() is None, \
                f"{self.name} exited: {self.stderr_text()}"
            assert time.monotonic() < deadline, \
                f"{self.name}: {len(counts)} counts, want {at_least}; " \
                f"{self.qmp.cmd('query-status')} " \
                f"{self.qmp.cmd('query-migrate')}\n" \
                f"stderr: {self.stderr_text()[-2000:]}\n" \
                f"serial: {self.serial()[-500:]}"
            time.sleep(0.1)

    def stderr_text(self):
        self.stderr.flush()
        return self.stderr_path.read_text(errors="replace")

    def status(self):
        return self.qmp.cmd("query-status")["status"]

    def hmp(self, line):
        out = self.qmp.cmd("human-monitor-command", {"command-line": line})
        return out.replace("\r\n", "\n")

    def migration_events(self):
        """Statuses of the MIGRATION events received so far."""
        self.qmp.cmd("query-status")      # flush events queued before it
        return [ev["data"]["status"] for ev in self.qmp.events()
                if ev["event"] == "MIGRATION"]

    def wait_migration(self, statuses=("completed", "failed", "cancelled"),
                       timeout=MIGRATION_TIMEOUT):
        """Poll query-migrate until its status is one of statuses."""
        deadline = time.monotonic() + timeout
        while True:
            info = self.qmp.cmd("query-migrate")
            if info.get("status") in statuses:
                return info
            assert time.monotonic() < deadline, \
                f"{self.name}: migration still {info}"
            time.sleep(0.1)

    def close(self):
        try:
            self.qmp.close()
        except OSError:
            pass
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()
        self.stderr.close()


def start(vms, *args, cls=QmpVm, **kwargs):
    """Start a cls(*args, **kwargs) and add it to vms (the fixture)."""
    vm = cls(*args, **kwargs)
    vms.append(vm)
    return vm
