#!/usr/bin/env python3
"""Reads the export fixture's workbook (tests/county_hub/export_fixture.h) with openpyxl and
checks every cell exactly: sheet names, Chinese headers, text columns, values as numbers
(integers for counts, two-decimal format for yuan and rates), empty cells for undefined
values, the frozen header row and the column widths.

  check_xlsx_fixture.py EXPORT_FIXTURE      (exit 0 when all hold, 1 otherwise)
"""
import os
import subprocess
import sys
import tempfile
from decimal import Decimal

import openpyxl  # python3-openpyxl

HEADERS = ("统计期", "级别", "机构代码", "机构名称", "指标代码", "指标名称", "数值")
C, T, V = "640522", "640522100", "640522100201"
# (sheet, level, org, name, code, name_zh, value, number format)
EXPECTED = {
    "县": [
        ("county", C, "海原县", "outpatient_visits", "门急诊人次", 12, "0"),
        ("county", C, "海原县", "outpatient_cost_yuan", "门急诊总费用(元)", Decimal("1234.50"), "0.00"),
        ("county", C, "海原县", "outpatient_cost_avg_yuan", "门诊次均费用(元)", None, None),
        ("county", C, "海原县", "hypertension_control_rate", "管理人群血压控制率", Decimal("66.67"), "0.00"),
        ("county", C, "海原县", "death_rate_permille", "报告死亡率(‰)", Decimal("1.25"), "0.00"),
        ("county", C, "海原县", "infectious_disease_reports.measles", "麻疹报告例数", 2, "0"),
    ],
    "乡镇": [
        ("township", T, "红星乡|东片", "outpatient_visits", "门急诊人次", 12, "0"),
        ("township", T, "红星乡|东片", "family_doctor_sign_rate", "家庭医生签约率", None, None),
    ],
    "村": [
        ("village", V, "说\"好\"<村>&", "outpatient_visits", "门急诊人次", 12, "0"),
        ("village", V, "说\"好\"<村>&", "elderly_management_rate", "老年人健康管理率", None, None),
    ],
}
MIN_WIDTHS = {"A": 24, "B": 10, "C": 14, "D": 28, "E": 36, "F": 32, "G": 14}


def check(path):
    problems = []
    wb = openpyxl.load_workbook(path)
    if wb.sheetnames != list(EXPECTED):
        problems.append(f"sheets {wb.sheetnames}, want {list(EXPECTED)}")
    for name, rows in EXPECTED.items():
        if name not in wb.sheetnames:
            continue
        ws = wb[name]
        got = [tuple(c.value for c in r) for r in ws.iter_rows()]
        if got[0] != HEADERS:
            problems.append(f"{name}: headers {got[0]}")
        if ws.freeze_panes != "A2":
            problems.append(f"{name}: frozen at {ws.freeze_panes}, want A2")
        for col, width in MIN_WIDTHS.items():
            if (ws.column_dimensions[col].width or 0) < width:
                problems.append(f"{name}: column {col} width {ws.column_dimensions[col].width}")
        if ws.max_row != len(rows) + 1:
            problems.append(f"{name}: {ws.max_row - 1} rows, want {len(rows)}")
        for i, want in enumerate(rows, start=2):
            cells = [ws.cell(row=i, column=c) for c in range(1, 8)]
            texts = tuple(c.value for c in cells[:6])
            if texts != ("2025-Q1",) + want[:5]:
                problems.append(f"{name} row {i}: {texts}")
            if any(c.data_type != "s" for c in cells[:6]):
                problems.append(f"{name} row {i}: a text column is not a string")
            value, fmt = cells[6].value, cells[6].number_format
            expected, expected_fmt = want[5], want[6]
            if expected is None:
                if value is not None:
                    problems.append(f"{name} row {i}: value {value!r}, want an empty cell")
                continue
            if cells[6].data_type != "n" or isinstance(value, str):
                problems.append(f"{name} row {i}: value {value!r} is not a number")
            elif isinstance(expected, int) and (value != expected or not isinstance(value, int)):
                problems.append(f"{name} row {i}: value {value!r}, want the integer {expected}")
            elif Decimal(str(value)).quantize(Decimal("0.01")) != expected:
                problems.append(f"{name} row {i}: value {value!r}, want {expected}")
            if fmt != expected_fmt:
                problems.append(f"{name} row {i}: number format {fmt!r}, want {expected_fmt!r}")
        if not all(c.font.b for c in ws[1]):
            problems.append(f"{name}: header row not bold")
    return problems


def main():
    if len(sys.argv) != 2:
        print(__doc__)
        return 2
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "fixture.xlsx")
        subprocess.run([sys.argv[1], "xlsx", path], check=True)
        problems = check(path)
    for p in problems:
        print(p)
    print(f"check_xlsx_fixture: {len(problems)} problems")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
