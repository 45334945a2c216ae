/*
 * ACPI Machine Language (AML) byte-code builder and ACPI table helpers.
 *
 * Encodings follow the ACPI 6.x specification, chapter 20 (AML grammar) and
 * 6.4 (resource descriptors); the API follows QEMU's aml-build.
 */
#include "hw/acpi/aml-build.h"

/* ---- ByteArray ---------------------------------------------------------- */

ByteArray *byte_array_new(void)
{
    return xnew(ByteArray);
}

void byte_array_free(ByteArray *array)
{
    if (!array) {
        return;
    }
    free(array->data);
    free(array);
}

static void byte_array_reserve(ByteArray *array, size_t len)
{
    size_t cap;

    if (len <= array->cap) {
        return;
    }
    cap = array->cap ? array->cap : 64;
    while (cap < len) {
        cap *= 2;
    }
    array->data = xrealloc(array->data, cap);
    array->cap = cap;
}

void byte_array_append(ByteArray *array, const void *data, size_t len)
{
    if (!len) {
        return;
    }
    byte_array_reserve(array, array->len + len);
    memcpy(array->data + array->len, data, len);
    array->len += len;
}

void byte_array_set_size(ByteArray *array, size_t len)
{
    byte_array_reserve(array, len);
    if (len > array->len) {
        memset(array->data + array->len, 0, len - array->len);
    }
    array->len = len;
}

void byte_array_insert(ByteArray *array, size_t pos, const void *data,
                       size_t len)
{
    assert(pos <= array->len);
    byte_array_reserve(array, array->len + len);
    memmove(array->data + pos + len, array->data + pos, array->len - pos);
    memcpy(array->data + pos, data, len);
    array->len += len;
}

/* ---- Low-level appenders ------------------------------------------------ */

void build_append_byte(ByteArray *array, uint8_t val)
{
    byte_array_append(array, &val, 1);
}

void build_append_int_noprefix(ByteArray *array, uint64_t value, int size)
{
    assert(size >= 1 && size <= 8);
    for (int i = 0; i < size; i++) {
        build_append_byte(array, value & 0xff);
        value >>= 8;
    }
}

void build_append_padded_str(ByteArray *array, const char *str, size_t len,
                             char pad)
{
    size_t n = str ? strnlen(str, len) : 0;

    byte_array_append(array, str, n);
    for (; n < len; n++) {
        build_append_byte(array, pad);
    }
}

int aml_pkg_length_encode(uint8_t out[4], size_t length, bool incl_self)
{
    /* Largest value each encoding size can hold. */
    static const size_t max_len[4] = { 0x3f, 0xfff, 0xfffff, 0xfffffff };
    int n;

    for (n = 1; n <= 4; n++) {
        if (length + (incl_self ? n : 0) <= max_len[n - 1]) {
            break;
        }
    }
    assert(n <= 4);
    if (incl_self) {
        length += n;
    }
    if (n == 1) {
        out[0] = length;
        return 1;
    }
    /* Lead byte: bits 7:6 = bytes that follow, bits 3:0 = low nibble. */
    out[0] = ((n - 1) << 6) | (length & 0xf);
    length >>= 4;
    for (int i = 1; i < n; i++) {
        out[i] = length & 0xff;
        length >>= 8;
    }
    return n;
}

void build_prepend_package_length(ByteArray *package, size_t length,
                                  bool incl_self)
{
    uint8_t enc[4];
    int n = aml_pkg_length_encode(enc, length, incl_self);

    byte_array_insert(package, 0, enc, n);
}

static void build_append_pkg_length(ByteArray *array, size_t length,
                                    bool incl_self)
{
    uint8_t enc[4];
    int n = aml_pkg_length_encode(enc, length, incl_self);

    byte_array_append(array, enc, n);
}

static bool nameseg_valid(const char *seg, size_t len)
{
    if (len < 1 || len > 4) {
        return false;
    }
    for (size_t i = 0; i < len; i++) {
        char c = seg[i];
        bool ok = (c >= 'A' && c <= 'Z') || c == '_' ||
                  (i > 0 && c >= '0' && c <= '9');
        if (!ok) {
            return false;
        }
    }
    return true;
}

