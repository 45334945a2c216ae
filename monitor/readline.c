/*
 * Line editing for HMP, after QEMU's util/readline.c.  The terminal is
 * driven with VT100 sequences; redraws print only what changed.
 */
#include "monitor/readline.h"

typedef enum {
    IS_NORM,
    IS_ESC,     /* after ESC */
    IS_CSI,     /* after ESC [ */
    IS_SS3,     /* after ESC O */
} ReadLineEscState;

struct ReadLineState {
    char cmd_buf[READLINE_CMD_BUF_SIZE + 1];
    int cmd_buf_index;
    int cmd_buf_size;

    char last_cmd_buf[READLINE_CMD_BUF_SIZE + 1];
    int last_cmd_buf_index;
    int last_cmd_buf_size;

    ReadLineEscState esc_state;
    int esc_param;
    bool last_was_cr;      /* swallow the LF of a CR LF pair */

    char *history[READLINE_MAX_CMDS];
    int hist_entry;        /* -1: editing a new line */

    ReadLineCompletionFunc *completion_finder;
    char *completions[READLINE_MAX_COMPLETIONS];
    int nb_completions;
    int completion_index;

    ReadLineFunc *readline_func;
    void *readline_opaque;
    ReadLineOutputFunc *out;
    void *opaque;
    char prompt[256];
};

static void rl_printf(ReadLineState *rs, const char *fmt, ...)
    PRINTF_FMT(2, 3);

static void rl_printf(ReadLineState *rs, const char *fmt, ...)
{
    va_list ap;
    char *s;

    va_start(ap, fmt);
    s = xvasprintf(fmt, ap);
    va_end(ap);
    rs->out(rs->opaque, s);
    free(s);
}

void readline_show_prompt(ReadLineState *rs)
{
    rl_printf(rs, "%s", rs->prompt);
    rs->last_cmd_buf_index = 0;
    rs->last_cmd_buf_size = 0;
    rs->esc_state = IS_NORM;
}

/*
 * Bring the terminal line in step with cmd_buf and the cursor.  Only the
 * part after the first changed character is redrawn, so typing at the end
 * of a line echoes just the character (QEMU redraws the whole line).
 */
static void readline_update(ReadLineState *rs)
{
    int i, delta;

    if (rs->cmd_buf_size != rs->last_cmd_buf_size ||
        memcmp(rs->cmd_buf, rs->last_cmd_buf, rs->cmd_buf_size) != 0) {
        int same = 0;
        StrBuf sb;

        while (same < rs->cmd_buf_size && same < rs->last_cmd_buf_size &&
               rs->cmd_buf[same] == rs->last_cmd_buf[same]) {
            same++;
        }
        strbuf_init(&sb);
        for (i = same; i < rs->last_cmd_buf_index; i++) {
            strbuf_append(&sb, "\033[D");
        }
        for (i = rs->last_cmd_buf_index; i < same; i++) {
            strbuf_append(&sb, "\033[C");
        }
        strbuf_append_len(&sb, rs->cmd_buf + same, rs->cmd_buf_size - same);
        if (rs->cmd_buf_size < rs->last_cmd_buf_size) {
            strbuf_append(&sb, "\033[K");
        }
        rs->out(rs->opaque, sb.str);
        strbuf_free(&sb);
        memcpy(rs->last_cmd_buf, rs->cmd_buf, rs->cmd_buf_size);
        rs->last_cmd_buf_size = rs->cmd_buf_size;
        rs->last_cmd_buf_index = rs->cmd_buf_size;
    }
    if (rs->cmd_buf_index != rs->last_cmd_buf_index) {
        const char *seq = "\033[C";

        delta = rs->cmd_buf_index - rs->last_cmd_buf_index;
        if (delta < 0) {
            seq = "\033[D";
            delta = -delta;
        }
        for (i = 0; i < delta; i++) {
            rl_printf(rs, "%s", seq);
        }
        rs->last_cmd_buf_index = rs->cmd_buf_index;
    }
}

static void readline_insert_char(ReadLineState *rs, int ch)
{
    if (rs->cmd_buf_size >= READLINE_CMD_BUF_SIZE) {
        return;
    }
    memmove(rs->cmd_buf + rs->cmd_buf_index + 1,
            rs->cmd_buf + rs->cmd_buf_index,
            rs->cmd_buf_size - rs->cmd_buf_index);
    rs->cmd_buf[rs->cmd_buf_index] = ch;
    rs->cmd_buf_size++;
    rs->cmd_buf_index++;
}

