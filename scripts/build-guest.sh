#!/bin/bash
# Build Osprey's default guest from Debian packages:
#   build/guest/vmlinuz              the newest linux-image-cloud-amd64 kernel
#   build/guest/initramfs.cpio.gz    busybox (static) + virtio modules + /init
#                                    + e2fsprogs' mke2fs (mkfs.ext2/3/4) with
#                                    its shared libraries and the loader
#
# Only apt talks to the network: the kernel, busybox and e2fsprogs .debs (and
# the .debs of the libraries mke2fs links) are fetched with
# `apt-get download` into build/guest/debs/ and unpacked with `dpkg -x`;
# nothing is installed system-wide except missing tools (cpio, gzip, ...).
# Steps whose outputs exist and are newer than their inputs are skipped, so a
# second run takes well under a second.
#
# The guest boots to a shell on the serial console after printing the line
# OSPREY-GUEST-READY; `poweroff` powers the machine off.
#
#   scripts/build-guest.sh [-f]      -f: rebuild the initramfs even if current
# Environment: GUEST_DIR (default build/guest), GUEST_KERNEL_PKG (default
# linux-image-cloud-amd64, the metapackage whose dependency names the kernel).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
OUT=$(realpath -m "${GUEST_DIR:-$ROOT/build/guest}")
META_PKG=${GUEST_KERNEL_PKG:-linux-image-cloud-amd64}
DEBS=$OUT/debs
SELF=$ROOT/scripts/build-guest.sh
FORCE=0
[ "${1:-}" = "-f" ] && FORCE=1

# Modules the guest loads at boot when the kernel builds them as modules
# (built-in ones are skipped); their dependencies come from modules.dep.
# ext4 and its helpers (jbd2, mbcache, crc16) are built into the Debian
# cloud kernel; listed so a kernel with them as modules works too.
WANT_MODULES="virtio virtio_ring virtio_pci_modern_dev virtio_pci_legacy_dev
              virtio_pci virtio_blk virtio_net virtio_console
              crc16 mbcache jbd2 ext4"

# Debian packages that give mke2fs and the libraries it links (libe2p is in
# libext2fs2); the loader's --list checks that nothing else is needed.
E2FS_PKGS="e2fsprogs libext2fs2 libcom-err2 libblkid1 libuuid1 libc6"

log() { echo "build-guest: $*"; }
die() { echo "build-guest: error: $*" >&2; exit 1; }

# Install a tool's package if the tool is missing (root only).
need_tool() {
    local tool=$1 pkg=$2
    command -v "$tool" >/dev/null 2>&1 && return 0
    [ "$(id -u)" -eq 0 ] || die "$tool missing: install package $pkg (as root)"
    log "installing $pkg for $tool"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
        --no-install-recommends "$pkg" >/dev/null ||
        die "apt-get install $pkg failed"
}

# "true" when $1 is missing or older than any of the remaining files.
stale() {
    local out=$1 dep
    shift
    [ -e "$out" ] || return 0
    for dep in "$@"; do
        [ "$dep" -nt "$out" ] && return 0
    done
    return 1
}

# The newest .deb of package $1 in $DEBS, downloading it if absent.
# Prints the path.
fetch_deb() {
    local pkg=$1 deb
    deb=$(ls -1 "$DEBS/${pkg}"_*.deb 2>/dev/null | sort -V | tail -n 1 || true)
    if [ -z "$deb" ]; then
        log "downloading $pkg" >&2
        # Sandbox user root: the _apt user may not be able to write $DEBS.
        (cd "$DEBS" && apt-get download -qq -o APT::Sandbox::User=root \
             "$pkg" >&2) ||
            die "apt-get download $pkg failed"
        deb=$(ls -1 "$DEBS/${pkg}"_*.deb 2>/dev/null | sort -V | tail -n 1 || true)
        [ -n "$deb" ] || die "apt-get download $pkg produced no .deb"
    fi
    echo "$deb"
}

