#!/usr/bin/env python3
"""Drive an installed local plugin over the protocol exactly as a host would, and check it.

    selftest.py [--plugin PATH] [--bench N]

PATH defaults to the launcher scripts/install-backend writes. Checks: hello (fields, sent
before anything is asked), init -> ready, extracts of the fixtures (PNG files inside output_dir,
of the stated size and kind, boxes inside the image), the no-face photo, an undecodable file,
the mask form, two faces ordered left to right, a large photo, cancel, unknown fields, and
shutdown -> bye with exit 0; EOF on stdin -> exit 0. With --bench N, also N ~1 MP photos kept 2
in flight, reporting per-request milliseconds. Prints what passed; exits 1 if anything failed.
Checks of the answers use the stdlib only (PNG and JPEG headers are read here, as a host would).
"""

import argparse
import json
import os
import queue
import shutil
import statistics
import struct
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_PLUGIN = os.path.join(
    os.environ.get("ASSETS_BACKEND_INSTALL_DIR")
    or os.path.join(os.environ.get("XDG_DATA_HOME") or os.path.expanduser("~/.local/share"), "assets", "backends"),
    "assets-backend-local")


# -- image headers, stdlib only ----------------------------------------------------------------

def png_info(path):
    """(width, height, bit_depth, colour_type) of a PNG, or None if it is not one."""
    with open(path, "rb") as f:
        head = f.read(33)
    if len(head) < 33 or head[:8] != b"\x89PNG\r\n\x1a\n" or head[12:16] != b"IHDR":
        return None
    w, h, depth, ctype = struct.unpack(">IIBB", head[16:26])
    return w, h, depth, ctype


def image_size(path):
    """(width, height) of a PNG, JPEG or BMP from its header."""
    with open(path, "rb") as f:
        data = f.read(1 << 20)
    if data[:8] == b"\x89PNG\r\n\x1a\n":
        return struct.unpack(">II", data[16:24])
    if data[:2] == b"BM":
        w, h = struct.unpack("<ii", data[18:26])
        return w, abs(h)
    if data[:2] == b"\xff\xd8":
        i = 2
        while i + 9 < len(data):
            if data[i] != 0xFF:
                i += 1
                continue
            marker = data[i + 1]
            if marker in (0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF):
                h, w = struct.unpack(">HH", data[i + 5:i + 9])
                return w, h
            if marker in (0xD8, 0x01) or 0xD0 <= marker <= 0xD7:
                i += 2
                continue
            i += 2 + struct.unpack(">H", data[i + 2:i + 4])[0]
    return None


def fmt_of(path):
    ext = os.path.splitext(path)[1].lower()
    return {".jpg": "jpeg", ".jpeg": "jpeg", ".png": "png", ".bmp": "bmp"}.get(ext, "jpeg")


# -- a host ------------------------------------------------------------------------------------

class Host:
    def __init__(self, plugin):
        self.work = tempfile.mkdtemp(prefix="assets-local-selftest-")
        self.proc = subprocess.Popen([plugin, "--assets-backend"], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=self.work,
                                     env=dict(os.environ, ASSETS_BACKEND_PROTOCOLS="1"),
                                     start_new_session=True)
        self.lines = queue.Queue()
        self.bad_lines = []
        self.stderr = []
        threading.Thread(target=self._read, daemon=True).start()
        threading.Thread(target=self._read_err, daemon=True).start()
        self.n = 0

    def _read(self):
        for raw in self.proc.stdout:
            try:
                msg = json.loads(raw)
                if not isinstance(msg, dict) or "t" not in msg:
                    raise ValueError
            except ValueError:
                self.bad_lines.append(raw)
                continue
            self.lines.put(msg)
        self.lines.put(None)

    def _read_err(self):
        for raw in self.proc.stderr:
            self.stderr.append(raw.decode("utf-8", "replace").rstrip())

    def send(self, msg):
        self.proc.stdin.write((json.dumps(msg) + "\n").encode())
        self.proc.stdin.flush()

    def recv(self, timeout):
        try:
            return self.lines.get(timeout=timeout)
        except queue.Empty:
            return "timeout"

    def request(self, path, form="", deadline_ms=60000, **extra):
        self.n += 1
        rid = "r%d" % self.n
        out = os.path.join(self.work, "out", rid)
        os.makedirs(out)
        w, h = image_size(path) or (None, None)
        msg = {"t": "extract", "id": rid, "operation": "avatar-extraction",
               "input": {"path": path, "sha256": "0" * 64, "format": fmt_of(path), "width": w, "height": h},
               "options": {"return_form": form}, "output_dir": out, "deadline_ms": deadline_ms}
        msg.update(extra)
        self.send(msg)
        return rid, out, (w, h)

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        shutil.rmtree(self.work, ignore_errors=True)


