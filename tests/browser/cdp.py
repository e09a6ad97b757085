"""A small Chrome DevTools Protocol driver for the browser tests.

It starts a headless Chromium of its own (a temporary profile, a port the browser picks),
speaks CDP over one WebSocket to the browser (python3-websocket, nothing else) and drives
pages through flattened target sessions:

    with cdp.Browser() as b:
        page = b.open("http://127.0.0.1:8080/")
        page.fill("#name", "张三")
        page.click("button[type=submit]")
        page.wait_for("document.querySelector('.ok') !== null")
        page.screenshot("/tmp/shot.png")
        assert not page.console_errors()

Not thread-safe: one thread drives a Browser and its pages. Every wait has a timeout; a
failure raises CdpError saying what was waited for. Leaving the `with` block closes the
browser, kills its process group and removes the profile directory.
"""

import base64
import json
import os
import shutil
import signal
import subprocess
import tempfile
import time

import websocket

DEFAULT_TIMEOUT = 20.0
_POLL = 0.05


class CdpError(Exception):
    """A CDP call failed, a script threw, or a wait timed out."""


def find_chromium():
    """The Chromium binary: $SANJI_CHROMIUM, else Debian's /usr/bin/chromium, else None."""
    for candidate in (os.environ.get("SANJI_CHROMIUM"), "/usr/bin/chromium",
                      shutil.which("chromium"), shutil.which("chromium-browser")):
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    return None


class _Connection:
    """One WebSocket to the browser: numbered calls, and events kept per session."""

    def __init__(self, url, timeout):
        self._ws = websocket.create_connection(url, timeout=timeout, suppress_origin=True,
                                               enable_multithread=False)
        self._next_id = 0
        self._events = []  # (session_id, method, params), oldest first

    def close(self):
        try:
            self._ws.close()
        except Exception:  # pylint: disable=broad-except
            pass

    def call(self, method, params=None, session_id=None, timeout=DEFAULT_TIMEOUT):
        self._next_id += 1
        call_id = self._next_id
        message = {"id": call_id, "method": method, "params": params or {}}
        if session_id:
            message["sessionId"] = session_id
        self._ws.send(json.dumps(message))
        deadline = time.monotonic() + timeout
        while True:
            reply = self._receive(deadline - time.monotonic())
            if reply is None:
                raise CdpError(f"{method}: no answer within {timeout:g} s")
            if reply.get("id") == call_id:
                if "error" in reply:
                    raise CdpError(f"{method}: {reply['error'].get('message')} "
                                   f"{reply['error'].get('data', '')}".rstrip())
                return reply.get("result", {})

    def pump(self):
        """Reads whatever has already arrived, without waiting."""
        while self._receive(0.0) is not None:
            pass

    def take_events(self, session_id, *methods):
        """Removes and returns the buffered events `methods` of a session, oldest first:
        their params for one method, (method, params) pairs for several."""
        taken, kept = [], []
        for event in self._events:
            if event[0] == session_id and event[1] in methods:
                taken.append(event[2] if len(methods) == 1 else (event[1], event[2]))
            else:
                kept.append(event)
        self._events = kept
        return taken

    def wait_event(self, session_id, method, timeout):
        deadline = time.monotonic() + timeout
        while True:
            taken = self.take_events(session_id, method)
            if taken:
                return taken[0]
            if self._receive(deadline - time.monotonic()) is None:
                raise CdpError(f"no {method} event within {timeout:g} s")

    def _receive(self, seconds):
        """One message (events are buffered and also returned), or None after `seconds`."""
        self._ws.settimeout(max(seconds, 0.001))
        try:
            raw = self._ws.recv()
        except websocket.WebSocketTimeoutException:
            return None
        message = json.loads(raw)
        if "method" in message:
            self._events.append((message.get("sessionId"), message["method"],
                                 message.get("params", {})))
        return message


