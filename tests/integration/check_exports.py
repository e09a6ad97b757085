#!/usr/bin/env python3
"""Checks that every export of one county report says what its CSV says
(spec/interfaces.md "Report CSV" and "Exports"; DESIGN.md promise 8).

  check_exports.py --csv=F --json=F --md=F --xlsx=F --dhis2=F --adx=F --fhir=F
      --dhis2-period=2025Q1 --adx-period=2025-01-01/P3M --start=2025-01-01 --end=2025-03-31
      [--schema=fhir.schema.json] [--hub-binary=county_hub --hub=HOST:PORT]

For every (org, indicator) of the CSV: the xlsx cell (read with openpyxl) is the same number
(an integer for counts) or empty, the md and json rows hold the same text, the DHIS2 and ADX
values are present exactly when the CSV's is non-empty and equal it, and the FHIR
MeasureReport's measureScore equals it, with a rate's value equal to its population
numerator / denominator in its unit. The FHIR Bundle is validated against the FHIR R4 JSON
schema when --schema names an existing file. With --hub-binary, also checks that
`report --format=xlsx` without --out refuses a terminal stdout (exit 2).
Prints each problem and `check_exports: N problems`; exit 0 when there are none.
"""
import argparse
import csv
import json
import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from decimal import ROUND_HALF_UP, Decimal

import openpyxl

ADX_NS = "{urn:ihe:qrph:adx:2015}"
LEVEL_ZH = {"county": "县", "township": "乡镇", "village": "村"}
HEADERS = ["统计期", "级别", "机构代码", "机构名称", "指标代码", "指标名称", "数值"]
FIELDS = ["period", "level", "org_id", "org_name", "indicator", "name_zh", "value"]
POPULATION = "http://terminology.hl7.org/CodeSystem/measure-population"
MEASURE = "https://sanji.example/Measure/"


