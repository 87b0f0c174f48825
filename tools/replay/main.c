/* main.c - sluice-replay: make, inspect and play capture files (DESIGN.md §8).
 *
 * DESIGN
 * `sluice-replay <command> [flags] [args]`. Each command has one flag table
 * (long name, metavar, kind, range, default, help); parsing, validation, the
 * per-command --help text and the error messages are all generated from it, so
 * they cannot drift apart (STYLE.md §12). Flags are long only, as `--name value`
 * or `--name=value`; `--` ends the flags.
 *
 * Exit status: 0 ok; 1 a runtime error (I/O, a bad capture); 2 a usage error,
 * reported as exactly ONE line on stderr that names the flag and the fix, and
 * detected before any file is created. A command that fails after creating its
 * output removes the half-written file. Results (summaries, stat) are JSON on
 * stdout; nothing else is printed there.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "capture.h"
#include "clock.h"
#include "err.h"
#include "import.h"
#include "record.h"
#include "serve.h"
#include "stat.h"
#include "synth.h"
#include "text.h"

#define PROG "sluice-replay"
#define EXIT_RUNTIME 1
#define EXIT_USAGE 2

#define SYNTH_DEF_NS  "synth.servicebus.windows.net"
#define SYNTH_DEF_HUB "defender"

enum flag_kind { FK_PATH, FK_NUM, FK_HOST, FK_HUB, FK_TIME, FK_STR };

/* Parsed command line: every command fills only its own fields. */
struct opts {
    const char *out;
    uint64_t partitions, events, seed, k;
    const char *ns, *hub;
    int64_t start_ms;
    bool has_ns, has_hub, has_start;
    const char *listen, *cgs, *key_name, *key_env, *faults; /* serve */
    const char *tls_cert, *tls_key;                         /* serve */
    uint64_t rate;
    char **args; /* positional arguments */
    int nargs;
};

struct flag {
    const char *name;    /* without the leading "--" */
    const char *metavar;
    enum flag_kind kind;
    uint64_t min, max;   /* FK_NUM */
    size_t off;          /* where in struct opts the value goes */
    bool required;
    const char *help;
};

struct cmd {
    const char *name;
    const char *usage;   /* after "sluice-replay <name> " */
    const char *summary; /* one line, for the tool's help */
    const char *about;   /* paragraph(s) for the command's help */
    const struct flag *flags;
    size_t nflags;
    int min_args, max_args; /* positional arguments; max -1: any number */
    int (*run)(struct opts *o);
};

#define OFF(f) offsetof(struct opts, f)

static const struct flag synth_flags[] = {
    {"out", "CAPTURE", FK_PATH, 0, 0, OFF(out), true,
     "capture file to write (created or truncated, mode 0644)"},
    {"partitions", "N", FK_NUM, 1, CAPTURE_MAX_PARTITIONS, OFF(partitions), true,
     "partitions of the hub; messages go round-robin over them"},
    {"events", "N", FK_NUM, 1, 1000000000000ull, OFF(events), true,
     "records to generate, all partitions together"},
    {"seed", "S", FK_NUM, 0, UINT64_MAX, OFF(seed), false,
     "random seed; the same flags give a byte-identical capture (default 1)"},
    {"records-per-message", "K", FK_NUM, 1, UINT16_MAX, OFF(k), false,
     "records per Event Hub message body (default 10)"},
    {"namespace", "FQDN", FK_HOST, 0, 0, OFF(ns), false,
     "namespace written into the capture (default " SYNTH_DEF_NS ")"},
    {"eventhub", "NAME", FK_HUB, 0, 0, OFF(hub), false,
     "event hub name written into the capture (default " SYNTH_DEF_HUB ")"},
    {"start-time", "ISO8601", FK_TIME, 0, 0, OFF(start_ms), false,
     "time of the first event, e.g. 2024-05-01T12:00:00Z, also the capture's created time "
     "(default: the generator's fixed time; created time 0)"},
};

