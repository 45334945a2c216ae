#!/bin/bash
# Build the x86 guest test programs (tests/guest/*.S) into Multiboot ELF32
# kernels: $BUILD/guest-tests/<name>.elf (BUILD defaults to build).
# Needs only Debian's gcc and binutils (no 32-bit libraries: nothing is
# linked but our own objects).  Rebuilds only what changed.
#
# The sources mix .code16/.code32/.code64, so they are assembled into
# x86-64 objects (an ELF32 object cannot hold the sign-extended 32-bit
# relocations 64-bit code uses), linked at 1 MiB, and the executable is
# converted to ELF32 with objcopy: Multiboot loaders (QEMU's, Osprey's)
# take ELF32 images.
#   tests/guest/build.sh            build all
#   tests/guest/build.sh -v         show commands
set -eu
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
OUT=$BUILD/guest-tests
SRC=tests/guest
VERBOSE=0
[ "${1:-}" = -v ] && VERBOSE=1
CC=${GUEST_CC:-gcc}
LD=${GUEST_LD:-ld}
OBJCOPY=${GUEST_OBJCOPY:-objcopy}
ASFLAGS="-m64 -ffreestanding -nostdlib -fno-pic -Wa,--fatal-warnings -I$SRC"
LDFLAGS="-m elf_x86_64 -T $SRC/lib/link.ld -nostdlib -z max-page-size=4096 --build-id=none -z noexecstack --no-warn-rwx-segments"

mkdir -p "$OUT/obj"

run() {
    [ "$VERBOSE" = 1 ] && echo "$*"
    "$@"
}

# newer TARGET DEPS...: true when TARGET is missing or older than a dep.
newer() {
    local t=$1 d
    shift
    [ -e "$t" ] || return 0
    for d in "$@"; do
        [ "$d" -nt "$t" ] && return 0
    done
    return 1
}

common_deps=("$SRC/lib/runtime.h" "$SRC/lib/link.ld" "$SRC/build.sh")
rt_obj=$OUT/obj/runtime.o
if newer "$rt_obj" "$SRC/lib/runtime.S" "${common_deps[@]}"; then
    echo "  AS      $SRC/lib/runtime.S"
    run $CC $ASFLAGS -c -o "$rt_obj.tmp" "$SRC/lib/runtime.S"
    mv "$rt_obj.tmp" "$rt_obj"
fi

for src in "$SRC"/*.S; do
    name=$(basename "$src" .S)
    obj=$OUT/obj/$name.o
    elf=$OUT/$name.elf
    if newer "$obj" "$src" "${common_deps[@]}"; then
        echo "  AS      $src"
        run $CC $ASFLAGS -c -o "$obj.tmp" "$src"
        mv "$obj.tmp" "$obj"
    fi
    if newer "$elf" "$obj" "$rt_obj"; then
        echo "  LD      $elf"
        run $LD $LDFLAGS -o "$elf.64" "$rt_obj" "$obj"
        run $OBJCOPY -O elf32-i386 "$elf.64" "$elf.tmp"
        rm -f "$elf.64"
        mv "$elf.tmp" "$elf"
    fi
done
