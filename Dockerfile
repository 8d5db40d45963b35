# The product image: web (gunicorn), worker and beat all run from it.
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

# Chinese font and WeasyPrint's libraries (PDF bulletins are rendered from HTML), and
# pg_dump for the backup job. pg_dump must be at least the server's major version
# (docker-compose.yml runs postgres:16; Debian bookworm ships 15), so the client comes
# from the PostgreSQL project's apt repository, set up by Debian's own script.
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates postgresql-common \
    && /usr/share/postgresql-common/pgdg/apt.postgresql.org.sh -y \
    && apt-get install -y --no-install-recommends \
        fonts-noto-cjk libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz0b libharfbuzz-subset0 \
        libjpeg62-turbo libopenjp2-7 postgresql-client-16 \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /app
COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt

COPY . .
RUN python manage.py collectstatic --noinput -v0 \
    && useradd --system --home /app app \
    && mkdir -p /app/var/media /app/var/backups \
    && chown -R app /app/var

USER app
EXPOSE 8000
CMD ["gunicorn", "config.wsgi", "--bind", "0.0.0.0:8000", "--workers", "3"]
