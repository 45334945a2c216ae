"""Command-line behaviour a user sees before any guest runs."""
import subprocess


def run(osprey, *args):
    return subprocess.run([osprey, *args], capture_output=True, text=True,
                          timeout=30)


def test_help_lists_options(osprey):
    r = run(osprey, "--help")
    assert r.returncode == 0
    assert "usage: osprey" in r.stdout
    assert "-version" in r.stdout


def test_version(osprey):
    r = run(osprey, "-version")
    assert r.returncode == 0
    assert r.stdout.startswith("Osprey emulator version ")


def test_unknown_option_fails_with_message(osprey):
    r = run(osprey, "-frobnicate")
    assert r.returncode == 1
    assert "osprey: -frobnicate: invalid option" in r.stderr
