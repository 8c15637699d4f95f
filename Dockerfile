# syntax=docker/dockerfile:1
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app

# Only the locked versions, each file checked against its hash (requirements/README.md).
COPY requirements/base.lock requirements/base.lock
RUN pip install --require-hashes -r requirements/base.lock

COPY . .
RUN DEBUG=false SECRET_KEY=collectstatic-only python manage.py collectstatic --noinput \
    && useradd --system --uid 10001 --home-dir /app app \
    && mkdir -p /tmp/metrics && chown 10001 /tmp/metrics

# Every gunicorn worker writes its metrics here; /metrics sums them.
# gunicorn.conf.py (read from /app) runs WEB_CONCURRENCY threaded workers: set it
# to the number of cores the container gets.
ENV PROMETHEUS_MULTIPROC_DIR=/tmp/metrics \
    WEB_CONCURRENCY=2

USER 10001
EXPOSE 8000

HEALTHCHECK --interval=10s --timeout=3s --start-period=10s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/health/live', timeout=2)"]

# Stateless: scale by running more containers behind the load balancer.
# Migrations run once per release, not here (see docker-compose.yml's migrate service).
# The metrics folder is emptied at start: it holds one file per worker process.
CMD ["sh", "-c", "rm -f /tmp/metrics/*.db && exec gunicorn favorites_project.wsgi:application"]
