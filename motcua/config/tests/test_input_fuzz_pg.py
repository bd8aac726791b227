"""§3.8 on PostgreSQL: a NUL byte, an over-long value (10,000 characters) and odd Unicode sent
to every form field and every API input field never give a server error.

The fields are discovered, not listed: the form fields from the pages themselves (every page
of the tenant walk's registry, fetched as each of commune A's staff and anonymously, parsed with
the stdlib ``html.parser``: ``<form>`` with its ``<input>``/``<select>``/``<textarea>``/
``<button>``), the API's from the OpenAPI document (query parameters and request bodies, nested
objects included). Each field gets the three values and a couple that hypothesis draws; the other
fields keep the page's defaults (or the schema's minimal valid values). PostgreSQL refuses NUL
in text, which SQLite stores, hence the marker.
"""

from __future__ import annotations

import json
import re
import time
import traceback
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urljoin, urlsplit

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from hypothesis import HealthCheck, Phase, example, given, settings
from hypothesis import strategies as st

from motcua.config.api import api
from motcua.config.tests.test_tenant_walk import URLS, Public, api_operations, build_world, url_routes
from motcua.core import clock
from motcua.org.models import ApiToken, Role, User
from motcua.testing import make_user

pytestmark = [pytest.mark.postgres]

NUL = "Nguyễn\x00Văn"
LONG = "ă" * 10_000
ODD = "😀\u202e\ufeffe\u0301\U0001d518"
EMOJI = "😀"  # short enough for a 4-character field

# A NUL, an over-long value, odd Unicode (emoji, right-to-left override, BOM, combining mark,
# astral letters), then what hypothesis draws: any text, with a NUL somewhere or not.
VALUES = st.one_of(
    st.text(min_size=1, max_size=40),
    st.text(min_size=0, max_size=10).map(lambda s: s + "\x00" + s),
    st.sampled_from(["\x00", "\u0000" * 3, "x" * 300, "٣٤", "\ud7ff", "\u200b", "0x00"]),
)
EXAMPLES = 2  # drawn values per field, on top of the three above
SKIP_ACTIONS = ("core:logout",)  # posting it would end the session the crawl uses


# --------------------------------------------------------------------------------------------
# forms, from the rendered pages
# --------------------------------------------------------------------------------------------


@dataclass
class Form:
    page: str
    action: str
    method: str
    multipart: bool
    fields: dict[str, str] = field(default_factory=dict)  # the defaults the page sends
    names: list[str] = field(default_factory=list)  # every named control, in order
    files: set[str] = field(default_factory=set)

    @property
    def key(self) -> tuple[str, str, tuple[str, ...]]:
        return (self.method, re.sub(r"\d+", "N", self.action), tuple(sorted(self.names)))


class FormParser(HTMLParser):
    """Every <form> of a page with its named controls and what the browser would send."""

    def __init__(self, page: str) -> None:
        super().__init__(convert_charrefs=True)
        self.page = page
        self.forms: list[Form] = []
        self.form: Form | None = None
        self.select: str | None = None
        self.select_first: str | None = None
        self.textarea: str | None = None
        self.submitted = False

    def _add(self, name: str | None, value: str | None = None) -> None:
        if self.form is None or not name:
            return
        if name not in self.form.names:
            self.form.names.append(name)
        if value is not None and name not in self.form.fields:
            self.form.fields[name] = value

    def handle_starttag(self, tag: str, attrs_list: list[tuple[str, str | None]]) -> None:
        attrs = {k: v or "" for k, v in attrs_list}
        if tag == "form":
            self.form = Form(
                page=self.page,
                action=urljoin(self.page, attrs.get("action") or self.page),
                method=(attrs.get("method") or "get").lower(),
                multipart="multipart" in attrs.get("enctype", ""),
            )
            self.submitted = False
        elif self.form is None:
            return
        elif tag == "input":
            kind = attrs.get("type", "text").lower()
            name = attrs.get("name")
            if kind == "file":
                self._add(name)
                if name:
                    self.form.files.add(name)
            elif kind in ("checkbox", "radio"):
                self._add(name, attrs.get("value", "on") if "checked" in attrs else None)
            elif kind in ("submit", "image", "button", "reset"):
                if kind == "submit" and not self.submitted and name:
                    self._add(name, attrs.get("value", ""))
                    self.submitted = True
            else:
                self._add(name, attrs.get("value", ""))
        elif tag == "button":
            if attrs.get("type", "submit") == "submit" and attrs.get("name") and not self.submitted:
                self._add(attrs["name"], attrs.get("value", ""))
                self.submitted = True
        elif tag == "select":
            self.select = attrs.get("name")
            self.select_first = None
            self._add(self.select)
        elif tag == "option" and self.select:
            value = attrs.get("value", "")
            if self.select_first is None:
                self.select_first = value
            if "selected" in attrs:
                self.form.fields[self.select] = value
        elif tag == "textarea":
            self.textarea = attrs.get("name")
            self._add(self.textarea, "")

    def handle_data(self, data: str) -> None:
        if self.form is not None and self.textarea:
            self.form.fields[self.textarea] += data

    def handle_endtag(self, tag: str) -> None:
        if self.form is None:
            return
        if tag == "select" and self.select:
            self.form.fields.setdefault(self.select, self.select_first or "")
            self.select = None
        elif tag == "textarea":
            self.textarea = None
        elif tag == "form":
            self.forms.append(self.form)
            self.form = None


