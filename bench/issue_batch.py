"""Benchmark: issue a batch of certificates and compare with a naive baseline in the same run.

Full issue per certificate: record → signed COSE token → QR (vector) → bilingual PDF + DCC 3.3.0
XML + sticker (A4 sheets of 21), via :func:`certificates.issue.issue_batch` on all cores.
Naive baseline per certificate (single process, as described in issue #5): a bare one-page
reportlab PDF with a ``qrcode`` PNG image and an Ed25519 signature.

Run by hand::

    .venv/bin/python bench/issue_batch.py [--count 1000] [--baseline-count 1000] [--workers 2]

Prints wall time, per-certificate cost, CPU time per certificate, peak memory (this process and
the largest worker, sampled with psutil from the ``bench`` extra) and the ratio full/baseline.
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
        import psutil

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


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--baseline-count", type=int, default=None, help="default: same as --count")
    parser.add_argument("--workers", type=int, default=os.cpu_count())
    args = parser.parse_args(argv)
    key = generate_unsaved_key()
    records = make_records(args.count)
    base_records = records[: args.baseline_count or args.count]

    c0, t0 = _cpu(), time.perf_counter()
    baseline(base_records, key)
    t_base, cpu_base = time.perf_counter() - t0, _cpu() - c0

    monitor = TreeMonitor()
    monitor.start()
    c0, t0 = _cpu(), time.perf_counter()
    issued, sheets = issue_batch(records, key, HOST, workers=args.workers)
    t_full = time.perf_counter() - t0
    monitor.stop.set()
    monitor.join()
    cpu_full = _cpu() - c0 + sum(monitor.cpu.values())  # workers' last <50 ms may be missed
    worker_peak = max(monitor.peak.values(), default=0) / 2**20

    per_base = t_base / len(base_records) * 1000
    per_full = t_full / len(issued) * 1000
    pdf_mb = sum(len(i.pdf) for i in issued) / 1e6
    print(f"cpus={os.cpu_count()} workers={args.workers} python={sys.version.split()[0]}")
    print(f"baseline (naive, 1 process): {len(base_records)} certs in {t_base:.2f} s = {per_base:.1f} ms/cert")
    print(f"full issue (PDF+DCC+token+QR+stickers): {len(issued)} certs in {t_full:.2f} s = {per_full:.1f} ms/cert;"
          f" {len(sheets)} sticker sheets; {pdf_mb:.1f} MB of PDF")
    print(f"CPU time per certificate (all processes): baseline {cpu_base / len(base_records) * 1000:.1f} ms, "
          f"full {cpu_full / len(issued) * 1000:.1f} ms; load average now {os.getloadavg()[0]:.1f}")
    print(f"ratio full/baseline per certificate (wall): {per_full / per_base:.2f}")
    print(f"peak RSS: main {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB, largest worker "
          f"{worker_peak:.0f} MB (sampled every 50 ms)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
