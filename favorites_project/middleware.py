"""Request and response rules that hold for whole groups of paths, not one view.

Kept free of app imports: `wsgi.py` imports this module before Django is set up.
"""

import io
import re

from django.conf import settings


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
