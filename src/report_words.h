/* The words the table uses for the model's classes (report_table.c). */
#ifndef WINRESCUE_REPORT_WORDS_H
#define WINRESCUE_REPORT_WORDS_H

#include "winrescue/model.h"

/* The state's name in words, allocated: "unclean journal", "fast startup". */
char *wr_state_words(unsigned state);
const char *wr_status_words(enum wr_volume_status s);
const char *wr_time_class_words(enum wr_time_class c);
const char *wr_content_words(enum wr_content_class c);
const char *wr_action_words(enum wr_action a);

#endif
