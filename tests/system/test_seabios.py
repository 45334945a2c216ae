"""Debian's SeaBIOS on Osprey's pc machine, read from its debug log.

SeaBIOS (bios-256k.bin) writes its log to port 0x402; isa-debugcon puts
it in a file.  The tests run the firmware until it prints the line that
shows it got where it should (its boot attempts, or the Linux boot ROM),
then stop Osprey.  They need Debian's seabios package (and, to boot a
kernel, qemu-system-data's linuxboot_dma.bin); without them they skip.
"""
import pathlib
import subprocess
import time

import pytest

from conftest import BUILD

BIOS = pathlib.Path("/usr/share/seabios/bios-256k.bin")
LINUXBOOT = pathlib.Path("/usr/share/qemu/linuxboot_dma.bin")
GUEST = BUILD / "guest"
TIMEOUT = 30

pytestmark = pytest.mark.skipif(
    not BIOS.exists(),
    reason=f"{BIOS} missing: install Debian's seabios package")


def run_until(osprey, tmp_path, extra, want, logname="debug", timeout=TIMEOUT):
    """Run the pc machine with SeaBIOS until `want` (a string) appears in
    the debug log (or, with logname="serial", in COM1's output); return
    (debug log, serial output, stderr)."""
    dbg = tmp_path / "seabios.log"
    ser = tmp_path / "serial.log"
    cmd = [osprey, "-M", "pc", "-m", "64", "-bios", str(BIOS),
           "-chardev", f"file,id=dbg,path={dbg}",
           "-device", "isa-debugcon,iobase=0x402,chardev=dbg",
           "-serial", f"file:{ser}"] + extra
    proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    watch = dbg if logname == "debug" else ser
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline and proc.poll() is None:
            if watch.exists() and want in watch.read_text(errors="replace"):
                break
            time.sleep(0.2)
    finally:
        if proc.poll() is None:
            proc.terminate()
        _, err = proc.communicate(timeout=10)
    log = dbg.read_text(errors="replace") if dbg.exists() else ""
    out = ser.read_text(errors="replace") if ser.exists() else ""
    return log, out, err.decode(errors="replace")


def test_seabios_boots_to_boot_attempts(osprey, tmp_path):
    log, _, err = run_until(osprey, tmp_path, [], "No bootable device.")
    assert "SeaBIOS (version" in log, err
    # Found the i440FX (QEMU's subsystem IDs) and fw_cfg with DMA.
    assert "Running on QEMU (i440fx)" in log
    assert "QEMU fw_cfg DMA interface supported" in log
    # etc/e820: 64 MiB, 63 of them above 1 MiB.
    assert ("qemu/e820: addr 0x0000000000100000 len 0x0000000003f00000 "
            "[RAM]") in log
    # PAM: shadow RAM was made writable, so init code could move.
    assert "Unable to unlock ram" not in log
    assert "Relocating init from" in log
    # The ACPI tables arrived through etc/table-loader.
    assert "ACPI: parse DSDT at" in log
    assert "Found 1 cpu(s)" in log
    assert "Booting from Hard Disk..." in log or "Booting from Floppy..." in log
    # etc/boot-fail-wait = -1: no retry, as QEMU.
    assert "No bootable device.\n" in log or log.endswith("No bootable device.")


def test_seabios_counts_two_cpus(osprey, tmp_path):
    log, _, err = run_until(osprey, tmp_path, ["-smp", "2"],
                            "No bootable device.", timeout=40)
    assert "Found 2 cpu(s)" in log, err
    assert "Attempting a hard reboot" not in log


def test_seabios_multiboot_kernel_is_refused(osprey, tmp_path):
    """Multiboot through the firmware (multiboot_dma.bin) is not done yet:
    a clear error, not a hang."""
    elf = BUILD / "guest-tests" / "hello.elf"
    if not elf.exists():
        pytest.skip(f"{elf} missing: run tests/guest/build.sh")
    r = subprocess.run([osprey, "-M", "pc", "-bios", str(BIOS), "-kernel",
                        str(elf), "-serial", "null"], capture_output=True,
                       text=True, timeout=TIMEOUT)
    assert r.returncode != 0
    assert "only Linux bzImage kernels" in r.stderr


def test_seabios_boots_linux_through_linuxboot_rom(osprey, tmp_path):
    kernel, initrd = GUEST / "vmlinuz", GUEST / "initramfs.cpio.gz"
    if not kernel.exists() or not initrd.exists():
        pytest.skip("no default guest: run scripts/build-guest.sh")
    if not LINUXBOOT.exists():
        pytest.skip(f"{LINUXBOOT} missing: install qemu-system-data")
    log, out, err = run_until(
        osprey, tmp_path,
        ["-m", "256", "-kernel", str(kernel), "-initrd", str(initrd),
         "-append", "console=ttyS0"],
        "OSPREY-GUEST-READY", logname="serial", timeout=60)
    # The ROM came from fw_cfg and runs first (bootorder).
    assert "Booting from ROM..." in log, err
    assert "Booting from Hard Disk" not in log
    assert "OSPREY-GUEST-READY" in out, out[-2000:]


# A boot sector that writes a line to the debug port (0x402) and halts:
#   cli; xor ax,ax; mov ds,ax; mov si,msg; mov dx,0x402
#   1: lodsb; test al,al; jz 2f; out dx,al; jmp 1b
#   2: hlt; jmp 2b
BOOT_CODE = bytes.fromhex("fa31c08ed8be167cba0204ac84c07403eeebf8f4ebfd")
BOOT_MSG = b"MBR BOOTED FROM VIRTIO\n\0"


def test_seabios_boots_a_virtio_disk(osprey, tmp_path):
    """SeaBIOS finds the virtio-blk-pci disk (modern virtio), reads its
    boot sector through the virtqueue and jumps to it."""
    sector = bytearray(512)
    sector[:len(BOOT_CODE)] = BOOT_CODE
    sector[0x16:0x16 + len(BOOT_MSG)] = BOOT_MSG
    sector[510:512] = b"\x55\xaa"
    disk = tmp_path / "boot.raw"
    disk.write_bytes(bytes(sector) + bytes(1024 * 1024 - 512))
    log, _, err = run_until(osprey, tmp_path,
                            ["-drive", f"file={disk},format=raw,if=virtio"],
                            "MBR BOOTED FROM VIRTIO")
    assert "found virtio-blk at" in log, err
    assert "using modern (1.0) virtio mode" in log
    assert "Booting from Hard Disk..." in log
    assert "MBR BOOTED FROM VIRTIO" in log
