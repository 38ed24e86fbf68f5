"""Solving a campaign as a background task (kind ``campaign-plan``).

:func:`submit_solve` queues the task (one per campaign version: a double click gets the same task);
:func:`campaign_plan` is the task function: it calls :func:`operations.solve_campaign` with the
task's progress callback. The import is all or nothing: a refused instance, a campaign with nothing
to plan or a plan breaking a rule ends the task as failed with one line, and nothing is stored.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from werkzeug.exceptions import NotFound

from lims.core.http import Conflict, DomainValidationError
from lims.extensions import db
from lims.modules.campaigns import operations as ops
from lims.modules.campaigns.models import Campaign, Visit
from lims.modules.tasks.models import Task
from lims.modules.tasks.operations import Progress, TaskFailed, retry, submit, task_function

if TYPE_CHECKING:
    from lims.modules.users.models import User

KIND = "campaign-plan"


def submit_solve(campaign: Campaign, user: User | None, time_limit: float | None = None) -> Task:
    """Queue the solve of ``campaign`` for ``user`` (or return the task already queued for it).

    The task key is the campaign's id and version: submitting again while the task waits or runs
    returns the same task; a failed one is run again (the register may have been fixed meanwhile).

    :raises Conflict: the campaign already has planned visits (cancel them first)
    """
    if db.session.execute(sa.select(Visit.id).where(Visit.campaign_id == campaign.id,
                                                    Visit.state == "planned")).first():
        raise Conflict(f"campaign {campaign.id} already has planned visits; cancel them before planning again")
    key = f"{KIND}:{campaign.id}:v{campaign.version}"
    earlier = db.session.execute(sa.select(Task).where(Task.key == key)).scalar_one_or_none()
    if earlier is not None:
        return retry(earlier) if earlier.status == "failed" else earlier
    return submit(KIND, key, {"campaign_id": campaign.id, "time_limit": time_limit}, user)


def _one_line(exc):
    if isinstance(exc, DomainValidationError):
        problems = [f"{field}: {msg}" for field, msgs in exc.errors.items()
                    for msg in (msgs if isinstance(msgs, list) else [msgs])]
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        text = (problems[0] if problems else "the plan was refused") + more
    else:
        text = getattr(exc, "description", None) or str(exc)
    return " ".join(str(text).split())[:500]


@task_function(KIND)
def campaign_plan(task: Task, progress: Progress) -> dict[str, Any]:
    """Export, solve and import a campaign's plan; the visits are committed with the task's end.

    payload: ``{"campaign_id": int, "time_limit": float | None}``
    """

    campaign_id = task.payload["campaign_id"]
    flushed = []
    session = db.session()

    def mark(*_args) -> None:
        flushed.append(True)

    def report(fraction, message) -> None:
        # On SQLite the progress line is written by another connection; once this transaction holds
        # the write lock (the import has begun) that would wait for it, so the last lines are skipped
        # (the task's end records progress 1 and the result).
        if flushed and db.engine.dialect.name == "sqlite":
            return
        progress(fraction, message)

    sa.event.listen(session, "after_flush", mark)
    try:
        plan = ops.solve_campaign(campaign_id, report, task.payload.get("time_limit"))
    except (Conflict, DomainValidationError, NotFound) as exc:
        raise TaskFailed(_one_line(exc)) from exc
    finally:
        sa.event.remove(session, "after_flush", mark)
    campaign = db.session.get(Campaign, campaign_id)
    assert campaign is not None  # solve_campaign found it (404 otherwise)
    visits = db.session.execute(sa.select(sa.func.count(Visit.id)).where(Visit.campaign_id == campaign_id,
                                                                          Visit.state == "planned")).scalar()
    return {"campaign_id": campaign_id, "visits": visits, "unplanned": len(plan.get("unplanned") or []),
            "figures": dict(campaign.figures or {})}