class Page:
    """One tab, attached through its own CDP session. Made by Browser.open."""

    def __init__(self, connection, target_id, session_id):
        self._conn = connection
        self.target_id = target_id
        self._session = session_id
        self._errors = []
        for domain in ("Page", "Runtime", "DOM"):
            self._call(f"{domain}.enable")

    def _call(self, method, params=None, timeout=DEFAULT_TIMEOUT):
        return self._conn.call(method, params, self._session, timeout)

    def goto(self, url, timeout=DEFAULT_TIMEOUT):
        """Navigates and waits for the load event; raises if the navigation failed."""
        self._conn.pump()
        self._conn.take_events(self._session, "Page.loadEventFired")
        result = self._call("Page.navigate", {"url": url}, timeout)
        if result.get("errorText"):
            raise CdpError(f"navigating to {url}: {result['errorText']}")
        self._conn.wait_event(self._session, "Page.loadEventFired", timeout)

    def evaluate(self, js, timeout=DEFAULT_TIMEOUT):
        """The value of expression `js` (a promise is awaited); raises with the JS error."""
        result = self._call("Runtime.evaluate", {
            "expression": js, "awaitPromise": True, "returnByValue": True,
            "userGesture": True}, timeout)
        details = result.get("exceptionDetails")
        if details:
            exception = details.get("exception", {})
            text = exception.get("description") or exception.get("value") or details.get("text")
            raise CdpError(f"JavaScript error in {js[:200]!r}: {text}")
        return result.get("result", {}).get("value")

    def wait_for(self, js_condition, timeout=DEFAULT_TIMEOUT):
        """Evaluates `js_condition` until it is truthy and returns that value."""
        deadline = time.monotonic() + timeout
        last_error = None
        while True:
            try:
                value = self.evaluate(js_condition)
                if value:
                    return value
                last_error = None
            except CdpError as error:  # e.g. the page is still navigating
                last_error = error
            if time.monotonic() >= deadline:
                why = f" (last error: {last_error})" if last_error else ""
                raise CdpError(f"timed out after {timeout:g} s waiting for: "
                               f"{js_condition}{why}")
            time.sleep(_POLL)

    def click(self, css):
        """Clicks the centre of the element `css` with real mouse events."""
        box = self.evaluate(f"""(() => {{
            const el = document.querySelector({json.dumps(css)});
            if (!el) throw new Error('no element matches ' + {json.dumps(css)});
            el.scrollIntoView({{block: 'center', inline: 'center'}});
            const r = el.getBoundingClientRect();
            const x = r.left + r.width / 2, y = r.top + r.height / 2;
            const hit = document.elementFromPoint(x, y);
            if (!hit || !(hit === el || el.contains(hit) || hit.contains(el) ||
                          (el.labels && [...el.labels].some(l => l.contains(hit)))))
              throw new Error({json.dumps(css)} + ' is covered by ' +
                              (hit ? hit.outerHTML.slice(0, 120) : 'nothing'));
            return {{x, y}};
        }})()""")
        for kind in ("mousePressed", "mouseReleased"):
            self._call("Input.dispatchMouseEvent", {
                "type": kind, "x": box["x"], "y": box["y"], "button": "left",
                "clickCount": 1})

    def fill(self, css, text):
        """Sets the value of input/select/textarea `css`, dispatching input and change."""
        self.evaluate(f"""(() => {{
            const el = document.querySelector({json.dumps(css)});
            if (!el) throw new Error('no element matches ' + {json.dumps(css)});
            el.focus();
            const proto = Object.getPrototypeOf(el);
            const setter = Object.getOwnPropertyDescriptor(proto, 'value');
            if (setter && setter.set) setter.set.call(el, {json.dumps(text)});
            else el.value = {json.dumps(text)};
            el.dispatchEvent(new Event('input', {{bubbles: true}}));
            el.dispatchEvent(new Event('change', {{bubbles: true}}));
        }})()""")

    def set_files(self, css, paths):
        """Chooses `paths` in the file input `css` (DOM.setFileInputFiles)."""
        root = self._call("DOM.getDocument", {"depth": 0})["root"]["nodeId"]
        node = self._call("DOM.querySelector", {"nodeId": root, "selector": css})["nodeId"]
        if not node:
            raise CdpError(f"no element matches {css}")
        self._call("DOM.setFileInputFiles", {
            "files": [os.path.abspath(p) for p in paths], "nodeId": node})

    def screenshot(self, path):
        """Writes a PNG of the viewport to `path` and returns `path`."""
        data = self._call("Page.captureScreenshot", {"format": "png"}, 60)["data"]
        directory = os.path.dirname(os.path.abspath(path))
        os.makedirs(directory, exist_ok=True)
        with open(path, "wb") as out:
            out.write(base64.b64decode(data))
        return path

    def console_errors(self):
        """Uncaught exceptions and console.error messages since the page was opened."""
        self._conn.pump()
        for method, params in self._conn.take_events(
                self._session, "Runtime.exceptionThrown", "Runtime.consoleAPICalled"):
            if method == "Runtime.exceptionThrown":
                details = params.get("exceptionDetails", {})
                exception = details.get("exception", {})
                self._errors.append(exception.get("description") or details.get("text", ""))
            elif params.get("type") == "error":
                self._errors.append(" ".join(str(a.get("value", a.get("description", "")))
                                             for a in params.get("args", [])))
        return list(self._errors)