bool build_append_namestring(ByteArray *array, const char *path)
{
    const char *p = path;
    ByteArray out = { 0 };
    const char *segs[255];
    size_t seg_len[255];
    int nsegs = 0;

    if (*p == '\\') {
        build_append_byte(&out, '\\');
        p++;
    } else {
        while (*p == '^') {
            build_append_byte(&out, '^');
            p++;
        }
    }
    while (*p) {
        const char *dot = strchr(p, '.');
        size_t len = dot ? (size_t)(dot - p) : strlen(p);

        if (nsegs == 255 || !nameseg_valid(p, len)) {
            goto fail;
        }
        segs[nsegs] = p;
        seg_len[nsegs++] = len;
        p += len;
        if (*p == '.') {
            p++;
            if (!*p) {
                goto fail; /* trailing dot */
            }
        }
    }

    switch (nsegs) {
    case 0:
        build_append_byte(&out, 0x00); /* NullName */
        break;
    case 1:
        break;
    case 2:
        build_append_byte(&out, 0x2e); /* DualNamePrefix */
        break;
    default:
        build_append_byte(&out, 0x2f); /* MultiNamePrefix */
        build_append_byte(&out, nsegs);
        break;
    }
    for (int i = 0; i < nsegs; i++) {
        /* A segment ends at '.', not NUL: copy it, then pad with '_'. */
        byte_array_append(&out, segs[i], seg_len[i]);
        for (size_t j = seg_len[i]; j < 4; j++) {
            build_append_byte(&out, '_');
        }
    }
    byte_array_append(array, out.data, out.len);
    free(out.data);
    return true;

fail:
    free(out.data);
    return false;
}

/* Append an AML integer with the shortest prefix, as QEMU does. */
static void build_append_int(ByteArray *array, uint64_t value)
{
    if (value == 0) {
        build_append_byte(array, 0x00); /* ZeroOp */
    } else if (value == 1) {
        build_append_byte(array, 0x01); /* OneOp */
    } else if (value <= 0xff) {
        build_append_byte(array, 0x0a); /* BytePrefix */
        build_append_int_noprefix(array, value, 1);
    } else if (value <= 0xffff) {
        build_append_byte(array, 0x0b); /* WordPrefix */
        build_append_int_noprefix(array, value, 2);
    } else if (value <= 0xffffffff) {
        build_append_byte(array, 0x0c); /* DWordPrefix */
        build_append_int_noprefix(array, value, 4);
    } else {
        build_append_byte(array, 0x0e); /* QWordPrefix */
        build_append_int_noprefix(array, value, 8);
    }
}

/* ---- Aml objects -------------------------------------------------------- */

static Aml *aml_alloc(void)
{
    Aml *var = xnew(Aml);

    var->buf = byte_array_new();
    var->block_flags = AML_NO_OPCODE;
    return var;
}

static Aml *aml_opcode(uint8_t op)
{
    Aml *var = aml_alloc();

    var->op = op;
    var->block_flags = AML_OPCODE;
    return var;
}

static Aml *aml_bundle(uint8_t op, AmlBlockFlags flags)
{
    Aml *var = aml_alloc();

    var->op = op;
    var->block_flags = flags;
    return var;
}

Aml *aml_new(void)
{
    return aml_alloc();
}

void aml_free(Aml *aml)
{
    if (!aml) {
        return;
    }
    byte_array_free(aml->buf);
    free(aml);
}

static void aml_append_namestring(Aml *aml, const char *path)
{
    bool ok = build_append_namestring(aml->buf, path);

    /* Names come from our own table code: a bad one is a programming bug. */
    assert(ok);
    (void)ok;
}

/* Turn child's body into its final encoding, in place. */
static void aml_close(Aml *child, ByteArray *out)
{
    ByteArray *buf = child->buf;
    uint8_t cksum;

    switch (child->block_flags) {
    case AML_OPCODE:
        build_append_byte(out, child->op);
        break;
    case AML_EXT_PACKAGE:
        build_prepend_package_length(buf, buf->len, true);
        byte_array_insert(buf, 0, &child->op, 1);
        byte_array_insert(buf, 0, &(uint8_t){ 0x5b }, 1);
        break;
    case AML_PACKAGE:
        build_prepend_package_length(buf, buf->len, true);
        byte_array_insert(buf, 0, &child->op, 1);
        break;
    case AML_RES_TEMPLATE:
        /*
         * EndTag with a checksum that makes the whole template sum to
         * zero (a zero checksum would also be accepted by the spec).
         */
        build_append_byte(buf, 0x79);
        cksum = acpi_checksum(buf->data, buf->len);
        build_append_byte(buf, (uint8_t)-cksum);
        /* a resource template is a buffer */
        /* fall through */
    case AML_BUFFER: {
        ByteArray size = { 0 };

        build_append_int(&size, buf->len);
        byte_array_insert(buf, 0, size.data, size.len);
        free(size.data);
        build_prepend_package_length(buf, buf->len, true);
        byte_array_insert(buf, 0, &child->op, 1);
        break;
    }
    case AML_NO_OPCODE:
        break;
    }
    byte_array_append(out, buf->data, buf->len);
}

