/* Socket buffering that saves VM exits (DESIGN.md section 5). A VM exit
 * costs more here than a whole request, so on stream sockets:
 *
 * - writes are queued in the guest and sent with the next host wait (one
 *   HX_HC_WAIT carries every queued send), or before any other hypercall,
 *   so nothing can overtake them and nothing waits behind them;
 * - when a host wait finds a stream socket readable, the monitor also
 *   receives what is there into the socket's guest buffer, and reads are
 *   then served from guest memory.
 *
 * As with Linux's own socket buffers, a queued write has succeeded; an
 * error the later send meets (EPIPE, ECONNRESET) is reported by the next
 * write on that socket. */
#include "heap.h"
#include "vfs.h"

#define RX_CAP 16384
#define TX_CAP 65536
#define MAX_HOSTFD 4096
#define POLLIN 1
#define MSG_NOSIGNAL 0x4000

struct sockbuf {
    uint8_t *rx, *tx; /* allocated on first use */
    uint32_t rx_off, rx_len;
    uint32_t tx_len;
    int rx_eof;      /* the host reported end of file after the buffered data */
    int tx_err;      /* a queued send failed: the next write reports it */
    int in_batch;    /* its rx is in the batch being waited on */
    uint32_t rx_gen; /* moves when a wait brings data: epoll's edge trigger */
    /* Sends go straight to the host once the connection may be closing
     * (end of file seen, shut down for writing, a send failed): that is
     * when Linux answers EPIPE at once, and a queued send could not. */
    int direct;
    int connected; /* known to be connected: an unconnected send must fail */
};

static struct sockbuf *sbs[MAX_HOSTFD];
int sockbuf_tx_pending;        /* sockets with queued sends: */
static int tx_fds[MAX_HOSTFD]; /* their host fds, in no order */

static void tx_queued(int fd)
{
    tx_fds[sockbuf_tx_pending++] = fd;
}

static void tx_sent(int fd)
{
    for (int i = 0; i < sockbuf_tx_pending; i++)
        if (tx_fds[i] == fd) {
            tx_fds[i] = tx_fds[--sockbuf_tx_pending];
            return;
        }
}
static struct hx_batch batch;

void sockbuf_open(int hostfd)
{
    if (hostfd < 0 || hostfd >= MAX_HOSTFD || sbs[hostfd])
        return;
    sbs[hostfd] = kmalloc(sizeof(struct sockbuf));
}

static struct sockbuf *sb_of(const struct file *f)
{
    if (f->hostfd < 0 || !f->sock || f->hostfd >= MAX_HOSTFD)
        return NULL;
    return sbs[f->hostfd];
}

/* Builds the batch for a host wait on fds: every queued send, and a
 * receive for each stream socket in fds waited on for input whose buffer
 * is empty. */
static struct hx_batch *batch_build(const struct hostwait *fds, int n)
{
    batch.ntx = batch.nrx = 0;
    for (int i = 0; i < sockbuf_tx_pending && batch.ntx < HX_BATCH_MAX; i++) {
        struct sockbuf *b = sbs[tx_fds[i]];
        batch.tx[batch.ntx++] = (struct hx_sockio){tx_fds[i], b->tx_len, (uint64_t)b->tx, -EAGAIN};
    }
    for (int i = 0; i < n && batch.nrx < HX_BATCH_MAX; i++) {
        int fd = fds[i].fd;
        struct sockbuf *b = fd >= 0 && fd < MAX_HOSTFD ? sbs[fd] : NULL;
        if (!b || !(fds[i].events & POLLIN) || b->rx_len || b->rx_eof || b->in_batch)
            continue;
        if (!b->rx && !(b->rx = kmalloc(RX_CAP)))
            continue;
        b->in_batch = 1;
        /* -EAGAIN until the monitor answers: a failed wait changes nothing. */
        batch.rx[batch.nrx++] = (struct hx_sockio){fd, RX_CAP, (uint64_t)b->rx, -EAGAIN};
    }
    return batch.ntx || batch.nrx ? &batch : NULL;
}

