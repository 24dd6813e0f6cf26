#include "winrescue/run.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "winrescue/bitlocker.h"
#include "winrescue/bitlocker_user.h"
#include "winrescue/bootstore.h"
#include "winrescue/inuse.h"
#include "winrescue/log.h"
#include "winrescue/mapping.h"
#include "winrescue/ntfsvol.h"
#include "winrescue/probe.h"
#include "winrescue/remedy.h"
#include "winrescue/state_rules.h"
#include "winrescue/util.h"
#include "winrescue/wininfo.h"

/* What a volume needs between its scan and its fix. */
struct session {
	struct wr_unlocked *unlocked;
	struct wr_range range;
	unsigned open_flags;    /* how the fix opens the volume, overrides included */
};

void wr_run_probe(struct wr_report *rep, const char *const *targets, size_t n)
{
	if (n == 0 && wr_probe_all(rep) == 0)
		wr_log(WR_LOG_WARN, "no disks found");
	for (size_t i = 0; i < n; i++) {
		char *err = NULL;
		if (wr_probe_target(rep, targets[i], &err) == 0)
			continue;
		struct wr_volume *vol = wr_report_add_volume(rep);
		vol->device = wr_xstrdup(targets[i]);
		vol->status = WR_VOL_ERROR;
		vol->message = err;
	}
}

static bool is_bitlocker(const struct wr_volume *vol)
{
	return vol->fs_type && !strcmp(vol->fs_type, "BitLocker");
}

static const char *key_id_or_none(const struct wr_volume *vol)
{
	const char *id = wr_volume_recovery_key_id(vol);
	return id ? id : "(none)";
}

/* 0 with s->range set to the plaintext NTFS, or -errno with the status set. */
static int unlock(struct wr_volume *vol, struct session *s, const struct wr_run_options *o)
{
	vol->encryption = WR_ENC_BITLOCKER;
	if (wr_bitlocker_inspect(vol) < 0) {
		vol->status = WR_VOL_ERROR;
		wr_set_message(&vol->message, "%s", vol->bitlocker.open_error ?
			vol->bitlocker.open_error : "cannot read the BitLocker metadata");
		return -EIO;
	}
	if (!o->keys && !wr_bitlocker_opens_without_key(vol)) {
		vol->status = WR_VOL_LOCKED;
		wr_set_message(&vol->message, "BitLocker-encrypted: give the recovery key for "
			"Key ID %s (--recovery-key or --keys)", key_id_or_none(vol));
		return -EPERM;
	}
	int rc = wr_bitlocker_unlock(vol, o->keys, o->fix && !o->dry_run, o->bitlocker_io,
				     &s->unlocked);
	if (rc) {
		vol->status = rc == -EPERM ? WR_VOL_LOCKED : WR_VOL_ERROR;
		wr_set_message(&vol->message, "%s", vol->bitlocker.open_error ?
			vol->bitlocker.open_error : "could not be unlocked");
		return rc;
	}
	wr_unlocked_range(s->unlocked, &s->range);
	if (vol->bitlocker.suspended && !vol->message)
		vol->message = wr_xstrdup("BitLocker is suspended on this volume (a clear key opens "
			"it): the machine is not protected until BitLocker is resumed in Windows");
	return 0;
}


static enum wr_volume_status status_after_plan(const struct wr_volume *vol)
{
	if (vol->nfiles)
		return WR_VOL_FIX_NEEDED;
	return vol->windows ? WR_VOL_CLEAN : WR_VOL_NOT_WINDOWS;
}

static void plan_volume(struct wr_volume *vol, const struct session *s)
{
	struct wr_ntfs *nv = NULL;
	char *err = NULL;
	int rc = wr_ntfs_open(&s->range, 0, &nv, &err);
	if (rc) {
		vol->status = WR_VOL_ERROR;
		free(vol->message); /* the error outranks a note such as "suspended" */
		vol->message = err;
		if (vol->encryption == WR_ENC_BITLOCKER) {  /* the unlock worked: say so */
			vol->message = wr_xasprintf("BitLocker opened this volume%s, but inside it: %s",
				vol->bitlocker.suspended ? " (suspended: with its clear key)" : "", err);
			free(err);
		}
		return;
	}
	vol->state = wr_ntfs_state(nv);
	if (!vol->serial || vol->encryption == WR_ENC_BITLOCKER)
		wr_set_message(&vol->serial, "%s", wr_ntfs_serial(nv));
	rc = wr_remedy_plan(nv, vol);
	if (vol->windows)
		wr_windows_info_read(nv, vol);
	/* A link on the way, or two CrowdStrike folders: refused for safety. */
	vol->status = rc == -ELOOP || rc == -ENOTUNIQ ? WR_VOL_REFUSED :
		      rc ? WR_VOL_ERROR : status_after_plan(vol);
	wr_ntfs_close(nv);
}

