"""Hostile request bodies on every endpoint that takes one: a 4xx problem, never a 500.

Deeply nested JSON is a 400 `validation_error`; a body over
DATA_UPLOAD_MAX_MEMORY_SIZE is a 413 `payload_too_large`, refused before it is
read; a body that is not JSON is a 415; bytes that are not UTF-8 are a 400.
"""

import io
import json

import pytest
from django.core.exceptions import RequestDataTooBig
from django.test import Client
from django.urls import reverse
from rest_framework.exceptions import ParseError
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import RefreshToken

from favorites_project.parsers import JSONParser, json_depth
from favorites_project.testing import (
    PROBLEM_CONTENT_TYPE,
    CountingStream,
    assert_no_traceback_logged,
    assert_problem,
    raw_http,
    raw_request,
    wsgi_request,
)
from favorites_project.wsgi import application

pytestmark = pytest.mark.django_db

SMALL_LIMIT = 4096

# Every endpoint that reads a body, and who calls it: the anonymous ones as
# anybody may, the others as a caller allowed to use them.
BODY_ENDPOINTS = [
    pytest.param("post", "auth-register", None, "anonymous", id="register"),
    pytest.param("post", "auth-token", None, "anonymous", id="token"),
    pytest.param("post", "auth-token-refresh", None, "anonymous", id="token-refresh"),
    pytest.param("post", "auth-token-blacklist", None, "anonymous", id="token-blacklist"),
    pytest.param("post", "customer-list", None, "staff", id="customers-create"),
    pytest.param("put", "customer-detail", {"pk": "me"}, "customer", id="customer-put"),
    pytest.param("patch", "customer-detail", {"pk": "me"}, "customer", id="customer-patch"),
    pytest.param("post", "favorite-list", {"customer_id": "me"}, "customer", id="favorites-create"),
]


@pytest.fixture
def client_as(customer, staff):
    """A client for `anonymous`, `customer` or `staff`."""

    def make(who: str) -> APIClient:
        client = APIClient()
        user = {"anonymous": None, "customer": customer, "staff": staff}[who]
        if user is not None:
            token = RefreshToken.for_user(user).access_token
            client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
        return client

    return make


def send(client, method, url_name, kwargs, body: bytes, content_type="application/json", **extra):
    return client.generic(
        method.upper(), reverse(url_name, kwargs=kwargs), body, content_type=content_type, **extra
    )


@pytest.mark.parametrize(("method", "url_name", "kwargs", "who"), BODY_ENDPOINTS)
@pytest.mark.parametrize(
    "body",
    [
        pytest.param(b"[" * 100_000, id="unclosed-arrays"),
        pytest.param(b"[" * 5_000 + b"]" * 5_000, id="closed-arrays"),
        pytest.param(b'{"a":' * 50_000 + b"1" + b"}" * 50_000, id="objects"),
    ],
)
def test_deeply_nested_json_is_a_400_validation_error_without_a_traceback(
    client_as, caplog, method, url_name, kwargs, who, body
):
    response = send(client_as(who), method, url_name, kwargs, body)

    body = assert_problem(response, 400, "validation_error")
    assert "nested" in body["detail"]
    assert_no_traceback_logged(caplog)


@pytest.mark.parametrize(("method", "url_name", "kwargs", "who"), BODY_ENDPOINTS)
def test_a_body_over_the_upload_limit_is_a_413(
    client_as, settings, caplog, method, url_name, kwargs, who
):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = SMALL_LIMIT
    body = b'{"name": "' + b"x" * SMALL_LIMIT + b'"}'

    response = send(client_as(who), method, url_name, kwargs, body)

    problem = assert_problem(response, 413, "payload_too_large")
    assert str(SMALL_LIMIT) in problem["detail"]
    assert_no_traceback_logged(caplog)


@pytest.mark.parametrize(("method", "url_name", "kwargs", "who"), BODY_ENDPOINTS)
def test_a_declared_length_over_the_limit_is_refused_before_reading(
    client_as, settings, method, url_name, kwargs, who
):
    # The test client's payload refuses to be read past its two bytes: reading
    # before checking Content-Length would fail loudly instead of answering 413.
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = SMALL_LIMIT

    response = send(
        client_as(who), method, url_name, kwargs, b"{}", CONTENT_LENGTH=str(SMALL_LIMIT + 1)
    )

    assert_problem(response, 413, "payload_too_large")


