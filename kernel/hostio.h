/* The host transport (DESIGN.md section 5): the kernel's one blocking wait
 * on the host, and the batch that rides on it. A VM exit costs more here
 * than a whole request, so socket sends are queued in guest memory and
 * submitted together with the next wait, and a wait that finds a stream
 * socket readable also receives what is there into guest memory.
 *
 * The socket layer (syscalls/sockbuf.c) decides what may be queued and
 * serves reads from what was prefetched; the transport owns the queue and
 * the rule that keeps it ordered: queued sends reach the host before any
 * other request (hcall() flushes them), so nothing overtakes them and
 * nothing waits behind them. The transport never calls up. */
#ifndef HX_HOSTIO_H
#define HX_HOSTIO_H

#include "kernel.h"

/* The most host fds the transport keeps streams for. */
#define HOSTIO_MAX_FD 4096
/* The receive buffer a wait fills (allocated on first use). */
#define HOSTIO_RX_CAP 16384

/* A host fd waited for (struct pollfd). */
struct hostwait {
    int32_t fd;
    int16_t events, revents;
};

/* One host stream socket's guest-side buffers. The socket layer queues
 * sends in tx and reads rx; a wait's batch updates both. */
struct hostio_stream {
    uint8_t *tx, *rx; /* tx: the socket layer's; rx: the transport's, on first use */
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
};

/* Streams with queued sends. */
extern int hostio_tx_pending;

/* Makes s the stream of host fd (s stays the caller's); 0, or -1 when the
 * fd is out of range or already has one. */
int hostio_attach(int fd, struct hostio_stream *s);
/* Forgets fd's stream: what is still queued is dropped, rx freed. */
void hostio_detach(int fd);
/* fd's stream, or NULL. */
struct hostio_stream *hostio_stream(int fd);
/* fd's stream had nothing queued and now has (tx_len went above 0). */
void hostio_tx_queue(int fd);

/* One host wait (see HX_HC_WAIT) on fds, carrying the queued sends and the
 * receives it can prefetch; deadline 0: do not wait, -1: none. */
long host_io(struct hostwait *fds, int n, int64_t deadline);
/* Submits the queued sends now (as far as the host's buffers take them). */
void hostio_flush(void);

/* hcall() before request nr: the queued sends go first. The wait is the
 * request that carries them itself. */
static inline void hostio_before_hcall(uint32_t nr)
{
    if (hostio_tx_pending && nr != HX_HC_WAIT)
        hostio_flush();
}

#endif