class Check:
    def __init__(self):
        self.passed, self.failed = 0, 0

    def __call__(self, ok, what, detail=""):
        if ok:
            self.passed += 1
            print("PASS %s%s" % (what, (": " + detail) if detail else ""), flush=True)
        else:
            self.failed += 1
            print("FAIL %s%s" % (what, (": " + detail) if detail else ""), flush=True)
        return ok


def check_result(check, what, msg, rid, out, size, form, expect_min=1):
    if not check(isinstance(msg, dict) and msg.get("t") == "result" and msg.get("id") == rid,
                 what + ": a result", json.dumps(msg)[:300] if isinstance(msg, dict) else str(msg)):
        return None
    els = msg.get("elements") or []
    ok = len(els) >= expect_min
    want_ctype = 6 if form == "" else 0
    problems = []
    for e in els:
        p = e.get("path", "")
        if os.path.dirname(os.path.realpath(p)) != os.path.realpath(out):
            problems.append("%s outside output_dir" % p)
            continue
        info = png_info(p) if os.path.isfile(p) else None
        if info is None:
            problems.append("%s missing or not a PNG" % p)
            continue
        if (info[0], info[1]) != (e.get("width"), e.get("height")):
            problems.append("%s is %dx%d, element says %sx%s" % (p, info[0], info[1], e.get("width"), e.get("height")))
        if info[2] != 8 or info[3] != want_ctype:
            problems.append("%s has bit depth %d colour type %d, want 8/%d" % (p, info[2], info[3], want_ctype))
        x, y, w, h = e.get("x"), e.get("y"), e.get("width"), e.get("height")
        if not all(isinstance(v, int) for v in (x, y, w, h)) or x < 0 or y < 0 or w < 1 or h < 1 \
                or (size[0] and x + w > size[0]) or (size[1] and y + h > size[1]):
            problems.append("box %s,%s %sx%s leaves the %sx%s image" % (x, y, w, h, size[0], size[1]))
    check(ok and not problems, what + ": %d element(s), PNGs %s of the stated sizes, boxes inside"
          % (len(els), "RGBA" if form == "" else "8-bit grey"),
          "; ".join(problems) if problems else ", ".join("%dx%d@%d,%d" % (e["width"], e["height"], e["x"], e["y"]) for e in els))
    return els