def test_a_body_exactly_at_the_limit_is_read(api_client, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = SMALL_LIMIT
    body = b'{"refresh": "not-a-token"}'
    body += b" " * (SMALL_LIMIT - len(body))

    response = send(api_client, "post", "auth-token-refresh", None, body)

    assert_problem(response, 401, "authentication_failed")


@pytest.mark.parametrize(("method", "url_name", "kwargs", "who"), BODY_ENDPOINTS)
@pytest.mark.parametrize(
    "content_type",
    [
        "application/x-www-form-urlencoded",
        "multipart/form-data; boundary=xyz",
        "text/plain",
        "application/xml",
        "application/json-patch+json",
    ],
)
def test_a_body_that_is_not_json_is_a_415(client_as, method, url_name, kwargs, who, content_type):
    response = send(client_as(who), method, url_name, kwargs, b"name=a", content_type=content_type)

    assert_problem(response, 415, "unsupported_media_type")


@pytest.mark.parametrize(("method", "url_name", "kwargs", "who"), BODY_ENDPOINTS)
@pytest.mark.parametrize(
    "body",
    [
        pytest.param(b'{"name": "\xff\xfe"}', id="invalid-bytes"),
        pytest.param(b'{"name": "\xc3"}', id="truncated-sequence"),
        pytest.param(b'{"name": "\xed\xa0\x80"}', id="encoded-surrogate"),
        pytest.param("{}".encode("utf-16"), id="utf-16"),
    ],
)
def test_json_that_is_not_utf8_is_a_400(client_as, caplog, method, url_name, kwargs, who, body):
    response = send(client_as(who), method, url_name, kwargs, body)

    assert_problem(response, 400, "validation_error")
    assert_no_traceback_logged(caplog)


@pytest.mark.parametrize(("method", "url_name", "kwargs", "who"), BODY_ENDPOINTS)
def test_a_charset_that_is_not_a_text_encoding_is_a_400(client_as, method, url_name, kwargs, who):
    # bz2 would decompress a small body into a huge one after the size check.
    content_type = "application/json; charset=bz2_codec"

    response = send(client_as(who), method, url_name, kwargs, b"{}", content_type=content_type)

    body = assert_problem(response, 400, "validation_error")
    assert "charset" in body["detail"]


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/customers/?search=%FF%FE",
        "/api/v1/customers/?page=%FF",
        "/api/v1/customers/?page_size=%C3",
        "/api/v1/customers/me/favorites/?available=%FF",
        "/api/v1/customers/me/favorites/?page=%ED%A0%80",
        "/api/v1/products/?page=%FF",
        "/api/v1/customers/%FF/",
        "/api/v1/customers/me/favorites/%FF%FE/",
        "/api/v1/products/%FF/",
        "/api/v1/%C3%28/",
        "/%FF",
    ],
)
def test_bytes_that_are_not_utf8_in_paths_and_queries_are_never_a_500(client_as, caplog, path):
    response = client_as("customer").get(path)

    assert 200 <= response.status_code < 500
    if response.status_code >= 400:
        assert response["Content-Type"] == PROBLEM_CONTENT_TYPE
    assert_no_traceback_logged(caplog)


@pytest.mark.parametrize(
    "target",
    [
        b"/api/v1/\xff\xfe/",
        b"/api/v1/customers/\xc3(/",
        b"/api/v1/customers/me/favorites/\xe9t\xe9/",
        b"/api/v1/customers/?search=\xff\xfe",
        # An encoded surrogate (U+DFFF; the test server's own parser splits on \xa0).
        b"/api/v1/customers/me/favorites/?available=\xed\xbf\xbf",
        b"/api/v1/products/?page=\xff",
    ],
)
def test_raw_bytes_that_are_not_utf8_in_the_request_line_are_never_a_500_on_a_live_server(
    live_server, customer, target
):
    token = RefreshToken.for_user(customer).access_token
    head = b"GET " + target + b" HTTP/1.1\r\nHost: 127.0.0.1\r\n"
    head += f"Authorization: Bearer {token}\r\n".encode()

    status, headers, _ = raw_http(live_server.url, head)

    assert 200 <= status < 500
    if status >= 400:
        assert headers["Content-Type"] == PROBLEM_CONTENT_TYPE