def discover_forms(clients: dict[str, Client], w: dict[str, Any]) -> list[tuple[str, Form]]:
    """Every distinct form of every page of the registry (and the login page), with the client
    that saw it."""
    pages = [reverse("core:login")]
    for r in url_routes():
        entry = URLS.get(r.name)
        if r.is_api_operation or entry is None or isinstance(entry, Public):
            continue
        pages += [reverse(r.name, kwargs=kwargs) for kwargs in entry.build(w)]
    skip = {reverse(name) for name in SKIP_ACTIONS}
    seen: dict[tuple[str, str, tuple[str, ...]], tuple[str, Form]] = {}
    for who, client in clients.items():
        for page in pages:
            resp = client.get(page)
            if resp.status_code != 200 or "html" not in resp.get("Content-Type", ""):
                continue
            parser = FormParser("http://testserver" + page)
            parser.feed(resp.content.decode())
            for form in parser.forms:
                if urlsplit(form.action).path not in skip and form.names:
                    seen.setdefault(form.key, (who, form))
    return list(seen.values())


# --------------------------------------------------------------------------------------------
# running the values
# --------------------------------------------------------------------------------------------


def _where(resp: Any) -> str:
    """The innermost frame of the project in the server error's traceback."""
    exc_info = getattr(resp, "exc_info", None)
    if not exc_info:
        return ""
    frames = [
        f for f in traceback.extract_tb(exc_info[2]) if "/motcua/" in f.filename
    ] or traceback.extract_tb(exc_info[2])
    last = frames[-1]
    return f"{exc_info[0].__name__}: {str(exc_info[1])[:120]} at {last.filename.split('/motcua/')[-1]}:{last.lineno}"


def _submit(client: Client, form: Form, target: str, value: str) -> Any:
    data: dict[str, Any] = {k: v for k, v in form.fields.items() if k not in form.files}
    if target in form.files:
        data[target] = SimpleUploadedFile(value[:300] or "x", b"%PDF-1.4 x", content_type="application/pdf")
    else:
        data[target] = value
    path = urlsplit(form.action)
    url = path.path + (f"?{path.query}" if path.query else "")
    if form.method == "post":
        return client.post(url, data)
    return client.get(url, data)


