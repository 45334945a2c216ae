/*
 * ACPI Machine Language (AML) byte-code builder and ACPI table helpers.
 *
 * Modelled on QEMU's hw/acpi/aml-build.h: an AML term is an Aml object
 * holding the bytes of its body; aml_append() closes the child (adds its
 * opcode and PkgLength, or the EndTag of a resource template) and copies it
 * into the parent.  Unlike QEMU there is no global allocator: ownership is
 * explicit instead.
 *
 *   - every constructor that takes Aml * arguments consumes them (they are
 *     appended and freed), so nested expressions such as
 *     aml_return(aml_int(0)) leak nothing;
 *   - aml_append(parent, child) consumes child;
 *   - a term that is never appended is released with aml_free().
 *
 * A term may therefore be used once; build a second one when the same
 * value is needed twice.
 */
#ifndef HW_ACPI_AML_BUILD_H
#define HW_ACPI_AML_BUILD_H

#include "util/osdep.h"

/* A growable array of bytes: the ACPI tables and AML bodies live in these. */
typedef struct ByteArray {
    uint8_t *data;
    size_t len;
    size_t cap;
} ByteArray;

ByteArray *byte_array_new(void);
void byte_array_free(ByteArray *array);
void byte_array_append(ByteArray *array, const void *data, size_t len);
/* Grow (zero-filled) or shrink to len bytes. */
void byte_array_set_size(ByteArray *array, size_t len);
/* Insert len bytes at offset pos (pos <= array->len). */
void byte_array_insert(ByteArray *array, size_t pos, const void *data,
                       size_t len);

/* Low-level appenders, shared by the AML builder and the table builders. */
void build_append_byte(ByteArray *array, uint8_t val);
/* Little-endian integer of size bytes (1..8), no AML prefix. */
void build_append_int_noprefix(ByteArray *array, uint64_t value, int size);
/* Fixed-size, space-padded string (OEM ID and friends). */
void build_append_padded_str(ByteArray *array, const char *str, size_t len,
                             char pad);
/*
 * AML PkgLength encoding (ACPI 6.x, 20.2.4): 1 byte up to 63, otherwise a
 * lead byte with the count of following bytes in bits 7:6.  When incl_self
 * is true the length counts the PkgLength bytes themselves, as AML wants.
 * Returns the number of bytes the encoding uses (1..4); lengths that do not
 * fit in 28 bits are a programming error.
 */
int aml_pkg_length_encode(uint8_t out[4], size_t length, bool incl_self);
void build_prepend_package_length(ByteArray *package, size_t length,
                                  bool incl_self);
/*
 * NameString: "\\_SB.PCI0", "^FOO", "_S5", ... segments shorter than four
 * characters are padded with '_'.  Returns false (and appends nothing) when
 * the path is malformed.
 */
bool build_append_namestring(ByteArray *array, const char *path);

typedef enum AmlBlockFlags {
    AML_NO_OPCODE = 0,  /* raw bytes */
    AML_OPCODE,         /* opcode + body */
    AML_EXT_PACKAGE,    /* ExtOpPrefix + opcode + PkgLength + body */
    AML_BUFFER,         /* BufferOp + PkgLength + BufferSize + body */
    AML_RES_TEMPLATE,   /* like AML_BUFFER, EndTag added */
    AML_PACKAGE,        /* opcode + PkgLength + body */
} AmlBlockFlags;

typedef struct Aml {
    ByteArray *buf;
    uint8_t op;
    AmlBlockFlags block_flags;
} Aml;

typedef enum AmlRegionSpace {
    AML_SYSTEM_MEMORY = 0x00,
    AML_SYSTEM_IO = 0x01,
    AML_PCI_CONFIG = 0x02,
} AmlRegionSpace;

typedef enum AmlAccessType {
    AML_ANY_ACC = 0,
    AML_BYTE_ACC = 1,
    AML_WORD_ACC = 2,
    AML_DWORD_ACC = 3,
    AML_QWORD_ACC = 4,
    AML_BUFFER_ACC = 5,
} AmlAccessType;

typedef enum AmlLockRule {
    AML_NOLOCK = 0,
    AML_LOCK = 1,
} AmlLockRule;

typedef enum AmlUpdateRule {
    AML_PRESERVE = 0,
    AML_WRITE_AS_ONES = 1,
    AML_WRITE_AS_ZEROS = 2,
} AmlUpdateRule;

