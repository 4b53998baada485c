# The service's image. The MESG engine builds it from this directory and runs it with
# MESG_TOKEN and MESG_ENDPOINT_TCP set; `mesg-pusher serve` reads them (docs/running-under-mesg.md).
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /service

# The locked runtime dependencies, exactly (no resolution), in their own layer.
COPY requirements/runtime.txt requirements/runtime.txt
RUN pip install --no-deps -r requirements/runtime.txt && pip check

# The service itself (generated gRPC code included: nothing is generated at build time).
COPY pyproject.toml README.md LICENSE ./
COPY src/ src/
RUN pip install --no-deps . && rm -rf src

# No root inside the container: the service needs no privilege.
RUN useradd --system --uid 10001 --no-create-home --shell /usr/sbin/nologin mesg
USER 10001

# Pusher's webhooks (POST /webhooks), GET /health and GET /metrics, on the port mesg.yml declares
# under configuration.ports (outside the container serve listens on loopback only).
ENV MESG_PUSHER_WEBHOOK_LISTEN=0.0.0.0:3000
EXPOSE 3000

# SIGTERM (docker stop) makes it finish the executions under way within the grace period.
CMD ["mesg-pusher", "serve"]
