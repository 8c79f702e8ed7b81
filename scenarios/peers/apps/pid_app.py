"""A WSGI app for the peer scenarios: `hello gin!` with X-Pid = the answering process's pid (a
prefork worker's), /slow?ms=N sleeps N ms first, /healthz answers `ok` (the settle probe)."""
import os
import time
from urllib.parse import parse_qs


def app(environ, start_response):
    path = environ.get("PATH_INFO", "/")
    if path == "/slow":
        time.sleep(int(parse_qs(environ.get("QUERY_STRING", "")).get("ms", ["0"])[0]) / 1000)
    body = b"ok" if path == "/healthz" else b"hello gin!"
    start_response("200 OK", [("Content-Type", "text/plain"),
                              ("Content-Length", str(len(body))),
                              ("X-Pid", str(os.getpid()))])
    return [body]
