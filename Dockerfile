# connect-graphql-gateway: slim, non-root, health-checked, installed from hashed lockfiles.
# The lockfiles (deploy/*.lock) are written by scripts/lock from constraints.txt: pip
# refuses any file whose sha256 is not in them, the build backend included.

# Build stage: the package's wheel, built with a hash-checked hatchling (no build isolation,
# which would fetch an unchecked one), and the runtime virtualenv the image keeps.
FROM python:3.11-slim AS build
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /src
COPY deploy/requirements.lock deploy/build-requirements.lock ./deploy/
RUN python -m venv /opt/build \
    && /opt/build/bin/pip install --require-hashes --requirement deploy/build-requirements.lock \
    && python -m venv /opt/gateway \
    && /opt/gateway/bin/pip install --require-hashes --requirement deploy/requirements.lock
COPY pyproject.toml README.md ./
COPY gateway ./gateway
RUN /opt/build/bin/pip wheel --no-deps --no-build-isolation --wheel-dir /wheels . \
    && /opt/gateway/bin/pip install --no-deps /wheels/connect_graphql_gateway-*.whl

# Runtime: the virtualenv only (no pip cache, no build tools, no sources).
FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PATH=/opt/gateway/bin:$PATH \
    TMPDIR=/var/lib/gateway
COPY --from=build /opt/gateway /opt/gateway
RUN useradd --system --uid 10001 --no-create-home gateway \
    && mkdir -p /var/lib/gateway \
    && chown 10001:10001 /var/lib/gateway \
    && chmod 0700 /var/lib/gateway

# The root filesystem may be read-only (ECS readonlyRootFilesystem): the only place written
# is /var/lib/gateway, a volume owned by the gateway's user (Fargate's bind mount keeps the
# image directory's owner and mode, where /tmp may come root-owned 0755): TMPDIR, the API
# keys file the task writes, and the metrics directory of `serve --workers N`
# (PROMETHEUS_MULTIPROC_DIR) the CLI makes under TMPDIR. /tmp stays a volume for anything
# that writes there regardless.
VOLUME ["/var/lib/gateway", "/tmp"]
USER 10001:10001
EXPOSE 8000
# SIGTERM: no new connections, requests in flight finish (GATEWAY_SHUTDOWN_SECONDS).
STOPSIGNAL SIGTERM
HEALTHCHECK --interval=15s --timeout=3s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import urllib.request,sys; urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=2); sys.exit(0)"]
CMD ["connect-gateway", "serve", "--host", "0.0.0.0", "--port", "8000"]
