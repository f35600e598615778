"""Server-rendered pages (Jinja2): thin — read the form, call a service, render."""

from __future__ import annotations

import io
import math
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from sqlalchemy.orm import Session

import jiliang.models  # noqa: F401  (fills the resource registry)
from jiliang.api.deps import DB, csrf_token, optional_principal, request_lang
from jiliang.core import audit, resources
from jiliang.core.config import get_settings
from jiliang.core.errors import DomainError, Forbidden, Unauthorized, ValidationFailed
from jiliang.core.i18n import bi, pick, t
from jiliang.core.importer import IMPORTERS, MAX_FILE_BYTES, columns_for, template_csv
from jiliang.core.resources import REGISTRY, Resource
from jiliang.core.security import ROLES, Principal
from jiliang.instruments import dashboard as dash_service
from jiliang.instruments import io as instrument_io
from jiliang.instruments.models import STATUSES, TRANSITIONS
from jiliang.instruments.service import INSTRUMENTS, public_facts, transition
from jiliang.people.service import authenticate

TEMPLATES = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))
TEMPLATES.env.globals.update(t=t, pick=pick, bi=bi, ROLES=ROLES)
TEMPLATES.env.filters["num"] = lambda n: f"{n:,}"

router = APIRouter(include_in_schema=False)


def add_templates(directory: str | Path) -> None:
    """A feature module makes its own ``templates/`` folder visible (they extend base.html)."""
    paths = TEMPLATES.env.loader.searchpath
    if str(directory) not in paths:
        paths.append(str(directory))

MaybeWho = Annotated[Principal | None, Depends(optional_principal)]

ALL_ROLES = frozenset(ROLES)
LAB_SIDE = frozenset({"admin", "regulator", "lab_manager", "metrologist", "reviewer", "approver"})

# (path, (zh, en) label, roles that see the entry); features append with ``add_nav``
NAV: list[tuple[str, tuple[str, str], frozenset[str]]] = [
    ("/instruments", ("计量器具", "Instruments"), ALL_ROLES),
    ("/organisations", ("单位", "Organisations"), ALL_ROLES),
    ("/standards", ("计量标准", "Standards"), LAB_SIDE),
    ("/materials", ("标准物质", "Reference materials"), LAB_SIDE),
    ("/metrologists", ("注册计量师", "Metrologists"), LAB_SIDE),
    ("/instrument-types", ("器具类型", "Instrument types"), ALL_ROLES),
    ("/users", ("用户", "Users"), frozenset({"admin"})),
]


# resource name -> functions (db, who, obj, lang) -> notes shown at the top of a record's page,
# each {"text": str, "href": str | None, "link": str | None, "testid": str}; features add them
DETAIL_NOTES: dict[str, list[Callable[[Session, Principal, Any, str], list[dict[str, Any]]]]] = {}


def add_detail_note(resource_name: str, fn: Callable[[Session, Principal, Any, str], list[dict[str, Any]]]) -> None:
    """A feature adds a note to the detail page of another register's records (once, at import)."""
    if fn not in DETAIL_NOTES.setdefault(resource_name, []):
        DETAIL_NOTES[resource_name].append(fn)


# menu path -> function (db, who) -> a count shown beside the entry (e.g. unread messages)
NAV_BADGES: dict[str, Callable[[Session, Principal], int]] = {}


def add_nav_badge(path: str, fn: Callable[[Session, Principal], int]) -> None:
    NAV_BADGES[path] = fn


def _badges(menu: list[dict[str, Any]], who: Principal | None) -> None:
    """Fill ``badge`` on the menu entries that have a badge function (one short session)."""
    wanted = [e for e in menu if e.get("path") in NAV_BADGES]
    if who is None or not wanted:
        return
    from jiliang.core.db import session_scope

    with session_scope() as db:
        for e in wanted:
            e["badge"] = NAV_BADGES[e["path"]](db, who)


def add_nav(path: str, label: tuple[str, str], roles: frozenset[str] = ALL_ROLES) -> None:
    """A feature module adds its entry to the main menu (once, at import)."""
    if all(entry[0] != path for entry in NAV):
        NAV.append((path, label, roles))


