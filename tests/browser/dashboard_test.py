"""The county dashboard in a real headless Chromium, over a small real county.

Usage: dashboard_test.py BUILD_DIR. Starts a county of 2 townships x 2 villages from the built
binaries (tests/browser/county.py), imports a generated year, then on the page:
  - the county's view shows, cell for cell, what `county_hub report --format=json
    --level=village` says (the county, its townships and villages), the headline numbers too;
  - a click on a column header sorts; the period picker's quarter and month show what the
    report of that period says;
  - clicking a township drills down (its cells equal `report --org=TOWNSHIP`), then a village,
    and the breadcrumb leads back up;
  - an infectious_disease_report imported while the page is open appears in the line list
    (the page's server-sent events), and 审核 on the page marks it reviewed, as
    `county_hub alerts --format=json` then says;
  - every download answers with its content type and file name (the workbook starts with PK);
  - a bad period in the address shows the hub's Chinese message; no console errors.
Screenshots go to BUILD_DIR/browser-screenshots/. Exit 77 (skipped) without Chromium.
"""

import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cdp  # noqa: E402
import county  # noqa: E402

YEAR = "2025"


def check(condition, message):
    if not condition:
        raise AssertionError(message)


def dom_cells(page):
    """{(org, indicator): text} of the organisation table."""
    return page.evaluate("""(() => {
        const out = {};
        for (const td of document.querySelectorAll('#org-table td[data-indicator]')) {
          out[td.parentElement.dataset.org + '|' + td.dataset.indicator] = td.textContent;
        }
        return out;
    })()""")


def compare_with_report(page, rows, what):
    cells = dom_cells(page)
    check(rows, f"{what}: the report has no rows")
    for r in rows:
        key = f"{r['org_id']}|{r['indicator']}"
        want = "—" if r["value"] is None else r["value"]
        check(key in cells, f"{what}: the page has no cell for {key}")
        check(cells[key] == want, f"{what}: {key} is {cells[key]!r} on the page, "
                                  f"{want!r} in the report")
    orgs = {r["org_id"] for r in rows}
    shown = {k.split("|")[0] for k in cells}
    check(orgs == shown, f"{what}: the page shows {sorted(shown)}, the report {sorted(orgs)}")
    print(f"ok: {what}: {len(rows)} cells of {len(orgs)} organisations equal the report")


def wait_loaded(page, org="", period=YEAR):
    page.wait_for(f"document.body.dataset.loaded === {json.dumps(period + '|' + org)}")


def scroll_to(page, css):
    """Scrolls `css` to the top, below the sticky header."""
    page.evaluate(f"document.querySelector({json.dumps(css)}).scrollIntoView(); "
                  "window.scrollBy(0, -84)")


def sort_and_pick_period(page, c):
    """Sorting by a column orders the townships; the picker's quarter is the report's."""
    page.click('#org-table th[data-indicator="outpatient_visits"]')
    order = page.evaluate("""[...document.querySelectorAll('#org-table tr.subtotal')].map(
        r => Number(r.querySelector('td[data-indicator="outpatient_visits"]').textContent))""")
    check(order == sorted(order, reverse=True), f"sorted descending: {order}")
    page.click('#org-table th[data-indicator="outpatient_visits"]')
    order = page.evaluate("""[...document.querySelectorAll('#org-table tr.subtotal')].map(
        r => Number(r.querySelector('td[data-indicator="outpatient_visits"]').textContent))""")
    check(order == sorted(order), f"sorted ascending: {order}")
    print(f"ok: a click on 门急诊人次 sorts the townships descending, a second ascending")
    page.fill("#period-kind", "quarter")
    page.fill("#period-part", "Q3")
    wait_loaded(page, "", YEAR + "-Q3")
    compare_with_report(page, c.report_json(YEAR + "-Q3", "village"), "the picker's 2025-Q3")
    page.fill("#period-kind", "month")
    page.fill("#period-part", "07")
    wait_loaded(page, "", YEAR + "-07")
    compare_with_report(page, c.report_json(YEAR + "-07", "village"), "the picker's 2025-07")
    page.fill("#period-kind", "year")
    wait_loaded(page)


