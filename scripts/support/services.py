"""PostgreSQL and moto on loopback for scripts/bench (P10), as the tests start them.

    with Postgres(work) as pg:  pg.url  (postgres://assets:PASSWORD@127.0.0.1:PORT/assets)
    with Moto(work) as s3:      s3.endpoint, s3.key_id, s3.secret (a bucket "bench" exists)

PostgreSQL refuses to run as root: as root, its folders belong to `postgres` and it runs through
runuser, in a folder of its own under the temporary folder. Nothing is downloaded; both stop when the `with` block ends.
"""

import glob
import json
import os
import secrets
import shutil
import socket
import subprocess
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(port, seconds=30):
    deadline = time.time() + seconds
    while time.time() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("nothing listens on port %d" % port)


def postgres_bin():
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if found:
        return os.path.dirname(found[-1])
    initdb = shutil.which("initdb")
    return os.path.dirname(initdb) if initdb else None


class Postgres:
    def __init__(self, work):
        self.bin = postgres_bin()
        if not self.bin:
            raise RuntimeError("PostgreSQL is not installed (apt-get install postgresql-15)")
        # Not inside `work`: a mkdtemp folder is 0700, so user postgres could not reach a folder in it.
        self.folder = None
        self.port = free_port()
        self.password = secrets.token_hex(12)
        self.url = "postgres://assets:%s@127.0.0.1:%d/assets?sslmode=disable" % (self.password, self.port)
        self.process = None

    def as_owner(self, command):
        return (["runuser", "-u", "postgres", "--"] + command) if os.geteuid() == 0 else command

    def __enter__(self):
        self.folder = tempfile.mkdtemp(prefix="assets-pg-")
        os.chmod(self.folder, 0o755)
        if os.geteuid() == 0:
            shutil.chown(self.folder, "postgres", "postgres")
        data = os.path.join(self.folder, "data")
        made = subprocess.run(self.as_owner([os.path.join(self.bin, "initdb"), "-D", data, "-U", "postgres", "--auth=trust", "-E", "UTF8"]),
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        if made.returncode != 0:
            raise RuntimeError("initdb failed in %s: %s" % (self.folder, made.stderr.strip()))
        self.process = subprocess.Popen(self.as_owner([
            os.path.join(self.bin, "postgres"), "-D", data, "-p", str(self.port), "-k", self.folder,
            "-c", "listen_addresses=127.0.0.1", "-c", "fsync=off"]), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_for_port(self.port)
        for _ in range(50):
            done = subprocess.run(["psql", "-X", "-q", "-h", self.folder, "-p", str(self.port), "-U", "postgres", "-d", "postgres",
                                   "-c", "CREATE ROLE assets LOGIN PASSWORD '%s'" % self.password, "-c", "CREATE DATABASE assets OWNER assets"],
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            if done.returncode == 0:
                return self
            time.sleep(0.1)
        raise RuntimeError("PostgreSQL did not start")

    def __exit__(self, *exc):
        if self.process:
            self.process.terminate()
            self.process.wait(timeout=30)
        if self.folder:
            shutil.rmtree(self.folder, ignore_errors=True)


def moto_executable():
    """$ASSETS_MOTO_SERVER, else the one .ci/run installs, else moto_server on PATH.

    Not PATH first: pyenv's python3 puts its own bin folder first on PATH, and a moto_server
    there (5.2.1 was) may check a signed `prefix=a%2F` query wrongly.
    """
    cache = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    for candidate in (os.environ.get("ASSETS_MOTO_SERVER"), os.path.join(cache, "assets", "moto-bin", "moto_server")):
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    return shutil.which("moto_server")


class Moto:
    def __init__(self, work):
        self.executable = moto_executable()
        if not self.executable:
            raise RuntimeError("moto_server is not installed (.ci/run installs moto[server]; or set ASSETS_MOTO_SERVER)")
        self.port = free_port()
        self.endpoint = "http://127.0.0.1:%d" % self.port
        self.process = None

    def __enter__(self):
        env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
        env["INITIAL_NO_AUTH_ACTION_COUNT"] = "3"
        self.process = subprocess.Popen([self.executable, "-H", "127.0.0.1", "-p", str(self.port)], env=env,
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_for_port(self.port)
        python = os.path.join(os.path.dirname(os.path.realpath(self.executable)), "python3")
        if not os.path.exists(python):
            python = "python3"
        answer = subprocess.run([python, os.path.join(ROOT, "Tests", "Support", "moto_s3.py"), "setup", self.endpoint, "bench"],
                                check=True, capture_output=True, text=True, env=env)
        key = json.loads(answer.stdout)
        self.key_id, self.secret = key["access_key_id"], key["secret_access_key"]
        return self

    def __exit__(self, *exc):
        if self.process:
            self.process.terminate()
            self.process.wait(timeout=30)
