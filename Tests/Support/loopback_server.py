#!/usr/bin/env python3
"""A loopback HTTP server for the tests: transport test routes and a fake AILabTools API.

Binds 127.0.0.1 on the given port (0: any free one) and prints
`listening on http://127.0.0.1:PORT` as its first stdout line. Python 3 stdlib only.

Transport routes:
  POST /echo                 the parsed request body as JSON (multipart fields and file hashes);
                             GET /echo answers the same for an empty body
  GET  /bytes/N              N deterministic bytes: byte i is (i * 31 + 7) % 256
  GET  /redirect?to=URL      302 to URL
  GET  /redirect-chain/N     302 to /redirect-chain/N-1; /redirect-chain/0 is /bytes/16
  GET  /chunked/N            N deterministic bytes, chunked, without Content-Length
  GET  /truncated/N          declares Content-Length N, sends N // 2 bytes, closes
  GET  /slow/SECONDS         waits, then answers "ok"
  GET  /status/CODE          answers CODE with a small JSON body (?size=N: N deterministic bytes)

Fake AILabTools API:
  POST /api/cutout/portrait/avatar-extraction
  GET  /results/<name>.png
  GET  /api/common/query-credits
  GET  /__stats, POST /__reset, POST /__release (lets held downloads go)
      counts: extraction_calls (every POST to the extraction route), billed_calls (its 200s),
      rejected_busy (429s from --max-in-flight), downloads, credits_calls, keyed_requests,
      distinct_keys, in_flight

API keys are only counted (as hashes), never printed or stored in the clear.
"""

import argparse
import hashlib
import json
import os
import signal
import struct
import sys
import threading
import time
import urllib.parse
import uuid
import zlib
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

EXTRACTION_PATH = "/api/cutout/portrait/avatar-extraction"
CREDITS_PATH = "/api/common/query-credits"


def deterministic_bytes(count):
    pattern = bytes((i * 31 + 7) % 256 for i in range(256))
    whole, rest = divmod(count, 256)
    return pattern * whole + pattern[:rest]


def png_chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def result_geometry(name):
    digest = hashlib.sha256(name.encode()).digest()
    width, height = 8 + digest[0] % 25, 8 + digest[1] % 25
    x, y = digest[2] % 64, digest[3] % 64
    return digest, width, height, x, y


def result_png(name):
    """A small valid PNG, the same for the same name; masks are 8-bit grayscale."""
    digest, width, height, _, _ = result_geometry(name)
    mask = name.endswith("-mask")
    rows = []
    for row in range(height):
        if mask:
            pixels = bytes(255 if (row + col) % 4 < 2 else 0 for col in range(width))
        else:
            pixels = b"".join(bytes((digest[4] ^ row, digest[5] ^ col, digest[6], 255)) for col in range(width))
        rows.append(b"\x00" + pixels)
    header = struct.pack(">IIBBBBB", width, height, 8, 0 if mask else 6, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", header)
            + png_chunk(b"IDAT", zlib.compress(b"".join(rows), 9)) + png_chunk(b"IEND", b""))


def parse_multipart(content_type, body):
    """Returns a list of parts: dicts with name, filename, content_type and data."""
    params = {}
    for item in content_type.split(";")[1:]:
        key, _, value = item.strip().partition("=")
        params[key.lower()] = value.strip('"')
    boundary = params.get("boundary")
    if not boundary:
        return None
    parts = []
    for chunk in body.split(b"--" + boundary.encode())[1:]:
        if chunk.startswith(b"--"):
            break
        chunk = chunk[2:] if chunk.startswith(b"\r\n") else chunk
        head, _, data = chunk.partition(b"\r\n\r\n")
        if data.endswith(b"\r\n"):
            data = data[:-2]
        part = {"name": None, "filename": None, "content_type": None, "data": data}
        for line in head.decode("utf-8", "replace").split("\r\n"):
            key, _, value = line.partition(":")
            if key.lower() == "content-disposition":
                for item in value.split(";")[1:]:
                    pkey, _, pvalue = item.strip().partition("=")
                    if pkey in ("name", "filename"):
                        part[pkey] = pvalue.strip('"')
            elif key.lower() == "content-type":
                part["content_type"] = value.strip()
        parts.append(part)
    return parts


