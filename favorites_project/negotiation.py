"""Content negotiation: DRF's, with the commonest requests answered without parsing."""

from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.settings import api_settings

# `Accept` headers that every view's first renderer (JSON) satisfies as it is.
DEFAULT_ACCEPTS = frozenset({"", "*/*", "application/json"})


def accepts_default(request) -> bool:
    """Whether the request (Django's or DRF's) takes the view's first renderer without
    negotiating: an `Accept` of nothing, `*/*` or JSON, and no `?format=`."""
    return (
        request.META.get("HTTP_ACCEPT", "") in DEFAULT_ACCEPTS
        and api_settings.URL_FORMAT_OVERRIDE not in request.GET
    )


class ContentNegotiation(DefaultContentNegotiation):
    """`accepts_default` is the view's first renderer: what DRF's own negotiation picks for
    it too, after parsing the header (a tenth of the favorites list's CPU under gunicorn,
    by py-spy). Anything else goes through DRF."""

    def select_renderer(self, request, renderers, format_suffix=None):
        if not format_suffix and accepts_default(request):
            return renderers[0], renderers[0].media_type
        return super().select_renderer(request, renderers, format_suffix)