def check_headline(page, rows, org_id):
    values = {r["indicator"]: r["value"] for r in rows if r["org_id"] == org_id}
    shown = page.evaluate("""Object.fromEntries([...document.querySelectorAll(
        '#headline [data-indicator]')].map(e => [e.dataset.indicator, e.textContent]))""")
    check("outpatient_visits" in shown and "family_doctor_sign_rate" in shown,
          f"headline lacks indicators: {shown}")
    for code, text in shown.items():
        want = "—" if values[code] is None else values[code]
        check(text.rstrip("%") == want, f"headline {code}: {text!r}, report {want!r}")
    print(f"ok: {len(shown)} headline numbers equal the report")


def drill_down(page, c, shots):
    township = c.townships[0]
    page.click(f'#org-table tr[data-org="{township}"] a')
    wait_loaded(page, township)
    compare_with_report(page, c.report_json(YEAR, "village", township), f"township {township}")
    page.screenshot(os.path.join(shots, "2-township.png"))
    village = c.villages[0]
    page.click(f'#org-table tr[data-org="{village}"] a')
    wait_loaded(page, village)
    compare_with_report(page, c.report_json(YEAR, "village", village), f"village {village}")
    crumbs = page.evaluate("[...document.querySelectorAll('#crumbs a')].length")
    check(crumbs == 2, f"the breadcrumb of a village has {crumbs} links, not 2")
    page.click("#crumbs a:nth-of-type(2)")
    wait_loaded(page, township)
    page.click("#crumbs a:nth-of-type(1)")
    wait_loaded(page, "")
    print("ok: drilled down to a township and a village, and back up by the breadcrumb")


def new_alert_and_review(page, c, shots):
    page.wait_for("document.body.dataset.alertsCaughtUp === '1'")
    village = c.villages[-1]
    path = os.path.join(c.dir, "new-case.csv")
    with open(path, "w", encoding="utf-8") as f:
        f.write("record_id,kind,occurred_at,patient_id,sex,birth_date,disease\n"
                "browser-case-1,infectious_disease_report,2025-12-30T09:15,PB1,F,1990-05-01,"
                "measles\n")
    start = time.monotonic()
    summary = c.import_file(village, path)
    check(summary.startswith("accepted=1 "), f"import said {summary}")
    alert_id = None
    deadline = time.monotonic() + 30
    while alert_id is None:
        ids = [a["id"] for a in c.alerts_json() if a["record_id"] == "browser-case-1"]
        alert_id = ids[0] if ids else None
        check(time.monotonic() < deadline, "the county never listed the new case")
        time.sleep(0.1) if alert_id is None else None
    page.wait_for(f"document.querySelector('tr[data-alert=\"{alert_id}\"]') !== null")
    print(f"ok: the new case #{alert_id} appeared on the open page "
          f"{time.monotonic() - start:.1f} s after its import")
    scroll_to(page, "#alerts-table")
    page.screenshot(os.path.join(shots, "4-alerts-new.png"))
    page.fill("#reviewer", "张医生")
    page.click(f'button.review[data-id="{alert_id}"]')
    page.wait_for(f"document.querySelector('tr[data-alert=\"{alert_id}\"] .state')"
                  ".textContent === '已审核'")
    entry = [a for a in c.alerts_json() if a["id"] == alert_id][0]
    check(entry["status"] == "reviewed" and entry["reviewed_by"] == "张医生",
          f"county_hub alerts says {entry}")
    print("ok: 审核 on the page marked it reviewed by 张医生 (county_hub alerts agrees)")
    page.screenshot(os.path.join(shots, "5-alerts-reviewed.png"))


