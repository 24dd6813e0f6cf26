/* The result model: one report of one run, rendered as a table or as JSON.
 * Every module fills its part; nothing here knows how it is printed. */
#ifndef WINRESCUE_MODEL_H
#define WINRESCUE_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

/* The overall result is also the process exit code (docs/report.md).
 * When volumes disagree the most serious wins: see wr_result_worse(). */
enum wr_result {
	WR_RESULT_NOTHING_TO_FIX = 0,
	WR_RESULT_FIXED = 1,
	WR_RESULT_NO_WINDOWS = 2,   /* no volume holding Windows was found */
	WR_RESULT_FIX_NEEDED = 4,
	WR_RESULT_ERROR = 8,
	WR_RESULT_USAGE = 16,
	WR_RESULT_REFUSED = 32,
};

enum wr_time_class { WR_TIME_OTHER, WR_TIME_FAULTY, WR_TIME_GOOD };
enum wr_content_class {
	WR_CONTENT_OTHER, WR_CONTENT_MAGIC, WR_CONTENT_ZERO, WR_CONTENT_EMPTY,
	WR_CONTENT_UNREADABLE,
};
enum wr_action {
	WR_ACTION_NONE, WR_ACTION_WOULD_DELETE, WR_ACTION_DELETED, WR_ACTION_FAILED,
};

struct wr_file {
	char *path;            /* Windows path with backslashes, long name */
	uint64_t mft_ref;
	uint64_t size;
	int64_t created;       /* NTFS time: 100 ns units since 1601-01-01 UTC */
	int64_t modified;
	enum wr_time_class time_class;
	enum wr_content_class content_class;
	enum wr_action action;
	char *backup;          /* the verified copy, NULL when none was made */
	char *error;           /* why the action failed, NULL otherwise */
	char *link;            /* a symbolic link: where it points ("" unknown), else NULL */
};

/* Volume state, as bits: several can hold at once. */
enum wr_state_bits {
	WR_STATE_UNCLEAN_JOURNAL = 1u << 0,
	WR_STATE_HIBERNATED = 1u << 1,
	WR_STATE_FAST_STARTUP = 1u << 2,
	WR_STATE_DIRTY = 1u << 3,
};

enum wr_encryption { WR_ENC_NONE, WR_ENC_BITLOCKER };

/* What happened to a volume as a whole. */
enum wr_volume_status {
	WR_VOL_NOT_WINDOWS,    /* not NTFS/BitLocker, or no Windows tree: left alone */
	WR_VOL_CLEAN,          /* Windows volume, no matching file */
	WR_VOL_FIX_NEEDED,     /* matches found, nothing changed (scan, dry run, declined) */
	WR_VOL_FIXED,          /* every match deleted */
	WR_VOL_REFUSED,        /* a safety rule stopped the fix; nothing changed */
	WR_VOL_LOCKED,         /* BitLocker, no usable key: nothing could be read */
	WR_VOL_ERROR,          /* could not be read, or a step of the fix failed */
};

enum wr_key_check { WR_KEY_NOT_TRIED, WR_KEY_ACCEPTED, WR_KEY_REJECTED };

enum wr_protector_type {
	WR_PROTECTOR_NONE,              /* as unlocked_with: the volume was not opened */
	WR_PROTECTOR_UNKNOWN,           /* a kind this version does not know: see .protection */
	WR_PROTECTOR_CLEAR_KEY,
	WR_PROTECTOR_TPM,
	WR_PROTECTOR_STARTUP_KEY,
	WR_PROTECTOR_TPM_STARTUP_KEY,
	WR_PROTECTOR_TPM_PIN,
	WR_PROTECTOR_TPM_PIN_STARTUP_KEY,
	WR_PROTECTOR_RECOVERY_PASSWORD,
	WR_PROTECTOR_SMART_CARD,
	WR_PROTECTOR_PASSWORD,
};

struct wr_protector {
	enum wr_protector_type type;
	uint16_t protection;   /* the on-disk protection value (named for unknown kinds) */
	char key_id[37];       /* GUID, upper case, no braces; "" when it has none */
};

/* Where BitLocker's conversion of the volume stands (docs/report.md). */
enum wr_conversion {
	WR_CONVERSION_COMPLETE, WR_CONVERSION_ENCRYPTING, WR_CONVERSION_DECRYPTING,
	WR_CONVERSION_PAUSED, WR_CONVERSION_PARTIAL, WR_CONVERSION_DECRYPTED,
};
/* How an unlocked volume is read: none (not opened), dm-crypt or userspace. */
enum wr_unlock_path { WR_VIA_NONE, WR_VIA_DM_CRYPT, WR_VIA_USERSPACE };

