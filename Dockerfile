# The image compose.yaml runs as web, worker, beat and migrate (the command differs).
FROM python:3.11-slim
ENV PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1
WORKDIR /app
COPY pyproject.toml README.md alembic.ini make_celery.py ./
COPY webapp ./webapp
COPY migrations ./migrations
RUN pip install . && useradd --create-home keepsake && mkdir /data && chown keepsake /data
USER keepsake
EXPOSE 8000
CMD ["gunicorn", "--bind", "0.0.0.0:8000", "--workers", "4", "webapp:create_app()"]
