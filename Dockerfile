# Image for docker-compose.yml (web, worker and beat share it).
FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
WORKDIR /app
COPY . .
RUN pip install --no-cache-dir -c requirements.lock . \
 && python manage.py compiletranslations \
 && DEBUG=0 SECRET_KEY="$(python -c 'import secrets; print(secrets.token_urlsafe(50))')" \
    ENCRYPTION_KEY=build python manage.py collectstatic --noinput
EXPOSE 8000
CMD ["uvicorn", "nexloo.asgi:application", "--host", "0.0.0.0", "--port", "8000"]