class Checker:
    def __init__(self, args):
        self.args = args
        self.problems = []
        self.compared = 0
        with open(args.csv, encoding="utf-8", newline="") as f:
            self.rows = list(csv.DictReader(f))
        self.by_key = {}
        for r in self.rows:
            key = (r["org_id"], r["indicator"])
            if key in self.by_key:
                self.fail(f"csv: duplicate row {key}")
            self.by_key[key] = r
        self.defined = {k: r["value"] for k, r in self.by_key.items() if r["value"] != ""}
        if len(self.rows) < 20 or len(self.defined) < 10:
            self.fail(f"csv: only {len(self.rows)} rows, {len(self.defined)} values")

    def fail(self, text):
        self.problems.append(text)

    def expect(self, where, got, want):
        self.compared += 1
        if got != want:
            self.fail(f"{where}: {got!r}, csv says {want!r}")

    def unit(self, code):
        if code == "death_rate_permille":
            return "permille"
        if code.endswith("_rate"):
            return "percent"
        if code.endswith("_yuan"):
            return "yuan"
        return "count"

    def check_json(self):
        with open(self.args.json, encoding="utf-8") as f:
            doc = json.load(f)
        self.expect("json: rows", len(doc), len(self.rows))
        for got, want in zip(doc, self.rows):
            value = "" if got["value"] is None else got["value"]
            self.expect(f"json {want['org_id']} {want['indicator']}",
                        [got[k] for k in FIELDS[:-1]] + [value], [want[k] for k in FIELDS])

    def check_md(self):
        with open(self.args.md, encoding="utf-8") as f:
            lines = f.read().split("\n")
        tables, current = {}, None
        for line in lines:
            if line.startswith("## "):
                current = line[3:]
                tables[current] = []
            elif line.startswith("| ") and current is not None:
                cells = split_md_row(line)
                if cells == HEADERS:
                    continue
                tables[current].append(cells)
        levels = [LEVEL_ZH[r["level"]] for r in self.rows]
        self.expect("md: headings", list(tables), sorted(set(levels), key=levels.index))
        got = [c for t in tables.values() for c in t]
        self.expect("md: rows", len(got), len(self.rows))
        for cells, want in zip(got, self.rows):
            self.expect(f"md {want['org_id']} {want['indicator']}", cells,
                        [want[k] for k in FIELDS])

    def check_xlsx(self):
        wb = openpyxl.load_workbook(self.args.xlsx)
        levels = []
        for r in self.rows:
            if LEVEL_ZH[r["level"]] not in levels:
                levels.append(LEVEL_ZH[r["level"]])
        self.expect("xlsx: sheets", wb.sheetnames, levels)
        got_rows = []
        for name in wb.sheetnames:
            ws = wb[name]
            rows = list(ws.iter_rows())
            self.expect(f"xlsx {name}: headers", [c.value for c in rows[0]], HEADERS)
            self.expect(f"xlsx {name}: frozen", ws.freeze_panes, "A2")
            got_rows += [(name, r) for r in rows[1:]]
        self.expect("xlsx: rows", len(got_rows), len(self.rows))
        for (sheet, cells), want in zip(got_rows, self.rows):
            where = f"xlsx {want['org_id']} {want['indicator']}"
            self.expect(where + " sheet", sheet, LEVEL_ZH[want["level"]])
            self.expect(where + " text", [c.value or "" for c in cells[:6]],
                        [want[k] for k in FIELDS[:6]])
            cell = cells[6]
            if want["value"] == "":
                self.expect(where + " value", cell.value, None)
                continue
            if isinstance(cell.value, str) or cell.data_type != "n":
                self.fail(f"{where}: {cell.value!r} is not a number")
                continue
            if self.unit(want["indicator"]) == "count":
                self.expect(where + " value", cell.value, int(want["value"]))
                self.expect(where + " int", isinstance(cell.value, int), True)
                self.expect(where + " format", cell.number_format, "0")
            else:
                self.expect(where + " value",
                            Decimal(repr(float(cell.value))).quantize(Decimal("0.01")),
                            Decimal(want["value"]))
                self.expect(where + " format", cell.number_format, "0.00")

    def check_dhis2(self):
        with open(self.args.dhis2, encoding="utf-8") as f:
            doc = json.load(f)
        self.expect("dhis2: keys", list(doc), ["dataValues"])
        got = {}
        for v in doc["dataValues"]:
            self.expect("dhis2: fields", sorted(v), ["dataElement", "orgUnit", "period", "value"])
            self.expect("dhis2: period", v["period"], self.args.dhis2_period)
            self.expect("dhis2: value type", type(v["value"]), str)
            key = (v["orgUnit"], v["dataElement"])
            if key in got:
                self.fail(f"dhis2: duplicate {key}")
            got[key] = v["value"]
        self.expect("dhis2: the non-empty values", set(got), set(self.defined))
        for key, value in got.items():
            self.expect(f"dhis2 {key}", value, self.defined.get(key))

    def check_adx(self):
        root = ET.parse(self.args.adx).getroot()
        self.expect("adx: root", root.tag, ADX_NS + "adx")
        if not root.get("exported"):
            self.fail("adx: no exported attribute")
        got, orgs = {}, []
        for group in root:
            self.expect("adx: group", group.tag, ADX_NS + "group")
            org = group.get("orgUnit")
            orgs.append(org)
            self.expect(f"adx {org}: period", group.get("period"), self.args.adx_period)
            self.expect(f"adx {org}: dataSet", group.get("dataSet"), "SANJI")
            if len(group) == 0:
                self.fail(f"adx {org}: a group without dataValue")
            for dv in group:
                self.expect("adx: dataValue", dv.tag, ADX_NS + "dataValue")
                key = (org, dv.get("dataElement"))
                if key in got:
                    self.fail(f"adx: duplicate {key}")
                got[key] = dv.get("value")
        self.expect("adx: one group per organisation", len(orgs), len(set(orgs)))
        self.expect("adx: the non-empty values", set(got), set(self.defined))
        for key, value in got.items():
            self.expect(f"adx {key}", Decimal(value), Decimal(self.defined.get(key, "NaN")))

    def check_fhir(self):
        with open(self.args.fhir, encoding="utf-8") as f:
            doc = json.load(f, parse_float=Decimal)
        self.expect("fhir: resourceType", doc.get("resourceType"), "Bundle")
        self.expect("fhir: type", doc.get("type"), "collection")
        entries = doc.get("entry", [])
        self.expect("fhir: entries", len(entries), len(self.rows))
        urls = [e.get("fullUrl") for e in entries]
        self.expect("fhir: unique fullUrls", len(set(urls)), len(urls))
        for entry, want in zip(entries, self.rows):
            self.check_measure_report(entry.get("resource", {}), want)
        self.validate_schema()

    def check_measure_report(self, mr, want):
        where = f"fhir {want['org_id']} {want['indicator']}"
        self.expect(where + " resourceType", mr.get("resourceType"), "MeasureReport")
        self.expect(where + " status/type", (mr.get("status"), mr.get("type")),
                    ("complete", "summary"))
        self.expect(where + " measure", mr.get("measure"), MEASURE + want["indicator"])
        self.expect(where + " reporter", mr.get("reporter", {}).get("identifier", {}).get("value"),
                    want["org_id"])
        self.expect(where + " period", mr.get("period"),
                    {"start": self.args.start, "end": self.args.end})
        group = (mr.get("group") or [{}])[0]
        score = group.get("measureScore")
        if want["value"] == "":
            self.expect(where + " measureScore", score, None)
        else:
            value = score.get("value") if score else None
            self.expect(where + " value", Decimal(value) if value is not None else None,
                        Decimal(want["value"]))
        unit = self.unit(want["indicator"])
        if unit in ("percent", "permille") and "population" in group:
            counts = {p["code"]["coding"][0]["code"]: p["count"] for p in group["population"]
                      if p["code"]["coding"][0]["system"] == POPULATION}
            num, den = counts.get("numerator"), counts.get("denominator")
            scale = 1000 if unit == "permille" else 100
            rate = "" if not den else str((Decimal(num) * scale / Decimal(den)).quantize(
                Decimal("0.01"), rounding=ROUND_HALF_UP))
            self.expect(where + " numerator/denominator", rate, want["value"])
            if score:
                self.expect(where + " unit", score.get("code"),
                            "[ppth]" if unit == "permille" else "%")

    def validate_schema(self):
        if not self.args.schema or not os.path.isfile(self.args.schema):
            print(f"check_exports: no FHIR schema at {self.args.schema}; schema validation "
                  "skipped (scripts/fetch-fhir-schema.sh fetches it)")
            return
        import jsonschema
        with open(self.args.schema, encoding="utf-8") as f:
            validator = jsonschema.Draft6Validator(json.load(f))
        with open(self.args.fhir, encoding="utf-8") as f:
            doc = json.load(f)
        errors = list(validator.iter_errors(doc))
        for e in errors[:20]:
            self.fail(f"fhir schema: {'/'.join(map(str, e.absolute_path))}: {e.message[:300]}")
        self.expect("fhir: schema errors", len(errors), 0)
        print("check_exports: the FHIR Bundle is valid against", self.args.schema)

    def check_terminal_refusal(self):
        if not self.args.hub_binary:
            return
        master, slave = os.openpty()
        try:
            r = subprocess.run([self.args.hub_binary, "report", "--hub=" + self.args.hub,
                                "--period=2025", "--format=xlsx"], stdout=slave,
                               stderr=subprocess.PIPE, timeout=60, check=False)
        finally:
            os.close(slave)
            os.close(master)
        self.expect("xlsx to a terminal: exit", r.returncode, 2)
        self.expect("xlsx to a terminal: says --out",
                    "--out=FILE.xlsx" in r.stderr.decode("utf-8", "replace"), True)