static const struct flag import_flags[] = {
    {"out", "CAPTURE", FK_PATH, 0, 0, OFF(out), true,
     "capture file to write (created or truncated, mode 0644)"},
    {"partitions", "N", FK_NUM, 1, CAPTURE_MAX_PARTITIONS, OFF(partitions), true,
     "partitions of the hub; messages go round-robin over them"},
    {"records-per-message", "K", FK_NUM, 1, UINT16_MAX, OFF(k), false,
     "records per message at most (default 10)"},
    {"namespace", "FQDN", FK_HOST, 0, 0, OFF(ns), false,
     "namespace of the hub the records came from; needs --eventhub"},
    {"eventhub", "NAME", FK_HUB, 0, 0, OFF(hub), false,
     "event hub name; needs --namespace. Without both, every message carries its file's "
     "name and line, and downstream ids are file ids"},
    {"start-time", "ISO8601", FK_TIME, 0, 0, OFF(start_ms), false,
     "enqueued time of the first message and created time of the capture, for reproducible "
     "captures (default: now)"},
};

static const struct flag serve_flags[] = {
    {"listen", "HOST:PORT", FK_STR, 0, 0, OFF(listen), true,
     "address to listen on (plain AMQP, or AMQPS with --tls-cert and --tls-key); PORT 0 picks "
     "a free port, printed on stdout as \"listening HOST:PORT\""},
    {"hub", "NAME", FK_HUB, 0, 0, OFF(hub), false,
     "event hub name served (default: the capture's, else eh1)"},
    {"consumer-groups", "LIST", FK_STR, 0, 0, OFF(cgs), false,
     "comma-separated consumer groups besides $default (which always exists)"},
    {"sas-key-name", "NAME", FK_STR, 0, 0, OFF(key_name), false,
     "verify put-token SAS tokens for this key name (default: accept any token); needs "
     "--sas-key-env"},
    {"sas-key-env", "VAR", FK_STR, 0, 0, OFF(key_env), false,
     "environment variable holding the SharedAccessKey (secrets never go in argv)"},
    {"rate", "EVENTS/S", FK_NUM, 0, 1000000000ull, OFF(rate), false,
     "events per second delivered over all receivers (default 0: unlimited)"},
    {"faults", "SPEC", FK_STR, 0, 0, OFF(faults), false,
     "injected faults, e.g. detach=0.01,drop=0.005,throttle=0.01,busy=0.01,slow=5ms: per "
     "delivered event detach the link, drop the connection or detach it as server-busy "
     "(throttle), per producer transfer reject as server-busy (busy), pause between a "
     "link's sends"},
    {"tls-cert", "FILE", FK_PATH, 0, 0, OFF(tls_cert), false,
     "PEM server certificate (leaf first, then any intermediates): serve AMQPS (TLS) instead "
     "of plain AMQP; needs --tls-key"},
    {"tls-key", "FILE", FK_PATH, 0, 0, OFF(tls_key), false,
     "PEM private key of --tls-cert, unencrypted; needs --tls-cert"},
};

static const struct flag no_flags[1];

static int cmd_synth(struct opts *o);
static int cmd_import(struct opts *o);
static int cmd_stat(struct opts *o);
/* Never called: record parses its own flags (main dispatches it first). */
static int cmd_record(struct opts *o)
{
    (void)o;
    return EXIT_USAGE;
}

static int cmd_serve(struct opts *o);

