"""Profile the booking and issuing requests in-process (Flask test client) on a throw-away PostgreSQL database.

Run by hand: ``.venv/bin/python bench/profile_paths.py [--rows 4000] [--what book,issue] [--profile] [--sql]``.
Seeds as ``bench/scale.py`` does, imports ``--rows`` instruments (every tenth is given to the
hospital whose officer books, so that there are several batches of 200), then books them 200 at a
time and issues ``--certificates`` certificates one by one. Prints the p50 of each request's time
and of this process's CPU time (the app's share; the database's is not in it) with the load
average; ``--profile`` prints a cProfile of every request but the first, ``--first`` of the first
only (a cold process), ``--sql`` each statement's time in the second request. No assertions on times.
"""
from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import random
import shutil
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.scale import approved_jobs, load, register_csv, seed  # noqa: E402


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--pg", default=os.environ.get("LIMS_BENCH_PG", "postgresql://postgres@127.0.0.1:5432/postgres"))
    ap.add_argument("--rows", type=int, default=4000)
    ap.add_argument("--what", default="book,issue")
    ap.add_argument("--certificates", type=int, default=12, help="how many certificates to issue one by one")
    ap.add_argument("--profile", action="store_true", help="profile every request but the first")
    ap.add_argument("--first", action="store_true", help="profile the first request only (a cold process)")
    ap.add_argument("--top", type=int, default=35)
    ap.add_argument("--sql", action="store_true", help="print each statement's time in the second request")
    args = ap.parse_args()
    from tests.lims import pg

    name = f"lims_prof_{uuid.uuid4().hex[:8]}"
    url = pg.create_database(args.pg, name)
    work = Path(tempfile.mkdtemp(prefix="lims-prof-"))
    try:
        os.environ.update({"LIMS_DATABASE_URL": url, "LIMS_SECRET_KEY": "scale-bench-secret-0123456789",
                           "LIMS_KEY_DIR": str(work / "keys"), "LIMS_INSTANCE_PATH": str(work / "instance"),
                           "LIMS_TASK_QUEUE": f"sqlite:///{work / 'queue.db'}", "LIMS_PUBLIC_HOST": "lims.example.org",
                           "PROMETHEUS_MULTIPROC_DIR": str(work / "prom")})
        (work / "prom").mkdir()
        from lims import create_app
        from lims.core.audit import acting_as
        from lims.extensions import db
        from lims.modules.equipment.operations import import_instruments
        from tests.lims.conftest import migrate_to_head

        app = create_app()
        migrate_to_head(app)
        world = seed(app)
        rng = random.Random(12)
        with app.app_context(), acting_as(None, "bench"):
            text = register_csv(rng, 0, args.rows, world["orgs"]).decode()
            created, errors = import_instruments(text, None, True)
            assert not errors, errors[:3]
            db.session.commit()
            # the hospital whose officer books gets 10 % of the register (the bench's 1/25 of 20 % is too few)
            db.session.execute(sa.text("UPDATE instruments SET owner_id = :h WHERE id % 10 = 0"),
                               {"h": world["orgs"]["hospital"][0]})
            db.session.commit()
        print(f"{args.rows} instruments [{load()}]")
        client = app.test_client()
        cpu: list[float] = []  # this process's CPU time per request (the app's share; the database's is not in it)
        sql_log: list | None = None
        if args.sql:
            from sqlalchemy import event

            with app.app_context():
                engine = db.engine

            @event.listens_for(engine, "before_cursor_execute")
            def _before(conn, cursor, statement, params, context, executemany):
                conn.info["t0"] = time.perf_counter()

            @event.listens_for(engine, "after_cursor_execute")
            def _after(conn, cursor, statement, params, context, executemany):
                if sql_log is not None:
                    n = len(params) if executemany else 1
                    took = (time.perf_counter() - conn.info["t0"]) * 1000
                    sql_log.append((took, n, " ".join(statement.split())[:110]))

        def post(path, body, token):
            t, c = time.perf_counter(), time.process_time()
            resp = client.post(path, json=body, headers={"Authorization": f"Bearer {token}"})
            cpu.append((time.process_time() - c) * 1000)
            return resp, (time.perf_counter() - t) * 1000

        def run(label, calls):
            times: list[float] = []
            cpu.clear()
            profiles: list[cProfile.Profile] = []
            for n, (path, body, token, code) in enumerate(calls):
                nonlocal sql_log
                sql_log = [] if args.sql and n == 1 else None
                prof = cProfile.Profile() if (args.profile and n >= 1) or (args.first and n == 0) else None
                if prof:
                    prof.enable()
                resp, ms = post(path, body, token)
                if prof:
                    prof.disable()
                    profiles.append(prof)
                if sql_log is not None:
                    for ms_, rows_, text_ in sql_log:
                        print(f"  {ms_:7.1f} ms {rows_:4d} x {text_}")
                    sql_log = None
                assert resp.status_code == code, (resp.status_code, resp.get_data(as_text=True)[:500])
                times.append(ms)
            if profiles:
                stats = pstats.Stats(profiles[0])
                for more in profiles[1:]:
                    stats.add(more)
                stats.sort_stats("cumulative").print_stats(args.top)
                stats.sort_stats("tottime").print_stats(args.top)
            print(f"{label}: p50 {statistics.median(times):.0f} ms (min {min(times):.0f}, max {max(times):.0f}, "
                  f"{len(times)} runs; app CPU p50 {statistics.median(cpu):.0f} ms) [{load()}]")

        what = args.what.split(",")
        if "book" in what:
            from sqlalchemy import select

            from lims.modules.equipment.models import Instrument
            hospital = world["orgs"]["hospital"][0]
            with app.app_context():
                free = db.session.execute(select(Instrument.id).where(Instrument.owner_id == hospital)
                                          .order_by(Instrument.id)).scalars().all()
                db.session.remove()
            batches = [free[i:i + 200] for i in range(0, len(free), 200) if len(free[i:i + 200]) == 200]
            assert batches, f"the hospital has {len(free)} instruments: use more --rows"
            run("book 200 instruments (POST /api/v1/jobs/batch)",
                [("/api/v1/jobs/batch", {"instrument_ids": ids}, world["tokens"]["officer"], 201) for ids in batches])
        if "issue" in what:
            job_ids = approved_jobs(app, world, args.certificates)
            run("issue one certificate (POST /api/v1/jobs/<id>/certificate)",
                [(f"/api/v1/jobs/{jid}/certificate", {}, world["tokens"][f"signer{1 + n % 3}"], 201)
                 for n, jid in enumerate(job_ids)])
            with app.app_context():
                from lims.core.audit import verify_chain
                print("audit chain:", verify_chain(db.session))
                db.session.remove()
    finally:
        try:
            from lims.extensions import db

            with app.app_context():
                db.session.remove()
                db.engine.dispose()
        except Exception:
            pass
        pg.drop_database(args.pg, name)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
