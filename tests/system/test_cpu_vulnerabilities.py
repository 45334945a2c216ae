"""What the Linux guest concludes about CPU vulnerabilities from osprey64's
CPUID and IA32_ARCH_CAPABILITIES (target/x86/cpuid.c, misc_helper.c).

An emulator executes nothing speculatively, so osprey64 says so with the
"not affected" bits, and the guest skips page-table isolation (a TLB
flush on every kernel entry) and VERW buffer clearing.  Without the
feature (-cpu osprey64,-arch-capabilities) a GenuineIntel family 6 CPU is
assumed vulnerable: the test of that proves the first one can fail.
"""
import os
import pathlib

import pytest

from conftest import BUILD
from guest import SerialGuest

GUEST = pathlib.Path(os.environ.get("GUEST_DIR", BUILD / "guest"))
KERNEL = GUEST / "vmlinuz"
INITRD = GUEST / "initramfs.cpio.gz"
VULNS = "/sys/devices/system/cpu/vulnerabilities"

pytestmark = pytest.mark.skipif(
    not (KERNEL.exists() and INITRD.exists()),
    reason="no default guest: run make guest")


def boot(osprey, cpu):
    g = SerialGuest([osprey, "-M", "pc", "-m", "256", "-cpu", cpu,
                     "-serial", "stdio", "-kernel", str(KERNEL),
                     "-initrd", str(INITRD),
                     "-append", "console=ttyS0 quiet panic=-1"],
                    timeout=180)
    g.read_until(b"OSPREY-GUEST-READY")
    g.read_until(b"osprey-guest# ")
    return g


def vulnerabilities(g):
    """{name: status} from the guest's sysfs, one file per line."""
    out = g.run(f"grep . {VULNS}/*")
    v = {}
    for line in out.splitlines():
        if line.startswith(VULNS + "/") and ":" in line:
            name, status = line[len(VULNS) + 1:].split(":", 1)
            v[name] = status
    print(v)
    return v


def test_osprey64_is_not_affected(osprey):
    g = boot(osprey, "osprey64")
    try:
        v = vulnerabilities(g)
        for name in ("meltdown", "mds", "l1tf", "tsx_async_abort",
                     "mmio_stale_data", "spec_store_bypass", "itlb_multihit",
                     "srbds", "gather_data_sampling", "retbleed",
                     "reg_file_data_sampling",
                     "indirect_target_selection"):
            if name in v:     # older kernels lack some files
                assert v[name] == "Not affected", (name, v)
        assert "meltdown" in v and "mds" in v, v
        pti = g.run("dmesg | grep -c 'page tables isolation: enabled'")
        assert pti.strip().splitlines()[-1] == "0", pti
    finally:
        g.kill()


def test_without_arch_capabilities_the_guest_mitigates(osprey):
    g = boot(osprey, "osprey64,-arch-capabilities")
    try:
        v = vulnerabilities(g)
        assert v.get("meltdown") == "Mitigation: PTI", v
        # no MD_CLEAR in CPUID: "Vulnerable: Clear CPU buffers attempted"
        assert "Clear CPU buffers" in v.get("mds", ""), v
        pti = g.run("dmesg | grep -c 'page tables isolation: enabled'")
        assert pti.strip().splitlines()[-1] == "1", pti
    finally:
        g.kill()
