"""osprey-img and qemu-img read and write each other's images.

Needs Debian's qemu-utils (qemu-img, qemu-io); skipped without it.
"""
import json
import os
import random
import shutil
import signal
import struct
import subprocess
import time

import pytest

from conftest import BUILD

QEMU_IMG = shutil.which("qemu-img")
QEMU_IO = shutil.which("qemu-io")
pytestmark = pytest.mark.skipif(not QEMU_IMG or not QEMU_IO,
                                reason="qemu-utils (qemu-img) not installed")


@pytest.fixture(scope="session")
def oimg():
    path = BUILD / "osprey-img"
    if not path.exists():
        pytest.fail(f"{path} missing: run make first")
    return str(path)


def run(*args, check=True, **kw):
    r = subprocess.run([str(a) for a in args], capture_output=True,
                       text=True, timeout=120, **kw)
    if check and r.returncode != 0:
        raise AssertionError(f"{args} failed ({r.returncode}):\n"
                             f"{r.stdout}\n{r.stderr}")
    return r


def make_source(path, size=6 << 20, seed=1):
    """A raw image with patterns, random data and holes."""
    rnd = random.Random(seed)
    data = bytearray(size)
    for off in range(0, size, 64 << 10):
        kind = rnd.randrange(4)
        if kind == 0:
            continue                       # hole
        if kind == 1:
            data[off:off + (64 << 10)] = bytes([rnd.randrange(1, 256)]) * (64 << 10)
        elif kind == 2:
            data[off:off + (64 << 10)] = rnd.randbytes(64 << 10)
        else:
            n = rnd.randrange(1, 64 << 10)
            data[off:off + n] = rnd.randbytes(n)
    path.write_bytes(bytes(data))
    return bytes(data)


def qemu_raw(img, tmp_path, name="q.raw"):
    out = tmp_path / name
    run(QEMU_IMG, "convert", "-O", "raw", img, out)
    return out.read_bytes()


def osprey_raw(oimg, img, tmp_path, name="o.raw"):
    out = tmp_path / name
    run(oimg, "convert", "-O", "raw", img, out)
    return out.read_bytes()


def qemu_check(img):
    r = run(QEMU_IMG, "check", "--output=json", img, check=False)
    assert r.returncode == 0, r.stdout + r.stderr
    return json.loads(r.stdout)


QEMU_MADE = [
    ("plain", []),
    ("compressed-zlib", ["-c"]),
    ("compressed-zstd", ["-c", "-o", "compression_type=zstd"]),
    ("cluster-512", ["-o", "cluster_size=512"]),
    ("cluster-2M", ["-o", "cluster_size=2M"]),
    ("refcount-1", ["-o", "refcount_bits=1"]),
    ("refcount-64", ["-o", "refcount_bits=64,cluster_size=4k"]),
    ("v2", ["-o", "compat=0.10"]),
    ("v2-compressed", ["-c", "-o", "compat=0.10"]),
]


@pytest.mark.parametrize("name,opts", QEMU_MADE, ids=[n for n, _ in QEMU_MADE])
def test_reads_qemu_images(oimg, tmp_path, name, opts):
    src = tmp_path / "src.raw"
    data = make_source(src)
    img = tmp_path / "q.qcow2"
    run(QEMU_IMG, "convert", "-O", "qcow2", *opts, src, img)
    assert osprey_raw(oimg, img, tmp_path) == data
    # Our own check agrees with qemu-img's.
    r = run(oimg, "check", "--output=json", img)
    mine, theirs = json.loads(r.stdout), qemu_check(img)
    for key in ("image-end-offset", "total-clusters", "allocated-clusters",
                "check-errors", "compressed-clusters"):
        assert mine.get(key) == theirs.get(key), key