static const struct cmd cmds[] = {
    {"synth", "--out CAPTURE --partitions N --events N [flags]",
     "generate realistic synthetic Defender traffic into a capture",
     "Generates Defender streaming-API records (the Device*/Alert* tables in a realistic mix),\n"
     "K records per Event Hub message, round-robin over the partitions, and writes them to\n"
     "a capture. Prints a one-line JSON summary: path, events, messages, bytes (message body\n"
     "bytes), file_bytes, seconds, mb_per_s (body MB per second).",
     synth_flags, ARRAY_SIZE(synth_flags), 0, 0, cmd_synth},
    {"import", "--out CAPTURE --partitions N [flags] FILE...",
     "group JSON-lines files (Defender storage blobs) into a capture",
     "Reads JSON-lines FILEs (one record per line, LF or CRLF, blank lines skipped) and\n"
     "groups consecutive lines into message bodies {\"records\":[...]}, K per message, never\n"
     "across a blank line or a file; a line that is not a JSON object goes alone into its\n"
     "own message. Messages go round-robin over the partitions; sequence numbers start at 0;\n"
     "the offset is the partition's body bytes before the message; the enqueued time is the\n"
     "start time plus the message's index in ms. Prints a one-line JSON summary.",
     import_flags, ARRAY_SIZE(import_flags), 1, -1, cmd_import},
    {"stat", "CAPTURE", "print a capture's summary as JSON (and verify every block)",
     "Reads and checks the whole capture and prints one JSON object: path, namespace,\n"
     "eventhub, partitions, created_ms, messages, records, events (== records), bytes (body\n"
     "bytes), file_bytes, blocks, and per_partition {\"<p>\": {messages, records, bytes,\n"
     "blocks, first_sequence_number, last_sequence_number}} (-1 for an empty partition).",
     no_flags, 0, 1, 1, cmd_stat},
    {"serve", "CAPTURE --listen HOST:PORT [flags]",
     "serve a capture as an Event Hubs-compatible AMQP 1.0 endpoint",
     "Serves the capture's partitions as one event hub over plain AMQP 1.0 (SASL ANONYMOUS,\n"
     "$cbs put-token, $management READ, receiver links with selector filters and epochs,\n"
     "producer links whose events are appended in memory), good enough for the official\n"
     "Event Hubs SDKs with UseDevelopmentEmulator=true. With --tls-cert and --tls-key it\n"
     "speaks AMQPS (TLS) instead, for clients that verify the certificate (a connection\n"
     "string without UseDevelopmentEmulator). Prints \"listening HOST:PORT\" on\n"
     "stdout once ready; logs on stderr; SIGINT or SIGTERM stop it cleanly (exit 0).",
     serve_flags, ARRAY_SIZE(serve_flags), 1, 1, cmd_serve},
    {"record", "--out CAPTURE [flags]", "record a live event hub into a capture",
     "Receives a live event hub over AMQP into a capture (every event's partition, sequence\n"
     "number, offset, enqueued time, partition key and body), with the connection flags of\n"
     "sluice run --source eventhub: --connection-string-env VAR (default\n"
     "SLUICE_CONNECTION_STRING) | --namespace HOST --eventhub NAME, --consumer-group NAME,\n"
     "--partitions all|LIST, --start earliest|latest|seq:N|offset:S|time:T. With\n"
     "--until-caught-up it stops once every partition reached the last sequence number read\n"
     "at the start; otherwise at SIGINT/SIGTERM. Either way the capture is finished cleanly\n"
     "and a one-line JSON summary is printed. Nothing is checkpointed.",
     no_flags, 0, 0, -1, cmd_record},
};

static const struct cmd *g_cmd; /* the command being run, for messages */

/* ---- messages ------------------------------------------------------------------------- */

/* A user-given string inside quotes, with anything unprintable escaped so the
 * message stays on one line. */
static void put_quoted(FILE *f, const char *s)
{
    fputc('"', f);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '"' || *p == '\\')
            fprintf(f, "\\%c", *p);
        else if (*p < 0x20 || *p == 0x7f)
            fprintf(f, "\\x%02x", *p);
        else
            fputc(*p, f);
    }
    fputc('"', f);
}

static int usage_bad_value(const struct flag *fl, const char *v, const char *what)
{
    fprintf(stderr, PROG ": --%s: ", fl->name);
    put_quoted(stderr, v);
    fprintf(stderr, " %s\n", what);
    return EXIT_USAGE;
}

static void tool_help(FILE *f)
{
    fprintf(f, "Usage: " PROG " <command> [flags]\n\n"
               "Makes, inspects and plays capture files: Event Hub events as received\n"
               "(DESIGN.md section 8).\n\nCommands:\n");
    for (size_t i = 0; i < ARRAY_SIZE(cmds); i++)
        fprintf(f, "  %-8s %s\n", cmds[i].name, cmds[i].summary);
    fprintf(f, "\nRun '" PROG " <command> --help' for a command's flags.\n"
               "Exit status: 0 ok, 1 runtime error, 2 usage error.\n");
}

