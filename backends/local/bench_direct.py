#!/usr/bin/env python3
"""The local pipeline in one process, no protocol: the baseline for the protocol's overhead.

    bench_direct.py [DIR] [--jobs 2] [--count 20] [--form ""|mask] [--models DIR]

Runs over the photos in DIR (JPEG/PNG/BMP; default: a made set of COUNT ~1 MP photos, see
photos.py) with JOBS worker threads of one intra-op thread each, as the plugin does, writing the
PNGs to a temporary folder. Each photo is run once untimed first (warm-up) unless --no-warm.
Prints JSON: per-photo milliseconds (decode, heads, write, total), median, wall time.
"""

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor

os.environ.setdefault("OPENCV_LOG_LEVEL", "ERROR")
for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(var, "1")
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from local_backend import manifest  # noqa: E402
from local_backend.pipeline import Pipeline, PipelineError  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("dir", nargs="?")
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--count", type=int, default=20)
    ap.add_argument("--form", default="")
    ap.add_argument("--models", help="model folder (default: ASSETS_LOCAL_MODELS or the installed one)")
    ap.add_argument("--threads", type=int, default=1, help="intra-op threads per job (the plugin uses 1)")
    ap.add_argument("--no-warm", action="store_true")
    a = ap.parse_args()

    tmp = tempfile.mkdtemp(prefix="assets-local-bench-")
    if a.dir:
        paths = sorted(os.path.join(a.dir, n) for n in os.listdir(a.dir)
                       if n.lower().endswith((".jpg", ".jpeg", ".png", ".bmp")))
    else:
        import photos
        paths = photos.make_set(os.path.join(tmp, "in"), a.count)

    m = manifest.load()
    mp = manifest.model_paths(m, a.models)
    t = time.perf_counter()
    pipe = Pipeline(mp["face_detector"], mp["matting"], intra_op_threads=a.threads)
    pool = ThreadPoolExecutor(max_workers=a.jobs)
    list(pool.map(lambda _: pipe.warm_up(), range(a.jobs)))
    load_ms = (time.perf_counter() - t) * 1000

    def one(i_p):
        i, p = i_p
        out = os.path.join(tmp, "out", str(i))
        os.makedirs(out, exist_ok=True)
        t0 = time.perf_counter()
        try:
            els, tm, w, h = pipe.extract(p, out, a.form)
            r = {"photo": os.path.basename(p), "pixels": w * h, "heads": len(els)}
            r.update({k: round(v, 1) for k, v in tm.items()})
        except PipelineError as e:
            r = {"photo": os.path.basename(p), "error": e.code, "total_ms": round((time.perf_counter() - t0) * 1000, 1)}
        return r

    if not a.no_warm:
        list(pool.map(one, enumerate(paths)))
    t = time.perf_counter()
    rows = list(pool.map(one, enumerate(paths)))
    wall = (time.perf_counter() - t) * 1000
    totals = [r["total_ms"] for r in rows]
    print(json.dumps({
        "jobs": a.jobs, "intra_op_threads": a.threads, "photos": len(rows), "model_load_ms": round(load_ms, 1),
        "median_ms": round(statistics.median(totals), 1),
        "p90_ms": round(sorted(totals)[int(0.9 * (len(totals) - 1))], 1),
        "wall_ms": round(wall, 1), "wall_ms_per_photo": round(wall / len(rows), 1),
        "per_photo": rows}, indent=1))


if __name__ == "__main__":
    main()
