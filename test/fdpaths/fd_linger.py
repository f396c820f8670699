#!/usr/bin/env python3
"""fd_linger.py PORT - SO_LINGER as a Python program sees it (issue 3,
"getsockopt transparency ... from a Python program").

Prints one line per step; test/fdpaths/linger.sh compares the output with
and without the library (it must be identical: the program reads what it
set, default (0, 0), never the library's hidden arming).
"""
import socket
import struct
import sys

LINGER = struct.Struct("ii")


def get(step, s):
    onoff, secs = LINGER.unpack(s.getsockopt(socket.SOL_SOCKET, socket.SO_LINGER, LINGER.size))
    print(f"{step}: ({onoff}, {secs})")


def put(step, s, onoff, secs):
    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, LINGER.pack(onoff, secs))
    print(f"{step}: set ({onoff}, {secs})")


def main():
    port = int(sys.argv[1])
    lsock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    lsock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    lsock.bind(("127.0.0.1", port))
    put("listener before listen", lsock, 1, 5)
    lsock.listen(4)
    client = socket.create_connection(("127.0.0.1", port))
    conn, _ = lsock.accept()
    get("client fresh", client)
    get("accepted from a {1,5} listener", conn)
    put("client", client, 1, 30)
    get("client after (1, 30)", client)
    put("client", client, 0, 0)
    get("client after (0, 0)", client)
    # socket.dup() / fromfd / makefile share the socket
    dup = client.dup()
    put("dup of client", dup, 1, 4)
    get("client after (1, 4) via dup", client)
    dup.close()
    get("client after dup closed", client)
    try:
        client.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00")
        print("short optlen: accepted")
    except OSError as e:
        print(f"short optlen: OSError errno={e.errno}")
    for s in (client, conn):
        s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, LINGER.pack(0, 0))
        s.close()
    lsock.close()


main()
