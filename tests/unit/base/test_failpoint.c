/* test_failpoint.c - engine/base/failpoint.c: SLUICE_FAILPOINTS parsing (good and
 * bad specs, with the log line a bad one gets), @N and *M counting, err actions,
 * counting from several threads, and kill (in a forked child). */
#include "failpoint.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"

/* ---- helpers --------------------------------------------------------------------------- */

/* Point fd 2 at a temp file (log lines go there with write(2)). */
static int stderr_begin(char *path, size_t n)
{
    snprintf(path, n, "/tmp/sluice-fp-log.XXXXXX");
    int fd = mkstemp(path);
    if (fd < 0)
        return -1;
    fflush(stderr);
    int saved = dup(STDERR_FILENO);
    dup2(fd, STDERR_FILENO);
    close(fd);
    return saved;
}

/* Restore fd 2; returns what was logged meanwhile (malloc'd, NUL-terminated). */
static char *stderr_end(int saved, const char *path)
{
    fflush(stderr);
    dup2(saved, STDERR_FILENO);
    close(saved);
    FILE *f = fopen(path, "rb");
    char *out = calloc(1, 65536);
    if (f && out)
        (void)!fread(out, 1, 65535, f);
    if (f)
        fclose(f);
    unlink(path);
    return out;
}

/* Arm spec (NULL: unset) and return failpoint_init()'s result; log output into *log. */
static int arm(const char *spec, char **log)
{
    if (spec)
        setenv("SLUICE_FAILPOINTS", spec, 1);
    else
        unsetenv("SLUICE_FAILPOINTS");
    char path[64];
    int saved = stderr_begin(path, sizeof(path));
    int rc = failpoint_init();
    char *l = stderr_end(saved, path);
    if (log)
        *log = l;
    else
        free(l);
    return rc;
}

/* Which of hits 1..n of name fire: a string of '.' (0) and 'S' (-ENOSPC) / 'I' (-EIO). */
static void pattern(const char *name, int n, char *out)
{
    for (int i = 0; i < n; i++) {
        int rc = FAILPOINT(name);
        out[i] = rc == 0 ? '.' : rc == -ENOSPC ? 'S' : rc == -EIO ? 'I' : '?';
    }
    out[n] = '\0';
}

/* ---- tests ----------------------------------------------------------------------------- */

TEST(unset_or_empty_arms_nothing)
{
    CHECK_EQ_INT(arm(NULL, NULL), 0);
    CHECK(!failpoint_armed);
    CHECK_EQ_INT(FAILPOINT("spool.write"), 0);
    CHECK_EQ_INT(failpoint_hit("spool.write"), 0);
    CHECK_EQ_INT(arm("", NULL), 0);
    CHECK(!failpoint_armed);
    CHECK_EQ_INT(FAILPOINT("ckpt.renamed"), 0);
}

TEST(defaults_fire_once_on_the_first_hit)
{
    char *log = NULL;
    CHECK_EQ_INT(arm("ckpt.renamed=err:EIO", &log), 0);
    CHECK(failpoint_armed);
    CHECK(strstr(log, "failpoint: armed; for tests only") != NULL);
    CHECK(strstr(log, "spec=\"ckpt.renamed=err:EIO\"") != NULL);
    free(log);
    char p[8];
    pattern("ckpt.renamed", 5, p);
    CHECK_EQ_STR(p, "I....");
    pattern("spool.write", 3, p); /* not armed: never fires */
    CHECK_EQ_STR(p, "...");
}

TEST(at_n_times_m)
{
    CHECK_EQ_INT(arm("spool.write=err:ENOSPC@5*200", NULL), 0);
    char p[300];
    pattern("spool.write", 210, p);
    char want[300];
    memset(want, '.', 210);
    memset(want + 4, 'S', 200); /* hits 5..204 */
    want[210] = '\0';
    CHECK_EQ_STR(p, want);

    CHECK_EQ_INT(arm("spool.synced=err:EIO@3", NULL), 0); /* *M defaults to 1 */
    pattern("spool.synced", 6, p);
    CHECK_EQ_STR(p, "..I...");

    CHECK_EQ_INT(arm("spool.written=err:EIO*3", NULL), 0); /* @N defaults to 1 */
    pattern("spool.written", 6, p);
    CHECK_EQ_STR(p, "III...");
}

