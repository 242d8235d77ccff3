#!/usr/bin/env python3
"""Opens N keep-alive TLS connections to a server on loopback, sends one
GET /healthz on each, then holds them all idle so the server's memory per idle
connection can be read. Prints "ready N PROTOCOL CIPHER" when all are open and
answered, holds them until SIGTERM (or --hold-seconds pass), then closes them
and exits. Loopback only; bounded in count and time.

Usage: idle_connections.py --port PORT --cafile CERT [--count 1000] [--hold-seconds 60]
"""
import argparse
import resource
import select
import signal
import socket
import ssl
import sys
import time


def read_response(tls):
    """Reads one HTTP/1.1 response with a Content-Length; returns its status."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = tls.recv(4096)
        if not chunk:
            raise ConnectionError("closed before the response header")
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    status = int(lines[0].split()[1])
    length = 0
    for line in lines[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value.strip())
    while len(body) < length:
        chunk = tls.recv(4096)
        if not chunk:
            raise ConnectionError("closed inside the response body")
        body += chunk
    return status


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--cafile", required=True)
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--hold-seconds", type=float, default=60)
    args = parser.parse_args()
    if not args.host.startswith("127.") and args.host not in ("localhost", "::1"):
        sys.exit("idle_connections.py: loopback only")

    # Each connection is a descriptor: raise the soft limit to what the system allows.
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < args.count + 64:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    context = ssl.create_default_context(cafile=args.cafile)
    request = f"GET /healthz HTTP/1.1\r\nHost: {args.host}:{args.port}\r\n\r\n".encode()
    held = []
    for i in range(args.count):
        raw = socket.create_connection((args.host, args.port), timeout=10)
        tls = context.wrap_socket(raw, server_hostname=args.host)
        tls.sendall(request)
        status = read_response(tls)
        if status != 200:
            sys.exit(f"idle_connections.py: connection {i}: GET /healthz answered {status}")
        held.append(tls)
    first = held[0]
    print(f"ready {len(held)} {first.version()} {first.cipher()[0]}", flush=True)

    # Hold until SIGTERM or the bound runs out, then say whether all survived.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    try:
        time.sleep(args.hold_seconds)
    finally:
        early = closed_by_server(held)
        for tls in held:
            try:
                tls.close()
            except OSError:
                pass
        print(f"closed {len(held)} (the server had closed {early} of them)", flush=True)


def closed_by_server(held):
    """Counts connections the server closed while they were held."""
    closed = 0
    poller = select.poll()  # select() stops at descriptor 1023
    by_fd = {tls.fileno(): tls for tls in held}
    for fd in by_fd:
        poller.register(fd, select.POLLIN)
    for fd, _ in poller.poll(0):
        tls = by_fd[fd]
        tls.setblocking(False)
        try:
            if tls.recv(1) == b"":
                closed += 1
        except ssl.SSLWantReadError:
            pass  # a TLS record that carried no data (a session ticket)
        except OSError:
            closed += 1
    return closed


if __name__ == "__main__":
    main()
