/* io_file.h - small file helpers shared inside io/ (spool recovery, captures,
 * checkpoint files, sinks). */
#ifndef SLUICE_IO_FILE_H
#define SLUICE_IO_FILE_H

#include <stddef.h>

#include "compiler.h"

/* write(2) all n bytes, retrying EINTR and short writes. 0, or -errno (-EIO
 * when write returns 0). @thread any @blocking */
int io_write_all(int fd, const void *p, size_t n) MUST_CHECK;

/* fsync the directory dir, making the names in it durable. 0 or -errno.
 * @thread any @blocking */
int io_fsync_dir(const char *dir) MUST_CHECK;

#endif
