"""Every use of a library's private or undocumented API, in one place.

An upgrade of Django, psycopg, PostgreSQL or WeasyPrint has this one module to check; each
function has a test of its own (``tests/accounts/test_private_apis.py``) that fails when the
internal it leans on changes. The rest of the code calls these functions and nothing behind them.
It lives in ``accounts`` because both ``accounts`` and ``campaigns`` use it and ``accounts`` may
not import ``campaigns``.

- Django's query compiler: a queryset's SQL to embed in a larger statement, and Django's value
  conversions applied to rows fetched by such a statement; a queryset compiled once and run again
  with other parameter values.
- Django's connection internals: the raw psycopg connection (binary parameters), the backend's
  datetime adaptation, the queries log.
- PostgreSQL planner settings and statistics: ``SET LOCAL`` for a report's transaction,
  ``ANALYZE`` of tables whose statistics are stale.
- Django's Redis cache client: one ``redis.Redis`` per connection pool instead of one per call;
  a read and a counter in one pipelined round trip.
- Django's request handler: its middleware chain built from another list than ``MIDDLEWARE``.
- Django's session store: a new session's key drawn without asking whether it is taken (the
  insert's primary key answers that).
- Django's SMTP backend: the smtplib client it holds (``EmailBackend.connection``), whose DATA
  command the sending engine watches to know whether a message it got no answer for may have
  reached the server.
- WeasyPrint: the user-agent stylesheet hook; a rendered page's text boxes (position, room on
  their line, letter spacing) and the font files behind its PDF font resources, which voucher
  stamping (``campaigns.compensation.voucher_stamp``) reads from its probe layout.
"""

from __future__ import annotations

import datetime as dt
import functools
import smtplib
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, TypeVar

from django.conf import settings
from django.contrib.sessions.backends.base import VALID_KEY_CHARS
from django.contrib.sessions.backends.cached_db import SessionStore as CachedDbSessionBase
from django.core.cache.backends.redis import RedisCache as DjangoRedisCache
from django.core.cache.backends.redis import RedisCacheClient
from django.db import DEFAULT_DB_ALIAS, connection
from django.db.models import Model, QuerySet
from django.utils.crypto import get_random_string

M = TypeVar("M", bound=Model)

# --- Django's query compiler ---------------------------------------------------------------------


def queryset_sql(queryset: QuerySet) -> tuple[str, tuple]:
    """The SQL and parameters Django would send for ``queryset``, to embed as a subquery.

    Public ``str(queryset.query)`` interpolates the parameters; this keeps them apart."""
    return queryset.query.sql_with_params()


class EmbeddedQuery:
    """A ``values_list`` queryset compiled once, for a statement that embeds it and reads its rows.

    ``sql``/``params``: the compiled query. ``convert(rows)``: Django's conversions (JSON, decimals,
    SQLite datetimes, …) applied to rows fetched by the embedding statement, in the column order of
    the queryset; columns after those pass through unchanged."""

    def __init__(self, queryset: QuerySet):
        self._compiler = queryset.query.get_compiler(connection=connection)
        self.sql, self.params = self._compiler.as_sql()

    def convert(self, rows: list) -> list:
        return list(self._compiler.results_iter(results=[rows]))


