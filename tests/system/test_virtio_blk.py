"""virtio-blk on the pc machine with the default guest (build/guest):
format a fresh qcow2 disk in the guest with mkfs.ext4 (e2fsprogs' mke2fs:
a journal and extents, mounted as ext4), write files, reboot, read them
back; read a host-written pattern with dd; read-only drives refuse writes;
-snapshot leaves the image alone; the images stay clean for qemu-img.
Also the -drive/-blockdev/-device command-line errors and query-block.
"""
import hashlib
import os
import pathlib
import shutil
import subprocess
import tempfile

import pytest

from conftest import BUILD
from guest import SerialGuest
from qmp import QMP

GUEST = pathlib.Path(os.environ.get("GUEST_DIR", BUILD / "guest"))
KERNEL = GUEST / "vmlinuz"
INITRD = GUEST / "initramfs.cpio.gz"
OSPREY_IMG = BUILD / "osprey-img"
QEMU_IMG = shutil.which("qemu-img")

needs_guest = pytest.mark.skipif(
    not (KERNEL.exists() and INITRD.exists()),
    reason="no default guest: run make guest")

PROMPT = b"osprey-guest# "


@pytest.fixture
def tmp():
    d = tempfile.mkdtemp(prefix="virtio-blk-test-")
    yield pathlib.Path(d)
    shutil.rmtree(d, ignore_errors=True)


def boot(osprey, *extra, qmp=None):
    argv = [osprey, "-M", "pc", "-m", "256", "-serial", "stdio",
            "-kernel", str(KERNEL), "-initrd", str(INITRD),
            "-append", "console=ttyS0 quiet panic=-1", *extra]
    if qmp:
        argv += ["-qmp", f"unix:{qmp},server=on,wait=off"]
    g = SerialGuest(argv, timeout=240)
    g.read_until(b"OSPREY-GUEST-READY")
    g.read_until(PROMPT)
    return g


def poweroff(g):
    g.proc.stdin.write(b"poweroff\n")
    g.proc.stdin.flush()
    assert g.wait(timeout=240) == 0


def md5(data):
    return hashlib.md5(data).hexdigest()


def pattern(size):
    """A known, non-repeating pattern: each 16-byte line names its offset."""
    return b"".join(b"%015x\n" % off for off in range(0, size, 16))


def create_qcow2(tool, path, size="64M"):
    if tool == "qemu-img":
        if not QEMU_IMG:
            pytest.skip("qemu-img not installed")
        cmd = [QEMU_IMG, "create", "-f", "qcow2", str(path), size]
    else:
        cmd = [str(OSPREY_IMG), "create", "-f", "qcow2", str(path), size]
    subprocess.run(cmd, check=True, capture_output=True)


def qemu_img_check(path):
    if not QEMU_IMG:
        return
    r = subprocess.run([QEMU_IMG, "check", str(path)], capture_output=True,
                       text=True)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "No errors were found" in r.stdout, r.stdout


