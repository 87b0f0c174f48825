/* text.h - small text helpers every layer needs the same way: hex digit values
 * and JSON string escaping (one rule for the summary, checkpoint files, capture
 * stats, token requests and inspection output).
 */
#ifndef SLUICE_TEXT_H
#define SLUICE_TEXT_H

#include <stddef.h>
#include <stdio.h>

/* The value of hex digit c, or -1. */
static inline int hex_digit(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* The escape for byte c inside a JSON string, written to out (NUL-terminated):
 * its length, or 0 when c stands for itself. Bytes >= 0x80 pass through (UTF-8). */
static inline size_t json_esc(unsigned char c, char out[8])
{
    static const char hex[] = "0123456789abcdef";
    const char *short_esc = c == '"'    ? "\\\""
                            : c == '\\' ? "\\\\"
                            : c == '\n' ? "\\n"
                            : c == '\r' ? "\\r"
                            : c == '\t' ? "\\t"
                                        : NULL;
    if (short_esc) {
        out[0] = short_esc[0];
        out[1] = short_esc[1];
        out[2] = '\0';
        return 2;
    }
    if (c >= 0x20 && c != 0x7f)
        return 0;
    out[0] = '\\';
    out[1] = 'u';
    out[2] = '0';
    out[3] = '0';
    out[4] = hex[c >> 4];
    out[5] = hex[c & 15];
    out[6] = '\0';
    return 6;
}

/* s as a JSON string literal, quotes included. */
void json_fputs(FILE *f, const char *s);

#endif
