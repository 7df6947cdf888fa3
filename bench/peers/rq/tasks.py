"""RQ's job: a no-op that counts its own runs. RQ forks a work horse per job (its spawn-per-job)."""
import os

import redis
from rq import get_current_job

runs = redis.Redis.from_url(os.environ.get("REDIS_URL", "redis://127.0.0.1:6379"))


def noop() -> None:
    runs.hincrby("bench:runs", get_current_job().id, 1)
