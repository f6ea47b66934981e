# The explainer as one container, after Streamlit's own deployment recipe:
#   docker build -t conv-explainer .
#   docker run --rm -p 8501:8501 conv-explainer          # then open http://localhost:8501
# Settings come from .streamlit/config.toml (production: no tracebacks for visitors, no file watcher, ...).
# Several replicas behind a load balancer: see deploy/README.md (sticky sessions, shared cookie secret).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

# A non-root user that owns nothing but its home directory.
RUN groupadd --gid 10001 app \
    && useradd --create-home --uid 10001 --gid 10001 --shell /usr/sbin/nologin app

WORKDIR /app

# libseccomp for the grader's sandbox (grader/sandbox.py; pyseccomp loads it). Bookworm's apt already depends
# on it, so this names the dependency rather than adding one; unpinned so that Debian's security updates apply.
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends libseccomp2 \
    && rm -rf /var/lib/apt/lists/*

# Pinned runtime requirements only (no PyTorch, no test tools), in their own layer for the build cache.
COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt

COPY --chown=root:root . .

# The project's own modules compiled here, once: in the container Python writes no .pyc (PYTHONDONTWRITEBYTECODE,
# and the app's user owns nothing in /app), so every new container compiled them again at its first visit (0.15 s
# on a 2-core machine, in the middle of a class opening the app at once).
RUN python -m compileall -q convcore grader ui

USER 10001:10001

EXPOSE 8501

# Slim images have no curl: ask the health endpoint with Python's standard library.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import sys, urllib.request; r = urllib.request.urlopen('http://127.0.0.1:8501/_stcore/health', timeout=4); sys.exit(0 if r.read().strip() == b'ok' else 1)"]

ENTRYPOINT ["streamlit", "run", "app.py", "--server.port=8501", "--server.address=0.0.0.0"]
