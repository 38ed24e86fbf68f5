"""Benchmark: MT-SICS SIR streaming throughput against the serial line-rate limit, and parsing cost.

Run by hand:  .venv/bin/python bench/serial_throughput.py [--seconds 3] [--bauds 9600 115200]

For each baud rate a simulator subprocess streams ``SIR`` weight lines on a pty.  A pty has no
baud rate, so the simulator paces its output: a frame leaves only when its last bit would have
left a real UART (bits per character = 1 start + data + parity + stop bits).  In the same run
the script measures:

* the line-rate limit: baud / (bits per character × characters per frame), frames/s;
* a raw baseline: frames/s counted by a bare ``os.read`` loop on the pty (no framing, no parsing);
* the driver: readings/s through ``MtSics.read_streamed`` (transport framing + parsing), and the
  CPU time per reading of this process;

and prints the ratios driver/line-rate and driver/raw.  Simulator and reader are pinned to one
core (the idlest one).  Parsing cost is measured separately against ``bytes.split`` on the same frames.
Targets (issue #4): >= 90 % of line rate at 115200 baud; parsing < 20 µs per frame.
"""
from __future__ import annotations

import argparse
import os
import pathlib
import select
import sys
import time
import timeit

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))

from instruments import sim  # noqa: E402
from instruments.drivers.mettler_mtsics import MtSics, parse_weight  # noqa: E402
from instruments.transport import open_transport  # noqa: E402

FRAME = b"S S     100.00 g"


def _idlest_core(cores, interval=0.5):
    """Get the core with the most idle time over *interval* seconds (from /proc/stat)."""
    def idle():
        with open("/proc/stat") as stat:
            rows = [line.split() for line in stat if line.startswith("cpu") and line[3].isdigit()]
        return {int(r[0][3:]): int(r[4]) + int(r[5]) for r in rows}
    try:
        before = idle()
        time.sleep(interval)
        after = idle()
        return max(cores, key=lambda c: after.get(c, 0) - before.get(c, 0))
    except OSError:
        return min(cores)


def _pin(pids):
    if hasattr(os, "sched_setaffinity"):
        core = _idlest_core(os.sched_getaffinity(0))
        for pid in pids:
            os.sched_setaffinity(pid, {core})
        return core
    return None


def raw_baseline(port: str, settings, seconds: float) -> float:
    """Measure frames/s seen by a bare read loop (SIR started on the port, CR LF counted)."""
    transport = open_transport(port, settings)
    fd = transport._port.fileno()
    transport.write(b"SIR")
    transport.read_frame()  # skip the first (possibly partial) line
    count, tail, start = 0, b"", time.perf_counter()
    while (now := time.perf_counter()) - start < seconds:
        if select.select([fd], [], [], 0.1)[0]:
            data = tail + os.read(fd, 4096)
            count += data.count(b"\r\n")
            tail = data[-1:]
    elapsed = now - start
    MtSics(transport).stop_stream()  # "@", then drain up to its I4 answer
    transport.close()
    return count / elapsed


def driver_rate(port: str, settings, seconds: float) -> tuple[float, float, int]:
    """Measure readings/s and CPU µs per reading through the driver's streaming API."""
    transport = open_transport(port, settings)
    scale = MtSics(transport)
    transport.discard_input()
    scale.start_stream()
    transport.read_frame()  # skip the first line
    count, errors = 0, 0
    cpu0, start = time.process_time(), time.perf_counter()
    while time.perf_counter() - start < seconds:
        try:
            scale.read_streamed()
            count += 1
        except Exception:  # a benchmark counts rejected frames instead of stopping
            errors += 1
    elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu0
    scale.stop_stream()
    transport.close()
    return count / elapsed, cpu / max(count, 1) * 1e6, errors


def parse_cost(n: int = 100_000) -> tuple[float, float]:
    """Measure µs per frame for parse_weight and for the bytes.split baseline."""
    frames = [b"S S     %6.2f g" % (i % 20000 / 100) for i in range(1000)]
    reps = max(1, n // len(frames))
    t_parse = min(timeit.repeat(lambda: [parse_weight(f) for f in frames], number=reps, repeat=3))
    t_split = min(timeit.repeat(lambda: [f.split() for f in frames], number=reps, repeat=3))
    per = reps * len(frames)
    return t_parse / per * 1e6, t_split / per * 1e6


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--bauds", type=int, nargs="+", default=[9600, 115200])
    args = parser.parse_args()
    settings = MtSics.settings
    frame_bytes = len(FRAME) + len(settings.read_termination)
    print(f"MT-SICS SIR streaming, frame = {frame_bytes} characters, {settings.bits_per_byte} bits per character "
          f"({settings.bytesize}{settings.parity}{settings.stopbits:g} + start bit); pty output paced by the simulator")
    print(f"{'baud':>7} {'line-rate/s':>12} {'raw/s':>9} {'driver/s':>9} {'drv/line':>9} {'drv/raw':>8} "
          f"{'cpu µs/rdg':>11} {'rejected':>8}")
    verdict = True
    for baud in args.bauds:
        handle = sim.spawn("mtsics", seed=1, baudrate=baud)
        try:
            core = _pin([0, handle.pid])
            line_rate = baud / (settings.bits_per_byte * frame_bytes)
            raw = raw_baseline(handle.port, settings, args.seconds)
            rate, cpu_us, errors = driver_rate(handle.port, settings, args.seconds)
        finally:
            handle.close()
        print(f"{baud:>7} {line_rate:>12.1f} {raw:>9.1f} {rate:>9.1f} {rate / line_rate:>9.3f} {rate / raw:>8.3f} "
              f"{cpu_us:>11.1f} {errors:>8}")
        if baud == 115200:
            verdict &= rate / line_rate >= 0.9
    parse_us, split_us = parse_cost()
    print(f"parse_weight: {parse_us:.2f} µs/frame; bytes.split baseline: {split_us:.2f} µs/frame; "
          f"ratio {parse_us / split_us:.1f}x")
    verdict &= parse_us < 20
    print(f"pinned to core {core}" if core is not None else "not pinned (no sched_setaffinity)")
    print("targets (>= 0.90 of line rate at 115200 baud, parse < 20 µs):", "MET" if verdict else "NOT MET")
    return 0 if verdict else 1


if __name__ == "__main__":
    sys.exit(main())
