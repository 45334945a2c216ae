"""Drive a guest's serial console: start Osprey with the serial port on
stdio, wait for output, type commands, read their output."""
import os
import select
import subprocess
import time


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
