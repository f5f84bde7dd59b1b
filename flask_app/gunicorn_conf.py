"""gunicorn settings for the Flask baseline, all from shared.settings (CREDIT_* env vars).

    gunicorn -c flask_app/gunicorn_conf.py 'flask_app:create_app()'

- sync workers, one per core by default: the model call is CPU-bound (~0.2 ms), so threads
  would only add GIL contention; each worker loads its own copy of the model (no preload,
  like BentoML's workers, so the two servers start the same way).
- timeout: a worker stuck longer than this is killed and restarted by the master.
- graceful_timeout: on HUP/TERM, in-flight requests get this long to finish.
- no control socket (gunicorn >= 27): reloads use signals (HUP), see docs/rollout.md.
- no access log: logging every request costs more than the prediction (same on both sides).
- flask_linger_fix: each worker closes connections without waiting for the client to close
  first (gunicorn >= 26 waits, and a sync worker closes every connection; flask_app/linger.py).
  On by default; the as-landed profiles (loadtests/profiles/flask*.toml) pin gunicorn's close.
"""

from shared.settings import get_settings

_settings = get_settings()

bind = f"{_settings.host}:{_settings.flask_port}"
workers = _settings.flask_workers
worker_class = "sync"
timeout = _settings.flask_timeout
graceful_timeout = _settings.flask_graceful_timeout
keepalive = 5
accesslog = None
errorlog = "-"
loglevel = "info"
proc_name = "credit-risk-flask"
# gunicorn 27 opens a control socket in ~/.gunicorn by default; several servers (tests, the
# comparison runs) would fight over it, and HUP/TERM signals are all this project uses.
control_socket_disable = True

if _settings.flask_linger_fix:

    def post_worker_init(worker):
        from flask_app import linger

        linger.install()


if _settings.flask_metrics:  # Prometheus multiprocess mode: one file set per worker
    from flask_app.features import prepare_multiprocess_dir

    prepare_multiprocess_dir()

    def child_exit(server, worker):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
