"""Boot the default guest (a Debian cloud kernel and a busybox initramfs,
built by `make guest`) on the pc machine with the software CPU, and use it.
"""
import hashlib
import os
import pathlib
import re

import pytest

from conftest import BUILD, ROOT
from guest import SerialGuest

GUEST = pathlib.Path(os.environ.get("GUEST_DIR", BUILD / "guest"))
KERNEL = GUEST / "vmlinuz"
INITRD = GUEST / "initramfs.cpio.gz"

pytestmark = pytest.mark.skipif(
    not (KERNEL.exists() and INITRD.exists()),
    reason="no default guest: run make guest")


def boot(osprey, smp):
    g = SerialGuest([osprey, "-M", "pc", "-m", "256", "-smp", str(smp),
                     "-serial", "stdio", "-kernel", str(KERNEL),
                     "-initrd", str(INITRD),
                     "-append", "console=ttyS0 quiet panic=-1"],
                    timeout=100)
    g.read_until(b"OSPREY-GUEST-READY")
    g.read_until(b"osprey-guest# ")
    return g


@pytest.mark.parametrize("smp", [1, 2])
def test_boot_to_shell_and_poweroff(osprey, smp):
    g = boot(osprey, smp)
    try:
        release = g.run("uname -r").strip()
        version = (GUEST / "kernel-version").read_text().strip() \
            if (GUEST / "kernel-version").exists() else None
        assert re.fullmatch(r"\d+\.\d+\.\d+-\d+-cloud-amd64", release), release
        if version:
            assert release == version
        assert g.run("grep -c ^processor /proc/cpuinfo").strip() == str(smp)
        # The guest computes the same SHA-256 as the host for a file whose
        # contents we know: the guest's own /etc/init.d/rcS.
        rcs = (GUEST / "initramfs" / "etc" / "init.d" / "rcS").read_bytes()
        out = g.run("sha256sum /etc/init.d/rcS")
        assert out.split()[0] == hashlib.sha256(rcs).hexdigest()
        g.proc.stdin.write(b"poweroff\n")
        g.proc.stdin.flush()
        assert g.wait(timeout=120) == 0
    finally:
        g.kill()


def test_dmesg_has_no_acpi_or_apic_errors(osprey):
    g = boot(osprey, 1)
    try:
        # Short enough that the echoed command does not wrap.
        out = g.run("dmesg|grep -ciE 'acpi.*(error|warn)|apic.*(error|fail)'")
        assert out.strip().splitlines()[-1] == "0", out
        assert g.run("dmesg|grep -c 'ACPI: Interpreter enabled'").strip() \
            .splitlines()[-1] == "1"
    finally:
        g.kill()


def test_reboot_resets_the_machine(osprey):
    g = boot(osprey, 1)
    try:
        g.proc.stdin.write(b"reboot\n")
        g.proc.stdin.flush()
        # The machine resets (no -no-reboot): the kernel boots again and
        # the guest's init prints its marker a second time.
        g.read_until(b"OSPREY-GUEST-READY", timeout=180)
        assert g.proc.poll() is None
    finally:
        g.kill()