# Unpack deb $1 into directory $2 unless $2 is newer than the .deb.
unpack_deb() {
    local deb=$1 dir=$2
    if stale "$dir/.unpacked" "$deb"; then
        log "unpacking $(basename "$deb")"
        rm -rf "$dir"
        mkdir -p "$dir"
        dpkg -x "$deb" "$dir"
        touch "$dir/.unpacked"
    fi
}

# The kernel image package the metapackage depends on, e.g.
# linux-image-6.1.0-28-cloud-amd64.  Falls back to the newest .deb already
# in the cache when apt knows nothing (offline with empty lists).
kernel_package() {
    local pkg cache=$OUT/kernel-package
    # apt-cache takes a second or more: reuse the answer until apt's lists
    # change (apt-get update rewrites them).
    if [ -s "$cache" ] && [ "$(cut -d' ' -f1 "$cache")" = "$META_PKG" ] &&
       ! stale "$cache" /var/lib/apt/lists /var/cache/apt/pkgcache.bin; then
        cut -d' ' -f2 "$cache"
        return 0
    fi
    pkg=$(apt-cache depends "$META_PKG" 2>/dev/null |
          sed -n 's/^ *Depends: \(linux-image-[0-9][^ ]*\)$/\1/p' |
          sort -V | tail -n 1)
    if [ -z "$pkg" ] && [ "$(id -u)" -eq 0 ] &&
       ! ls "$DEBS"/linux-image-*.deb >/dev/null 2>&1; then
        log "apt knows no $META_PKG: running apt-get update" >&2
        apt-get update -qq >&2 || true
        pkg=$(apt-cache depends "$META_PKG" 2>/dev/null |
              sed -n 's/^ *Depends: \(linux-image-[0-9][^ ]*\)$/\1/p' |
              sort -V | tail -n 1)
    fi
    if [ -z "$pkg" ]; then
        pkg=$(ls -1 "$DEBS"/linux-image-[0-9]*.deb 2>/dev/null | sort -V |
              tail -n 1 | xargs -r basename | sed 's/_.*//')
    fi
    [ -n "$pkg" ] || die "cannot find the kernel package behind $META_PKG"
    echo "$META_PKG $pkg" > "$cache"
    echo "$pkg"
}

