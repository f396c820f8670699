"""server.py - a Python victim server for test/integration/core_python.sh.

    python3 server.py PORT FAMILY(4|6) BYTES MODE

Speaks the protocol of test/progs/victim.c: prints "READY <port>", accepts
one connection, reads the request line up to '\\n', sends BYTES payload bytes
(the generator of test/progs/testnet.h), prints "SENT <n>", then ends:
  close      sock.close()                      -> FIN, all data
  shutdown   sock.shutdown(SHUT_WR), os._exit(1) -> FIN, all data
  os_exit1   os._exit(1)                       -> RST
  abort      os.abort()                        -> RST
  external   wait for the test's kill -9       -> RST
Python creates its sockets with type SOCK_STREAM|SOCK_CLOEXEC (0x80001) and
protocol 6: the library must still recognise them as TCP.
"""
import os
import signal
import socket
import sys

port, family, total, mode = int(sys.argv[1]), sys.argv[2], int(sys.argv[3]), sys.argv[4]
K = 0x9E3779B97F4A7C15
MASK = (1 << 64) - 1
data = bytes(((i * K) & MASK) >> 56 for i in range(total))

fam = socket.AF_INET6 if family == "6" else socket.AF_INET
host = "::1" if family == "6" else "127.0.0.1"
lsock = socket.socket(fam, socket.SOCK_STREAM)
lsock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
lsock.bind((host, port))
lsock.listen(1)
print(f"READY {lsock.getsockname()[1]}", flush=True)
conn, _ = lsock.accept()
lsock.close()
request = b""
while not request.endswith(b"\n"):
    chunk = conn.recv(1)
    if not chunk:
        sys.exit("EOF before the request line ended")
    request += chunk
conn.sendall(data)
print(f"SENT {total}", flush=True)

if mode == "close":
    conn.close()
elif mode == "shutdown":
    conn.shutdown(socket.SHUT_WR)
    os._exit(1)
elif mode == "os_exit1":
    os._exit(1)
elif mode == "abort":
    import resource  # no core file in the work tree
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    signal.signal(signal.SIGABRT, signal.SIG_DFL)
    os.abort()
elif mode == "external":
    while True:
        signal.pause()
else:
    sys.exit(f"bad mode {mode}")
