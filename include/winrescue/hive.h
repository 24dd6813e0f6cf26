/* Registry hives (the SYSTEM hive, the BCD store) through libhivex, held in
 * memory: bytes read from a volume go in, bytes to write back come out. */
#ifndef WINRESCUE_HIVE_H
#define WINRESCUE_HIVE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct wr_hive;

/* The hive's own idea of its state, from its base block (no libhivex needed). */
struct wr_hive_header {
	uint32_t seq1, seq2;   /* primary, secondary sequence numbers: differ when dirty */
	bool valid;            /* "regf" and a base block of the right size */
};
void wr_hive_read_header(const uint8_t *data, size_t len, struct wr_hive_header *hdr);

/* Opens a hive from bytes (copied). writable: changes can be made and taken
 * back with wr_hive_bytes. Returns 0 or -errno with *err in words. */
int wr_hive_open(const uint8_t *data, size_t len, bool writable, struct wr_hive **out,
		 char **err);
void wr_hive_close(struct wr_hive *h);

/* A key by a backslash path from the root ("Select", "ControlSet001\\Services"),
 * case-insensitive as Windows compares; 0 when absent. */
size_t wr_hive_key(struct wr_hive *h, size_t from, const char *path);
size_t wr_hive_root(struct wr_hive *h);
/* Child keys of a key (their handles), NULL-free array; count may be 0. */
int wr_hive_children(struct wr_hive *h, size_t key, size_t **children, size_t *count);
char *wr_hive_key_name(struct wr_hive *h, size_t key);

/* Values of a key: -ENOENT when absent, -EINVAL when of another type. */
int wr_hive_get_dword(struct wr_hive *h, size_t key, const char *name, uint32_t *out);
int wr_hive_get_string(struct wr_hive *h, size_t key, const char *name, char **out);
/* Raw value bytes and registry type (REG_BINARY 3, REG_DWORD 4, ...). */
int wr_hive_get_raw(struct wr_hive *h, size_t key, const char *name, uint32_t *type,
		    uint8_t **data, size_t *len);
/* Sets (replaces or adds) one value; every other value of the key is kept. */
int wr_hive_set_raw(struct wr_hive *h, size_t key, const char *name, uint32_t type,
		    const uint8_t *data, size_t len);
/* Removes one value; every other value of the key is kept. -ENOENT when absent. */
int wr_hive_delete_value(struct wr_hive *h, size_t key, const char *name);
/* Adds a child key (or finds the existing one); 0 on failure. */
size_t wr_hive_add_key(struct wr_hive *h, size_t parent, const char *name);
/* Removes a key and everything below it. */
int wr_hive_delete_key(struct wr_hive *h, size_t key);

/* The hive as it is now, changes included, as a new buffer. */
int wr_hive_bytes(struct wr_hive *h, uint8_t **data, size_t *len);

#endif
