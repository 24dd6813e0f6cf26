/* The volume states that stop a fix unless the user allows it: one table for the
 * refusal of `fix` (run.c) and the questions of the guided mode (src/cli/guided.c). */
#ifndef WINRESCUE_STATE_RULES_H
#define WINRESCUE_STATE_RULES_H

#include <stddef.h>

struct wr_state_rule {
	unsigned state;          /* a wr_state_bits value (model.h) */
	unsigned override;       /* the wr_ntfs_open_flags that allow writing anyway */
	const char *refusal;     /* why fix refuses without it, and what to do instead */
	/* Guided mode only: its yes/no question (NULL: the one decision covers it), and
	 * what it says, in plain words, when the technician answered no. */
	const char *question;
	const char *declined;
};

/* In the order they are checked: the most serious state first. */
extern const struct wr_state_rule wr_state_rules[];
extern const size_t wr_nstate_rules;

#endif