class PreparedValues:
    """A ``values()`` queryset built and compiled once, run many times with new parameter values.

    Building and compiling a queryset with joins and a subquery costs ~1.5 ms of CPU, five times
    what the database needs to answer it: too much for the API's busiest read (a voucher by its
    code). ``build(**placeholders)`` returns the queryset; each placeholder is passed as a unique
    marker number that must reach the compiled parameters unchanged, or as its digits for a text
    field (a plain ``field=value`` filter). ``first(**values)`` runs the SQL on the current thread's connection (its transaction
    and execute wrappers) and returns the first row as a dict converted as Django would, or None;
    ``all(**values)`` every row.
    The compiled form is kept per database vendor."""

    def __init__(self, build: Callable[..., QuerySet], *placeholders: str):
        self._build, self._placeholders = build, placeholders
        self._compiled: dict[str, tuple[Any, str, tuple, list[str], dict[str, int]]] = {}

    def _compile(self) -> tuple[Any, str, tuple, list[str], dict[str, int]]:
        compiled = self._compiled.get(connection.vendor)
        if compiled is None:
            # a number no query holds: integer fields take it, text fields turn it into its digits
            markers = {name: -(7 * 10**17) - i for i, name in enumerate(self._placeholders)}
            queryset = self._build(**markers)
            query = queryset.query
            compiler = query.get_compiler(connection=connection)
            sql, params = compiler.as_sql()
            positions = {}
            for name, marker in markers.items():
                found = [i for i, value in enumerate(params) if value in (marker, str(marker))]
                if len(found) != 1:
                    raise ValueError(f"placeholder {name!r} is not one parameter of the compiled query")
                positions[name] = found[0]
            names = [*query.extra_select, *query.values_select, *query.annotation_select]
            # Django's value conversions (JSON, decimals, SQLite dates), looked up once, not per row.
            converters = compiler.get_converters([column[0] for column in compiler.select[: compiler.col_count]])
            convert = functools.partial(compiler.apply_converters, converters=converters) if converters else None
            compiled = self._compiled[connection.vendor] = (convert, sql, tuple(params), names, positions)
        return compiled

    def first(self, **values: Any) -> dict | None:
        rows = self._run(values, one=True)
        return rows[0] if rows else None

    def all(self, **values: Any) -> list[dict]:
        """Every row, as ``first`` gives one."""
        return self._run(values, one=False)

    def _run(self, values: dict[str, Any], *, one: bool) -> list[dict]:
        convert, sql, params, names, positions = self._compile()
        bound = list(params)
        for name, position in positions.items():
            bound[position] = values[name]
        with connection.cursor() as cursor:
            cursor.execute(sql, bound)
            rows = cursor.fetchmany(1) if one else cursor.fetchall()
        if convert and rows:
            rows = list(convert(rows))
        return [dict(zip(names, row, strict=True)) for row in rows]


def model_fields(model: type[Model], prefix: str = "") -> list[str]:
    """The names that make ``values(*names)`` read every concrete field of ``model`` (reached by
    ``prefix``, e.g. ``"customer__"``), for ``model_from_values``."""
    return [prefix + field.name for field in model._meta.concrete_fields]


def model_from_values(model: type[M], row: dict, prefix: str = "") -> M:
    """The model instance a ``values(*model_fields(model, prefix))`` row holds, as a queryset
    would have loaded it (``Model.from_db``: saved, on the default database)."""
    fields = model._meta.concrete_fields
    return model.from_db(
        DEFAULT_DB_ALIAS, [field.attname for field in fields], [row[prefix + field.name] for field in fields]
    )


# --- Django's connection internals ---------------------------------------------------------------


def db_datetime(value: dt.datetime) -> Any:
    """An aware datetime as this backend stores it, for a parameter of hand-written SQL."""
    return connection.ops.adapt_datetimefield_value(value)


def execute_binary(sql: str, params: Sequence[Any], *, fetch: bool = False) -> list[tuple]:
    """One statement with binary parameters on Django's PostgreSQL connection (same transaction).

    Django's cursor binds parameters client-side, quoting every array element in Python (~70 µs
    a text value); binary parameters of a psycopg cursor on the raw connection cost ~1 µs. Errors
    surface as Django's (``IntegrityError``, …) and the statement is logged like Django's own, so
    ``assertNumQueries`` and the debug toolbar still count it."""
    import psycopg

    connection.ensure_connection()
    start = time.monotonic()
    with connection.wrap_database_errors, psycopg.Cursor(connection.connection) as cursor:

        def execute(sql, params, many, context):
            return cursor.execute(sql, params)

        # Through Django's execute wrappers too, as its own cursor does, so that whatever counts
        # or watches statements (connection.execute_wrapper) sees this one.
        for wrapper in reversed(connection.execute_wrappers):
            execute = functools.partial(wrapper, execute)
        execute(sql, params, False, {"connection": connection, "cursor": cursor})
        rows = [tuple(row) for row in cursor.fetchall()] if fetch else []
    if connection.queries_logged:
        connection.queries_log.append({"sql": sql, "time": f"{time.monotonic() - start:.3f}"})
    return rows


# --- PostgreSQL planner settings and statistics --------------------------------------------------


