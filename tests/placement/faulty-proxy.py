#!/usr/bin/python3
"""A faulty Placement for tests: a proxy on loopback in front of the real
one that, at random (seeded, so a failing run can be repeated), answers
409 or 500 itself, resets the connection before or after forwarding (the
request took effect, the answer is lost), or answers 200 with garbage.

    faulty-proxy.py UPSTREAM_URL SEED FAULT_RATE LOG

Prints its port on stdout once it listens; counts each fate in LOG."""
import http.client
import http.server
import json
import random
import socket
import socketserver
import struct
import sys
import threading
import urllib.parse

upstream = urllib.parse.urlsplit(sys.argv[1])
rng = random.Random(int(sys.argv[2]))
rate = float(sys.argv[3])
log_path = sys.argv[4]
lock = threading.Lock()
counts = {}

FATES = ["409", "500", "reset", "lost", "garbage"]


def count(fate):
    with lock:
        counts[fate] = counts.get(fate, 0) + 1
        with open(log_path, "w") as f:
            json.dump(counts, f)


class Proxy(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def reset(self):
        # SO_LINGER 0: the client sees a connection reset, not a clean close
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.close_connection = True

    def answer(self, status, body, ctype="application/json"):
        data = body.encode()
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def forward(self, body):
        conn = http.client.HTTPConnection(upstream.hostname, upstream.port, timeout=30)
        headers = {k: v for k, v in self.headers.items() if k.lower() not in ("host", "connection")}
        conn.request(self.command, self.path, body=body, headers=headers)
        resp = conn.getresponse()
        data = resp.read()
        conn.close()
        return resp, data

    def handle_any(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else None
        with lock:
            fate = rng.choice(FATES) if rng.random() < rate else "pass"
        count(fate)
        if fate == "409":
            self.answer(409, json.dumps({"errors": [{"status": 409, "code": "placement.concurrent_update",
                                                     "title": "Conflict", "detail": "injected conflict"}]}))
        elif fate == "500":
            self.answer(500, "<html><body>injected internal server error</body></html>", "text/html")
        elif fate == "reset":
            self.reset()
        elif fate == "garbage":
            self.answer(200, "\x00{not json at all", "application/json")
        else:
            resp, data = self.forward(body)
            if fate == "lost":
                self.reset()
                return
            self.send_response(resp.status)
            for k, v in resp.getheaders():
                if k.lower() not in ("connection", "transfer-encoding", "content-length"):
                    self.send_header(k, v)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    do_GET = do_PUT = do_POST = do_DELETE = do_PATCH = handle_any


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True


server = Server(("127.0.0.1", 0), Proxy)
print(server.server_address[1], flush=True)
server.serve_forever()