@needs_guest
@pytest.mark.parametrize("tool", ["qemu-img", "osprey-img"])
def test_format_write_reboot_read_back(osprey, tmp, tool):
    img = tmp / "disk.qcow2"
    create_qcow2(tool, img)
    g = boot(osprey, "-drive", f"file={img},format=qcow2,if=virtio,id=disk0")
    try:
        assert g.run("cat /sys/block/vda/size").strip() == str(64 << 11)
        assert g.run("cat /sys/block/vda/ro").strip() == "0"
        assert "mke2fs 1.4" in g.run("mkfs.ext4 -V 2>&1")
        out = g.run("mkfs.ext4 /dev/vda >/dev/null 2>&1; echo mkfs=$?",
                    timeout=240)
        assert "mkfs=0" in out, out
        # A real ext4: the superblock has a journal (compat 0x4) and
        # extents (incompat 0x40), which busybox's ext2-only mke2fs never
        # writes; the kernel mounts it as ext4.
        feats = g.run("od -A n -t x4 -j 1116 -N 8 /dev/vda").split()
        assert int(feats[0], 16) & 0x4 and int(feats[1], 16) & 0x40, feats
        assert "mount-ok" in g.run(
            "mount -t ext4 /dev/vda /mnt && echo mount-ok")
        assert "/dev/vda on /mnt type ext4" in g.run("mount")
        g.run("dd if=/dev/urandom of=/mnt/random bs=4k count=512 "
              "2>/dev/null; echo hello virtio > /mnt/hello; "
              "mkdir /mnt/dir; seq 1 20000 > /mnt/dir/numbers", timeout=120)
        before = g.run("md5sum /mnt/random /mnt/hello /mnt/dir/numbers")
        assert len(before.strip().split("\n")) == 3, before
        g.run("sync", timeout=120)
        # The guest reboots: a system reset in the same process, and the
        # kernel boots again; rcS mounts the disk on /mnt.
        g.proc.stdin.write(b"reboot\n")
        g.proc.stdin.flush()
        g.read_until(b"rcS: /dev/vda mounted on /mnt")
        g.read_until(b"OSPREY-GUEST-READY")
        g.read_until(PROMPT)
        after = g.run("md5sum /mnt/random /mnt/hello /mnt/dir/numbers")
        assert after == before
        assert g.run("cat /mnt/hello").strip() == "hello virtio"
        poweroff(g)
    finally:
        g.kill()
    qemu_img_check(img)
    # The files are on the image: a fresh process reads them too.
    g = boot(osprey, "-drive", f"file={img},format=qcow2")
    try:
        assert g.run("md5sum /mnt/random /mnt/hello /mnt/dir/numbers") == \
            before
        poweroff(g)
    finally:
        g.kill()
    qemu_img_check(img)


@needs_guest
def test_readonly_raw_pattern_and_write_refused(osprey, tmp):
    img = tmp / "pattern.raw"
    data = pattern(4 << 20)
    img.write_bytes(data)
    g = boot(osprey, "-drive", f"file={img},format=raw,if=virtio,readonly=on")
    try:
        assert g.run("cat /sys/block/vda/ro").strip() == "1"
        # The guest reads what the host wrote, at offsets the host chose.
        out = g.run("dd if=/dev/vda bs=64k 2>/dev/null | md5sum")
        assert out.split()[0] == md5(data)
        out = g.run("dd if=/dev/vda bs=512 skip=4097 count=3 2>/dev/null "
                    "| md5sum")
        assert out.split()[0] == md5(data[4097 * 512:4100 * 512])
        out = g.run("dd if=/dev/zero of=/dev/vda bs=512 count=8 "
                    "conv=fsync 2>&1; echo rc=$?")
        assert "rc=0" not in out, out
        poweroff(g)
    finally:
        g.kill()
    assert img.read_bytes() == data


@needs_guest
def test_snapshot_leaves_image_unchanged(osprey, tmp):
    img = tmp / "base.qcow2"
    create_qcow2("osprey-img", img, "16M")
    raw = tmp / "base.raw"
    raw.write_bytes(pattern(1 << 20))
    before = img.read_bytes()
    g = boot(osprey, "-snapshot", "-drive", f"file={img},format=qcow2",
             "-drive", f"file={raw},format=raw,if=virtio")
    try:
        # The guest sees its writes (in the overlay)...
        g.run("dd if=/dev/urandom of=/dev/vda bs=64k count=16 conv=fsync "
              "2>/dev/null; dd if=/dev/zero of=/dev/vdb bs=64k count=1 "
              "conv=fsync 2>/dev/null; sync")
        out = g.run("dd if=/dev/vdb bs=64k count=1 2>/dev/null | md5sum")
        assert out.split()[0] == md5(bytes(64 << 10))
        poweroff(g)
    finally:
        g.kill()
    # ...the images never do.
    assert img.read_bytes() == before
    assert raw.read_bytes() == pattern(1 << 20)
    qemu_img_check(img)