/* Print text word-wrapped to 100 columns, continuation lines indented by indent. */
static void put_wrapped(FILE *f, const char *text, int col, int indent)
{
    const char *p = text;
    while (*p) {
        while (*p == ' ')
            p++;
        size_t w = strcspn(p, " ");
        if (col > indent && col + 1 + (int)w > 100) {
            fprintf(f, "\n%*s", indent, "");
            col = indent;
        } else if (col > indent) {
            fputc(' ', f);
            col++;
        }
        fwrite(p, 1, w, f);
        col += (int)w;
        p += w;
    }
    fputc('\n', f);
}

static void cmd_help(const struct cmd *c, FILE *f)
{
    fprintf(f, "Usage: " PROG " %s %s\n\n%s\n\nFlags:\n", c->name, c->usage, c->about);
    for (size_t i = 0; i < c->nflags; i++) {
        const struct flag *fl = &c->flags[i];
        char lhs[64], text[512];
        snprintf(lhs, sizeof(lhs), "--%s %s", fl->name, fl->metavar);
        int n = snprintf(text, sizeof(text), "%s", fl->help);
        if (fl->kind == FK_NUM && fl->max != UINT64_MAX)
            n += snprintf(text + n, sizeof(text) - (size_t)n, " [%" PRIu64 "..%" PRIu64 "]",
                          fl->min, fl->max);
        if (fl->required)
            snprintf(text + n, sizeof(text) - (size_t)n, " (required)");
        fprintf(f, "  %-28s ", lhs);
        put_wrapped(f, text, 31, 31);
    }
    fprintf(f, "  %-28s print this help and exit\n", "--help");
}

/* ---- value parsing ---------------------------------------------------------------------- */

static bool parse_u64(const char *s, uint64_t *v)
{
    uint64_t x = 0;
    if (!*s)
        return false;
    for (; *s; s++) {
        if (*s < '0' || *s > '9')
            return false;
        if (__builtin_mul_overflow(x, 10, &x) ||
            __builtin_add_overflow(x, (uint64_t)(*s - '0'), &x))
            return false;
    }
    *v = x;
    return true;
}

static bool is_alnum(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

/* A DNS host name: labels of 1..63 letters, digits and '-' (not at either end). */
static bool valid_host(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > CAPTURE_NAME_MAX)
        return false;
    size_t label = 0;
    for (size_t i = 0; i <= n; i++) {
        char c = s[i];
        if (c == '.' || c == '\0') {
            if (label == 0 || label > 63 || s[i - 1] == '-')
                return false;
            label = 0;
        } else if (is_alnum(c) || c == '-') {
            if (label == 0 && c == '-')
                return false;
            label++;
        } else {
            return false;
        }
    }
    return true;
}

/* Event Hubs entity names: letters, digits, '.', '-', '_'; first and last alphanumeric. */
static bool valid_hub(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > CAPTURE_NAME_MAX || !is_alnum(s[0]) || !is_alnum(s[n - 1]))
        return false;
    for (size_t i = 0; i < n; i++)
        if (!is_alnum(s[i]) && s[i] != '.' && s[i] != '-' && s[i] != '_')
            return false;
    return true;
}

static bool digits(const char **s, int n, int *v)
{
    int x = 0;
    for (int i = 0; i < n; i++) {
        char c = (*s)[i];
        if (c < '0' || c > '9')
            return false;
        x = x * 10 + (c - '0');
    }
    *s += n;
    *v = x;
    return true;
}

