"""The clinic page in a real headless Chromium (issue 12 part 3).

A real township_node and village_agent on loopback (no county: a township works alone), the
agent's page on --http. Through the page: a valid outpatient_visit is accepted and then shows
in `village_agent status` and, once the township has it, as 已同步; an invalid systolic shows
the zh-CN reason at that field; a CSV upload with a bad row shows that row's error; stopping
the township turns the status line into 无法连接乡镇卫生院. No console errors. Screenshots go
to BUILD/browser-screenshots/clinic-*.png.

    clinic_test.py --build=BUILD_DIR     (exits 77 without Chromium)
"""

import argparse
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

try:
    import cdp  # pylint: disable=wrong-import-position
except ImportError as error:
    print(f"SKIP: {error} (apt-get install python3-websocket)")
    sys.exit(77)

VILLAGE = "640522100201"
TOWNSHIP = "640522100"
CSV = ("record_id,kind,occurred_at,patient_id,sex,birth_date,systolic,diastolic\n"
       "b-1,hypertension_followup,2025-03-01,P100,男,1950-01-02,150,95\n"
       "b-2,hypertension_followup,2025-03-02,P101,女,1951-01-02,999,90\n"
       "b-3,hypertension_followup,2025-03-03,P102,女,1952-01-02,132,85\n")
ARGS = None


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until(what, condition, timeout=30):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


class Node:
    """One program of the build, started in its own process group, logging to a file."""

    def __init__(self, tmp, name, args):
        self.log_path = os.path.join(tmp, f"{name}.log")
        self._log = open(self.log_path, "wb")
        self.process = subprocess.Popen([os.path.join(ARGS.build, "bin", name)] + args,
                                        stdin=subprocess.DEVNULL, stdout=self._log,
                                        stderr=subprocess.STDOUT, start_new_session=True)

    def stop(self):
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        self._log.close()

    def log(self):
        with open(self.log_path, "rb") as f:
            return f.read().decode("utf-8", "replace")[-3000:]


