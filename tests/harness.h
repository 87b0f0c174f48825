/* harness.h - the unit-test harness (STYLE.md §10).
 *
 * One executable per module. Each test is a function registered with TEST();
 * main() comes from TEST_MAIN(). Typed checks print the file, line and both
 * values on failure and mark the test failed; the run continues with the next
 * test. Exit status: 0 all passed, 1 some failed, 77 skipped (ctest
 * SKIP_RETURN_CODE). The last line is "N passed, N failed".
 */
#ifndef SLUICE_HARNESS_H
#define SLUICE_HARNESS_H

#include <ftw.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct harness_test {
    const char *name;
    void (*fn)(void);
};

#define HARNESS_MAX 256
static struct harness_test harness_tests[HARNESS_MAX];
static int harness_ntests;
static bool harness_failed_now;

#define TEST(name)                                                                    \
    static void test_##name(void);                                                    \
    __attribute__((constructor)) static void reg_##name(void)                         \
    {                                                                                 \
        if (harness_ntests < HARNESS_MAX)                                             \
            harness_tests[harness_ntests++] = (struct harness_test){#name, test_##name}; \
    }                                                                                 \
    static void test_##name(void)

#define HFAIL(...)                                                                    \
    do {                                                                              \
        fprintf(stderr, "%s:%d: ", __FILE__, __LINE__);                               \
        fprintf(stderr, __VA_ARGS__);                                                 \
        fputc('\n', stderr);                                                          \
        harness_failed_now = true;                                                    \
    } while (0)

#define CHECK(c) do { if (!(c)) HFAIL("CHECK(%s) failed", #c); } while (0)
#define REQUIRE(c) do { if (!(c)) { HFAIL("REQUIRE(%s) failed", #c); return; } } while (0)
#define CHECK_EQ_INT(a, b)                                                            \
    do {                                                                              \
        long long a_ = (long long)(a), b_ = (long long)(b);                           \
        if (a_ != b_) HFAIL("%s == %s failed: %lld != %lld", #a, #b, a_, b_);         \
    } while (0)
#define CHECK_EQ_U64(a, b)                                                            \
    do {                                                                              \
        unsigned long long a_ = (unsigned long long)(a), b_ = (unsigned long long)(b); \
        if (a_ != b_) HFAIL("%s == %s failed: %llu != %llu", #a, #b, a_, b_);         \
    } while (0)
#define CHECK_EQ_STR(a, b)                                                            \
    do {                                                                              \
        const char *a_ = (a), *b_ = (b);                                              \
        if (!a_ || !b_ || strcmp(a_, b_) != 0)                                        \
            HFAIL("%s == %s failed: \"%s\" != \"%s\"", #a, #b, a_ ? a_ : "(null)",    \
                  b_ ? b_ : "(null)");                                                \
    } while (0)
#define CHECK_EQ_MEM(a, b, n)                                                         \
    do { if (memcmp((a), (b), (n)) != 0) HFAIL("%s == %s failed (%zu bytes)", #a, #b, (size_t)(n)); } while (0)

/* Make a fresh directory /tmp/sluice-<tag>.XXXXXX into buf (>= 64 bytes); aborts on failure. */
static inline void harness_mkdtemp(char *buf, size_t n, const char *tag)
{
    snprintf(buf, n, "/tmp/sluice-%s.XXXXXX", tag);
    if (!mkdtemp(buf)) {
        perror("mkdtemp");
        abort();
    }
}

static inline int harness_rm_cb(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    return remove(path);
}

/* rm -rf dir (no shell). */
static inline void harness_rm_rf(const char *dir)
{
    (void)nftw(dir, harness_rm_cb, 16, FTW_DEPTH | FTW_PHYS);
}

/* The whole file at path, malloc'd with a NUL after it (for text), its size in *n;
 * NULL (and *n 0) when it cannot be read. */
static inline void *harness_read_file(const char *path, size_t *n)
{
    *n = 0;
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    size_t cap = 1 << 16, len = 0, got;
    char *b = malloc(cap + 1);
    while (b && (got = fread(b + len, 1, cap - len, f)) > 0) {
        len += got;
        if (len == cap) {
            char *nb = realloc(b, (cap *= 2) + 1);
            if (!nb)
                free(b);
            b = nb;
        }
    }
    if (b && ferror(f)) {
        free(b);
        b = NULL;
    }
    fclose(f);
    if (b) {
        b[len] = '\0';
        *n = len;
    }
    return b;
}

/* Split line at spaces into argv (at most max words) inside copy[n], which must
 * outlive argv. Returns argc. For tests of flag parsers. */
static inline int harness_argv(const char *line, char *copy, size_t n, char **argv, int max)
{
    int argc = 0;
    snprintf(copy, n, "%s", line);
    for (char *tok = strtok(copy, " "); tok && argc < max; tok = strtok(NULL, " "))
        argv[argc++] = tok;
    return argc;
}

#define TEST_MAIN()                                                                   \
    int main(int argc, char **argv)                                                   \
    {                                                                                 \
        int passed = 0, failed = 0;                                                   \
        for (int i = 0; i < harness_ntests; i++) {                                    \
            if (argc > 1 && strcmp(argv[1], harness_tests[i].name) != 0)              \
                continue;                                                             \
            harness_failed_now = false;                                               \
            harness_tests[i].fn();                                                    \
            printf("%s %s\n", harness_failed_now ? "FAIL" : "ok  ", harness_tests[i].name); \
            if (harness_failed_now) failed++; else passed++;                          \
        }                                                                             \
        printf("%d passed, %d failed\n", passed, failed);                             \
        return failed ? 1 : (passed ? 0 : 77);                                        \
    }

#endif
