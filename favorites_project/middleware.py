"""Request and response rules that hold for whole groups of paths, not one view.

Kept free of app imports: `wsgi.py` imports this module before Django is set up.
"""

import io

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