/* ISO 8601: YYYY-MM-DD[(T| )hh:mm[:ss[.fff...]][Z|(+|-)hh[:]mm]]; no zone means UTC. */
static bool parse_time(const char *s, int64_t *ms)
{
    int y, mo, d, h = 0, mi = 0, sec = 0, frac_ms = 0, tz_min = 0;
    if (!digits(&s, 4, &y) || *s++ != '-' || !digits(&s, 2, &mo) || *s++ != '-' ||
        !digits(&s, 2, &d))
        return false;
    if (*s == 'T' || *s == 't' || *s == ' ') {
        s++;
        if (!digits(&s, 2, &h) || *s++ != ':' || !digits(&s, 2, &mi))
            return false;
        if (*s == ':') {
            s++;
            if (!digits(&s, 2, &sec))
                return false;
            if (*s == '.' || *s == ',') {
                s++;
                int nd = 0;
                for (; *s >= '0' && *s <= '9'; s++, nd++)
                    if (nd < 3)
                        frac_ms = frac_ms * 10 + (*s - '0');
                if (nd == 0)
                    return false;
                for (; nd < 3; nd++)
                    frac_ms *= 10;
            }
        }
        if (*s == 'Z' || *s == 'z') {
            s++;
        } else if (*s == '+' || *s == '-') {
            int sign = *s++ == '-' ? -1 : 1, th, tm;
            if (!digits(&s, 2, &th))
                return false;
            if (*s == ':')
                s++;
            if (!digits(&s, 2, &tm) || th > 23 || tm > 59)
                return false;
            tz_min = sign * (th * 60 + tm);
        }
    }
    if (*s != '\0')
        return false;
    static const int mdays[12] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    if (y < 1970 || mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1] ||
        (mo == 2 && d == 29 && !leap) || h > 23 || mi > 59 || sec > 59)
        return false;
    struct tm tm = {.tm_year = y - 1900, .tm_mon = mo - 1, .tm_mday = d, .tm_hour = h,
                    .tm_min = mi, .tm_sec = sec};
    time_t t = timegm(&tm);
    if (t == (time_t)-1)
        return false;
    int64_t v = ((int64_t)t - (int64_t)tz_min * 60) * 1000 + frac_ms;
    if (v < 0)
        return false;
    *ms = v;
    return true;
}

/* Validate v for fl and store it. 0 or EXIT_USAGE (after printing the one line). */
static int set_flag(const struct flag *fl, const char *v, struct opts *o)
{
    char *base = (char *)o + fl->off;
    char msg[160];
    switch (fl->kind) {
    case FK_PATH:
        if (!*v)
            return usage_bad_value(fl, v, "is not a file path (give a path such as /tmp/x.cap)");
        *(const char **)(void *)base = v;
        return 0;
    case FK_NUM: {
        uint64_t x;
        if (!parse_u64(v, &x) || x < fl->min || x > fl->max) {
            snprintf(msg, sizeof(msg), "is not a number between %" PRIu64 " and %" PRIu64,
                     fl->min, fl->max);
            return usage_bad_value(fl, v, msg);
        }
        *(uint64_t *)(void *)base = x;
        return 0;
    }
    case FK_HOST:
        if (!valid_host(v))
            return usage_bad_value(fl, v,
                                   "is not a host name (letters, digits, '-' and '.', at most "
                                   "255 characters, e.g. myns.servicebus.windows.net)");
        *(const char **)(void *)base = v;
        o->has_ns = true;
        return 0;
    case FK_HUB:
        if (!valid_hub(v))
            return usage_bad_value(fl, v,
                                   "is not an event hub name (1-255 letters, digits, '.', '-' "
                                   "and '_', starting and ending with a letter or digit)");
        *(const char **)(void *)base = v;
        o->has_hub = true;
        return 0;
    case FK_STR:
        if (!*v)
            return usage_bad_value(fl, v, "is empty (give a value)");
        *(const char **)(void *)base = v;
        return 0;
    case FK_TIME:
        if (!parse_time(v, (int64_t *)(void *)base))
            return usage_bad_value(fl, v,
                                   "is not an ISO 8601 time from 1970 on (e.g. "
                                   "2024-05-01T12:00:00Z or 2024-05-01T14:00:00.250+02:00)");
        o->has_start = true;
        return 0;
    }
    return EXIT_USAGE;
}

