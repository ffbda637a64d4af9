# VoxBridge Memory: one image for the gRPC server, the extraction worker and the migrator.
#
#   docker build -t voxbridge-memory .
#   docker run -p 50051:50051 -e MEMORY_DATABASE_URL=postgresql://user:pass@host:5432/memory voxbridge-memory
#   docker run voxbridge-memory worker          # or: migrate, serve --no-worker
#
# Without MEMORY_DATABASE_URL the embedded PostgreSQL runs in /data (mount a volume there);
# containers should use a real PostgreSQL with pgvector instead (deploy/compose.yaml).
FROM python:3.11-slim

ENV PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    VIRTUAL_ENV=/opt/venv \
    PATH=/opt/venv/bin:$PATH

# The virtual environment belongs to root: the service user can read it, not change it.
# The CPU build of torch goes first, alone: a bare `torch` requirement pulls a CUDA build of several GB.
RUN python -m venv /opt/venv \
    && pip install torch==2.13.0 --index-url https://download.pytorch.org/whl/cpu

WORKDIR /app

# Dependencies before the source, so that a code change does not reinstall them. The list comes from
# pyproject.toml, versions from constraints.txt; the local client package is installed with the source
# below (its own dependencies are a subset of the server's, and `pip check` proves it).
COPY pyproject.toml constraints.txt ./
# The `tracing` extra is included, so MEMORY_TRACING=otlp works in the image.
RUN python -c "import tomllib; p = tomllib.load(open('pyproject.toml', 'rb'))['project']; deps = p['dependencies'] + p['optional-dependencies']['tracing']; open('/tmp/requirements.txt', 'w').write('\n'.join(d for d in deps if not d.startswith('voxbridge-memory-client')))" \
    && pip install -c constraints.txt -r /tmp/requirements.txt \
    && rm /tmp/requirements.txt

# Editable installs: migrations find alembic.ini and migrations/ at the repository root (/app).
COPY . .
RUN pip install --no-deps -e clients/python -e . \
    && pip check \
    && python -m compileall -q memory_service migrations clients/python/src

# A numeric UID, so that Kubernetes' runAsNonRoot can verify it.
RUN groupadd --system --gid 10001 app \
    && useradd --system --uid 10001 --gid app --home-dir /home/app --create-home --shell /usr/sbin/nologin app \
    && mkdir -p /data \
    && chown app:app /data
USER 10001:10001

# The embedding model ships inside a Python package: nothing may be fetched from the Hugging Face hub.
# Listening beyond loopback needs tokens: create them with `memory-service token create` (deploy/README.md).
ENV MEMORY_LISTEN=0.0.0.0:50051 \
    MEMORY_AUTH=required \
    MEMORY_DATA_DIR=/data \
    HF_HUB_OFFLINE=1

# gRPC, and /metrics when MEMORY_METRICS_LISTEN is set (the manifests use 9464).
EXPOSE 50051 9464

# grpc.health.v1 Check against the local server; a container running `worker` or `migrate` has no
# server and reports healthy. Loading the model takes ~10 s, hence the start period.
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
    CMD ["/opt/venv/bin/python", "/app/deploy/healthcheck.py"]

ENTRYPOINT ["memory-service"]
CMD ["serve"]
