"""Issue 11 items 6 and 7 under real parallel requests to a multi-threaded server (SQLite and PostgreSQL).

The app runs in werkzeug's threaded server on a free port; requests come from a thread pool (urllib),
each server thread with its own database connection, so the races happen in the database.
"""
import json
import threading
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor

import pytest
from werkzeug.serving import make_server

from tests.lims.conftest import SCALE_CHARS
from tests.lims.test_issuance_support import keyed_app  # noqa: F401 (fixture)

RACES = 20
ISSUES = 40
SIGNATORIES = 4


@pytest.fixture
def server(keyed_app):  # noqa: F811
    srv = make_server("127.0.0.1", 0, keyed_app, threaded=True)
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{srv.server_port}"
    srv.shutdown()
    thread.join(10)


class Answer:
    def __init__(self, status_code, body):
        self.status_code, self.text = status_code, body

    def json(self):
        return json.loads(self.text)


def _post(url, token, body, timeout):
    """POST JSON with a bearer token; returns an :class:`Answer` for every status."""
    req = urllib.request.Request(url, data=json.dumps(body).encode(), method="POST", headers={
        "Authorization": f"Bearer {token}", "Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            return Answer(resp.status, resp.read().decode())
    except urllib.error.HTTPError as exc:
        return Answer(exc.code, exc.read().decode())


def _instruments(app, count, tag):
    """``count`` new scales of market_a; returns their ids and serial numbers."""
    from lims.core.audit import acting_as
    from lims.extensions import db
    from lims.modules.equipment import operations as eq
    from lims.modules.organisations.models import Organisation

    with app.app_context(), acting_as(None, "tests"):
        owner = db.session.execute(db.select(Organisation).where(Organisation.name == "market_a org")).scalar_one()
        made = [eq.create_instrument({"type_code": "scale.price_computing", "manufacturer": "ACME", "model": "RACE",
                                      "serial_number": f"{tag}-{n:03d}", "characteristics": SCALE_CHARS}, owner)
                for n in range(count)]
        out = [(i.id, i.serial_number) for i in made]
        db.session.commit()
    return out


def test_twenty_two_user_booking_races_never_make_two_open_jobs(keyed_app, server, world):  # noqa: F811
    from lims.extensions import db
    from lims.modules.jobs.models import Job

    instruments = _instruments(keyed_app, RACES, "RACE")
    users = ("market_manager", "technician")
    outcomes = []
    with ThreadPoolExecutor(max_workers=2) as pool:
        for inst_id, serial in instruments:
            barrier = threading.Barrier(2)

            def book(role, inst_id=inst_id, barrier=barrier):
                barrier.wait(10)
                return _post(f"{server}/api/v1/jobs", world.tokens[role], {"instrument_id": inst_id}, 60)

            answers = list(pool.map(book, users))
            outcomes.append((serial, sorted(r.status_code for r in answers), answers))
    for serial, codes, answers in outcomes:
        assert codes == [201, 409], (serial, [(r.status_code, r.text) for r in answers])
        loser = next(r for r in answers if r.status_code == 409)
        assert f"serial number {serial}" in loser.json()["message"]
    with keyed_app.app_context():
        for inst_id, serial in instruments:
            open_jobs = db.session.execute(db.select(db.func.count()).select_from(Job).where(
                Job.instrument_id == inst_id, Job.state != "returned")).scalar()
            assert open_jobs == 1, serial


def _approved_jobs(app, world, count):
    """``count`` approved verification jobs (worked by the technician, approved by the admin)."""
    from lims.core.audit import acting_as
    from lims.extensions import db
    from lims.modules.jobs.operations import book_job, transition
    from lims.modules.procedures.operations import demo_measure_every_point, flags, justify, results_of
    from lims.modules.users.models import User

    ids = [i for i, _serial in _instruments(app, count, "ISSUE")]
    with app.app_context(), acting_as(None, "tests"):
        from lims.modules.equipment.models import Instrument

        tech, admin = db.session.get(User, world.users["technician"]), db.session.get(User, world.users["admin"])
        jobs = []
        for inst_id in ids:
            job = book_job(db.session.get(Instrument, inst_id), tech)
            transition(job, "receive", tech, {"version": job.version})
            transition(job, "start", tech, {"version": job.version, "bench_id": world.benches["good"]})
            demo_measure_every_point(job, tech)
            transition(job, "submit", tech, {"version": job.version, "result": "pass"})
            for point, row in results_of(job).items():  # the world's weights have no calibrated values:
                if flags(row):                           # each point's missing budget is justified first
                    justify(job, admin, point, "weights used by class")
            transition(job, "approve", admin, {"version": job.version})
            jobs.append(job.id)
        db.session.commit()
    return jobs


def _signatories(app, world):
    """The bearer tokens of four lab managers (the fixture's one and three more)."""
    from lims.core.audit import acting_as
    from lims.extensions import db
    from lims.modules.users.models import User
    from lims.modules.users.operations import create_token

    tokens = [world.tokens["lab_manager"]]
    with app.app_context(), acting_as(None, "tests"):
        model = db.session.get(User, world.users["lab_manager"])
        for n in range(1, SIGNATORIES):
            user = User(username=f"signatory{n}", display_name=f"signatory {n}", role="lab_manager",
                        organisation_id=model.organisation_id, password_hash=model.password_hash)
            db.session.add(user)
            db.session.flush()
            tokens.append(create_token(user, "tests")[1])
        db.session.commit()
    return tokens


def test_forty_parallel_issues_by_four_signatories_all_succeed_with_distinct_numbers(keyed_app, server,  # noqa: F811
                                                                                      world):
    from lims.extensions import db
    from lims.modules.issuance.models import Certificate, CertificateCounter

    jobs = _approved_jobs(keyed_app, world, ISSUES)
    tokens = _signatories(keyed_app, world)
    barrier = threading.Barrier(ISSUES)

    def issue(n):
        barrier.wait(60)
        return _post(f"{server}/api/v1/jobs/{jobs[n]}/certificate", tokens[n % SIGNATORIES], {}, 300)

    with ThreadPoolExecutor(max_workers=ISSUES) as pool:
        answers = list(pool.map(issue, range(ISSUES)))
    assert [r.status_code for r in answers] == [201] * ISSUES, [r.text for r in answers if r.status_code != 201][:3]
    numbers = [r.json()["number"] for r in answers]
    assert len(set(numbers)) == ISSUES
    with keyed_app.app_context():
        stored = db.session.execute(db.select(Certificate.number)).scalars().all()
        assert sorted(stored) == sorted(numbers)
        year = int(numbers[0].split("-")[1])
        assert db.session.get(CertificateCounter, ("JD", year)).last == ISSUES


def test_two_signatories_racing_for_one_job_get_one_certificate(keyed_app, server, world):  # noqa: F811
    from lims.extensions import db
    from lims.modules.issuance.models import Certificate

    jobs = _approved_jobs(keyed_app, world, 1)
    tokens = _signatories(keyed_app, world)[:2]
    barrier = threading.Barrier(2)

    def issue(token):
        barrier.wait(10)
        return _post(f"{server}/api/v1/jobs/{jobs[0]}/certificate", token, {}, 120)

    with ThreadPoolExecutor(max_workers=2) as pool:
        answers = list(pool.map(issue, tokens))
    assert sorted(r.status_code for r in answers) == [201, 409], [r.text for r in answers]
    with keyed_app.app_context():
        assert db.session.execute(db.select(db.func.count()).select_from(Certificate).where(
            Certificate.job_id == jobs[0])).scalar() == 1
        # gap policy: every number taken is on a certificate or named by a "void" event of the audit trail
        from lims.core.audit import AuditEvent
        from lims.modules.issuance.models import CertificateCounter

        voids = db.session.execute(db.select(AuditEvent).where(AuditEvent.action == "void")).scalars().all()
        number = next(r.json()["number"] for r in answers if r.status_code == 201)
        year = int(number.split("-")[1])
        assert db.session.get(CertificateCounter, ("JD", year)).last == 1 + len(voids)
        assert all(v.entity == "CertificateNumber" and v.changes["job_id"] == [None, jobs[0]] for v in voids)
        assert db.engine.dialect.name == "postgresql" or not voids
