/* inspect.h - `sluice spool cat|verify` and `sluice checkpoint show`. */
#ifndef SLUICE_INSPECT_H
#define SLUICE_INSPECT_H

/* Each returns the process exit status (0 ok, 1 problem found/runtime error, 2 usage). */
int inspect_spool_main(int argc, char **argv);
int inspect_checkpoint_main(int argc, char **argv);

#endif
