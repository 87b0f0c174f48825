/* cli.h - the flag table of `sluice run` (STYLE.md §12): one row per flag with
 * its name, value syntax, default, unit and help, and a validator. --help,
 * --print-config and the README's flag reference all come from this table. */
#ifndef SLUICE_CLI_H
#define SLUICE_CLI_H

#include <stdio.h>

#include "cfg.h"
#include "compiler.h"

/* Fill cfg with defaults, then apply argv (argv[0] is the first flag).
 * Returns 0; 1 when --help or --print-config was handled (printed to out);
 * 2 on a usage error, after printing ONE line naming the flag to err. */
int cli_parse_run(int argc, char **argv, struct run_cfg *cfg, FILE *out, FILE *err) MUST_CHECK;

/* Parse the flags of another command that connects like `sluice run --source
 * eventhub` (sluice check, sluice-replay record): cfg gets every `run` default and
 * source eventhub, then argv may give only the flags named in allowed (a NULL
 * terminated list of names without "--"; they keep their `run` syntax and
 * meaning). prog prefixes messages ("sluice check"). Returns 0; 1 for --help
 * (nothing printed: the caller prints its own text); 2 on a usage error, after
 * printing ONE line to err. */
int cli_parse_eventhub(const char *prog, int argc, char **argv, const char *const *allowed,
                       struct run_cfg *cfg, FILE *err) MUST_CHECK;

/* Print the flag reference for `sluice run` (used by --help and README). */
void cli_print_run_help(FILE *out);

/* Print the resolved configuration, one "flag = value" per line. */
void cli_print_config(const struct run_cfg *cfg, FILE *out);

/* Parse sizes like "4096", "64K", "1MiB", "2G" (binary units) into *out.
 * 0 or -EINVAL / -ERANGE. */
int cli_parse_bytes(const char *s, uint64_t *out) MUST_CHECK;

#endif