@needs_guest
def test_blockdev_device_and_query_block(osprey, tmp):
    img = tmp / "node.qcow2"
    create_qcow2("qemu-img" if QEMU_IMG else "osprey-img", img, "8M")
    sock = tmp / "qmp.sock"
    g = boot(osprey, "-blockdev",
             f"driver=qcow2,node-name=disk1,file.driver=file,"
             f"file.filename={img}",
             "-device", "virtio-blk-pci,drive=disk1,serial=OSPREY-SN-1",
             qmp=str(sock))
    try:
        assert g.run("cat /sys/block/vda/size").strip() == str(8 << 11)
        # GET_ID answers with the serial property.
        assert g.run("cat /sys/block/vda/serial; echo").strip() == "OSPREY-SN-1"
        with QMP.connect_unix(str(sock)) as q:
            blocks = q.cmd("query-block")
        names = {b["device"]: b for b in blocks}
        assert "disk1" in names
        ins = names["disk1"]["inserted"]
        assert ins["drv"] == "qcow2"
        assert ins["file"] == str(img)
        assert ins["ro"] is False
        poweroff(g)
    finally:
        g.kill()
    qemu_img_check(img)


def run_osprey(osprey, *args):
    return subprocess.run([osprey, "-M", "pc", "-S", *args],
                          capture_output=True, text=True, timeout=60)


@pytest.mark.parametrize("args,message", [
    (["-drive", "file=/nonexistent.img,format=raw"],
     "Could not open '/nonexistent.img'"),
    (["-drive", "format=raw"], "Parameter 'file' is missing"),
    (["-drive", "file=x.img,format=vmdk"], "Unknown driver 'vmdk'"),
    (["-drive", "file=x.img,if=ide"], "if=ide is not supported"),
    (["-drive", "file=x.img,readonly=maybe"],
     "Parameter 'readonly' expects 'on' or 'off'"),
    (["-drive", "file=x.img,id=1bad"], "Parameter 'id' expects an identifier"),
    (["-device", "virtio-blk-pci"], "drive property not set"),
    (["-device", "virtio-blk-pci,drive=nothere"],
     "drive=nothere: no drive or block node"),
    (["-blockdev", "driver=vmdk,node-name=a,file.filename=x"],
     "Invalid parameter value for 'driver'"),
    (["-blockdev", "driver=raw,file.filename=x"],
     "Parameter 'node-name' is missing"),
    (["-blockdev", "driver=raw,node-name=a"],
     "Parameter 'file.filename' is missing"),
])
def test_bad_options_exit_1(osprey, args, message):
    r = run_osprey(osprey, *args)
    assert r.returncode == 1, r.stderr
    assert message in r.stderr, r.stderr


def test_drive_used_twice_and_duplicate_id(osprey, tmp):
    img = tmp / "d.raw"
    img.write_bytes(bytes(1 << 20))
    r = run_osprey(osprey, "-drive", f"file={img},format=raw,id=d0",
                   "-device", "virtio-blk-pci,drive=d0")
    assert r.returncode == 1
    assert "already in use" in r.stderr, r.stderr
    r = run_osprey(osprey, "-drive", f"file={img},format=raw,id=d0",
                   "-drive", f"file={img},format=raw,id=d0,readonly=on")
    assert r.returncode == 1
    assert "Duplicate ID 'd0'" in r.stderr, r.stderr


def test_help_documents_hda(osprey):
    r = subprocess.run([osprey, "-help"], capture_output=True, text=True)
    assert "-hda file" in r.stdout and "virtio" in r.stdout
    assert "-blockdev" in r.stdout and "-snapshot" in r.stdout


def hmp(qmp, line):
    return qmp.cmd("human-monitor-command", {"command-line": line})