class Browser:
    """A headless Chromium of its own; use as a context manager."""

    def __init__(self, chromium=None, timeout=30.0, extra_args=()):
        self._binary = chromium or find_chromium()
        if not self._binary:
            raise CdpError("no chromium found (apt-get install chromium)")
        self._timeout = timeout
        self._extra_args = list(extra_args)
        self._profile = None
        self._process = None
        self._conn = None

    def __enter__(self):
        self._profile = tempfile.mkdtemp(prefix="sanji-cdp-")
        try:
            self._launch()
            self._conn = _Connection(self._browser_url(), self._timeout)
        except BaseException:
            self._shutdown()
            raise
        return self

    def __exit__(self, *unused):
        self._shutdown()
        return False

    def open(self, url, timeout=DEFAULT_TIMEOUT):
        """A new tab, loaded with `url`."""
        target = self._conn.call("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = self._conn.call("Target.attachToTarget",
                                  {"targetId": target, "flatten": True})["sessionId"]
        page = Page(self._conn, target, session)
        page.goto(url, timeout)
        return page

    def _launch(self):
        args = [self._binary, "--headless=new", "--remote-debugging-port=0",
                f"--user-data-dir={self._profile}", "--no-first-run",
                "--no-default-browser-check", "--disable-gpu", "--lang=zh-CN",
                "--accept-lang=zh-CN,zh",
                "--window-size=1400,1000"]
        if os.geteuid() == 0:
            args.append("--no-sandbox")
        args += self._extra_args + ["about:blank"]
        self._log = open(os.path.join(self._profile, "chromium.log"), "wb")
        # Chromium's own UI (date pickers, the file chooser's button) in zh-CN where its
        # translations are installed (Debian's chromium-l10n); LANG stays the caller's, as
        # it also decides how file names are encoded (a UTF-8 one, so 三月.csv can be chosen).
        env = dict(os.environ, LANGUAGE="zh_CN:zh")
        if not (env.get("LC_ALL") or env.get("LC_CTYPE") or env.get("LANG")):
            env["LANG"] = "C.UTF-8"
        self._process = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=self._log,
                                         stderr=subprocess.STDOUT, start_new_session=True,
                                         env=env)

    def _browser_url(self):
        """Waits for <profile>/DevToolsActivePort: the port, then the browser's path."""
        port_file = os.path.join(self._profile, "DevToolsActivePort")
        deadline = time.monotonic() + self._timeout
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise CdpError(f"chromium exited with {self._process.returncode}: "
                               f"{self._log_tail()}")
            try:
                with open(port_file, encoding="ascii") as f:
                    lines = f.read().split("\n")
                if len(lines) >= 2 and lines[0].strip().isdigit() and lines[1].strip():
                    return f"ws://127.0.0.1:{lines[0].strip()}{lines[1].strip()}"
            except FileNotFoundError:
                pass
            time.sleep(_POLL)
        raise CdpError(f"chromium wrote no {port_file} within {self._timeout:g} s: "
                       f"{self._log_tail()}")

    def _log_tail(self):
        try:
            with open(os.path.join(self._profile, "chromium.log"), "rb") as f:
                return f.read()[-2000:].decode("utf-8", "replace")
        except OSError:
            return "(no log)"

    def _shutdown(self):
        if self._conn:
            try:
                self._conn.call("Browser.close", timeout=5)
            except Exception:  # pylint: disable=broad-except
                pass
            self._conn.close()
            self._conn = None
        if self._process:
            try:
                self._process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                pass
            self._kill_group(self._process)
            self._process = None
        if getattr(self, "_log", None):
            self._log.close()
            self._log = None
        if self._profile:
            shutil.rmtree(self._profile, ignore_errors=True)
            self._profile = None

    @staticmethod
    def _kill_group(process):
        """SIGKILLs the browser's process group, reaps the browser, waits for the rest."""
        try:
            os.killpg(process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        process.wait()
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            try:
                os.killpg(process.pid, 0)
            except ProcessLookupError:
                return
            time.sleep(_POLL)
