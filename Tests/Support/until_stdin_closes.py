#!/usr/bin/env python3
"""Runs a command until this script's stdin closes, then stops it.

    until_stdin_closes.py PROGRAM ARGS...

A test starts a long-running server (moto_server, and later PostgreSQL) through this, with a
pipe on stdin: when the test process ends, even by a crash, the pipe closes and the server is
stopped (SIGTERM, then SIGKILL after 5 s), so no server outlives its test run. SIGTERM to this
script stops the server the same way. The exit status is the server's.
"""

import signal
import subprocess
import sys
import threading


def main():
    child = subprocess.Popen(sys.argv[1:], stdin=subprocess.DEVNULL)

    def stop(*_):
        if child.poll() is None:
            child.terminate()
            try:
                child.wait(5)
            except subprocess.TimeoutExpired:
                child.kill()

    def watch():
        sys.stdin.buffer.read()
        stop()

    signal.signal(signal.SIGTERM, lambda *_: stop())
    threading.Thread(target=watch, daemon=True).start()
    sys.exit(child.wait())


if __name__ == "__main__":
    main()
