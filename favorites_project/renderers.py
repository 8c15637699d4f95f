"""JSON out, through orjson: several times faster than the standard library on list pages."""

from decimal import Decimal

import orjson
from django.utils.functional import Promise
from rest_framework import renderers

OPTIONS = orjson.OPT_UTC_Z


def _default(value):
    """What orjson does not know and DRF's encoder did: decimals and lazy text, sets."""
    if isinstance(value, (Decimal, Promise)):
        return str(value)
    if isinstance(value, (set, frozenset)):
        return list(value)
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def dumps(data) -> bytes:
    """The service's one JSON encoding: compact UTF-8, UTC datetimes ending in Z."""
    return orjson.dumps(data, default=_default, option=OPTIONS)


class JSONRenderer(renderers.JSONRenderer):
    """DRF's JSON renderer with orjson underneath; the same output, compact."""

    def render(self, data, accepted_media_type=None, renderer_context=None) -> bytes:
        if data is None:
            return b""
        return dumps(data)