static void readline_backward_char(ReadLineState *rs)
{
    if (rs->cmd_buf_index > 0) {
        rs->cmd_buf_index--;
    }
}

static void readline_forward_char(ReadLineState *rs)
{
    if (rs->cmd_buf_index < rs->cmd_buf_size) {
        rs->cmd_buf_index++;
    }
}

static void readline_delete_char(ReadLineState *rs)
{
    if (rs->cmd_buf_index < rs->cmd_buf_size) {
        memmove(rs->cmd_buf + rs->cmd_buf_index,
                rs->cmd_buf + rs->cmd_buf_index + 1,
                rs->cmd_buf_size - rs->cmd_buf_index - 1);
        rs->cmd_buf_size--;
    }
}

static void readline_backspace(ReadLineState *rs)
{
    if (rs->cmd_buf_index > 0) {
        readline_backward_char(rs);
        readline_delete_char(rs);
    }
}

/* Ctrl-W: delete the word before the cursor. */
static void readline_backword(ReadLineState *rs)
{
    int start = rs->cmd_buf_index;

    while (start > 0 && rs->cmd_buf[start - 1] == ' ') {
        start--;
    }
    while (start > 0 && rs->cmd_buf[start - 1] != ' ') {
        start--;
    }
    memmove(rs->cmd_buf + start, rs->cmd_buf + rs->cmd_buf_index,
            rs->cmd_buf_size - rs->cmd_buf_index);
    rs->cmd_buf_size -= rs->cmd_buf_index - start;
    rs->cmd_buf_index = start;
}

static void readline_kill_line(ReadLineState *rs)     /* Ctrl-K */
{
    rs->cmd_buf_size = rs->cmd_buf_index;
}

static void readline_kill_before(ReadLineState *rs)   /* Ctrl-U */
{
    memmove(rs->cmd_buf, rs->cmd_buf + rs->cmd_buf_index,
            rs->cmd_buf_size - rs->cmd_buf_index);
    rs->cmd_buf_size -= rs->cmd_buf_index;
    rs->cmd_buf_index = 0;
}

static void readline_set_line(ReadLineState *rs, const char *line)
{
    int len = strlen(line);

    if (len > READLINE_CMD_BUF_SIZE) {
        len = READLINE_CMD_BUF_SIZE;
    }
    memcpy(rs->cmd_buf, line, len);
    rs->cmd_buf_size = rs->cmd_buf_index = len;
}

static int history_count(ReadLineState *rs)
{
    int n = 0;

    while (n < READLINE_MAX_CMDS && rs->history[n]) {
        n++;
    }
    return n;
}

static void readline_up_char(ReadLineState *rs)
{
    if (rs->hist_entry == 0) {
        return;
    }
    if (rs->hist_entry == -1) {
        rs->hist_entry = history_count(rs);
        if (rs->hist_entry == 0) {
            rs->hist_entry = -1;
            return;
        }
    }
    rs->hist_entry--;
    readline_set_line(rs, rs->history[rs->hist_entry]);
}

static void readline_down_char(ReadLineState *rs)
{
    if (rs->hist_entry == -1) {
        return;
    }
    if (rs->hist_entry < READLINE_MAX_CMDS - 1 &&
        rs->history[++rs->hist_entry]) {
        readline_set_line(rs, rs->history[rs->hist_entry]);
    } else {
        rs->hist_entry = -1;
        rs->cmd_buf_index = rs->cmd_buf_size = 0;
    }
}

/* Append to the history; an existing equal entry moves to the end. */
static void readline_hist_add(ReadLineState *rs, const char *cmdline)
{
    char *entry = NULL;
    int idx;

    if (cmdline[0] == '\0') {
        return;
    }
    for (idx = 0; idx < READLINE_MAX_CMDS && rs->history[idx]; idx++) {
        if (!strcmp(rs->history[idx], cmdline)) {
            entry = rs->history[idx];
            memmove(&rs->history[idx], &rs->history[idx + 1],
                    (READLINE_MAX_CMDS - idx - 1) * sizeof(char *));
            rs->history[READLINE_MAX_CMDS - 1] = NULL;
            break;
        }
    }
    if (!entry) {
        entry = xstrdup(cmdline);
    }
    idx = history_count(rs);
    if (idx == READLINE_MAX_CMDS) {
        /* Full: drop the oldest. */
        free(rs->history[0]);
        memmove(&rs->history[0], &rs->history[1],
                (READLINE_MAX_CMDS - 1) * sizeof(char *));
        idx--;
    }
    rs->history[idx] = entry;
    rs->hist_entry = -1;
}