TEST(times_zero_is_forever)
{
    CHECK_EQ_INT(arm("spool.submitted=err:ENOSPC@2*0", NULL), 0);
    char p[1100];
    pattern("spool.submitted", 1000, p);
    CHECK_EQ_INT(p[0], '.');
    CHECK_EQ_U64(strspn(p + 1, "S"), 999);
}

TEST(several_points_count_separately_and_rearm_resets)
{
    char *log = NULL;
    CHECK_EQ_INT(
        arm("spool.write=err:EIO@2,ckpt.temp_partial=err:ENOSPC*2,sink.delivered=kill@9", &log), 0);
    free(log);
    char a[8], b[8];
    pattern("spool.write", 3, a);
    pattern("ckpt.temp_partial", 3, b);
    CHECK_EQ_STR(a, ".I.");
    CHECK_EQ_STR(b, "SS.");
    log = NULL;
    CHECK_EQ_INT(arm("spool.write=err:EIO@2", &log), 0); /* counts start again */
    free(log);
    pattern("spool.write", 3, a);
    CHECK_EQ_STR(a, ".I.");
    pattern("ckpt.temp_partial", 2, b); /* no longer armed */
    CHECK_EQ_STR(b, "..");
}

TEST(first_firing_is_logged_once)
{
    CHECK_EQ_INT(arm("spool.write=err:ENOSPC@2*3", NULL), 0);
    char path[64];
    int saved = stderr_begin(path, sizeof(path));
    char p[8];
    pattern("spool.write", 6, p);
    char *log = stderr_end(saved, path);
    CHECK_EQ_STR(p, ".SSS..");
    CHECK(strstr(log, "msg=\"failpoint: firing\" name=spool.write action=err:ENOSPC hit=2 "
                      "times=3") != NULL);
    CHECK(strstr(strstr(log, "firing") + 1, "firing") == NULL);
    free(log);
}

TEST(bad_specs_are_rejected_with_a_log_line)
{
    static const struct {
        const char *spec, *why;
    } bad[] = {
        {"spool.write", "missing '='"},
        {"=kill", "empty fail point name"},
        {"spool.write=", "unknown action"},
        {"spool.wirte=kill", "unknown fail point name"},
        {"spool.write=err:EPERM", "unknown action"},
        {"spool.write=err:", "unknown action"},
        {"spool.write=killer", "unexpected text after the action"},
        {"spool.write=kill@0", "@N needs a number >= 1"},
        {"spool.write=kill@", "@N needs a number >= 1"},
        {"spool.write=kill@x", "@N needs a number >= 1"},
        {"spool.write=kill@99999999999999999999999", "@N needs a number >= 1"},
        {"spool.write=kill*", "*M needs a number >= 0"},
        {"spool.write=kill*-1", "*M needs a number >= 0"},
        {"spool.write=kill@2x", "unexpected text after the action"},
        {"spool.write=kill*3@2", "unexpected text after the action"},
        {"spool.write=kill,", "empty item"},
        {",spool.write=kill", "empty item"},
        {"spool.write=kill,,ckpt.renamed=kill", "empty item"},
        {"spool.write=kill,spool.write=err:EIO", "fail point named twice"},
        {"spool.write=kill ", "unexpected text after the action"},
    };
    for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
        char *log = NULL;
        int rc = arm(bad[i].spec, &log);
        if (rc != -EINVAL)
            HFAIL("spec \"%s\": rc %d, want -EINVAL", bad[i].spec, rc);
        if (failpoint_armed)
            HFAIL("spec \"%s\": armed after an error", bad[i].spec);
        char want[256];
        snprintf(want, sizeof(want),
                 "level=error thr=ctl msg=\"failpoint: bad SLUICE_FAILPOINTS: "
                 "%s",
                 bad[i].why);
        if (!strstr(log, want))
            HFAIL("spec \"%s\": log lacks [%s]: %s", bad[i].spec, want, log);
        snprintf(want, sizeof(want), "spec=\"%s\"", bad[i].spec);
        if (!strstr(log, want))
            HFAIL("spec \"%s\": log does not name the spec: %s", bad[i].spec, log);
        if (!strstr(log, "syntax=\"name=kill|err:ENOSPC|err:EIO[@N][*M],...\""))
            HFAIL("spec \"%s\": log does not give the syntax: %s", bad[i].spec, log);
        free(log);
    }
    /* the offending item is named */
    char *log = NULL;
    CHECK_EQ_INT(arm("spool.write=kill,ckpt.renamd=err:EIO", &log), -EINVAL);
    CHECK(strstr(log, "item=\"ckpt.renamd=err:EIO\"") != NULL);
    free(log);
    /* too long, too many */
    char big[1200];
    memset(big, 'a', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    log = NULL;
    CHECK_EQ_INT(arm(big, &log), -EINVAL);
    CHECK(strstr(log, "longer than 1023 bytes") != NULL);
    free(log);
    CHECK(!failpoint_armed);
    CHECK_EQ_INT(arm(NULL, NULL), 0);
}

