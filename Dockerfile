# The RusToK API / worker image (used by docker-compose.yml).
FROM python:3.11-slim
WORKDIR /app
COPY pyproject.toml README.md yoyo.ini ./
COPY src ./src
COPY sql ./sql
RUN pip install --no-cache-dir . && useradd --system rustok
USER rustok
ENV RUSTOK_HOST=0.0.0.0 RUSTOK_PORT=8000
EXPOSE 8000
CMD ["rustok", "serve"]