static void readline_clear_completions(ReadLineState *rs)
{
    for (int i = 0; i < rs->nb_completions; i++) {
        free(rs->completions[i]);
        rs->completions[i] = NULL;
    }
    rs->nb_completions = 0;
}

void readline_add_completion(ReadLineState *rs, const char *str)
{
    if (rs->nb_completions >= READLINE_MAX_COMPLETIONS) {
        return;
    }
    for (int i = 0; i < rs->nb_completions; i++) {
        if (!strcmp(rs->completions[i], str)) {
            return;
        }
    }
    rs->completions[rs->nb_completions++] = xstrdup(str);
}

void readline_add_completion_of(ReadLineState *rs, const char *prefix,
                                const char *str)
{
    if (!strncmp(str, prefix, strlen(prefix))) {
        readline_add_completion(rs, str);
    }
}

void readline_set_completion_index(ReadLineState *rs, int index)
{
    rs->completion_index = index;
}

static int completion_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void readline_completion(ReadLineState *rs)
{
    char *cmdline;
    int len, max_width, nb_cols, i, j;

    if (!rs->completion_finder) {
        return;
    }
    readline_clear_completions(rs);
    rs->completion_index = 0;
    cmdline = xstrndup(rs->cmd_buf, rs->cmd_buf_index);
    rs->completion_finder(rs->opaque, rs, cmdline);
    free(cmdline);

    if (rs->nb_completions == 0) {
        return;
    }
    if (rs->nb_completions == 1) {
        const char *c = rs->completions[0];

        len = strlen(c);
        for (i = rs->completion_index; i < len; i++) {
            readline_insert_char(rs, c[i]);
        }
        if (len > 0 && c[len - 1] != '/') {
            readline_insert_char(rs, ' ');
        }
        readline_clear_completions(rs);
        return;
    }
    /* Several: extend to their common prefix, then list them. */
    qsort(rs->completions, rs->nb_completions, sizeof(char *),
          completion_cmp);
    len = strlen(rs->completions[0]);
    for (i = 1; i < rs->nb_completions; i++) {
        const char *c = rs->completions[i];
        for (j = 0; j < len && rs->completions[0][j] == c[j]; j++) {
        }
        len = j;
    }
    for (i = rs->completion_index; i < len; i++) {
        readline_insert_char(rs, rs->completions[0][i]);
    }
    max_width = 0;
    for (i = 0; i < rs->nb_completions; i++) {
        int l = strlen(rs->completions[i]);
        max_width = MAX(max_width, l);
    }
    max_width += 2;
    if (max_width < 10) {
        max_width = 10;
    } else if (max_width > 80) {
        max_width = 80;
    }
    nb_cols = 80 / max_width;
    j = 0;
    rl_printf(rs, "\n");
    for (i = 0; i < rs->nb_completions; i++) {
        rl_printf(rs, "%-*s", max_width, rs->completions[i]);
        if (++j == nb_cols || i == rs->nb_completions - 1) {
            rl_printf(rs, "\n");
            j = 0;
        }
    }
    readline_clear_completions(rs);
    readline_show_prompt(rs);
}

static void readline_enter(ReadLineState *rs)
{
    ReadLineFunc *func = rs->readline_func;
    char line[READLINE_CMD_BUF_SIZE + 1];

    rs->cmd_buf[rs->cmd_buf_size] = '\0';
    readline_hist_add(rs, rs->cmd_buf);
    rl_printf(rs, "\n");
    memcpy(line, rs->cmd_buf, rs->cmd_buf_size + 1);
    rs->cmd_buf_index = rs->cmd_buf_size = 0;
    rs->last_cmd_buf_index = rs->last_cmd_buf_size = 0;
    if (func) {
        func(rs->readline_opaque, line);
    }
}

