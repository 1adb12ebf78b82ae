#!/usr/bin/env python3
"""Database faults under load (issue 18, item 2): no acknowledged write is lost, writes come
back within seconds, public reads keep answering.

Runs `onconet serve` twice, each time under 4 writers (POST /v1/networks as IKNL staff) and 1
reader (GET /v1/search, answered from memory) for --seconds (default 60, at least 60):

  embedded  the server's own PostgreSQL in a fresh data dir; at 1/4 of the run it is stopped in
            immediate mode (`pg_ctl stop -m immediate`: no checkpoint, crash recovery on start),
            at 2/3 its postmaster is killed with SIGKILL. The server's supervisor starts it
            again both times.
  external  a PostgreSQL cluster of its own on a TCP port, the server on DATABASE_URL; at 1/2 of
            the run the cluster is stopped (fast) and started again 3 s later, as an operator
            restarting the server would.

Afterwards every network a writer got a 201 for is looked up in the database. Prints per fault
the time until a write started after the fault succeeded, the acknowledged writes and how many
are present, and the share of public reads answered 200. Exits 1 when a write is missing, a
recovery took longer than 15 s or fewer than 99.9 % of the reads got a 200.

  scripts/check-faults.py [--binary target/debug/onconet] [--seconds 60] [--modes embedded,external]
"""

import argparse
import json
import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request

WRITERS = 4
MAX_RECOVERY_S = 15.0
MIN_READ_SHARE = 0.999


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def pg_bin():
    out = subprocess.run(["pg_config", "--bindir"], capture_output=True, text=True)
    if out.returncode == 0 and os.path.exists(os.path.join(out.stdout.strip(), "pg_ctl")):
        return out.stdout.strip()
    for v in sorted(os.listdir("/usr/lib/postgresql"), key=lambda v: int(v) if v.isdigit() else 0, reverse=True):
        d = f"/usr/lib/postgresql/{v}/bin"
        if os.path.exists(f"{d}/pg_ctl"):
            return d
    sys.exit("PostgreSQL binaries not found")


def as_postgres(cmd):
    """PostgreSQL refuses to run as root: its commands run as `postgres` then."""
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--"] + cmd
    return cmd


def request(method, url, token=None, body=None, timeout=30):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, method=method)
    if token:
        req.add_header("Authorization", f"Bearer {token}")
    if data is not None:
        req.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()
    except (urllib.error.URLError, ConnectionError, TimeoutError, socket.timeout) as e:
        return 0, str(e).encode()


class Server:
    def __init__(self, binary, data_dir, env):
        self.log_path = os.path.join(data_dir, "server.log")
        self.log = open(self.log_path, "w")
        full_env = dict(os.environ, ONCONET_LOG_FORMAT="json", ONCONET_RATE_LIMIT_PER_SECOND="0",
                        ONCONET_DAILY_SNAPSHOT="false", ONCONET_USAGE_COUNTS="false", **env)
        full_env.pop("ONCONET_JWKS", None)
        if "DATABASE_URL" not in env:
            full_env.pop("DATABASE_URL", None)
        self.proc = subprocess.Popen([binary, "serve", "--bind", "127.0.0.1:0", "--data-dir", data_dir],
                                     stdout=self.log, stderr=subprocess.STDOUT, env=full_env)
        self.url = None
        deadline = time.time() + 180
        while time.time() < deadline and self.url is None:
            if self.proc.poll() is not None:
                sys.exit(f"onconet serve exited; see {self.log_path}")
            with open(self.log_path) as f:
                for line in f:
                    try:
                        v = json.loads(line)
                    except ValueError:
                        continue
                    if v.get("message") == "onconet is listening":
                        self.url = v.get("url")
            time.sleep(0.2)
        if self.url is None:
            sys.exit("onconet serve did not start within 180 s")

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        self.log.close()


