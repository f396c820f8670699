"""fd_pidns.py - a forking server whose handler is in a new PID namespace
(test/fdpaths/fork-pidns.sh), as a sandboxing server makes it (unshare(1),
bubblewrap, nsjail: unshare(CLONE_NEWPID), then fork: the child is pid 1 of
its namespace, and the parent's pids are not its own).

    python3 fd_pidns.py PORT BYTES ORDER END

Speaks the protocol of test/progs/victim.c: prints "READY <port>", accepts
one connection, reads the request line, then unshares its PID namespace and
forks; the payload (test/progs/testnet.h) is sent by
  parent-first  the child alone, after the parent closed its copy;
  child-first   the child (the first half; it closes its copy, exits), then
                the parent (the rest);
  parent-gone   the child alone, after the parent left without closing.
Whoever sends last prints "SENT <n>" and ends with END:
  close  sock.close()          -> FIN, every byte
  exit1  os._exit(1), open     -> RST
The parent exits 0 after its child (parent-gone: 1, at once)."""
import ctypes
import os
import socket
import sys

port, total, order, end = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], sys.argv[4]
K = 0x9E3779B97F4A7C15
MASK = (1 << 64) - 1
data = bytes(((i * K) & MASK) >> 56 for i in range(total))
CLONE_NEWPID = 0x20000000


def finish(conn):
    print(f"SENT {total}", flush=True)
    if end == "close":
        conn.close()
        os._exit(0)
    os._exit(1)


lsock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
lsock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
lsock.bind(("127.0.0.1", port))
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

libc = ctypes.CDLL(None, use_errno=True)
if libc.unshare(CLONE_NEWPID) != 0:
    sys.exit(f"unshare(CLONE_NEWPID): errno {ctypes.get_errno()}")
go_r, go_w = os.pipe()     # parent -> child: go on
done_r, done_w = os.pipe()  # child -> parent: done
pid = os.fork()
if pid == 0:
    os.close(go_w)
    os.close(done_r)
    if os.getpid() != 1:
        sys.exit(f"the child is pid {os.getpid()} of its namespace, not 1")
    os.read(go_r, 1)  # parent-gone: EOF once the parent has exited
    if order == "child-first":
        conn.sendall(data[: total // 2])
        conn.close()
        os.write(done_w, b"d")
        os._exit(0)
    conn.sendall(data)
    finish(conn)
os.close(go_r)
os.close(done_w)
if order == "parent-gone":
    os._exit(1)  # without closing; the child holds the connection
if order == "parent-first":
    conn.close()
    os.write(go_w, b"g")
    os.waitpid(pid, 0)
    sys.exit(0)
os.write(go_w, b"g")
os.read(done_r, 1)
os.waitpid(pid, 0)
conn.sendall(data[total // 2:])
finish(conn)