def sniff(data):
    if data.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if data.startswith(b"BM"):
        return "bmp"
    return None


def envelope(status, code="", message="", data=None):
    body = {
        "request_id": uuid.uuid4().hex,
        "log_id": uuid.uuid4().hex[:16],
        "error_code": 0 if status == 200 else status,
        "error_msg": message,
        "error_detail": {"status_code": status, "code": code, "code_message": message, "message": message},
    }
    if code:
        body["error_code_str"] = code
    if data is not None:
        body["data"] = data
    return body


class State:
    def __init__(self, latency_ms, max_in_flight, download_latency_ms=0, results_base=None, results_redirect_to=None):
        self.lock = threading.Lock()
        self.results_base = results_base
        self.results_redirect_to = results_redirect_to
        # With --hold-downloads, result downloads wait until POST /__release.
        self.downloads_released = threading.Event()
        self.downloads_released.set()
        self.latency_ms = latency_ms
        self.download_latency_ms = download_latency_ms
        self.max_in_flight = max_in_flight
        self.in_flight = 0
        self.slow_in_flight = 0
        self.reset()

    def reset(self):
        with self.lock:
            self.extraction_calls = 0
            self.downloads = 0
            self.credits_calls = 0
            self.rejected_busy = 0
            self.billed_calls = 0
            self.key_hashes = set()
            self.keyed_requests = 0
            self.peak_in_flight = 0
            self.slow_peak = 0

    def saw_key(self, key):
        with self.lock:
            self.keyed_requests += 1
            self.key_hashes.add(hashlib.sha256(key.encode()).hexdigest())

    def stats(self):
        with self.lock:
            return {
                "extraction_calls": self.extraction_calls, "downloads": self.downloads,
                "credits_calls": self.credits_calls, "rejected_busy": self.rejected_busy,
                "billed_calls": self.billed_calls, "in_flight": self.in_flight,
                "keyed_requests": self.keyed_requests, "distinct_keys": len(self.key_hashes),
                "peak_in_flight": self.peak_in_flight, "slow_peak": self.slow_peak,
            }

    def enter_slow(self):
        with self.lock:
            self.slow_in_flight += 1
            self.slow_peak = max(self.slow_peak, self.slow_in_flight)

    def leave_slow(self):
        with self.lock:
            self.slow_in_flight -= 1


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "loopback/1"
    # TCP_NODELAY, as real HTTP servers set it: the headers and the body go out in two writes,
    # and on a kept-alive connection Nagle would hold the body until the client's delayed ACK
    # (about 40 ms a response).
    disable_nagle_algorithm = True

    def log_message(self, format, *args):
        pass  # Quiet, and never a header value.

    @property
    def state(self):
        return self.server.state

    def base_url(self):
        return "http://127.0.0.1:%d" % self.server.server_address[1]

    def read_body(self):
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length > 0 else b""

    def answer(self, status, body, content_type="application/json", extra=()):
        if not isinstance(body, bytes):
            body = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for key, value in extra:
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        url = urllib.parse.urlsplit(self.path)
        path, query = url.path, urllib.parse.parse_qs(url.query)
        if path.startswith("/bytes/"):
            count = int(path.rsplit("/", 1)[1])
            self.answer(200, deterministic_bytes(count), "application/octet-stream")
        elif path == "/redirect":
            self.answer(302, b"", "text/plain", [("Location", query.get("to", ["/"])[0])])
        elif path.startswith("/redirect-chain/"):
            left = int(path.rsplit("/", 1)[1])
            target = "/bytes/16" if left <= 0 else "/redirect-chain/%d" % (left - 1)
            self.answer(302, b"", "text/plain", [("Location", target)])
        elif path.startswith("/chunked/"):
            # No Content-Length: only counting the bytes can enforce a limit.
            data = deterministic_bytes(int(path.rsplit("/", 1)[1]))
            self.send_response(200)
            self.send_header("Content-Type", "application/octet-stream")
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            for start in range(0, len(data), 4096):
                piece = data[start:start + 4096]
                self.wfile.write(b"%x\r\n" % len(piece) + piece + b"\r\n")
            self.wfile.write(b"0\r\n\r\n")
        elif path == "/echo":
            self.echo(b"")
        elif path.startswith("/truncated/"):
            count = int(path.rsplit("/", 1)[1])
            self.send_response(200)
            self.send_header("Content-Type", "application/octet-stream")
            self.send_header("Content-Length", str(count))
            self.send_header("Connection", "close")
            self.end_headers()
            self.wfile.write(deterministic_bytes(count // 2))
            self.wfile.flush()
            self.close_connection = True
        elif path.startswith("/slow/"):
            # slow_peak counts how many slow requests were in flight at once.
            self.server.state.enter_slow()
            try:
                time.sleep(float(path.rsplit("/", 1)[1]))
            finally:
                self.server.state.leave_slow()
            self.answer(200, b"ok", "text/plain")
        elif path.startswith("/status/"):
            code = int(path.rsplit("/", 1)[1])
            size = int(query.get("size", ["0"])[0])
            self.answer(code, deterministic_bytes(size) if size else {"status": code})
        elif path.startswith("/results/") and path.endswith(".png"):
            with self.state.lock:
                self.state.downloads += 1
            if self.state.results_redirect_to:
                self.answer(302, b"", "text/plain", [("Location", self.state.results_redirect_to)])
                return
            if self.state.download_latency_ms:
                time.sleep(self.state.download_latency_ms / 1000)
            self.state.downloads_released.wait(timeout=120)
            self.answer(200, result_png(path[len("/results/"):-len(".png")]), "image/png")
        elif path == CREDITS_PATH:
            with self.state.lock:
                self.state.credits_calls += 1
            if not self.check_key():
                return
            self.answer(200, envelope(200, data=[
                {"unique_sign": "cutout_avatar_extraction", "name": "Head Extraction", "balance": 95, "total": 100},
                {"unique_sign": "common", "name": "Universal credits", "balance": 40, "total": 50},
            ]))
        elif path == "/__stats":
            self.answer(200, self.state.stats())
        else:
            self.answer(404, {"error": "no route for GET %s" % path})

    def do_POST(self):
        path = urllib.parse.urlsplit(self.path).path
        body = self.read_body()
        if path == "/echo":
            self.echo(body)
        elif path == EXTRACTION_PATH:
            self.extract(body)
        elif path == "/__release":
            self.state.downloads_released.set()
            self.answer(200, b"{}")
        elif path == "/__reset":
            self.state.reset()
            self.answer(200, {"reset": True})
        else:
            self.answer(404, {"error": "no route for POST %s" % path})

    def echo(self, body):
        content_type = self.headers.get("Content-Type", "")
        answer = {
            "method": self.command, "content_type": content_type,
            "body_sha256": hashlib.sha256(body).hexdigest(), "body_length": len(body),
            "header_names": sorted({name.lower() for name in self.headers.keys()}),
            "fields": {}, "files": [],
        }
        parts = parse_multipart(content_type, body) if content_type.startswith("multipart/") else None
        for part in parts or []:
            if part["filename"] is None:
                answer["fields"][part["name"]] = part["data"].decode("utf-8", "replace")
            else:
                answer["files"].append({
                    "name": part["name"], "filename": part["filename"], "content_type": part["content_type"],
                    "sha256": hashlib.sha256(part["data"]).hexdigest(), "size": len(part["data"]),
                })
        self.answer(200, answer)

    def check_key(self):
        key = self.headers.get("ailabapi-api-key", "")
        if not key:
            self.answer(401, envelope(401, "ERROR_APPLICATIONS_NOT_EXISTS", "The application does not exist."))
            return False
        self.state.saw_key(key)
        return True

    def extract(self, body):
        state = self.state
        with state.lock:
            state.extraction_calls += 1
            busy = state.max_in_flight > 0 and state.in_flight >= state.max_in_flight
            if busy:
                state.rejected_busy += 1
            else:
                state.in_flight += 1
                state.peak_in_flight = max(state.peak_in_flight, state.in_flight)
        if busy:
            self.answer(429, envelope(429, "EXCEEDING_LIMITS", "Too many requests in flight."))
            return
        # The request stops counting as in flight once its answer is ready, before it is
        # written: a client that got its answer may send the next request at once.
        try:
            answer = self.extraction_answer(body)
        finally:
            with state.lock:
                state.in_flight -= 1
        if answer is not None:
            self.answer(*answer)

    def extraction_answer(self, body):
        """The (status, body) for an extraction request, or None when an answer was already sent."""
        state = self.state
        if state.latency_ms > 0:
            time.sleep(state.latency_ms / 1000.0)
        if not self.check_key():
            return None
        parts = parse_multipart(self.headers.get("Content-Type", ""), body) or []
        fields = {p["name"]: p for p in parts}
        image = fields.get("image")
        if image is None or image["filename"] is None:
            return (400, envelope(400, "MISSING_PARAMETERS", "Missing parameters: image."))
        if sniff(image["data"]) is None:
            return (415, envelope(415, "UNSUPPORTED_FILE_TYPES", "Unsupported file type."))
        form = fields.get("return_form")
        mask = form is not None and form["data"] == b"mask"
        name = hashlib.sha256(image["data"]).hexdigest()[:32] + ("-mask" if mask else "")
        _, width, height, x, y = result_geometry(name)
        results_base = self.state.results_base or (self.base_url() + "/results")
        element = {"image_url": "%s/%s.png" % (results_base, name),
                   "width": width, "height": height, "x": x, "y": y}
        with state.lock:
            state.billed_calls += 1
        return (200, envelope(200, data={"elements": [element]}))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--latency-ms", type=int, default=int(os.environ.get("LOOPBACK_LATENCY_MS", "0")))
    parser.add_argument("--results-base", default=None,
                        help="answer image_url values under this base instead of this server's /results")
    parser.add_argument("--results-redirect-to", default=None,
                        help="answer result downloads with a 302 to this URL")
    parser.add_argument("--hold-downloads", action="store_true",
                        help="hold result downloads until POST /__release")
    parser.add_argument("--download-latency-ms", type=int, default=0,
                        help="wait this long before answering a result download")
    parser.add_argument("--max-in-flight", type=int, default=int(os.environ.get("LOOPBACK_MAX_IN_FLIGHT", "0")))
    parser.add_argument("--exit-on-stdin-eof", action="store_true",
                        help="exit when stdin closes, so a crashed test run leaves no server behind")
    args = parser.parse_args()
    # A parent spawning from a thread with signals blocked passes the mask on; unblock, so that
    # SIGTERM stops the server.
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGTERM, signal.SIGINT, signal.SIGHUP})

    server = ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    server.daemon_threads = True
    server.state = State(args.latency_ms, args.max_in_flight, args.download_latency_ms,
                         args.results_base, args.results_redirect_to)
    if args.hold_downloads:
        server.state.downloads_released.clear()
    print("listening on http://127.0.0.1:%d" % server.server_address[1], flush=True)
    if args.exit_on_stdin_eof:
        def watch():
            while sys.stdin.buffer.read(4096):
                pass
            os._exit(0)
        threading.Thread(target=watch, daemon=True).start()
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
