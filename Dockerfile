# JFA Bot: slim image, non-root user, SQLite file on the /data volume.
# Build: docker build -t jfa-bot .    Run: see compose.yaml, or
#        docker run -e JFA_BOT_TOKEN=... -v jfa-data:/data jfa-bot
# Every Python package comes from requirements/run.txt: exact versions, checked by hash.

FROM python:3.11-slim-bookworm AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /src
RUN python -m venv /opt/jfa
COPY requirements/run.txt requirements/run.txt
RUN /opt/jfa/bin/pip install --require-hashes -r requirements/run.txt
COPY pyproject.toml hatch_build.py babel.cfg README.md LICENSE ./
COPY jfa_bot ./jfa_bot
COPY locales ./locales
# The wheel's build hook compiles every catalog into messages.mo; the build backend is in
# the lock, so nothing unpinned is fetched.
RUN /opt/jfa/bin/pip install --no-deps --no-build-isolation . \
    && /opt/jfa/bin/jfa-bot --version \
    && /opt/jfa/bin/jfa-bot content check \
    && /opt/jfa/bin/jfa-bot catalogs check

FROM python:3.11-slim-bookworm
ENV PATH=/opt/jfa/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    MPLCONFIGDIR=/tmp/matplotlib \
    JFA_DB_PATH=/data/jfa_bot.sqlite3 \
    JFA_HTTP_LISTEN=0.0.0.0 \
    JFA_HTTP_PORT=9090
RUN useradd --create-home --uid 10001 jfa \
    && mkdir -p /data \
    && chown jfa:jfa /data \
    && chmod 0700 /data
# The virtual environment built above, no pip run in this stage.
COPY --from=build /opt/jfa /opt/jfa
USER jfa
WORKDIR /home/jfa
VOLUME ["/data"]
# /healthz, /count.json and /metrics (publish with -p 127.0.0.1:9090:9090); the webhook
# port, if used, is JFA_WEBHOOK_PORT (8080).
EXPOSE 9090
# Asks the bot's /healthz: answered from its cached state (database, broadcast tasks, the
# rare integrity check), so checking often costs the bot nothing.
HEALTHCHECK --interval=30s --timeout=10s --start-period=60s --retries=3 CMD ["jfa-bot", "health"]
CMD ["jfa-bot", "run"]
