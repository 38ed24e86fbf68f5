"""Benchmark: issue a batch of certificates and compare with a naive baseline in the same run.

Full issue per certificate: record → signed COSE token → QR (vector) → bilingual PDF + DCC 3.3.0
XML + sticker (A4 sheets of 21), via :func:`certificates.issue.issue_batch` on all cores.
Naive baseline per certificate (single process, as described in issue #5): a bare one-page
reportlab PDF with a ``qrcode`` PNG image and an Ed25519 signature.

Run by hand::

    .venv/bin/pip install -e '.[bench]'     # psutil
    .venv/bin/python bench/issue_batch.py [--count 1000] [--baseline-count 1000] [--workers 2] [--api-count 50]

Prints one row per pipeline at the same process counts (1 and N): the naive baseline, the full
library pipeline, and the path through the API (database, numbering, audit) as its own row, the
ratio full/baseline at each process count, and what the baseline leaves out.
No assertions: numbers are for people to read.
"""
from __future__ import annotations

import argparse
import base64
import dataclasses
import io
import os
import resource
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from certificates.issue import issue_batch  # noqa: E402
from certificates.samples import load_sample  # noqa: E402
from certificates.signing import generate_unsaved_key  # noqa: E402

HOST = "lims.example.com"


def make_records(count: int) -> list:
    """Return ``count`` distinct records: 80 % scale passes, 10 % fails, 10 % thermometer calibrations."""
    samples = [load_sample("scale_verification")] * 8 + [load_sample("scale_notice"),
                                                         load_sample("thermometer_calibration")]
    out = []
    for i in range(count):
        base = samples[i % len(samples)]
        inst = dataclasses.replace(base.instrument, instrument_id=f"INS-{i:05d}", serial_number=f"SN{i:07d}")
        out.append(dataclasses.replace(base, number=f"{base.number[:7]}{i:06d}", instrument=inst))
    return out


def baseline(records: list, key) -> None:
    """Naive per-certificate pipeline: qrcode PNG, Ed25519 signature, one-page reportlab PDF."""
    import qrcode
    from reportlab.lib.utils import ImageReader
    from reportlab.pdfgen.canvas import Canvas

    for data in records:
        record = "|".join((data.number, data.instrument.instrument_id, data.performed_date.isoformat(),
                           str(data.due_date), data.lab.lab_id, str(data.revision))).encode()
        signed = record + key.private_key.sign(record)
        url = f"HTTPS://{HOST.upper()}/V/{base64.b32encode(signed).decode().rstrip('=')}"
        png = io.BytesIO()
        qrcode.make(url, error_correction=qrcode.constants.ERROR_CORRECT_M).save(png)
        buf = io.BytesIO()
        canv = Canvas(buf)
        canv.drawString(72, 770, f"Certificate {data.number}")
        canv.drawString(72, 750, f"Instrument {data.instrument.instrument_id}")
        canv.drawImage(ImageReader(io.BytesIO(png.getvalue())), 400, 680, 120, 120)
        canv.showPage()
        canv.save()


def _cpu() -> float:
    """CPU seconds used so far by this process."""
    t = os.times()
    return t.user + t.system


class TreeMonitor(threading.Thread):
    """Sample CPU time and RSS of all descendant processes (workers start from a forkserver,
    so they are not our direct children and ``RUSAGE_CHILDREN`` does not see them)."""

    def __init__(self, interval: float = 0.05):
        super().__init__(daemon=True)
        self.interval, self.stop, self.cpu, self.peak = interval, threading.Event(), {}, {}

    def run(self):
        try:
            import psutil  # the bench extra: pip install -e '.[bench]'
        except ImportError:
            print("(psutil not installed: pip install -e '.[bench]' for worker memory figures)")
            return

        me = psutil.Process()
        while not self.stop.wait(self.interval):
            for proc in me.children(recursive=True):
                try:
                    with proc.oneshot():
                        rss, times = proc.memory_info().rss, proc.cpu_times()
                except psutil.Error:
                    continue
                self.peak[proc.pid] = max(self.peak.get(proc.pid, 0), rss)
                self.cpu[proc.pid] = times.user + times.system


BASELINE_LEAVES_OUT = ("the baseline leaves out: the DCC 3.3.0 XML and its schema check, the bilingual "
                       "multi-section PDF with CJK fonts, the COSE_Sign1 envelope (CBOR), the vector QR, the "
                       "sticker sheets, content hashes; and (like the library rows) the database, numbering and audit")


def _baseline_chunk(args):
    records, seed = args
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    class _Key:
        private_key = Ed25519PrivateKey.from_private_bytes(seed)

    baseline(records, _Key)
    return len(records)


def baseline_parallel(records, key, processes):
    """The naive pipeline on ``processes`` processes (records split evenly)."""
    from concurrent.futures import ProcessPoolExecutor

    from cryptography.hazmat.primitives import serialization

    seed = key.private_key.private_bytes(serialization.Encoding.Raw, serialization.PrivateFormat.Raw,
                                         serialization.NoEncryption())
    chunks = [(records[i::processes], seed) for i in range(processes)]
    with ProcessPoolExecutor(processes) as pool:
        return sum(pool.map(_baseline_chunk, chunks))


