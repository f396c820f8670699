"""client.py - the peer of the `abortclose --status` tests.

    python3 client.py HOST:PORT:LOCALPORT ...   (HOST 127.0.0.1 or ::1)

Opens one connection per argument from the fixed LOCALPORT (so the wire
capture and the server can tell the connections apart), prints
"CONNECTED", then reads every connection until it ends and prints one line
per connection: "LOCALPORT first=EOF|ECONNRESET|TIMEOUT bytes=N", then
"DONE".  Never writes: no unread input on the server, so any RST on the
wire is the server's arming, not RFC 2525's.  Gives up after 30 s.
"""
import select
import socket
import sys
import time

conns = {}
for spec in sys.argv[1:]:
    host, port, lport = spec.rsplit(":", 2)
    fam = socket.AF_INET6 if ":" in host else socket.AF_INET
    s = socket.socket(fam, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((host, int(lport)))
    s.connect((host, int(port)))
    conns[s] = [int(lport), 0]
print("CONNECTED", flush=True)

deadline = time.monotonic() + 30
results = {}
while conns and time.monotonic() < deadline:
    ready, _, _ = select.select(list(conns), [], [], 1)
    for s in ready:
        lport, got = conns[s]
        try:
            data = s.recv(65536)
        except ConnectionResetError:
            results[lport] = "first=ECONNRESET bytes=%d" % got
            del conns[s]
            continue
        if data:
            conns[s][1] += len(data)
        else:
            results[lport] = "first=EOF bytes=%d" % got
            del conns[s]
for s, (lport, got) in conns.items():
    results[lport] = "first=TIMEOUT bytes=%d" % got
for lport in sorted(results):
    print(lport, results[lport], flush=True)
print("DONE", flush=True)
