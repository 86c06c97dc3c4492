# The image compose.yaml runs as web, worker, beat and migrate (the command differs).
FROM python:3.11-slim
ENV PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1
WORKDIR /app
COPY pyproject.toml README.md alembic.ini make_celery.py ./
COPY webapp ./webapp
COPY migrations ./migrations
COPY deploy ./deploy
# Flask puts an installed package's instance folder under <prefix>/var.
RUN pip install . && useradd --create-home keepsake \
    && mkdir -p /data /usr/local/var/webapp-instance \
    && chown keepsake /data /usr/local/var/webapp-instance
USER keepsake
EXPOSE 8000
# Threaded workers and JSON errors: see deploy/gunicorn.conf.py.
CMD ["gunicorn", "--config", "deploy/gunicorn.conf.py", "webapp:create_app()"]
