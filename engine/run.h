/* run.h - the `sluice run` command: lifecycle of the collector. */
#ifndef SLUICE_RUN_H
#define SLUICE_RUN_H

/* Run the collector with argv (flags after "run"). Returns the process exit
 * status: 0 ok, 1 runtime failure, 2 usage error. @thread control */
int run_main(int argc, char **argv);

#endif