@pytest.mark.parametrize("name,opts", QEMU_MADE, ids=[n for n, _ in QEMU_MADE])
def test_qemu_reads_our_images(oimg, tmp_path, name, opts):
    src = tmp_path / "src.raw"
    data = make_source(src, seed=2)
    img = tmp_path / "o.qcow2"
    run(oimg, "convert", "-O", "qcow2", *opts, src, img)
    qemu_check(img)
    assert qemu_raw(img, tmp_path) == data
    info = json.loads(run(QEMU_IMG, "info", "--output=json", img).stdout)
    if "-c" in opts:
        r = run(QEMU_IMG, "check", "--output=json", img)
        assert json.loads(r.stdout).get("compressed-clusters", 0) > 0
    if "compression_type=zstd" in " ".join(opts):
        assert info["format-specific"]["data"]["compression-type"] == "zstd"


def test_writes_checked_by_qemu(oimg, tmp_path):
    img = tmp_path / "w.qcow2"
    run(oimg, "create", "-q", "-f", "qcow2", "-o", "cluster_size=4k", img,
        "64M")
    rnd = random.Random(3)
    cmds, model = [], {}
    for i in range(40):
        off, ln = rnd.randrange(0, 60 << 20), rnd.randrange(1, 300 << 10)
        pat = i + 1
        cmds.append(f"write -P {pat} {off} {ln}")
        model[(off, ln)] = pat
    cmds += ["zero 1M 3M", "discard 8M 2M", "flush"]
    run(oimg, "io", img, *cmds)
    qemu_check(img)
    # Read back with qemu-io: the last writer of each byte wins.
    raw = bytearray(64 << 20)
    for (off, ln), pat in model.items():
        raw[off:off + ln] = bytes([pat]) * ln
    raw[1 << 20:4 << 20] = bytes(3 << 20)
    raw[8 << 20:10 << 20] = bytes(2 << 20)
    assert qemu_raw(img, tmp_path) == bytes(raw)


def test_info_json_matches_qemu(oimg, tmp_path):
    base = tmp_path / "base.qcow2"
    top = tmp_path / "top.qcow2"
    run(QEMU_IMG, "create", "-q", "-f", "qcow2", base, "32M")
    run(QEMU_IO, "-c", "write -P 7 0 1M", base)
    run(QEMU_IMG, "snapshot", "-c", "snap", base)
    run(QEMU_IMG, "create", "-q", "-f", "qcow2", "-b", "base.qcow2", "-F",
        "qcow2", top)
    for args in (["info", "--output=json", base],
                 ["info", "--output=json", "--backing-chain", top]):
        ours = json.loads(run(oimg, *args).stdout)
        theirs = json.loads(run(QEMU_IMG, *args).stdout)
        assert ours == theirs
    raw = tmp_path / "r.img"
    run(QEMU_IMG, "create", "-q", "-f", "raw", raw, "10M")
    assert (json.loads(run(oimg, "info", "--output=json", raw).stdout) ==
            json.loads(run(QEMU_IMG, "info", "--output=json", raw).stdout))
    assert run(oimg, "info", base).stdout == run(QEMU_IMG, "info", base).stdout


def test_map_matches_qemu(oimg, tmp_path):
    base = tmp_path / "base.qcow2"
    top = tmp_path / "top.qcow2"
    run(QEMU_IMG, "create", "-q", "-f", "qcow2", base, "8M")
    run(QEMU_IO, "-c", "write -P 1 0 2M", "-c", "write -z 3M 1M", base)
    run(QEMU_IMG, "create", "-q", "-f", "qcow2", "-b", "base.qcow2", "-F",
        "qcow2", top)
    run(QEMU_IO, "-c", "write -P 2 1M 64k", "-c", "write -z 5M 64k", top)
    for img in (base, top):
        for fmt in ("json", "human"):
            ours = run(oimg, "map", f"--output={fmt}", img).stdout
            theirs = run(QEMU_IMG, "map", f"--output={fmt}", img).stdout
            assert ours == theirs


def test_backing_chain_reads(oimg, tmp_path):
    base = tmp_path / "base.raw"
    mid = tmp_path / "mid.qcow2"
    top = tmp_path / "top.qcow2"
    make_source(base, size=4 << 20, seed=4)
    run(QEMU_IMG, "create", "-q", "-f", "qcow2", "-b", "base.raw", "-F", "raw",
        mid, "6M")
    run(QEMU_IO, "-c", "write -P 9 1M 100k", mid)
    run(oimg, "create", "-q", "-f", "qcow2", "-b", "mid.qcow2", top)
    run(oimg, "io", top, "write -P 10 1100k 10k", "discard 2M 64k")
    qemu_check(top)
    assert osprey_raw(oimg, top, tmp_path) == qemu_raw(top, tmp_path)
    info = json.loads(run(QEMU_IMG, "info", "--output=json", top).stdout)
    assert info["backing-filename"] == "mid.qcow2"
    assert info["backing-filename-format"] == "qcow2"
    assert info["virtual-size"] == 6 << 20


