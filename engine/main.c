/* main.c - the `sluice` command: dispatch to run, spool, checkpoint, check. */
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "failpoint.h"
#include "inspect.h"
#include "run.h"

#ifndef SLUICE_VERSION
#define SLUICE_VERSION "0.1.0"
#endif

/* jemalloc reads this at start: freed pages go back to the kernel within a second
 * instead of ten, so the resident set follows what is in flight (--memory-budget
 * watches it) even with 1024 connections growing and shrinking their buffers at
 * different times. Unused when another allocator is linked (sanitizer builds). */
const char *malloc_conf;
const char *malloc_conf = "dirty_decay_ms:1000,muzzy_decay_ms:0";

static void usage(FILE *o)
{
    fprintf(o,
            "sluice %s - collector for Microsoft Defender XDR event streams\n\n"
            "usage: sluice <command> [flags]\n\n"
            "commands:\n"
            "  run          collect: source -> normalize to OCSF -> LZ4 spool, with checkpoints\n"
            "               (sluice run --help for every flag)\n"
            "  spool cat    print the spooled events (or --dead-letters) as NDJSON\n"
            "  spool verify check every frame and CRC of a spool directory\n"
            "  checkpoint show  print the checkpoints of a spool directory as JSON\n"
            "  check        first set-up: connect to the Event Hub step by step and read one\n"
            "               event per partition (sluice check --help)\n"
            "  version      print the version\n\n"
            "Captures for --source replay:CAPTURE are made with sluice-replay (synth, import).\n",
            SLUICE_VERSION);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    const char *cmd = argv[1];
    if (strcmp(cmd, "run") == 0) {
        /* test-only fail points (failpoint.h): armed before any thread exists */
        if (failpoint_init() != 0) {
            fprintf(stderr, "sluice: SLUICE_FAILPOINTS is invalid (see the line above); it is "
                            "for tests only: fix it or unset it\n");
            return 2;
        }
        return run_main(argc - 2, argv + 2);
    }
    if (strcmp(cmd, "spool") == 0)
        return inspect_spool_main(argc - 2, argv + 2);
    if (strcmp(cmd, "check") == 0)
        return check_main(argc - 2, argv + 2);
    if (strcmp(cmd, "checkpoint") == 0)
        return inspect_checkpoint_main(argc - 2, argv + 2);
    if (strcmp(cmd, "version") == 0 || strcmp(cmd, "--version") == 0) {
        printf("sluice %s\n", SLUICE_VERSION);
        return 0;
    }
    if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0 || strcmp(cmd, "help") == 0) {
        usage(stdout);
        return 0;
    }
    fprintf(stderr, "sluice: unknown command \"%s\" (see sluice --help)\n", cmd);
    return 2;
}