void aml_append(Aml *parent, Aml *child)
{
    aml_close(child, parent->buf);
    aml_free(child);
}

void aml_append_to_array(ByteArray *array, Aml *aml)
{
    aml_close(aml, array);
    aml_free(aml);
}

/* Append an argument term to var and release it. */
static void aml_take(Aml *var, Aml *arg)
{
    aml_append(var, arg);
}

static void aml_take_target(Aml *var, Aml *dst)
{
    if (dst) {
        aml_append(var, dst);
    } else {
        build_append_byte(var->buf, 0x00); /* NullName: no target */
    }
}

/* ---- Data objects ------------------------------------------------------- */

Aml *aml_int(uint64_t val)
{
    Aml *var = aml_alloc();

    build_append_int(var->buf, val);
    return var;
}

Aml *aml_string(const char *fmt, ...)
{
    Aml *var = aml_opcode(0x0d); /* StringPrefix */
    va_list ap;
    char *s;

    va_start(ap, fmt);
    s = xvasprintf(fmt, ap);
    va_end(ap);
    byte_array_append(var->buf, s, strlen(s) + 1);
    free(s);
    return var;
}

Aml *aml_name(const char *fmt, ...)
{
    Aml *var = aml_alloc();
    va_list ap;
    char *s;

    va_start(ap, fmt);
    s = xvasprintf(fmt, ap);
    va_end(ap);
    aml_append_namestring(var, s);
    free(s);
    return var;
}

static int hex_digit(char c)
{
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    if (c >= 'A' && c <= 'F') {
        return c - 'A' + 10;
    }
    return -1;
}

Aml *aml_eisaid(const char *str)
{
    Aml *var = aml_alloc();
    uint32_t id;

    assert(strlen(str) == 7);
    for (int i = 0; i < 3; i++) {
        assert(str[i] >= 'A' && str[i] <= 'Z');
    }
    for (int i = 3; i < 7; i++) {
        assert(hex_digit(str[i]) >= 0);
    }
    /* Three 5-bit letters and four hex digits, stored big-endian. */
    id = (uint32_t)(str[0] - 0x40) << 26 | (uint32_t)(str[1] - 0x40) << 21 |
         (uint32_t)(str[2] - 0x40) << 16 | hex_digit(str[3]) << 12 |
         hex_digit(str[4]) << 8 | hex_digit(str[5]) << 4 | hex_digit(str[6]);
    build_append_byte(var->buf, 0x0c); /* DWordPrefix */
    build_append_int_noprefix(var->buf, __builtin_bswap32(id), 4);
    return var;
}

Aml *aml_buffer(size_t len, const uint8_t *data)
{
    Aml *var = aml_bundle(0x11, AML_BUFFER); /* BufferOp */

    if (data) {
        byte_array_append(var->buf, data, len);
    } else {
        byte_array_set_size(var->buf, len);
    }
    return var;
}

Aml *aml_package(uint8_t num_elements)
{
    Aml *var = aml_bundle(0x12, AML_PACKAGE); /* PackageOp */

    build_append_byte(var->buf, num_elements);
    return var;
}

Aml *aml_local(int num)
{
    assert(num >= 0 && num <= 7);
    return aml_opcode(0x60 + num); /* Local0Op.. */
}

Aml *aml_arg(int num)
{
    assert(num >= 0 && num <= 6);
    return aml_opcode(0x68 + num); /* Arg0Op.. */
}

/* ---- Named objects and blocks ------------------------------------------- */

Aml *aml_name_decl(const char *name, Aml *val)
{
    Aml *var = aml_opcode(0x08); /* NameOp */

    aml_append_namestring(var, name);
    aml_take(var, val);
    return var;
}

Aml *aml_scope(const char *fmt, ...)
{
    Aml *var = aml_bundle(0x10, AML_PACKAGE); /* ScopeOp */
    va_list ap;
    char *s;

    va_start(ap, fmt);
    s = xvasprintf(fmt, ap);
    va_end(ap);
    aml_append_namestring(var, s);
    free(s);
    return var;
}