class Load:
    """4 writers and 1 reader until stopped."""

    def __init__(self, url, token):
        self.url, self.token = url, token
        self.stop = threading.Event()
        self.lock = threading.Lock()
        self.acknowledged = []  # ids
        self.writes = []  # (started, finished, status)
        self.odd = []  # (status, body) of the first write answers neither 201 nor 503
        self.reads = {"ok": 0, "other": 0}
        self.threads = [threading.Thread(target=self.writer, args=(i,)) for i in range(WRITERS)]
        self.threads.append(threading.Thread(target=self.reader))

    def start(self):
        for t in self.threads:
            t.start()

    def join(self):
        self.stop.set()
        for t in self.threads:
            t.join()

    def writer(self, i):
        n = 0
        while not self.stop.is_set():
            n += 1
            body = {"name": f"Storingstest {i}-{n}", "type": "oncology_care_network", "scale": "local"}
            started = time.monotonic()
            status, raw = request("POST", f"{self.url}/v1/networks", self.token, body)
            finished = time.monotonic()
            with self.lock:
                self.writes.append((started, finished, status))
                if status == 201:
                    self.acknowledged.append(json.loads(raw)["id"])
                elif status != 503 and len(self.odd) < 5:
                    self.odd.append((status, (raw or b"")[:400].decode("utf-8", "replace")))
            if status != 201:
                time.sleep(0.05)  # a client backing off a little

    def reader(self):
        while not self.stop.is_set():
            status, _ = request("GET", f"{self.url}/v1/search?lat=53.2194&lon=6.5665", timeout=10)
            with self.lock:
                self.reads["ok" if status == 200 else "other"] += 1
            time.sleep(0.005)

    def recovery_after(self, fault_at):
        """Seconds from the fault to the end of the first successful write started after it."""
        with self.lock:
            ok = [f for (s, f, st) in self.writes if s >= fault_at and st == 201]
        return (min(ok) - fault_at) if ok else None


def stored_ids(psql_args):
    out = subprocess.run(psql_args + ["-Atc", "SELECT id FROM networks"], capture_output=True, text=True)
    if out.returncode != 0:
        sys.exit(f"psql failed: {out.stderr}")
    return set(out.stdout.split())


