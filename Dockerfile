# The hotline's image: one image for both processes of the Procfile (web: waitress through
# `flask serve`, worker: the scheduler). compose.yaml starts PostgreSQL, runs the migrations, then
# web and worker from it. Settings come from the environment (README, "Settings").

FROM python:3.11-slim AS build
WORKDIR /src
COPY pyproject.toml ./
COPY escalation escalation
COPY hotline hotline
# The app and every dependency as wheels, so the final image needs no compiler and no cache.
RUN pip wheel --no-cache-dir --wheel-dir /wheels .

FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    FLASK_APP=hotline \
    HOTLINE_INSTANCE=/data/instance \
    PORT=8000
COPY --from=build /wheels /wheels
RUN pip install --no-cache-dir --no-index /wheels/*.whl && rm -rf /wheels \
    && useradd --system --uid 10001 --user-group --home-dir /data hotline \
    && mkdir -p /data/instance && chown -R hotline:hotline /data
# Never root: the web server faces the internet, and the instance folder is all it writes.
USER hotline
WORKDIR /data
EXPOSE 8000
CMD ["flask", "--app", "hotline", "serve", "--host", "0.0.0.0"]
