"""Shared fixtures for Osprey system tests."""
import os
import pathlib
import shutil
import subprocess

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
BUILD = pathlib.Path(os.environ.get("BUILD", ROOT / "build"))
GUEST_SRC = ROOT / "tests" / "guest"
GUEST_OUT = BUILD / "guest-tests"


@pytest.fixture(scope="session")
def osprey():
    """Path of the osprey binary under test."""
    path = BUILD / "osprey"
    if not path.exists():
        pytest.fail(f"{path} missing: run make first")
    return str(path)


@pytest.fixture(scope="session")
def guest_programs():
    """Build our guest programs (tests/guest/build.sh is idempotent); the
    folder of their ELFs."""
    for tool in ("gcc", "ld", "objcopy"):
        if not shutil.which(tool):
            pytest.skip(f"{tool} not installed: cannot build guest programs")
    r = subprocess.run([str(GUEST_SRC / "build.sh")], capture_output=True,
                       text=True, timeout=300,
                       env=dict(os.environ, BUILD=str(BUILD)))
    assert r.returncode == 0, f"build.sh failed:\n{r.stdout}{r.stderr}"
    return GUEST_OUT


@pytest.fixture
def vms():
    """QmpVm processes started by a test (guest.start), killed after it."""
    started = []
    yield started
    for vm in started:
        vm.close()


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "qemu: runs qemu-system-x86_64 (deselect: -m 'not qemu')")
