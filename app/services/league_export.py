"""The per-org league table as an XLSX workbook, built in memory (openpyxl)."""
from __future__ import annotations

from datetime import date
from io import BytesIO

from openpyxl import Workbook
from openpyxl.styles import Font

COLUMNS = [
    ("org", "单位代码"), ("org_name", "单位名称"), ("received", "受理件数"), ("completed", "办结环节数"),
    ("on_time_rate_original", "按期率（原时限）"), ("on_time_rate_extended", "按期率（含延期）"),
    ("overdue_now", "当前超期"), ("extensions", "延期件数"), ("returns", "退回件数"), ("reopened", "发回重办件数"),
    ("reopen_rate", "发回重办率"),
]


def league_xlsx(rows: list[dict], start: date, end: date) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = "部门考评"
    ws.append([f"部门履约投诉办理考评 {start.isoformat()} 至 {end.isoformat()}"])
    ws["A1"].font = Font(bold=True)
    stages = sorted({s for r in rows for s in r.get("avg_workdays_by_stage", {})})
    ws.append([label for _key, label in COLUMNS] + [f"平均工作日·{s}" for s in stages])
    for cell in ws[2]:
        cell.font = Font(bold=True)
    for r in rows:
        ws.append([r.get(key) for key, _label in COLUMNS]
                  + [r.get("avg_workdays_by_stage", {}).get(s) for s in stages])
    rate_columns = {i + 1 for i, (key, _label) in enumerate(COLUMNS) if "rate" in key}
    for row in ws.iter_rows(min_row=3):
        for cell in row:
            if cell.column in rate_columns:
                cell.number_format = "0.0%"
    ws.column_dimensions["B"].width = 40
    buffer = BytesIO()
    wb.save(buffer)
    return buffer.getvalue()
