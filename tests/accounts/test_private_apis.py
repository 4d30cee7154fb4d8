"""Each private API the product leans on, checked on its own: these fail first when an upgrade of
Django, psycopg, PostgreSQL or WeasyPrint changes what is behind them."""

import datetime as dt
import io

import pytest
from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.test.utils import CaptureQueriesContext
from pypdf import PdfReader

from accounts import private_apis
from accounts.models import Customer
from accounts.private_apis import (
    EmbeddedQuery,
    analyze_stale,
    db_datetime,
    execute_binary,
    html_class_with_user_agent_css,
    planner_settings,
    queryset_sql,
    smtp_data_watch,
)
from campaigns.compensation.models import CompensationPolicy
from tests.factories import CustomerFactory


def test_queryset_sql_embeds_as_a_subquery_with_its_parameters_apart(db):
    # given two customers, a queryset that selects one of them
    CustomerFactory(number="K-1")
    CustomerFactory(number="K-2")
    sql, params = queryset_sql(Customer.objects.filter(number="K-2").values_list("number"))

    # when its SQL is embedded in a statement of our own
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT COUNT(*), MIN(q.number) FROM ({sql}) q", params)
        row = cursor.fetchone()

    # then it selects what the queryset selects, the value passed as a parameter
    assert row == (1, "K-2")
    assert "K-2" in params and "K-2" not in sql


def test_embedded_query_converts_fetched_rows_like_django_and_passes_extra_columns(db):
    # given a JSON column, which PostgreSQL hands a raw cursor as text
    policy = CompensationPolicy.objects.create(name="p", version=1, kind="tiered", params={"tiers": [1, 8]})
    query = EmbeddedQuery(CompensationPolicy.objects.filter(pk=policy.pk).values_list("id", "params"))

    # when a statement of our own embeds the query and adds a column
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT q.*, 7 FROM ({query.sql}) q", query.params)
        rows = [tuple(row) for row in query.convert(cursor.fetchall())]

    # then the JSON comes back as Python data, the added column as it was
    assert rows == [(policy.pk, {"tiers": [1, 8]}, 7)]


def test_db_datetime_is_a_parameter_the_backend_stores_as_that_moment(db):
    customer = CustomerFactory()
    moment = dt.datetime(2005, 12, 31, 23, 30, tzinfo=dt.UTC)

    with connection.cursor() as cursor:
        cursor.execute("UPDATE accounts_customer SET created_at = %s WHERE id = %s", [db_datetime(moment), customer.pk])

    customer.refresh_from_db()
    assert customer.created_at == moment


@pytest.mark.postgres
def test_execute_binary_sends_arrays_as_binary_parameters_logged_like_django(db):
    with CaptureQueriesContext(connection) as queries:
        rows = execute_binary("SELECT u FROM unnest(%b::text[]) AS u", [["a", "b'c", "ä"]], fetch=True)

    assert rows == [("a",), ("b'c",), ("ä",)]
    assert len(queries) == 1
    assert "unnest" in queries[0]["sql"]


@pytest.mark.postgres
def test_execute_binary_goes_through_djangos_execute_wrappers(db):
    seen = []

    def watch(execute, sql, params, many, context):
        seen.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(watch):
        rows = execute_binary("SELECT u FROM unnest(%b::int[]) AS u", [[1, 2]], fetch=True)

    assert rows == [(1,), (2,)]
    assert seen == ["SELECT u FROM unnest(%b::int[]) AS u"]


@pytest.mark.postgres
def test_execute_binary_raises_django_errors_in_the_same_transaction(db):
    CustomerFactory(number="K-1")

    with pytest.raises(IntegrityError), transaction.atomic():
        execute_binary(
            "INSERT INTO accounts_customer (number, name, language, currency, time_zone, created_at) "
            "SELECT n, 'x', 'de', 'CHF', 'Europe/Zurich', now() FROM unnest(%b::text[]) AS n",
            [["K-2", "K-1"]],
        )

    assert sorted(Customer.objects.values_list("number", flat=True)) == ["K-1"]


