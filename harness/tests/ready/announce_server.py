#!/usr/bin/env python3
"""A test fixture for zerodrop's readiness and main-pid sources: a standard-library HTTP server
that announces itself only the ways real servers do, never with zerodrop's own stdout line or
NOTIFY_SOCKET:

  --announce pid-file   writes its pid to --pid-file (temp file + rename, as gunicorn and
                        tableflip do; --in-place: open/truncate/write, as nginx does)
  --announce log        logs gunicorn's line to stderr:
                        [TIME] [PID] [INFO] Listening at: http://127.0.0.1:PORT (PID)
  --announce none       says nothing (readiness: GET answers)

It binds --port itself (never an inherited fd 3; with --strict-fds it exits 3 when it was given
LISTEN_FDS or a socket on fd 3). It answers every GET with its body (--message, default the
environment's ZD_MESSAGE, else "hello announce!"), X-Pid and X-Generation; /slow?ms=N after N ms.
With --only-probe PATH, a GET of /healthz is dropped without an answer (a server whose health
endpoint lives elsewhere). SIGHUP: fork-restart — a child (exec of this script) takes the
listening socket, tells this process to stop accepting (SIGTERM), waits for the answer (a pipe
closed: this process has stopped accepting and taken what was queued), then announces itself;
this process finishes its requests in flight and exits 0.
SIGTERM/SIGINT without a successor: the same, without the child.

--daemon ORDER daemonizes as nginx does with `daemon on`: once bound, the process started forks
the server (which calls setsid) and exits --daemon-exit (default 0). ORDER says who goes first,
each awaited through a pipe, not a sleep: exit-first (the daemon announces once the first process
has gone, nginx's usual order) or name-first (the first process exits once the daemon has
announced itself). --daemon none: the first process exits --daemon-exit at once, having forked
nothing (a start that hands over to no one)."""
import argparse
import os
import selectors
import signal
import socket
import stat
import subprocess
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

ARGS = None


class Server(ThreadingHTTPServer):
    # socketserver's default backlog is 5: under load a full queue drops SYNs, and the client's
    # retransmission a second later lands on whichever generation accepts then.
    request_queue_size = 128


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self):
        url = urlparse(self.path)
        if ARGS.only_probe and url.path == "/healthz":
            self.close_connection = True  # no answer at all: the client sees the connection end
            return
        if url.path == "/slow":
            time.sleep(int(parse_qs(url.query).get("ms", ["0"])[0]) / 1000)
        body = ARGS.message.encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("X-Pid", str(os.getpid()))
        self.send_header("X-Generation", str(ARGS.generation))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def announce(port):
    pid = os.getpid()
    if ARGS.announce == "pid-file":
        if ARGS.in_place:
            with open(ARGS.pid_file, "w") as f:
                f.write(f"{pid}\n")
        else:
            d = os.path.dirname(os.path.abspath(ARGS.pid_file))
            fd, tmp = tempfile.mkstemp(dir=d)
            os.write(fd, f"{pid}\n".encode())
            os.close(fd)
            os.rename(tmp, ARGS.pid_file)
    elif ARGS.announce == "log":
        now = time.strftime("%Y-%m-%d %H:%M:%S %z")
        print(f"[{now}] [{pid}] [INFO] Listening at: http://127.0.0.1:{port} ({pid})",
              file=sys.stderr, flush=True)


def check_fds():
    if "LISTEN_FDS" in os.environ:
        print("announce_server: LISTEN_FDS set with a port of its own to bind", file=sys.stderr)
        sys.exit(3)
    try:
        if stat.S_ISSOCK(os.fstat(3).st_mode):
            print("announce_server: a socket on fd 3", file=sys.stderr)
            sys.exit(3)
    except OSError:
        pass


def daemonize():
    """Returns, in the daemon, the pipe end to close once announced (-1: nothing to tell)."""
    if ARGS.daemon == "none":
        os._exit(ARGS.daemon_exit)
    r, w = os.pipe()
    if os.fork() > 0:  # the process the harness started
        if ARGS.daemon == "name-first":
            os.close(w)
            os.read(r, 1)  # EOF: the daemon has announced itself
        os._exit(ARGS.daemon_exit)  # exit-first: its end of the pipe closes with it
    os.setsid()
    if ARGS.daemon == "exit-first":
        os.close(w)
        os.read(r, 1)  # EOF: the first process has exited
        os.close(r)
        return -1
    os.close(r)
    return w


