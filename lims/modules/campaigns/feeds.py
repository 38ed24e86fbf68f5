"""Exports: recall and coverage CSV, the iCalendar feed (RFC 5545 via ``icalendar``), SVG bar charts."""
from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from markupsafe import escape

if TYPE_CHECKING:
    from lims.modules.campaigns.models import Booking, Visit
    from lims.modules.organisations.models import Organisation


def _csv(header, rows):
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow(["" if v is None else v for v in row])
    return buf.getvalue()


def recall_csv(rows: Iterable[Mapping[str, Any]]) -> str:
    """CSV of a recall list (one line per instrument)."""
    return _csv(("instrument_id", "type", "manufacturer", "model", "serial_number", "location", "state", "due",
                 "scheduled"),
                ((r["instrument"].id, r["instrument"].type.code, r["instrument"].manufacturer, r["instrument"].model,
                  r["instrument"].serial_number, r["instrument"].location, r["state"],
                  r["due"].isoformat() if r["due"] else "", r["scheduled"].isoformat() if r["scheduled"] else "")
                 for r in rows))


def coverage_header(group_by: str) -> tuple[str, ...]:
    return {"organisation": ("organisation_id", "organisation", "kind"), "district": ("district",),
            "type": ("type", "name_en", "name_zh")}[group_by] + (
        "under_control", "verified", "passed", "coverage_percent", "pass_rate_percent")


def coverage_csv(rows: Iterable[Mapping[str, Any]], group_by: str) -> str:
    return _csv(coverage_header(group_by),
                (tuple(r["key"]) + (r["under_control"], r["verified"], r["passed"], r["coverage"], r["pass_rate"])
                 for r in rows))


def ics(organisation: Organisation, visits: Iterable[Visit], bookings: Iterable[Booking],
        recall_rows: Iterable[Mapping[str, Any]], host: str) -> bytes:
    """An iCalendar (RFC 5545) feed of an organisation's scheduled visits, bookings and due dates,
    as all-day events a phone calendar can subscribe to."""
    from icalendar import Calendar, Event  # only when a feed is served

    cal = Calendar()
    cal.add("prodid", "-//Metrology LIMS//campaigns//EN")
    cal.add("version", "2.0")
    cal.add("x-wr-calname", f"Verification: {organisation.name}")
    stamp = dt.datetime.now(dt.UTC).replace(microsecond=0)

    def event(uid, day, summary, description="") -> None:
        ev = Event()
        ev.add("uid", f"{uid}@{host}")
        ev.add("dtstamp", stamp)
        ev.add("dtstart", day)
        ev.add("dtend", day + dt.timedelta(days=1))
        ev.add("summary", summary)
        if description:
            ev.add("description", description)
        cal.add_component(ev)

    for visit in visits:
        serials = ", ".join(f"{i.instrument.type.code} {i.instrument.serial_number}" for i in visit.items)
        event(f"visit-{visit.id}", visit.day, f"Verification visit ({len(visit.items)} instruments)", serials)
    for booking in bookings:
        event(f"booking-{booking.id}", booking.day, f"Bench booking {booking.id} ({len(booking.items)} instruments,"
                                                     f" {booking.state})")
    for row in recall_rows:
        if row["due"] is None:
            continue
        inst = row["instrument"]
        event(f"due-{inst.id}-{row['due'].isoformat()}", row["due"],
              f"Verification due: {inst.type.code} {inst.serial_number}", inst.location)
    return cal.to_ical()


def svg_bars(rows: Sequence[tuple[str, float | None]], label: str, width: int = 640, bar_height: int = 22) -> str:
    """A horizontal bar chart (coverage % per row) as inline SVG markup; labels are escaped."""
    gap, left = 6, 200
    height = max(1, len(rows)) * (bar_height + gap) + gap
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" role="img" viewBox="0 0 {width} {height}" '
             f'class="chart" aria-label="{escape(label)}"><title>{escape(label)}</title>']
    for n, (name, percent) in enumerate(rows):
        y = gap + n * (bar_height + gap)
        w = max(0.0, min(100.0, float(percent or 0))) * (width - left - 60) / 100.0
        parts.append(f'<text x="{left - 6}" y="{y + bar_height * 0.7:.1f}" text-anchor="end" '
                     f'font-size="12">{escape(name)}</text>'
                     f'<rect x="{left}" y="{y}" width="{w:.1f}" height="{bar_height}" fill="#2b6cb0"></rect>'
                     f'<text x="{left + w + 4:.1f}" y="{y + bar_height * 0.7:.1f}" font-size="12">'
                     f'{float(percent or 0):.1f}%</text>')
    parts.append("</svg>")
    return "".join(parts)
