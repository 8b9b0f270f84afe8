# OpenCTI connector image: python:3.12-alpine, runs as an unprivileged user, no entrypoint script.
FROM python:3.12-alpine

ENV PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /opt/opencti-connector-vigilintel
COPY pyproject.toml requirements.lock README.md LICENSE ./
COPY src ./src
# The locked versions, each file checked against its hash; then the connector alone.
RUN apk add --no-cache --virtual .build-deps build-base libffi-dev \
    && pip install --require-hashes -r requirements.lock \
    && pip install --no-deps . \
    && apk del .build-deps \
    && adduser -D -H -s /sbin/nologin connector \
    && mkdir /data && chown connector /data

# The working directory is the user's own: `export` writes ./vigilintel-export there (mount it).
WORKDIR /data
USER connector
CMD ["vigilintel-connector", "run"]