def _show(name: str) -> str:
    with connection.cursor() as cursor:
        cursor.execute(f"SHOW {name}")
        return cursor.fetchone()[0]


@pytest.mark.postgres
def test_planner_settings_hold_for_the_transaction_only(transactional_db):
    with transaction.atomic():
        with planner_settings(enable_mergejoin="off", work_mem="64MB", jit="off"):
            inside = (_show("enable_mergejoin"), _show("work_mem"), _show("jit"))
        still_in_transaction = _show("enable_mergejoin")

    assert inside == ("off", "64MB", "off")
    assert still_in_transaction == "off"  # SET LOCAL: until the transaction ends
    assert _show("enable_mergejoin") == "on"


@pytest.mark.postgres
def test_analyze_stale_analyzes_only_named_tables_without_statistics(transactional_db):
    # given two tables with rows, never analysed (reltuples -1)
    with connection.cursor() as cursor:
        for table in ("probe_named", "probe_other"):
            cursor.execute(f"CREATE TABLE {table} AS SELECT generate_series(1, 3) AS n")
    try:
        # when the named one is checked
        analyzed = analyze_stale(["probe_named"])

        # then it is analysed (the planner now knows its 3 rows), the other is left alone
        assert analyzed == ["probe_named"]
        with connection.cursor() as cursor:
            cursor.execute("SELECT relname, reltuples FROM pg_class WHERE relname LIKE 'probe_%' ORDER BY relname")
            assert cursor.fetchall() == [("probe_named", 3.0), ("probe_other", -1.0)]

        # and rows just added count in, however the lagging activity counters see them
        assert analyze_stale(["probe_named"], growing={"probe_named": 5_000}) == ["probe_named"]
    finally:
        with connection.cursor() as cursor:
            cursor.execute("DROP TABLE probe_named, probe_other")


def _pdf_text(html_class, markup: str) -> str:
    pdf = html_class(string=markup).write_pdf()
    return "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


def test_html_class_with_user_agent_css_replaces_weasyprints_default_stylesheet():
    from weasyprint import CSS, HTML

    markup = "<html><head><title>Title</title></head><body><p>Body</p></body></html>"
    # Without the default stylesheet, only what ours says is displayed: here the title, not the body.
    lean = html_class_with_user_agent_css(CSS(string="html, head, title { display: block } body { display: none }"))

    assert _pdf_text(HTML, markup).strip() == "Body"
    assert _pdf_text(lean, markup).strip() == "Title"


# --- WeasyPrint: what voucher stamping reads from a probe layout ---

PAGE = """<html><body style="margin: 0; font-family: 'DejaVu Sans'; font-size: 12px">
<p style="margin: 0 100px 0 0">Łódź <span style="letter-spacing: 2px">Dvořák</span></p>
<img class="qr big" style="position: absolute; left: 10px; top: 20px; width: 30px; height: 40px"
  src="data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAAAAAA6fptVAAAACklEQVR4nGP4DwABAQEAG7buVgAAAABJRU5ErkJggg==">
<p style="text-transform: uppercase; text-align: right">loud</p>
</body></html>"""
PAGE_CSS = "@page { size: 400px 300px; margin: 0 }"


def rendered():
    from weasyprint import CSS, HTML

    document = HTML(string=PAGE).render(stylesheets=[CSS(string=PAGE_CSS)])
    document.write_pdf()
    return document


def test_text_boxes_with_their_line_room_and_style():
    boxes = private_apis.page_text_boxes(rendered())

    texts = [(box.text, box.letter_spacing, box.plain, box.left_aligned) for box in boxes if box.text.strip()]
    assert texts == [("Łódź ", 0.0, True, True), ("Dvořák", 2.0, True, True), ("LOUD", 0.0, False, False)]
    first, second = boxes[0], boxes[1]
    assert first.line == second.line
    assert first.x == 0 and second.x > first.x
    assert first.right_limit == 300  # 400 px page, 100 px right margin on the paragraph


