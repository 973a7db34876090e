#!/usr/bin/env bash
# Benchmark (not a test): cache-hit uploads of a 100 KB PNG against `assets serve`.
# Needs wrk (Debian package `wrk`) and python3. Usage, from the package root:
#   swift build -c release --product assets && Tests/AssetsServerTests/Benchmarks/bench-serve-hits.sh
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
assets="${ASSETS_BIN:-.build/release/assets}"
work="$(mktemp -d)"
trap 'kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; rm -rf "$work"' EXIT

export BOUNDARY=benchboundary7MA4YWxkTrZu0gW BODY_FILE="$work/body.bin" CLIENT_KEY=bench-client
python3 - "$BODY_FILE" "$BOUNDARY" <<'PY'
import os, struct, sys, zlib
path, boundary = sys.argv[1], sys.argv[2]
width, height = 186, 180  # random RGB pixels: a PNG of about 100 KB
raw = b"".join(b"\x00" + os.urandom(width * 3) for _ in range(height))
def chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
png = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)) \
    + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b"")
head = f'--{boundary}\r\nContent-Disposition: form-data; name="image"; filename="photo.png"\r\nContent-Type: image/png\r\n\r\n'
open(path, "wb").write(head.encode() + png + f"\r\n--{boundary}--\r\n".encode())
PY

ASSETS_CLIENT_KEYS="$CLIENT_KEY" "$assets" serve --port 0 --backend mock --store "$work/store" >"$work/out" 2>"$work/log" &
server=$!
for _ in $(seq 50); do grep -q listening "$work/out" 2>/dev/null && break; sleep 0.1; done
url="$(sed -n 's/^listening on //p' "$work/out")/api/cutout/portrait/avatar-extraction"

# The first upload is the only miss; every request wrk sends is a hit.
curl -sf -o /dev/null -H "Content-Type: multipart/form-data; boundary=$BOUNDARY" -H "ailabapi-api-key: $CLIENT_KEY" --data-binary "@$BODY_FILE" "$url"
ticks() { awk '{print $14 + $15}' "/proc/$server/stat"; }
before=$(ticks)
wrk -t1 -c16 -d20s --latency -s "$here/post-upload.lua" "$url" | tee "$work/wrk"
after=$(ticks)
requests=$(awk '/requests in/ {print $1}' "$work/wrk")
echo "server CPU per request: $(python3 -c "print(round(($after - $before) * 1000 / $(getconf CLK_TCK) / $requests, 3))") ms; load average: $(cut -d' ' -f1-3 /proc/loadavg)"