def disk_still_works(g, first_md5):
    """The guest's mounted ext2 on vda keeps working: the first file reads
    back from the disk (caches dropped), a new file goes through the queue
    both ways, and the file system unmounts cleanly."""
    g.run("echo 3 > /proc/sys/vm/drop_caches", timeout=120)
    assert g.run("md5sum /mnt/first", timeout=120).split()[0] == first_md5
    g.run("dd if=/dev/urandom of=/mnt/third bs=4k count=64 2>/dev/null; "
          "sync", timeout=120)
    third = g.run("md5sum /mnt/third", timeout=120).split()[0]
    g.run("echo 3 > /proc/sys/vm/drop_caches", timeout=120)
    assert g.run("md5sum /mnt/third", timeout=120).split()[0] == third
    out = g.run("umount /mnt; echo umount=$?", timeout=120)
    assert "umount=0" in out, out
    out = g.run("mount -t ext4 /dev/vda /mnt && md5sum /mnt/first /mnt/third",
                timeout=120)
    assert first_md5 in out and third in out, out
    g.run("umount /mnt", timeout=120)


@needs_guest
def test_savevm_loadvm_with_mounted_virtio_disk(osprey, tmp):
    """savevm while the guest has an ext2 on a qcow2 virtio disk mounted;
    change the disk; loadvm: the virtio queues continue where they were
    (the guest reads, writes, syncs and unmounts), in the same process and
    in a fresh one started with -loadvm; qemu-img check stays clean."""
    img = tmp / "disk.qcow2"
    create_qcow2("osprey-img", img)
    qmp_path = str(tmp / "qmp.sock")
    drive = ["-drive", f"file={img},if=virtio,format=qcow2"]
    g = boot(osprey, *drive, qmp=qmp_path)
    qmp = None
    try:
        out = g.run("mkfs.ext2 /dev/vda >/dev/null 2>&1; echo mkfs=$?",
                    timeout=120)
        assert "mkfs=0" in out, out
        assert "mount-ok" in g.run(
            "mount -t ext4 /dev/vda /mnt && echo mount-ok", timeout=120)
        g.run("dd if=/dev/urandom of=/mnt/first bs=4k count=256 "
              "2>/dev/null; sync", timeout=120)
        first = g.run("md5sum /mnt/first", timeout=120).split()[0]
        qmp = QMP.connect_unix(qmp_path, timeout=60)
        assert hmp(qmp, "savevm s1") == ""
        # After the snapshot: another file, the first one removed.
        g.run("dd if=/dev/urandom of=/mnt/second bs=4k count=64 "
              "2>/dev/null; rm /mnt/first; sync", timeout=120)
        assert "gone" in g.run("test -e /mnt/first || echo gone")
        assert hmp(qmp, "loadvm s1") == ""
        assert qmp.cmd("query-status")["status"] == "running"
        assert "absent" in g.run("test -e /mnt/second || echo absent",
                                 timeout=120)
        disk_still_works(g, first)
        poweroff(g)
    finally:
        if qmp:
            qmp.close()
        g.kill()
    qemu_img_check(img)

    # A fresh process resumes the shell at the snapshot, disk mounted.
    argv = [osprey, "-M", "pc", "-m", "256", "-serial", "stdio",
            "-kernel", str(KERNEL), "-initrd", str(INITRD),
            "-append", "console=ttyS0 quiet panic=-1", *drive,
            "-loadvm", "s1"]
    g = SerialGuest(argv, timeout=240)
    try:
        assert g.run("echo $((6 * 7))", timeout=120).strip() == "42"
        # The disk is as the snapshot left it (third is from the first run,
        # written after s1, so it is gone again).
        assert "absent" in g.run("test -e /mnt/third || echo absent",
                                 timeout=120)
        disk_still_works(g, first)
        poweroff(g)
    finally:
        g.kill()
    qemu_img_check(img)
