"""The task functions of the system: register import, sticker sheets, batch issuing.

Each commits its work in pieces with :func:`~lims.modules.tasks.operations.commit_piece`, so a
killed worker loses nothing committed and a retry continues after the last piece.
"""
from typing import Any

from sqlalchemy import select

from lims.core.http import Conflict, DomainValidationError
from lims.extensions import db
from lims.modules.equipment import operations as eq
from lims.modules.issuance import operations as iss
from lims.modules.issuance import render
from lims.modules.issuance.models import Certificate
from lims.modules.jobs.models import Job
from lims.modules.organisations.models import Organisation
from lims.modules.tasks.models import Task
from lims.modules.tasks.operations import Progress, TaskFailed, commit_piece, task_function

IMPORT_PIECE = 500
MAX_ERRORS_KEPT = 1000


@task_function("instrument_import")
def instrument_import(task: Task, progress: Progress) -> dict[str, Any]:
    """Import a register CSV: validate every row not yet stored, then insert 500 rows per commit.

    payload: ``{"csv": text, "org_id": int | None, "allow_owner_column": bool}``
    """

    payload = task.payload
    org = db.session.get(Organisation, payload["org_id"]) if payload.get("org_id") else None
    progress(task.progress, "checking rows")
    rows, errors = eq.validate_import(payload["csv"], org, payload["allow_owner_column"], skip=task.cursor)
    if errors:
        raise TaskFailed(f"nothing more was imported: {len(errors)} problem(s)",
                         {"created": task.cursor, "error_count": len(errors), "errors": errors[:MAX_ERRORS_KEPT]})
    total = task.cursor + len(rows)
    for start in range(0, len(rows), IMPORT_PIECE):
        piece = rows[start:start + IMPORT_PIECE]
        eq.insert_rows(piece)  # type: ignore[arg-type]  # no errors: every row has its owner
        done = task.cursor + len(piece)
        commit_piece(task, done, done / total, f"{done} / {total}")
    eq.settle_after_bulk_insert()
    return {"created": total}


@task_function("sticker_sheet")
def sticker_sheet(task: Task, progress: Progress) -> dict[str, Any]:
    """Render the sticker sheet of many certificates into the task's output (a PDF).

    payload: ``{"certificate_ids": [int, ...]}`` (already checked readable by the submitter)
    """

    ids = task.payload["certificate_ids"]
    progress(0.1, f"{len(ids)} certificates")
    certs = {c.id: c for c in db.session.execute(select(Certificate).where(Certificate.id.in_(ids))).scalars()}
    missing = [i for i in ids if i not in certs]
    if missing:
        raise TaskFailed(f"no certificates {missing[:20]}")
    pdf = render.sticker_sheet([certs[i] for i in ids])
    task.output, task.output_type = pdf, "application/pdf"
    commit_piece(task, len(ids), 0.99, "rendered")
    return {"certificates": len(ids), "bytes": len(pdf)}


@task_function("batch_issue")
def batch_issue(task: Task, progress: Progress) -> dict[str, Any]:
    """Issue the certificates of many approved jobs, one commit per certificate.

    payload: ``{"job_ids": [int, ...]}``; the task's owner is the signatory. A job that already
    has its certificate (issued by an earlier, interrupted run) is counted, not issued twice.
    """

    ids = task.payload["job_ids"]
    issued, refused = list((task.result or {}).get("issued", [])), []
    for index in range(task.cursor, len(ids)):
        job = db.session.get(Job, ids[index])
        try:
            if job is None:
                raise Conflict(f"no job {ids[index]}")
            current = iss.current_certificate(job)
            number = current.number if current is not None else iss.issue_certificate(job, task.owner).number
            issued.append(number)
        except (Conflict, DomainValidationError) as exc:
            db.session.rollback()
            refused.append({"job_id": ids[index], "problem": str(exc)})
        commit_piece(task, index + 1, (index + 1) / len(ids), f"{index + 1} / {len(ids)}")
    return {"issued": issued, "refused": refused}