# menu groups: (key, (zh, en) label, path prefixes of its entries); an entry in no group stands alone
NAV_GROUPS: list[tuple[str, tuple[str, str], tuple[str, ...]]] = [
    ("registers", ("登记", "Registers"), ("/instruments", "/organisations", "/standards", "/materials",
                                          "/metrologists", "/instrument-types", "/users")),
    ("lab", ("检定校准", "Laboratory"), ("/calibration", "/certificates", "/uncertainty", "/trace")),
    ("supervision", ("监督管理", "Supervision"), ("/warnings", "/filings", "/public/catalogue", "/inspections",
                                               "/complaints", "/netcontent", "/integrity")),
]


def _nav_for(who: Principal | None) -> list[tuple[str, tuple[str, str]]]:
    if who is None:
        return []
    return [(path, label) for path, label, roles in NAV if who.role in roles]


def _group_of(path: str) -> int | None:
    for i, (_key, _label, prefixes) in enumerate(NAV_GROUPS):
        if path in prefixes or any(path.startswith(p + "/") for p in prefixes):
            return i
    return None


def nav_menu(who: Principal | None, current: str) -> list[dict[str, Any]]:
    """The menu for ``who``: groups of entries (a group of one is a plain link), in NAV_GROUPS
    order, then lone entries; the entry whose path is the longest prefix of ``current`` is on."""
    entries = _nav_for(who)
    matches = [p for p, _ in entries if current == p or current.startswith(p.rstrip("/") + "/")]
    active = max(matches, key=len) if matches else None
    groups: dict[int, list[dict]] = {}
    alone: list[dict] = []
    for path, label in entries:
        item = {"path": path, "label": label, "on": path == active}
        g = _group_of(path)
        (groups.setdefault(g, []) if g is not None else alone).append(item)
    menu = []
    for i in sorted(groups):
        items = groups[i]
        if len(items) == 1:
            menu.append(items[0])
        else:
            menu.append({"group": NAV_GROUPS[i][0], "label": NAV_GROUPS[i][1], "children": items,
                         "on": any(x["on"] for x in items)})
    return menu + alone


def render(request: Request, name: str, ctx: dict[str, Any], status_code: int = 200) -> HTMLResponse:
    lang = request_lang(request)
    who = ctx.get("who")
    menu = nav_menu(who, request.url.path)
    _badges(menu, who)
    base = {
        "request": request,
        "lang": lang,
        "who": who,
        "nav": menu,
        "csrf": csrf_token(request) if "session" in request.scope else "",
        "path": request.url.path,
    }
    response = TEMPLATES.TemplateResponse(request, name, {**base, **ctx}, status_code=status_code)
    if request.query_params.get("lang") in ("zh", "en"):
        response.set_cookie("lang", request.query_params["lang"], max_age=365 * 86400, samesite="lax")
    return response


def render_error(request: Request, status_code: int, message: str) -> HTMLResponse:
    """An error page that keeps the signed-in user's menu."""
    who = None
    uid = request.session.get("uid") if "session" in request.scope else None
    if uid is not None:
        from jiliang.core.db import session_scope
        from jiliang.people.models import User
        from jiliang.people.service import principal_for

        with session_scope() as db:
            user = db.get(User, uid)
            who = principal_for(db, user) if user is not None and user.status == "active" else None
    return render(request, "error.html", {"who": who, "status": status_code, "message": message}, status_code)


def need_user(who: Principal | None) -> Principal:
    """Pages behind sign-in: the anonymous are sent to the sign-in page."""
    if who is None:
        raise Unauthorized()
    return who


def check_csrf(request: Request, token: str) -> None:
    """Every form post carries the session's CSRF token."""
    if not token or token != request.session.get("csrf"):
        raise Forbidden("页面已过期，请刷新后重试", "The page has expired; reload and try again")


# ------------------------------------------------------------------ sign-in


@router.get("/login")
def login_form(request: Request, who: MaybeWho, next: str = "/") -> Response:
    return render(request, "login.html", {"who": None, "next": next if next.startswith("/") else "/"})