typedef enum AmlSerializeFlag {
    AML_NOTSERIALIZED = 0,
    AML_SERIALIZED = 1,
} AmlSerializeFlag;

typedef enum AmlIODecode {
    AML_DECODE10 = 0,
    AML_DECODE16 = 1,
} AmlIODecode;

typedef enum AmlConsumerAndProducer {
    AML_CONSUMER_PRODUCER = 0,
    AML_CONSUMER = 1,
} AmlConsumerAndProducer;

typedef enum AmlLevelAndEdge {
    AML_LEVEL = 0,
    AML_EDGE = 1,
} AmlLevelAndEdge;

typedef enum AmlActiveHighAndLow {
    AML_ACTIVE_HIGH = 0,
    AML_ACTIVE_LOW = 1,
} AmlActiveHighAndLow;

typedef enum AmlShared {
    AML_EXCLUSIVE = 0,
    AML_SHARED = 1,
} AmlShared;

typedef enum AmlReadAndWrite {
    AML_READ_ONLY = 0,
    AML_READ_WRITE = 1,
} AmlReadAndWrite;

typedef enum AmlCacheable {
    AML_NON_CACHEABLE = 0,
    AML_CACHEABLE = 1,
    AML_WRITE_COMBINING = 2,
    AML_PREFETCHABLE = 3,
} AmlCacheable;

typedef enum AmlMinFixed {
    AML_MIN_NOT_FIXED = 0,
    AML_MIN_FIXED = 1,
} AmlMinFixed;

typedef enum AmlMaxFixed {
    AML_MAX_NOT_FIXED = 0,
    AML_MAX_FIXED = 1,
} AmlMaxFixed;

typedef enum AmlDecode {
    AML_POS_DECODE = 0,
    AML_SUB_DECODE = 1,
} AmlDecode;

typedef enum AmlISARanges {
    AML_ISA_ONLY = 1,
    AML_NON_ISA_ONLY = 2,
    AML_ENTIRE_RANGE = 3,
} AmlISARanges;

/* Ownership */
/* An empty term list (no opcode): the body of a DSDT or SSDT. */
Aml *aml_new(void);
void aml_free(Aml *aml);
/* Close child and copy its bytes into parent; consumes child. */
void aml_append(Aml *parent, Aml *child);
/* Close aml (as aml_append would) into a ByteArray; consumes aml. */
void aml_append_to_array(ByteArray *array, Aml *aml);

/* Data objects */
Aml *aml_int(uint64_t val);
Aml *aml_string(const char *fmt, ...) PRINTF_FMT(1, 2);
Aml *aml_name(const char *fmt, ...) PRINTF_FMT(1, 2);
/* "PNP0A03" -> 32-bit compressed EISA id integer */
Aml *aml_eisaid(const char *str);
Aml *aml_buffer(size_t len, const uint8_t *data);
Aml *aml_package(uint8_t num_elements);
Aml *aml_local(int num);
Aml *aml_arg(int num);

/* Named objects and blocks */
Aml *aml_name_decl(const char *name, Aml *val);
Aml *aml_scope(const char *fmt, ...) PRINTF_FMT(1, 2);
Aml *aml_device(const char *fmt, ...) PRINTF_FMT(1, 2);
Aml *aml_method(const char *name, int arg_count, AmlSerializeFlag sflag);
Aml *aml_if(Aml *predicate);
Aml *aml_else(void);
Aml *aml_while(Aml *predicate);
Aml *aml_operation_region(const char *name, AmlRegionSpace rs,
                          Aml *offset, uint32_t len);
Aml *aml_field(const char *name, AmlAccessType type, AmlLockRule lock,
               AmlUpdateRule rule);
/* A field unit inside aml_field(): name (4 chars) of bit_len bits. */
Aml *aml_named_field(const char *name, unsigned bit_len);
/* Unnamed field padding of bit_len bits. */
Aml *aml_reserved_field(unsigned bit_len);

