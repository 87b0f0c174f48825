/* err.h - the one error convention (STYLE.md §5).
 *
 * int functions return 0 (or a count) on success and a negative errno (-EINVAL,
 * -ENOMEM, -EAGAIN...) on failure, the same convention as io_uring's cqe->res.
 * Domain errors that have no errno are enum err values below -4096, so they
 * never collide with -errno. err_str() names either kind.
 */
#ifndef SLUICE_ERR_H
#define SLUICE_ERR_H

enum err {
    ERR_BASE = -5000,
    ERR_JSON,        /* input is not valid JSON */
    ERR_NO_TABLE,    /* record has no usable "category" */
    ERR_NO_TIME,     /* record has neither a usable Timestamp nor envelope time */
    ERR_NOT_RECORDS, /* message body is not a {"records":[...]} envelope */
    ERR_FORMAT,      /* file does not have the expected format (magic, version) */
    ERR_CRC,         /* checksum mismatch */
    ERR_TRUNCATED,   /* file or frame ends early */
    ERR_LZ4,         /* LZ4 frame failed to decode */
    ERR_TOO_BIG,     /* an item exceeds a configured limit */
    ERR_ORDER,       /* sequence numbers go backwards where they must not */
    ERR_LAST
};

/* Name of a negative errno or enum err value; never NULL. @thread any */
const char *err_str(int err);

#endif
