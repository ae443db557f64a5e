# connect-graphql-gateway: slim, non-root, health-checked.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app
COPY constraints.txt pyproject.toml README.md ./
COPY gateway ./gateway
RUN pip install --constraint constraints.txt . \
    && useradd --system --uid 10001 --no-create-home gateway

USER gateway
EXPOSE 8000
HEALTHCHECK --interval=15s --timeout=3s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import urllib.request,sys; urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=2); sys.exit(0)"]
CMD ["connect-gateway", "serve", "--host", "0.0.0.0", "--port", "8000"]
