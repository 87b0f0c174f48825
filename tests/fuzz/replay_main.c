/* replay_main.c - runs a libFuzzer target over stored inputs, without libFuzzer
 * (STYLE.md §10 "fuzz": every target also builds as a corpus-replay binary).
 *
 *   <target>_replay PATH...
 *
 * Each PATH is a file or a directory whose regular files (not recursive, in name
 * order) are fed one by one to LLVMFuzzerTestOneInput(). A target signals a
 * finding by crashing or aborting; the sanitizers of the build do the rest.
 * Exit status: 0 when at least one input ran, 1 when nothing was found or a
 * path could not be read.
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int run_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "replay: cannot open %s\n", path);
        return -1;
    }
    size_t cap = 4096, len = 0;
    uint8_t *p = malloc(cap);
    size_t n;
    while (p && (n = fread(p + len, 1, cap - len, f)) > 0) {
        len += n;
        if (len == cap) {
            uint8_t *q = realloc(p, cap * 2);
            if (!q) {
                free(p);
                p = NULL;
                break;
            }
            p = q;
            cap *= 2;
        }
    }
    int bad = ferror(f);
    fclose(f);
    if (!p || bad) {
        free(p);
        fprintf(stderr, "replay: cannot read %s\n", path);
        return -1;
    }
    /* An exact-size copy, so ASan catches reads past the input's end. */
    uint8_t *exact = malloc(len ? len : 1);
    if (!exact) {
        free(p);
        return -1;
    }
    memcpy(exact, p, len);
    free(p);
    (void)LLVMFuzzerTestOneInput(exact, len);
    free(exact);
    return 0;
}

static int by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Runs every regular file of dir; the number run, or -1. */
static long run_dir(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d) {
        fprintf(stderr, "replay: cannot open directory %s\n", dir);
        return -1;
    }
    char **names = NULL;
    size_t count = 0, cap = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        if (count == cap) {
            cap = cap ? cap * 2 : 64;
            char **q = realloc(names, cap * sizeof(*names));
            if (!q)
                break;
            names = q;
        }
        names[count] = strdup(e->d_name);
        if (names[count])
            count++;
    }
    closedir(d);
    qsort(names, count, sizeof(*names), by_name);
    long ran = 0;
    for (size_t i = 0; i < count; i++) {
        char path[4096];
        snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
        struct stat st;
        if (stat(path, &st) == 0 && S_ISREG(st.st_mode)) {
            if (run_file(path) != 0)
                ran = -1;
            else if (ran >= 0)
                ran++;
        }
        free(names[i]);
    }
    free(names);
    return ran;
}

int main(int argc, char **argv)
{
    long total = 0;
    int status = 0;
    for (int i = 1; i < argc; i++) {
        struct stat st;
        if (stat(argv[i], &st) != 0) {
            fprintf(stderr, "replay: no such path %s\n", argv[i]);
            status = 1;
            continue;
        }
        long n = S_ISDIR(st.st_mode) ? run_dir(argv[i]) : (run_file(argv[i]) == 0 ? 1 : -1);
        if (n < 0)
            status = 1;
        else
            total += n;
        printf("replay: %s: %ld inputs\n", argv[i], n < 0 ? 0 : n);
    }
    if (total == 0) {
        fprintf(stderr, "replay: no inputs found\n");
        status = 1;
    }
    printf("replay: %ld inputs, %s\n", total, status ? "FAILED" : "ok");
    return status;
}
