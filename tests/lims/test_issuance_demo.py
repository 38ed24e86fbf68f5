"""The demo data set has issued certificates in every state the check page can show."""
import datetime as dt

from sqlalchemy import select


def test_demo_has_valid_failed_revoked_and_replaced_certificates(demo_app):
    from lims.extensions import db
    from lims.modules.issuance.models import Certificate
    from lims.modules.issuance.operations import integrity_report

    app = demo_app
    with app.app_context():
        certs = db.session.execute(select(Certificate).order_by(Certificate.id)).scalars().all()
        states = [c.status(dt.date.today()) for c in certs]
        assert sorted(states) == ["failed", "replaced", "revoked", "valid", "valid", "valid"]
        replacement = certs[-1]
        assert replacement.revision == 1 and replacement.replaces.status(dt.date.today()) == "replaced"
        assert integrity_report() == {}
        db.session.remove()
        db.engine.dispose()
    client = app.test_client()
    page = client.get(f"/v/{certs[0].token.lower()}").get_data(as_text=True)
    assert 'data-verdict="valid"' in page and "省计量测试研究院" in page


def test_demo_job_measured_point_by_point_issues_with_the_judged_results(demo_app):
    """The demo's procedure-measured job: approve it, issue, and the certificate lists every judged point."""
    from lims.extensions import db
    from lims.modules.issuance.operations import issue_certificate
    from lims.modules.jobs.models import Job
    from lims.modules.jobs.operations import transition
    from lims.modules.procedures.operations import judged
    from lims.modules.users.models import User

    with demo_app.app_context():
        waiting = db.session.execute(select(Job).where(Job.state == "awaiting_approval")).scalars().all()
        measured = [j for j in waiting if judged(j)[2] == "pass"]
        assert len(measured) == 2  # no pass without every test point measured
        job = measured[0]
        plan = judged(job)[0]
        manager = db.session.execute(select(User).where(User.username == "manager")).scalar_one()
        transition(job, "approve", manager, {"version": job.version})
        cert = issue_certificate(job, manager)
        lines = cert.record["results"]
        assert len(lines) == len(plan.points) and all(line["conformity"] == "pass" for line in lines)
        db.session.rollback()
        db.session.remove()
        db.engine.dispose()
