/* Socket buffering that saves VM exits (DESIGN.md section 5), over the
 * kernel's host transport (kernel/hostio.c). A VM exit costs more here than
 * a whole request, so on stream sockets:
 *
 * - writes are queued in the guest and sent with the next host wait (one
 *   HX_HC_WAIT carries every queued send), or before any other hypercall,
 *   so nothing can overtake them and nothing waits behind them (the
 *   transport keeps that rule);
 * - when a host wait finds a stream socket readable, the monitor also
 *   receives what is there into the socket's guest buffer, and reads are
 *   then served from guest memory.
 *
 * This file decides which sockets and writes may be queued and what a
 * read or write on them returns. As with Linux's own socket buffers, a
 * queued write has succeeded; an error the later send meets (EPIPE,
 * ECONNRESET) is reported by the next write on that socket. */
#include "heap.h"
#include "hostio.h"
#include "uapi/poll.h"
#include "uapi/socket.h"
#include "vfs.h"

/* The most a socket queues before a write waits for the host. */
#define TX_CAP 65536

struct sockbuf {
    struct hostio_stream io; /* the buffers the transport fills and drains */
    int connected;           /* known to be connected: an unconnected send must fail */
};

void sockbuf_open(int hostfd)
{
    if (hostfd < 0 || hostfd >= HOSTIO_MAX_FD || hostio_stream(hostfd))
        return;
    struct sockbuf *b = kmalloc(sizeof(*b));
    if (b && hostio_attach(hostfd, &b->io))
        kfree(b, sizeof(*b));
}

/* The socket whose stream is s (the transport's view of it). */
static struct sockbuf *sb_of_stream(struct hostio_stream *s)
{
    return (struct sockbuf *)s; /* io is the first member */
}

static struct sockbuf *sb_of_fd(int hostfd)
{
    struct hostio_stream *s = hostio_stream(hostfd);
    return s ? sb_of_stream(s) : NULL;
}

static struct sockbuf *sb_of(const struct file *f)
{
    if (!f->sock)
        return NULL;
    return sb_of_fd(f->hostfd);
}

void sockbuf_close(int hostfd)
{
    struct sockbuf *sb = sb_of_fd(hostfd);
    if (!sb)
        return;
    struct hostio_stream *b = &sb->io;
    /* Linux still sends what was written: wait (a while) for room. */
    for (int tries = 0; b->tx_len && tries < 50; tries++) {
        struct hostwait w = {hostfd, POLLOUT, 0};
        host_io(&w, 1, clock_monotonic_ns() + 100000000);
    }
    hostio_detach(hostfd);
    if (b->tx)
        kfree(b->tx, TX_CAP);
    kfree(sb, sizeof(*sb));
}

int sockbuf_has(int hostfd)
{
    return hostio_stream(hostfd) != NULL;
}

uint32_t sockbuf_rx_gen(int hostfd)
{
    struct hostio_stream *b = hostio_stream(hostfd);
    return b ? b->rx_gen : 0;
}

int sockbuf_rx_ready(int hostfd)
{
    struct hostio_stream *b = hostio_stream(hostfd);
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
    struct hostio_stream *b = hostio_stream(hostfd);
    return b ? b->rx_len : 0;
}

long sockbuf_recv(struct file *f, const struct sb_iov *iov, int niov, int peek)
{
    struct sockbuf *sb = sb_of(f);
    struct hostio_stream *b = sb ? &sb->io : NULL;
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
    struct sockbuf *sb = sb_of_fd(hostfd);
    if (sb)
        sb->connected = 1;
}

void sockbuf_shutdown(int hostfd)
{
    struct hostio_stream *b = hostio_stream(hostfd);
    if (b)
        b->direct = 1;
}

long sockbuf_send(struct file *f, const struct sb_iov *iov, int niov, uint64_t flags)
{
    struct sockbuf *sb = sb_of(f);
    struct hostio_stream *b = sb ? &sb->io : NULL;
    /* Only TCP: a local (AF_UNIX) peer's close is seen at once on Linux. */
    if (!b || (f->sock != AF_INET && f->sock != AF_INET6) || !sb->connected ||
        (b->direct && !b->tx_err))
        return SOCKBUF_EMPTY;
    if (b->tx_err) {
        long e = -b->tx_err;
        b->tx_err = 0;
        if (e == -EPIPE && !(flags & MSG_NOSIGNAL))
            signal_send(current, SIGPIPE, SI_USER);
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
        hostio_flush();
        if (!b->tx_len || b->tx_len + len <= TX_CAP)
            break;
        if (f->flags & O_NONBLOCK) {
            len = TX_CAP - b->tx_len;
            if (!len)
                return -EAGAIN;
            break;
        }
        long r = host_fd_wait(f->hostfd, POLLOUT);
        if (r < 0)
            return r;
    }
    if (!b->tx_len && len > TX_CAP)
        return SOCKBUF_EMPTY; /* too big to queue, and nothing queued: sent directly */
    if (!b->tx && !(b->tx = kmalloc(TX_CAP)))
        return SOCKBUF_EMPTY;
    if (!b->tx_len)
        hostio_tx_queue(f->hostfd);
    uint64_t left = len;
    for (int i = 0; i < niov && left; i++) {
        uint64_t n = MIN(iov[i].len, left);
        memcpy(b->tx + b->tx_len, (const void *)iov[i].base, n);
        b->tx_len += (uint32_t)n;
        left -= n;
    }
    return (long)len;
}
