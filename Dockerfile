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

# Pusher's webhooks (POST /webhooks), on the port mesg.yml declares under configuration.ports
# (outside the container serve listens on loopback only). GET /health and GET /metrics stay on the
# container's own loopback, where its HEALTHCHECK asks: healthy while the task stream is open.
ENV MESG_PUSHER_WEBHOOK_LISTEN=0.0.0.0:3000
ENV MESG_PUSHER_ADMIN_LISTEN=127.0.0.1:3001
EXPOSE 3000
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 CMD ["mesg-pusher", "health"]

# SIGTERM (docker stop) makes it finish the executions under way within the grace period.
CMD ["mesg-pusher", "serve"]
