/* check.h - `sluice check`: first set-up checks of an Event Hubs connection, and
 * the credential set-up it shares with sluice-replay record. */
#ifndef SLUICE_CHECK_H
#define SLUICE_CHECK_H

#include <stddef.h>

#include "cfg.h"
#include "compiler.h"
#include "rx.h"

/* `sluice check [flags]` (argv[0] is the first flag): 0 all steps ok, 1 some
 * step failed, 2 usage error. @thread main @blocking (each step bounded) */
int check_main(int argc, char **argv);

#endif