def test_snapshots_both_ways(oimg, tmp_path):
    img = tmp_path / "s.qcow2"
    run(QEMU_IMG, "create", "-q", "-f", "qcow2", img, "16M")
    run(QEMU_IO, "-c", "write -P 1 0 4M", img)
    run(QEMU_IMG, "snapshot", "-c", "from-qemu", img)
    run(oimg, "io", img, "write -P 2 1M 1M")
    run(oimg, "snapshot", "-c", "from-osprey", img)
    run(oimg, "io", img, "write -P 3 0 8M")
    qemu_check(img)

    listing = run(QEMU_IMG, "snapshot", "-l", img).stdout
    assert "from-qemu" in listing and "from-osprey" in listing
    assert run(oimg, "snapshot", "-l", img).stdout.splitlines()[:2] == \
        listing.splitlines()[:2]

    run(oimg, "snapshot", "-a", "from-qemu", img)
    qemu_check(img)
    run(QEMU_IO, "-c", "read -P 1 0 4M", "-c", "read -P 0 4M 4M", img)
    run(QEMU_IMG, "snapshot", "-a", "from-osprey", img)
    run(oimg, "io", "-r", img, "read -P 1 0 1M", "read -P 2 1M 1M",
        "read -P 1 2M 2M")
    run(QEMU_IMG, "snapshot", "-d", "from-qemu", img)
    run(oimg, "snapshot", "-d", "from-osprey", img)
    qemu_check(img)
    assert "from-" not in run(QEMU_IMG, "snapshot", "-l", img).stdout
    r = run(oimg, "snapshot", "-a", "missing", img, check=False)
    assert r.returncode == 1
    assert "missing" in r.stderr


def test_resize(oimg, tmp_path):
    img = tmp_path / "r.qcow2"
    run(oimg, "create", "-q", "-f", "qcow2", img, "1M")
    run(oimg, "io", img, "write -P 5 0 1M")
    assert run(oimg, "resize", img, "+1G").stdout == "Image resized.\n"
    info = json.loads(run(QEMU_IMG, "info", "--output=json", img).stdout)
    assert info["virtual-size"] == (1 << 30) + (1 << 20)
    qemu_check(img)
    r = run(oimg, "resize", img, "512k", check=False)
    assert r.returncode == 1 and "--shrink" in r.stderr
    run(oimg, "resize", "--shrink", img, "512k")
    qemu_check(img)
    run(QEMU_IO, "-c", "read -P 5 0 512k", img)
    raw = tmp_path / "r.raw"
    run(oimg, "create", "-q", "-f", "raw", raw, "1M")
    run(oimg, "resize", "--shrink", "-f", "raw", raw, "-512k")
    assert raw.stat().st_size == 512 << 10


