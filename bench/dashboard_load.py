"""The dashboard's load time for a large county (bench/big_county, 500 villages by default).

Usage: python3 bench/dashboard_load.py BUILD_DIR [--townships=10 --villages_per_township=50]
Writes the county straight into a fresh hub store (big_county), starts county_hub serve --http
on it, then times: the API calls of a full year (report at village level, trend, completeness,
heat map, orgs), the same report through `county_hub report --format=json`, and in headless
Chromium the first contentful paint and the moments the organisation table is filled and the
whole page is loaded (Performance API marks of app.js), median of 3 loads.
"""
import os
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests",
                                "browser"))
import cdp  # noqa: E402
import county  # noqa: E402


def timed_get(url, gzip=False):
    request = urllib.request.Request(url, headers={"Accept-Encoding": "gzip"} if gzip else {})
    start = time.monotonic()
    with urllib.request.urlopen(request, timeout=300) as r:
        body = r.read()
    return time.monotonic() - start, len(body)


def main():
    build = sys.argv[1]
    extra = sys.argv[2:]
    work = tempfile.mkdtemp(prefix="sanji-dashboard-load-")
    files = os.path.join(work, "files")
    os.makedirs(files)
    start = time.monotonic()
    out = subprocess.run([os.path.join(build, "bench", "big_county"), f"--data_dir={work}/hub",
                          f"--out_dir={files}"] + extra, check=True, capture_output=True, text=True)
    print(f"{out.stdout.strip()} written in {time.monotonic() - start:.1f} s")
    grpc, http = county.free_port(), county.free_port()
    hub = subprocess.Popen([os.path.join(build, "bin", "county_hub"), "serve", "--county_id=640522",
                            f"--data_dir={work}/hub", f"--listen=127.0.0.1:{grpc}",
                            f"--http=127.0.0.1:{http}", f"--orgs={files}/orgs.csv",
                            f"--population={files}/population.csv", "--insecure"],
                           stderr=subprocess.DEVNULL)
    try:
        base = f"http://127.0.0.1:{http}"
        while True:
            try:
                timed_get(base + "/api/session")
                break
            except OSError:
                time.sleep(0.1)
        for path in ["/api/orgs?period=2025", "/api/report?period=2025&level=village",
                     "/api/trend?year=2025", "/api/completeness?period=2025",
                     "/api/completeness/heatmap?year=2025"]:
            runs = [timed_get(base + path) for _ in range(3)]
            print(f"GET {path}: median {statistics.median(r[0] for r in runs) * 1000:.0f} ms, "
                  f"{runs[0][1] / 1e6:.2f} MB")
        cli = [os.path.join(build, "bin", "county_hub"), "report", f"--hub=127.0.0.1:{grpc}",
               "--period=2025", "--level=village", "--format=json", "--insecure"]
        runs = []
        for _ in range(3):
            s = time.monotonic()
            subprocess.run(cli, check=True, stdout=subprocess.DEVNULL)
            runs.append(time.monotonic() - s)
        print(f"county_hub report --period=2025 --level=village --format=json: median "
              f"{statistics.median(runs) * 1000:.0f} ms")
        paints = []
        with cdp.Browser() as browser:
            for _ in range(3):
                page = browser.open(base + "/#p=2025")
                page.wait_for("document.body.dataset.loaded === '2025|'", timeout=120)
                paints.append(page.evaluate("""(() => {
                    const m = (n) => performance.getEntriesByName(n)[0].startTime;
                    return {fcp: m('first-contentful-paint'), table: m('sanji-table-filled'),
                            loaded: m('sanji-loaded'),
                            rows: document.querySelectorAll('#org-table tbody tr').length,
                            cells: document.querySelectorAll('#org-table td').length};
                })()"""))
                page.screenshot(os.path.join(build, "browser-screenshots", "6-500-villages.png"))
        for key in ("fcp", "table", "loaded"):
            print(f"browser {key}: median {statistics.median(p[key] for p in paints):.0f} ms "
                  f"({', '.join(f'{p[key]:.0f}' for p in paints)})")
        print(f"table: {paints[0]['rows']} rows, {paints[0]['cells']} cells")
    finally:
        hub.terminate()
        hub.wait()
        subprocess.run(["rm", "-rf", work])


if __name__ == "__main__":
    main()
