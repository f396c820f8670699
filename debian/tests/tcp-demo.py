#!/usr/bin/python3
"""tcp-demo.py - a server and a client for debian/tests/installed-demo.

  tcp-demo.py server PORT BYTES END   listen on 127.0.0.1:PORT (0: any free
        port), print "READY <port>", accept one client, send BYTES bytes,
        print "SENT", then END: "close" closes the connection (a graceful
        end), "hang" waits to be killed (a crash in the middle of a reply).
  tcp-demo.py client PORT             read until the end and print
        "EOF <n>" or "ECONNRESET <n>" (n: bytes received).
Every wait is bounded (30 s).
"""
import errno
import socket
import sys
import time


def server(port, nbytes, end):
    ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind(("127.0.0.1", port))
    ls.listen(1)
    print("READY %d" % ls.getsockname()[1], flush=True)
    ls.settimeout(30)
    conn, _ = ls.accept()
    conn.sendall(b"x" * nbytes)
    print("SENT", flush=True)
    if end == "close":
        conn.close()
        return 0
    time.sleep(30)  # killed here
    return 1


def client(port):
    s = socket.create_connection(("127.0.0.1", port), timeout=30)
    got = 0
    while True:
        try:
            data = s.recv(65536)
        except OSError as e:
            if e.errno == errno.ECONNRESET:
                print("ECONNRESET %d" % got, flush=True)
                return 0
            print("ERROR %s %d" % (errno.errorcode.get(e.errno, e.errno), got), flush=True)
            return 1
        if not data:
            print("EOF %d" % got, flush=True)
            return 0
        got += len(data)


if __name__ == "__main__":
    if sys.argv[1] == "server":
        sys.exit(server(int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]))
    sys.exit(client(int(sys.argv[2])))
