"""The protocol side of the plugin (PROTOCOL.md, v1): JSON Lines on stdin/stdout.

stdout carries protocol messages only. At start the real stdout is moved to a private
descriptor and descriptor 1 is pointed at stderr, so anything a library prints (OpenCV, ONNX
Runtime, numpy warnings) lands in the log, never in the protocol stream.

hello goes out before numpy, OpenCV or onnxruntime are imported; the models load between init
and ready. Requests run on a pool of `concurrency` threads (one intra-op thread each); answers go
out as they finish, in any order.
"""

import json
import os
import sys
import threading
import time
import traceback
from concurrent.futures import ThreadPoolExecutor

from . import VERSION, manifest as manifest_mod

PROTOCOLS = [1]
CONCURRENCY = int(os.environ.get("ASSETS_LOCAL_CONCURRENCY", "2"))
MAX_PIXELS = 40_000_000


def log(*parts):
    print("assets-backend-local:", *parts, file=sys.stderr, flush=True)


class Out:
    """The protocol stream: one lock, one line per message, nothing after bye."""

    def __init__(self):
        sys.stdout.flush()
        fd = os.dup(1)
        os.dup2(2, 1)                      # stray writes to fd 1 now go to stderr
        self._f = os.fdopen(fd, "w", encoding="utf-8", newline="\n", buffering=1)
        sys.stdout = sys.stderr            # and so do Python-level prints
        self._lock = threading.Lock()
        self.closed = False

    def send(self, msg):
        line = json.dumps(msg, separators=(",", ":"), ensure_ascii=False)
        with self._lock:
            if self.closed:
                return
            try:
                self._f.write(line + "\n")
                self._f.flush()
            except (BrokenPipeError, OSError):
                self.closed = True

    def close(self):
        with self._lock:
            self.closed = True
            try:
                self._f.flush()
            except OSError:
                pass


class Request:
    def __init__(self, rid, deadline):
        self.id = rid
        self.deadline = deadline
        self.cancelled = False


