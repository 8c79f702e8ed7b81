#!/usr/bin/python3
"""A prefork HTTP server from Python's standard library: the test fixture of expect.reload:
in_place (a master whose worker set is replaced on SIGHUP, as gunicorn and nginx do).

The master takes its listener as fd 3 (LISTEN_FDS=1) or binds --port, forks --workers workers
that accept on it and answer with X-Pid = the worker's pid, and sends READY=1 to NOTIFY_SOCKET.
SIGHUP: RELOADING=1; the old workers are told to stop (SIGTERM) and each says, on its pipe, that
it accepts no more; then a new set is forked and READY=1 sent. Old workers finish what they
accepted and exit. SIGTERM/SIGINT: the same to every worker, exit 0 once all are gone.
--broken: an old worker says it stopped, yet keeps accepting for --linger-ms (the bug
new_served_by_new must catch).
"""
import argparse
import os
import select
import selectors
import signal
import socket
import sys
import threading
import time
from http.server import ThreadingHTTPServer


# The request handler of the single-process example (harness/examples/tiny_server.py): /, /slow
# and /healthz, X-Pid = os.getpid() at answer time, so each worker names itself.
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "examples"))
import tiny_server  # noqa: E402

tiny_server.MESSAGE = "hello gin!"
Handler = tiny_server.Handler


def notify(message):
    path = os.environ.get("NOTIFY_SOCKET")
    if not path:
        return
    if path.startswith("@"):
        path = "\0" + path[1:]
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as s:
        s.sendto(message.encode(), path)


def worker(listener, ack_w, broken, linger_ms):
    """Accepts until SIGTERM, says so on ack_w, finishes its requests, exits 0."""
    server = ThreadingHTTPServer(listener.getsockname(), Handler, bind_and_activate=False)
    server.socket.close()
    server.socket = listener
    server.daemon_threads = False  # server_close() waits for the requests in flight
    listener.setblocking(False)  # the workers share the queue: another may take a connection
    stop_r, stop_w = os.pipe()

    def await_stop():
        signal.sigwait({signal.SIGTERM})
        os.write(stop_w, b"s")

    threading.Thread(target=await_stop, daemon=True).start()
    sel = selectors.DefaultSelector()
    sel.register(listener, selectors.EVENT_READ)
    sel.register(stop_r, selectors.EVENT_READ)
    stop_at = None
    while stop_at is None or time.monotonic() < stop_at:
        for key, _ in sel.select(0.05 if stop_at is not None else None):
            if key.fileobj == stop_r:
                os.read(stop_r, 1)
                os.write(ack_w, b"a")  # accepts no more (the broken one says so, and lies)
                stop_at = time.monotonic() + (linger_ms / 1000 if broken else 0)
                sel.unregister(stop_r)
                break  # not one accept after the "stopped" (the rest of this batch included)
            try:
                conn, addr = listener.accept()
            except (BlockingIOError, InterruptedError):
                continue
            conn.setblocking(True)
            server.process_request(conn, addr)
    sel.close()
    server.server_close()  # joins the request threads; closes only this process's fd
    os._exit(0)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--broken", action="store_true")
    ap.add_argument("--linger-ms", type=int, default=1000)
    args = ap.parse_args()
    handled = {signal.SIGHUP, signal.SIGTERM, signal.SIGINT, signal.SIGCHLD}
    signal.pthread_sigmask(signal.SIG_BLOCK, handled)  # taken with sigwaitinfo, never async
    if os.environ.get("LISTEN_FDS") == "1":
        listener = socket.socket(fileno=3)
    else:
        listener = socket.create_server(("127.0.0.1", args.port), backlog=1024)
        print(f"listening on 127.0.0.1:{listener.getsockname()[1]} pid={os.getpid()}", flush=True)

    workers = {}  # pid -> read end of its "stopped accepting" pipe

    def spawn():
        ack_r, ack_w = os.pipe()
        pid = os.fork()
        if pid == 0:
            os.close(ack_r)
            for other in workers.values():  # the master's ends of the other workers' pipes
                os.close(other)
            signal.pthread_sigmask(signal.SIG_UNBLOCK, handled - {signal.SIGTERM})
            try:
                worker(listener, ack_w, args.broken, args.linger_ms)
            finally:
                os._exit(1)
        os.close(ack_w)
        workers[pid] = ack_r

    def stop(pids):
        for pid in pids:
            try:
                os.kill(pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
        for pid in pids:  # each one's "stopped accepting" (EOF if it died), bounded
            ack = workers.pop(pid)
            ready, _, _ = select.select([ack], [], [], 2.0)
            if ready:
                os.read(ack, 1)
            os.close(ack)

    def reap():
        while True:
            try:
                pid, _ = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                return
            if pid in workers:
                os.close(workers.pop(pid))

    for _ in range(args.workers):
        spawn()
    notify("READY=1")
    while True:
        info = signal.sigwaitinfo(handled)
        if info.si_signo == signal.SIGCHLD:
            reap()
        elif info.si_signo == signal.SIGHUP:
            notify("RELOADING=1")
            stop(list(workers))
            for _ in range(args.workers):
                spawn()
            notify("READY=1")
        else:
            stop(list(workers))
            while True:
                try:
                    os.wait()
                except ChildProcessError:
                    break
            sys.exit(0)


if __name__ == "__main__":
    main()