def refcount_entry_offset(img, cluster_index):
    """File offset of the 16-bit refcount of a cluster (refcount_bits=16)."""
    with open(img, "rb") as f:
        hdr = f.read(104)
        cluster_bits = struct.unpack(">I", hdr[20:24])[0]
        rt_off = struct.unpack(">Q", hdr[48:56])[0]
        per_block = (1 << cluster_bits) // 2
        f.seek(rt_off + 8 * (cluster_index // per_block))
        block = struct.unpack(">Q", f.read(8))[0]
        return block + 2 * (cluster_index % per_block)


def test_check_leaks_and_corruption(oimg, tmp_path):
    img = tmp_path / "c.qcow2"
    run(oimg, "create", "-q", "-f", "qcow2", img, "16M")
    run(oimg, "io", img, "write -P 1 0 256k")
    size = img.stat().st_size
    # A leak: one more cluster at the end with refcount 1 but no user.
    with open(img, "r+b") as f:
        f.truncate(size + 65536)
        f.seek(refcount_entry_offset(img, size // 65536))
        f.write(struct.pack(">H", 1))
    r = run(oimg, "check", img, check=False)
    assert r.returncode == 3
    assert "1 leaked clusters were found on the image." in r.stdout
    assert run(QEMU_IMG, "check", img, check=False).returncode == 3
    r = run(oimg, "check", "--output=json", img, check=False)
    assert json.loads(r.stdout)["leaks"] == 1
    r = run(oimg, "check", "-r", "leaks", img)
    assert "1 leaked clusters" in r.stdout
    assert "No errors were found on the image." in r.stdout
    qemu_check(img)

    # Corruption: a data cluster whose refcount says it is free.
    l2 = run(QEMU_IMG, "map", "--output=json", img).stdout
    data_off = json.loads(l2)[0]["offset"]
    with open(img, "r+b") as f:
        f.seek(refcount_entry_offset(img, data_off // 65536))
        f.write(struct.pack(">H", 0))
    r = run(oimg, "check", img, check=False)
    assert r.returncode == 2
    assert "errors were found on the image" in r.stdout
    assert run(QEMU_IMG, "check", img, check=False).returncode == 2
    run(oimg, "check", "-r", "all", img)
    qemu_check(img)
    run(QEMU_IO, "-c", "read -P 1 0 256k", img)


def test_check_raw_and_errors(oimg, tmp_path):
    raw = tmp_path / "r.img"
    run(oimg, "create", "-q", raw, "1M")
    r = run(oimg, "check", raw, check=False)
    assert r.returncode == 63
    assert "does not support checks" in r.stderr
    r = run(oimg, "info", tmp_path / "nope.qcow2", check=False)
    assert r.returncode == 1
    assert r.stderr == (f"osprey-img: Could not open '{tmp_path}/nope.qcow2': "
                        "No such file or directory\n")


def test_image_locking_with_qemu(oimg, tmp_path):
    img = tmp_path / "l.qcow2"
    run(oimg, "create", "-q", "-f", "qcow2", img, "64M")
    # osprey holds the image open for writing...
    p = subprocess.Popen([oimg, "io", str(img), "stress 7 0"],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        assert p.stdout.readline()
        r = run(QEMU_IMG, "info", img, check=False)
        assert r.returncode == 1
        assert 'Failed to get shared "write" lock' in r.stderr
        assert run(QEMU_IMG, "info", "-U", img).returncode == 0
    finally:
        p.kill()
        p.wait()
    # ...and QEMU holding it keeps osprey out.
    q = subprocess.Popen([QEMU_IO, str(img)], stdin=subprocess.PIPE,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        # Wait until qemu-io holds its OFD locks on the image.
        ino = f":{os.stat(img).st_ino} "
        deadline = time.time() + 60
        while time.time() < deadline and q.poll() is None:
            with open("/proc/locks") as f:
                if any("OFDLCK" in l and ino in l for l in f):
                    break
            time.sleep(0.05)
        r = run(oimg, "io", img, "write -P 1 0 1", check=False)
        assert r.returncode == 1
        assert 'Failed to get "write" lock' in r.stderr
        assert f"Is another process using the image [{img}]?" in r.stderr
    finally:
        q.stdin.close()
        q.wait()


@pytest.mark.parametrize("opts", ["cluster_size=4k",
                                  "cluster_size=512,refcount_bits=64"])
def test_crash_safety(oimg, tmp_path, opts):
    """SIGKILL a flushing writer 20 times: no corruption, no lost flush.

    512-byte clusters with 64-bit refcounts make the writer grow the
    refcount table and allocate refcount blocks while it is being killed.
    """
    img = tmp_path / "crash.qcow2"
    size = 16 << 20
    run(oimg, "create", "-q", "-f", "qcow2", "-o", opts, img, str(size))
    model = bytearray(size)
    rnd = random.Random(5)
    for rounds in range(20):
        p = subprocess.Popen([oimg, "io", str(img),
                              f"stress {rnd.randrange(1, 1 << 30)} 0"],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             text=True)
        time.sleep(rnd.uniform(0.05, 0.4))
        p.send_signal(signal.SIGKILL)
        out, _ = p.communicate()
        assert p.returncode == -signal.SIGKILL
        lines = out.splitlines()
        last_flush = max((i for i, l in enumerate(lines) if l.startswith("F")),
                         default=-1)
        unsure = []
        for i, line in enumerate(lines):
            parts = line.split()
            if parts[0] == "F" or len(parts) < 3:
                continue
            off, ln = int(parts[1]), int(parts[2])
            if i > last_flush:
                unsure.append((off, ln))
                continue
            fill = 0 if parts[0] == "Z" else int(parts[3])
            model[off:off + ln] = bytes([fill]) * ln

        r = run(QEMU_IMG, "check", "--output=json", img, check=False)
        assert r.returncode in (0, 3), f"round {rounds}: {r.stdout}{r.stderr}"
        res = json.loads(r.stdout)
        assert res.get("corruptions", 0) == 0
        data = bytearray(qemu_raw(img, tmp_path))
        for off, ln in unsure:
            # The write in flight may or may not have landed.
            model[off:off + ln] = data[off:off + ln]
        assert data == model, f"round {rounds}: flushed data lost"
        if r.returncode == 3:
            run(oimg, "check", "-q", "-r", "leaks", img)


def test_malformed_images_fail_cleanly(oimg, tmp_path):
    good = tmp_path / "good.qcow2"
    run(oimg, "create", "-q", "-f", "qcow2", good, "16M")
    base = good.read_bytes()

    def variant(name, patch):
        data = bytearray(base)
        patch(data)
        path = tmp_path / name
        path.write_bytes(bytes(data))
        return path

    cases = {
        "l1-too-large": (lambda d: d.__setitem__(slice(36, 40),
                         struct.pack(">I", 0x08000000)), "L1 table too large"),
        "l1-past-eof": (lambda d: d.__setitem__(slice(40, 48),
                        struct.pack(">Q", 1 << 40)), "beyond end of file"),
        "cluster-bits": (lambda d: d.__setitem__(slice(20, 24),
                         struct.pack(">I", 33)), "Unsupported cluster size"),
        "snapshots": (lambda d: (d.__setitem__(slice(60, 64),
                      struct.pack(">I", 5)), d.__setitem__(slice(64, 72),
                      struct.pack(">Q", 0x20000))), "Snapshot"),
        "incompat": (lambda d: d.__setitem__(slice(72, 80),
                     struct.pack(">Q", 1 << 60)), "Unsupported qcow2 feature"),
        "truncated": (lambda d: d.__delitem__(slice(80, None)),
                      "header incomplete"),
    }
    for name, (patch, msg) in cases.items():
        path = variant(name, patch)
        r = run(oimg, "info", path, check=False)
        assert r.returncode == 1, name
        assert msg in r.stderr, (name, r.stderr)
        assert r.stderr.startswith(f"osprey-img: Could not open '{path}': ")


@pytest.mark.parametrize("bit,msg", [(0, "Image is dirty"),
                                     (1, "Image is corrupt; cannot be opened "
                                         "read/write")])
def test_dirty_and_corrupt_bits(oimg, tmp_path, bit, msg):
    img = tmp_path / "d.qcow2"
    run(oimg, "create", "-q", "-f", "qcow2", img, "1M")
    run(oimg, "io", img, "write -P 4 0 64k")
    with open(img, "r+b") as f:
        f.seek(72)
        f.write(struct.pack(">Q", 1 << bit))
    r = run(oimg, "io", img, "write -P 1 0 1", check=False)
    assert r.returncode == 1 and msg in r.stderr
    # Read-only use is still fine, and info reports the flag as qemu-img.
    run(oimg, "io", "-r", img, "read -P 4 0 64k")
    ours = json.loads(run(oimg, "info", "--output=json", img).stdout)
    theirs = json.loads(run(QEMU_IMG, "info", "--output=json", img).stdout)
    assert ours == theirs
    run(oimg, "check", "-r", "all", img)
    run(oimg, "io", img, "write -P 1 0 1")
    qemu_check(img)
