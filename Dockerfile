FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    TRIAGE_LOG_FORMAT=json \
    TRIAGE_DATABASE_URL=sqlite:////data/triage.db

WORKDIR /app
COPY pyproject.toml README.md alembic.ini ./
COPY app ./app
COPY prompts ./prompts
COPY migrations ./migrations
# Editable install: the service finds prompts/ and migrations/ beside the package.
RUN pip install --no-cache-dir -e . \
    && useradd --create-home --uid 10001 triage \
    && mkdir -p /data && chown triage /data
USER triage
VOLUME ["/data"]
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz')"
CMD ["triage", "serve", "--host", "0.0.0.0", "--port", "8000"]