/* Statements and expressions */
Aml *aml_return(Aml *val);
Aml *aml_store(Aml *val, Aml *target);
Aml *aml_equal(Aml *arg1, Aml *arg2);
Aml *aml_lless(Aml *arg1, Aml *arg2);
Aml *aml_lgreater(Aml *arg1, Aml *arg2);
Aml *aml_lnot(Aml *arg);
Aml *aml_land(Aml *arg1, Aml *arg2);
Aml *aml_lor(Aml *arg1, Aml *arg2);
/* Binary operators: a NULL dst means "no target" (NullName). */
Aml *aml_and(Aml *arg1, Aml *arg2, Aml *dst);
Aml *aml_or(Aml *arg1, Aml *arg2, Aml *dst);
Aml *aml_add(Aml *arg1, Aml *arg2, Aml *dst);
Aml *aml_shiftleft(Aml *arg1, Aml *count);
Aml *aml_shiftright(Aml *arg1, Aml *count, Aml *dst);
Aml *aml_increment(Aml *arg);
Aml *aml_notify(Aml *arg1, Aml *arg2);
Aml *aml_index(Aml *arg1, Aml *idx);

/* Resource templates and their descriptors */
Aml *aml_resource_template(void);
Aml *aml_io(AmlIODecode dec, uint16_t min_base, uint16_t max_base,
            uint8_t aln, uint8_t len);
Aml *aml_irq_no_flags(uint8_t irq);
Aml *aml_memory32_fixed(uint32_t addr, uint32_t size,
                        AmlReadAndWrite read_and_write);
Aml *aml_interrupt(AmlConsumerAndProducer con_and_pro,
                   AmlLevelAndEdge level_and_edge,
                   AmlActiveHighAndLow high_and_low, AmlShared shared,
                   const uint32_t *irq_list, uint8_t irq_count);
Aml *aml_word_bus_number(AmlMinFixed min_fixed, AmlMaxFixed max_fixed,
                         AmlDecode dec, uint16_t addr_gran,
                         uint16_t addr_min, uint16_t addr_max,
                         uint16_t addr_trans, uint16_t len);
Aml *aml_word_io(AmlMinFixed min_fixed, AmlMaxFixed max_fixed,
                 AmlDecode dec, AmlISARanges isa_ranges,
                 uint16_t addr_gran, uint16_t addr_min,
                 uint16_t addr_max, uint16_t addr_trans, uint16_t len);
Aml *aml_dword_memory(AmlDecode dec, AmlMinFixed min_fixed,
                      AmlMaxFixed max_fixed, AmlCacheable cacheable,
                      AmlReadAndWrite read_and_write,
                      uint32_t addr_gran, uint32_t addr_min,
                      uint32_t addr_max, uint32_t addr_trans, uint32_t len);
Aml *aml_qword_memory(AmlDecode dec, AmlMinFixed min_fixed,
                      AmlMaxFixed max_fixed, AmlCacheable cacheable,
                      AmlReadAndWrite read_and_write,
                      uint64_t addr_gran, uint64_t addr_min,
                      uint64_t addr_max, uint64_t addr_trans, uint64_t len);

/*
 * ACPI table framing.  acpi_table_begin() appends a standard 36-byte
 * header with Length and Checksum left zero; acpi_table_end() fills in
 * Length.  Checksums are left to the caller (the BIOS linker/loader, or
 * acpi_table_checksum() when the table is final).
 */
#define ACPI_TABLE_HEADER_SIZE 36

typedef struct AcpiTable {
    const char *sig;          /* 4 characters */
    uint8_t rev;
    const char *oem_id;       /* up to 6 characters */
    const char *oem_table_id; /* up to 8 characters */
    ByteArray *array;
    size_t table_offset;      /* set by acpi_table_begin */
} AcpiTable;

#define ACPI_CREATOR_ID "OSPR"

void acpi_table_begin(AcpiTable *table, ByteArray *array);
void acpi_table_end(AcpiTable *table);
/* Sum of bytes modulo 256: 0 for a table with a correct checksum. */
uint8_t acpi_checksum(const uint8_t *data, size_t len);

/* Generic Address Structure (ACPI 6.x, 5.2.3.2) */
enum {
    AML_AS_SYSTEM_MEMORY = 0,
    AML_AS_SYSTEM_IO = 1,
};
enum {
    AML_AS_ACCESS_UNDEFINED = 0,
    AML_AS_ACCESS_BYTE = 1,
    AML_AS_ACCESS_WORD = 2,
    AML_AS_ACCESS_DWORD = 3,
    AML_AS_ACCESS_QWORD = 4,
};
void build_append_gas(ByteArray *array, uint8_t space_id, uint8_t bit_width,
                      uint8_t bit_offset, uint8_t access_width,
                      uint64_t address);

#endif
