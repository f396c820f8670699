#!/usr/bin/env python3
"""fd_pyspawn.py - a Python server for test/fdpaths/spawn.sh.

usage: fd_pyspawn.py PORT BYTES HOW END [TARGET]
  Listens on 127.0.0.1:PORT, prints "READY <port>", accepts one connection,
  reads the request line, sends the first half of the payload, spawns a
  child the way HOW says, sends the rest, then ENDs:
    HOW  run-close-fds   subprocess.run(["/bin/true"], close_fds=True)
         run-pass-fds    the same with pass_fds=(conn,): the child holds it
         popen-shell     subprocess.Popen("exit 0", shell=True).wait()
         os-system       os.system("exit 0")
    END  kill            SIGKILL to itself (a crash: RST wanted)
         close           conn.close(), then SIGKILL (FIN and every byte)
  HOW handover: a hand-over to a spawned program instead.  Sends the first
  half (END kill) or all of the payload (END close), then
  subprocess.Popen(TARGET, stdout=conn): TARGET is fd_server as an exec
  target, --then END on its fd 1.  Once it has loaded (it adopted the
  connection), the server closes its copy and exits 0; the target then ENDs.
CPython's _posixsubprocess forks with vfork() when it can and calls
close_range() in the child (issue 3): that must not touch the parent.
The payload is testnet.h's payload_byte().
"""
import os
import signal
import socket
import subprocess
import sys


def payload(off, n):
    return bytes(((i * 0x9E3779B97F4A7C15) & 0xFFFFFFFFFFFFFFFF) >> 56 for i in range(off, off + n))


def handover(conn, data, total, end, target):
    conn.sendall(data if end == "close" else data[: total // 2])
    ready_r, ready_w = os.pipe()
    go_r, go_w = os.pipe()
    child = subprocess.Popen([target, "--case", "target", "--then", end, "--fd", "1",
                              "--ready", str(ready_w), "--go", str(go_r)],
                             stdout=conn, pass_fds=(ready_w, go_r))
    print("PID", child.pid, flush=True)
    os.close(ready_w)
    os.close(go_r)
    if os.read(ready_r, 1) != b"g":
        sys.exit("handover: the target did not start")
    conn.close()
    os.write(go_w, b"g")
    child.wait()


def main():
    port, total, how, end = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], sys.argv[4]
    data = payload(0, total)
    lsock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    lsock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    lsock.bind(("127.0.0.1", port))
    lsock.listen(4)
    print("READY", port, flush=True)
    conn, _ = lsock.accept()
    req = b""
    while not req.endswith(b"\n"):
        b = conn.recv(1)
        if not b:
            sys.exit("request: EOF")
        req += b
    if how == "handover":
        handover(conn, data, total, end, sys.argv[5])
        return
    conn.sendall(data[: total // 2])
    if how == "run-close-fds":
        subprocess.run(["/bin/true"], close_fds=True, check=True)
    elif how == "run-pass-fds":
        subprocess.run(["/bin/true"], close_fds=True, pass_fds=(conn.fileno(),), check=True)
    elif how == "popen-shell":
        if subprocess.Popen("exit 0", shell=True).wait() != 0:
            sys.exit("popen-shell failed")
    elif how == "os-system":
        if os.system("exit 0") != 0:
            sys.exit("os.system failed")
    else:
        sys.exit("unknown HOW " + how)
    conn.sendall(data[total // 2:])
    if end == "close":
        conn.close()
    sys.stdout.flush()
    os.kill(os.getpid(), signal.SIGKILL)


main()
