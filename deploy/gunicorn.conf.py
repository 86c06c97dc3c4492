"""gunicorn settings of the production web command (compose.yaml, Dockerfile, README).

    gunicorn --config deploy/gunicorn.conf.py 'webapp:create_app()'

Threaded workers: a slow download or a slow request body holds one of workers x threads
threads, never a whole worker, and the worker's heartbeat runs in its own loop, so a long
download is never killed as a "WORKER TIMEOUT". Downloads themselves are mostly not ours to
carry: on s3 the app answers a redirect to the store; on local behind nginx, X-Accel-Redirect.
"""

bind = "0.0.0.0:8000"
worker_class = "webapp.serving.JsonErrorWorker"  # gthread, answering its own errors in JSON
workers = 4
threads = 32
# With gthread this bounds only a silent worker (stuck main loop), not a request's length.
timeout = 60
graceful_timeout = 30
keepalive = 5
# The longest request line gunicorn allows, so a long id under /api reaches the app's JSON 404.
limit_request_line = 8190
# Sent files go out with sendfile(2): bodies never pass through Python's memory.
sendfile = True
accesslog = "-"
# The access log shows the path only; a query string could carry a token.
access_log_format = '%(h)s "%(m)s %(U)s %(H)s" %(s)s %(B)s %(L)ss "%(a)s"'
