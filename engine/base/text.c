/* text.c - see text.h. */
#include "text.h"

void json_fputs(FILE *f, const char *s)
{
    fputc('"', f);
    for (; *s; s++) {
        char esc[8];
        if (json_esc((unsigned char)*s, esc))
            fputs(esc, f);
        else
            fputc(*s, f);
    }
    fputc('"', f);
}