@router.post("/login")
def login(
    request: Request,
    db: DB,
    username: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = "/",
    csrf: Annotated[str, Form()] = "",
) -> Response:
    check_csrf(request, csrf)
    user = authenticate(db, username, password)
    if user is None:
        return render(
            request,
            "login.html",
            {"who": None, "error": t("bad_credentials", request_lang(request)), "username": username, "next": next},
            status_code=401,
        )
    request.session.clear()
    request.session["uid"] = user.id
    target = next if next.startswith("/") and not next.startswith("//") else "/"
    response = RedirectResponse(target, status_code=303)
    if not request.cookies.get("lang"):
        response.set_cookie("lang", user.lang, max_age=365 * 86400, samesite="lax")
    return response


@router.post("/logout")
def logout(request: Request, csrf: Annotated[str, Form()] = "") -> Response:
    check_csrf(request, csrf)
    request.session.clear()
    return RedirectResponse("/login", status_code=303)


# ------------------------------------------------------------------ dashboard


@router.get("/")
def home(request: Request, db: DB, who: MaybeWho, region: str | None = None) -> Response:
    who = need_user(who)
    lang = request_lang(request)
    dash = dash_service.build(db, who, region, lang)
    map_svg = None
    if dash.children:
        map_svg = _map(dash, lang)
    panels = dash_service.supervision_panels(db, who, dash.region, lang)
    return render(request, "dashboard.html", {
        "who": who, "dash": dash, "STATUSES": STATUSES, "map_svg": map_svg, "today": date.today(),
        "panels": panels,
    })


def _map(dash: dash_service.Dashboard, lang: str) -> str | None:
    try:
        from jiliang.regions.geo import choropleth_svg
    except ImportError:
        return None
    rates = [c.overdue_rate for c in dash.children if c.overdue_rate is not None]
    scale = max(0.05, math.ceil(max(rates, default=0) * 20) / 20)  # round up to 5 %
    values = {c.code: (c.overdue_rate / scale if c.overdue_rate is not None else None) for c in dash.children}
    names = {c.code: c.name for c in dash.children}
    labels = {
        c.code: f"{c.name} · {t('overdue_rate', lang)} "
        + (f"{c.overdue_rate:.1%}" if c.overdue_rate is not None else "—")
        for c in dash.children
    }
    try:
        return choropleth_svg(
            values, labels, lambda code: f"/?region={code}", t("overdue_rate", lang), names=names,
            legend_low="0%", legend_high=f"{scale:.0%}", no_data_label=t("no_records", lang),
        )
    except Exception:  # a missing shape must not take the dashboard down
        return None


# ------------------------------------------------------------------ public QR page


@router.get("/q/{token}")
def public_instrument(request: Request, token: str, db: DB) -> Response:
    lang = request_lang(request)
    facts = public_facts(db, token, lang)
    return render(request, "public_instrument.html", {"who": None, "facts": facts, "STATUSES": STATUSES})


# ------------------------------------------------------------------ instruments (extra pages)


@router.get("/instruments/{item_id}/label")
def instrument_label(request: Request, item_id: int, db: DB, who: MaybeWho) -> Response:
    import segno

    who = need_user(who)
    inst = resources.get(db, who, INSTRUMENTS, item_id)
    base = get_settings().public_url or str(request.base_url)
    url = base.rstrip("/") + f"/q/{inst.qr_token}"
    buf = io.BytesIO()
    segno.make(url, error="m").save(buf, kind="svg", scale=5, xmldecl=False, svgns=True, border=2)
    refs = resources.ref_labels(db, INSTRUMENTS, [inst], request_lang(request))
    return render(request, "label.html", {"who": who, "inst": inst, "qr_svg": buf.getvalue().decode(), "url": url, "refs": refs})