/* Parse a command's arguments into o. 0, or EXIT_USAGE after one line on stderr. */
static int parse_args(const struct cmd *c, int argc, char **argv, struct opts *o)
{
    bool seen[16] = {false};
    bool flags_done = false;
    o->args = calloc((size_t)argc + 1, sizeof(*o->args));
    if (!o->args) {
        fprintf(stderr, PROG ": out of memory\n");
        return EXIT_RUNTIME;
    }
    for (int i = 0; i < argc; i++) {
        char *a = argv[i];
        if (flags_done || a[0] != '-' || a[1] == '\0') {
            if (c->max_args == 0) {
                fprintf(stderr, PROG ": %s: unexpected argument ", c->name);
                put_quoted(stderr, a);
                fprintf(stderr, " (%s takes flags only; see " PROG " %s --help)\n", c->name,
                        c->name);
                return EXIT_USAGE;
            }
            o->args[o->nargs++] = a;
            continue;
        }
        if (strcmp(a, "--") == 0) {
            flags_done = true;
            continue;
        }
        if (a[1] != '-') {
            fprintf(stderr, PROG ": %s: unknown flag ", c->name);
            put_quoted(stderr, a);
            fprintf(stderr, " (flags are long, e.g. --out; see " PROG " %s --help)\n", c->name);
            return EXIT_USAGE;
        }
        const char *name = a + 2, *eq = strchr(name, '=');
        size_t nlen = eq ? (size_t)(eq - name) : strlen(name);
        const struct flag *fl = NULL;
        size_t idx = 0;
        for (; idx < c->nflags; idx++) {
            if (strlen(c->flags[idx].name) == nlen && memcmp(c->flags[idx].name, name, nlen) == 0) {
                fl = &c->flags[idx];
                break;
            }
        }
        if (!fl) {
            fprintf(stderr, PROG ": %s: unknown flag --%.*s (see " PROG " %s --help)\n", c->name,
                    (int)MIN(nlen, 64u), name, c->name);
            return EXIT_USAGE;
        }
        if (seen[idx]) {
            fprintf(stderr, PROG ": --%s: given twice (give it once)\n", fl->name);
            return EXIT_USAGE;
        }
        seen[idx] = true;
        const char *v;
        if (eq) {
            v = eq + 1;
        } else if (i + 1 < argc && strncmp(argv[i + 1], "--", 2) != 0) {
            v = argv[++i];
        } else {
            fprintf(stderr, PROG ": --%s: needs a value (--%s %s)\n", fl->name, fl->name,
                    fl->metavar);
            return EXIT_USAGE;
        }
        int rc = set_flag(fl, v, o);
        if (rc)
            return rc;
    }
    for (size_t i = 0; i < c->nflags; i++) {
        if (c->flags[i].required && !seen[i]) {
            fprintf(stderr, PROG ": %s: --%s %s is required (see " PROG " %s --help)\n", c->name,
                    c->flags[i].name, c->flags[i].metavar, c->name);
            return EXIT_USAGE;
        }
    }
    if (o->nargs < c->min_args) {
        fprintf(stderr, PROG ": %s: missing %s (usage: " PROG " %s %s)\n", c->name,
                c->min_args == 1 && c->max_args == 1 ? "the CAPTURE argument" : "input FILEs",
                c->name, c->usage);
        return EXIT_USAGE;
    }
    if (c->max_args >= 0 && o->nargs > c->max_args) {
        fprintf(stderr, PROG ": %s: too many arguments (usage: " PROG " %s %s)\n", c->name,
                c->name, c->usage);
        return EXIT_USAGE;
    }
    return 0;
}

/* ---- commands ------------------------------------------------------------------------- */

static void print_summary(const char *path, const struct capture_totals *t, double secs,
                          const char *extra)
{
    printf("{\"path\":");
    json_fputs(stdout, path);
    printf(",\"events\":%" PRIu64 ",\"records\":%" PRIu64 ",\"messages\":%" PRIu64
           ",\"bytes\":%" PRIu64 ",\"file_bytes\":%" PRIu64 "%s,\"seconds\":%.3f,"
           "\"mb_per_s\":%.1f}\n",
           t->records, t->records, t->messages, t->bytes, t->file_bytes, extra, secs,
           secs > 0 ? (double)t->bytes / 1e6 / secs : 0.0);
}

