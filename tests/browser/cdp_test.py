"""Self-test of cdp.py: a data: page driven through a real headless Chromium.

Exits 77 (ctest's skip) when Chromium or python3-websocket is not installed.
"""

import os
import sys
import tempfile
import time
import unittest
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

try:
    import cdp  # pylint: disable=wrong-import-position
except ImportError as error:
    print(f"SKIP: {error} (apt-get install python3-websocket)")
    sys.exit(77)

PAGE = """<!doctype html><html lang="zh-CN"><meta charset="utf-8"><title>cdp</title>
<body><h1>村卫生室</h1>
<input id="name"><input id="files" type="file" multiple>
<button id="go" style="width:200px;height:50px">提交</button>
<div id="out"></div>
<script>
  let events = [];
  const name = document.getElementById('name');
  name.addEventListener('input', () => events.push('input'));
  name.addEventListener('change', () => events.push('change'));
  document.getElementById('files').addEventListener('change',
      e => { document.body.dataset.files = [...e.target.files].map(f => f.name).join(','); });
  document.getElementById('go').addEventListener('click', () => {
    document.getElementById('out').textContent = '你好, ' + name.value;
    setTimeout(() => document.body.dataset.later = 'yes', 300);
  });
</script>"""


def data_url(html):
    return "data:text/html;charset=utf-8," + urllib.parse.quote(html)


class CdpTest(unittest.TestCase):
    """One browser for the whole class."""

    @classmethod
    def setUpClass(cls):
        if cdp.find_chromium() is None:
            raise unittest.SkipTest("no chromium")
        cls.browser = cdp.Browser().__enter__()

    @classmethod
    def tearDownClass(cls):
        cls.browser.__exit__(None, None, None)

    def test_evaluate_fill_click_wait(self):
        page = self.browser.open(data_url(PAGE))
        self.assertEqual(page.evaluate("document.querySelector('h1').textContent"), "村卫生室")
        self.assertEqual(page.evaluate("Promise.resolve(6 * 7)"), 42)
        self.assertEqual(page.evaluate("({a: [1, 'x']})"), {"a": [1, "x"]})
        page.fill("#name", "张三")
        self.assertEqual(page.evaluate("events.join(' ')"), "input change")
        page.click("#go")
        self.assertEqual(page.wait_for("document.getElementById('out').textContent"),
                         "你好, 张三")
        self.assertEqual(page.wait_for("document.body.dataset.later", timeout=5), "yes")
        self.assertEqual(page.console_errors(), [])

    def test_errors_are_reported(self):
        page = self.browser.open(data_url(PAGE))
        with self.assertRaisesRegex(cdp.CdpError, "boom"):
            page.evaluate("(() => { throw new Error('boom'); })()")
        with self.assertRaisesRegex(cdp.CdpError, "no element matches #nothing"):
            page.click("#nothing")
        started = time.monotonic()
        with self.assertRaisesRegex(cdp.CdpError, "window.never"):
            page.wait_for("window.never", timeout=0.5)
        self.assertLess(time.monotonic() - started, 5)
        page.evaluate("console.error('bad thing'); setTimeout(() => { throw new Error('late'); })")
        page.wait_for("true")
        deadline = time.monotonic() + 5
        while len(page.console_errors()) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        errors = page.console_errors()
        self.assertEqual(len(errors), 2, errors)
        self.assertIn("bad thing", errors[0])
        self.assertIn("late", errors[1])

    def test_set_files_and_screenshot(self):
        page = self.browser.open(data_url(PAGE))
        with tempfile.TemporaryDirectory() as tmp:
            csv = os.path.join(tmp, "rows.csv")
            with open(csv, "w", encoding="utf-8") as f:
                f.write("a,b\n1,2\n")
            page.set_files("#files", [csv])
            self.assertEqual(page.wait_for("document.body.dataset.files"), "rows.csv")
            shot = page.screenshot(os.path.join(tmp, "shots", "page.png"))
            with open(shot, "rb") as f:
                self.assertEqual(f.read(8), b"\x89PNG\r\n\x1a\n")
            self.assertGreater(os.path.getsize(shot), 1000)

    def test_goto_waits_for_load(self):
        page = self.browser.open("about:blank")
        page.goto(data_url("<title>二</title><body onload=\"document.title='loaded'\">"))
        self.assertEqual(page.evaluate("document.title"), "loaded")


if __name__ == "__main__":
    if cdp.find_chromium() is None:
        print("SKIP: no chromium (apt-get install chromium)")
        sys.exit(77)
    unittest.main()