static void scan_volume(struct wr_volume *vol, struct session *s, const struct wr_run_options *o)
{
	if (vol->status == WR_VOL_ERROR || !wr_probe_is_candidate(vol))
		return;
	s->range.path = wr_volume_source(vol, &s->range.offset, &s->range.size);
	s->range.faults = o->faults;
	vol->in_use = wr_volume_in_use(vol);
	if (is_bitlocker(vol) && unlock(vol, s, o))
		return;
	/* Signals wait while a volume is open (mapping.h): a BitLocker mapping can only
	 * be removed once nothing has it open. */
	sigset_t old;
	wr_signals_hold(&old);
	plan_volume(vol, s);
	wr_signals_restore(&old);
}

/* ---- safety ------------------------------------------------------------- */

/* The overrides the state needs, or a refusal message in vol->message. */
static bool allowed_to_write(struct wr_volume *vol, const struct wr_run_options *o,
			     unsigned *flags)
{
	if (vol->in_use) {
		wr_set_message(&vol->message, "refused: %s; winrescue never writes to a volume in "
			"use: unmount or close it first", vol->in_use);
		return false;
	}
	unsigned given = o->overrides;
	for (size_t i = 0; i < wr_nstate_rules; i++) {
		const struct wr_state_rule *r = &wr_state_rules[i];
		if (!(vol->state & r->state))
			continue;
		if (!(given & r->override) && o->ask_override && o->ask_override(o->override_ctx, vol, r))
			given |= r->override;
		if (!(given & r->override)) {
			bool declined = o->ask_override && r->declined;
			wr_set_message(&vol->message, "refused: %s", declined ? r->declined : r->refusal);
			return false;
		}
		*flags |= r->override;
	}
	return true;
}

static void set_planned_actions(struct wr_volume *vol, enum wr_action action)
{
	for (size_t i = 0; i < vol->nfiles; i++)
		if (vol->files[i].action == WR_ACTION_WOULD_DELETE)
			vol->files[i].action = action;
}

/* ---- fixing ------------------------------------------------------------- */

static char *backup_dir_for(const struct wr_volume *vol, const char *root)
{
	return root ? wr_xasprintf("%s/%s", root, vol->serial ? vol->serial : "volume") : NULL;
}

/* A fresh read-only look proves the files are gone and the volume still opens. */
static size_t verify_after_fix(struct wr_volume *vol, const struct wr_range *range)
{
	struct wr_range plain = *range;
	plain.faults = NULL;
	struct wr_ntfs *nv = NULL;
	char *err = NULL;
	if (wr_ntfs_open(&plain, 0, &nv, &err)) {
		wr_set_message(&vol->message, "after the fix the volume no longer opens: %s", err);
		free(err);
		return vol->nfiles;
	}
	size_t failed = wr_remedy_verify(nv, vol);
	wr_ntfs_close(nv);
	return failed;
}

static size_t write_fix(struct wr_volume *vol, const struct session *s, unsigned flags,
			const char *backup_dir)
{
	struct wr_ntfs *nv = NULL;
	char *err = NULL;
	if (wr_ntfs_open(&s->range, flags, &nv, &err)) {
		free(vol->message);
		vol->message = err;
		set_planned_actions(vol, WR_ACTION_NONE);
		return vol->nfiles;
	}
	int rc = 0;
	if (flags & WR_NTFS_DISCARD_HIBERNATION)
		rc = wr_ntfs_invalidate_hibernation(nv);
	size_t failed;
	if (rc) {
		/* Nothing is deleted then: the volume is not fixed (the journal was reset). */
		wr_set_message(&vol->message, "cannot invalidate hiberfil.sys: %s; no file was "
			       "deleted", strerror(-rc));
		set_planned_actions(vol, WR_ACTION_NONE);
		failed = vol->nfiles;
	} else {
		failed = wr_remedy_apply(nv, vol, backup_dir);
	}
	if ((rc = wr_ntfs_close(nv)) != 0)
		wr_set_message(&vol->message, "writing the volume back failed: %s", strerror(-rc));
	return failed + (rc != 0) + verify_after_fix(vol, &s->range);
}


/* Safety first, before the person is asked to confirm: a refused volume is out
 * of the plan, and the questions about states come before the one about deleting. */