@contextmanager
def planner_settings(**values: str) -> Iterator[None]:
    """``SET LOCAL name = value`` for the rest of the current transaction (PostgreSQL only; a no-op
    elsewhere). Call inside ``transaction.atomic()``: outside a transaction SET LOCAL does nothing."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            for name, value in values.items():
                # set_config(…, true) is SET LOCAL with the value as a parameter.
                cursor.execute("SELECT set_config(%s, %s, true)", [name, value])
    yield


def analyze_stale(tables: Sequence[str], *, growing: dict[str, int] | None = None) -> list[str]:
    """ANALYZE those of ``tables`` whose planner statistics are missing or more than 10 % out of date;
    return their names (PostgreSQL only; elsewhere nothing).

    The activity counters lag (a backend reports them at most once a second): ``growing`` names
    tables that just got rows, with their number, judged against the table's size at its last
    ANALYZE."""
    if connection.vendor != "postgresql":
        return []
    growing = growing or {}
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT s.relname FROM pg_stat_user_tables s JOIN pg_class c ON c.oid = s.relid "
            "LEFT JOIN unnest(%s::text[], %s::bigint[]) AS g(relname, added) ON g.relname = s.relname "
            "WHERE s.relname = ANY(%s) AND ((s.last_analyze IS NULL AND s.last_autoanalyze IS NULL) "
            "OR s.n_mod_since_analyze > 0.1 * GREATEST(s.n_live_tup, 1000) "
            "OR COALESCE(g.added, 0) > 0.1 * GREATEST(c.reltuples, 1000)) ORDER BY s.relname",
            [list(growing), list(growing.values()), list(tables)],
        )
        stale = [name for (name,) in cursor.fetchall()]
        if stale:
            cursor.execute("ANALYZE " + ", ".join(connection.ops.quote_name(name) for name in stale))
    return stale


# --- Django's Redis cache client -----------------------------------------------------------------


class RedisCache(DjangoRedisCache):
    """Django's Redis cache, with one ``redis.Redis`` client per connection pool.

    Django's client builds a new ``redis.Redis`` for every cache call, and redis-py fills ~170
    response callbacks into each (about 0.25 ms of CPU): two such calls (token and rate limit)
    cost an API request as much as its query. The pools, connections and results are Django's own.
    (``CACHES`` names this class; each thread has its own cache object, so each its own clients.)"""

    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = _ReusingRedisClient


class _ReusingRedisClient(RedisCacheClient):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._clients: dict[int, Any] = {}

    def get_client(self, key=None, *, write=False):
        pool = self._get_connection_pool(write)  # type: ignore[attr-defined]
        client = self._clients.get(id(pool))
        if client is None:
            client = self._clients[id(pool)] = self._client(connection_pool=pool)  # type: ignore[attr-defined]
        return client


def cache_get_and_count(key: str, counter: str, *, timeout: int) -> tuple[Any, int]:
    """``cache.get(key)`` and the counter ``counter`` incremented (created at 0 with ``timeout``
    seconds to live when missing) in one round trip with ``RedisCache``; with any other cache
    (local memory in development) through the public API."""
    from django.core.cache import caches

    cache = caches["default"]  # the backend itself: ``django.core.cache.cache`` is a proxy
    if not isinstance(cache, RedisCache):
        cache.add(counter, 0, timeout=timeout)
        return cache.get(key), cache.incr(counter)
    client = cache._cache
    counter_key = cache.make_and_validate_key(counter)
    pipeline = client.get_client(write=True).pipeline(transaction=False)
    pipeline.get(cache.make_and_validate_key(key))
    pipeline.set(counter_key, 0, ex=timeout, nx=True)
    pipeline.incr(counter_key)
    value, _, count = pipeline.execute()
    if value is not None:
        value = client._serializer.loads(value)  # type: ignore[attr-defined]
    return value, count


# --- Django's session store ----------------------------------------------------------------------


class SessionStore(CachedDbSessionBase):
    """Django's ``cached_db`` sessions without the look-up before each new session key.

    Named ``SessionStore`` as Django's own: the class name is part of the salt sessions are signed
    with, so sessions stored by Django's store stay readable and the other way round.

    Django asks the cache and then the database whether a random 32-character key is taken before
    creating a session with it; the insert that follows is refused by the table's primary key if it
    were, and ``create()`` then draws again (``CreateError``). The morning after a mailing hundreds of
    customers sign in each minute: the question cost each sign-in a cache round trip and a query.
    (``SessionBase._get_new_session_key`` is private; ``accounts.session_store`` names this class.)"""

    def _get_new_session_key(self) -> str:
        return get_random_string(32, VALID_KEY_CHARS)


# --- Django's request handler ----------------------------------------------------------------------


@contextmanager
def middleware_setting(paths: list[str]) -> Iterator[None]:
    """``settings.MIDDLEWARE`` reads as ``paths`` inside the block: ``BaseHandler.load_middleware``
    builds a handler's chain from the setting as it stands when it runs. Only for building a
    handler at start-up (one thread, before any request)."""
    saved = settings.MIDDLEWARE
    settings.MIDDLEWARE = paths
    try:
        yield
    finally:
        settings.MIDDLEWARE = saved


# --- WeasyPrint ------------------------------------------------------------------------------


def html_class_with_user_agent_css(user_agent_css: Any) -> type:
    """A ``weasyprint.HTML`` subclass that uses ``user_agent_css`` (a ``weasyprint.CSS``) instead of
    WeasyPrint's default user-agent stylesheet, whose thousands of rules cost a third of a small
    document's rendering. WeasyPrint (pinned 70.0) has no public option for it; should the private
    hook go away, the default stylesheet applies again and only speed is lost."""
    from weasyprint import HTML

    class LeanHTML(HTML):
        def _ua_stylesheets(self, forms: bool = False) -> list:
            return [user_agent_css]

    return LeanHTML


# Style values under which a text box's glyphs depend on nothing but its text, font, size and
# letter spacing.
PLAIN_TEXT_STYLE = {
    "text_transform": "none",
    "white_space": "normal",
    "direction": "ltr",
    "word_spacing": 0,
    "font_feature_settings": "normal",
    "font_variant_ligatures": "normal",
    "font_variant_caps": "normal",
    "font_kerning": "auto",
    "text_decoration_line": "none",  # an underline is drawn as wide as the probe's text
}


@dataclass(frozen=True)
class TextBoxInfo:
    text: str
    line: int  # identifies the line box it sits on
    x: float  # CSS px from the page's left edge
    right_limit: float  # the right edge of the content box of the block the line belongs to
    letter_spacing: float  # CSS px, 0 for "normal"
    plain: bool  # no style that changes glyphs beyond font, size and letter spacing
    left_aligned: bool


def page_text_boxes(document: Any, page_number: int = 0) -> list[TextBoxInfo]:
    """The text boxes of a rendered ``weasyprint.Document`` page in drawing order, each with the
    width its line may take (the laid-out box tree, ``Page._page_box``, is private)."""
    from weasyprint.formatting_structure import boxes

    found: list[TextBoxInfo] = []

    def walk(box: Any, block: Any, line: Any) -> None:
        if isinstance(box, boxes.BlockContainerBox):
            block = box
        if isinstance(box, boxes.LineBox):
            line = box
        if isinstance(box, boxes.TextBox):
            style = box.style
            found.append(
                TextBoxInfo(
                    text=box.text,
                    line=id(line),
                    x=box.position_x,
                    right_limit=block.content_box_x() + block.width,
                    letter_spacing=0.0 if style["letter_spacing"] == "normal" else float(style["letter_spacing"]),
                    plain=all(style[key] == value for key, value in PLAIN_TEXT_STYLE.items()),
                    left_aligned=style["text_align_all"] in ("start", "left"),
                )
            )
        for child in getattr(box, "children", ()):
            walk(child, block, line)

    walk(document.pages[page_number]._page_box, None, None)
    return found


def font_files(document: Any) -> dict[str, bytes]:
    """The complete font file behind each font resource name (``/UWGIWA``) of a rendered
    ``weasyprint.Document``; call it after ``write_pdf``, when WeasyPrint has registered the fonts
    it drew with (``Document.fonts`` and its ``Font`` objects are private)."""
    from weasyprint.text.fonts import get_hb_object_data

    return {font.hash: bytes(get_hb_object_data(font.hb_face)) for font in document.fonts.values()}


# --- Django's SMTP backend -----------------------------------------------------------------------


@dataclass
class SmtpDataWatch:
    """Whether the DATA command of the message being sent was started (set by the watched
    connection, reset by the caller before each message)."""

    started: bool = False


def smtp_data_watch(backend: Any) -> SmtpDataWatch:
    """A watch on an opened Django SMTP backend: ``started`` turns true when its smtplib client
    sends DATA. Once DATA has gone, the message's content may be with the server even if no answer
    comes back (a dropped connection, a timeout): such a hand-over is in doubt. Another backend
    (files, an ESP's API) has no smtplib client, and its watch never starts."""
    watch = SmtpDataWatch()
    client = getattr(backend, "connection", None)
    if isinstance(client, smtplib.SMTP):
        data = client.data

        def watched_data(msg):
            watch.started = True
            return data(msg)

        client.data = watched_data  # type: ignore[method-assign]
    return watch