class Server:
    def __init__(self):
        self.out = Out()
        self.manifest = manifest_mod.load()
        self.pipeline = None
        self.pool = None
        self.inflight = {}
        self.lock = threading.Lock()

    def hello(self):
        self.out.send({
            "t": "hello", "protocols": PROTOCOLS, "name": "local", "version": VERSION,
            "engine": manifest_mod.engine(self.manifest),
            "operations": ["avatar-extraction"], "return_forms": ["", "mask"],
            "concurrency": CONCURRENCY, "max_pixels": MAX_PIXELS,
        })

    def init(self, msg):
        if msg.get("protocol") not in PROTOCOLS:
            log("init asked for protocol %r; this plugin speaks %r" % (msg.get("protocol"), PROTOCOLS))
        t = time.perf_counter()
        paths = manifest_mod.model_paths(self.manifest)
        os.environ.setdefault("OPENCV_LOG_LEVEL", "ERROR")
        from .pipeline import Pipeline
        self.pipeline = Pipeline(paths["face_detector"], paths["matting"], intra_op_threads=1)
        self.pool = ThreadPoolExecutor(max_workers=CONCURRENCY, thread_name_prefix="extract")
        # Warm every worker (each has its own detector network).
        list(self.pool.map(lambda _: self.pipeline.warm_up(), range(CONCURRENCY)))
        log("models loaded in %.0f ms from %s" % ((time.perf_counter() - t) * 1000,
                                                  os.path.dirname(paths["matting"])))
        self.out.send({"t": "ready"})

    def error(self, rid, code, klass, message):
        self.out.send({"t": "error", "id": rid, "error": {"code": code, "class": klass, "message": message}})

    def extract(self, msg):
        rid = msg.get("id")
        if not isinstance(rid, str) or not rid:
            log("extract without an id ignored")
            return
        if self.pipeline is None:
            self.error(rid, "LOCAL_NOT_READY", "transient", "The plugin was not initialised.")
            return
        deadline_ms = msg.get("deadline_ms")
        deadline = None
        if isinstance(deadline_ms, (int, float)) and deadline_ms > 0:
            deadline = time.monotonic() + deadline_ms / 1000.0
        req = Request(rid, deadline)
        with self.lock:
            self.inflight[rid] = req
        self.pool.submit(self._run, req, msg)

    def _run(self, req, msg):
        from .pipeline import PipelineError, Cancelled

        def check():
            if req.cancelled:
                raise Cancelled()
            if req.deadline is not None and time.monotonic() > req.deadline:
                raise PipelineError("LOCAL_DEADLINE_EXCEEDED", "transient",
                                    "The request's deadline passed before it was done.")
        try:
            check()
            answer = self._answer(msg, check)
        except Cancelled:
            answer = {"t": "error", "id": req.id, "error": {
                "code": "CANCELLED", "class": "transient", "message": "Cancelled by the host."}}
        except PipelineError as e:
            answer = {"t": "error", "id": req.id, "error": {
                "code": e.code, "class": e.klass, "message": e.message}}
        except Exception as e:  # never let one request take the process down
            log("request %s failed:\n%s" % (req.id, traceback.format_exc()))
            answer = {"t": "error", "id": req.id, "error": {
                "code": "LOCAL_INTERNAL_ERROR", "class": "internal",
                "message": "%s: %s" % (type(e).__name__, e)}}
        with self.lock:
            self.inflight.pop(req.id, None)
        self.out.send(answer)

    def _answer(self, msg, check):
        from .pipeline import PipelineError
        rid = msg["id"]
        op = msg.get("operation", "avatar-extraction")
        if op != "avatar-extraction":
            raise PipelineError("ERROR_INVALID_PARAMETER", "input", "Unknown operation %r." % (op,))
        options = msg.get("options") or {}
        form = options.get("return_form", "") if isinstance(options, dict) else ""
        form = "" if form is None else form
        if form not in ("", "mask"):
            raise PipelineError("ERROR_INVALID_PARAMETER", "input", "Unknown return_form %r." % (form,))
        inp = msg.get("input") or {}
        path = inp.get("path") if isinstance(inp, dict) else None
        out_dir = msg.get("output_dir")
        if not isinstance(path, str) or not isinstance(out_dir, str):
            raise PipelineError("ERROR_PARAMETERS", "input", "input.path and output_dir are required.")
        w, h = inp.get("width"), inp.get("height")
        if isinstance(w, int) and isinstance(h, int) and w * h > MAX_PIXELS:
            raise PipelineError("ERROR_IMAGE_TOO_LARGE", "input",
                                "The photo has %d pixels; this plugin takes at most %d." % (w * h, MAX_PIXELS))
        if not os.path.isfile(path):
            raise PipelineError("ERROR_FILE_NOT_FOUND", "input", "The input file does not exist.")
        if not os.path.isdir(out_dir):
            raise PipelineError("LOCAL_NO_OUTPUT_DIR", "internal", "output_dir does not exist.")
        elements, timings, iw, ih = self.pipeline.extract(path, out_dir, form, check)
        if isinstance(w, int) and isinstance(h, int) and (iw, ih) != (w, h):
            log("request %s: decoded %dx%d, host said %dx%d" % (rid, iw, ih, w, h))
        check()
        return {"t": "result", "id": rid, "elements": elements}

    def cancel(self, msg):
        with self.lock:
            req = self.inflight.get(msg.get("id"))
        if req is not None:
            req.cancelled = True

    def run(self):
        self.hello()
        stdin = sys.stdin.buffer
        while True:
            raw = stdin.readline()
            if not raw:
                break  # EOF: the host is gone; finish what is in flight, then exit 0
            raw = raw.strip()
            if not raw:
                continue
            try:
                msg = json.loads(raw)
            except ValueError:
                log("not JSON, ignored: %r" % raw[:200])
                continue
            if not isinstance(msg, dict):
                continue
            t = msg.get("t")
            if t == "init":
                try:
                    self.init(msg)
                except Exception as e:
                    log("cannot start: %s" % e)
                    self.out.close()
                    os._exit(3)
            elif t == "extract":
                self.extract(msg)
            elif t == "cancel":
                self.cancel(msg)
            elif t == "shutdown":
                with self.lock:
                    for req in self.inflight.values():
                        req.cancelled = True
                self.out.send({"t": "bye"})
                self.out.close()
                sys.stderr.flush()
                os._exit(0)  # drop what is in flight (PROTOCOL.md allows it)
            else:
                log("unknown message type %r ignored" % (t,))
        if self.pool is not None:
            self.pool.shutdown(wait=True)
        self.out.close()
        sys.stderr.flush()
        os._exit(0)


def main(argv):
    if "--assets-backend" not in argv[1:]:
        print("assets-backend-local %s: the local (offline) backend plugin of assets.\n"
              "It is started by assets as `assets-backend-local --assets-backend` and speaks\n"
              "JSON Lines on stdin/stdout (protocol v1). Install: scripts/install-backend local"
              % VERSION, file=sys.stderr)
        return 2
    Server().run()
    return 0