@router.post("/instruments/{item_id}/status")
def instrument_status(
    request: Request,
    item_id: int,
    db: DB,
    who: MaybeWho,
    status: Annotated[str, Form()],
    reason: Annotated[str, Form()] = "",
    csrf: Annotated[str, Form()] = "",
) -> Response:
    who = need_user(who)
    check_csrf(request, csrf)
    transition(db, who, item_id, status, reason or None)
    return RedirectResponse(f"/instruments/{item_id}", status_code=303)


# ------------------------------------------------------------------ generic resource pages


def _import_views(resource: Resource):
    def form(request: Request, who: MaybeWho) -> Response:
        who = need_user(who)
        return render(request, "import.html", {"who": who, "res": resource, "report": None})

    def upload(
        request: Request,
        db: DB,
        who: MaybeWho,
        file: Annotated[UploadFile, File()],
        mode: Annotated[str, Form()] = "all",
        csrf: Annotated[str, Form()] = "",
    ) -> Response:
        who = need_user(who)
        check_csrf(request, csrf)
        content = file.file.read(MAX_FILE_BYTES + 1)
        ctx: dict[str, Any] = {"who": who, "res": resource, "report": None}
        try:
            ctx["report"] = IMPORTERS[resource.name](
                db, who, file.filename or "", content, mode == "dry_run", mode == "valid_only"
            )
        except DomainError as exc:
            ctx["error"] = exc.message(request_lang(request))
            return render(request, "import.html", ctx, 422)
        return render(request, "import.html", ctx)

    def template(request: Request) -> Response:
        columns = instrument_io.COLUMNS if resource is INSTRUMENTS else columns_for(resource)
        return Response(template_csv(columns, request_lang(request)), media_type="text/csv; charset=utf-8",
                        headers={"content-disposition": f'attachment; filename="{resource.name}-template.csv"'})

    return form, upload, template


def _list_view(resource: Resource):
    def view(request: Request, db: DB, who: MaybeWho) -> Response:
        who = need_user(who)
        lang = request_lang(request)
        params = request.query_params
        allowed = {f.name for f in resource.fields if f.filter} | set(resource.extra_filters)
        filters = {k: v for k, v in params.items() if k in allowed and v}
        try:
            page_no = int(params.get("page", 1))
        except ValueError:
            page_no = 1
        q = params.get("q") or None
        sort = params.get("sort") or None
        page = resources.list_page(db, who, resource, q, filters, sort, page_no, 25)
        refs = resources.ref_labels(db, resource, page.items, lang)
        keep = {k: v for k, v in params.items() if k not in ("page", "lang")}
        filter_fields = [f for f in resource.fields if f.filter and f.kind in ("choice", "bool")]
        ref_filters = _ref_filter_options(db, who, resource, lang)
        return render(request, "list.html", {
            "who": who, "res": resource, "page": page, "refs": refs, "q": q or "", "sort": sort or "",
            "filters": filters, "filter_fields": filter_fields, "display": resources.display,
            "ref_filters": ref_filters,
            "qs": lambda **kw: urlencode({**keep, **{k: v for k, v in kw.items() if v is not None}}),
            "can_create": _can_create(who, resource),
            "can_import": resource.name in IMPORTERS and _can_create(who, resource),
        })

    return view


def _ref_filter_options(db: Session, who: Principal, resource: Resource, lang: str):
    """Select boxes for filtering by instrument type and by county (within the user's scope)."""
    from sqlalchemy import select

    from jiliang.regions.models import Region

    out: list[tuple[Any, list[tuple[str, str]]]] = []
    for f in resource.fields:
        if not (f.filter and f.kind == "ref"):
            continue
        if f.ref == "type":
            from jiliang.instruments.service import INSTRUMENT_TYPES

            items = resources.list_page(db, who, INSTRUMENT_TYPES, None, None, "code", 1, 200).items
            out.append((f, [(str(i.id), i.name_en if lang == "en" else i.name_zh) for i in items]))
        elif f.ref == "region" and (who.is_admin or (who.is_regulator and who.scope_level != "county")):
            stmt = select(Region).where(Region.level == "county").order_by(Region.code)
            if who.is_regulator and who.scope_level == "city":
                stmt = stmt.where(Region.city_code == who.scope_region)
            out.append((f, [(r.code, r.name(lang)) for r in db.scalars(stmt)]))
    return out