TEST(every_placed_name_is_accepted)
{
    CHECK_EQ_INT(arm("spool.write=kill@100,spool.submitted=kill@100,spool.written=kill@100,"
                     "spool.synced=kill@100,ckpt.temp_partial=err:EIO@100,"
                     "ckpt.renamed=err:ENOSPC@100*0,sink.delivered=kill@100",
                     NULL),
                 0);
    CHECK(failpoint_armed);
    CHECK_EQ_INT(arm(NULL, NULL), 0);
}

#define FP_THREADS 4
#define FP_HITS 20000

static _Atomic int g_fired;

static void *hammer(void *arg)
{
    (void)arg;
    int fired = 0;
    for (int i = 0; i < FP_HITS; i++)
        fired += FAILPOINT("spool.write") == -EIO;
    atomic_fetch_add(&g_fired, fired);
    return NULL;
}

TEST(counting_is_exact_across_threads)
{
    CHECK_EQ_INT(arm("spool.write=err:EIO@1001*5000", NULL), 0);
    atomic_store(&g_fired, 0);
    pthread_t t[FP_THREADS];
    for (int i = 0; i < FP_THREADS; i++)
        REQUIRE(pthread_create(&t[i], NULL, hammer, NULL) == 0);
    for (int i = 0; i < FP_THREADS; i++)
        pthread_join(t[i], NULL);
    CHECK_EQ_INT(atomic_load(&g_fired), 5000);
    CHECK_EQ_INT(FAILPOINT("spool.write"), 0); /* hit 80001: past the window */
    CHECK_EQ_INT(arm(NULL, NULL), 0);
}

TEST(kill_dies_of_sigkill_on_the_nth_hit)
{
    char logpath[] = "/tmp/sluice-fp-kill.XXXXXX";
    int lfd = mkstemp(logpath);
    REQUIRE(lfd >= 0);
    int pfd[2];
    REQUIRE(pipe(pfd) == 0);
    fflush(stdout);
    fflush(stderr);
    pid_t pid = fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
        close(pfd[0]);
        dup2(lfd, STDERR_FILENO);
        setenv("SLUICE_FAILPOINTS", "spool.synced=kill@3", 1);
        if (failpoint_init() != 0)
            _exit(3);
        for (int i = 1; i <= 5; i++) {
            char c = (char)('0' + i);
            if (write(pfd[1], &c, 1) != 1) /* "about to hit i" */
                _exit(4);
            (void)FAILPOINT("spool.synced");
        }
        _exit(0); /* not reached when kill works */
    }
    close(pfd[1]);
    close(lfd);
    char got[16] = {0};
    size_t n = 0;
    ssize_t r;
    while (n < sizeof(got) - 1 && (r = read(pfd[0], got + n, sizeof(got) - 1 - n)) > 0)
        n += (size_t)r;
    close(pfd[0]);
    int st = 0;
    REQUIRE(waitpid(pid, &st, 0) == pid);
    CHECK(WIFSIGNALED(st));
    if (WIFSIGNALED(st))
        CHECK_EQ_INT(WTERMSIG(st), SIGKILL);
    CHECK_EQ_STR(got, "123"); /* died inside hit 3, never reached 4 */
    FILE *f = fopen(logpath, "rb");
    char log[4096] = {0};
    if (f) {
        (void)!fread(log, 1, sizeof(log) - 1, f);
        fclose(f);
    }
    unlink(logpath);
    CHECK(strstr(log, "msg=\"failpoint: firing\" name=spool.synced action=kill hit=3") != NULL);
}

TEST_MAIN()