def split_md_row(line):
    """The cells of a Markdown table row, with \\| and \\\\ unescaped."""
    cells, cell, i = [], "", 1
    body = line.strip()
    while i < len(body):
        c = body[i]
        if c == "\\" and i + 1 < len(body):
            cell += body[i + 1]
            i += 2
            continue
        if c == "|":
            cells.append(cell[1:-1] if cell.startswith(" ") and cell.endswith(" ") else cell)
            cell = ""
        else:
            cell += c
        i += 1
    return cells


def main():
    p = argparse.ArgumentParser()
    for name in ("csv", "json", "md", "xlsx", "dhis2", "adx", "fhir", "dhis2-period",
                 "adx-period", "start", "end"):
        p.add_argument("--" + name, required=True)
    p.add_argument("--schema")
    p.add_argument("--hub-binary")
    p.add_argument("--hub")
    args = p.parse_args()
    c = Checker(args)
    for check in (c.check_json, c.check_md, c.check_xlsx, c.check_dhis2, c.check_adx,
                  c.check_fhir, c.check_terminal_refusal):
        try:
            check()
        except Exception as e:  # a malformed document is a problem, not a crash
            c.fail(f"{check.__name__}: {type(e).__name__}: {e}")
    for problem in c.problems:
        print(problem)
    print(f"check_exports: {len(c.rows)} rows, {c.compared} comparisons")
    print(f"check_exports: {len(c.problems)} problems")
    return 1 if c.problems else 0


if __name__ == "__main__":
    sys.exit(main())
