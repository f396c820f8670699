"""fd_tie.py - two holders of one TCP connection in different fork trees
(test/fdpaths/tie.sh): P, a server, hands each accepted connection over to
Q, an unrelated process, with SCM_RIGHTS, and both close it at one instant.

    python3 fd_tie.py recv SOCKPATH END [EXTRA]
    python3 fd_tie.py send PORT SOCKPATH TRIALS BYTES
    python3 fd_tie.py send-exec PORT TRIALS BYTES

recv (Q): listens on the UNIX socket SOCKPATH, prints "READY-UNIX", takes
one connection from P; for each socket received (with a deadline, CLOCK_
MONOTONIC ns) it answers one byte, then ends it by END:
  close  busy-waits for the deadline and closes it (the same instant as P)
  hold   prints "HOLDING" and keeps it: the test SIGKILLs Q
  lock   takes a POSIX write lock on byte 0 of the socket itself before it
         answers (as a holder stopped in the middle of its own close would
         hold it), prints "LOCKED", waits for the file SOCKPATH.go (at most
         20 s), closes
Q exits 0 when P closes the UNIX connection.  EXTRA: first open /dev/null
that many times (a receiver with many fds, as a busy worker has).

send (P): listens on 127.0.0.1:PORT, prints "READY <port>", connects to Q;
TRIALS times: connects a client of its own, accepts, writes BYTES of the
pattern of test/progs/testnet.h to the accepted socket, hands it to Q with
a deadline 3 ms ahead, waits for Q's byte, busy-waits for the deadline and
closes its copy (prints "CLOSED" after the first), then reads the client to
the end: EOF with every byte exact, or ECONNRESET.  Prints
"RESULT trials=N eof=E reset=R bad=B" (bad: EOF with wrong or missing
bytes).

send-exec (P): the same TRIALS, but each accepted connection goes to a new
child (subprocess: fork and exec, so its records are in a ledger of its
own) that inherits it (pass_fds), says it runs, and at the deadline execs
/bin/true with the socket close-on-exec: the exec closes its copy at the
instant P closes its own (exec-at, the child's side)."""
import fcntl
import os
import socket
import struct
import subprocess
import sys
import time

K = 0x9E3779B97F4A7C15
MASK = (1 << 64) - 1


def pattern(n):
    return bytes(((i * K) & MASK) >> 56 for i in range(n))


def until(deadline):
    while time.monotonic_ns() < deadline:
        pass


def listen_on(port):
    ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind(("127.0.0.1", port))
    ls.listen(16)
    print(f"READY {port}", flush=True)
    return ls


def outcome(c, data):
    """How the client c saw its connection end: eof (every byte), bad, reset."""
    got = b""
    try:
        while True:
            x = c.recv(65536)
            if not x:
                break
            got += x
    except ConnectionResetError:
        return "reset"
    finally:
        c.close()
    return "eof" if got == data else "bad"


def report(trials, counts):
    print(f"RESULT trials={trials} eof={counts['eof']} reset={counts['reset']} bad={counts['bad']}", flush=True)


def recv_main(path, end, extra):
    fillers = [open("/dev/null", "rb") for _ in range(extra)]  # kept open until Q ends
    us = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    us.bind(path)
    us.listen(1)
    print("READY-UNIX", flush=True)
    u, _ = us.accept()
    held = []
    while True:
        msg, fds, _, _ = socket.recv_fds(u, 16, 1)
        if not msg:
            return
        (deadline,) = struct.unpack("!Q", msg[:8])
        if end == "lock":  # before the answer: P closes after it
            fcntl.lockf(fds[0], fcntl.LOCK_EX | fcntl.LOCK_NB)
            print("LOCKED", flush=True)
        u.sendall(b"k")
        if end == "close":
            until(deadline)
            os.close(fds[0])
        elif end == "hold":
            held.append(fds[0])
            print("HOLDING", flush=True)
        else:
            for _ in range(2000):
                if os.path.exists(path + ".go"):
                    break
                time.sleep(0.01)
            os.close(fds[0])


def send_main(port, path, trials, nbytes):
    data = pattern(nbytes)
    ls = listen_on(port)
    u = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    u.connect(path)
    counts = {"eof": 0, "reset": 0, "bad": 0}
    for i in range(trials):
        c = socket.create_connection(("127.0.0.1", port), timeout=30)
        a, _ = ls.accept()
        a.sendall(data)
        deadline = time.monotonic_ns() + 3_000_000
        socket.send_fds(u, [struct.pack("!Q", deadline)], [a.fileno()])
        if u.recv(1) != b"k":
            sys.exit("fd_tie: no answer from the receiver")
        until(deadline)
        a.close()
        if i == 0:
            print("CLOSED", flush=True)
        counts[outcome(c, data)] += 1
    u.close()
    report(trials, counts)


def send_exec_main(port, trials, nbytes):
    data = pattern(nbytes)
    ls = listen_on(port)
    counts = {"eof": 0, "reset": 0, "bad": 0}
    for _ in range(trials):
        c = socket.create_connection(("127.0.0.1", port), timeout=30)
        a, _ = ls.accept()
        a.sendall(data)
        child = subprocess.Popen([sys.executable, __file__, "exec-at", str(a.fileno())],
                                 pass_fds=[a.fileno()], stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        if child.stdout.readline() != b"R\n":
            sys.exit("fd_tie: the child did not start")
        deadline = time.monotonic_ns() + 3_000_000
        child.stdin.write(b"%d\n" % deadline)
        child.stdin.flush()
        until(deadline)
        a.close()
        counts[outcome(c, data)] += 1
        child.wait(timeout=30)
    report(trials, counts)


def exec_at(fd):
    print("R", flush=True)
    deadline = int(sys.stdin.readline())
    os.set_inheritable(fd, False)
    until(deadline)
    os.execv("/bin/true", ["true"])


if sys.argv[1] == "exec-at":
    exec_at(int(sys.argv[2]))
elif sys.argv[1] == "send-exec":
    send_exec_main(int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]))
elif sys.argv[1] == "recv":
    recv_main(sys.argv[2], sys.argv[3], int(sys.argv[4]) if len(sys.argv) > 4 else 0)
else:
    send_main(int(sys.argv[2]), sys.argv[3], int(sys.argv[4]), int(sys.argv[5]))