# Print the load order (dependencies first) of module $2, by the module paths
# listed in modules.dep $1; nothing for built-in or unknown modules.
# Names compare with '-' and '_' as equal, as modprobe does.
module_closure() {
    local dep=$1 name=$2
    awk -v want="$name" '
        function base(p) { sub(/.*\//, "", p); sub(/\.ko(\.(xz|zst|gz))?$/, "", p);
                           gsub(/-/, "_", p); return p }
        function visit(p,   n, i, parts) {
            if (p in done) return
            done[p] = 1
            n = split(deps[p], parts, " ")
            for (i = 1; i <= n; i++) visit(parts[i])
            print p
        }
        {
            mod = $1; sub(/:$/, "", mod)
            $1 = ""; deps[mod] = $0
            byname[base(mod)] = mod
        }
        END { w = want; gsub(/-/, "_", w); if (w in byname) visit(byname[w]) }
    ' "$dep"
}

# A newc cpio archive holding only the /dev/console character node (5,1):
# the kernel opens it for init's stdio before anything mounts devtmpfs, and
# making it with mknod would need root.  Appended after the main archive;
# the kernel unpacks concatenated archives.
console_cpio() {
    local name="dev/console" namesize
    namesize=$(( ${#name} + 1 ))
    # 13 fields: ino mode uid gid nlink mtime filesize devmaj devmin
    #            rdevmaj rdevmin namesize check
    printf '070701%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X' \
        1 $((0020600)) 0 0 1 0 0 0 0 5 1 "$namesize" 0
    printf '%s\0' "$name"
    # Header (110 bytes) + name is padded to a multiple of 4.
    local pad=$(( (4 - (110 + namesize) % 4) % 4 ))
    head -c "$pad" /dev/zero
    name="TRAILER!!!"
    namesize=$(( ${#name} + 1 ))
    printf '070701%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X' \
        0 0 0 0 1 0 0 0 0 0 0 "$namesize" 0
    printf '%s\0' "$name"
    pad=$(( (4 - (110 + namesize) % 4) % 4 ))
    head -c "$pad" /dev/zero
}

write_init_files() {
    local root=$1
    mkdir -p "$root/etc/init.d"
    # busybox init runs rcS once, then keeps a shell on the console.
    # cttyhack finds the real console tty (ttyS0 with console=ttyS0) and makes
    # it the controlling terminal, so job control and Ctrl-C work.
    cat > "$root/etc/inittab" <<'EOF'
::sysinit:/etc/init.d/rcS
::respawn:-/bin/cttyhack /bin/sh -l
::ctrlaltdel:/sbin/reboot
::shutdown:/bin/sync
::shutdown:/bin/umount -a -r
EOF
    cat > "$root/etc/init.d/rcS" <<'EOF'
#!/bin/sh
export PATH=/sbin:/bin:/usr/sbin:/usr/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null || mdev -s
mkdir -p /dev/pts /dev/shm
mount -t devpts devpts /dev/pts 2>/dev/null
mount -t tmpfs tmpfs /tmp 2>/dev/null
hostname osprey-guest
dir=/lib/modules/$(uname -r)
if [ -f /etc/modules-order ]; then
    while read -r m; do
        insmod "$dir/$m" 2>/dev/null ||
            echo "rcS: insmod $m failed" >&2
    done < /etc/modules-order
fi
# A virtio disk with a filesystem is mounted on /mnt (ext2/3/4: the cloud
# kernel builds ext4 in; busybox has no blkid, so just try).  Format a
# blank one with `mkfs.ext4 /dev/vda` (e2fsprogs' mke2fs).
mkdir -p /mnt
if [ -b /dev/vda ] && mount -t ext4 /dev/vda /mnt 2>/dev/null; then
    echo "rcS: /dev/vda mounted on /mnt"
fi
echo "OSPREY-GUEST-READY"
EOF
    chmod 755 "$root/etc/init.d/rcS"
    cat > "$root/etc/profile" <<'EOF'
export PATH=/sbin:/bin:/usr/sbin:/usr/bin
export PS1='osprey-guest# '
EOF
    echo "root:x:0:0:root:/root:/bin/sh" > "$root/etc/passwd"
    echo "root:x:0:" > "$root/etc/group"
}

# Copy e2fsprogs' mke2fs from the unpacked packages under $1 into the
# initramfs $2 as /sbin/mke2fs and mkfs.ext2/3/4 (it picks the file system
# type from its name), with every shared library the package's own loader
# resolves for it, the loader itself, and /etc/mke2fs.conf.
install_mke2fs() {
    local stage=$1 root=$2 mke2fs loader libpath line lib
    mke2fs=$(ls -1 "$stage"/sbin/mke2fs "$stage"/usr/sbin/mke2fs 2>/dev/null |
             head -n 1 || true)
    [ -n "$mke2fs" ] || die "e2fsprogs: no sbin/mke2fs inside"
    # PT_INTERP is /lib64/ld-linux-x86-64.so.2, in the package an absolute
    # link: resolve it inside the package, not on this machine.
    loader=$stage/lib64/ld-linux-x86-64.so.2
    if [ -L "$loader" ]; then
        lib=$(readlink "$loader")
        case "$lib" in
        /*) loader=$stage$lib ;;
        *)  loader=$stage/lib64/$lib ;;
        esac
    fi
    [ -f "$loader" ] || die "libc6: no lib64/ld-linux-x86-64.so.2 inside"
    libpath=$stage/lib/x86_64-linux-gnu:$stage/usr/lib/x86_64-linux-gnu
    # The loader resolves (and lists) without running the program, against
    # the packages' libraries only: a library outside them is an error.
    "$loader" --library-path "$libpath" --list "$mke2fs" > "$OUT/mke2fs.libs" ||
        die "cannot list the libraries of $mke2fs"
    while read -r line; do
        case "$line" in
        *"=> not found"*)
            die "mke2fs needs ${line%% *}: add its package to E2FS_PKGS" ;;
        /lib64/ld-linux-x86-64.so.2*)
            ;;  # the loader itself, installed below
        *" => "*)
            lib=${line#*=> }; lib=${lib%% (*}
            case "$lib" in
            "$stage"/*) ;;
            *) die "mke2fs needs $lib from outside $E2FS_PKGS: add its package" ;;
            esac
            # Same path in the guest; symlinks in the packages resolved.
            mkdir -p "$root/$(dirname "${lib#$stage}")"
            cp -L "$lib" "$root/${lib#$stage}" ;;
        esac
    done < "$OUT/mke2fs.libs"
    mkdir -p "$root/lib/x86_64-linux-gnu" "$root/lib64"
    cp -L "$loader" "$root/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2"
    ln -sf /lib/x86_64-linux-gnu/ld-linux-x86-64.so.2 \
        "$root/lib64/ld-linux-x86-64.so.2"
    rm -f "$root/sbin/mke2fs" "$root/bin/mke2fs" "$root"/sbin/mkfs.ext[234]
    cp "$mke2fs" "$root/sbin/mke2fs"
    local t
    for t in ext2 ext3 ext4; do
        ln -s mke2fs "$root/sbin/mkfs.$t"
    done
    [ -f "$stage/etc/mke2fs.conf" ] && cp "$stage/etc/mke2fs.conf" "$root/etc/"
    # It runs from the initramfs' own files alone (no host library).
    local ver
    # All of its output, then the first line: piping into head could kill
    # mke2fs with SIGPIPE before its second line, failing under pipefail.
    ver=$("$root/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2" \
          --inhibit-cache --library-path \
          "$root/lib/x86_64-linux-gnu:$root/usr/lib/x86_64-linux-gnu" \
          "$root/sbin/mke2fs" -V 2>&1) ||
        die "mke2fs does not run from the initramfs' libraries: $ver"
    ver=${ver%%$'\n'*}
    case "$ver" in
    mke2fs*) log "$ver" ;;
    *) die "mke2fs does not run from the initramfs' libraries: $ver" ;;
    esac
}

main() {
    mkdir -p "$OUT" "$DEBS"
    need_tool cpio cpio
    need_tool gzip gzip
    need_tool dpkg dpkg

    local kpkg kdeb bdeb kroot broot
    kpkg=$(kernel_package)
    kdeb=$(fetch_deb "$kpkg")
    bdeb=$(fetch_deb busybox-static)
    kroot=$OUT/kernel-pkg
    broot=$OUT/busybox-pkg
    unpack_deb "$kdeb" "$kroot"
    unpack_deb "$bdeb" "$broot"
    # The e2fsprogs packages unpack into one tree, as they would install.
    local estage=$OUT/e2fsprogs-pkg edebs="" p
    for p in $E2FS_PKGS; do
        edebs="$edebs $(fetch_deb "$p")"
    done
    if stale "$estage/.unpacked" $edebs; then
        log "unpacking$(for p in $edebs; do printf ' %s' "$(basename "$p")"; done)"
        rm -rf "$estage"
        mkdir -p "$estage"
        for p in $edebs; do
            dpkg -x "$p" "$estage"
        done
        touch "$estage/.unpacked"
    fi

    local vmlinuz kver
    vmlinuz=$(ls -1 "$kroot"/boot/vmlinuz-* 2>/dev/null | sort -V | tail -n 1 || true)
    [ -n "$vmlinuz" ] || die "$(basename "$kdeb"): no /boot/vmlinuz-* inside"
    kver=${vmlinuz##*/vmlinuz-}
    if stale "$OUT/vmlinuz" "$vmlinuz"; then
        cp "$vmlinuz" "$OUT/vmlinuz.tmp"
        mv "$OUT/vmlinuz.tmp" "$OUT/vmlinuz"
        log "kernel $kver -> $OUT/vmlinuz"
    fi
    echo "$kver" > "$OUT/kernel-version.tmp"
    cmp -s "$OUT/kernel-version.tmp" "$OUT/kernel-version" 2>/dev/null &&
        rm "$OUT/kernel-version.tmp" ||
        mv "$OUT/kernel-version.tmp" "$OUT/kernel-version"

    local busybox=$broot/bin/busybox
    [ -x "$busybox" ] || die "$(basename "$bdeb"): no /bin/busybox inside"

    if [ "$FORCE" -eq 0 ] &&
       ! stale "$OUT/initramfs.cpio.gz" "$kroot/.unpacked" "$broot/.unpacked" \
               "$estage/.unpacked" "$SELF"; then
        log "up to date: $OUT/vmlinuz $OUT/initramfs.cpio.gz"
        return 0
    fi

    log "building initramfs"
    local root=$OUT/initramfs
    rm -rf "$root"
    mkdir -p "$root"/{bin,sbin,usr/bin,usr/sbin,proc,sys,dev,tmp,root,etc,lib/modules}
    cp "$busybox" "$root/bin/busybox"
    # One link per applet, at the path busybox itself reports.
    local applet
    for applet in $("$busybox" --list-full); do
        [ -e "$root/$applet" ] || ln -s /bin/busybox "$root/$applet"
    done
    ln -sf /bin/busybox "$root/init"   # busybox init when run as /init
    write_init_files "$root"
    # The real mke2fs replaces busybox's (which makes ext2 only).
    install_mke2fs "$estage" "$root"

    # Modules: copy each wanted module and its dependencies, uncompressed,
    # keeping the kernel's relative paths; record the load order.
    local mdir=$kroot/lib/modules/$kver moddir=$root/lib/modules/$kver
    local order="" m rel plain
    mkdir -p "$moddir"
    # Debian's package leaves modules.dep to depmod at install time; make it
    # with busybox's depmod from the module files themselves.
    if [ -d "$mdir/kernel" ] && stale "$mdir/modules.dep" "$kroot/.unpacked"; then
        "$busybox" depmod -b "$kroot" "$kver" ||
            die "depmod for $kver failed"
    fi
    if [ -f "$mdir/modules.dep" ]; then
        for m in $WANT_MODULES; do
            order="$order $(module_closure "$mdir/modules.dep" "$m")"
        done
        : > "$root/etc/modules-order"
        : > "$moddir/modules.dep"
        for rel in $order; do
            plain=${rel%.xz}; plain=${plain%.zst}; plain=${plain%.gz}
            grep -qxF "$plain" "$root/etc/modules-order" && continue
            mkdir -p "$moddir/$(dirname "$rel")"
            case "$rel" in
            *.ko.xz)  need_tool xz xz-utils; xz -dc "$mdir/$rel" > "$moddir/$plain" ;;
            *.ko.zst) need_tool zstd zstd; zstd -qdc "$mdir/$rel" > "$moddir/$plain" ;;
            *.ko.gz)  gzip -dc "$mdir/$rel" > "$moddir/$plain" ;;
            *)        cp "$mdir/$rel" "$moddir/$plain" ;;
            esac
            echo "$plain" >> "$root/etc/modules-order"
            # modules.dep for busybox modprobe, with uncompressed names.
            grep "^$rel:" "$mdir/modules.dep" |
                sed -e 's/\.ko\.\(xz\|zst\|gz\)/.ko/g' >> "$moddir/modules.dep"
        done
        cp "$mdir"/modules.builtin* "$moddir/" 2>/dev/null || true
        log "modules: $(tr '\n' ' ' < "$root/etc/modules-order" | sed 's|[^ ]*/||g')"
    else
        log "no modules.dep in $(basename "$kdeb"): no modules loaded"
    fi

    (
        cd "$root"
        find . -mindepth 1 | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet
        console_cpio
    ) | gzip -9n > "$OUT/initramfs.cpio.gz.tmp"
    mv "$OUT/initramfs.cpio.gz.tmp" "$OUT/initramfs.cpio.gz"
    log "initramfs -> $OUT/initramfs.cpio.gz ($(du -k "$OUT/initramfs.cpio.gz" | cut -f1) KiB)"
}

main "$@"
