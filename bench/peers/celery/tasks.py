"""Celery on Redis (broker and result backend): a no-op task that counts its own runs."""
import os

import redis
from celery import Celery

REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379")
app = Celery("bench", broker=REDIS_URL, backend=REDIS_URL)
app.conf.broker_connection_retry_on_startup = True
runs = redis.Redis.from_url(REDIS_URL)


@app.task(bind=True)
def noop(self) -> None:
    runs.hincrby("bench:runs", self.request.id, 1)
