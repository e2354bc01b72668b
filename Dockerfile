# Image for docker-compose.yml (migrate, web, worker and beat share it).
FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 \
    HOST=0.0.0.0 PORT=8000 NEXLOO_VAR_DIR=/app/var
WORKDIR /app
COPY . .
RUN pip install --no-cache-dir -c requirements.lock . \
 && python manage.py compiletranslations \
 && DEBUG=0 SECRET_KEY="$(python -c 'import secrets; print(secrets.token_urlsafe(50))')" \
    ENCRYPTION_KEY=build python manage.py collectstatic --noinput \
 && useradd --system --home /app nexloo && mkdir -p var/media && chown -R nexloo var
USER nexloo
EXPOSE 8000
# bin/web: uvicorn with WEB_CONCURRENCY processes (default: one per core the container sees).
CMD ["bin/web"]
HEALTHCHECK --interval=10s --timeout=3s --retries=3 \
  CMD python -c "import urllib.request,os; urllib.request.urlopen('http://127.0.0.1:%s/healthz' % os.environ.get('PORT', '8000'), timeout=2)"
