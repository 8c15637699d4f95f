"""The API's one request parser: JSON, bounded in size and in nesting depth.

DRF's own JSON parser hands the body to `json.load`, which recurses once per
level of nesting: `[` repeated 100,000 times ends in a RecursionError (a 500)
after the decoder has gone a thousand levels deep. This parser measures the
nesting first, with a linear scan that needs no recursion, and refuses a body
nested deeper than `JSON_MAX_DEPTH` as malformed JSON (400). It never reads more
than `DATA_UPLOAD_MAX_MEMORY_SIZE` bytes: a declared `Content-Length` over the
limit is refused before anything is read, and a stream of unknown length is
read to one byte past the limit and refused there (413, through the one error
handler, like Django's own `RequestDataTooBig`).
"""

import itertools
import operator
import re

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from rest_framework import parsers
from rest_framework.exceptions import ParseError
from rest_framework.utils import json

# A JSON string, closed or running to the end of the text. Possessive, and always
# consuming to its closing quote or the end, so the scan stays linear on any input.
_STRING = re.compile(r'"(?:[^"\\]++|\\.)*+(?:"|\\?\Z)', re.DOTALL)
_NOT_A_BRACKET = re.compile(r"[^\[\]{}]++")
# An opening bracket counts 2, a closing one 0: after the n-th bracket the
# running sum minus n is the nesting depth there.
_BRACKET_STEPS = str.maketrans({"[": "\x02", "{": "\x02", "]": "\x00", "}": "\x00"})


def json_depth(text: str) -> int:
    """How deep the brackets of a JSON text nest (strings ignored), without recursion.

    For any prefix that is valid JSON this is exactly the depth a recursive
    decoder reaches there, so a text that passes cannot make `json.loads` recurse
    deeper, whatever follows.
    """
    brackets = _NOT_A_BRACKET.sub("", _STRING.sub("", text))
    steps = brackets.translate(_BRACKET_STEPS).encode("ascii")
    depths = map(operator.sub, itertools.accumulate(steps), itertools.count(1))
    return max(depths) if steps else 0


def body_read(stream, *, declared_length: int | None) -> bytes:
    """The whole body, or `RequestDataTooBig` having read at most one byte past the limit."""
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    if limit is None:
        return stream.read()
    if declared_length is not None and declared_length > limit:
        raise RequestDataTooBig(f"The request body is larger than {limit} bytes.")
    body = stream.read(limit + 1)
    if len(body) > limit:
        raise RequestDataTooBig(f"The request body is larger than {limit} bytes.")
    return body


def _declared_length(parser_context: dict) -> int | None:
    request = parser_context.get("request")
    if request is None:
        return None
    try:
        return int(request.META.get("CONTENT_LENGTH") or "")
    except ValueError:
        return None


class JSONParser(parsers.JSONParser):
    """DRF's JSON parser, with the body's size and nesting bounded before decoding."""

    def parse(self, stream, media_type=None, parser_context=None):
        parser_context = parser_context or {}
        encoding = parsers.get_encoding(parser_context)
        body = body_read(stream, declared_length=_declared_length(parser_context))
        try:
            text = body.decode(encoding)
        except UnicodeDecodeError as exc:
            raise ParseError(f"JSON parse error - the body is not valid {encoding}.") from exc
        max_depth = settings.JSON_MAX_DEPTH
        # No deeper than its opening brackets, strings' included: most bodies (a lookup's
        # 200 ids has two) need no scan.
        if text.count("[") + text.count("{") > max_depth and json_depth(text) > max_depth:
            raise ParseError(f"JSON parse error - nested deeper than {max_depth} levels.")
        parse_constant = json.strict_constant if self.strict else None
        try:
            return json.loads(text, parse_constant=parse_constant)
        except RecursionError as exc:  # cannot happen past the depth check; never a 500
            raise ParseError("JSON parse error - nested too deeply.") from exc
        except ValueError as exc:
            raise ParseError(f"JSON parse error - {exc}") from exc
