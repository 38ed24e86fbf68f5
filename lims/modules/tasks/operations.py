"""Submit, run, retry and read background tasks.

A task function is registered under a kind with :func:`task_function` and is called as
``fn(task, progress)`` inside an app context with the task's row loaded; ``progress(fraction,
message="")`` records how far it got (committed at once, so a page reload shows it). A function
that does its work in pieces commits each piece together with ``task.cursor`` via
:func:`commit_piece`, which refuses (:class:`Superseded`) when another run already moved the
cursor, so a retried or duplicated run never does committed work twice. It returns a JSON-able
result (stored on the task) or raises :class:`TaskFailed` with a result describing why.

Other areas use :func:`submit`::

    from lims.modules.tasks.operations import submit, task_function
    task = submit("campaign-plan", f"campaign-plan:{campaign.id}:v{version}", {"campaign_id": campaign.id}, user)
"""
from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy import select
from werkzeug.exceptions import NotFound

from lims.core.audit import acting_as
from lims.core.db import now_utc
from lims.core.http import Conflict
from lims.extensions import db
from lims.modules.tasks import queue
from lims.modules.tasks.models import Task

if TYPE_CHECKING:
    from sqlalchemy.sql import Select

    from lims.modules.users.models import User

log = logging.getLogger(__name__)

#: ``progress(fraction, message="")``
Progress = Callable[..., None]
#: ``fn(task, progress)`` -> a JSON-able result
TaskFunction = Callable[[Task, Progress], Any]
#: kind -> function(task, progress) -> result
REGISTRY: dict[str, TaskFunction] = {}


class TaskFailed(Exception):
    """The task cannot finish; ``result`` says why (e.g. the rows of a CSV and their problems)."""

    def __init__(self, message, result=None) -> None:
        super().__init__(message)
        self.result = result


class Superseded(Exception):
    """Another run of the same task committed work first; this run stops without doing anything."""


def task_function(kind: str) -> Callable[[TaskFunction], TaskFunction]:
    """Register ``fn(task, progress)`` as the function of tasks of ``kind``."""

    def decorator(fn: TaskFunction) -> TaskFunction:
        REGISTRY[kind] = fn
        return fn

    return decorator


def submit(kind: str, key: str, payload: Any, owner: User | None) -> Task:
    """Create a task (or return the existing one with the same ``key``) and queue it.

    The task row is committed before its id goes on the queue, so a worker always finds it.

    :param kind: a registered task kind
    :param key: idempotency key; submitting the same key again returns the same task
    :param payload: JSON-able input of the task function
    :param owner: the :class:`~lims.modules.users.models.User` who asked (None for the system)
    :returns: the :class:`Task`
    :raises ValueError: an unknown kind
    """
    if kind not in REGISTRY:
        raise ValueError(f"unknown task kind {kind!r}")
    existing = db.session.execute(select(Task).where(Task.key == key)).scalar_one_or_none()
    if existing is not None:
        return existing
    task = Task(kind=kind, key=key, payload=payload, owner_id=owner.id if owner is not None else None)
    db.session.add(task)
    db.session.commit()

    queue.enqueue(task.id)
    db.session.expire_all()
    return db.session.get(Task, task.id)  # type: ignore[return-value]  # committed above


def retry(task: Task) -> Task:
    """Queue a failed or interrupted (killed worker) task again; it resumes after its last commit.

    :raises Conflict: the task already finished successfully
    """
    if task.status == "done":
        raise Conflict(f"task {task.id} is done; nothing to retry")
    task.status, task.error = "queued", None
    db.session.commit()

    queue.enqueue(task.id)
    db.session.expire_all()
    return db.session.get(Task, task.id)  # type: ignore[return-value]  # committed above


def _progress_callback(task_id):
    def progress(fraction, message="") -> None:
        fraction = min(max(float(fraction), 0.0), 1.0)
        table = Task.__table__
        with db.engine.begin() as conn:  # its own short transaction: visible at once, never holds the work's
            conn.execute(table.update().where(table.c.id == task_id).values(progress=fraction, message=message[:500]))

    return progress


def commit_piece(task: Task, new_cursor: int, fraction: float | None = None, message: str = "") -> None:
    """Commit the work flushed so far together with ``task.cursor = new_cursor``.

    :raises Superseded: the cursor moved since this run read it (another run did the piece)
    """
    table = Task.__table__
    values: dict[str, Any] = {"cursor": new_cursor}
    if fraction is not None:
        values.update(progress=min(max(float(fraction), 0.0), 1.0), message=message[:500])
    done = db.session.execute(table.update().where(table.c.id == task.id, table.c.cursor == task.cursor)
                              .values(**values))
    if done.rowcount != 1:  # type: ignore[attr-defined]  # an UPDATE gives a CursorResult
        db.session.rollback()
        raise Superseded(f"task {task.id}: another run moved the cursor past {task.cursor}")
    db.session.commit()
    db.session.expire(task)


def execute(task_id: int) -> None:
    """Run a queued task in the current app context (the worker's entry point)."""
    task = db.session.get(Task, task_id)
    if task is None or task.status == "done":
        return
    task.status, task.attempts, task.started_dt = "running", task.attempts + 1, now_utc()
    db.session.commit()
    fn = REGISTRY.get(task.kind)
    try:
        if fn is None:
            raise TaskFailed(f"no function for task kind {task.kind!r}")

        with acting_as(task.owner_id, task.owner.username if task.owner is not None else "task"):
            result = fn(task, _progress_callback(task.id))
    except Superseded as exc:
        log.info("%s", exc)
        db.session.rollback()
        return
    except TaskFailed as exc:
        db.session.rollback()
        _finish(task_id, "failed", exc.result, str(exc))
        return
    except Exception as exc:  # record it on the task: the page shows it and the lab can retry
        log.exception("task %s failed", task_id)
        db.session.rollback()
        _finish(task_id, "failed", None, f"{type(exc).__name__}: {exc}")
        return
    _finish(task_id, "done", result, None)


def _finish(task_id, status, result, error) -> None:
    task = db.session.get(Task, task_id)
    assert task is not None  # execute() found it and committed it as running
    task.status, task.result, task.error, task.finished_dt = status, result, error, now_utc()
    if status == "done":
        task.progress = 1.0
    db.session.commit()


def readable_task(user: User, task_id: int) -> Task:
    """The task if ``user`` may see it: its owner, lab managers and admins (404 otherwise)."""

    task = db.session.get(Task, task_id) if isinstance(task_id, int) and 0 < task_id < 2**31 else None
    if task is None or not (task.owner_id == user.id or user.role in ("admin", "lab_manager")):
        raise NotFound(f"task {task_id} not found")
    return task


def tasks_for(user: User) -> Select[Task]:
    query = select(Task).order_by(Task.id.desc())
    if user.role not in ("admin", "lab_manager"):
        query = query.where(Task.owner_id == user.id)
    return query


queue.set_runner(execute)  # the queue calls back here; it never imports this module (no cycle)


__all__ = ["REGISTRY", "TaskFailed", "Superseded", "task_function", "submit", "retry", "commit_piece", "execute",
           "readable_task", "tasks_for", "sa", "Task"]
