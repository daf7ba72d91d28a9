#!/usr/bin/env python3
"""Writes the hand-made request sequences that seed fuzz_hcall into
tests/fuzz/corpus/hcall/. The record format is fuzz_hcall.c's (see
tests/fuzz/README.md): a poke is op 0, u32 guest physical address, u16
length, bytes; a request is op 1, u8 number, u16 argument modes (2 bits
each: 0 raw, 1 user pointer, 2 an earlier result, 3 shared-file window),
six u64 arguments. Run from the repository root."""
import os
import struct

USER_GPA = 0x200000
HC = dict(EXIT=1, FATAL=2, WRITE=3, READ=4, PREAD=5, PWRITE=6, WRITEV=7, READV=8, OPEN=9,
          CLOSE=10, LSEEK=11, FSTAT=12, STAT=13, STATX=14, IOCTL=15, FCNTL=16, GETRANDOM=17,
          POLL=19, UNSUPPORTED=20, STRACE=21, FTRUNCATE=22, UNLINK=23, ACCESS=24, READLINK=25,
          FSYNC=26, RENAME=27, GETDENTS=28, STATFS=29, COPY_RANGE=30, PATHOP=31, FDOP=32,
          MAP_SHARED=33, UNMAP_SHARED=34, MSYNC=35, FDPATH=36, WAIT=64, SOCKET=96,
          SOCKETPAIR=97, BIND=98, CONNECT=99, LISTEN=100, ACCEPT=101, SOCKNAME=102, SOCKOPT=103,
          SHUTDOWN=104, SENDMSG=105, RECVMSG=106, SENDMMSG=107, RECVMMSG=108, SOCKIOCTL=109,
          SENDFILE=110)
O_WRONLY, O_RDWR, O_CREAT, O_TRUNC, O_DIRECTORY = 1, 2, 0o100, 0o1000, 0o200000


def ptr(off):
    return (1, off)


def res(k):
    return (2, k)


def shr(off):
    return (3, off)


class Seq:
    def __init__(self):
        self.b = bytearray()
        self.ncalls = 0

    def poke(self, off, data):
        """Bytes at user offset off (user VA 0x400000 + off)."""
        self.b += struct.pack('<BIH', 0, USER_GPA + off, len(data)) + data

    def call(self, name, *args):
        """A request; returns the index of its result for res()."""
        modes, raw = 0, []
        for i, a in enumerate(list(args) + [0] * (6 - len(args))):
            if isinstance(a, tuple):
                modes |= a[0] << (2 * i)
                a = a[1]
            raw.append(a & 0xffffffffffffffff)
        self.b += struct.pack('<BBH6Q', 1, HC[name], modes, *raw)
        self.ncalls += 1
        return self.ncalls - 1


def sockaddr_un(path):
    return struct.pack('<H', 1) + path + b'\0'


def files():
    s = Seq()
    s.poke(0, b'/data/f\0')
    s.poke(0x100, b'/data/new\0')
    s.poke(0x200, b'written\n')
    f = s.call('OPEN', ptr(0), O_RDWR, 0)
    s.call('READ', res(f), ptr(0x1000), 100)
    s.call('PWRITE', res(f), ptr(0x200), 8, 3)
    s.call('PREAD', res(f), ptr(0x1000), 64, 0)
    s.call('FSTAT', res(f), ptr(0x2000))
    s.call('LSEEK', res(f), 0, 2)
    s.call('FTRUNCATE', res(f), 4)
    s.call('FSYNC', res(f), 0)
    s.call('FCNTL', res(f), 3)  # F_GETFL
    s.call('IOCTL', res(f), 0x5401, ptr(0x3000))  # TCGETS
    s.poke(0x400, struct.pack('<QQQQ', 0x400000 + 0x200, 4, 0x400000 + 0x204, 4))
    s.call('WRITEV', res(f), ptr(0x400), 2)
    s.call('READV', res(f), ptr(0x400), 2)
    n = s.call('OPEN', ptr(0x100), O_CREAT | O_RDWR | O_TRUNC, 0o644)
    s.call('WRITE', res(n), ptr(0x200), 8)
    s.call('COPY_RANGE', res(f), 0, res(n), 0, 4)
    s.call('FDOP', 1, res(n), 0o600)  # HX_FD_CHMOD
    s.call('FDOP', 4, res(n), 0, 0, 4096)  # HX_FD_FALLOCATE
    s.call('FDOP', 5, res(n), 2)  # HX_FD_FLOCK LOCK_EX
    s.call('CLOSE', res(n))
    s.call('CLOSE', res(f))
    s.call('EXIT', 0, 0)
    return s


