"""Shared fixtures for Osprey system tests."""
import os
import pathlib

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
BUILD = pathlib.Path(os.environ.get("BUILD", ROOT / "build"))


@pytest.fixture(scope="session")
def osprey():
    """Path of the osprey binary under test."""
    path = BUILD / "osprey"
    if not path.exists():
        pytest.fail(f"{path} missing: run make first")
    return str(path)


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
