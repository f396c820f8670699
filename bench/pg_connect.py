#!/usr/bin/env python3
"""pg_connect.py - the client of bench/pg-rows.sh: how fast a real
fork-per-connection server, PostgreSQL's postmaster, takes new connections
while it has N live sessions (issue 10).

    python3 pg_connect.py PORT N M [PIDFILE]

Opens N sessions and keeps them (each one started: trust authentication,
ReadyForQuery), then times M new sessions one after the other, each from
its connect() to the EOF after its Terminate: the postmaster's accept, fork
and close of its copy, the backend's start and its end.  Prints
"n=N real_ns=NS" (per new session) and closes the N.  With PIDFILE (the
cluster's postmaster.pid), also "cpu_ns=NS": the CPU time (user + system)
of the postmaster and of the backends it reaped meanwhile, per new session
(/proc/PID/stat utime, stime, cutime, cstime: clock ticks, so M should be
large enough to make many of them).  Speaks protocol 3.0
itself (no libpq: nothing to install, and no library of its own in the
timing).
"""
import os
import resource
import socket
import struct
import sys
import time

STARTUP = struct.pack("!I", 196608) + b"user\0postgres\0database\0postgres\0\0"
STARTUP = struct.pack("!I", len(STARTUP) + 4) + STARTUP
TERMINATE = b"X" + struct.pack("!I", 4)


def start(port):
    """A started session: its socket, after ReadyForQuery."""
    s = socket.create_connection(("127.0.0.1", port), timeout=60)
    s.sendall(STARTUP)
    buf = b""
    while True:
        while len(buf) >= 5:
            kind, size = buf[0:1], struct.unpack("!I", buf[1:5])[0]
            if len(buf) < 1 + size:
                break
            if kind == b"E":
                sys.exit("pg_connect: the server refused a session: %r" % buf[5:1 + size])
            if kind == b"Z":
                return s
            buf = buf[1 + size:]
        chunk = s.recv(65536)
        if not chunk:
            sys.exit("pg_connect: the server closed a session before it was ready")
        buf += chunk


def cpu_ticks(pid):
    """utime + stime + cutime + cstime of pid (its reaped children's too)."""
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return sum(int(x) for x in fields[11:15])


def main():
    port, n, m = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
    pid = 0
    if len(sys.argv) > 4:
        with open(sys.argv[4]) as f:
            pid = int(f.readline())
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < n + 64:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, n + 64), hard))
    live = [start(port) for _ in range(n)]
    c0 = cpu_ticks(pid) if pid else 0
    t0 = time.monotonic_ns()
    for _ in range(m):
        s = start(port)
        s.sendall(TERMINATE)
        while s.recv(65536):
            pass
        s.close()
    per = (time.monotonic_ns() - t0) // max(m, 1)
    cpu = ""
    if pid:
        # the last backend may not be reaped yet: wait for it (bounded)
        for _ in range(100):
            c1 = cpu_ticks(pid)
            time.sleep(0.01)
            if cpu_ticks(pid) == c1:
                break
        tick = 1e9 / os.sysconf("SC_CLK_TCK")
        cpu = " cpu_ns=%d" % ((c1 - c0) * tick / max(m, 1))
    for s in live:
        s.close()
    print("n=%d real_ns=%d%s" % (n, per, cpu))


main()