def dirs():
    s = Seq()
    s.poke(0, b'/data\0')
    s.poke(0x100, b'/data/x\0')
    s.poke(0x200, b'/data/y\0')
    s.poke(0x300, b'/data/up\0')
    s.poke(0x400, b'/ro/secret\0')
    s.poke(0x500, b'/data/up/etc/passwd\0')
    s.poke(0x600, b'/data/abs\0')
    s.poke(0x700, b'../f\0')
    s.poke(0x800, b'/data/d/l\0')
    s.poke(0x900, b'/data/host-ro\0')
    d = s.call('OPEN', ptr(0), O_DIRECTORY, 0)
    s.call('GETDENTS', res(d), ptr(0x1000), 4096)
    s.call('FDPATH', res(d), ptr(0x3000), 256)
    s.call('PATHOP', 1, ptr(0x100), 0, 0o755)  # MKDIR
    s.call('RENAME', ptr(0x100), ptr(0x200), 0)
    s.call('UNLINK', ptr(0x200), 0x200)  # AT_REMOVEDIR
    s.call('PATHOP', 2, ptr(0x800), ptr(0x700))  # SYMLINK
    s.call('READLINK', ptr(0x300), ptr(0x3000), 256)
    s.call('STAT', ptr(0x500), ptr(0x3000), 0)
    s.call('STAT', ptr(0x600), ptr(0x3000), 0)
    s.call('ACCESS', ptr(0x400), 2, 0)
    s.call('OPEN', ptr(0x400), O_RDWR, 0)
    s.call('OPEN', ptr(0x900), O_WRONLY | O_TRUNC, 0)
    s.call('PATHOP', 4, ptr(0x400), 0o777)  # CHMOD on the read-only mount
    s.call('STATFS', 0xffffffffffffffff, ptr(0), ptr(0x3000))
    s.call('STATX', 0xffffffffffffffff, ptr(0x800), 0, 0xfff, ptr(0x3000))
    s.call('PATHOP', 3, ptr(0x200), ptr(0x400))  # LINK /ro/secret -> /data/y
    s.call('PATHOP', 7, ptr(0x400), 0)  # TRUNCATE
    return s


def shared():
    s = Seq()
    s.poke(0, b'/data/f\0')
    f = s.call('OPEN', ptr(0), O_RDWR, 0)
    m = s.call('MAP_SHARED', res(f), 0, 8192, 1)
    s.call('GETRANDOM', shr(0), 16, 0)
    s.call('WRITE', res(f), shr(4096), 16)  # past the end of the file
    s.call('READ', res(f), shr(8), 16)
    s.call('FSTAT', res(f), shr(4096))  # a guarded copy: SIGBUS, then EFAULT
    s.call('MSYNC', res(m), 4096, 4)
    s.call('UNMAP_SHARED', res(m))
    s.call('STRACE', 2, ptr(0x100), 3)
    s.call('UNSUPPORTED', 999)
    s.call('FATAL', 11, 14, 4, 0x1234, 0x401000, 0)
    return s


