#include "winrescue/state_rules.h"

#include <stddef.h>

#include "winrescue/model.h"
#include "winrescue/ntfsvol.h"

const struct wr_state_rule wr_state_rules[] = {
	{ WR_STATE_HIBERNATED, WR_NTFS_DISCARD_HIBERNATION,
	  "Windows is hibernated on this volume: writing now would corrupt the saved session. "
	  "Start Windows and shut it down fully, or run again with --discard-hibernation "
	  "(the hibernated session is thrown away and Windows checks the disk at its next boot)",
	  "Windows is hibernated on this disk: its open programs and unsaved work are saved\n"
	  "there. Fixing it throws that session away (Windows then starts fresh and checks\n"
	  "the disk once). Discard the hibernated session and fix this disk?",
	  "you chose to keep the hibernated Windows session, so nothing was written. Start "
	  "Windows to resume it and shut it down fully, or start winrescue again and discard it" },
	{ WR_STATE_FAST_STARTUP, WR_NTFS_DISCARD_FAST_STARTUP,
	  "Windows shut down with Fast Startup and keeps cached file-system data: writing now "
	  "could be undone or corrupted by it. Shut Windows down fully (shutdown /s /t 0), or "
	  "run again with --discard-fast-startup (the journal is reset and Windows checks the "
	  "disk at its next boot)", NULL, NULL },
	{ WR_STATE_UNCLEAN_JOURNAL, WR_NTFS_RESET_JOURNAL,
	  "the NTFS journal is unclean (Windows stopped while writing, as in a crash): its last "
	  "changes are not all on disk. Run again with --reset-journal to reset the journal and "
	  "mark the volume dirty so Windows checks the disk at its next boot", NULL, NULL },
};

const size_t wr_nstate_rules = sizeof(wr_state_rules) / sizeof(wr_state_rules[0]);
