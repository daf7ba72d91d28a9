/* The host transport: the one host wait and its batch (see hostio.h). */
#include "hostio.h"

#include "heap.h"
#include "uapi/errno.h"
#include "uapi/poll.h"

static struct hostio_stream *streams[HOSTIO_MAX_FD];
int hostio_tx_pending;            /* streams with queued sends: */
static int tx_fds[HOSTIO_MAX_FD]; /* their host fds, in no order */
static struct hx_batch batch;

void hostio_tx_queue(int fd)
{
    tx_fds[hostio_tx_pending++] = fd;
}

static void tx_sent(int fd)
{
    for (int i = 0; i < hostio_tx_pending; i++)
        if (tx_fds[i] == fd) {
            tx_fds[i] = tx_fds[--hostio_tx_pending];
            return;
        }
}

int hostio_attach(int fd, struct hostio_stream *s)
{
    if (fd < 0 || fd >= HOSTIO_MAX_FD || streams[fd])
        return -1;
    streams[fd] = s;
    return 0;
}

struct hostio_stream *hostio_stream(int fd)
{
    return fd >= 0 && fd < HOSTIO_MAX_FD ? streams[fd] : NULL;
}

void hostio_detach(int fd)
{
    struct hostio_stream *s = hostio_stream(fd);
    if (!s)
        return;
    if (s->tx_len)
        tx_sent(fd);
    if (s->rx)
        kfree(s->rx, HOSTIO_RX_CAP);
    s->rx = NULL;
    streams[fd] = NULL;
}

/* Builds the batch for a host wait on fds: every queued send, and a
 * receive for each stream socket in fds waited on for input whose buffer
 * is empty. */
static struct hx_batch *batch_build(const struct hostwait *fds, int n)
{
    batch.ntx = batch.nrx = 0;
    for (int i = 0; i < hostio_tx_pending && batch.ntx < HX_BATCH_MAX; i++) {
        struct hostio_stream *b = streams[tx_fds[i]];
        batch.tx[batch.ntx++] = (struct hx_sockio){tx_fds[i], b->tx_len, (uint64_t)b->tx, -EAGAIN};
    }
    for (int i = 0; i < n && batch.nrx < HX_BATCH_MAX; i++) {
        int fd = fds[i].fd;
        struct hostio_stream *b = hostio_stream(fd);
        if (!b || !(fds[i].events & POLLIN) || b->rx_len || b->rx_eof || b->in_batch)
            continue;
        if (!b->rx && !(b->rx = kmalloc(HOSTIO_RX_CAP)))
            continue;
        b->in_batch = 1;
        /* -EAGAIN until the monitor answers: a failed wait changes nothing. */
        batch.rx[batch.nrx++] = (struct hx_sockio){fd, HOSTIO_RX_CAP, (uint64_t)b->rx, -EAGAIN};
    }
    return batch.ntx || batch.nrx ? &batch : NULL;
}

static void batch_done(void)
{
    for (uint32_t i = 0; i < batch.ntx; i++) {
        struct hostio_stream *b = streams[batch.tx[i].fd];
        int64_t r = batch.tx[i].result;
        if (r == -EAGAIN)
            continue; /* the host's buffer is full: stays queued */
        if (r < 0) {
            b->tx_err = (int)-r;
            b->direct = 1;
            r = b->tx_len;
        }
        b->tx_len -= (uint32_t)r;
        memmove(b->tx, b->tx + r, b->tx_len);
        if (!b->tx_len)
            tx_sent(batch.tx[i].fd);
    }
    for (uint32_t i = 0; i < batch.nrx; i++) {
        struct hostio_stream *b = streams[batch.rx[i].fd];
        int64_t r = batch.rx[i].result;
        b->in_batch = 0;
        if (r > 0) {
            b->rx_off = 0;
            b->rx_len = (uint32_t)r;
            b->rx_gen++;
        } else if (r == 0) {
            b->rx_eof = 1;
            b->direct = 1;
            b->rx_gen++;
        }
    }
    batch.ntx = batch.nrx = 0;
}

long host_io(struct hostwait *fds, int n, int64_t deadline)
{
    struct hx_batch *b = batch_build(fds, n);
    long r =
        HC(wait, .fds = (uint64_t)fds, .nfds = n, .deadline_ns = deadline, .batch = (uint64_t)b);
    if (b)
        batch_done();
    return r;
}

void hostio_flush(void)
{
    while (hostio_tx_pending) {
        int before = hostio_tx_pending;
        host_io(NULL, 0, 0);
        if (hostio_tx_pending == before)
            break; /* the host's buffers are full: they go with the next wait */
    }
}
