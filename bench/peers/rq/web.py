"""Starlette front for RQ: enqueue behind HTTP, read a job's state, wait for it."""
import os

from redis import Redis
from rq import Queue
from rq.job import Job
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from tasks import noop, runs

redis = Redis.from_url(os.environ.get("REDIS_URL", "redis://127.0.0.1:6379"))
queue = Queue("bench", connection=redis)
STATES = {"finished": "succeeded", "failed": "failed", "started": "running"}


def root(request: Request) -> Response:
    return PlainTextResponse("ok")


# Plain `def` endpoints: the Redis client blocks, so Starlette runs them in its thread pool.
def submit(request: Request) -> Response:
    return JSONResponse({"id": queue.enqueue(noop).id}, status_code=202)


def status(request: Request) -> Response:
    job = Job.fetch(request.path_params["id"], connection=redis)
    return JSONResponse({"id": job.id, "state": STATES.get(job.get_status(), "queued")})


def wait(request: Request) -> Response:
    job = Job.fetch(request.path_params["id"], connection=redis)
    # Blocks on the job's results stream until it finished.
    result = job.latest_result(timeout=120)
    if result is None or result.type != result.Type.SUCCESSFUL:
        return JSONResponse({"id": job.id, "state": "failed"}, status_code=500)
    return JSONResponse({"id": job.id, "state": "succeeded"})


def run_counts(request: Request) -> Response:
    return JSONResponse({key.decode(): int(value) for key, value in runs.hgetall("bench:runs").items()})


def run_count(request: Request) -> Response:
    return JSONResponse({"count": runs.hlen("bench:runs")})


app = Starlette(
    routes=[
        Route("/", root),
        Route("/jobs", submit, methods=["POST"]),
        Route("/jobs/{id}", status),
        Route("/jobs/{id}/wait", wait),
        Route("/runs", run_counts),
        Route("/runs/count", run_count),
    ]
)