def test_font_files_are_the_complete_files_by_resource_name():
    files = private_apis.font_files(rendered())

    (data,) = files.values()
    with open("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf", "rb") as handle:
        assert data == handle.read()
    assert len(next(iter(files))) == 6  # the name the PDF's /Font resources use


@pytest.mark.redis
def test_redis_cache_keeps_one_client_per_pool_and_works_as_djangos(settings, redis_url):
    from django.core.cache import caches

    settings.CACHES = {
        "default": {"BACKEND": "accounts.private_apis.RedisCache", "LOCATION": redis_url, "KEY_PREFIX": "t-private"}
    }
    cache = caches["default"]
    client = cache._cache.get_client()
    assert cache._cache.get_client(write=True) is client
    assert client.connection_pool is cache._cache._get_connection_pool(False)
    cache.set("k", {"a": 1}, 30)
    cache.add("n", 0, 30)
    assert (cache.get("k"), cache.incr("n"), cache.incr("n")) == ({"a": 1}, 1, 2)
    cache.delete_many(["k", "n"])
    assert cache.get("k") is None


def test_middleware_setting_builds_a_handler_from_another_list_and_restores_the_setting(settings):
    from django.core.handlers.base import BaseHandler

    before = list(settings.MIDDLEWARE)
    handler = BaseHandler()
    with private_apis.middleware_setting(["django.middleware.csrf.CsrfViewMiddleware"]):
        handler.load_middleware()

    assert before == settings.MIDDLEWARE
    # one middleware with a view hook: the chain holds CSRF only
    assert [hook.__self__.__class__.__name__ for hook in handler._view_middleware] == ["CsrfViewMiddleware"]
    assert handler._middleware_chain.__wrapped__.__class__.__name__ == "CsrfViewMiddleware"


def test_smtp_data_watch_sees_the_data_command_of_djangos_smtp_backend():
    # given Django's SMTP backend opened on a listener that refuses one address at RCPT
    import smtplib

    from django.core.mail import EmailMessage, get_connection

    from tests.campaigns.mailings.loopback import Inbox, smtp_listener

    inbox = Inbox(refuse={"refused@example.ch": "550 5.1.1 no such user"})
    listener = smtp_listener(inbox)
    backend = get_connection("django.core.mail.backends.smtp.EmailBackend", host="127.0.0.1", port=listener.port)
    try:
        backend.open()
        watch = smtp_data_watch(backend)
        # when the refused message is sent: DATA never starts
        with pytest.raises(smtplib.SMTPRecipientsRefused):
            backend.send_messages([EmailMessage("s", "b", "from@example.ch", ["refused@example.ch"])])
        assert watch.started is False
        # when an accepted one is sent on the same connection: it does
        backend.send_messages([EmailMessage("s", "b", "from@example.ch", ["taken@example.ch"])])
        assert watch.started is True
        assert inbox.counts() == {"taken@example.ch": 1}
    finally:
        backend.close()
        listener.stop()


def test_smtp_data_watch_of_another_backend_never_starts():
    from django.core.mail import get_connection

    backend = get_connection("django.core.mail.backends.locmem.EmailBackend")
    backend.open()
    assert smtp_data_watch(backend).started is False


@pytest.mark.redis
def test_cache_get_and_count_reads_and_counts_in_one_round_trip(settings, redis_url):
    from django.core.cache import caches

    settings.CACHES = {
        "default": {"BACKEND": "accounts.private_apis.RedisCache", "LOCATION": redis_url, "KEY_PREFIX": "t-count"}
    }
    cache = caches["default"]
    cache.delete_many(["k", "n"])
    cache.set("k", {"a": 1}, 30)
    client = cache._cache.get_client(write=True)
    sent = []
    original = client.pipeline

    def pipeline(*args, **kwargs):
        sent.append("pipeline")
        return original(*args, **kwargs)

    client.pipeline = pipeline
    try:
        assert private_apis.cache_get_and_count("k", "n", timeout=30) == ({"a": 1}, 1)
        assert private_apis.cache_get_and_count("missing", "n", timeout=30) == (None, 2)
    finally:
        del client.pipeline
    assert sent == ["pipeline", "pipeline"]
    assert 0 < client.ttl(cache.make_and_validate_key("n")) <= 30
    assert cache.get("n") == 2  # the counter is an integer Django's cache reads too
    cache.delete_many(["k", "n"])


