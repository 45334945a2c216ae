"""-dump-vmstate of the pc machine lists every device's description."""
import json
import pathlib
import subprocess

import pytest

from conftest import ROOT

CHECKER = ROOT / "scripts" / "vmstate-static-checker.py"
FIRMWARE = pathlib.Path("/usr/share/seabios/bios-256k.bin")

# Description name -> fields it must have (QEMU's names where QEMU has them).
EXPECTED = {
    "timer": ["virtual_ns"],
    "cpu_common": ["halted", "interrupt_request"],
    "cpu": ["env.regs", "env.eip", "env.eflags", "env.fpregs",
            "env.fpus_vmstate", "env.fptag_vmstate", "env.segs", "env.gdt",
            "env.idt", "env.ldt", "env.tr", "env.cr[0]", "env.cr[3]",
            "env.dr", "env.efer", "env.star", "env.lstar",
            "env.kernelgsbase", "env.pat", "env.tsc_offset",
            "env.mtrr_fixed", "env.mtrr_var", "env.xmm_regs", "env.mxcsr",
            "env.a20_mask", "env.sipi_vector"],
    "apic": ["apicbase", "tpr", "isr", "tmr", "irr", "lvt", "icr",
             "divide_conf", "initial_count", "timer_expiry"],
    "i8259": ["irr", "imr", "isr", "priority_add", "irq_base", "elcr"],
    "ioapic": ["id", "ioregsel", "irr", "ioredtbl"],
    "i8254": ["channels"],
    "pcspk": ["data_on", "dummy_refresh_clock"],
    "mc146818rtc": ["cmos_data", "cmos_index", "periodic_timer",
                    "update_timer", "base_ns"],
    "pckbd": ["kbd"],
    "port92": ["outport"],
    "cf9-reset": ["rcr"],
    "acpi-pm": ["ar.pm1.evt.sts", "ar.pm1.evt.en", "ar.pm1.cnt.cnt",
                "tmr_timer", "gpe_sts", "gpe_en"],
    "I440FX": ["parent_obj"],
    "PIIX3": ["dev", "pirq_level"],
    "fw_cfg": ["cur_entry", "cur_offset"],
    "serial": ["state"],
}


@pytest.fixture(scope="module")
def dump(osprey, tmp_path_factory):
    if not FIRMWARE.exists():
        pytest.skip(f"{FIRMWARE} missing (the pc machine needs firmware)")
    out = tmp_path_factory.mktemp("vmstate") / "pc.json"
    r = subprocess.run([osprey, "-M", "pc", "-smp", "2", "-dump-vmstate",
                        str(out)], capture_output=True, text=True,
                       timeout=60)
    assert r.returncode == 0, r.stderr
    return out


def test_every_pc_device_is_described(dump):
    d = json.loads(dump.read_text())
    assert d["vmschkmachine"] == {"Name": "pc"}
    for name, fields in EXPECTED.items():
        assert name in d, f"no description named {name!r}"
        got = [f["field"] for f in d[name]["Description"]["Fields"]]
        for field in fields:
            assert field in got, f"{name}: no field {field!r} in {got}"


def test_pci_devices_embed_pcidevice(dump):
    d = json.loads(dump.read_text())
    for name in ("I440FX", "PIIX3"):
        first = d[name]["Description"]["Fields"][0]
        assert first["Description"]["name"] == "PCIDevice"
        inner = [f["field"] for f in first["Description"]["Fields"]]
        assert inner == ["config", "irq_state"]


def test_cpu_x87_is_portable(dump):
    """x87 registers are 80-bit values (be64 + be16), not long double."""
    d = json.loads(dump.read_text())
    fpregs = [f for f in d["cpu"]["Description"]["Fields"]
              if f["field"] == "env.fpregs"][0]
    assert fpregs["num"] == 8
    sizes = [f["size"] for f in fpregs["Description"]["Fields"]]
    assert sizes == [8, 2]


def test_dump_checks_against_itself(dump):
    r = subprocess.run(["/usr/bin/python3", str(CHECKER), "-s", str(dump),
                        "-d", str(dump)], capture_output=True, text=True,
                       timeout=60)
    assert r.returncode == 0, r.stdout + r.stderr
