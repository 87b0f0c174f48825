/* token_cli.c - test driver for eh_entra_token (tests/auth/entra.sh).
 *   usage: eh_token_cli SCOPE
 * Reads the AZURE_* variables like the collector does; prints one line:
 *   ok expires_in=<s> token=<access token>            exit 0
 *   error rc=<EACCES|EIO|EINVAL|...> why=<reason>     exit 1
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "eh_auth.h"

static const char *rc_name(int rc)
{
    switch (rc) {
    case -EACCES: return "EACCES";
    case -EIO: return "EIO";
    case -EINVAL: return "EINVAL";
    case -ENOMEM: return "ENOMEM";
    default: return "other";
    }
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: eh_token_cli SCOPE\n");
        return 2;
    }
    static struct eh_token tok;
    char why[1024];
    int rc = eh_entra_token(argv[1], &tok, why, sizeof(why));
    if (rc) {
        printf("error rc=%s why=%s\n", rc_name(rc), why);
        return 1;
    }
    printf("ok expires_in=%lld token=%s\n", (long long)(tok.expires_s - (long long)time(NULL)),
           tok.token);
    return 0;
}
