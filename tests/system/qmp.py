"""A minimal QMP client for system tests: raw socket + json, no QEMU
libraries.

    with QMP.connect_unix(path) as qmp:     # reads the greeting,
        qmp.cmd("stop")                     # negotiates capabilities
        ev = qmp.event_wait("STOP")

cmd() returns the "return" value or raises QMPError(class, desc);
command() returns the whole response dict.  Events that arrive while
waiting for a response are kept and handed out by events()/event_wait().
"""
import json
import socket
import time


class QMPError(Exception):
    def __init__(self, error):
        super().__init__(f"{error.get('class')}: {error.get('desc')}")
        self.error_class = error.get("class")
        self.desc = error.get("desc")


class QMP:
    def __init__(self, sock, negotiate=True, timeout=10.0):
        self.sock = sock
        self.sock.settimeout(timeout)
        self.buf = b""
        self.pending_events = []
        self.next_id = 0
        self.greeting = self.recv()
        if negotiate:
            self.cmd("qmp_capabilities")

    @classmethod
    def connect_unix(cls, path, negotiate=True, timeout=10.0, wait=10.0):
        """Connect to a unix socket, retrying until it exists."""
        deadline = time.monotonic() + wait
        while True:
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            try:
                s.connect(path)
                return cls(s, negotiate, timeout)
            except (FileNotFoundError, ConnectionRefusedError):
                s.close()
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def close(self):
        self.sock.close()

    def send_raw(self, data):
        if isinstance(data, str):
            data = data.encode()
        self.sock.sendall(data)

    def recv(self):
        """Next message from the server, parsed."""
        while b"\n" not in self.buf:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise EOFError("QMP connection closed")
            self.buf += chunk
        line, self.buf = self.buf.split(b"\n", 1)
        return json.loads(line)

    def recv_response(self):
        """Next non-event message; events are queued."""
        while True:
            msg = self.recv()
            if "event" in msg:
                self.pending_events.append(msg)
                continue
            return msg

    def command(self, name, args=None, id=None):
        req = {"execute": name}
        if args is not None:
            req["arguments"] = args
        if id is not None:
            req["id"] = id
        self.send_raw(json.dumps(req) + "\n")
        return self.recv_response()

    def cmd(self, name, args=None, **kwargs):
        if kwargs:
            args = dict(args or {}, **kwargs)
        rsp = self.command(name, args)
        if "error" in rsp:
            raise QMPError(rsp["error"])
        return rsp["return"]

    def events(self):
        evs, self.pending_events = self.pending_events, []
        return evs

    def event_wait(self, name, timeout=10.0):
        """Return the first event called name (earlier ones are dropped)."""
        deadline = time.monotonic() + timeout
        while True:
            for i, ev in enumerate(self.pending_events):
                if ev["event"] == name:
                    del self.pending_events[: i + 1]
                    return ev
            self.pending_events.clear()
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError(f"no {name} event")
            self.sock.settimeout(left)
            try:
                msg = self.recv()
            finally:
                self.sock.settimeout(10.0)
            if "event" in msg:
                self.pending_events.append(msg)