def _can_create(who: Principal, resource: Resource) -> bool:
    if who.is_admin:
        return True
    if resource.name == "instruments":
        return who.role in ("enterprise", "lab_manager")
    if resource.name in ("standards", "materials", "metrologists", "standard-devices", "certified-values",
                         "external-certificates", "trace-links"):
        return who.role == "lab_manager"
    if resource.name == "organisations":
        return who.is_regulator
    return False


def _detail_view(resource: Resource):
    def view(request: Request, item_id: int, db: DB, who: MaybeWho) -> Response:
        who = need_user(who)
        lang = request_lang(request)
        obj = resources.get(db, who, resource, item_id)
        refs = resources.ref_labels(db, resource, [obj], lang)
        entries = audit.entries_for(db, resource.entity, obj.id)
        ctx: dict[str, Any] = {
            "who": who, "res": resource, "obj": obj, "refs": refs, "entries": entries,
            "display": resources.display, "children": _children(db, who, resource, obj, lang),
            "can_write": _can_write(db, who, resource, obj),
            "field_labels": {f.name: pick(f.label, lang) for f in resource.fields},
            "audit_value": _audit_value(resource, lang),
            "ACTIONS": AUDIT_ACTIONS,
            "notes": [n for fn in DETAIL_NOTES.get(resource.name, []) for n in fn(db, who, obj, lang)],
        }
        if resource is INSTRUMENTS:
            ctx["next_statuses"] = sorted(TRANSITIONS[obj.status])
            ctx["STATUSES"] = STATUSES
        return render(request, "detail.html", ctx)

    return view


AUDIT_ACTIONS = {
    "create": ("新建", "Created"),
    "update": ("修改", "Changed"),
    "status": ("状态变更", "Status changed"),
    "retire": ("注销", "Retired"),
}


def _audit_value(resource: Resource, lang: str):
    """Show choice values of audit entries by their label (references stay as ids)."""
    fields = {f.name: f for f in resource.fields if f.kind in ("choice", "bool", "list")}

    def show(name: str, value: Any) -> str:
        if value is None:
            return "—"
        if name in fields:
            return resources.display(fields[name], value, lang)
        return str(value)

    return show


def _can_write(db: Session, who: Principal, resource: Resource, obj: Any) -> bool:
    try:
        resource.policy.can_write(who, audit.snapshot(obj), db)
    except Forbidden:
        return False
    return True


CHILDREN = {"standards": ("standard-devices", "standard_id"), "materials": ("certified-values", "material_id")}


def _children(db: Session, who: Principal, resource: Resource, obj: Any, lang: str):
    if resource.name not in CHILDREN:
        return None
    child_name, fk = CHILDREN[resource.name]
    child = REGISTRY[child_name]
    page = resources.list_page(db, who, child, None, {fk: str(obj.id)}, None, 1, 100)
    return {"res": child, "items": page.items, "refs": resources.ref_labels(db, child, page.items, lang), "fk": fk}


def _form_view(resource: Resource, editing: bool):
    def view(request: Request, db: DB, who: MaybeWho, item_id: int | None = None) -> Response:
        who = need_user(who)
        values: dict[str, Any] = dict(request.query_params)
        obj = None
        if not editing and not _can_create(who, resource):
            raise Forbidden()
        if editing:
            obj = resources.get(db, who, resource, item_id)
            values = resources.to_dict(resource, obj)
        return _render_form(request, db, who, resource, obj, values, {})

    return view


def _render_form(request, db, who, resource, obj, values, errors, status_code=200):
    lang = request_lang(request)
    options = _ref_options(db, who, resource, lang)
    return render(request, "form.html", {
        "who": who, "res": resource, "obj": obj, "values": values, "errors": errors,
        "fields": resource.form_fields, "options": options,
    }, status_code)


