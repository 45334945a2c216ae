/*
 * Line editing for HMP, as QEMU's util/readline.c: insert and delete,
 * cursor movement (arrows, Ctrl-A/E/B/F, Home/End), kill (Ctrl-K/U/W),
 * history (up/down, 64 entries) and tab completion.  It reads bytes as a
 * terminal sends them and redraws with VT100 sequences through the
 * output function, so it works over any chardev.
 */
#ifndef MONITOR_READLINE_H
#define MONITOR_READLINE_H

#include "util/osdep.h"

#define READLINE_CMD_BUF_SIZE 4095
#define READLINE_MAX_CMDS 64
#define READLINE_MAX_COMPLETIONS 256

typedef struct ReadLineState ReadLineState;

/* Print text (echo, redraws, completion lists). */
typedef void ReadLineOutputFunc(void *opaque, const char *str);
/* A complete line was entered. */
typedef void ReadLineFunc(void *opaque, const char *line);
/*
 * Offer completions for the text before the cursor: call
 * readline_add_completion() for each candidate and
 * readline_set_completion_index() with the length of the word being
 * completed.
 */
typedef void ReadLineCompletionFunc(void *opaque, ReadLineState *rs,
                                    const char *cmdline);

ReadLineState *readline_init(ReadLineOutputFunc *out,
                             ReadLineCompletionFunc *completion,
                             void *opaque);
void readline_free(ReadLineState *rs);
/* Set the prompt and the handler for the next line. */
void readline_start(ReadLineState *rs, const char *prompt,
                    ReadLineFunc *func, void *opaque);
void readline_show_prompt(ReadLineState *rs);
void readline_restart(ReadLineState *rs);   /* forget the partial line */
void readline_handle_byte(ReadLineState *rs, int ch);

void readline_add_completion(ReadLineState *rs, const char *str);
/* Offer str if it starts with prefix. */
void readline_add_completion_of(ReadLineState *rs, const char *prefix,
                                const char *str);
void readline_set_completion_index(ReadLineState *rs, int index);

/* History entry index (0 oldest) or NULL. */
const char *readline_get_history(ReadLineState *rs, unsigned int index);
/* The line as edited so far and the cursor position (tests). */
const char *readline_get_line(ReadLineState *rs);
int readline_get_cursor(ReadLineState *rs);

#endif
