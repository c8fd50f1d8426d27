# JFA Bot: slim image, non-root user, SQLite file on the /data volume.
# Build: docker build -t jfa-bot .    Run: docker run -e JFA_BOT_TOKEN=... -v jfa-data:/data jfa-bot

FROM python:3.11-slim AS build
WORKDIR /src
RUN pip install --no-cache-dir build
COPY pyproject.toml hatch_build.py babel.cfg README.md ./
COPY jfa_bot ./jfa_bot
COPY locales ./locales
# The wheel's build hook compiles every catalog into messages.mo.
RUN python -m build --wheel --outdir /wheels .

FROM python:3.11-slim
ENV PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    JFA_DB_PATH=/data/jfa_bot.sqlite3
RUN useradd --create-home --uid 10001 jfa \
    && mkdir -p /data \
    && chown jfa:jfa /data
COPY --from=build /wheels /wheels
RUN pip install /wheels/*.whl && rm -rf /wheels
USER jfa
WORKDIR /home/jfa
VOLUME ["/data"]
# Healthy when the database opens, passes quick_check and its schema is current.
HEALTHCHECK --interval=60s --timeout=15s --start-period=30s --retries=3 CMD ["jfa-bot", "health"]
CMD ["jfa-bot", "run"]
