"""Command-line behaviour a user sees: help, errors, machines, process
control (-pidfile, -daemonize, signals)."""
import os
import signal
import subprocess
import time


def run(osprey, *args, timeout=30):
    return subprocess.run([osprey, *args], capture_output=True, text=True,
                          timeout=timeout)


def test_help_lists_options(osprey):
    r = run(osprey, "--help")
    assert r.returncode == 0
    assert "usage: osprey" in r.stdout
    for opt in ("-version", "-machine", "-m [size=]megs", "-smp", "-S",
                "-no-reboot", "-no-shutdown", "-pidfile", "-daemonize"):
        assert opt in r.stdout


def test_display_none_only(osprey):
    r = run(osprey, "-display", "none", "-M", "none", "-S", "-version")
    assert r.returncode == 0, r.stderr
    r = run(osprey, "-display", "gtk", "-M", "none")
    assert r.returncode == 1
    assert "osprey: -display gtk: Osprey has no graphical display; " \
        "only 'none' is accepted" in r.stderr


def test_version(osprey):
    r = run(osprey, "-version")
    assert r.returncode == 0
    assert r.stdout.startswith("Osprey emulator version ")


def test_unknown_option_fails_with_message(osprey):
    r = run(osprey, "-frobnicate")
    assert r.returncode == 1
    assert "osprey: -frobnicate: invalid option" in r.stderr


def test_missing_argument(osprey):
    r = run(osprey, "-m")
    assert r.returncode == 1
    assert "osprey: -m: requires an argument" in r.stderr


def test_accel_options(osprey):
    r = run(osprey, "-accel", "tcg,jit=maybe", "-M", "none")
    assert r.returncode == 1
    assert "-accel tcg,jit=maybe: invalid option 'jit=maybe'" in r.stderr
    r = run(osprey, "-accel", "kvmx", "-M", "none")
    assert r.returncode == 1
    assert "invalid accelerator kvmx" in r.stderr


def test_machine_help_lists_none(osprey):
    r = run(osprey, "-machine", "help")
    assert r.returncode == 0
    assert r.stdout.startswith("Supported machines are:")
    assert any(line.split()[0] == "none" for line in r.stdout.splitlines()[1:])


def test_unknown_machine(osprey):
    r = run(osprey, "-M", "nosuch")
    assert r.returncode == 1
    assert 'unsupported machine type: "nosuch"' in r.stderr


def test_bad_memory_size(osprey):
    for bad in ("0", "12q", "-5", "99999999999T"):
        r = run(osprey, "-M", "none", "-m", bad)
        assert r.returncode == 1, bad
        assert f"-m {bad}" in r.stderr


def test_bad_machine_option_key(osprey):
    r = run(osprey, "-machine", "none,frob=1")
    assert r.returncode == 1
    assert "Invalid parameter 'frob'" in r.stderr


def test_too_many_cpus_for_machine(osprey):
    r = run(osprey, "-M", "none", "-smp", "2")
    assert r.returncode == 1
    assert "max CPUs supported by machine 'none' is 1" in r.stderr


def wait_for(path, timeout=10):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if os.path.exists(path) and open(path).read().strip():
            return True
        time.sleep(0.02)
    return False


def test_pidfile_and_sigterm(osprey, tmp_path):
    pidfile = tmp_path / "osprey.pid"
    p = subprocess.Popen([osprey, "-M", "none", "-m", "16", "-pidfile",
                          str(pidfile)], stderr=subprocess.PIPE, text=True)
    try:
        assert wait_for(pidfile)
        assert int(pidfile.read_text()) == p.pid
        # A second instance may not take the same pid file.
        r = run(osprey, "-M", "none", "-pidfile", str(pidfile))
        assert r.returncode == 1
        assert "PID file" in r.stderr
        p.send_signal(signal.SIGTERM)
        _, err = p.communicate(timeout=10)
        assert p.returncode == 0
        assert "terminating on signal 15" in err
        assert not pidfile.exists()
    finally:
        if p.poll() is None:
            p.kill()


def test_daemonize(osprey, tmp_path):
    pidfile = tmp_path / "d.pid"
    r = run(osprey, "-M", "none", "-daemonize", "-pidfile", str(pidfile))
    assert r.returncode == 0
    assert wait_for(pidfile)
    pid = int(pidfile.read_text())
    assert pid != os.getpid()
    os.kill(pid, 0)        # the daemon runs
    os.kill(pid, signal.SIGTERM)
    deadline = time.time() + 10
    while time.time() < deadline and pidfile.exists():
        time.sleep(0.02)
    assert not pidfile.exists()


def test_daemonize_reports_startup_error(osprey):
    r = run(osprey, "-M", "nosuch", "-daemonize")
    assert r.returncode == 1
    assert "unsupported machine type" in r.stderr


def test_chardev_errors(osprey):
    r = run(osprey, "-M", "none", "-chardev", "foo,id=x")
    assert r.returncode == 1
    assert "'foo' is not a valid char driver" in r.stderr
    r = run(osprey, "-M", "none", "-chardev", "socket,id=c0")
    assert r.returncode == 1
    assert "-chardev socket,id=c0:" in r.stderr


def test_chardev_socket_server_accepts(osprey, tmp_path):
    import socket
    path = tmp_path / "c0.sock"
    p = subprocess.Popen([osprey, "-M", "none", "-chardev",
                          f"socket,id=c0,path={path},server=on,wait=off"],
                         stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.time() + 10
        while not path.exists() and time.time() < deadline:
            time.sleep(0.02)
        s = socket.socket(socket.AF_UNIX)
        s.connect(str(path))
        s.close()
        assert p.poll() is None
    finally:
        p.terminate()
        p.wait(timeout=10)
    assert p.returncode == 0


def test_log_options(osprey, tmp_path):
    r = run(osprey, "-d", "help")
    assert r.returncode == 0
    assert "guest_errors" in r.stdout and "in_asm" in r.stdout
    r = run(osprey, "-d", "bogus")
    assert r.returncode == 1
    assert "unknown log item 'bogus'" in r.stderr
    r = run(osprey, "-M", "none", "-D", str(tmp_path / "no" / "such"))
    assert r.returncode == 1
    assert "cannot open log file" in r.stderr
