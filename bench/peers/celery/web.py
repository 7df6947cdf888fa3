"""Starlette front for Celery: enqueue behind HTTP, read a task's state, wait for it."""
from celery.result import AsyncResult
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from tasks import app as celery, noop, runs

STATES = {"SUCCESS": "succeeded", "FAILURE": "failed", "STARTED": "running"}


def root(request: Request) -> Response:
    return PlainTextResponse("ok")


# Plain `def` endpoints: the Redis client blocks, so Starlette runs them in its thread pool.
def submit(request: Request) -> Response:
    return JSONResponse({"id": noop.delay().id}, status_code=202)


def status(request: Request) -> Response:
    task_id = request.path_params["id"]
    state = AsyncResult(task_id, app=celery).state
    return JSONResponse({"id": task_id, "state": STATES.get(state, "queued")})


def wait(request: Request) -> Response:
    task_id = request.path_params["id"]
    AsyncResult(task_id, app=celery).get(timeout=120)
    return JSONResponse({"id": task_id, "state": "succeeded"})


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
