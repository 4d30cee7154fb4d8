# hostnotify application image: web (gunicorn), Celery worker and beat run from the same image.
FROM python:3.11-slim-bookworm
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 HOSTNOTIFY_VAR_DIR=/app/var
RUN apt-get update \
 && apt-get install -y --no-install-recommends libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 \
    fonts-dejavu-core gettext \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY requirements.txt .
RUN pip install -r requirements.txt
COPY . .
RUN python manage.py compilemessages --ignore=.venv -v 0 \
 && SECRET_KEY=build python manage.py collectstatic --noinput -v 0
RUN useradd --system --home /app hostnotify && mkdir -p /app/var/media && chown -R hostnotify /app/var
USER hostnotify
EXPOSE 8000
CMD ["gunicorn", "hostnotify.wsgi", "--config", "hostnotify/gunicorn.conf.py"]
