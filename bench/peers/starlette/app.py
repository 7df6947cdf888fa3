"""The async-Python-server pattern: Starlette on uvicorn (uvloop, httptools, 2 workers)."""
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route


async def root(request: Request) -> Response:
    return PlainTextResponse("ok: service is running")


async def echo(request: Request) -> Response:
    try:
        body = await request.json()
    except ValueError:
        return JSONResponse({"detail": "the JSON body failed to parse"}, status_code=400)
    return JSONResponse(body)


app = Starlette(routes=[Route("/", root), Route("/echo", echo, methods=["POST"])])
