"""gunicorn settings for the LIMS: ``gunicorn -c gunicorn.conf.py lims.wsgi:app``.

Every setting can be overridden by an environment variable (shown beside it) or on the command
line. Sync workers: the app is CPU-light and database-bound; two to four per core.
"""
import multiprocessing
import os
import tempfile

bind = os.environ.get("LIMS_BIND", "127.0.0.1:8000")                     # behind the reverse proxy
workers = int(os.environ.get("LIMS_WORKERS", 2 * multiprocessing.cpu_count()))
worker_class = "sync"
timeout = int(os.environ.get("LIMS_WORKER_TIMEOUT", 60))  # long work runs on the task queue, not here
graceful_timeout = 30
keepalive = 5
max_requests = 5000            # recycle workers now and then (bounded memory growth)
max_requests_jitter = 500
limit_request_line = 8190      # the longest check URL is ~1,800 characters
forwarded_allow_ips = os.environ.get("LIMS_FORWARDED_ALLOW_IPS", "127.0.0.1")  # the proxy's address
accesslog = os.environ.get("LIMS_ACCESS_LOG", "-")
errorlog = "-"
preload_app = False

# Prometheus: each worker writes its samples to files in this directory; /metrics sums them.
_metrics_dir = os.environ.setdefault("PROMETHEUS_MULTIPROC_DIR",
                                     os.path.join(tempfile.gettempdir(), f"lims-metrics-{os.getpid()}"))
os.makedirs(_metrics_dir, exist_ok=True)


def on_starting(server):
    """Start with an empty metrics directory (stale files of an earlier run would be summed)."""
    for name in os.listdir(_metrics_dir):
        if name.endswith(".db"):
            os.remove(os.path.join(_metrics_dir, name))


def child_exit(server, worker):
    """A worker's live gauges go with it."""
    from prometheus_client import multiprocess  # noqa: PLC0415 (gunicorn reads this file before the app)

    multiprocess.mark_process_dead(worker.pid)
