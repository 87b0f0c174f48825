/* failpoint.h - named fail points, FOR TESTS ONLY (STYLE.md §10 "recovery").
 *
 * A fail point is a named place in the code where a test can make sluice die
 * (SIGKILL) or fail an operation (an errno), to prove that a crash or an I/O
 * error at exactly that place loses nothing. They are armed only by the
 * environment variable SLUICE_FAILPOINTS (STYLE.md §12: the one hidden
 * environment variable we allow); unset, every FAILPOINT() costs one
 * predictable branch on a global that never changes after start.
 *
 *   SLUICE_FAILPOINTS="name=action[@N][*M],name2=action2..."
 *     action  kill        raise(SIGKILL): the process dies at once, no cleanup
 *             err:ENOSPC  the operation fails with -ENOSPC
 *             err:EIO     the operation fails with -EIO
 *     @N      fire first on the Nth hit of that name (1-based; default 1)
 *     *M      fire on M consecutive hits from there (default 1; 0: forever)
 *   e.g. SLUICE_FAILPOINTS='spool.write=err:ENOSPC@5*200,ckpt.renamed=kill@3'
 *
 * Names (a name not in this list is rejected, so a typo cannot silently make a
 * test pass):
 *   spool.write        a spool write completion: an err action makes it fail as
 *                      if write() had returned that errno (the retry path)
 *   spool.submitted    after io_uring_submit() sent at least one write
 *   spool.written      after a write completed in full, before the fdatasync that
 *                      covers it is reaped
 *   spool.synced       after an fdatasync completed, before the writes it covers
 *                      are reported durable (before tracker_done)
 *   ckpt.temp_partial  after part of the checkpoint temp file was written; err:
 *                      ckpt_save() fails with it (the temp file is removed)
 *   ckpt.renamed       after the checkpoint rename, before the directory fsync;
 *                      err: ckpt_save() fails with it
 *   sink.delivered     (forwarders) after a sink delivered a batch (or a segment
 *                      file, for dir:), before its delivery marker is saved
 * Where an err action is not listed above, the point only supports kill and
 * ignores err.
 *
 * Hit counts are per name and atomic, so points on several threads count
 * correctly. Each point logs once, at its first firing.
 */
#ifndef SLUICE_FAILPOINT_H
#define SLUICE_FAILPOINT_H

#include <stdbool.h>

#include "compiler.h"

/* true when SLUICE_FAILPOINTS is set (and parsed); written by failpoint_init only. */
extern bool failpoint_armed;

/* Parse SLUICE_FAILPOINTS (once, from main(), before any thread starts; tests
 * may call it again to re-arm: it replaces every point and its hit count).
 * Unset or empty: nothing armed, 0. Returns 0, or -EINVAL after a log_err naming
 * the bad spec and why (nothing is armed then). @thread control @blocking */
int failpoint_init(void) MUST_CHECK;

/* Count a hit of name. 0 when the point is not armed or not firing on this hit;
 * action kill: raise(SIGKILL), never returns; err:E: returns -E. @thread any */
int failpoint_hit(const char *name);

#define FAILPOINT(name) (UNLIKELY(failpoint_armed) ? failpoint_hit(name) : 0)

#endif