def api_path(count):
    """Issue ``count`` certificates through the API in-process: database, numbering, audit (SQLite)."""
    import datetime as dt
    import tempfile

    from tests.lims.conftest import build_world, make_app, migrate_to_head

    work = tempfile.mkdtemp(prefix="lims-issue-bench-")
    app = make_app(f"sqlite:///{work}/bench.db", KEY_DIR=f"{work}/keys", PUBLIC_HOST=HOST)
    migrate_to_head(app)
    world = build_world(app)
    from lims.core.audit import acting_as
    from lims.extensions import db
    from lims.modules.equipment import operations as eq
    from lims.modules.issuance import keys
    from lims.modules.issuance.operations import demo_result_notes
    from lims.modules.jobs.operations import book_batch, transition
    from lims.modules.organisations.models import Organisation
    from lims.modules.users.models import User

    with app.app_context(), acting_as(None, "bench"):
        keys.create()
        org = db.session.get(Organisation, world.orgs["market_a"])
        tech = db.session.get(User, world.users["technician"])
        mgr = db.session.get(User, world.users["admin"])
        insts = [eq.create_instrument({"type_code": "scale.price_computing", "manufacturer": "ACME", "model": "B",
                                       "serial_number": f"IB{i:05d}", "characteristics": {
                                           "max": 30000, "min": 200, "e": 10, "d": 10, "accuracy_class": "III"}},
                                      org) for i in range(count)]
        jobs = book_batch(tech, [i.id for i in insts])
        for job, inst in zip(jobs, insts, strict=False):
            for action, user, data in (("receive", tech, {}), ("start", tech, {"bench_id": world.benches["good"]}),
                                       ("submit", tech, {"result": "pass", "notes": demo_result_notes(inst, False),
                                                         "performed_on": dt.date.today()}),
                                       ("approve", mgr, {})):
                transition(job, action, user, {**data, "version": job.version})
        db.session.commit()
        ids = [j.id for j in jobs]
    client = app.test_client()
    headers = world.auth("lab_manager")
    t0 = time.perf_counter()
    for jid in ids:
        r = client.post(f"/api/v1/jobs/{jid}/certificate", json={}, headers=headers)
        assert r.status_code == 201, r.get_json()
    return time.perf_counter() - t0


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--baseline-count", type=int, default=None, help="default: same as --count")
    parser.add_argument("--workers", type=int, default=os.cpu_count())
    parser.add_argument("--api-count", type=int, default=50, help="certificates issued through the API row")
    args = parser.parse_args(argv)
    key = generate_unsaved_key()
    records = make_records(args.count)
    base_records = records[: args.baseline_count or args.count]
    n = args.workers
    print(f"cpus={os.cpu_count()} workers={n} python={sys.version.split()[0]} load={os.getloadavg()[0]:.1f}")
    print(BASELINE_LEAVES_OUT)
    rows = []
    for procs in sorted({1, n}):
        t0 = time.perf_counter()
        if procs == 1:
            baseline(base_records, key)
        else:
            baseline_parallel(base_records, key, procs)
        rows.append((f"baseline (naive), {procs} process(es)", len(base_records), time.perf_counter() - t0))
    for procs in sorted({1, n}):
        monitor = TreeMonitor()
        monitor.start()
        t0 = time.perf_counter()
        issued, sheets = issue_batch(records, key, HOST, workers=procs)
        rows.append((f"full library pipeline, {procs} process(es)", len(issued), time.perf_counter() - t0))
        monitor.stop.set()
        monitor.join()
        if monitor.peak:
            print(f"full pipeline, {procs} process(es): largest worker peak RSS "
                  f"{max(monitor.peak.values()) / 2**20:.0f} MB (psutil, sampled every 50 ms)")
    if args.api_count:
        rows.append(("through the API (database, numbering, audit; 1 process, SQLite)", args.api_count,
                     api_path(args.api_count)))
    print(f"{'row':<66} {'certs':>6} {'wall s':>8} {'ms/cert':>8}  load")
    for label, count, wall in rows:
        print(f"{label:<66} {count:>6} {wall:>8.2f} {wall / count * 1000:>8.1f}  {os.getloadavg()[0]:.1f}")
    by = {label: wall / count for label, count, wall in rows}
    for procs in sorted({1, n}):
        full = by[f"full library pipeline, {procs} process(es)"]
        base = by[f"baseline (naive), {procs} process(es)"]
        print(f"ratio full/baseline at {procs} process(es) (wall per certificate): {full / base:.2f}")
    pdf_mb = sum(len(i.pdf) for i in issued) / 1e6
    print(f"{len(sheets)} sticker sheets; {pdf_mb:.1f} MB of PDF; peak RSS main "
          f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
