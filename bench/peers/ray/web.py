"""Starlette + Ray: each job request is answered by creating a Ray actor (its own worker process),
calling it, and ending it. The request returns when the work is done."""
import os
import uuid
from contextlib import asynccontextmanager

import ray
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route


@ray.remote
class JobActor:
    def run(self) -> None:
        return None


@asynccontextmanager
async def lifespan(app: Starlette):
    ray.init(address=os.environ["RAY_ADDRESS"], logging_level="warning", log_to_driver=False)
    yield
    ray.shutdown()


async def root(request: Request) -> Response:
    return PlainTextResponse("ok")


async def submit(request: Request) -> Response:
    actor = JobActor.remote()
    await actor.run.remote()
    ray.kill(actor)
    return JSONResponse({"id": uuid.uuid4().hex, "state": "succeeded"})


app = Starlette(routes=[Route("/", root), Route("/jobs", submit, methods=["POST"])], lifespan=lifespan)