class ClinicPageTest(unittest.TestCase):
    """One township, one agent and one browser for the whole sequence."""

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="sanji-clinic-")
        cls.shots = os.path.join(ARGS.build, "browser-screenshots")
        os.makedirs(cls.shots, exist_ok=True)
        cls.township_port, cls.intake_port, cls.http_port = free_port(), free_port(), free_port()
        cls.township = Node(cls.tmp, "township_node", [
            "serve", "--insecure", f"--township_id={TOWNSHIP}",
            f"--data_dir={cls.tmp}/tn", f"--listen=127.0.0.1:{cls.township_port}",
            f"--county=127.0.0.1:{free_port()}"])
        cls.agent = Node(cls.tmp, "village_agent", [
            "serve", "--insecure", f"--village_id={VILLAGE}", f"--data_dir={cls.tmp}/va",
            f"--township=127.0.0.1:{cls.township_port}",
            f"--listen=127.0.0.1:{cls.intake_port}", f"--http=127.0.0.1:{cls.http_port}"])
        cls.url = f"http://127.0.0.1:{cls.http_port}/"
        try:
            wait_until("the agent's page", cls.page_answers)
        except AssertionError:
            cls.tearDownClass()
            raise
        cls.browser = cdp.Browser().__enter__()
        cls.page = cls.browser.open(cls.url)
        cls.page.wait_for("document.body.dataset.ready === 'yes'")

    @classmethod
    def tearDownClass(cls):
        if getattr(cls, "browser", None):
            cls.browser.__exit__(None, None, None)
        cls.agent.stop()
        cls.township.stop()
        if os.environ.get("SANJI_KEEP_TMP"):
            print(f"kept {cls.tmp}", file=sys.stderr)
        else:
            shutil.rmtree(cls.tmp, ignore_errors=True)

    @classmethod
    def page_answers(cls):
        try:
            with urllib.request.urlopen(cls.url + "api/status", timeout=2) as r:
                return r.status == 200
        except OSError:
            return False

    def status(self):
        """`village_agent status --format=json`, its counts as numbers."""
        out = subprocess.run([os.path.join(ARGS.build, "bin", "village_agent"), "status",
                              "--format=json", f"--agent=127.0.0.1:{self.intake_port}"],
                             capture_output=True, text=True, timeout=30, check=True)
        status = json.loads(out.stdout)
        # protobuf's JSON writes uint64 as strings.
        for key in ("last_seq", "acked_seq", "pending_records"):
            status[key] = int(status[key])
        return status

    def shot(self, name):
        path = self.page.screenshot(os.path.join(self.shots, f"clinic-{name}.png"))
        print(f"screenshot {path}", file=sys.stderr)

    def text(self, css):
        return self.page.evaluate(f"document.querySelector({json.dumps(css)}).textContent")

    def test_1_valid_visit_is_accepted_then_synced(self):
        p = self.page
        self.shot("1-start")
        p.fill("#kind", "outpatient_visit")
        form = "#form-outpatient_visit"
        p.wait_for(f"!document.querySelector('{form}').hidden")
        record_id = p.evaluate(f"document.querySelector('{form} [name=record_id]').value")
        p.fill(f"{form} [name=occurred_at]", "2025-06-01T09:30")
        p.fill(f"{form} [name=patient_id]", "HR-0001")
        p.fill(f"{form} [name=sex]", "F")
        p.fill(f"{form} [name=birth_date]", "1968-04-12")
        p.fill(f"{form} [name=cost_yuan]", "35.50")
        p.fill(f"{form} [name=icd10]", "J06.9")
        p.click(f"{form} button[type=submit]")
        p.wait_for("document.querySelector('#entry-message.message-ok') !== null")
        self.assertIn("已保存", self.text("#entry-message"))
        self.assertIn(record_id, self.text("#entry-message"))
        self.assertIn("已保存", self.text("#recent tbody tr:first-child .result"))
        status = self.status()
        self.assertEqual(status["last_seq"], 1)
        self.assertEqual(status["pending_records"] + status["acked_seq"], 1)
        self.shot("2-accepted")
        # The township acknowledges it: the status line says so within a refresh or two.
        p.wait_for("document.querySelector('#status').dataset.state === 'synced' && "
                   "document.querySelector('#status-text').textContent.startsWith('已同步')")
        self.assertIn("最近一次同步 ", self.text("#status-text"))
        self.assertEqual(self.status()["acked_seq"], 1)
        self.shot("3-synced")

    def test_2_invalid_systolic_is_shown_at_its_field(self):
        p = self.page
        before = self.status()["last_seq"]
        p.fill("#kind", "hypertension_followup")
        form = "#form-hypertension_followup"
        p.wait_for(f"!document.querySelector('{form}').hidden")
        p.fill(f"{form} [name=patient_id]", "HR-0002")
        p.fill(f"{form} [name=sex]", "M")
        p.fill(f"{form} [name=birth_date]", "1952-09-30")
        p.fill(f"{form} [name=systolic]", "999")
        p.fill(f"{form} [name=diastolic]", "90")
        p.click(f"{form} button[type=submit]")
        error = "#hypertension_followup-systolic-error"
        shown = p.wait_for(f"!document.querySelector('{error}').hidden && "
                           f"document.querySelector('{error}').textContent")
        self.assertEqual(shown, "收缩压须为 40-300 的整数 (mmHg)")
        self.assertTrue(p.evaluate(
            f"document.querySelector('{form} .field[data-field=systolic]')"
            ".classList.contains('invalid')"))
        self.assertTrue(p.evaluate(f"document.querySelector('{form} .field-error:not([hidden])')"
                                   f".id === '{error[1:]}'"), "only systolic is marked")
        self.assertEqual(self.status()["last_seq"], before)
        self.shot("4-invalid-systolic")
        # Corrected, it is accepted.
        p.fill(f"{form} [name=systolic]", "148")
        p.click(f"{form} button[type=submit]")
        p.wait_for("document.querySelector('#entry-message.message-ok') !== null")
        self.assertEqual(self.status()["last_seq"], before + 1)

    def test_3_csv_upload_reports_the_bad_row(self):
        p = self.page
        path = os.path.join(self.tmp, "三月.csv")
        with open(path, "w", encoding="utf-8") as f:
            f.write(CSV)
        before = self.status()["last_seq"]
        p.click("#tab-upload")
        p.wait_for("!document.querySelector('#panel-upload').hidden")
        p.set_files("#file", [path])
        p.click("#upload")
        p.wait_for("document.querySelector('#upload-message').textContent.includes('已保存 2 条')")
        self.assertIn("有误 1 条", self.text("#upload-message"))
        self.assertEqual(p.evaluate("document.querySelector('#upload-progress').value"), 100)
        rows = p.evaluate("[...document.querySelectorAll('#upload-errors tbody tr')]"
                          ".map(r => [...r.cells].map(c => c.textContent))")
        self.assertEqual(len(rows), 1, rows)
        self.assertEqual(rows[0][0], "3")
        self.assertIn("systolic", rows[0][1])
        self.assertEqual(rows[0][2], "收缩压须为 40-300 的整数 (mmHg)")
        self.assertEqual(self.status()["last_seq"], before + 2)
        self.shot("5-upload-errors")

    def test_4_township_down_is_said_in_words(self):
        self.township.stop()
        self.page.wait_for("document.querySelector('#status').dataset.state === 'unreachable'",
                           timeout=40)
        self.assertIn("无法连接乡镇卫生院 (", self.text("#status-text"))
        self.shot("6-township-down")

    def test_5_no_console_errors(self):
        self.assertEqual(self.page.console_errors(), [])


def main():
    global ARGS  # pylint: disable=global-statement
    parser = argparse.ArgumentParser()
    parser.add_argument("--build", required=True, help="the CMake build directory")
    ARGS, rest = parser.parse_known_args()
    ARGS.build = os.path.abspath(ARGS.build)
    if cdp.find_chromium() is None:
        print("SKIP: no chromium (apt-get install chromium)")
        sys.exit(77)
    unittest.main(argv=[sys.argv[0]] + rest, verbosity=2)


if __name__ == "__main__":
    main()