Aml *aml_device(const char *fmt, ...)
{
    Aml *var = aml_bundle(0x82, AML_EXT_PACKAGE); /* DeviceOp */
    va_list ap;
    char *s;

    va_start(ap, fmt);
    s = xvasprintf(fmt, ap);
    va_end(ap);
    aml_append_namestring(var, s);
    free(s);
    return var;
}

Aml *aml_method(const char *name, int arg_count, AmlSerializeFlag sflag)
{
    Aml *var = aml_bundle(0x14, AML_PACKAGE); /* MethodOp */

    assert(arg_count >= 0 && arg_count <= 7);
    aml_append_namestring(var, name);
    /* MethodFlags: ArgCount in 2:0, SerializeFlag in 3, SyncLevel 0. */
    build_append_byte(var->buf, arg_count | (sflag << 3));
    return var;
}

Aml *aml_if(Aml *predicate)
{
    Aml *var = aml_bundle(0xa0, AML_PACKAGE); /* IfOp */

    aml_take(var, predicate);
    return var;
}

Aml *aml_else(void)
{
    return aml_bundle(0xa1, AML_PACKAGE); /* ElseOp */
}

Aml *aml_while(Aml *predicate)
{
    Aml *var = aml_bundle(0xa2, AML_PACKAGE); /* WhileOp */

    aml_take(var, predicate);
    return var;
}

Aml *aml_operation_region(const char *name, AmlRegionSpace rs,
                          Aml *offset, uint32_t len)
{
    Aml *var = aml_alloc();

    build_append_byte(var->buf, 0x5b); /* ExtOpPrefix */
    build_append_byte(var->buf, 0x80); /* OpRegionOp */
    aml_append_namestring(var, name);
    build_append_byte(var->buf, rs);
    aml_take(var, offset);
    build_append_int(var->buf, len);
    return var;
}

Aml *aml_field(const char *name, AmlAccessType type, AmlLockRule lock,
               AmlUpdateRule rule)
{
    Aml *var = aml_bundle(0x81, AML_EXT_PACKAGE); /* FieldOp */

    aml_append_namestring(var, name);
    build_append_byte(var->buf, type | (lock << 4) | (rule << 5));
    return var;
}

Aml *aml_named_field(const char *name, unsigned bit_len)
{
    Aml *var = aml_alloc();

    assert(nameseg_valid(name, strlen(name)));
    build_append_padded_str(var->buf, name, 4, '_');
    build_append_pkg_length(var->buf, bit_len, false);
    return var;
}

Aml *aml_reserved_field(unsigned bit_len)
{
    Aml *var = aml_alloc();

    build_append_byte(var->buf, 0x00); /* ReservedField */
    build_append_pkg_length(var->buf, bit_len, false);
    return var;
}

/* ---- Statements and expressions ----------------------------------------- */

Aml *aml_return(Aml *val)
{
    Aml *var = aml_opcode(0xa4); /* ReturnOp */

    aml_take(var, val);
    return var;
}

Aml *aml_store(Aml *val, Aml *target)
{
    Aml *var = aml_opcode(0x70); /* StoreOp */

    aml_take(var, val);
    aml_take(var, target);
    return var;
}

static Aml *aml_logic2(uint8_t op, Aml *arg1, Aml *arg2)
{
    Aml *var = aml_opcode(op);

    aml_take(var, arg1);
    aml_take(var, arg2);
    return var;
}

Aml *aml_equal(Aml *arg1, Aml *arg2)
{
    return aml_logic2(0x93, arg1, arg2); /* LEqualOp */
}

Aml *aml_lless(Aml *arg1, Aml *arg2)
{
    return aml_logic2(0x95, arg1, arg2); /* LLessOp */
}

Aml *aml_lgreater(Aml *arg1, Aml *arg2)
{
    return aml_logic2(0x94, arg1, arg2); /* LGreaterOp */
}

Aml *aml_land(Aml *arg1, Aml *arg2)
{
    return aml_logic2(0x90, arg1, arg2); /* LAndOp */
}

Aml *aml_lor(Aml *arg1, Aml *arg2)
{
    return aml_logic2(0x91, arg1, arg2); /* LOrOp */
}

Aml *aml_lnot(Aml *arg)
{
    Aml *var = aml_opcode(0x92); /* LNotOp */

    aml_take(var, arg);
    return var;
}

static Aml *aml_binop(uint8_t op, Aml *arg1, Aml *arg2, Aml *dst)
{
    Aml *var = aml_opcode(op);

    aml_take(var, arg1);
    aml_take(var, arg2);
    aml_take_target(var, dst);
    return var;
}

