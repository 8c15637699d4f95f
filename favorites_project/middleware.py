"""Request and response rules that hold for whole groups of paths, not one view.

Kept free of app imports: `wsgi.py` imports this module before Django is set up.
"""

import io
import re
import uuid

from django.conf import settings
from django.utils.functional import empty

from favorites_project import logs
from favorites_project.logs import (
    ENVIRON_CUSTOMER_ID,
    ENVIRON_REQUEST_ID,
    ENVIRON_TRACE_ID,
    REQUEST_ID,
    sane_request_id,
)

REQUEST_ID_HEADER = "X-Request-ID"


def bounded_chunked_bodies(application):
    """WSGI middleware: a body sent without Content-Length is read, up to the size limit.

    Django reads exactly Content-Length bytes of a WSGI request, so a chunked body
    that the server has already de-chunked (gunicorn does, and says so with
    `wsgi.input_terminated`) would be read as empty. This reads it, but never more
    than one byte past DATA_UPLOAD_MAX_MEMORY_SIZE; past the limit the request then
    declares that length, and Django refuses the body unread (a 413 problem).
    """

    def bounded(environ, start_response):
        if (
            not environ.get("CONTENT_LENGTH")
            and environ.get("wsgi.input_terminated")
            and "chunked" in environ.get("HTTP_TRANSFER_ENCODING", "").lower()
        ):
            limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
            stream = environ["wsgi.input"]
            body = stream.read() if limit is None else stream.read(limit + 1)
            environ["wsgi.input"] = io.BytesIO(body)
            environ["CONTENT_LENGTH"] = str(len(body))
        return application(environ, start_response)

    return bounded


# Tokens and personal data: auth/ and customers/ (the favorites lists included).
_PERSONAL = re.compile(r"^/api/v1/(?:auth|customers)(?:/|$)")
# The favorites lists' own answers may be kept by the caller (private, with an ETag).
_FAVORITES = re.compile(r"^/api/v1/customers/[^/]+/favorites(?:/|$)")


class NoStoreMiddleware:
    """`Cache-Control: no-store` on every answer that carries tokens or personal data.

    Every response under auth/ and customers/ says so, errors included, so that
    no browser, proxy or CDN keeps a token or a customer. The favorites
    endpoints' successful answers are left to their views (a private, revalidated
    cache); their errors are no-store like the rest.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        path = request.path_info
        if _PERSONAL.match(path) and (response.status_code >= 400 or not _FAVORITES.match(path)):
            response["Cache-Control"] = "no-store"
        return response


class RequestIdMiddleware:
    """Gives every request an id, in its log lines, its answer and its catalog calls.

    The caller's `X-Request-ID` is kept when it is sane (8 to 128 letters, digits and
    `._:-`), else a new uuid4 is made. The id is echoed as `X-Request-ID`, is the
    `request_id` of every log line written while the request is answered
    (favorites_project.logs), goes out with each catalog call (catalog/client.py) and
    is left in the WSGI environ, with the caller's customer id, for gunicorn's access
    line (favorites_project/gunicorn_logging.py). A few attribute sets: it runs on the
    favorites list too.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        environ = request.META
        request_id = sane_request_id(environ.get("HTTP_X_REQUEST_ID")) or uuid.uuid4().hex
        environ[ENVIRON_REQUEST_ID] = request_id
        token = REQUEST_ID.set(request_id)
        try:
            response = self.get_response(request)
            if logs.current_trace_ids is not None:  # traces on: the request's span is current
                ids = logs.current_trace_ids()
                if ids is not None:
                    environ[ENVIRON_TRACE_ID] = ids[0]
        finally:
            REQUEST_ID.reset(token)
        response[REQUEST_ID_HEADER] = request_id
        # DRF sets `user` on the request once it has authenticated one; the admin's
        # middleware sets a lazy one, read here only if the admin has loaded it (never a
        # query of this middleware's own).
        user = request.__dict__.get("user")
        if user is not None:
            user = getattr(user, "_wrapped", user)
            if user is not empty:
                environ[ENVIRON_CUSTOMER_ID] = user.pk
        return response
