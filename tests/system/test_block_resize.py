"""block_resize (QMP and HMP) with a running Linux guest: a qcow2 -drive
and a raw -blockdev grow, the guest's virtio_blk driver sees the
config-change interrupt (dmesg "new size", /sys/block/vdX/size), reads
what was there and writes the new end; query-block, qemu-img info and
qemu-img check agree afterwards.  The error cases answer with QEMU's
messages and change nothing.
"""
import json
import subprocess

import pytest

from qmp import QMP, QMPError
from test_virtio_blk import (OSPREY_IMG, QEMU_IMG, boot, needs_guest,
                             poweroff, qemu_img_check, tmp)  # noqa: F401

MiB = 1 << 20


def sectors_of(g, dev):
    return int(g.run(f"cat /sys/block/{dev}/size").strip())


def wait_sectors(g, dev, want):
    """Poll in the guest (the interrupt is asynchronous to the monitor).
    The last line is the answer: a long command line wraps in the echo."""
    out = g.run(f"for i in $(seq 300); do "
                f"[ $(cat /sys/block/{dev}/size) = {want} ] && break; "
                f"sleep 0.1; done; cat /sys/block/{dev}/size", timeout=120)
    assert out.strip().split("\n")[-1] == str(want), out


def virtual_size(qmp, device):
    for b in qmp.cmd("query-block"):
        if b["device"] == device:
            return b["inserted"]["image"]["virtual-size"]
    raise AssertionError(f"{device} not in query-block")


def hmp(qmp, line):
    return qmp.cmd("human-monitor-command", {"command-line": line})


def image_info(path):
    tool = QEMU_IMG or str(OSPREY_IMG)
    r = subprocess.run([tool, "info", "--output=json", str(path)],
                       capture_output=True, text=True, check=True)
    return json.loads(r.stdout)


def expect_error(qmp, args, desc):
    with pytest.raises(QMPError) as e:
        qmp.cmd("block_resize", args)
    assert e.value.error_class == "GenericError"
    assert e.value.desc == desc


@needs_guest
def test_block_resize_guest_sees_new_size(osprey, tmp):
    qcow2 = tmp / "grow.qcow2"
    subprocess.run([str(OSPREY_IMG), "create", "-f", "qcow2", str(qcow2),
                    "16M"], check=True, capture_output=True)
    raw = tmp / "grow.raw"
    raw.write_bytes(bytes(8 * MiB))
    ro = tmp / "ro.raw"
    ro.write_bytes(bytes(4 * MiB))
    sock = tmp / "qmp.sock"
    g = boot(osprey,
             "-drive", f"file={qcow2},format=qcow2,if=virtio,id=disk0",
             "-blockdev", f"driver=raw,node-name=rawnode,file.driver=file,"
                          f"file.filename={raw}",
             "-device", "virtio-blk-pci,drive=rawnode",
             "-drive", f"file={ro},format=raw,if=virtio,id=ro0,readonly=on",
             qmp=str(sock))
    try:
        # Which vdX is which: the sizes tell.
        by_size = {}
        for dev in ("vda", "vdb", "vdc"):
            by_size[sectors_of(g, dev) * 512] = dev
        assert sorted(by_size) == [4 * MiB, 8 * MiB, 16 * MiB], by_size
        vq, vr, vro = by_size[16 * MiB], by_size[8 * MiB], by_size[4 * MiB]

        # Something at the end of the qcow2 disk before it grows.
        g.run(f"echo tail-before-resize | dd of=/dev/{vq} bs=512 "
              f"seek={16 * 2048 - 1} conv=fsync 2>/dev/null")

        with QMP.connect_unix(str(sock), timeout=60) as q:
            assert q.cmd("block_resize", {"device": "disk0",
                                          "size": 32 * MiB}) == {}
            assert virtual_size(q, "disk0") == 32 * MiB
            wait_sectors(g, vq, 32 * 2048)
            dmesg = g.run(f"dmesg | grep '\\[{vq}\\] new size'")
            assert f"[{vq}] new size: {32 * 2048} 512-byte logical blocks" \
                in dmesg, dmesg

            # The old end reads back; the new end takes a write.
            out = g.run(f"dd if=/dev/{vq} bs=512 skip={16 * 2048 - 1} "
                        f"count=1 2>/dev/null | head -c 18; echo")
            assert out.strip().split("\n")[-1] == "tail-before-resize", out
            g.run(f"echo at-the-new-end | dd of=/dev/{vq} bs=512 "
                  f"seek={32 * 2048 - 1} conv=fsync 2>/dev/null; "
                  f"echo 3 > /proc/sys/vm/drop_caches")
            out = g.run(f"dd if=/dev/{vq} bs=512 skip={32 * 2048 - 1} "
                        f"count=1 2>/dev/null | head -c 14; echo")
            assert out.strip().split("\n")[-1] == "at-the-new-end", out

            # A -blockdev node by node-name.
            assert q.cmd("block_resize", {"node-name": "rawnode",
                                          "size": 12 * MiB}) == {}
            wait_sectors(g, vr, 12 * 2048)
            assert virtual_size(q, "rawnode") == 12 * MiB

            # HMP: a size without suffix is MiB, as QEMU's.
            assert hmp(q, "block_resize disk0 48") == ""
            wait_sectors(g, vq, 48 * 2048)
            assert hmp(q, "block_resize rawnode 16M") == ""
            wait_sectors(g, vr, 16 * 2048)
            assert "Cannot find device='nope' nor node-name=''" in \
                hmp(q, "block_resize nope 1G")
            assert hmp(q, "block_resize disk0 12q") == "invalid size\r\n"

            # Errors, with QEMU's messages; nothing changes.
            expect_error(q, {"device": "nope", "size": MiB},
                         "Cannot find device='nope' nor node-name=''")
            expect_error(q, {"node-name": "nope", "size": MiB},
                         "Cannot find device='' nor node-name='nope'")
            expect_error(q, {"device": "ro0", "size": 8 * MiB},
                         "Block node is read-only")
            expect_error(q, {"device": "disk0", "size": 48 * MiB + 100},
                         "The new size must be a multiple of 512")
            expect_error(q, {"device": "disk0", "size": -512},
                         "Parameter 'size' expects a >0 size")
            with pytest.raises(QMPError) as e:
                q.cmd("block_resize", {"device": "disk0"})
            assert "size" in e.value.desc
            assert virtual_size(q, "disk0") == 48 * MiB
            assert virtual_size(q, "ro0") == 4 * MiB
        assert sectors_of(g, vq) == 48 * 2048
        assert sectors_of(g, vro) == 4 * 2048
        poweroff(g)
    finally:
        g.kill()
    assert image_info(qcow2)["virtual-size"] == 48 * MiB
    qemu_img_check(qcow2)
    assert raw.stat().st_size == 16 * MiB
    assert ro.stat().st_size == 4 * MiB