Aml *aml_and(Aml *arg1, Aml *arg2, Aml *dst)
{
    return aml_binop(0x7b, arg1, arg2, dst); /* AndOp */
}

Aml *aml_or(Aml *arg1, Aml *arg2, Aml *dst)
{
    return aml_binop(0x7d, arg1, arg2, dst); /* OrOp */
}

Aml *aml_add(Aml *arg1, Aml *arg2, Aml *dst)
{
    return aml_binop(0x72, arg1, arg2, dst); /* AddOp */
}

Aml *aml_shiftleft(Aml *arg1, Aml *count)
{
    return aml_binop(0x79, arg1, count, NULL); /* ShiftLeftOp */
}

Aml *aml_shiftright(Aml *arg1, Aml *count, Aml *dst)
{
    return aml_binop(0x7a, arg1, count, dst); /* ShiftRightOp */
}

Aml *aml_increment(Aml *arg)
{
    Aml *var = aml_opcode(0x75); /* IncrementOp */

    aml_take(var, arg);
    return var;
}

Aml *aml_notify(Aml *arg1, Aml *arg2)
{
    return aml_logic2(0x86, arg1, arg2); /* NotifyOp */
}

Aml *aml_index(Aml *arg1, Aml *idx)
{
    return aml_binop(0x88, arg1, idx, NULL); /* IndexOp */
}

/* ---- Resource templates ------------------------------------------------- */

Aml *aml_resource_template(void)
{
    return aml_bundle(0x11, AML_RES_TEMPLATE); /* BufferOp */
}

Aml *aml_io(AmlIODecode dec, uint16_t min_base, uint16_t max_base,
            uint8_t aln, uint8_t len)
{
    Aml *var = aml_alloc();

    build_append_byte(var->buf, 0x47); /* IO Port Descriptor */
    build_append_byte(var->buf, dec);
    build_append_int_noprefix(var->buf, min_base, 2);
    build_append_int_noprefix(var->buf, max_base, 2);
    build_append_byte(var->buf, aln);
    build_append_byte(var->buf, len);
    return var;
}

Aml *aml_irq_no_flags(uint8_t irq)
{
    Aml *var = aml_alloc();

    assert(irq < 16);
    build_append_byte(var->buf, 0x22); /* IRQ descriptor, 2 bytes */
    build_append_int_noprefix(var->buf, 1u << irq, 2);
    return var;
}

Aml *aml_memory32_fixed(uint32_t addr, uint32_t size,
                        AmlReadAndWrite read_and_write)
{
    Aml *var = aml_alloc();

    build_append_byte(var->buf, 0x86); /* Memory32Fixed */
    build_append_int_noprefix(var->buf, 9, 2); /* length */
    build_append_byte(var->buf, read_and_write);
    build_append_int_noprefix(var->buf, addr, 4);
    build_append_int_noprefix(var->buf, size, 4);
    return var;
}

Aml *aml_interrupt(AmlConsumerAndProducer con_and_pro,
                   AmlLevelAndEdge level_and_edge,
                   AmlActiveHighAndLow high_and_low, AmlShared shared,
                   const uint32_t *irq_list, uint8_t irq_count)
{
    Aml *var = aml_alloc();
    uint8_t flags = con_and_pro | (level_and_edge << 1) |
                    (high_and_low << 2) | (shared << 3);

    assert(irq_count > 0);
    build_append_byte(var->buf, 0x89); /* Extended Interrupt Descriptor */
    build_append_int_noprefix(var->buf, 2 + 4 * irq_count, 2);
    build_append_byte(var->buf, flags);
    build_append_byte(var->buf, irq_count);
    for (int i = 0; i < irq_count; i++) {
        build_append_int_noprefix(var->buf, irq_list[i], 4);
    }
    return var;
}

/* Address space descriptors (ACPI 6.x 6.4.3.5): type 0 mem, 1 io, 2 bus. */
static Aml *aml_as_desc(uint8_t desc, int size, uint8_t type,
                        AmlMinFixed min_fixed, AmlMaxFixed max_fixed,
                        AmlDecode dec, uint8_t type_flags, uint64_t gran,
                        uint64_t min, uint64_t max, uint64_t trans,
                        uint64_t len)
{
    Aml *var = aml_alloc();

    build_append_byte(var->buf, desc);
    /* Length of the rest: type, 2 flag bytes, five size-byte fields. */
    build_append_int_noprefix(var->buf, 3 + 5 * size, 2);
    build_append_byte(var->buf, type);
    /* General flags; bit 0 clear means ResourceProducer. */
    build_append_byte(var->buf, (max_fixed << 3) | (min_fixed << 2) |
                      (dec << 1));
    build_append_byte(var->buf, type_flags);
    build_append_int_noprefix(var->buf, gran, size);
    build_append_int_noprefix(var->buf, min, size);
    build_append_int_noprefix(var->buf, max, size);
    build_append_int_noprefix(var->buf, trans, size);
    build_append_int_noprefix(var->buf, len, size);
    return var;
}

