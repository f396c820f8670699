"""pg_client.py - a PostgreSQL client that reports what the wire did
(test/daemons/postgres.sh).  libpq words an EOF and an ECONNRESET alike
("server closed the connection unexpectedly"), so this client speaks the
protocol (3.0, trust authentication) itself and reports the socket's own
outcome.

    python3 pg_client.py PORT ROWS WIDTH MODE [GATE]

Runs SELECT repeat('x', WIDTH) FROM generate_series(1, ROWS), checks that
every DataRow is one column of exactly WIDTH 'x', and prints one line
    rows=N complete=0|1 first=EOF|ECONNRESET|... fatal=0|1 notice=0|1 pid=BACKEND
(fatal: an ErrorResponse of severity FATAL arrived; notice: a NoticeResponse
after the session started, e.g. the WARNING of a backend told to quit
because another one crashed)
MODE:
  full   read the whole result; send Terminate; read to the end
  gate   print "PROGRESS <pid>" after the first 64 KiB of rows, wait until
         the file GATE exists (at most 20 s), then read to the end (the
         test kills the backend meanwhile)
  idle   print "PROGRESS <pid>" once the session is ready, without a
         query, wait for GATE, then read to the end (the test terminates
         the backend meanwhile: a FATAL ErrorResponse, then the end)
"""
import os
import socket
import struct
import sys
import time

port, rows, width, mode = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
gate = sys.argv[5] if len(sys.argv) > 5 else None

s = socket.create_connection(("127.0.0.1", port), timeout=30)
buf = b""
first = None
fatal = 0
notice = 0


def fill():
    """More bytes into buf; False at the end (first says how it ended)."""
    global buf, first
    try:
        chunk = s.recv(65536)
    except ConnectionResetError:
        first = "ECONNRESET"
        return False
    except OSError as e:
        first = f"errno{e.errno}"
        return False
    if not chunk:
        first = "EOF"
        return False
    buf += chunk
    return True


def message():
    """The next (type, body), or None at the end of the stream."""
    global buf
    while len(buf) < 5 or len(buf) < 1 + struct.unpack("!I", buf[1:5])[0]:
        if not fill():
            return None
    n = struct.unpack("!I", buf[1:5])[0]
    t, body, buf = buf[:1], buf[5 : 1 + n], buf[1 + n :]
    return t, body


def wait_gate():
    for _ in range(400):
        if os.path.exists(gate):
            return
        time.sleep(0.05)


params = b"user\0postgres\0database\0postgres\0\0"
s.sendall(struct.pack("!II", 8 + len(params), 196608) + params)
pid = 0
while True:
    m = message()
    if m is None:
        sys.exit(f"the session did not start: {first}")
    if m[0] == b"K":
        pid = struct.unpack("!I", m[1][:4])[0]
    elif m[0] == b"E":
        sys.exit(f"startup error: {m[1]!r}")
    elif m[0] == b"Z":
        break

if mode == "idle":
    print(f"PROGRESS {pid}", flush=True)
    wait_gate()
else:
    q = f"SELECT repeat('x', {width}) FROM generate_series(1, {rows})".encode() + b"\0"
    s.sendall(b"Q" + struct.pack("!I", 4 + len(q)) + q)

want = struct.pack("!HI", 1, width) + b"x" * width
got = 0
complete = 0
said = mode == "idle"
while True:
    m = message()
    if m is None:
        break
    t, body = m
    if t == b"D":
        if body != want:
            sys.exit(f"row {got + 1} is not {width} x: {body[:40]!r}")
        got += 1
        if mode == "gate" and not said and got * width >= 65536:
            print(f"PROGRESS {pid}", flush=True)
            said = True
            wait_gate()
    elif t == b"E":
        fatal = 1 if b"FATAL" in body else fatal
    elif t == b"N":
        notice = 1
    elif t == b"Z":
        complete = 1 if got == rows else 0
        if mode == "full":
            s.sendall(b"X" + struct.pack("!I", 4))
if first is None:
    first = "?"
print(f"rows={got} complete={complete} first={first} fatal={fatal} notice={notice} pid={pid}", flush=True)
