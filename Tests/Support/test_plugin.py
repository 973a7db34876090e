#!/usr/bin/env python3
"""A backend plugin for the host's tests (protocol v1), written from the plugin contract alone.

Usage: test_plugin.py MODE --assets-backend
Modes: ok, slow, noface, crash, hang, garbage, outside, wrongsize, transient, proto99, nohello,
crash-at-start; a fault mode with "-once" (crash-once, garbage-once, …) fails the first request of
a process's work folder only. With TEST_PLUGIN_LOG set, it appends what happens to that file;
TEST_PLUGIN_CONCURRENCY sets the concurrency it declares (2), and TEST_PLUGIN_ANSWER_CANCEL makes
it answer a cancel with CANCELLED. It paints its heads itself (a PNG writer on zlib), so it needs no package.
"""
import json
import os
import struct
import sys
import threading
import zlib

MODE = sys.argv[1] if len(sys.argv) > 1 else "ok"
LOG = os.environ.get("TEST_PLUGIN_LOG")
LOCK = threading.RLock()
# The ids of the requests being worked on: one leaves the moment its answer is written, so the
# host may send the next one at once without seeing more than `concurrency` counted.
IN_FLIGHT = set()


def log(event):
    if LOG:
        with LOCK, open(LOG, "a") as f:
            f.write("%s %d\n" % (event, os.getpid()))


def once(fault):
    """True the first time a fault named `fault` is asked for in this work folder."""
    marker = "done-" + fault
    if os.path.exists(marker):
        return False
    open(marker, "w").close()
    return True


def send(message):
    with LOCK:
        if message.get("t") in ("result", "error"):
            IN_FLIGHT.discard(message.get("id"))
        sys.stdout.write(json.dumps(message) + "\n")
        sys.stdout.flush()


def png(width, height, channels):
    kind = {1: 0, 4: 6}[channels]
    row = bytes(((x * 7 + y * 3) & 0xFF) for x in range(width * channels) for y in (0,))
    raw = b"".join(b"\x00" + row for _ in range(height))

    def chunk(tag, data):
        return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data) & 0xFFFFFFFF)

    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, kind, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


def answer(message):
    ident = message["id"]
    width, height = message["input"]["width"], message["input"]["height"]
    mask = message["options"].get("return_form") == "mask"
    out = message["output_dir"]
    base = MODE.removesuffix("-once")
    fault = base if not MODE.endswith("-once") or once(base) else "ok"
    with LOCK:
        IN_FLIGHT.add(ident)
        log("extract in-flight=%d" % len(IN_FLIGHT))
    faulty(message, fault, ident, width, height, mask, out)


def faulty(message, MODE, ident, width, height, mask, out):
    if MODE == "slow":
        import time
        time.sleep(0.3)
    if MODE == "noface":
        return send({"t": "error", "id": ident, "error": {"code": "ERROR_NO_FACE_IN_FILE", "class": "content", "message": "No face was found in the photo."}})
    if MODE == "crash":
        sys.stderr.write("test plugin: fatal: out of cheese\n")
        sys.stderr.flush()
        os._exit(3)
    if MODE == "hang":
        return
    if MODE == "garbage":
        sys.stdout.write("this is not json\n")
        sys.stdout.flush()
        return
    if MODE == "transient":
        return send({"t": "error", "id": ident, "error": {"code": "AI_SERVICE_FLOW_RESTRICTION", "class": "transient", "message": "Busy; try again."}})
    box_w, box_h = max(1, width // 2), max(1, height // 2)
    x, y = width // 4, height // 8
    path = os.path.join(out, "0.png")
    if MODE == "outside":
        path = os.path.join(os.path.dirname(os.path.dirname(out)), "escaped.png")
    size = (10, 10) if MODE == "wrongsize" else (box_w, box_h)
    with open(path, "wb") as f:
        f.write(png(size[0], size[1], 1 if mask else 4))
    send({"t": "result", "id": ident, "elements": [{"path": path, "width": box_w, "height": box_h, "x": x, "y": y}]})


def main():
    if MODE == "nohello":
        sys.stdin.read()
        return
    if MODE == "crash-at-start":
        sys.stderr.write("test plugin: cannot load models\n")
        sys.exit(1)
    log("start")
    send({"t": "hello", "protocols": [99] if MODE == "proto99" else [1], "name": "test", "version": "1.0." + ("1" if MODE == "noface" else "0"),
          "engine": {"id": "test-painter", "sha256": "ab" * 32}, "operations": ["avatar-extraction"],
          "return_forms": ["", "mask"], "concurrency": int(os.environ.get("TEST_PLUGIN_CONCURRENCY", "2")), "max_pixels": int(os.environ.get("TEST_PLUGIN_MAX_PIXELS", "4000000")),
          "extra_field_to_ignore": True})
    for line in sys.stdin:
        message = json.loads(line)
        kind = message.get("t")
        if kind == "init":
            send({"t": "ready"})
        elif kind == "extract":
            threading.Thread(target=answer, args=(message,)).start()
        elif kind == "cancel":
            # It stops at once; with TEST_PLUGIN_ANSWER_CANCEL set it says so, as it may.
            log("cancel")
            if os.environ.get("TEST_PLUGIN_ANSWER_CANCEL") and message.get("id") in IN_FLIGHT:
                send({"t": "error", "id": message["id"], "error": {"code": "CANCELLED", "class": "transient", "message": "Cancelled."}})
        elif kind == "shutdown":
            log("shutdown")
            send({"t": "bye"})
            sys.exit(0)


main()