def answers(host, ids, timeout):
    """Wait for answers to every id in ids (any order); returns {id: msg}."""
    got, end = {}, time.monotonic() + timeout
    while len(got) < len(ids):
        msg = host.recv(max(0.01, end - time.monotonic()))
        if msg is None or msg == "timeout":
            break
        if msg.get("id") in ids:
            got[msg["id"]] = msg
    return got


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--plugin", default=DEFAULT_PLUGIN)
    ap.add_argument("--testdata", default=os.path.join(HERE, "testdata"))
    ap.add_argument("--bench", type=int, default=0, help="also time N ~1 MP photos, 2 in flight")
    ap.add_argument("--json", help="write the bench numbers here")
    ap.add_argument("--bench-only", metavar="DIR", help="only the bench, over the photos in DIR")
    a = ap.parse_args()
    check = Check()
    if not os.access(a.plugin, os.X_OK):
        print("FAIL no executable plugin at %s (run scripts/install-backend local)" % a.plugin)
        return 1
    if a.bench_only:
        return bench_only(a)
    td = a.testdata
    grace, astro, coffee = (os.path.join(td, n) for n in ("grace_hopper.jpg", "astronaut.png", "coffee.png"))

    host = Host(a.plugin)
    try:
        t0 = time.monotonic()
        hello = host.recv(10)
        dt = time.monotonic() - t0
        ok = isinstance(hello, dict) and hello.get("t") == "hello"
        check(ok, "hello within 10 s", "%.2f s: %s" % (dt, json.dumps(hello)))
        if not ok:
            return 1
        eng = hello.get("engine") or {}
        check(hello.get("name") == "local" and 1 in hello.get("protocols", [])
              and isinstance(hello.get("version"), str) and eng.get("id")
              and isinstance(eng.get("sha256"), str) and len(eng["sha256"]) == 64
              and "avatar-extraction" in hello.get("operations", [])
              and set(hello.get("return_forms", [])) == {"", "mask"}
              and isinstance(hello.get("concurrency"), int) and hello["concurrency"] >= 1,
              "hello fields (protocols, name, version, engine.id/sha256, operations, return_forms, concurrency)")
        conc = hello.get("concurrency", 1)

        t0 = time.monotonic()
        host.send({"t": "init", "protocol": 1, "future_field": True})
        ready = host.recv(300)
        check(isinstance(ready, dict) and ready.get("t") == "ready", "init -> ready",
              "%.2f s" % (time.monotonic() - t0))

        # Two requests in flight: the fixtures, with an unknown field on one of them.
        r1 = host.request(grace, "", some_unknown_field={"x": 1})
        r2 = host.request(astro, "mask")
        got = answers(host, {r1[0], r2[0]}, 60)
        check_result(check, "grace_hopper.jpg cutout", got.get(r1[0]), *r1, "")
        check_result(check, "astronaut.png mask", got.get(r2[0]), *r2, "mask")

        r = host.request(coffee, "")
        msg = answers(host, {r[0]}, 60).get(r[0]) or {}
        err = msg.get("error") or {}
        check(msg.get("t") == "error" and err.get("code") == "ERROR_NO_FACE_IN_FILE"
              and err.get("class") == "content", "coffee.png -> ERROR_NO_FACE_IN_FILE (content)", json.dumps(msg))

        # Made inputs: two faces, ~1 MP, ~12 MP, BMP, an undecodable file.
        extra_dir = os.path.join(host.work, "in")
        try:
            sys.path.insert(0, HERE)
            import photos
            extra = photos.make_extra(extra_dir)
        except Exception as e:  # no OpenCV in this interpreter
            extra = {}
            print("SKIP made inputs (%s)" % e)
        if extra:
            r = host.request(extra["two-faces.png"], "")
            els = check_result(check, "two-faces.png", answers(host, {r[0]}, 60).get(r[0]), *r, "", expect_min=2)
            if els:
                xs = [e["x"] for e in els]
                check(len(els) == 2 and xs == sorted(xs) and els[0]["x"] + els[0]["width"] <= 600 < els[1]["x"] + els[1]["width"],
                      "two faces: two elements, left to right (astronaut then Grace Hopper)", str(xs))
            for name in ("grace-1mp.jpg", "grace-12mp.jpg", "astronaut-1mp.bmp"):
                t = time.monotonic()
                r = host.request(extra[name], "")
                check_result(check, name, answers(host, {r[0]}, 60).get(r[0]), *r, "")
                print("     %s took %.0f ms through the protocol" % (name, (time.monotonic() - t) * 1000))
            r = host.request(extra["junk.jpg"], "")
            msg = answers(host, {r[0]}, 60).get(r[0]) or {}
            err = msg.get("error") or {}
            check(msg.get("t") == "error" and err.get("code") == "FILE_DECODING_FAILURE" and err.get("class") == "content",
                  "undecodable file -> FILE_DECODING_FAILURE (content)", json.dumps(msg))

            # Cancel: a large photo cancelled at once is answered CANCELLED, or not at all.
            r = host.request(extra["grace-12mp.jpg"], "")
            host.send({"t": "cancel", "id": r[0]})
            msg = answers(host, {r[0]}, 3).get(r[0])
            code = ((msg or {}).get("error") or {}).get("code")
            check(msg is None or code == "CANCELLED" or msg.get("t") == "result",
                  "cancel", "answered %s" % (code or ("nothing" if msg is None else "with a result (too late to cancel)")))
            # ...and the plugin goes on serving.
            r = host.request(grace, "")
            check_result(check, "after cancel, grace_hopper.jpg", answers(host, {r[0]}, 60).get(r[0]), *r, "")

        bench = None
        if a.bench and extra:
            paths = photos.make_set(os.path.join(host.work, "bench"), a.bench)
            bench = run_bench(host, paths, min(2, conc), check)

        host.send({"t": "shutdown"})
        bye = host.recv(5)
        check(isinstance(bye, dict) and bye.get("t") == "bye", "shutdown -> bye", json.dumps(bye))
        try:
            rc = host.proc.wait(5)
        except subprocess.TimeoutExpired:
            rc = "still running after 5 s"
        check(rc == 0, "exit 0 after bye", "exit %s" % rc)
        check(not host.bad_lines, "stdout carried protocol lines only",
              "%d stray line(s): %r" % (len(host.bad_lines), host.bad_lines[:3]) if host.bad_lines else "")
    finally:
        stderr_tail = host.stderr[-5:]
        host.kill()

    # EOF on stdin: exit 0.
    host = Host(a.plugin)
    try:
        host.recv(10)
        host.proc.stdin.close()
        try:
            rc = host.proc.wait(10)
        except subprocess.TimeoutExpired:
            rc = "still running after 10 s"
        check(rc == 0, "EOF on stdin -> exit 0", "exit %s" % rc)
    finally:
        host.kill()

    if bench and a.json:
        with open(a.json, "w") as f:
            json.dump(bench, f, indent=2)
    print("%d passed, %d failed" % (check.passed, check.failed))
    if check.failed and stderr_tail:
        print("plugin stderr (last lines):\n  " + "\n  ".join(stderr_tail))
    return 1 if check.failed else 0