static void batch_done(void)
{
    for (uint32_t i = 0; i < batch.ntx; i++) {
        struct sockbuf *b = sbs[batch.tx[i].fd];
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
        struct sockbuf *b = sbs[batch.rx[i].fd];
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

void sockbuf_flush_all(void)
{
    while (sockbuf_tx_pending) {
        int before = sockbuf_tx_pending;
        host_io(NULL, 0, 0);
        if (sockbuf_tx_pending == before)
            break; /* the host's buffers are full: they go with the next wait */
    }
}

void sockbuf_close(int hostfd)
{
    if (hostfd < 0 || hostfd >= MAX_HOSTFD || !sbs[hostfd])
        return;
    struct sockbuf *b = sbs[hostfd];
    /* Linux still sends what was written: wait (a while) for room. */
    for (int tries = 0; b->tx_len && tries < 50; tries++) {
        struct hostwait w = {hostfd, 4 /* POLLOUT */, 0};
        host_io(&w, 1, clock_monotonic_ns() + 100000000);
    }
    if (b->tx_len)
        tx_sent(hostfd);
    if (b->rx)
        kfree(b->rx, RX_CAP);
    if (b->tx)
        kfree(b->tx, TX_CAP);
    kfree(b, sizeof(*b));
    sbs[hostfd] = NULL;
}

int sockbuf_has(int hostfd)
{
    return hostfd >= 0 && hostfd < MAX_HOSTFD && sbs[hostfd];
}

uint32_t sockbuf_rx_gen(int hostfd)
{
    return sockbuf_has(hostfd) ? sbs[hostfd]->rx_gen : 0;
}

int sockbuf_rx_ready(int hostfd)
{
    struct sockbuf *b = sockbuf_has(hostfd) ? sbs[hostfd] : NULL;
    return b && (b->rx_len || b->rx_eof);
}

int sockbuf_user_iov(const struct sb_iov *iov, uint64_t n, int write)
{
    /* The array is the program's, or one sendto/recvfrom built here. */
    if (n > 64 || ((uint64_t)iov < HX_USER_TOP && !user_ok(iov, n * sizeof(*iov), 0)))
        return -1;
    for (uint64_t i = 0; i < n; i++)
        if ((int64_t)iov[i].len < 0 || !user_ok((void *)iov[i].base, iov[i].len, write))
            return -1;
    return (int)n;
}

uint32_t sockbuf_rx_avail(int hostfd)
{
    struct sockbuf *b = hostfd >= 0 && hostfd < MAX_HOSTFD ? sbs[hostfd] : NULL;
    return b ? b->rx_len : 0;
}

long sockbuf_recv(struct file *f, const struct sb_iov *iov, int niov, int peek)
{
    struct sockbuf *b = sb_of(f);
    if (!b || !b->rx_len) {
        if (b && b->rx_eof && !peek) {
            b->rx_eof = 0; /* the host says so again from now on */
            return 0;
        }
        return SOCKBUF_EMPTY;
    }
    uint32_t done = 0;
    for (int i = 0; i < niov && done < b->rx_len; i++) {
        uint32_t n = (uint32_t)MIN(iov[i].len, (uint64_t)(b->rx_len - done));
        memcpy((void *)iov[i].base, b->rx + b->rx_off + done, n);
        done += n;
    }
    if (!peek) {
        b->rx_off += done;
        b->rx_len -= done;
    }
    return done;
}

/* The socket is connected: accepted, connect returned 0, or a send went
 * through. */
void sockbuf_connected(int hostfd)
{
    if (sockbuf_has(hostfd))
        sbs[hostfd]->connected = 1;
}

void sockbuf_shutdown(int hostfd)
{
    if (sockbuf_has(hostfd))
        sbs[hostfd]->direct = 1;
}

long sockbuf_send(struct file *f, const struct sb_iov *iov, int niov, uint64_t flags)
{
    struct sockbuf *b = sb_of(f);
    /* Only TCP: a local (AF_UNIX) peer's close is seen at once on Linux. */
    if (!b || (f->sock != 2 && f->sock != 10) || !b->connected || (b->direct && !b->tx_err))
        return SOCKBUF_EMPTY;
    if (b->tx_err) {
        long e = -b->tx_err;
        b->tx_err = 0;
        if (e == -EPIPE && !(flags & MSG_NOSIGNAL))
            signal_send(current, SIGPIPE, 0 /* SI_USER */);
        return e;
    }
    uint64_t len = 0;
    for (int i = 0; i < niov; i++)
        len += iov[i].len;
    if (!len)
        return SOCKBUF_EMPTY;
    /* Never past what is queued: a full queue is sent first, and waits
     * (or, non-blocking, takes what fits) as a full socket buffer would. */
    while (b->tx_len && b->tx_len + len > TX_CAP) {
        sockbuf_flush_all();
        if (!b->tx_len || b->tx_len + len <= TX_CAP)
            break;
        if (f->flags & O_NONBLOCK) {
            len = TX_CAP - b->tx_len;
            if (!len)
                return -EAGAIN;
            break;
        }
        long r = host_fd_wait(f->hostfd, 4 /* POLLOUT */);
        if (r < 0)
            return r;
    }
    if (!b->tx_len && len > TX_CAP)
        return SOCKBUF_EMPTY; /* too big to queue, and nothing queued: sent directly */
    if (!b->tx && !(b->tx = kmalloc(TX_CAP)))
        return SOCKBUF_EMPTY;
    if (!b->tx_len)
        tx_queued(f->hostfd);
    uint64_t left = len;
    for (int i = 0; i < niov && left; i++) {
        uint64_t n = MIN(iov[i].len, left);
        memcpy(b->tx + b->tx_len, (const void *)iov[i].base, n);
        b->tx_len += (uint32_t)n;
        left -= n;
    }
    return (long)len;
}
