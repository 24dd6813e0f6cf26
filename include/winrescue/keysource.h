/* Where BitLocker keys come from (recovery keys given, key exports, a .BEK startup
 * key, a password, the interactive prompt) and in which order they are tried. */
#ifndef WINRESCUE_KEYSOURCE_H
#define WINRESCUE_KEYSOURCE_H

#include <stddef.h>

#include "winrescue/model.h"

struct wr_keysource;    /* opaque: all the places keys come from */
struct wr_recovery_key; /* from recovery_key.h */

/* Asks for the recovery key of vol whose protector has key_id.
 * Returns 0 when *out holds a key, 1 to skip this volume, <0 on error. */
typedef int (*wr_key_prompt_fn)(void *ctx, const struct wr_volume *vol, const char *key_id,
				struct wr_recovery_key *out);

struct wr_keysource *wr_keysource_new(void);
/* Validates text (see recovery_key.h); -EINVAL with *errmsg naming the bad block. */
int  wr_keysource_add_recovery_key(struct wr_keysource *ks, const char *text, char **errmsg);
int  wr_keysource_load_keys_file(struct wr_keysource *ks, const char *path, char **errmsg);
/* A keys file loaded by the caller (e.g. unsealed, sealed.h); ks takes it over. */
struct wr_keys_file;
void wr_keysource_add_keys_file(struct wr_keysource *ks, struct wr_keys_file *kf, const char *path);
/* Reads a .BEK file: -errno with *errmsg when it cannot be read or is not one. */
int  wr_keysource_set_bek(struct wr_keysource *ks, const char *path, char **errmsg);
int  wr_keysource_set_password(struct wr_keysource *ks, const char *pw);  /* copied, wiped on free */
void wr_keysource_set_prompt(struct wr_keysource *ks, wr_key_prompt_fn fn, void *ctx);
void wr_keysource_free(struct wr_keysource *ks);   /* wipes */

/* Checks one secret against the volume (one key derivation): 0 accepted,
 * -EPERM rejected, another -errno stops the search. key_id: the protector the
 * secret is meant for, NULL when it came without one and the volume has several. */
typedef int (*wr_key_check_fn)(void *ctx, const char *secret, size_t len,
			       enum wr_protector_type type, const char *key_id);

/* Offers vol's candidate keys to check, in this order, until one is accepted:
 * keys-file entries for the volume's recovery Key IDs (one derivation for a right
 * key), each given recovery key, the .BEK (only if its GUID names a startup-key
 * protector), the password (only if there is a password protector), then the prompt
 * (asked again after a wrong key). A key is never checked twice. Returns 0, -EPERM
 * when none was accepted (vol->bitlocker.open_error says which key is needed),
 * -EINTR when a signal arrived (mapping.h), or check's other -errno. */
int wr_keysource_search(const struct wr_keysource *ks, struct wr_volume *vol,
			wr_key_check_fn check, void *ctx);

#endif
