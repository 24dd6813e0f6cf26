/* Device-mapper mappings this process made, and the signal policy while any exists.
 *
 * Policy: SIGINT, SIGTERM, SIGHUP and SIGQUIT are caught from the first mapping on (a
 * signal ignored at start stays ignored, so nohup keeps its meaning). The handler only
 * records the signal. Long steps poll wr_signal_caught() and stop at the next safe
 * point; mappings are removed in the normal flow (wr_mapping_remove), any left at exit
 * (atexit); then wr_signal_reraise() ends the process by that signal, as if it had not
 * been caught (exit status 128 + signal for the shell). */
#ifndef WINRESCUE_MAPPING_H
#define WINRESCUE_MAPPING_H

#include <signal.h>

struct crypt_device;

/* Reserves a mapping name unique in this run (*name stays valid until the slot is
 * removed or released) and catches signals from now on. Returns the slot, -1 when
 * too many are open. */
int wr_mapping_reserve(const char **name);
/* The activation of a reserved slot failed: forget it. */
void wr_mapping_release(int slot);
/* Deactivates the slot's mapping (deferred when still in use) and frees the slot;
 * cd may be NULL. Failures are logged: nothing else can be done about them. */
void wr_mapping_remove(int slot, struct crypt_device *cd);
/* Removes every mapping still active (also registered with atexit). */
void wr_mapping_remove_all(void);

/* Catches the signals from now on without a mapping (a fix about to write: the
 * volume in hand is finished and the report says the run was interrupted). */
void wr_signals_catch(void);
/* The signal caught since the start, 0 when none. */
int wr_signal_caught(void);
/* Holds the caught signals back while a volume is open (*old: the mask to restore). */
void wr_signals_hold(sigset_t *old);
void wr_signals_restore(const sigset_t *old);
/* After a caught signal: removes what is left and ends the process by that signal.
 * Returns only when no signal was caught. */
void wr_signal_reraise(void);

#endif
