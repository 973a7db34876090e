#!/usr/bin/env python3
"""Quality of the local pipeline against hand-labelled head boxes (labels.json).

    quality.py [--out DIR]

For each labelled photo in testdata/ (and a two-face photo made from two of them), runs the
pipeline, matches its boxes to the labels and prints the IoU; a photo labelled with no head must
give ERROR_NO_FACE_IN_FILE. With --out, writes each cutout composited on green beside its alpha,
to look at. Exits 1 if a head is missed, a no-face photo finds one, or an IoU is under 0.7.
"""

import argparse
import json
import os
import sys
import tempfile

os.environ.setdefault("OPENCV_LOG_LEVEL", "ERROR")
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import cv2  # noqa: E402
import numpy as np  # noqa: E402

from local_backend import manifest  # noqa: E402
from local_backend.pipeline import Pipeline, PipelineError  # noqa: E402
import photos  # noqa: E402


def iou(a, b):
    ix = max(0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = ix * iy
    area = lambda r: (r[2] - r[0]) * (r[3] - r[1])
    return inter / float(area(a) + area(b) - inter)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out")
    ap.add_argument("--models")
    a = ap.parse_args()
    labels = json.load(open(os.path.join(HERE, "labels.json")))
    mp = manifest.model_paths(manifest.load(), a.models)
    pipe = Pipeline(mp["face_detector"], mp["matting"], intra_op_threads=1)
    work = tempfile.mkdtemp(prefix="assets-local-quality-")
    cases = [(name, os.path.join(photos.TESTDATA, name), lab["heads"])
             for name, lab in labels.items() if isinstance(lab, dict)]
    # Two faces side by side (photos.two_faces): the astronaut scaled to 600 px high, then Grace Hopper.
    s = 600 / 512
    two = os.path.join(work, "two-faces.png")
    cv2.imwrite(two, photos.two_faces())
    cases.append(("two-faces.png", two, [[round(v * s) for v in labels["astronaut.png"]["heads"][0]],
                                         [v + (600 if i % 2 == 0 else 0) for i, v in enumerate(labels["grace_hopper.jpg"]["heads"][0])]]))
    rows, bad = [], 0
    for name, path, heads in cases:
        out = os.path.join(work, "out", name)
        os.makedirs(out, exist_ok=True)
        try:
            els, tm, w, h = pipe.extract(path, out, "")
        except PipelineError as e:
            ok = not heads and e.code == "ERROR_NO_FACE_IN_FILE"
            bad += not ok
            rows.append({"photo": name, "result": e.code, "ok": ok})
            continue
        boxes = [[e["x"], e["y"], e["x"] + e["width"], e["y"] + e["height"]] for e in els]
        ious = [round(max((iou(lb, b) for b in boxes), default=0.0), 3) for lb in heads]
        ok = bool(heads) and len(boxes) == len(heads) and all(v >= 0.7 for v in ious)
        bad += not ok
        rows.append({"photo": name, "labels": heads, "boxes": boxes, "iou": ious, "ok": ok})
        if a.out:
            os.makedirs(a.out, exist_ok=True)
            for i, e in enumerate(els):
                rgba = cv2.imread(e["path"], cv2.IMREAD_UNCHANGED)
                al = rgba[:, :, 3:4].astype(np.float32) / 255
                green = np.zeros_like(rgba[:, :, :3]); green[:] = (0, 200, 0)
                comp = (rgba[:, :, :3] * al + green * (1 - al)).astype(np.uint8)
                vis = np.concatenate([comp, cv2.cvtColor(rgba[:, :, 3], cv2.COLOR_GRAY2BGR)], 1)
                cv2.imwrite(os.path.join(a.out, "%s-%d.png" % (os.path.splitext(name)[0], i)), vis)
    for r in rows:
        print(json.dumps(r))
    print("quality: %d passed, %d failed" % (len(rows) - bad, bad))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
