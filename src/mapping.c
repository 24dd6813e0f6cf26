#include "winrescue/mapping.h"

#include <errno.h>
#include <libcryptsetup.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "winrescue/log.h"

#define MAX_MAPPINGS 64

static char mapping_names[MAX_MAPPINGS][64];
static bool mapping_active[MAX_MAPPINGS];
static unsigned mapping_counter;

static const int CAUGHT_SIGNALS[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT };
#define NCAUGHT (sizeof(CAUGHT_SIGNALS) / sizeof(*CAUGHT_SIGNALS))
static struct sigaction old_actions[NCAUGHT];
static bool catching;
static volatile sig_atomic_t caught_signal;

/* Async-signal-safe by construction: it only records the signal. */
static void record_signal(int sig)
{
	caught_signal = sig;
}

/* Installed once, with the first mapping. No SA_RESTART: a prompt waiting for input
 * returns at the signal, so the run can stop. */
static void catch_signals_once(void)
{
	if (catching)
		return;
	catching = true;
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = record_signal;
	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < NCAUGHT; i++) {
		int sig = CAUGHT_SIGNALS[i];
		/* A signal ignored when we started (nohup, a shell's background job) stays
		 * ignored: catching it would stop a run that is meant to go on. */
		if (sigaction(sig, NULL, &old_actions[i]) == 0 &&
		    old_actions[i].sa_handler == SIG_IGN)
			continue;
		sigaction(sig, &sa, &old_actions[i]);
	}
	atexit(wr_mapping_remove_all);
}

void wr_signals_catch(void)
{
	catch_signals_once();
}

int wr_mapping_reserve(const char **name)
{
	catch_signals_once();
	for (int i = 0; i < MAX_MAPPINGS; i++) {
		if (mapping_active[i])
			continue;
		snprintf(mapping_names[i], sizeof(mapping_names[i]), "winrescue-%ld-%u",
			 (long)getpid(), mapping_counter++);
		mapping_active[i] = true;
		*name = mapping_names[i];
		return i;
	}
	return -1;
}

void wr_mapping_release(int slot)
{
	if (slot >= 0 && slot < MAX_MAPPINGS)
		mapping_active[slot] = false;
}

void wr_mapping_remove(int slot, struct crypt_device *cd)
{
	if (slot < 0 || slot >= MAX_MAPPINGS || !mapping_active[slot])
		return;
	mapping_active[slot] = false;
	const char *name = mapping_names[slot];
	int r = crypt_deactivate_by_name(cd, name, 0);
	/* Still open (by a process outside ours): the kernel removes it when the last
	 * user closes it. */
	if (r == -EBUSY)
		r = crypt_deactivate_by_name(cd, name, CRYPT_DEACTIVATE_DEFERRED);
	if (r < 0)
		wr_log(WR_LOG_WARN, "cannot remove mapping %s: %s", name, strerror(-r));
}

void wr_mapping_remove_all(void)
{
	for (int i = 0; i < MAX_MAPPINGS; i++)
		wr_mapping_remove(i, NULL);
}

int wr_signal_caught(void)
{
	return caught_signal;
}

void wr_signals_hold(sigset_t *old)
{
	sigset_t set;
	sigemptyset(&set);
	for (size_t i = 0; i < NCAUGHT; i++)
		sigaddset(&set, CAUGHT_SIGNALS[i]);
	sigprocmask(SIG_BLOCK, &set, old);
}

void wr_signals_restore(const sigset_t *old)
{
	sigprocmask(SIG_SETMASK, old, NULL);
}

void wr_signal_reraise(void)
{
	int sig = caught_signal;
	if (!sig)
		return;
	wr_mapping_remove_all();
	for (size_t i = 0; i < NCAUGHT; i++)
		if (CAUGHT_SIGNALS[i] == sig)
			sigaction(sig, &old_actions[i], NULL);
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, sig);
	sigprocmask(SIG_UNBLOCK, &set, NULL);
	raise(sig);
	/* A handler of the caller's own returned: end as the signal would have. */
	_exit(128 + sig);
}