def sockets():
    s = Seq()
    s.poke(0, sockaddr_un(b'/tmp/s'))
    s.poke(0x100, sockaddr_un(b'/data/sock'))
    s.poke(0x180, b'/data/sock\0')
    s.poke(0x200, b'ping')
    lst = s.call('SOCKET', 1, 1, 0)
    s.call('BIND', res(lst), ptr(0), 9, 2, 1234, 0o22)  # HX_UNIX_TMP
    s.call('LISTEN', res(lst), 4)
    c = s.call('SOCKET', 1, 1, 0)
    s.call('CONNECT', res(c), ptr(0), 9, 2, 1234)
    a = s.call('ACCEPT', res(lst), ptr(0x300), ptr(0x380), 0)
    s.call('WRITE', res(c), ptr(0x200), 4)
    s.call('SOCKIOCTL', res(a), 0x541b, ptr(0x390))  # FIONREAD
    s.poke(0x400, struct.pack('<QQ', 0x400000 + 0x1000, 64))
    # struct msghdr: name, namelen, iov, iovlen, control, controllen, flags
    s.poke(0x500, struct.pack('<QI4xQQQQi4x', 0, 0, 0x400000 + 0x400, 1, 0, 0, 0))
    s.call('RECVMSG', res(a), ptr(0x500), 0)
    s.poke(0x600, struct.pack('<QQ', 0x400000 + 0x200, 4))
    s.poke(0x700, struct.pack('<QI4xQQQQi4x', 0, 0, 0x400000 + 0x600, 1, 0, 0, 0))
    s.call('SENDMSG', res(a), ptr(0x700), 0, 0, 0)
    s.call('SOCKNAME', res(c), ptr(0x800), ptr(0x880), 1)
    s.poke(0x890, struct.pack('<I', 4))
    s.call('SOCKOPT', res(c), 1, 7, ptr(0x8a0), ptr(0x890), 1)  # SO_SNDBUF, get
    h = s.call('SOCKET', 1, 2, 0)  # SOCK_DGRAM
    s.call('BIND', res(h), ptr(0x100), 13, 1, ptr(0x180), 0o22)  # HX_UNIX_HOST
    s.call('SOCKET', 2, 1, 0)  # AF_INET: refused by --net=none
    s.call('SOCKETPAIR', 1, 1, 0, ptr(0x900))
    s.call('SHUTDOWN', res(c), 1)
    # pollfd {fd, events, revents}
    s.poke(0xa00, b'')
    s.call('POLL', ptr(0xa00), 0, 100)
    s.call('WAIT', ptr(0xa00), 0, 0, 0)
    s.call('SENDFILE', res(c), 0, 0, 4)
    s.call('CLOSE', res(c))
    return s


def hostile():
    s = Seq()
    # A page-table entry of the user window pointed past RAM, a string that
    # runs into the unmapped page, requests at kernel-only memory.
    s.b += struct.pack('<BIH', 0, 0x4000, 8) + struct.pack('<Q', (1 << 40) | 7)
    s.poke(0x1FDFF8, b'/data/ff')
    s.call('OPEN', ptr(0x1FDFF8), 0, 0)
    s.call('STAT', 0xc00000, ptr(0x100), 0)
    s.call('READ', 0, 0xc00000, 10)
    s.call('GETRANDOM', 0x400000, 1 << 40, 0)
    s.call('WAIT', ptr(0), 300, 0, 0)
    s.call('WRITEV', 1, ptr(0), 0xffffffff)
    s.b += struct.pack('<BBH6QQ', 0x81, HC['CLOSE'], 0, 0, 0, 0, 0, 0, 0, 0x3ffffc)
    return s


def main():
    out = 'tests/fuzz/corpus/hcall'
    os.makedirs(out, exist_ok=True)
    for name, make in [('files', files), ('dirs', dirs), ('shared', shared),
                       ('sockets', sockets), ('hostile', hostile)]:
        with open(os.path.join(out, 'seed-' + name), 'wb') as f:
            f.write(make().b)


if __name__ == '__main__':
    main()
