# DQ Hub: one image for the Streamlit app and the job worker (docs/docker.md).
#   docker build -t dqhub .
#   docker run -p 8501:8501 -v dqhub-data:/app/data dqhub          # app (the default)
#   docker run -v dqhub-data:/app/data dqhub worker                  # scheduler, one per warehouse
# No setting or secret is baked in: pass DQ_* environment variables or mount
# /app/.streamlit/secrets.toml.
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_ROOT_USER_ACTION=ignore

WORKDIR /app

# Dependencies first: this layer is rebuilt only when requirements.txt changes.
COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt

# The code stays owned by root (read-only for the app); only data/ is writable, and is where
# the default DuckDB warehouse (duckdb:///data/dqhub.duckdb) lives: mount a volume there.
RUN groupadd --system --gid 10001 dqhub \
    && useradd --system --uid 10001 --gid dqhub --create-home --home-dir /home/dqhub \
        --shell /usr/sbin/nologin dqhub
COPY . .
RUN chmod 0755 docker/entrypoint.sh \
    && mkdir -p data \
    && chown dqhub:dqhub data

# Numeric, so orchestrators can verify it is not root (e.g. Kubernetes runAsNonRoot).
USER 10001:10001
EXPOSE 8501
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
    CMD ["python", "/app/docker/healthcheck.py"]
ENTRYPOINT ["/app/docker/entrypoint.sh"]
CMD ["app"]