struct wr_bitlocker {
	struct wr_protector *protectors;
	size_t nprotectors;
	char *cipher;          /* e.g. "aes-xts-plain64" */
	enum wr_key_check key_check;
	enum wr_protector_type unlocked_with;   /* what opened it; NONE when not opened */
	char *unlocked_key_id; /* Key ID of the protector that opened it (never the key) */
	char *open_error;      /* why it could not be opened, NULL when it was */
	enum wr_unlock_path unlocked_via;
	bool suspended;        /* a clear-key protector: opens without a key */
	enum wr_conversion conversion;
	int encrypted_percent; /* converted share, -1 when unknown */
};

/* Read-only facts from the Windows volume's SYSTEM hive (src/wininfo.c). */
enum wr_start_type {           /* a driver service's Start value; ABSENT: no such service */
	WR_START_ABSENT = -1, WR_START_BOOT = 0, WR_START_SYSTEM = 1, WR_START_AUTO = 2,
	WR_START_MANUAL = 3, WR_START_DISABLED = 4, WR_START_OTHER = 5,
};
#define WR_STORAGE_DRIVERS 4   /* storahci, stornvme, iaStorVD, iaStorAVC */
struct wr_windows_info {
	char *hive_error;      /* why the SYSTEM hive could not be read; NULL when it was */
	bool hive_dirty;       /* primary and secondary sequence numbers differ */
	bool pending_logs;     /* SYSTEM.LOG1/LOG2 hold changes newer than the hive */
	uint32_t seq1, seq2;
	char *control_set;     /* "ControlSet001", from Select\Current */
	char *computer_name;
	char *build;           /* CurrentBuild from the SOFTWARE hive, NULL when unknown */
	char *sensor_service;  /* CrowdStrike's driver service (CSAgent), NULL when absent */
	enum wr_start_type sensor_start;
	enum wr_start_type storage_start[WR_STORAGE_DRIVERS];
	char *controller;      /* the Linux driver of the disk's controller ("ahci"), or NULL */
	char *warning;         /* e.g. INACCESSIBLE_BOOT_DEVICE ahead, NULL when none */
};
extern const char *const wr_storage_driver_names[WR_STORAGE_DRIVERS];
const char *wr_start_type_name(enum wr_start_type t);
void wr_windows_info_free(struct wr_windows_info *wi);

struct wr_volume {
	char *device;          /* the target path (disk, partition node or image) */
	char *partition_dev;   /* kernel node of the partition when it has one */
	int partition;         /* 1-based partition number, 0 for a bare volume */
	char *part_type;       /* partition type name or code, NULL for a bare volume */
	uint64_t offset;       /* byte offset of the volume inside device */
	uint64_t size;
	char *fs_type;         /* libblkid TYPE: "ntfs", "BitLocker", "vfat", ... */
	char *label;
	char *serial;          /* NTFS volume serial (16 hex digits) */
	enum wr_encryption encryption;
	struct wr_bitlocker bitlocker;
	bool windows;          /* holds \Windows\System32 */
	struct wr_windows_info *windows_info;   /* NULL until the SYSTEM hive was looked at */
	unsigned state;        /* wr_state_bits */
	char *in_use;          /* why the volume is busy elsewhere, NULL if not */
	bool left_dirty;       /* a delete failed: the dirty flag stays set on purpose */
	struct wr_file *files;
	size_t nfiles;
	enum wr_volume_status status;
	char *message;         /* what a person needs to know about status */
};

/* DMI identity; uuid is the SMBIOS system UUID (upper case), the key Intune and
 * Configuration Manager use. NULL: absent, unreadable or a firmware placeholder. */
struct wr_machine { char *vendor, *product, *serial, *uuid, *asset_tag, *chassis_serial; };
struct wr_storage;      /* storage.h */

struct wr_report;

/* The Windows Boot Manager's store (BCD) and its Windows loader entries (src/bcd.c). */
enum wr_boot_action {
	WR_BOOT_NONE,          /* nothing to do, or nothing done */
	WR_BOOT_WOULD_CLEAR,   /* safeboot leftovers found: fix would remove them */
	WR_BOOT_CLEARED,       /* removed after a verified backup */
	WR_BOOT_KEPT,          /* left as asked (--keep-safeboot) */
	WR_BOOT_SAFE_MODE_SET, /* safe-mode: safeboot minimal set on the default entry */
	WR_BOOT_RESTORED,      /* safe-mode --undo: the store is as before */
	WR_BOOT_FAILED,
};
struct wr_boot_entry {
	char *id;              /* object GUID in braces */
	char *description;
	bool is_default;
	int64_t safeboot;      /* -1 not set; 0 minimal, 1 network, 2 dsrepair */
	int alternate_shell;   /* -1 not set; else the boolean's value */
};
struct wr_boot_store {
	size_t volume;         /* index in the report's volumes of the partition holding it */
	char *device;          /* the disk or image holding it */
	int partition;
	uint64_t offset;       /* byte offset of its file system */
	char *filesystem;      /* "vfat" (EFI system partition) or "ntfs" (BIOS) */
	char *path;            /* "\EFI\Microsoft\Boot\BCD" or "\Boot\BCD" */
	struct wr_boot_entry *entries;
	size_t nentries;
	enum wr_boot_action action;
	char *backup;          /* the verified copy taken before a change */
	char *error;           /* why it could not be read or changed */
};
const char *wr_boot_action_name(enum wr_boot_action a);
struct wr_boot_store *wr_report_add_boot_store(struct wr_report *rep);
struct wr_boot_entry *wr_boot_store_add_entry(struct wr_boot_store *bs);
void wr_boot_stores_free(struct wr_boot_store *stores, size_t n);
/* How a store counts towards the run's result: a Safe Mode leftover is a fix
 * needed (Windows would not start normally), a cleared one a fix, a failure an error. */
