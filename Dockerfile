# PMO Platform: one image for web, worker, beat and migrate (docker-compose.yml).
# Build: docker build -t pmo-platform .
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy \
    UV_PROJECT_ENVIRONMENT=/app/.venv \
    PATH="/app/.venv/bin:$PATH"

# gettext provides msgfmt for compilemessages; Pango, HarfBuzz and fonts are what WeasyPrint
# needs to render the PDF reports.
RUN apt-get update \
    && apt-get install -y --no-install-recommends gettext libpango-1.0-0 libpangoft2-1.0-0 \
       libharfbuzz-subset0 fonts-dejavu-core \
    && rm -rf /var/lib/apt/lists/*

RUN pip install --no-cache-dir uv

WORKDIR /app

# Dependencies first, so code changes do not reinstall them.
COPY pyproject.toml uv.lock ./
RUN uv sync --frozen --no-dev

COPY . .

# Translations and static files are part of the image. Settings have safe defaults, so no
# database, Redis or secret is needed at build time.
RUN python manage.py compilemessages --ignore=.venv -v0 \
    && python manage.py collectstatic --noinput -v0

# Run as an unprivileged user; the code and static files stay read-only to it.
RUN useradd --system --uid 10001 --no-create-home --home-dir /app --shell /usr/sbin/nologin pmo
USER pmo

EXPOSE 8000
CMD ["gunicorn", "pmo_platform.wsgi", "--bind", "0.0.0.0:8000"]