def _ref_options(db: Session, who: Principal, resource: Resource, lang: str) -> dict[str, list[tuple[Any, str]]]:
    """Choices for reference fields, limited to what the user may see (small tables only)."""
    from sqlalchemy import select

    from jiliang.regions.models import Region

    out: dict[str, list[tuple[Any, str]]] = {}
    for f in resource.form_fields:
        if f.kind != "ref":
            continue
        if f.ref == "region":
            rows = db.scalars(select(Region).order_by(Region.code)).all()
            out[f.name] = [(r.code, ("　" if r.level == "county" else "") + r.name(lang)) for r in rows]
        elif f.ref == "type":
            from jiliang.instruments.service import INSTRUMENT_TYPES

            items = resources.list_page(db, who, INSTRUMENT_TYPES, None, None, "code", 1, 200).items
            out[f.name] = [(i.id, f"{i.code} {i.name_en if lang == 'en' else i.name_zh}") for i in items]
        elif f.ref in ("standard", "material"):
            target = REGISTRY["standards" if f.ref == "standard" else "materials"]
            items = resources.list_page(db, who, target, None, None, None, 1, 200).items
            out[f.name] = [(i.id, target.title(i, lang)) for i in items]
        elif f.ref == "org" and (who.is_admin or who.is_regulator):
            out[f.name] = []  # free entry of the organisation id with a lookup link (large table)
        elif f.ref == "org" and who.org_id is not None:
            from jiliang.orgs.models import Organisation

            org = db.get(Organisation, who.org_id)
            out[f.name] = [(org.id, org.name)] if org else []
    return out


def _save_view(resource: Resource, editing: bool):
    async def view(request: Request, db: DB, who: MaybeWho, item_id: int | None = None) -> Response:
        who = need_user(who)
        form = await request.form()
        check_csrf(request, str(form.get("csrf", "")))
        data: dict[str, Any] = {}
        for f in resource.form_fields:
            if f.kind == "bool":
                data[f.name] = "1" if form.get(f.name) else "0"
            elif f.name in form:
                raw = str(form.get(f.name, ""))
                if editing and raw == "" and f.name == "password":
                    continue
                data[f.name] = raw
        reason = str(form.get("reason", "")) or None
        try:
            if editing:
                obj = resources.update(db, who, resource, item_id, data, reason)
            else:
                obj = resources.create(db, who, resource, data)
        except ValidationFailed as exc:
            db.rollback()
            idx = 1 if request_lang(request) == "en" else 0
            errors = {k: v[idx] for k, v in exc.errors.items()}
            existing = resources.get(db, who, resource, item_id) if editing else None
            return _render_form(request, db, who, resource, existing, data, errors, 422)
        return RedirectResponse(f"/{resource.name}/{obj.id}?saved=1", status_code=303)

    return view


def _retire_view(resource: Resource):
    def view(
        request: Request, item_id: int, db: DB, who: MaybeWho,
        reason: Annotated[str, Form()] = "", csrf: Annotated[str, Form()] = "",
    ) -> Response:
        who = need_user(who)
        check_csrf(request, csrf)
        resources.retire(db, who, resource, item_id, reason)
        return RedirectResponse(f"/{resource.name}/{item_id}", status_code=303)

    return view


for _res in list(REGISTRY.values()):
    _p = f"/{_res.name}"
    if _res.name in IMPORTERS:
        _form, _upload, _template = _import_views(_res)
        router.add_api_route(_p + "/import", _form, methods=["GET"])
        router.add_api_route(_p + "/import", _upload, methods=["POST"])
        router.add_api_route(_p + "/import/template.csv", _template, methods=["GET"])
    router.add_api_route(_p, _list_view(_res), methods=["GET"])
    router.add_api_route(_p + "/new", _form_view(_res, False), methods=["GET"])
    router.add_api_route(_p + "/new", _save_view(_res, False), methods=["POST"])
    router.add_api_route(_p + "/{item_id}", _detail_view(_res), methods=["GET"])
    router.add_api_route(_p + "/{item_id}/edit", _form_view(_res, True), methods=["GET"])
    router.add_api_route(_p + "/{item_id}/edit", _save_view(_res, True), methods=["POST"])
    router.add_api_route(_p + "/{item_id}/retire", _retire_view(_res), methods=["POST"])