DOWNLOADS = {
    "report.xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                    ".xlsx", "PK"),
    "report.csv": ("text/csv; charset=utf-8", ".csv", "period,level,org"),
    "report.md": ("text/markdown; charset=utf-8", ".md", None),
    "report.dhis2": ("application/json; charset=utf-8", "-dhis2.json", "{"),
    "report.adx": ("application/xml; charset=utf-8", "-adx.xml", "<?xml"),
    "report.fhir": ("application/fhir+json; charset=utf-8", "-fhir.json", None),
    "completeness.csv": ("text/csv; charset=utf-8", "-completeness.csv", "period,level"),
    "summary.md": ("text/markdown; charset=utf-8", "-summary.md", None),
}


def check_downloads(page):
    got = page.evaluate("""(async () => {
        const out = {};
        for (const a of document.querySelectorAll('#downloads a[data-download]')) {
          const r = await fetch(a.href);
          const bytes = new Uint8Array(await r.arrayBuffer());
          out[a.dataset.download] = {status: r.status, type: r.headers.get('content-type'),
            disposition: r.headers.get('content-disposition'),
            head: String.fromCharCode(...bytes.slice(0, 16))};
        }
        return out;
    })()""", timeout=60)
    check(set(got) == set(DOWNLOADS), f"download buttons: {sorted(got)}")
    for what, (content_type, suffix, head) in DOWNLOADS.items():
        g = got[what]
        check(g["status"] == 200, f"{what}: status {g['status']}")
        check(g["type"] == content_type, f"{what}: Content-Type {g['type']}")
        check(g["disposition"].startswith("attachment; filename=\"sanji-640522-2025")
              and g["disposition"].endswith(suffix + '"'), f"{what}: {g['disposition']}")
        check(head is None or g["head"].startswith(head), f"{what} starts {g['head']!r}")
    print(f"ok: {len(got)} downloads with their content types and file names")


def run(build_dir):
    shots = os.path.join(build_dir, "browser-screenshots")
    os.makedirs(shots, exist_ok=True)
    with county.County(build_dir) as c, cdp.Browser() as browser:
        c.import_workload()
        c.wait_converged()
        page = browser.open(c.dashboard_url + "#p=" + YEAR)
        wait_loaded(page)
        rows = c.report_json(YEAR, "village")
        compare_with_report(page, rows, "county " + county.COUNTY)
        check_headline(page, rows, county.COUNTY)
        page.screenshot(os.path.join(shots, "1-county.png"))
        drill_down(page, c, shots)
        sort_and_pick_period(page, c)
        scroll_to(page, "#trend-chart")
        page.screenshot(os.path.join(shots, "3-trend.png"))
        scroll_to(page, "#completeness-table")
        page.screenshot(os.path.join(shots, "3-completeness-heatmap.png"))
        new_alert_and_review(page, c, shots)
        check_downloads(page)
        page.evaluate("location.hash = '#p=2025-Q5'")
        shown = page.wait_for("!document.getElementById('error').hidden && "
                              "document.getElementById('error').textContent")
        check("统计期“2025-Q5”无效" in shown, f"the page shows {shown!r}")
        print(f"ok: a bad period shows the hub's message: {shown}")
        page.evaluate("window.scrollTo(0, 0)")
        page.screenshot(os.path.join(shots, "7-bad-period.png"))
        errors = page.console_errors()
        check(not errors, f"console errors: {errors}")
        print("ok: no console errors")
    print(f"screenshots in {shots}")


def main():
    if len(sys.argv) != 2:
        print("usage: dashboard_test.py BUILD_DIR", file=sys.stderr)
        return 2
    if not cdp.find_chromium():
        print("SKIP: no chromium (apt-get install chromium)")
        return 77
    run(sys.argv[1])
    print("PASS")
    return 0


if __name__ == "__main__":
    sys.exit(main())
