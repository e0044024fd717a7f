#!/usr/bin/env python3
"""A loopback symbol server for the fetch tests, with fault injection.

    symserver.py --port-file F --log L --root DIR [--root DIR ...]

Serves files from the roots (first root holding the path wins) on 127.0.0.1
at a free port, written to the port file once listening. Every request is
appended to the log as "METHOD PATH STATUS port=CLIENTPORT" before the reply
is sent (the client port shows whether a connection was reused).

Paths under /fault/MODE/.../REST inject faults; REST is the store path:
  /fault/404/REST              always 404
  /fault/500/REST              always 500
  /fault/flaky/N/REST          500 for the first N requests of REST, then the file
  /fault/429/S/REST            429 with Retry-After: S on the first request, then the file
  /fault/busy/S/REST           always 429 with Retry-After: S
  /fault/slow/MS/REST          waits MS milliseconds, then the file
  /fault/truncate/REST         Content-Length of the file, half of it sent
  /fault/garbage/REST          200 with bytes that are no symbol file
  /fault/loop/REST             302 to itself, forever
  /fault/redirect/REST         302 to /REST
  /fault/gzip/REST             the file with Content-Encoding: gzip
  /fault/auth/TOKEN/REST       401 unless "Authorization: Bearer TOKEN"
"""
import argparse
import gzip
import http.server
import os
import threading
import time
import urllib.parse

lock = threading.Lock()
counts = {}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--log", required=True)
    ap.add_argument("--root", action="append", default=[])
    args = ap.parse_args()
    logf = open(args.log, "a", buffering=1)

    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, fmt, *a):
            pass

        def note(self, status):
            if getattr(self, "quiet", False):
                return
            with lock:
                logf.write("%s %s %d port=%d\n" % (self.command, self.path, status,
                                                    self.client_address[1]))
                logf.flush()

        def find(self, rest):
            rest = urllib.parse.unquote(rest).lstrip("/")
            if ".." in rest.split("/"):
                return None
            for r in args.root:
                p = os.path.join(r, rest)
                if os.path.isfile(p):
                    return p
            return None

        def reply(self, status, body=b"", headers=()):
            self.note(status)
            self.send_response(status)
            for k, v in headers:
                self.send_header(k, v)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)

        def serve(self, rest, extra=(), gz=False):
            p = self.find(rest)
            if p is None:
                return self.reply(404, b"not found\n")
            with open(p, "rb") as f:
                body = f.read()
            hdrs = list(extra)
            if gz and "gzip" in self.headers.get("Accept-Encoding", ""):
                body = gzip.compress(body)
                hdrs.append(("Content-Encoding", "gzip"))
            self.reply(200, body, hdrs)

        def first_n(self, key, n):
            with lock:
                c = counts.get(key, 0)
                counts[key] = c + 1
            return c < n

        def do_GET(self):
            path = self.path.split("?", 1)[0]
            if not path.startswith("/fault/"):
                return self.serve(path)
            parts = path[len("/fault/"):].split("/", 2)
            mode = parts[0]
            if mode in ("404", "500", "truncate", "garbage", "loop", "redirect", "gzip"):
                rest = "/".join(parts[1:])
                if mode == "404":
                    return self.reply(404)
                if mode == "500":
                    return self.reply(500, b"oops\n")
                if mode == "garbage":
                    return self.reply(200, b"MZ this is not a symbol file " * 200)
                if mode == "loop":
                    return self.reply(302, b"", [("Location", self.path)])
                if mode == "redirect":
                    return self.reply(302, b"", [("Location", "/" + rest)])
                if mode == "gzip":
                    return self.serve(rest, gz=True)
                p = self.find(rest)
                if p is None:
                    return self.reply(404)
                with open(p, "rb") as f:
                    body = f.read()
                self.note(200)
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body[: len(body) // 2])
                self.wfile.flush()
                self.close_connection = True
                return
            arg, rest = parts[1], parts[2] if len(parts) > 2 else ""
            if mode == "flaky":
                if self.first_n(path, int(arg)):
                    return self.reply(500, b"flaky\n")
                return self.serve(rest)
            if mode == "429":
                if self.first_n(path, 1):
                    return self.reply(429, b"", [("Retry-After", arg)])
                return self.serve(rest)
            if mode == "busy":
                return self.reply(429, b"", [("Retry-After", arg)])
            if mode == "slow":
                # Logged on arrival: a client that gives up still counts.
                self.note(0)
                self.quiet = True
                time.sleep(int(arg) / 1000.0)
                return self.serve(rest)
            if mode == "auth":
                if self.headers.get("Authorization", "") != "Bearer " + arg:
                    return self.reply(401)
                return self.serve(rest)
            return self.reply(400)

    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    srv.daemon_threads = True
    tmp = args.port_file + ".tmp"
    with open(tmp, "w") as f:
        f.write("%d\n" % srv.server_address[1])
    os.rename(tmp, args.port_file)
    srv.serve_forever()


if __name__ == "__main__":
    main()