static void check_safety(struct wr_volume *vol, struct session *s,
			 const struct wr_run_options *o)
{
	s->open_flags = WR_NTFS_WRITE;
	if (allowed_to_write(vol, o, &s->open_flags))
		return;
	vol->status = WR_VOL_REFUSED;
	set_planned_actions(vol, WR_ACTION_NONE);
}

static void fix_volume(struct wr_volume *vol, const struct session *s,
		       const struct wr_run_options *o)
{
	char *backup_dir = backup_dir_for(vol, o->backup_root);
	/* An NTFS left half-written by an interrupted delete is worse than a late exit. */
	sigset_t old;
	wr_signals_hold(&old);
	size_t failed = write_fix(vol, s, s->open_flags, backup_dir);
	wr_signals_restore(&old);
	free(backup_dir);
	vol->status = failed ? WR_VOL_ERROR : WR_VOL_FIXED;
	/* Counted from the files: the apply and the check after it each count a
	 * file that stayed, so their sum is not a number of files. */
	if (failed && !vol->message)
		wr_set_message(&vol->message, "%zu of %zu files could not be deleted",
			wr_volume_failed_files(vol), vol->nfiles);
	if (vol->left_dirty)
		wr_set_message(&vol->message, "%s; the volume stays marked dirty (a delete was "
			"attempted and failed): Windows will check the disk (chkdsk) when it next "
			"starts; let that check finish", vol->message);
}

static bool wants_fix(const struct wr_report *rep)
{
	for (size_t i = 0; i < rep->nvolumes; i++)
		if (rep->volumes[i].status == WR_VOL_FIX_NEEDED && rep->volumes[i].nfiles)
			return true;
	return wr_bootstores_want_fix(rep);
}

/* Returns whether a volume was changed (or a change was tried). */
static bool fix_all(struct wr_report *rep, struct session *sessions,
		    const struct wr_run_options *o)
{
	for (size_t i = 0; i < rep->nvolumes; i++)
		if (rep->volumes[i].status == WR_VOL_FIX_NEEDED && rep->volumes[i].nfiles)
			check_safety(&rep->volumes[i], &sessions[i], o);
	if (!wants_fix(rep))
		return false;
	wr_report_finish(rep);  /* the plan shown for confirmation has its result */
	if (o->confirm && !o->confirm(o->confirm_ctx, rep)) {
		if (wr_signal_caught())
			return false;
		for (size_t i = 0; i < rep->nvolumes; i++)
			if (rep->volumes[i].status == WR_VOL_FIX_NEEDED)
				wr_set_message(&rep->volumes[i].message,
					"not changed: the fix was declined");
		return false;
	}
	/* A signal now lets the volume in hand finish; the rest are left as they are
	 * and the report says so. */
	wr_signals_catch();
	bool changed = false;
	for (size_t i = 0; i < rep->nvolumes; i++) {
		struct wr_volume *vol = &rep->volumes[i];
		if (vol->status != WR_VOL_FIX_NEEDED || !vol->nfiles)
			continue;
		if (wr_signal_caught() && changed)
			wr_set_message(&vol->message, "not changed: the run was interrupted");
		else if (!wr_signal_caught())
			fix_volume(vol, &sessions[i], o);
		changed |= vol->status != WR_VOL_FIX_NEEDED;
	}
	wr_bootstores_fix(rep, o->backup_root);
	return changed;
}

enum wr_result wr_run(struct wr_report *rep, const char *const *targets, size_t ntargets,
		      const struct wr_run_options *opts)
{
	wr_run_probe(rep, targets, ntargets);
	struct session *sessions = wr_xcalloc(rep->nvolumes, sizeof(*sessions));
	/* A caught signal (mapping.h) stops the run at the next volume; the caller
	 * then ends by it (wr_signal_reraise). */
	for (size_t i = 0; i < rep->nvolumes && !wr_signal_caught(); i++) {
		struct wr_volume *vol = &rep->volumes[i];
		scan_volume(vol, &sessions[i], opts);
		wr_windows_info_check_controller(vol->windows_info, rep->storage, vol->device);
	}
	if (!wr_signal_caught())
		wr_bootstores_scan(rep, opts->keep_safeboot);
	bool changed = false;
	if (opts->fix && !opts->dry_run && !wr_signal_caught())
		changed = fix_all(rep, sessions, opts);
	for (size_t i = 0; i < rep->nvolumes; i++)
		wr_bitlocker_close(sessions[i].unlocked);
	free(sessions);
	/* Once a volume changed, a signal, even one that came while the boot stores
	 * were fixed or the volumes closed, ends the run with its report. */
	if (changed)
		rep->interrupted = wr_signal_caught();
	return wr_report_finish(rep);
}
