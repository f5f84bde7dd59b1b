# Locust with the project's scenarios (loadtests/), for the compose `load` profile: one image
# for the master and the workers.
#
# Built by `make images` (deploy/images.py) from a staged context: requirements-dev.lock,
# deploy/lock_subset.py, shared/, loadtests/, pool.json (the payload pool, built on the host
# from the data: the image carries no data set) and wheels/ (hash-checked, from the locks).
#
#   docker compose --profile load up        (web UI on :8089, see deploy/README.md)

ARG BASE_IMAGE=python:3.11-slim

# --- build: locust and what loadtests/ imports, cut from the dev lock ------------------------
FROM ${BASE_IMAGE} AS build
# Roots of the cut (images.py passes the project's runtime packages minus BentoML, + locust).
ARG LOCUST_ROOTS="locust numpy pydantic-settings"
WORKDIR /build
COPY requirements-dev.lock deploy/lock_subset.py ./
COPY wheels/ /wheels/
RUN python3 lock_subset.py requirements-dev.lock "${LOCUST_ROOTS}" > requirements.txt \
 && python3 -m venv /opt/venv \
 && /opt/venv/bin/pip install --no-cache-dir --disable-pip-version-check --no-index \
      --find-links /wheels --require-hashes -r requirements.txt \
 && /opt/venv/bin/pip uninstall --yes --quiet pip setuptools \
 && find /opt/venv/lib -depth -type d -name tests -path '*/site-packages/*' -exec rm -rf {} +
# Kept by the engine as the pip layer's cache; `make deploy-clean` removes it by this label.
LABEL credit-risk.stage="build"

# --- runtime ------------------------------------------------------------------------------
FROM ${BASE_IMAGE}
LABEL org.opencontainers.image.title="credit-risk-locust" \
      org.opencontainers.image.description="Locust with the credit-risk load scenarios"
RUN useradd --system --uid 10001 --user-group --no-create-home --home-dir /app \
      --shell /usr/sbin/nologin locust
COPY --from=build /opt/venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONPATH=/app \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1
WORKDIR /app
COPY shared/ shared/
COPY loadtests/ loadtests/
COPY pool.json ./
USER 10001:10001
EXPOSE 8089 5557
ENTRYPOINT ["locust"]
CMD ["--help"]
