"""The ASGI application: API, pages, static files, error handling."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles
from starlette.middleware.sessions import SessionMiddleware

from jiliang import __version__
from jiliang.api.deps import request_lang
from jiliang.core.config import get_settings
from jiliang.core.errors import DomainError, Unauthorized
from jiliang.features import ROUTER_MODULES, load

STATIC = Path(__file__).parent / "web" / "static"


def _wants_html(request: Request) -> bool:
    return not request.url.path.startswith("/api/")


def create_app() -> FastAPI:
    from jiliang.api.kernels import router as kernel_router
    from jiliang.api.routes import router as api_router
    from jiliang.web.views import render_error
    from jiliang.web.views import router as web_router

    settings = get_settings()
    app = FastAPI(
        title="Jiliang API",
        version=__version__,
        description="计量 · smart metrology platform. Authenticate with `POST /api/v1/auth/token` "
        "and send `Authorization: Bearer <token>`.",
        openapi_url="/api/v1/openapi.json",
        docs_url="/api/docs",
        redoc_url=None,
    )
    app.add_middleware(
        SessionMiddleware,
        secret_key=settings.session_secret(),
        session_cookie="jiliang_session",
        max_age=settings.session_max_age,
        same_site="lax",
        https_only=False,
    )

    @app.exception_handler(DomainError)
    async def domain_error(request: Request, exc: DomainError):
        lang = request_lang(request)
        if _wants_html(request):
            if isinstance(exc, Unauthorized):
                return RedirectResponse(f"/login?next={request.url.path}", status_code=303)
            return render_error(request, exc.status_code, exc.message(lang))
        return JSONResponse(exc.to_dict(lang), status_code=exc.status_code)

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError):
        fields = {}
        for err in exc.errors():
            loc = [str(p) for p in err.get("loc", ()) if p not in ("body", "query", "path", "form")]
            fields[".".join(loc) or "body"] = err.get("msg", "invalid")
        lang = request_lang(request)
        message = "请求数据不符合要求" if lang == "zh" else "The request is not valid"
        if _wants_html(request):
            return render_error(request, 422, message + ": " + "; ".join(f"{k}: {v}" for k, v in fields.items()))
        return JSONResponse({"error": "validation_failed", "message": message, "fields": fields}, status_code=422)

    app.include_router(api_router)
    app.include_router(kernel_router)
    for module in load(ROUTER_MODULES):
        app.include_router(module.router)
    app.include_router(web_router)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")

    @app.get("/healthz", include_in_schema=False)
    def healthz() -> dict[str, str]:
        return {"status": "ok", "version": __version__}

    return app
