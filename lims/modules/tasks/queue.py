"""The queue that carries task ids to the workers: Huey.

``TASK_QUEUE`` (``LIMS_TASK_QUEUE``) chooses the storage:

- ``sqlite`` (default): a SQLite file beside the database in the instance folder
  (``<instance>/task-queue.db``) - the embedded default, nothing else to run;
- ``sqlite:///path/to/queue.db``: a SQLite file elsewhere;
- ``redis://host:port/db``: Redis, for production with several app servers and workers;
- ``immediate``: run each task inside the submitting request (tests; tiny installations).

Workers: ``lims worker`` (see the README's production section). The queue only carries the
task id; the task's row (:class:`lims.modules.tasks.models.Task`) is the truth, so a message
lost with a killed worker is recovered by retrying the task (``lims tasks retry`` or the
page's retry button), which resumes after the last committed piece of work.
"""
import logging
import os
from typing import TYPE_CHECKING

from flask import current_app, has_app_context

from lims.config import ConfigError

if TYPE_CHECKING:
    from collections.abc import Callable

    from flask import Flask
    from huey import Huey
    from huey.consumer import Consumer

log = logging.getLogger(__name__)

_worker_app = None
#: ``runner(task_id)`` runs a task in an app context: :func:`lims.modules.tasks.operations.execute`, which
#: hands itself over with :func:`set_runner` when imported (the queue below it does not import it back)
_runner: "Callable[[int], None] | None" = None


def set_runner(runner: "Callable[[int], None]") -> None:
    """Name the function that runs a task taken off the queue."""
    global _runner
    _runner = runner


def _execute(task_id: int) -> None:
    if _runner is None:
        raise RuntimeError("no task runner: lims.modules.tasks.operations was never imported")
    _runner(task_id)


def _app():
    """The app a task runs in: the current one, or the worker's (``lims worker`` and the demo's thread
    worker hand theirs over before they consume; the queue never builds an app, so it needs no factory)."""
    if has_app_context():
        return current_app._get_current_object()
    if _worker_app is None:
        raise RuntimeError("a task was taken off the queue outside an app: start workers with `lims worker`")
    return _worker_app


def _run(task_id) -> None:
    app = _app()
    if has_app_context():
        _execute(task_id)
        return
    with app.app_context():
        _execute(task_id)


def make_huey(app: "Flask") -> "Huey":
    """Build the Huey instance for ``app``'s configuration and register the one task it runs."""
    from huey import MemoryHuey, RedisHuey, SqliteHuey  # only when a queue is built

    setting = app.config.get("TASK_QUEUE") or "sqlite"
    name = os.environ.get("LIMS_TASK_QUEUE_NAME") or "lims"  # one Redis may serve several installations
    if setting == "immediate":
        huey = MemoryHuey(name, immediate=True)
    elif setting.startswith("redis://") or setting.startswith("rediss://"):
        huey = RedisHuey(name, url=setting)
    elif setting == "sqlite" or setting.startswith("sqlite:///"):
        path = setting[len("sqlite:///"):] if setting != "sqlite" else os.path.join(app.instance_path,
                                                                                     "task-queue.db")
        os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
        huey = SqliteHuey(name, filename=path)
    else:
        raise ConfigError(f"LIMS_TASK_QUEUE: {setting!r} is not 'sqlite', 'sqlite:///path', 'redis://…' "
                          "or 'immediate'")
    huey.run_task = huey.task(name="lims.run_task")(_run)
    return huey


def huey_for(app: "Flask | None" = None) -> "Huey":
    """The app's Huey instance (built on first use)."""
    app = app or current_app._get_current_object()  # type: ignore[attr-defined]  # a LocalProxy
    huey = app.extensions.get("lims_huey")
    if huey is None:
        huey = app.extensions["lims_huey"] = make_huey(app)
    return huey


def enqueue(task_id: int) -> None:
    """Put a task id on the queue (or run it now with ``TASK_QUEUE=immediate``)."""
    huey_for().run_task(task_id)


def depth() -> int | None:
    """Messages waiting on the queue (None when the storage cannot say)."""
    try:
        return huey_for().pending_count()
    except Exception:  # a down Redis must not break the health page or the metrics
        log.warning("queue depth unavailable", exc_info=True)
        return None


def start_thread_worker(app: "Flask", workers: int = 1) -> "Consumer | None":
    """Run a Huey consumer in background threads of this process (``lims demo``: one command, SQLite only).

    :returns: the consumer, or None with ``TASK_QUEUE=immediate``
    """
    global _worker_app
    huey = huey_for(app)
    if huey.immediate:
        return None
    _worker_app = app
    consumer = huey.create_consumer(workers=workers, worker_type="thread", periodic=False)
    consumer.start()
    log.info("task worker threads started in this process (%d)", workers)
    return consumer
