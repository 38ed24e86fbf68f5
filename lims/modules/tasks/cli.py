"""``lims worker`` (run background tasks) and ``lims tasks`` (list, retry)."""
import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy import select

from lims.core.http import Conflict
from lims.extensions import db
from lims.modules.tasks import operations as ops
from lims.modules.tasks import queue
from lims.modules.tasks.models import Task


@click.command("worker")
@click.option("--workers", default=2, show_default=True, type=click.IntRange(1, 64),
              help="tasks run at the same time (threads)")
@with_appcontext
def worker(workers: int) -> None:
    """Run background tasks from the queue (LIMS_TASK_QUEUE) until stopped (Ctrl-C or SIGTERM)."""

    queue._worker_app = current_app._get_current_object()  # type: ignore[attr-defined]  # a LocalProxy
    huey = queue.huey_for()
    if huey.immediate:
        raise click.UsageError("LIMS_TASK_QUEUE=immediate runs tasks inside requests; no worker is needed")
    click.echo(f"lims worker: {workers} thread(s) on {current_app.config['TASK_QUEUE']}")
    huey.create_consumer(workers=workers, worker_type="thread", periodic=False).run()


@click.group("tasks")
def tasks() -> None:
    """Background tasks: list and retry."""


@tasks.command("list")
@click.option("--limit", default=20, show_default=True, type=click.IntRange(1, 1000))
@with_appcontext
def tasks_list(limit: int) -> None:
    """The latest tasks with their status and progress."""

    for t in db.session.execute(select(Task).order_by(Task.id.desc()).limit(limit)).scalars():
        click.echo(f"{t.id}\t{t.kind}\t{t.status}\t{t.progress:.0%}\tcursor={t.cursor}\tattempts={t.attempts}\t"
                   f"{t.error or t.message}")


@tasks.command("retry")
@click.argument("task_id", type=int)
@with_appcontext
def tasks_retry(task_id: int) -> None:
    """Queue a failed or interrupted task again (it continues after its last committed piece)."""

    task = db.session.get(Task, task_id)
    if task is None:
        click.echo(f"error: no task {task_id}", err=True)
        raise SystemExit(2)
    try:
        task = ops.retry(task)
    except Conflict as exc:
        click.echo(f"error: {exc}", err=True)
        raise SystemExit(2) from None
    click.echo(f"task {task.id} queued again ({task.status})")


COMMANDS = [worker, tasks]
