"""The default guest (scripts/build-guest.sh) as Osprey's loaders see it.

Skipped when build/guest/ has not been built; nothing here downloads.
"""
import gzip
import os
import pathlib
import re
import stat
import subprocess

import pytest

from conftest import BUILD, ROOT

GUEST = pathlib.Path(os.environ.get("GUEST_DIR", ROOT / "build" / "guest"))
KERNEL = GUEST / "vmlinuz"
INITRD = GUEST / "initramfs.cpio.gz"

pytestmark = pytest.mark.skipif(
    not (KERNEL.exists() and INITRD.exists()),
    reason="no default guest: run scripts/build-guest.sh")


def read_cpio(data):
    """{name: (mode, rdev, content)} from concatenated newc archives."""
    entries, pos = {}, 0
    while pos + 110 <= len(data):
        if data[pos:pos + 6] != b"070701":
            if data[pos] == 0:          # padding between archives
                pos += 1
                continue
            raise AssertionError(f"bad cpio magic at {pos}")
        fields = [int(data[pos + 6 + 8 * i:pos + 14 + 8 * i], 16)
                  for i in range(13)]
        mode, filesize = fields[1], fields[6]
        rdev = (fields[9], fields[10])
        namesize = fields[11]
        name = data[pos + 110:pos + 110 + namesize - 1].decode()
        pos = (pos + 110 + namesize + 3) & ~3
        content = data[pos:pos + filesize]
        pos = (pos + filesize + 3) & ~3
        if name != "TRAILER!!!":
            entries[name.lstrip("./") or "."] = (mode, rdev, content)
    return entries


@pytest.fixture(scope="module")
def initramfs():
    return read_cpio(gzip.decompress(INITRD.read_bytes()))


def test_real_kernel_through_loader():
    """The packaged bzImage parses and loads with x86_load_linux64()."""
    test = BUILD / "tests" / "test-x86-boot"
    if not test.exists():
        pytest.fail(f"{test} missing: run make unit-tests")
    env = dict(os.environ, OSPREY_GUEST_KERNEL=str(KERNEL),
               OSPREY_GUEST_INITRD=str(INITRD), CMOCKA_MESSAGE_OUTPUT="TAP")
    out = subprocess.run([str(test)], env=env, capture_output=True, text=True,
                         timeout=300)
    assert out.returncode == 0, out.stdout + out.stderr
    line = [l for l in out.stdout.splitlines() if "test_real_guest_kernel" in l]
    assert line and re.match(r"^ok \d+ - test_real_guest_kernel$", line[0]), \
        out.stdout
    # The header summary the test prints: a 64-bit capable protocol >= 2.12.
    m = re.search(r"protocol (\d+)\.(\d+),.*xloadflags 0x([0-9a-f]+)",
                  out.stdout)
    assert m, out.stdout
    assert (int(m.group(1)), int(m.group(2))) >= (2, 12)
    assert int(m.group(3), 16) & 1


def test_initramfs_layout(initramfs):
    mode, _, target = initramfs["init"]
    assert stat.S_ISLNK(mode) and target == b"/bin/busybox"
    mode, _, busybox = initramfs["bin/busybox"]
    assert stat.S_ISREG(mode) and busybox[:4] == b"\x7fELF"
    assert b"OSPREY-GUEST-READY" in initramfs["etc/init.d/rcS"][2]
    assert b"devtmpfs" in initramfs["etc/init.d/rcS"][2]
    assert b"cttyhack" in initramfs["etc/inittab"][2]
    for applet in ("bin/sh", "sbin/poweroff", "sbin/insmod", "bin/cttyhack"):
        assert applet in initramfs, applet
    # The node init's stdio needs before devtmpfs is mounted.
    mode, rdev, _ = initramfs["dev/console"]
    assert stat.S_ISCHR(mode) and rdev == (5, 1)


def test_initramfs_modules(initramfs):
    kver = (GUEST / "kernel-version").read_text().strip()
    order = initramfs.get("etc/modules-order")
    if order is None:
        pytest.skip("kernel has no loadable modules")
    mods = order[2].decode().split()
    names = [pathlib.PurePath(m).name for m in mods]
    for want in ("virtio_pci.ko", "virtio_blk.ko", "virtio_net.ko",
                 "virtio_console.ko"):
        assert want in names, names
    # Dependencies come before their users.
    assert names.index("virtio_ring.ko") < names.index("virtio.ko") \
        < names.index("virtio_pci.ko")
    for m in mods:
        mode, _, data = initramfs[f"lib/modules/{kver}/{m}"]
        assert stat.S_ISREG(mode)
        assert data[:4] == b"\x7fELF", f"{m} is not an uncompressed module"


def elf_needed(data, tmp_path, name):
    """DT_NEEDED of an ELF image, by readelf."""
    path = tmp_path / name
    path.write_bytes(data)
    out = subprocess.run(["readelf", "-d", str(path)], capture_output=True,
                         text=True, check=True).stdout
    return re.findall(r"\(NEEDED\)\s+Shared library: \[([^\]]+)\]", out)


def test_initramfs_mke2fs(initramfs, tmp_path):
    """e2fsprogs' mke2fs as mkfs.ext2/3/4, with every library it needs
    (and theirs) and the loader at its PT_INTERP path."""
    mode, _, mke2fs = initramfs["sbin/mke2fs"]
    assert stat.S_ISREG(mode) and mke2fs[:4] == b"\x7fELF"
    for t in ("ext2", "ext3", "ext4"):
        mode, _, target = initramfs[f"sbin/mkfs.{t}"]
        assert stat.S_ISLNK(mode) and target == b"mke2fs"
    assert b"[defaults]" in initramfs["etc/mke2fs.conf"][2]
    mode, _, target = initramfs["lib64/ld-linux-x86-64.so.2"]
    assert stat.S_ISLNK(mode)
    loader = initramfs[target.decode().lstrip("/")]
    assert stat.S_ISREG(loader[0]) and loader[2][:4] == b"\x7fELF"
    libdirs = ("lib/x86_64-linux-gnu", "usr/lib/x86_64-linux-gnu")
    todo, seen = [("mke2fs", mke2fs)], set()
    while todo:
        name, data = todo.pop()
        for lib in elf_needed(data, tmp_path, name):
            if lib in seen:
                continue
            seen.add(lib)
            found = [initramfs[f"{d}/{lib}"] for d in libdirs
                     if f"{d}/{lib}" in initramfs]
            assert found, f"{name} needs {lib}, not in the initramfs"
            assert stat.S_ISREG(found[0][0])
            todo.append((lib, found[0][2]))
    assert {"libext2fs.so.2", "libc.so.6"} <= seen, seen
