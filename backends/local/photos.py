"""Test photos made from the fixtures in testdata/: ~1 MP portraits, a larger one, two faces.

    python photos.py DIR [--count 20]

Deterministic (same files every run). Needs OpenCV (the plugin's venv has it).
"""

import argparse
import os
import sys

import cv2
import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
TESTDATA = os.path.join(HERE, "testdata")


def fixture(name):
    img = cv2.imread(os.path.join(TESTDATA, name), cv2.IMREAD_COLOR)
    if img is None:
        raise SystemExit("cannot read %s" % os.path.join(TESTDATA, name))
    return img


def to_pixels(img, pixels):
    s = (pixels / (img.shape[0] * img.shape[1])) ** 0.5
    return cv2.resize(img, (round(img.shape[1] * s), round(img.shape[0] * s)), interpolation=cv2.INTER_CUBIC)


def two_faces():
    """Astronaut on the left, Grace Hopper on the right, same height."""
    a, g = fixture("astronaut.png"), fixture("grace_hopper.jpg")
    h = 600
    a = cv2.resize(a, (round(a.shape[1] * h / a.shape[0]), h), interpolation=cv2.INTER_CUBIC)
    return np.concatenate([a, g], 1)


def make_set(out, count=20):
    """count ~1 MP JPEGs (portraits, flipped, cropped, two faces); returns their paths."""
    os.makedirs(out, exist_ok=True)
    bases = [("grace", fixture("grace_hopper.jpg")), ("astronaut", fixture("astronaut.png")),
             ("two", two_faces())]
    paths = []
    for i in range(count):
        name, img = bases[i % len(bases)]
        v = i // len(bases)
        if v % 2:
            img = cv2.flip(img, 1)
        if v % 3 == 2:  # crop a little off the sides and bottom
            h, w = img.shape[:2]
            img = img[: h - h // 12, w // 20: w - w // 20]
        img = to_pixels(img, 1_000_000 * (0.94 + 0.02 * v))  # 0.94-1.08 MP, so no two are alike
        p = os.path.join(out, "%02d-%s-%d.jpg" % (i, name, v))
        if not os.path.exists(p):
            cv2.imwrite(p, img, [cv2.IMWRITE_JPEG_QUALITY, 90])
        paths.append(p)
    return paths


def make_extra(out):
    """The checks beyond the set: a ~1 MP and a ~12 MP portrait, a two-face photo, no face, junk."""
    os.makedirs(out, exist_ok=True)
    g = fixture("grace_hopper.jpg")
    made = {
        "grace-1mp.jpg": to_pixels(g, 1_000_000),
        "grace-12mp.jpg": to_pixels(g, 12_000_000),
        "two-faces.png": two_faces(),
        "astronaut-1mp.bmp": to_pixels(fixture("astronaut.png"), 1_000_000),
    }
    paths = {}
    for name, img in made.items():
        p = os.path.join(out, name)
        if not os.path.exists(p):
            params = [cv2.IMWRITE_JPEG_QUALITY, 92] if name.endswith(".jpg") else []
            cv2.imwrite(p, img, params)
        paths[name] = p
    junk = os.path.join(out, "junk.jpg")
    with open(junk, "wb") as f:
        f.write(b"\xff\xd8\xff\xe0 this is not really a JPEG" + bytes(range(256)) * 4)
    paths["junk.jpg"] = junk
    return paths


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("dir")
    ap.add_argument("--count", type=int, default=20)
    a = ap.parse_args()
    for p in make_set(a.dir, a.count):
        print(p)
    for p in make_extra(os.path.join(a.dir, "extra")).values():
        print(p)
    sys.exit(0)