Aml *aml_word_bus_number(AmlMinFixed min_fixed, AmlMaxFixed max_fixed,
                         AmlDecode dec, uint16_t addr_gran,
                         uint16_t addr_min, uint16_t addr_max,
                         uint16_t addr_trans, uint16_t len)
{
    return aml_as_desc(0x88, 2, 2, min_fixed, max_fixed, dec, 0, addr_gran,
                       addr_min, addr_max, addr_trans, len);
}

Aml *aml_word_io(AmlMinFixed min_fixed, AmlMaxFixed max_fixed,
                 AmlDecode dec, AmlISARanges isa_ranges,
                 uint16_t addr_gran, uint16_t addr_min,
                 uint16_t addr_max, uint16_t addr_trans, uint16_t len)
{
    return aml_as_desc(0x88, 2, 1, min_fixed, max_fixed, dec, isa_ranges,
                       addr_gran, addr_min, addr_max, addr_trans, len);
}

Aml *aml_dword_memory(AmlDecode dec, AmlMinFixed min_fixed,
                      AmlMaxFixed max_fixed, AmlCacheable cacheable,
                      AmlReadAndWrite read_and_write,
                      uint32_t addr_gran, uint32_t addr_min,
                      uint32_t addr_max, uint32_t addr_trans, uint32_t len)
{
    return aml_as_desc(0x87, 4, 0, min_fixed, max_fixed, dec,
                       (cacheable << 1) | read_and_write, addr_gran,
                       addr_min, addr_max, addr_trans, len);
}

Aml *aml_qword_memory(AmlDecode dec, AmlMinFixed min_fixed,
                      AmlMaxFixed max_fixed, AmlCacheable cacheable,
                      AmlReadAndWrite read_and_write,
                      uint64_t addr_gran, uint64_t addr_min,
                      uint64_t addr_max, uint64_t addr_trans, uint64_t len)
{
    return aml_as_desc(0x8a, 8, 0, min_fixed, max_fixed, dec,
                       (cacheable << 1) | read_and_write, addr_gran,
                       addr_min, addr_max, addr_trans, len);
}

/* ---- Tables ------------------------------------------------------------- */

void acpi_table_begin(AcpiTable *table, ByteArray *array)
{
    assert(strlen(table->sig) == 4);
    table->array = array;
    table->table_offset = array->len;
    build_append_padded_str(array, table->sig, 4, ' ');
    build_append_int_noprefix(array, 0, 4);          /* Length */
    build_append_byte(array, table->rev);            /* Revision */
    build_append_byte(array, 0);                     /* Checksum */
    build_append_padded_str(array, table->oem_id, 6, ' ');
    build_append_padded_str(array, table->oem_table_id, 8, ' ');
    build_append_int_noprefix(array, 1, 4);          /* OEM Revision */
    build_append_padded_str(array, ACPI_CREATOR_ID, 4, ' ');
    build_append_int_noprefix(array, 1, 4);          /* Creator Revision */
}

void acpi_table_end(AcpiTable *table)
{
    size_t len = table->array->len - table->table_offset;
    uint8_t *p = table->array->data + table->table_offset + 4;

    assert(len <= UINT32_MAX);
    for (int i = 0; i < 4; i++) {
        p[i] = len >> (8 * i);
    }
}

uint8_t acpi_checksum(const uint8_t *data, size_t len)
{
    uint8_t sum = 0;

    for (size_t i = 0; i < len; i++) {
        sum += data[i];
    }
    return sum;
}

void build_append_gas(ByteArray *array, uint8_t space_id, uint8_t bit_width,
                      uint8_t bit_offset, uint8_t access_width,
                      uint64_t address)
{
    build_append_byte(array, space_id);
    build_append_byte(array, bit_width);
    build_append_byte(array, bit_offset);
    build_append_byte(array, access_width);
    build_append_int_noprefix(array, address, 8);
}
