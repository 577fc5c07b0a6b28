# The chat server: daphne serving chatbackend.asgi on $PORT. Build: docker build -t chatbackend .
FROM python:3.11-slim-bookworm AS build
RUN apt-get update \
 && apt-get install -y --no-install-recommends build-essential pkg-config libmariadb-dev \
 && rm -rf /var/lib/apt/lists/*
COPY requirements.txt requirements-mysql.txt /tmp/
RUN python -m venv /opt/venv \
 && /opt/venv/bin/pip install --no-cache-dir -r /tmp/requirements.txt -r /tmp/requirements-mysql.txt

FROM python:3.11-slim-bookworm
RUN apt-get update \
 && apt-get install -y --no-install-recommends libmariadb3 \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --home /app --shell /usr/sbin/nologin chat
COPY --from=build /opt/venv /opt/venv
WORKDIR /app
COPY --chown=chat:chat . /app
ENV PATH=/opt/venv/bin:$PATH PYTHONUNBUFFERED=1 PORT=3000 LOG_FORMAT=json
# Static files (admin, API docs, demo client) are collected at build time; whitenoise serves them.
RUN JWT_SECRET=build-only-key-for-collectstatic-not-a-secret DATABASE_URL=sqlite:////tmp/build.sqlite3 python manage.py collectstatic --noinput -v0
USER chat
EXPOSE 3000
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s CMD python -c "import os,urllib.request; urllib.request.urlopen(f'http://127.0.0.1:{os.environ[\"PORT\"]}/api/live', timeout=2)"
# Wait for the database (bounded by DB_WAIT_SECONDS), then serve. Migrations run once per deploy (see compose's
# `migrate` service and docs/deployment.md), not in every replica.
CMD ["sh", "-c", "python manage.py wait_for_db && exec daphne -v 0 -b 0.0.0.0 -p \"$PORT\" --proxy-headers chatbackend.asgi:application"]
