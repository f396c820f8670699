#!/usr/bin/env python3
"""forking_server.py - a real fork-per-connection server for bench/fork-rows.sh
(issue 10: "a forking server with 1,000 live sessions accepts new connections
as fast as without the library"): the classic Python pattern, as inetd-style
services and many small daemons are written.

usage: forking_server.py PORT
  Listens on 127.0.0.1:PORT (backlog 4096), prints "READY", then forever:
  accept, fork; the parent closes its copy, the child says "r" (it runs),
  reads one byte, answers "ok" if it got one and closes (a live session
  waits in that read until its client closes).  SIGCHLD is ignored: the kernel reaps.  A few
  /dev/null fds, as real servers have.  bench_fork client-timed is the
  client; the bench kills this process when the round is over.
"""
import os
import signal
import socket
import sys


def main():
    port = int(sys.argv[1])
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)
    lsock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    lsock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    lsock.bind(("127.0.0.1", port))
    lsock.listen(4096)
    extra = [open("/dev/null", "rb") for _ in range(4)]
    print("READY", flush=True)
    while True:
        conn, _ = lsock.accept()
        if os.fork() == 0:
            lsock.close()
            conn.sendall(b"r")
            if conn.recv(1):
                conn.sendall(b"ok")
            conn.close()
            os._exit(0)
        conn.close()
    del extra


main()