void readline_handle_byte(ReadLineState *rs, int ch)
{
    bool was_cr = rs->last_was_cr;

    ch &= 0xff;
    rs->last_was_cr = false;
    switch (rs->esc_state) {
    case IS_NORM:
        switch (ch) {
        case 1:                     /* Ctrl-A */
            rs->cmd_buf_index = 0;
            break;
        case 2:                     /* Ctrl-B */
            readline_backward_char(rs);
            break;
        case 4:                     /* Ctrl-D */
            readline_delete_char(rs);
            break;
        case 5:                     /* Ctrl-E */
            rs->cmd_buf_index = rs->cmd_buf_size;
            break;
        case 6:                     /* Ctrl-F */
            readline_forward_char(rs);
            break;
        case 9:
            readline_completion(rs);
            break;
        case 11:                    /* Ctrl-K */
            readline_kill_line(rs);
            break;
        case 14:                    /* Ctrl-N */
            readline_down_char(rs);
            break;
        case 16:                    /* Ctrl-P */
            readline_up_char(rs);
            break;
        case 21:                    /* Ctrl-U */
            readline_kill_before(rs);
            break;
        case 23:                    /* Ctrl-W */
            readline_backword(rs);
            break;
        case 10:
            if (was_cr) {
                return;             /* the LF of CR LF: already entered */
            }
            readline_enter(rs);
            return;
        case 13:
            rs->last_was_cr = true;
            readline_enter(rs);
            return;
        case 27:
            rs->esc_state = IS_ESC;
            break;
        case 8:
        case 127:
            readline_backspace(rs);
            break;
        case 155:                   /* 8-bit CSI */
            rs->esc_state = IS_CSI;
            rs->esc_param = 0;
            break;
        default:
            if (ch >= 32) {
                readline_insert_char(rs, ch);
            }
            break;
        }
        break;
    case IS_ESC:
        if (ch == '[') {
            rs->esc_state = IS_CSI;
            rs->esc_param = 0;
        } else if (ch == 'O') {
            rs->esc_state = IS_SS3;
            rs->esc_param = 0;
        } else {
            rs->esc_state = IS_NORM;
        }
        break;
    case IS_CSI:
        switch (ch) {
        case 'A':
        case 'F':
            if (ch == 'A') {
                readline_up_char(rs);
            } else {
                rs->cmd_buf_index = rs->cmd_buf_size;
            }
            break;
        case 'B':
            readline_down_char(rs);
            break;
        case 'C':
            readline_forward_char(rs);
            break;
        case 'D':
            readline_backward_char(rs);
            break;
        case 'H':
            rs->cmd_buf_index = 0;
            break;
        case '0' ... '9':
            rs->esc_param = rs->esc_param * 10 + (ch - '0');
            if (rs->esc_param > 1000) {
                rs->esc_param = 1000;
            }
            return;
        case '~':
            switch (rs->esc_param) {
            case 1:
            case 7:
                rs->cmd_buf_index = 0;
                break;
            case 3:
                readline_delete_char(rs);
                break;
            case 4:
            case 8:
                rs->cmd_buf_index = rs->cmd_buf_size;
                break;
            }
            break;
        default:
            break;
        }
        rs->esc_state = IS_NORM;
        break;
    case IS_SS3:
        if (ch == 'F') {
            rs->cmd_buf_index = rs->cmd_buf_size;
        } else if (ch == 'H') {
            rs->cmd_buf_index = 0;
        }
        rs->esc_state = IS_NORM;
        break;
    }
    readline_update(rs);
}

void readline_start(ReadLineState *rs, const char *prompt,
                    ReadLineFunc *func, void *opaque)
{
    snprintf(rs->prompt, sizeof(rs->prompt), "%s", prompt);
    rs->readline_func = func;
    rs->readline_opaque = opaque;
    rs->cmd_buf_index = rs->cmd_buf_size = 0;
}

void readline_restart(ReadLineState *rs)
{
    rs->cmd_buf_index = rs->cmd_buf_size = 0;
    rs->esc_state = IS_NORM;
    rs->hist_entry = -1;
}

const char *readline_get_history(ReadLineState *rs, unsigned int index)
{
    return index < READLINE_MAX_CMDS ? rs->history[index] : NULL;
}

const char *readline_get_line(ReadLineState *rs)
{
    rs->cmd_buf[rs->cmd_buf_size] = '\0';
    return rs->cmd_buf;
}

int readline_get_cursor(ReadLineState *rs)
{
    return rs->cmd_buf_index;
}

ReadLineState *readline_init(ReadLineOutputFunc *out,
                             ReadLineCompletionFunc *completion,
                             void *opaque)
{
    ReadLineState *rs = xnew(ReadLineState);

    rs->hist_entry = -1;
    rs->out = out;
    rs->opaque = opaque;
    rs->completion_finder = completion;
    return rs;
}

void readline_free(ReadLineState *rs)
{
    if (!rs) {
        return;
    }
    for (int i = 0; i < READLINE_MAX_CMDS; i++) {
        free(rs->history[i]);
    }
    readline_clear_completions(rs);
    free(rs);
}
