"""The pinned models (../models.json) and the engine identity derived from them. Stdlib only:
the plugin sends hello from this before it imports numpy, OpenCV or onnxruntime."""

import hashlib
import json
import os

HERE = os.path.dirname(os.path.abspath(__file__))
MANIFEST = os.path.join(os.path.dirname(HERE), "models.json")


def load():
    with open(MANIFEST, encoding="utf-8") as f:
        return json.load(f)


def engine(manifest):
    """engine.id and engine.sha256: a hash over the pipeline version and each model's SHA-256,
    so new weights or a changed pipeline give a new cache namespace."""
    h = hashlib.sha256()
    h.update((manifest["pipeline"] + "\n").encode())
    for m in manifest["models"]:
        h.update(("%s %s\n" % (m["sha256"], m["file"])).encode())
    return {"id": manifest["engine_id"], "sha256": h.hexdigest()}


def models_dir():
    """ASSETS_LOCAL_MODELS if set, else the models/ folder beside the plugin's source (where
    scripts/install-backend puts them)."""
    d = os.environ.get("ASSETS_LOCAL_MODELS")
    if d:
        return d
    return os.path.join(os.path.dirname(os.path.dirname(HERE)), "models")


def sha256_file(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def model_paths(manifest, directory=None, verify=True):
    """{role: path}; raises RuntimeError naming the file when one is missing or altered."""
    directory = directory or models_dir()
    paths = {}
    for m in manifest["models"]:
        p = os.path.join(directory, m["file"])
        if not os.path.isfile(p):
            raise RuntimeError("model file missing: %s (run scripts/install-backend local)" % p)
        if verify:
            got = sha256_file(p)
            if got != m["sha256"]:
                raise RuntimeError("model file %s has SHA-256 %s, expected %s (reinstall with "
                                   "scripts/install-backend local)" % (p, got, m["sha256"]))
        paths[m["role"]] = p
    return paths
