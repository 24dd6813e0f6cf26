/* One run of scan or fix over a set of targets: probe, unlock, open, plan,
 * confirm, fix, verify, close. The CLI and the tests both drive this. */
#ifndef WINRESCUE_RUN_H
#define WINRESCUE_RUN_H

#include <stdbool.h>
#include <stddef.h>

#include "winrescue/bitlocker.h"
#include "winrescue/blockdev.h"
#include "winrescue/model.h"

struct wr_keysource;

/* Asked once, after the plan is known and before any write; the report holds
 * the plan. Returns true to go ahead. */
typedef bool (*wr_confirm_fn)(void *ctx, const struct wr_report *plan);
struct wr_state_rule;
/* Asked for a volume in a state (rule, state_rules.h) whose override was not given
 * (the guided mode asks the person); returns true to allow rule->override. */
typedef bool (*wr_override_fn)(void *ctx, const struct wr_volume *vol,
			       const struct wr_state_rule *rule);

struct wr_run_options {
	bool fix;                   /* false: scan */
	bool dry_run;               /* fix --dry-run: plan only, nothing written */
	unsigned overrides;         /* WR_NTFS_RESET_JOURNAL | DISCARD_... given by the user */
	const char *backup_root;    /* where backups go; NULL: no backup */
	struct wr_keysource *keys;  /* NULL: BitLocker volumes stay locked (but suspended
				       and decrypted ones, which need no key) */
	enum wr_bitlocker_io bitlocker_io;   /* --bitlocker-io */
	wr_confirm_fn confirm;      /* NULL: no confirmation needed (--yes) */
	void *confirm_ctx;
	wr_override_fn ask_override;
	void *override_ctx;
	bool keep_safeboot;         /* leave a Safe Mode leftover in the boot store */
	struct wr_fault_plan *faults;   /* tests only */
};

/* Probes targets (all disks when ntargets is 0) and processes every volume.
 * Fills rep and returns its overall result. Target errors become usage or
 * error results with a message in the report's volume list. */
enum wr_result wr_run(struct wr_report *rep, const char *const *targets, size_t ntargets,
		      const struct wr_run_options *opts);

/* The probe step alone: every volume of the targets (all disks when ntargets is
 * 0) into rep, a target that cannot be read as an error volume. */
void wr_run_probe(struct wr_report *rep, const char *const *targets, size_t ntargets);

#endif
