/* park.c - eventfd parking; see park.h for the protocol. */
#include "park.h"

#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <sys/eventfd.h>
#include <unistd.h>

int park_init(struct park *p)
{
    atomic_init(&p->sleeping, 0);
    p->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (p->efd < 0)
        return -errno;
    return 0;
}

void park_fini(struct park *p)
{
    if (p->efd >= 0)
        close(p->efd);
    p->efd = -1;
}

void park_wait(struct park *p, int timeout_ms)
{
    struct pollfd pfd = {.fd = p->efd, .events = POLLIN};
    (void)poll(&pfd, 1, timeout_ms);
    uint64_t v;
    ssize_t r = read(p->efd, &v, sizeof(v)); /* drain; EAGAIN when nobody woke us */
    (void)r;
    atomic_store_explicit(&p->sleeping, 0, memory_order_relaxed);
}

void park_wake_slow(struct park *p)
{
    uint64_t one = 1;
    ssize_t r = write(p->efd, &one, sizeof(one));
    (void)r; /* EAGAIN only when the counter is saturated, i.e. already woken */
}