def main():
    global ARGS
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--announce", choices=["pid-file", "log", "none"], required=True)
    ap.add_argument("--pid-file")
    ap.add_argument("--in-place", action="store_true")
    ap.add_argument("--message", default=os.environ.get("ZD_MESSAGE", "hello announce!"))
    ap.add_argument("--only-probe")
    ap.add_argument("--strict-fds", action="store_true")
    ap.add_argument("--fd", type=int, default=-1)        # a successor's inherited listener
    ap.add_argument("--ack-fd", type=int, default=-1)    # closed by the parent once it stopped
    ap.add_argument("--generation", type=int, default=1)
    ap.add_argument("--daemon", choices=["exit-first", "name-first", "none"])
    ap.add_argument("--daemon-exit", type=int, default=0)
    ARGS = ap.parse_args()
    if ARGS.fd < 0 and ARGS.strict_fds:
        check_fds()
    # The stop and restart signals are taken synchronously in the main thread (sigwait): a
    # Python handler may be left waiting while the main thread sleeps on a lock.
    sigs = {signal.SIGTERM, signal.SIGINT, signal.SIGHUP}
    signal.pthread_sigmask(signal.SIG_BLOCK, sigs)
    if ARGS.fd >= 0:
        server = Server(("127.0.0.1", 0), Handler, bind_and_activate=False)
        server.socket.close()
        server.socket = socket.socket(fileno=ARGS.fd)
        server.server_address = server.socket.getsockname()
    else:
        server = Server(("127.0.0.1", ARGS.port), Handler)
    server.daemon_threads = False  # server_close() waits for the requests in flight
    port = server.server_address[1]
    named = daemonize() if ARGS.daemon else -1
    if ARGS.fd >= 0:
        # Our parent stops accepting before we announce: a client that learns of us must not
        # be served by it.
        os.kill(os.getppid(), signal.SIGTERM)
        os.read(ARGS.ack_fd, 1)  # EOF: the parent has stopped accepting
        os.close(ARGS.ack_fd)
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02},
                     daemon=True).start()
    announce(port)
    if named >= 0:
        os.close(named)  # name-first: the first process may exit now
    successor = None
    ack_w = -1
    while True:
        sig = signal.sigwait(sigs)
        if sig == signal.SIGHUP and successor is None:
            ack_r, ack_w = os.pipe()
            fd = server.socket.fileno()
            argv = [sys.executable, os.path.abspath(__file__), "--announce", ARGS.announce,
                    "--message", ARGS.message, "--fd", str(fd), "--ack-fd", str(ack_r),
                    "--generation", str(ARGS.generation + 1)]
            if ARGS.pid_file:
                argv += ["--pid-file", ARGS.pid_file]
            if ARGS.in_place:
                argv += ["--in-place"]
            if ARGS.only_probe:
                argv += ["--only-probe", ARGS.only_probe]
            successor = subprocess.Popen(argv, pass_fds=(fd, ack_r), restore_signals=True)
            os.close(ack_r)
            continue
        if sig in (signal.SIGTERM, signal.SIGINT):
            break
    server.shutdown()  # the accept loop has stopped when this returns
    # Connections already queued were completed for their clients, before the hand-over: answer
    # them here (a successor would answer requests sent to its predecessor). Polled, never by
    # making the socket non-blocking: O_NONBLOCK lives in the open file description the successor
    # shares. Bounded in time: under steady load the queue never stays empty for long, and what
    # arrives now was sent after the signal (the successor's to answer).
    queued = selectors.DefaultSelector()
    queued.register(server.socket, selectors.EVENT_READ)
    until = time.monotonic() + 0.1
    while time.monotonic() < until and queued.select(timeout=0):
        server._handle_request_noblock()  # accept + process_request, as serve_forever does
    if successor is not None:
        os.close(ack_w)  # the successor accepts from now on, and announces itself
    server.server_close()  # joins the handler threads
    sys.exit(0)


if __name__ == "__main__":
    main()
