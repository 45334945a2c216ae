"""QMP over a unix socket, spoken raw (socket + json), against
`osprey -M none -qmp unix:PATH,server=on,wait=off -S`; and the same
script against qemu-system-x86_64 when it is installed, comparing the
shapes (keys and JSON types) of the replies both give.

Skipped while the binary does not accept -qmp yet (main.c wiring).
"""
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time

import pytest

sys.path.insert(0, os.path.dirname(__file__))
from qmp import QMP, QMPError  # noqa: E402


class VM:
    """A process with one or more QMP sockets."""

    def __init__(self, binary, nsockets=1, extra=()):
        self.dir = tempfile.mkdtemp(prefix="qmp-test-")
        self.paths = [os.path.join(self.dir, f"qmp{i}.sock")
                      for i in range(nsockets)]
        args = [binary, "-M", "none", "-S"]
        for p in self.paths:
            args += ["-qmp", f"unix:{p},server=on,wait=off"]
        args += list(extra)
        self.proc = subprocess.Popen(args, stdin=subprocess.DEVNULL,
                                     stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, text=True)
        deadline = time.monotonic() + 10
        while not all(os.path.exists(p) for p in self.paths):
            if self.proc.poll() is not None:
                out, err = self.proc.communicate()
                shutil.rmtree(self.dir, ignore_errors=True)
                raise RuntimeError(f"{binary} exited: {err.strip()}")
            if time.monotonic() > deadline:
                self.kill()
                raise RuntimeError(f"{binary}: no QMP socket")
            time.sleep(0.02)

    def connect(self, i=0, negotiate=True):
        return QMP.connect_unix(self.paths[i], negotiate=negotiate)

    def raw(self, i=0):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.connect(self.paths[i])
        s.settimeout(10)
        return s

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        shutil.rmtree(self.dir, ignore_errors=True)


def start(binary, **kw):
    try:
        return VM(binary, **kw)
    except RuntimeError as e:
        if "invalid option" in str(e) or "no QMP socket" in str(e):
            pytest.skip(f"{binary} does not take -qmp yet: {e}")
        raise


@pytest.fixture
def vm(osprey):
    v = start(osprey)
    yield v
    v.kill()


def expect_error(qmp, name, args, cls, desc):
    rsp = qmp.command(name, args, id="e")
    assert rsp.get("id") == "e", rsp
    assert rsp["error"]["class"] == cls, rsp
    assert rsp["error"]["desc"] == desc, rsp


def test_greeting_and_negotiation(vm):
    with vm.connect(negotiate=False) as qmp:
        g = qmp.greeting["QMP"]
        assert set(g) == {"version", "capabilities"}
        assert set(g["version"]["qemu"]) == {"major", "minor", "micro"}
        assert g["version"]["package"].startswith("osprey-")
        assert g["capabilities"] == []      # no out-of-band support
        expect_error(qmp, "query-status", None, "CommandNotFound",
                     "Expecting capabilities negotiation with "
                     "'qmp_capabilities'")
        assert qmp.cmd("qmp_capabilities") == {}
        expect_error(qmp, "qmp_capabilities", None, "CommandNotFound",
                     "Capabilities negotiation is already complete, "
                     "command ignored")


def test_command_set(vm):
    with vm.connect() as qmp:
        assert qmp.cmd("query-status") == {
            "status": "prelaunch", "singlestep": False, "running": False}
        names = {c["name"] for c in qmp.cmd("query-commands")}
        for n in ("qmp_capabilities", "query-version", "query-status",
                  "stop", "cont", "system_reset", "system_powerdown",
                  "quit", "query-cpus-fast", "query-name", "query-machines",
                  "query-kvm", "human-monitor-command", "qom-list",
                  "qom-get", "qom-set", "qom-list-types",
                  "device-list-properties", "query-chardev"):
            assert n in names
        assert isinstance(qmp.cmd("query-cpus-fast"), list)
        assert isinstance(qmp.cmd("query-machines"), list)
        kvm = qmp.cmd("query-kvm")
        assert kvm["enabled"] is False
        assert kvm["present"] == os.access("/dev/kvm", os.R_OK | os.W_OK)
        assert qmp.cmd("query-name") == {}
        chardevs = qmp.cmd("query-chardev")
        assert any(c["label"].startswith("compat_monitor")
                   and c["frontend-open"] for c in chardevs)
        out = qmp.cmd("human-monitor-command", {"command-line": "info status"})
        assert out == "VM status: paused (prelaunch)\r\n"
        assert qmp.cmd("qom-get", path="/", property="type") \
            == "container"
        assert any(p["name"] == "type" for p in qmp.cmd("qom-list", path="/"))
        assert qmp.cmd("qom-list-types", implements="object")

        assert qmp.cmd("cont") == {}
        assert qmp.event_wait("RESUME")
        assert qmp.cmd("query-status")["running"] is True
        assert qmp.cmd("stop") == {}
        assert qmp.event_wait("STOP")
        assert qmp.cmd("human-monitor-command",
                       {"command-line": "info status"}) \
            == "VM status: paused\r\n"
        assert qmp.cmd("system_reset") == {}
        ev = qmp.event_wait("RESET")
        assert ev["data"] == {"guest": False, "reason": "host-qmp-system-reset"}
        assert set(ev["timestamp"]) == {"seconds", "microseconds"}
        assert qmp.cmd("system_powerdown") == {}
        assert qmp.event_wait("POWERDOWN")


