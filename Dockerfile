# passport-vc: the HTTP service, for docker-compose.yml (PostgreSQL beside it).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PASSPORT_VC_DATA_DIR=/data

# Every dependency ships wheels for linux/amd64 and arm64: no compiler is needed.
COPY pyproject.toml README.md /build/
COPY src /build/src
RUN pip install /build && rm -rf /build

# Runs unprivileged; /data holds the master key (created on first start unless
# PASSPORT_VC_MASTER_KEY is set) and must outlive the container: it is a volume.
RUN useradd --system --uid 10001 --home-dir /data passport \
    && mkdir -p /data && chown passport /data
USER passport
WORKDIR /data
VOLUME ["/data"]

EXPOSE 8000
HEALTHCHECK --interval=10s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import sys, urllib.request; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8000/health', timeout=4).status == 200 else 1)"]

# Migrates the database once, then starts the workers.
CMD ["passport-vc", "serve", "--host", "0.0.0.0", "--port", "8000", "--workers", "2"]
