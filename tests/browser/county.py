"""A small real county for the browser tests, from the built binaries.

One county_hub (with --http, the dashboard), one township_node per township and one
village_agent per village of a generated workload (build/bin/gen_workload), all --insecure on
loopback ports the kernel picks, each in its own directory under a temporary one:

    with county.County(build_dir, townships=2, villages_per_township=2) as c:
        c.import_workload()
        c.wait_converged()
        rows = c.report_json("2025", "village")
        page = browser.open(c.dashboard_url + "#p=2025")

Leaving the `with` block stops every process (SIGTERM, then SIGKILL after 20 s) and removes the
directory unless SANJI_KEEP_COUNTY is set. Not thread-safe.
"""

import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time

COUNTY = "640522"


class CountyError(Exception):
    """A process did not start, a command failed, or the county did not converge."""


def free_port():
    """A loopback port nobody listens on now (the kernel's pick)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class County:
    def __init__(self, build_dir, townships=2, villages_per_township=2, records=300, year=2025):
        self.bin = os.path.join(build_dir, "bin")
        self.year = year
        self._shape = (townships, villages_per_township, records)
        self.dir = None
        self.processes = []  # (name, Popen, log path), in start order
        self.hub_addr = None
        self.http_port = None
        self.township_addr = {}
        self.village_addr = {}
        self.villages = []
        self.townships = []

    # --- life ------------------------------------------------------------------------------

    def __enter__(self):
        self.dir = tempfile.mkdtemp(prefix="sanji-browser-county-")
        try:
            self._generate()
            self._start_all()
        except BaseException:
            self._stop_all()
            raise
        return self

    def __exit__(self, *unused):
        self._stop_all()
        if not os.environ.get("SANJI_KEEP_COUNTY"):
            shutil.rmtree(self.dir, ignore_errors=True)
        return False

    @property
    def dashboard_url(self):
        return f"http://127.0.0.1:{self.http_port}/"

    def _generate(self):
        townships, per_township, records = self._shape
        self.workload = os.path.join(self.dir, "workload")
        self._run([os.path.join(self.bin, "gen_workload"), f"--out_dir={self.workload}",
                   f"--year={self.year}", f"--townships={townships}",
                   f"--villages_per_township={per_township}",
                   f"--records_per_village={records}", "--bad_rows=false",
                   "--encoding_mix=false"])
        with open(os.path.join(self.workload, "population.csv"), encoding="utf-8") as f:
            self.villages = [line.split(",")[0] for line in f.read().splitlines()[1:] if line]
        self.townships = sorted({v[:9] for v in self.villages})

    def _launch(self, name, args):
        log_path = os.path.join(self.dir, f"{name}.log")
        log = open(log_path, "ab")
        process = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=log,
                                   stderr=subprocess.STDOUT)
        log.close()
        self.processes.append((name, process, log_path))

    def _wait_ready(self, name, status_args, timeout=30):
        _, process, log_path = self.processes[-1]
        deadline = time.monotonic() + timeout
        while subprocess.run(status_args, stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL).returncode != 0:
            if process.poll() is not None or time.monotonic() > deadline:
                with open(log_path, encoding="utf-8", errors="replace") as f:
                    tail = f.read()[-2000:]
                raise CountyError(f"{name} did not start (log {log_path}):\n{tail}")
            time.sleep(0.1)

    def _start_all(self):
        self.hub_addr = f"127.0.0.1:{free_port()}"
        self.http_port = free_port()
        self._launch("county_hub", [
            self._bin("county_hub"), "serve", f"--county_id={COUNTY}",
            f"--data_dir={self.dir}/hub", f"--listen={self.hub_addr}",
            f"--http=127.0.0.1:{self.http_port}",
            f"--orgs={self.workload}/orgs.csv", f"--population={self.workload}/population.csv",
            "--insecure"])
        self._wait_ready("county_hub", self.hub(["status"]))
        for t in self.townships:
            self.township_addr[t] = f"127.0.0.1:{free_port()}"
            self._launch(f"township-{t}", [
                self._bin("township_node"), "serve", f"--township_id={t}",
                f"--data_dir={self.dir}/t{t}", f"--listen={self.township_addr[t]}",
                f"--county={self.hub_addr}", "--insecure"])
            self._wait_ready(t, [self._bin("township_node"), "status",
                                 f"--node={self.township_addr[t]}", "--insecure"])
        for v in self.villages:
            self.village_addr[v] = f"127.0.0.1:{free_port()}"
            self._launch(f"village-{v}", [
                self._bin("village_agent"), "serve", f"--village_id={v}",
                f"--data_dir={self.dir}/v{v}", f"--township={self.township_addr[v[:9]]}",
                f"--listen={self.village_addr[v]}", "--insecure"])
            self._wait_ready(v, [self._bin("village_agent"), "status",
                                 f"--agent={self.village_addr[v]}", "--insecure"])

    def _stop_all(self):
        for _, process, _ in reversed(self.processes):
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for name, process, _ in self.processes:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                print(f"county.py: {name} did not stop within 20 s: SIGKILL")
                process.kill()
                process.wait()
        self.processes = []

    def hub_process(self):
        for _, process, _ in self.processes:
            if process.args[0] == self._bin("county_hub"):
                return process
        raise CountyError("no hub")

    # --- commands ---------------------------------------------------------------------------

    def _bin(self, program):
        return os.path.join(self.bin, program)

    def _run(self, args, stdin=None):
        result = subprocess.run(args, input=stdin, capture_output=True)
        if result.returncode != 0:
            raise CountyError(f"{' '.join(args)} exited {result.returncode}: "
                              f"{result.stderr.decode(errors='replace')}")
        return result.stdout

    def hub(self, args):
        return [self._bin("county_hub")] + args + [f"--hub={self.hub_addr}", "--insecure"]

    def import_file(self, village, path):
        out = self._run([self._bin("village_agent"), "import",
                         f"--agent={self.village_addr[village]}", "--insecure", path])
        return out.decode().strip().splitlines()[-1]

    def import_workload(self):
        for v in self.villages:
            for suffix in (".csv", ".jsonl", "-corrections.csv"):
                path = os.path.join(self.workload, v + suffix)
                if os.path.exists(path):
                    self.import_file(v, path)

    def _status_fields(self, args):
        fields = {}
        for line in self._run(args + ["--format=text"]).decode().splitlines():
            key, _, value = line.partition(": ")
            fields[key] = value
        return fields

    def wait_converged(self, timeout=180):
        """Until every agent and township has nothing pending."""
        deadline = time.monotonic() + timeout
        checks = [([self._bin("village_agent"), "status", f"--agent={a}", "--insecure"],
                   ("pending_records", "urgent_pending")) for a in self.village_addr.values()]
        checks += [([self._bin("township_node"), "status", f"--node={a}", "--insecure"],
                    ("cells_pending", "alerts_pending", "activity_pending"))
                   for a in self.township_addr.values()]
        while True:
            busy = []
            for args, keys in checks:
                fields = self._status_fields(args)
                if any(fields.get(k, "0") != "0" for k in keys):
                    busy.append(args[2])
            if not busy:
                return
            if time.monotonic() > deadline:
                raise CountyError(f"not converged after {timeout} s: {busy}")
            time.sleep(0.3)

    def report_json(self, period, level="county", org=""):
        args = ["report", f"--period={period}", f"--level={level}", "--format=json"]
        if org:
            args.append(f"--org={org}")
        return json.loads(self._run(self.hub(args)))

    def alerts_json(self):
        out = self._run(self.hub(["alerts", "--format=json"])).decode()
        return [json.loads(line) for line in out.splitlines() if line.strip()]