def test_error_classes(vm):
    with vm.connect() as qmp:
        expect_error(qmp, "foo", None, "CommandNotFound",
                     "The command foo has not been found")
        expect_error(qmp, "query-status", {"x": 1}, "GenericError",
                     "Invalid parameter 'x'")
        expect_error(qmp, "qom-get", {"path": "/"}, "GenericError",
                     "Parameter 'property' missing")
        expect_error(qmp, "qom-list", {"path": 1}, "GenericError",
                     "Invalid parameter type for 'path', expected: string")
        expect_error(qmp, "qom-list", {"path": "/nope"}, "DeviceNotFound",
                     "Device '/nope' not found")
        for raw, desc in (
                ('[]', "QMP input must be a JSON object"),
                ('{"id": 3}', "QMP input lacks member 'execute'"),
                ('{"execute": 3}',
                 "QMP input member 'execute' must be a string"),
                ('{"execute": "stop", "arguments": 1}',
                 "QMP input member 'arguments' must be an object"),
                ('{"execute": "stop", "x": 1}',
                 "QMP input member 'x' is unexpected")):
            qmp.send_raw(raw + "\n")
            rsp = qmp.recv_response()
            assert rsp["error"] == {"class": "GenericError", "desc": desc}
        # Malformed JSON: an error, and the stream carries on.
        qmp.send_raw('{"execute": }\n')
        assert qmp.recv_response()["error"]["class"] == "GenericError"
        qmp.send_raw("[" * 100000 + "\n")
        assert "error" in qmp.recv_response()
        while True:     # the splitter may report more than one error
            rsp = qmp.command("query-name", id="after")
            if rsp.get("id") == "after":
                break
        assert rsp["return"] == {}


def test_id_echo(vm):
    with vm.connect() as qmp:
        for id in (1, "x", [1, {"a": None}], {"n": 2.5}):
            assert qmp.command("query-name", id=id) == \
                {"return": {}, "id": id}
        assert qmp.command("nope", id=7)["id"] == 7


def test_events_reach_every_monitor_and_disconnects(osprey):
    vm = start(osprey, nsockets=2)
    try:
        a = vm.connect(0)
        b = vm.connect(1)
        a.cmd("cont")
        assert a.event_wait("RESUME")
        assert b.event_wait("RESUME")
        # A client that disconnects in the middle of a request.
        b.send_raw('{"execute": "st')
        b.close()
        b = vm.connect(1)          # greeted and negotiated again
        assert b.cmd("query-status")["running"] is True
        a.cmd("stop")
        assert b.event_wait("STOP")
        a.close()
        b.close()
        assert vm.proc.poll() is None
    finally:
        vm.kill()


def test_quit_replies_then_exits(vm):
    qmp = vm.connect()
    assert qmp.command("quit", id="q") == {"return": {}, "id": "q"}
    assert vm.proc.wait(timeout=10) == 0
    ev = qmp.event_wait("SHUTDOWN", timeout=2) if qmp.pending_events else None
    if ev:
        assert ev["data"] == {"guest": False, "reason": "host-qmp-quit"}
    qmp.close()


# ---- the same script against QEMU, comparing shapes ----

def shape(v):
    if isinstance(v, dict):
        return {k: shape(x) for k, x in v.items()}
    if isinstance(v, list):
        return [shape(v[0])] if v else []
    if isinstance(v, bool):
        return "bool"
    if isinstance(v, (int, float)):
        return "number"
    return type(v).__name__


def contained(ours, theirs, where=""):
    """Every key we send QEMU sends too, with the same JSON type."""
    if isinstance(ours, dict):
        assert isinstance(theirs, dict), where
        for k, v in ours.items():
            assert k in theirs, f"{where}.{k} not in QEMU's reply"
            contained(v, theirs[k], f"{where}.{k}")
    elif isinstance(ours, list):
        assert isinstance(theirs, list), where
        if ours and theirs:
            contained(ours[0], theirs[0], where + "[]")
    else:
        assert ours == theirs, f"{where}: {ours} vs {theirs}"


SHARED = [
    ("query-version", None),
    ("query-status", None),
    ("query-name", None),
    ("query-kvm", None),
    ("query-commands", None),
    ("query-cpus-fast", None),
    ("query-chardev", None),
    ("qom-list", {"path": "/"}),
    ("qom-get", {"path": "/", "property": "type"}),
    ("human-monitor-command", {"command-line": "info status"}),
    ("foo", None),
    ("query-status", {"x": 1}),
    ("qom-get", {"path": "/"}),
    ("qom-list", {"path": 1}),
    ("qom-list", {"path": "/nope"}),
]


def script(qmp):
    replies = [shape(qmp.greeting)]
    for name, args in SHARED:
        replies.append(shape(qmp.command(name, args, id=1)))
    return replies


def test_shapes_match_qemu(osprey):
    qemu = shutil.which("qemu-system-x86_64")
    if not qemu:
        pytest.skip("qemu-system-x86_64 not installed")
    ref = VM(qemu, extra=["-display", "none", "-nodefaults"])
    try:
        with ref.connect() as q:
            theirs = script(q)
    finally:
        ref.kill()
    vm = start(osprey)
    try:
        with vm.connect() as o:
            ours = script(o)
    finally:
        vm.kill()
    for (name, args), o, t in zip([("greeting", None)] + SHARED, ours, theirs):
        contained(o, t, name)
        if "error" in t:
            assert o["error"] == t["error"], name
