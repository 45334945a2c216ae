/*
 * libFuzzer target: feed arbitrary bytes to the migration stream loader.
 *
 * The streaming loader is used (it parses before it reaches the checksum
 * footer), with a device description exercising every field kind and two
 * RAM blocks, so the fuzzer reaches section, subsection, VARRAY and RAM
 * record parsing.  Build (from the worktree, outside `make`):
 *
 *   make BUILD=build-fuzz CC=clang \
 *        SANITIZE=fuzzer-no-link,address,undefined build-fuzz/libosprey.a
 *   clang -std=gnu11 -D_GNU_SOURCE -Iinclude -fsanitize=fuzzer,address,undefined \
 *        tests/fuzz/fuzz-loadvm.c -Wl,--whole-archive build-fuzz/libosprey.a \
 *        -Wl,--no-whole-archive -lurcu-bp -lz -lm -lrt -pthread \
 *        -o build-fuzz/fuzz-loadvm
 *   build-fuzz/fuzz-loadvm -max_total_time=60 corpus/
 */
#include "migration/qemu-file.h"
#include "migration/savevm.h"
#include "migration/ram.h"
#include "memory/memory.h"

typedef struct FuzzDev {
    bool flag;
    uint16_t u16;
    uint64_t u64;
    uint32_t arr[4];
    uint32_t vlen;
    uint16_t *vbuf;
    uint16_t vstore[8];
    uint32_t alen;
    uint32_t *abuf;
    uint8_t buf[6];
    QEMUTimer *timer;
    uint32_t sub;
} FuzzDev;

static const VMStateDescription vmstate_fuzz_sub = {
    .name = "fuzz/sub",
    .version_id = 1,
    .minimum_version_id = 1,
    .fields = (const VMStateField[]) {
        VMSTATE_UINT32(sub, FuzzDev),
        VMSTATE_END_OF_LIST()
    },
};

static const VMStateDescription vmstate_fuzz = {
    .name = "fuzz",
    .version_id = 2,
    .minimum_version_id = 1,
    .fields = (const VMStateField[]) {
        VMSTATE_BOOL(flag, FuzzDev),
        VMSTATE_UINT16_V(u16, FuzzDev, 2),
        VMSTATE_UINT64(u64, FuzzDev),
        VMSTATE_UINT32_ARRAY(arr, FuzzDev, 4),
        VMSTATE_UINT32(vlen, FuzzDev),
        VMSTATE_VARRAY_UINT32(vbuf, FuzzDev, vlen, 8, 0, vmstate_info_uint16,
                              uint16_t),
        VMSTATE_UINT32(alen, FuzzDev),
        VMSTATE_VARRAY_UINT32_ALLOC(abuf, FuzzDev, alen, 64, 0,
                                    vmstate_info_uint32, uint32_t),
        VMSTATE_BUFFER(buf, FuzzDev),
        VMSTATE_UNUSED(2),
        VMSTATE_TIMER_PTR(timer, FuzzDev),
        VMSTATE_END_OF_LIST()
    },
    .subsections = (const VMStateDescription *const[]) {
        &vmstate_fuzz_sub,
        NULL
    },
};

static FuzzDev dev;
static MemoryRegion ram0, ram1;

static void timer_cb(void *opaque)
{
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static bool initialized;
    if (!initialized) {
        initialized = true;
        dev.vbuf = dev.vstore;
        dev.timer = timer_new_ns(QEMU_CLOCK_VIRTUAL, timer_cb, NULL);
        memory_region_init_ram(&ram0, NULL, "pc.ram", 16 * TARGET_PAGE_SIZE,
                               &error_abort);
        memory_region_init_ram(&ram1, NULL, "vga.vram", 3 * TARGET_PAGE_SIZE,
                               &error_abort);
        ram_mig_init();
        vmstate_register(NULL, 0, &vmstate_fuzz, &dev);
    }
    Error *err = NULL;
    QEMUFile *f = qemu_file_new_buffer_input(data, size);
    qemu_loadvm_state_stream(f, &err);
    error_free(err);
    qemu_fclose(f);
    err = NULL;
    f = qemu_file_new_buffer_input(data, size);
    qemu_loadvm_state(f, &err);
    error_free(err);
    qemu_fclose(f);
    return 0;
}