def _fuzz(label: str, send: Any, failures: list[str], counter: list[int]) -> None:
    @given(value=VALUES)
    @example(value=NUL)
    @example(value=LONG)
    @example(value=ODD)
    @example(value=EMOJI)
    @settings(
        max_examples=EXAMPLES,
        phases=(Phase.explicit, Phase.generate),
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    def run(value: str) -> None:
        resp = send(value)
        counter[0] += 1
        if resp.status_code >= 500:
            failures.append(
                f"{label} = {value[:40]!r}{'…' if len(value) > 40 else ''} → {resp.status_code} {_where(resp)}"
            )

    run()


@pytest.fixture
def world(transactional_db, settings, tmp_path) -> dict[str, Any]:
    """Commune A of the tenant walk, committed (each request autocommits, as in production: on
    PostgreSQL one refused statement would otherwise abort the test's transaction)."""
    # The limiters stay out of the way: a 429 would hide what a field does behind it.
    settings.MOTCUA_LOOKUP_RATE = settings.MOTCUA_SUBMIT_RATE = settings.MOTCUA_TICKET_RATE = "1000000/60"
    settings.MOTCUA_LOOKUP_CODE_FAILURES = settings.AXES_FAILURE_LIMIT = 1_000_000
    settings.MOTCUA_LOGIN_CLIENT_FAILURE_LIMIT = 1_000_000
    return build_world(settings, tmp_path)


@pytest.fixture
def insiders(world) -> dict[str, Client]:
    clients: dict[str, Client] = {"anonymous": Client(raise_request_exception=False)}
    installer = make_user(None, Role.ADMIN, "caidat")
    installer.is_superuser = True  # the installation's administrator: the shared catalogue
    installer.save()
    for role, user in [*world["staff"].items(), ("installation_admin", installer)]:
        client = Client(raise_request_exception=False)
        client.force_login(user)
        clients[role] = client
    return clients


def test_every_form_field_takes_nul_long_and_odd_values_without_a_server_error(world, insiders):
    started = time.monotonic()
    forms = discover_forms(insiders, world)
    crawled = time.monotonic() - started
    names = {urlsplit(f.action).path for _, f in forms}
    # The crawl found the forms that matter (a broken crawl would pass vacuously).
    assert reverse("core:login") in names and reverse("dossiers:intake", args=[world["land"].code]) in names
    assert any("/thao-tac/" in n for n in names) and reverse("registers:jobs") in names
    failures: list[str] = []
    counter = [0]
    n_fields = 0
    for who, form in forms:
        for target in form.names:
            n_fields += 1
            label = f"{who} {form.method.upper()} {urlsplit(form.action).path} [{target}]"
            _fuzz(label, lambda v, f=form, t=target, c=insiders[who]: _submit(c, f, t, v), failures, counter)
    for who, form in forms:
        print(f"  {who:18} {form.method.upper():4} {urlsplit(form.action).path} {form.names}")
    print(f"\ninput fuzz: {len(forms)} forms, {n_fields} fields, {counter[0]} requests "
          f"(crawl {crawled:.1f} s, all {time.monotonic() - started:.1f} s)")  # fmt: skip
    assert not failures, "\n".join(failures)


# --------------------------------------------------------------------------------------------
# the API, from the OpenAPI document
# --------------------------------------------------------------------------------------------


def _resolve(schema: dict[str, Any], components: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = components[schema["$ref"].rsplit("/", 1)[-1]]
    if "allOf" in schema and len(schema["allOf"]) == 1:
        return _resolve(schema["allOf"][0], components)
    return schema


def _minimal(schema: dict[str, Any], components: dict[str, Any], name: str, w: dict[str, Any]) -> Any:
    """A small valid value for a schema (the other fields while one is fuzzed)."""
    schema = _resolve(schema, components)
    if "anyOf" in schema:
        return _minimal(schema["anyOf"][0], components, name, w)
    if "enum" in schema:
        return schema["enum"][0]
    if "default" in schema:
        return schema["default"]
    kind = schema.get("type")
    if kind == "object":
        props = schema.get("properties", {})
        return {k: _minimal(v, components, k, w) for k, v in props.items() if k in schema.get("required", [])}
    if kind == "array":
        return []
    if kind == "integer":
        return 1
    if kind == "boolean":
        return False
    if kind == "number":
        return 1.0
    return _known(w).get(name, "x")


def _known(w: dict[str, Any]) -> dict[str, Any]:
    """Valid values by field name, so that the fuzzed field is the only wrong one."""
    return {
        "procedure_code": w["land"].code,
        "code": w["land"].code,
        "phone": "0905999888",
        "name": "Lê Thị Hoa",
        "center": str(w["commune"].code),
        "group": "A",
        "secret": w["tickets"][0].secret,
    }


def _baseline_query(path: str, name: str, w: dict[str, Any]) -> Any | None:
    """Where a name means another thing than in _known: the lookup's code is a dossier's."""
    if path == "/api/public/lookup" and name == "code":
        return w["dossiers"][0].code
    return None


@dataclass(frozen=True)
class ApiField:
    where: str  # "query", "path" or "body"
    path: tuple[str, ...]  # into the body, or (name,)


def _body_fields(
    schema: dict[str, Any], components: dict[str, Any], prefix: tuple[str, ...]
) -> list[tuple[str, ...]]:
    schema = _resolve(schema, components)
    if schema.get("type") != "object" or "properties" not in schema:
        return [prefix]
    out = []
    for key, sub in schema["properties"].items():
        sub_r = _resolve(sub, components)
        if sub_r.get("type") == "array":
            out.append((*prefix, key, "[]"))
        elif sub_r.get("type") == "object" and "properties" not in sub_r:
            out.append((*prefix, key, "{}"))
        else:
            out += _body_fields(sub, components, (*prefix, key))
    return out


def _with(body: Any, path: tuple[str, ...], value: str) -> Any:
    body = json.loads(json.dumps(body))
    node = body
    for key in path[:-1]:
        if key in ("[]", "{}"):
            break
        node = node.setdefault(key, {})
    last = path[-1]
    if last == "[]":
        node[path[-2]] = [value]
    elif last == "{}":
        node[path[-2]] = {value: value, "ghi_chu": value}
    else:
        node[last] = value
    return body


def _api_client(user: User) -> Client:
    raw = ApiToken.new_raw()
    ApiToken.objects.create(user=user, name="fuzz", key_hash=ApiToken.hash(raw), created_at=clock.now())
    return Client(headers={"Authorization": f"Bearer {raw}"}, raise_request_exception=False)


def test_every_api_field_takes_nul_long_and_odd_values_without_a_server_error(world):
    schema = api.get_openapi_schema()
    components = schema.get("components", {}).get("schemas", {})
    installer = make_user(None, Role.ADMIN, "caidat_api")
    installer.is_superuser = True
    installer.save()
    # Each operation is fuzzed as the first of these its baseline call does not refuse (401/403),
    # so the values reach the code behind the permission check.
    callers = {
        "counter": _api_client(world["staff"]["counter"]),
        "leader": _api_client(world["staff"]["leader"]),
        "installation_admin": _api_client(installer),
        "anonymous": Client(raise_request_exception=False),
    }
    path_values = {
        "dossier_id": world["dossiers"][0].pk,
        "code": world["land"].code,
        "action": "transfer",
        "import_id": world["catalogue_import"].pk,
        "counter_id": world["counter"].pk,
        "ticket_id": world["tickets"][0].pk,
        "appointment_id": world["appointments"][0].pk,
    }
    failures: list[str] = []
    counter = [0]
    n_fields = 0
    for method, path, op in api_operations():
        params = op.get("parameters", [])
        query = {
            p["name"]: _baseline_query(path, p["name"], world)
            or _minimal(p.get("schema", {}), components, p["name"], world)
            for p in params
            if p["in"] == "query" and p.get("required")
        }
        content = (op.get("requestBody") or {}).get("content", {})
        multipart = "multipart/form-data" in content
        body_schema = (content.get("application/json") or content.get("multipart/form-data") or {}).get(
            "schema"
        )
        body = _minimal(body_schema, components, "", world) if body_schema else None
        binary = set()
        if multipart and body_schema:
            props = _resolve(body_schema, components).get("properties", {})
            binary = {k for k, v in props.items() if _resolve(v, components).get("format") == "binary"}
        fields = [ApiField(p["in"], (p["name"],)) for p in params if p["in"] in ("query", "path")]
        if body_schema:
            fields += [ApiField("body", f) for f in _body_fields(body_schema, components, ())]

        def send(client: Client, f: ApiField | None, value: str, method: str = method, path: str = path,
                 query: Any = query, body: Any = body, multipart: bool = multipart, binary: Any = binary) -> Any:  # fmt: skip
            values = dict(path_values)
            q = dict(query)
            if f and f.where == "path":
                values[f.path[0]] = value
            elif f and f.where == "query":
                q[f.path[0]] = value
            url = re.sub(r"\{(\w+)\}", lambda m: _quote(str(values[m.group(1)])), path)
            if method == "GET":
                return client.get(url, q)
            payload = _with(body, f.path, value) if f and f.where == "body" else body
            if multipart:
                data = {k: SimpleUploadedFile(str(v)[:300] or "x", b"x") if k in binary else v
                        for k, v in (payload or {}).items()}  # fmt: skip
                for k in binary - set(data):
                    data[k] = SimpleUploadedFile("danh-muc.xlsx", b"x")
                return client.post(url + _qs(q), data)
            return client.generic(
                method, url + _qs(q), json.dumps(payload if payload is not None else {}),
                content_type="application/json",
            )  # fmt: skip

        who = next(
            (w for w, c in callers.items() if send(c, None, "").status_code not in (401, 403)), "counter"
        )
        print(f"  {method:4} {path} as {who}: {len(fields)} fields")
        for f in fields:
            n_fields += 1
            _fuzz(
                f"{who} {method} {path} {f.where}:{'.'.join(f.path)}",
                lambda v, f=f, c=callers[who], send=send: send(c, f, v),
                failures,
                counter,
            )
    print(f"\napi input fuzz: {len(api_operations())} operations, {n_fields} fields, {counter[0]} calls")
    assert n_fields >= 15
    assert not failures, "\n".join(failures)


def _quote(value: str) -> str:
    from urllib.parse import quote

    return quote(value, safe="")


def _qs(query: dict[str, Any]) -> str:
    from urllib.parse import urlencode

    return ("?" + urlencode(query)) if query else ""
