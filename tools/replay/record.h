/* record.h - `sluice-replay record`: a live event hub recorded into a capture. */
#ifndef SLUICE_RECORD_H
#define SLUICE_RECORD_H

/* `sluice-replay record --out CAPTURE [flags]` (argv[0] is the first flag).
 * 0 done (the capture is complete and closed), 1 runtime error, 2 usage error.
 * @thread main @blocking (until caught up, or SIGINT/SIGTERM) */
int replay_record_main(int argc, char **argv);

#endif