def test_cache_get_and_count_through_any_other_cache(settings):
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "count"}}
    from django.core.cache import caches

    caches["default"].set("k", "v", 30)
    assert private_apis.cache_get_and_count("k", "n", timeout=30) == ("v", 1)
    assert private_apis.cache_get_and_count("k", "n", timeout=30) == ("v", 2)


def test_prepared_values_compiles_once_and_converts_rows_like_django(db):
    # given a JSON column and a values() queryset with a placeholder
    first = CompensationPolicy.objects.create(name="p", version=1, kind="tiered", params={"tiers": [1, 8]})
    second = CompensationPolicy.objects.create(name="q", version=1, kind="tiered", params={})
    prepared = private_apis.PreparedValues(
        lambda name: CompensationPolicy.objects.filter(name=name).values("id", "params", label=F("name"))[:1],
        "name",
    )

    # when it runs with one value, then another, then one no row has
    rows = [prepared.first(name="p"), prepared.first(name="q"), prepared.first(name="nobody")]
    with CaptureQueriesContext(connection) as queries:
        again = prepared.first(name="p")

    # then each answer is the row Django's values() would give, the SQL compiled only once
    assert rows == [
        {"id": first.pk, "params": {"tiers": [1, 8]}, "label": "p"},
        {"id": second.pk, "params": {}, "label": "q"},
        None,
    ]
    assert again == rows[0] and len(queries) == 1
    assert len(prepared._compiled) == 1


def test_prepared_values_refuses_a_placeholder_the_compiler_changed(db):
    prepared = private_apis.PreparedValues(
        lambda name: Customer.objects.filter(name__icontains=name).values("id"), "name"
    )
    with pytest.raises(ValueError, match="placeholder 'name'"):
        prepared.first(name="x")


def test_prepared_values_all_rows_and_integer_placeholders_make_the_instances_a_queryset_makes(db):
    # given two customers with contacts, read through one compiled query with an integer placeholder
    from accounts.models import Contact
    from tests.factories import ContactFactory

    first = ContactFactory(customer=CustomerFactory(name="Muster AG"), email="a@example.ch")
    ContactFactory(customer=first.customer, email="b@example.ch")
    other = ContactFactory(email="c@example.ch")
    prepared = private_apis.PreparedValues(
        lambda customer: (
            Contact.objects.filter(customer=customer)
            .order_by("email")
            .values(*private_apis.model_fields(Contact), *private_apis.model_fields(Customer, "customer__"))
        ),
        "customer",
    )

    # when it runs for one customer, then the other
    rows = prepared.all(customer=first.customer_id)
    with CaptureQueriesContext(connection) as queries:
        others = prepared.all(customer=other.customer_id)
        built = [private_apis.model_from_values(Contact, row) for row in rows]
        customer = private_apis.model_from_values(Customer, rows[0], "customer__")

    # then the rows are each customer's own, and the instances equal what the ORM loads, saved state included
    expected = list(Contact.objects.filter(customer=first.customer).order_by("email"))
    assert {"a@example.ch", "b@example.ch"} <= {row["email"] for row in rows}
    assert [row["email"] for row in rows] == [contact.email for contact in expected]
    assert "c@example.ch" in [row["email"] for row in others] and "a@example.ch" not in str(others)
    assert built == expected
    assert [c.__dict__.get("password") for c in built] == [c.password for c in expected]
    assert customer == first.customer and customer.name == "Muster AG"
    assert not built[0]._state.adding and built[0]._state.db == "default"
    assert len(queries) == 1