def bench_only(a):
    """hello, init, ready, the photos in a.bench_only twice (a warm-up round, as bench_direct.py
    does, then the timed one), shutdown."""
    check = Check()
    paths = sorted(os.path.join(a.bench_only, n) for n in os.listdir(a.bench_only)
                   if n.lower().endswith((".jpg", ".jpeg", ".png", ".bmp")))
    host = Host(a.plugin)
    try:
        hello = host.recv(10)
        host.send({"t": "init", "protocol": 1})
        check(host.recv(300) == {"t": "ready"}, "ready")
        conc = min(2, hello.get("concurrency", 1))
        run_bench(host, paths, conc, Check())
        res = run_bench(host, paths, conc, check)
        host.send({"t": "shutdown"})
        check(host.recv(5) == {"t": "bye"}, "bye")
    finally:
        host.kill()
    if a.json:
        with open(a.json, "w") as f:
            json.dump(res, f, indent=2)
    return 1 if check.failed else 0


def run_bench(host, paths, inflight, check):
    """Keep `inflight` requests going over paths; per-request latency and wall time."""
    pending = list(paths)
    started, lat, errors = {}, [], []
    t0 = time.monotonic()
    while pending or started:
        while pending and len(started) < inflight:
            p = pending.pop(0)
            rid, out, size = host.request(p, "")
            started[rid] = (time.monotonic(), p)
        msg = host.recv(60)
        if msg is None or msg == "timeout":
            errors.append("no answer")
            break
        if msg.get("id") in started:
            t, p = started.pop(msg["id"])
            lat.append((time.monotonic() - t) * 1000)
            if msg.get("t") != "result":
                errors.append("%s: %s" % (os.path.basename(p), json.dumps(msg)))
    wall = (time.monotonic() - t0) * 1000
    med = statistics.median(lat) if lat else float("nan")
    res = {"photos": len(paths), "in_flight": inflight, "per_request_ms": [round(x, 1) for x in lat],
           "median_ms": round(med, 1), "p90_ms": round(sorted(lat)[int(0.9 * (len(lat) - 1))], 1) if lat else None,
           "wall_ms": round(wall, 1), "wall_ms_per_photo": round(wall / max(1, len(lat)), 1)}
    print("     bench: %s" % json.dumps({k: v for k, v in res.items() if k != "per_request_ms"}))
    check(not errors and len(lat) == len(paths), "bench: %d ~1 MP photos, %d in flight, all answered with results"
          % (len(paths), inflight), "; ".join(errors[:3]))
    return res


if __name__ == "__main__":
    sys.exit(main())
