/* err.c - names for error codes. */
#include "err.h"

#include <string.h>

const char *err_str(int err)
{
    switch (err) {
    case ERR_JSON: return "invalid JSON";
    case ERR_NO_TABLE: return "no table (missing or unusable category)";
    case ERR_NO_TIME: return "no usable time";
    case ERR_NOT_RECORDS: return "body is not a {\"records\":[...]} envelope";
    case ERR_FORMAT: return "unexpected file format";
    case ERR_CRC: return "checksum mismatch";
    case ERR_TRUNCATED: return "truncated";
    case ERR_LZ4: return "LZ4 decode failed";
    case ERR_TOO_BIG: return "too big";
    case ERR_ORDER: return "out of order";
    default: break;
    }
    if (err < 0 && err > -4096)
        return strerror(-err); /* glibc's strerror is thread-safe for valid codes */
    if (err == 0)
        return "success";
    return "unknown error";
}
