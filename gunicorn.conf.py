"""The web server: gunicorn serving ``channelhub.wsgi:application`` (Procfile, benchmarks, tests).

The application is synchronous Django, so it is served as WSGI: under an ASGI server every
request crossed from the event loop into a worker thread and back, which cost about 1.5 ms of
CPU per request (measured in bench/bench_orders.py). ``gthread`` workers keep HTTP connections
alive and run a few requests at once per process while others wait on the database; each
thread takes a pooled database connection per request (see settings).

Environment: ``PORT`` (8000), ``HOST`` (127.0.0.1), ``WEB_CONCURRENCY`` (processes: two per
core) and ``WEB_THREADS`` (threads per process, 2).
"""

import os

bind = f"{os.environ.get('HOST', '127.0.0.1')}:{os.environ.get('PORT', '8000')}"
workers = int(os.environ.get("WEB_CONCURRENCY", 2 * (os.cpu_count() or 1)))
worker_class = "gthread"
threads = int(os.environ.get("WEB_THREADS", "2"))
keepalive = 5  # seconds an idle keep-alive connection stays open (a phone between taps)
timeout = 60  # a worker silent this long is restarted
graceful_timeout = 30
accesslog = None  # the load balancer logs requests
errorlog = "-"
# No control socket: it lives at one path per user, so the servers of a test run and a benchmark
# on one machine would take each other's; the process manager starts and stops gunicorn.
control_socket_disable = True