def test_the_parser_reads_a_stream_of_unknown_length_only_to_one_byte_past_the_limit(settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = SMALL_LIMIT
    stream = CountingStream(b"[" + b" " * (SMALL_LIMIT * 10) + b"]")

    with pytest.raises(RequestDataTooBig):
        JSONParser().parse(stream, parser_context={})

    assert stream.read_so_far == SMALL_LIMIT + 1


def chunked_post(path: str, stream) -> tuple[str, dict, bytes]:
    """A POST whose body came chunked, as gunicorn hands it to the application."""
    return wsgi_request(
        application,
        "POST",
        path,
        {
            "CONTENT_TYPE": "application/json",
            "HTTP_TRANSFER_ENCODING": "chunked",
            "wsgi.input": stream,
            "wsgi.input_terminated": True,
        },
    )


@pytest.mark.django_db(transaction=True)  # the real handler closes connections between requests
def test_a_chunked_body_within_the_limit_is_read():
    status, _, content = chunked_post(
        reverse("auth-token-refresh"), CountingStream(b'{"refresh": "not-a-token"}')
    )

    # Read and checked: not "refresh: This field is required."
    assert status.startswith("401 ")
    assert json.loads(content)["code"] == "authentication_failed"


@pytest.mark.django_db(transaction=True)
def test_a_chunked_body_over_the_limit_is_a_413_read_only_to_one_byte_past_it(settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = SMALL_LIMIT
    stream = CountingStream(b'{"refresh": "' + b"x" * (SMALL_LIMIT * 10) + b'"}')

    status, headers, content = chunked_post(reverse("auth-token-refresh"), stream)

    assert status.startswith("413 ")
    assert headers["Content-Type"] == PROBLEM_CONTENT_TYPE
    assert json.loads(content)["code"] == "payload_too_large"
    assert stream.read_so_far == SMALL_LIMIT + 1


def test_json_at_the_depth_limit_parses_and_one_level_more_does_not(settings):
    settings.JSON_MAX_DEPTH = 5
    parser = JSONParser()

    assert parser.parse(io.BytesIO(b"[[[[[1]]]]]"), parser_context={}) == [[[[[1]]]]]
    with pytest.raises(ParseError, match="nested deeper than 5"):
        parser.parse(io.BytesIO(b"[[[[[[1]]]]]]"), parser_context={})


def test_brackets_in_strings_past_the_depth_limit_are_not_nesting(settings):
    settings.JSON_MAX_DEPTH = 2
    parser = JSONParser()

    assert parser.parse(io.BytesIO(b'{"a": ["[[[[{{{{"]}'), parser_context={}) == {
        "a": ["[[[[{{{{"]
    }
    with pytest.raises(ParseError, match="nested deeper than 2"):
        parser.parse(io.BytesIO(b'{"a": [["[[[[{{{{"]]}'), parser_context={})


@pytest.mark.parametrize(
    ("text", "depth"),
    [
        ("", 0),
        ('"just a string"', 0),
        ("{}", 1),
        ('{"a": [1, {"b": null}]}', 3),
        ('{"brackets in a string": "[[[[{{{{"}', 1),
        ('["an escaped quote \\" [[[", [2]]', 2),
        ('["an escaped backslash \\\\", [[3]]]', 3),
        ("[" * 1000, 1000),
        ('"an unclosed string [[[[', 0),
    ],
)
def test_json_depth_counts_brackets_outside_strings(text, depth):
    assert json_depth(text) == depth


def test_json_depth_agrees_with_the_decoder_on_valid_json():
    document = {"a": [1, {"b": [[], {"c": "]]}}"}]}], "d": '\\"['}
    text = json.dumps(document)

    assert json_depth(text) == 5


def test_a_body_over_the_limit_is_a_413_problem_from_a_live_server(live_server, settings):
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    body = b'{"refresh": "' + b"x" * (limit + 1 - len(b'{"refresh": ""}')) + b'"}'
    assert len(body) == limit + 1

    status, headers, content = raw_request(
        live_server.url,
        "POST",
        reverse("auth-token-refresh"),
        body,
        {"Content-Type": "application/json"},
    )

    assert status == 413
    assert headers["Content-Type"] == PROBLEM_CONTENT_TYPE
    assert json.loads(content)["code"] == "payload_too_large"


@pytest.mark.parametrize(
    ("path", "content_type"),
    [
        ("/admin/login/", "application/x-www-form-urlencoded"),
        ("/admin/login/", "multipart/form-data; boundary=xyz"),
        ("/api/v1/nothing-here/", "application/json"),
        ("/health/live", "application/json"),
    ],
)
def test_a_body_over_the_limit_anywhere_else_is_a_413_without_a_traceback(
    settings, caplog, path, content_type
):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = SMALL_LIMIT
    client = Client(enforce_csrf_checks=True, raise_request_exception=False)
    client.cookies["csrftoken"] = "x" * 32  # so the CSRF check reads the form for its token

    response = client.generic("POST", path, b"a=" + b"x" * SMALL_LIMIT, content_type=content_type)

    assert_problem(response, 413, "payload_too_large")
    assert_no_traceback_logged(caplog)