enum wr_result wr_boot_store_result(const struct wr_boot_store *bs);

/* The command that made the report (rendered by wr_command_name). */
enum wr_command {
	WR_COMMAND_SCAN, WR_COMMAND_FIX, WR_COMMAND_GUIDED, WR_COMMAND_SAFE_MODE,
	WR_COMMAND_SAFE_MODE_UNDO,
};

struct wr_report {
	char *version;
	enum wr_command command;
	bool dry_run;          /* fix --dry-run */
	time_t time;
	struct wr_machine machine;
	struct wr_volume *volumes;
	size_t nvolumes;
	struct wr_boot_store *boot_stores;
	size_t nboot_stores;
	enum wr_result result;
	struct wr_storage *storage;   /* the machine's disks and controllers, NULL: not examined */
	char **warnings;       /* about the run as a whole (e.g. keys carried in clear) */
	size_t nwarnings;
	int interrupted;       /* the signal that stopped a fix after it changed something, 0 if none */
};

void wr_report_init(struct wr_report *rep, enum wr_command command, bool dry_run);
void wr_report_free(struct wr_report *rep);
struct wr_volume *wr_report_add_volume(struct wr_report *rep);
void wr_report_add_warning(struct wr_report *rep, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
struct wr_file *wr_volume_add_file(struct wr_volume *vol);
/* How many of the volume's files have action WR_ACTION_FAILED. */
size_t wr_volume_failed_files(const struct wr_volume *vol);
struct wr_protector *wr_bitlocker_add_protector(struct wr_bitlocker *bl);
/* Frees what bl holds and leaves it empty. */
void wr_bitlocker_clear(struct wr_bitlocker *bl);
/* Computes rep->result from the volumes and returns it. */
enum wr_result wr_report_finish(struct wr_report *rep);
enum wr_result wr_result_worse(enum wr_result a, enum wr_result b);

const char *wr_result_name(enum wr_result r);
const char *wr_time_class_name(enum wr_time_class c);
const char *wr_content_class_name(enum wr_content_class c);
const char *wr_action_name(enum wr_action a);
const char *wr_volume_status_name(enum wr_volume_status s);
const char *wr_key_check_name(enum wr_key_check k);
const char *wr_encryption_name(enum wr_encryption e);
/* "scan", "fix", "fix --dry-run", "guided", "safe-mode", "safe-mode --undo": the
 * report's `command`. */
const char *wr_command_name(enum wr_command c, bool dry_run);
/* "recovery_password", "tpm", ... (snake case, as in docs/report.md); NULL for NONE,
 * "unknown" for UNKNOWN. */
const char *wr_protector_type_name(enum wr_protector_type t);
#define WR_PROTECTOR_NAME_MAX 24
/* The protector's type name; an unknown kind as "unknown_0x1234" (in buf). */
const char *wr_protector_name(const struct wr_protector *p, char buf[WR_PROTECTOR_NAME_MAX]);

/* Where the volume's bytes are: its partition node when it has one (offset 0,
 * size 0: the whole node), else the target at the volume's offset and size.
 * offset and size may be NULL. */
const char *wr_volume_source(const struct wr_volume *v, uint64_t *offset, uint64_t *size);
/* Only a recovery password's Key ID leads to a 48-digit key in a key export
 * (AD, Entra ID, MBAM, BitLockerKeys.csv); the other protectors' IDs do not. */
bool wr_protector_has_recovery_key_id(const struct wr_protector *p);
/* The Key ID of the volume's first recovery password protector, NULL when none. */
const char *wr_volume_recovery_key_id(const struct wr_volume *v);

/* "complete", "encrypting", "decrypting", "paused", "partial", "decrypted". */
const char *wr_conversion_name(enum wr_conversion c);
/* "dm-crypt", "userspace"; NULL for WR_VIA_NONE. */
const char *wr_unlock_path_name(enum wr_unlock_path p);
/* The most telling single state word: "hibernated", "fast_startup",
 * "unclean_journal", "dirty" or "clean". */
const char *wr_state_name(unsigned state);

#endif
