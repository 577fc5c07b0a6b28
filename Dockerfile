# The chat server image: deploy/serve (uvicorn, see there) on $PORT. Build: docker build -t chatbackend .
# docker-compose.yml runs it with MySQL, Redis and an nginx in front; docs/deployment.md has the rest.
FROM python:3.11-slim-bookworm AS build
# hadolint ignore=DL3008
RUN apt-get update \
 && apt-get install -y --no-install-recommends build-essential pkg-config libmariadb-dev \
 && rm -rf /var/lib/apt/lists/*
COPY requirements.txt requirements-mysql.txt /tmp/
RUN python -m venv /opt/venv \
 && /opt/venv/bin/pip install --no-cache-dir -r /tmp/requirements.txt -r /tmp/requirements-mysql.txt

FROM python:3.11-slim-bookworm
# Debian's packages are not pinned: the base image's release fixes them, and its security updates should apply.
# hadolint ignore=DL3008
RUN apt-get update \
 && apt-get install -y --no-install-recommends libmariadb3 \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --home-dir /app --shell /usr/sbin/nologin chat
COPY --from=build /opt/venv /opt/venv
WORKDIR /app
COPY --chown=chat:chat . /app
ENV PATH=/opt/venv/bin:$PATH PYTHONUNBUFFERED=1 HOST=0.0.0.0 PORT=3000 LOG_FORMAT=json
# Static files (admin, API docs, demo client) are collected at build time; whitenoise serves them.
RUN JWT_SECRET=build-only-key-for-collectstatic-not-a-secret DATABASE_URL=sqlite:////tmp/build.sqlite3 python manage.py collectstatic --noinput -v0
USER 10001
EXPOSE 3000
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s \
  CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:' + os.environ['PORT'] + '/api/live', timeout=2)"]
# SIGTERM drains (SHUTDOWN_GRACE_MS); give `docker stop` more time than that (compose: stop_grace_period).
STOPSIGNAL SIGTERM
# Waits for the database (bounded by DB_WAIT_SECONDS), then serves. Migrations run once per deploy (compose's
# `migrate` service), not in every replica.
CMD ["deploy/serve"]
