#!/usr/bin/env python3
"""client.py PORT REQUEST: send REQUEST + newline, read until EOF or error.

Prints one line: bytes=N first=EOF|ECONNRESET|... lport=P data=<the bytes,
escaped> (lport: the client's own port, to tell connections apart on the wire)
("first" is the first error of any call, or EOF).  Bounded: 20 s."""
import errno
import socket
import sys

port, request = int(sys.argv[1]), sys.argv[2]
data, first, lport = b"", "EOF", 0
try:
    s = socket.create_connection(("127.0.0.1", port), timeout=20)
    lport = s.getsockname()[1]
    s.sendall(request.encode() + b"\n")
    while True:
        chunk = s.recv(65536)
        if not chunk:
            break
        data += chunk
except socket.timeout:
    first = "TIMEOUT"
except OSError as e:
    first = errno.errorcode.get(e.errno, str(e.errno))
print("bytes=%d first=%s lport=%d data=%s" % (len(data), first, lport, data.decode("latin-1").encode("unicode_escape").decode()))
