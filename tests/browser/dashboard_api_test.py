"""The dashboard's JSON API without a browser (county_hub/dashboard.h), over a real county of
one township and one village (tests/browser/county.py). Usage: dashboard_api_test.py BUILD_DIR.

  - /api/report answers byte for byte what `county_hub report --format=json` prints;
  - a bad period, org, level or year is 400 with the Chinese message the page shows; a request
    the engine refuses (a DHIS2 export of a range of days) is 400 too; an unknown path 404;
  - a review POST without X-Requested-With is 403, without a reviewer 400, of an unknown id 404;
  - at most 8 alert streams: the 9th is 503 with why; SIGTERM ends the open streams and the
    hub within seconds.
"""

import http.client
import json
import os
import signal
import socket
import sys
import time
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import county  # noqa: E402


def check(condition, message):
    if not condition:
        raise AssertionError(message)


def request(c, method, path, body=None, headers=None):
    conn = http.client.HTTPConnection("127.0.0.1", c.http_port, timeout=30)
    if isinstance(body, str):
        body = body.encode("utf-8")
    conn.request(method, path, body=body, headers=headers or {})
    response = conn.getresponse()
    data = response.read()
    conn.close()
    return response.status, response.getheader("Content-Type"), data


def expect_error(c, path, status, text, method="GET", body=None, headers=None):
    got, content_type, data = request(c, method, path, body, headers)
    check(got == status, f"{method} {path}: status {got}, not {status}: {data[:200]!r}")
    check(content_type.startswith("application/json"), f"{path}: {content_type}")
    message = json.loads(data)["error"]
    check(text in message, f"{path}: error {message!r} lacks {text!r}")
    print(f"ok: {method} {path} -> {status} {message}")


def open_stream(c):
    """A raw connection on /api/alerts/stream; returns (socket, first bytes)."""
    s = socket.create_connection(("127.0.0.1", c.http_port), timeout=10)
    s.sendall(b"GET /api/alerts/stream HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n\r\n")
    return s, s.recv(4096)


def check_report_bytes(c):
    for query in ({"period": "2025", "level": "village"}, {"period": "2025-Q2"},
                  {"period": "2025-03", "org": c.townships[0], "level": "township"}):
        status, _, data = request(c, "GET", "/api/report?" + urllib.parse.urlencode(query))
        args = ["report", f"--period={query['period']}", "--format=json",
                f"--level={query.get('level', 'county')}"]
        if "org" in query:
            args.append(f"--org={query['org']}")
        cli = c._run(c.hub(args))
        check(status == 200 and data == cli, f"/api/report {query} differs from the CLI")
    print("ok: /api/report is byte for byte `county_hub report --format=json`")


def check_errors(c):
    expect_error(c, "/api/report?period=2025-13", 400, "统计期“2025-13”无效")
    expect_error(c, "/api/report", 400, "统计期")
    expect_error(c, "/api/report?period=2025&org=999999", 400, "机构代码“999999”不是本县")
    expect_error(c, "/api/report?period=2025&level=province", 400, "级别“province”无效")
    expect_error(c, "/api/trend?year=20x5", 400, "年份“20x5”无效")
    expect_error(c, "/api/completeness?period=2025-H3", 400, "统计期")
    expect_error(c, "/api/download/report.dhis2?period=2025-01-01..2025-01-31", 400, "请求无效")
    expect_error(c, "/api/download/report.pdf?period=2025", 404, "没有这种下载")
    expect_error(c, "/api/nothing", 404, "没有这个接口")
    review = "/api/alerts/review"
    sanji = {"X-Requested-With": "sanji", "Content-Type": "application/json"}
    expect_error(c, review, 403, "X-Requested-With", "POST", '{"id":1,"by":"x"}',
                 {"Content-Type": "application/json"})
    expect_error(c, review, 400, "请填写审核人姓名", "POST", '{"id":1,"by":"  "}', sanji)
    expect_error(c, review, 400, "请求无效", "POST", "not json", sanji)
    expect_error(c, review, 404, "没有这条传染病个案", "POST", '{"id":99999,"by":"张三"}', sanji)


def check_streams_and_shutdown(c):
    streams = []
    for i in range(8):
        s, first = open_stream(c)
        check(b"200" in first.split(b"\r\n")[0], f"stream {i}: {first[:100]!r}")
        streams.append(s)
    expect_error(c, "/api/alerts/stream", 503, "实时推送的连接已满")
    # The pool (16 threads) still answers other requests with 8 streams open.
    status, _, _ = request(c, "GET", "/api/report?period=2025")
    check(status == 200, f"a report with 8 streams open: {status}")
    streams.pop().close()
    deadline = time.monotonic() + 10
    while True:  # the server notices the closed stream at its next write (<= 15 s)
        s, first = open_stream(c)
        if b" 200 " in first.split(b"\r\n")[0]:
            streams.append(s)
            break
        s.close()
        check(time.monotonic() < deadline + 10, "a closed stream's place never came free")
        time.sleep(0.5)
    print("ok: 8 streams at once, the 9th refused with 503 until one closes")
    hub = c.hub_process()
    start = time.monotonic()
    hub.send_signal(signal.SIGTERM)
    for s in streams:
        s.settimeout(5)
        while s.recv(4096):
            pass
    closed = time.monotonic() - start
    hub.wait(timeout=30)
    # The hub's gRPC server then gives the townships' Push streams their 5 s grace.
    check(closed < 2.5, f"the streams ended {closed:.1f} s after SIGTERM")
    print(f"ok: SIGTERM with 8 streams open: they ended {closed:.2f} s after it, "
          f"the hub exited after {time.monotonic() - start:.2f} s")


def main():
    if len(sys.argv) != 2:
        print("usage: dashboard_api_test.py BUILD_DIR", file=sys.stderr)
        return 2
    with county.County(sys.argv[1], townships=1, villages_per_township=1, records=100) as c:
        c.import_workload()
        c.wait_converged()
        check_report_bytes(c)
        check_errors(c)
        check_streams_and_shutdown(c)
    print("PASS")
    return 0


if __name__ == "__main__":
    sys.exit(main())
