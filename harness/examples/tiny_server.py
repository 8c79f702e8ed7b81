#!/usr/bin/env python3
"""A tiny HTTP server in Python's standard library that speaks the smallest useful part of the
zerodrop contract: it binds the port it is given (0 = ephemeral), prints
`listening on 127.0.0.1:PORT pid=PID generation=1`, answers with X-Pid, and on SIGTERM stops
accepting, answers the connections already queued, finishes the requests in flight, and exits 0."""
import argparse
import os
import signal
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self):
        url = urlparse(self.path)
        if url.path == "/slow":
            time.sleep(int(parse_qs(url.query).get("ms", ["0"])[0]) / 1000)
        body = b"ok" if url.path == "/healthz" else MESSAGE.encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("X-Pid", str(os.getpid()))
        self.send_header("X-Generation", "1")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def main():
    global MESSAGE
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--message", default="hello python!")
    args = ap.parse_args()
    MESSAGE = args.message
    # Block the stop signals before any thread exists (threads inherit the mask), then take them
    # synchronously in the main thread. A Python-level handler plus Event.wait() is not enough:
    # the kernel may deliver SIGTERM to a handler thread, and the main thread, asleep on a lock,
    # would not run the handler until something else woke it.
    stop_signals = {signal.SIGTERM, signal.SIGINT}
    signal.pthread_sigmask(signal.SIG_BLOCK, stop_signals)
    server = ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    server.daemon_threads = False  # server_close() waits for requests in flight
    threading.Thread(target=server.serve_forever, daemon=True).start()
    print(f"listening on 127.0.0.1:{server.server_address[1]} pid={os.getpid()} generation=1", flush=True)
    signal.sigwait(stop_signals)
    server.shutdown()      # stop the accept loop
    # Connections already in the kernel's accept queue were completed for their clients, who
    # have sent their requests: closing the listener now would reset them. Take them first.
    server.socket.setblocking(False)
    while True:
        try:
            conn, addr = server.socket.accept()
        except BlockingIOError:
            break
        conn.setblocking(True)
        server.process_request(conn, addr)
    server.server_close()  # close the listener, join the handler threads
    sys.exit(0)


if __name__ == "__main__":
    main()