def run(mode, binary, seconds, bindir, work):
    data = os.path.join(work, mode)
    os.makedirs(data)
    os.chmod(data, 0o755)
    env, cluster = {}, None
    if mode == "external":
        cluster = os.path.join(work, "external-pg")
        os.makedirs(cluster)
        if os.geteuid() == 0:
            pw = pwd.getpwnam("postgres")
            os.chown(cluster, pw.pw_uid, pw.pw_gid)
        port = free_port()
        subprocess.run(as_postgres([f"{bindir}/initdb", "-D", cluster, "-U", "onconet", "--auth=trust",
                                    "--encoding=UTF8", "--locale=C.UTF-8"]), check=True, capture_output=True)
        opts = f"-c listen_addresses=127.0.0.1 -p {port} -k {cluster} -c fsync=on -c synchronous_commit=on"
        pg_ctl = lambda *a: subprocess.run(as_postgres([f"{bindir}/pg_ctl", *a]), check=True, capture_output=True)
        start_external = lambda: pg_ctl("start", "-w", "-D", cluster, "-l", f"{cluster}/log", "-o", opts)
        start_external()
        subprocess.run(as_postgres([f"{bindir}/createdb", "-h", "127.0.0.1", "-p", str(port), "-U", "onconet", "onconet"]),
                       check=True, capture_output=True)
        env["DATABASE_URL"] = f"postgresql://onconet@127.0.0.1:{port}/onconet"
        psql = ["psql", "-X", "-h", "127.0.0.1", "-p", str(port), "-U", "onconet", "-d", "onconet"]
    else:
        psql = ["psql", "-X", "-h", os.path.join(data, "run"), "-p", "5432", "-U", "onconet", "-d", "onconet"]
    server = Server(binary, data, env)
    token = subprocess.run([binary, "token", "--role", "iknl_staff", "--data-dir", data],
                           capture_output=True, text=True, check=True).stdout.strip()
    load = Load(server.url, token)
    t0 = time.monotonic()
    load.start()
    faults = []
    try:
        if mode == "embedded":
            schedule = [(seconds / 4, "immediate stop (supervisor restarts it)"),
                        (seconds * 2 / 3, "SIGKILL of the postmaster")]
        else:
            schedule = [(seconds / 2, "server stopped 3 s, then started")]
        for at, what in schedule:
            time.sleep(max(0.0, t0 + at - time.monotonic()))
            fault_at = time.monotonic()
            if what.startswith("immediate"):
                subprocess.run(as_postgres([f"{bindir}/pg_ctl", "stop", "-m", "immediate", "-D", os.path.join(data, "pg")]),
                               check=True, capture_output=True)
            elif what.startswith("SIGKILL"):
                with open(os.path.join(data, "pg", "postmaster.pid")) as f:
                    os.kill(int(f.readline()), signal.SIGKILL)
            else:
                pg_ctl("stop", "-w", "-m", "fast", "-D", cluster)
                time.sleep(3)
                start_external()
            faults.append((what, fault_at))
        time.sleep(max(0.0, t0 + seconds - time.monotonic()))
    finally:
        load.join()
    results = [(mode, what, load.recovery_after(at)) for what, at in faults]
    present = stored_ids(psql)
    acknowledged = set(load.acknowledged)
    missing = acknowledged - present
    server.stop()
    # The cause of any 500, as the server logged it.
    with open(server.log_path, errors="replace") as f:
        failed = [line.strip()[:600] for line in f if '"request failed"' in line][:5]
    if cluster:
        subprocess.run(as_postgres([f"{bindir}/pg_ctl", "stop", "-m", "fast", "-D", cluster]), capture_output=True)
    statuses = {}
    for _, _, st in load.writes:
        statuses[st] = statuses.get(st, 0) + 1
    return {
        "mode": mode, "faults": results, "acknowledged": len(acknowledged), "present": len(acknowledged & present),
        "missing": sorted(missing), "reads": dict(load.reads), "write_statuses": statuses, "odd": load.odd,
        "failed": failed,
        "elapsed": time.monotonic() - t0,
    }


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--binary", default="target/debug/onconet")
    ap.add_argument("--seconds", type=float, default=60)
    ap.add_argument("--modes", default="embedded,external")
    args = ap.parse_args()
    if args.seconds < 60:
        sys.exit("--seconds must be at least 60")
    bindir = pg_bin()
    work = tempfile.mkdtemp(prefix="onconet-faults.")
    os.chmod(work, 0o755)
    ok = True
    reports = []
    try:
        for mode in args.modes.split(","):
            print(f"check-faults: {mode}: {WRITERS} writers and 1 reader for {args.seconds:.0f} s ...", flush=True)
            reports.append(run(mode, os.path.abspath(args.binary), args.seconds, bindir, work))
    finally:
        # Whatever is left running (an interrupted run) is stopped before the files go.
        for mode in ("embedded", "external-pg"):
            d = os.path.join(work, mode, "pg") if mode == "embedded" else os.path.join(work, mode)
            if os.path.exists(os.path.join(d, "postmaster.pid")):
                subprocess.run(as_postgres([f"{bindir}/pg_ctl", "stop", "-m", "fast", "-D", d]), capture_output=True)
        shutil.rmtree(work, ignore_errors=True)
    print()
    print(f"{'mode':<9} {'fault':<42} {'writes back after':>18}")
    for r in reports:
        for mode, what, rec in r["faults"]:
            text = f"{rec:.1f} s" if rec is not None else "never"
            print(f"{mode:<9} {what:<42} {text:>18}")
            if rec is None or rec > MAX_RECOVERY_S:
                ok = False
    print()
    for r in reports:
        reads = r["reads"]
        total = reads["ok"] + reads["other"]
        share = reads["ok"] / total if total else 0.0
        print(f"{r['mode']}: {r['elapsed']:.0f} s; acknowledged writes {r['acknowledged']}, present afterwards "
              f"{r['present']} (missing {len(r['missing'])}); write answers {dict(sorted(r['write_statuses'].items()))}; "
              f"public reads answered 200: {reads['ok']} of {total} ({100 * share:.3f} %)")
        for status, body in r["odd"]:
            # Not a failure of the check (nothing was lost), but each should have been a 503.
            print(f"{r['mode']}: a write was answered {status}: {body}")
        for line in r["failed"]:
            print(f"{r['mode']}: the server logged: {line}")
        if r["missing"] or share < MIN_READ_SHARE or r["acknowledged"] == 0:
            ok = False
    print()
    print("check-faults: " + ("passed" if ok else "FAILED"))
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