static int create_failed(const char *path, int err)
{
    fprintf(stderr, PROG ": %s: cannot create ", g_cmd->name);
    put_quoted(stderr, path);
    fprintf(stderr, ": %s\n", err_str(err));
    return EXIT_RUNTIME;
}

static int write_failed(const char *path, int err)
{
    fprintf(stderr, PROG ": %s: writing ", g_cmd->name);
    put_quoted(stderr, path);
    fprintf(stderr, " failed: %s (the partial file was removed)\n", err_str(err));
    (void)unlink(path);
    return EXIT_RUNTIME;
}

static int cmd_synth(struct opts *o)
{
    int64_t t0 = clock_mono_ns();
    int err = 0;
    struct capture_writer *w = capture_writer_create(o->out, o->ns, o->hub,
                                                     (uint32_t)o->partitions, 0, &err);
    if (!w)
        return create_failed(o->out, err);
    /* The created time is part of the bytes; tie it to the flags, not the clock. */
    int rc = capture_writer_set_created_ms(w, o->has_start ? o->start_ms : 0);
    if (!rc) {
        struct synth_opts so = {
            .events = o->events,
            .partitions = (uint32_t)o->partitions,
            .records_per_message = (uint32_t)o->k,
            .seed = o->seed,
            .start_ms = o->has_start ? o->start_ms : 0,
        };
        rc = synth_generate(w, &so);
    }
    struct capture_totals t;
    int rc2 = capture_writer_close_totals(w, &t);
    if (rc || rc2)
        return write_failed(o->out, rc ? rc : rc2);
    print_summary(o->out, &t, (double)(clock_mono_ns() - t0) / 1e9, "");
    return 0;
}

static int cmd_import(struct opts *o)
{
    if (o->has_ns != o->has_hub) {
        fprintf(stderr, PROG ": %s: needs %s too (give both --namespace and --eventhub, or "
                        "neither for file ids)\n",
                o->has_ns ? "--namespace" : "--eventhub", o->has_ns ? "--eventhub" : "--namespace");
        return EXIT_USAGE;
    }
    /* Check the inputs before truncating the output, which must not be one of them. */
    struct stat out_st;
    bool out_exists = stat(o->out, &out_st) == 0;
    for (int i = 0; i < o->nargs; i++) {
        struct stat st;
        const char *why = NULL;
        if (stat(o->args[i], &st) != 0)
            why = strerror(errno);
        else if (S_ISDIR(st.st_mode))
            why = "is a directory";
        if (why) {
            fprintf(stderr, PROG ": import: cannot read ");
            put_quoted(stderr, o->args[i]);
            fprintf(stderr, ": %s\n", why);
            return EXIT_RUNTIME;
        }
        if (out_exists && st.st_dev == out_st.st_dev && st.st_ino == out_st.st_ino) {
            fprintf(stderr, PROG ": --out: ");
            put_quoted(stderr, o->out);
            fprintf(stderr, " is also an input FILE (write the capture elsewhere)\n");
            return EXIT_USAGE;
        }
    }

    int64_t t0 = clock_mono_ns();
    int64_t start_ms = o->has_start ? o->start_ms : clock_real_ms();
    int err = 0;
    struct capture_writer *w = capture_writer_create(o->out, o->has_ns ? o->ns : "",
                                                     o->has_hub ? o->hub : "",
                                                     (uint32_t)o->partitions, 0, &err);
    if (!w)
        return create_failed(o->out, err);
    int rc = capture_writer_set_created_ms(w, start_ms);
    struct import_stats st = {0};
    size_t failed = SIZE_MAX;
    if (!rc) {
        struct import_opts io = {
            .partitions = (uint32_t)o->partitions,
            .records_per_message = (uint32_t)o->k,
            .with_origin = !o->has_ns,
            .start_ms = start_ms,
        };
        rc = import_files(w, &io, (const char *const *)o->args, (size_t)o->nargs, &st, &failed);
    }
    struct capture_totals t;
    int rc2 = capture_writer_close_totals(w, &t);
    if (rc && failed != SIZE_MAX) {
        fprintf(stderr, PROG ": import: reading ");
        put_quoted(stderr, o->args[failed]);
        fprintf(stderr, " failed: %s (no capture written)\n", err_str(rc));
        (void)unlink(o->out);
        return EXIT_RUNTIME;
    }
    if (rc || rc2)
        return write_failed(o->out, rc ? rc : rc2);
    char extra[160];
    snprintf(extra, sizeof(extra),
             ",\"files\":%" PRIu64 ",\"lines\":%" PRIu64 ",\"blank_lines\":%" PRIu64
             ",\"not_json_lines\":%" PRIu64,
             st.files, st.lines, st.blank, st.not_json);
    print_summary(o->out, &t, (double)(clock_mono_ns() - t0) / 1e9, extra);
    return 0;
}

static int cmd_stat(struct opts *o)
{
    int rc = stat_print_json(o->args[0], stdout);
    if (rc) {
        fprintf(stderr, PROG ": stat: ");
        put_quoted(stderr, o->args[0]);
        fprintf(stderr, ": %s\n", err_str(rc));
        return EXIT_RUNTIME;
    }
    return 0;
}

static int cmd_serve(struct opts *o)
{
    struct replay_serve_opts so = {
        .capture = o->args[0],
        .listen = o->listen,
        .hub = o->has_hub ? o->hub : NULL,
        .cgs = o->cgs,
        .key_name = o->key_name,
        .key_env = o->key_env,
        .rate = o->rate,
        .faults = o->faults,
        .tls_cert = o->tls_cert,
        .tls_key = o->tls_key,
    };
    int rc = replay_serve_check(&so);
    return rc ? rc : replay_serve(&so);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, PROG ": no command given (see " PROG " --help)\n");
        return EXIT_USAGE;
    }
    const char *name = argv[1];
    if (strcmp(name, "--help") == 0 || strcmp(name, "help") == 0) {
        if (argc == 3) {
            for (size_t i = 0; i < ARRAY_SIZE(cmds); i++) {
                if (strcmp(argv[2], cmds[i].name) == 0) {
                    cmd_help(&cmds[i], stdout);
                    return 0;
                }
            }
        }
        tool_help(stdout);
        return 0;
    }
    for (size_t i = 0; i < ARRAY_SIZE(cmds); i++) {
        if (strcmp(name, cmds[i].name) != 0)
            continue;
        g_cmd = &cmds[i];
        for (int j = 2; j < argc && strcmp(argv[j], "--") != 0; j++) {
            if (strcmp(argv[j], "--help") == 0) {
                cmd_help(g_cmd, stdout);
                return 0;
            }
        }
        if (g_cmd->run == cmd_record)
            return replay_record_main(argc - 2, argv + 2);
        struct opts o = {
            .seed = 1,
            .k = 10,
            .ns = SYNTH_DEF_NS,
            .hub = SYNTH_DEF_HUB,
        };
        int rc = parse_args(g_cmd, argc - 2, argv + 2, &o);
        if (!rc)
            rc = g_cmd->run(&o);
        free(o.args);
        if (fflush(stdout) != 0 && !rc) {
            fprintf(stderr, PROG ": %s: writing to stdout failed: %s\n", name, strerror(errno));
            rc = EXIT_RUNTIME;
        }
        return rc;
    }
    fprintf(stderr, PROG ": unknown command ");
    put_quoted(stderr, name);
    fprintf(stderr, " (commands:");
    for (size_t i = 0; i < ARRAY_SIZE(cmds); i++)
        fprintf(stderr, "%s %s", i ? "," : "", cmds[i].name);
    fprintf(stderr, "; see " PROG " --help)\n");
    return EXIT_USAGE;
}
