"""Content negotiation: DRF's, with the commonest requests answered without parsing."""

from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.settings import api_settings

ANYTHING = frozenset({"", "*/*"})


def takes(request, media_type: str) -> bool:
    """Whether the request (Django's or DRF's) takes `media_type` without negotiating: an
    `Accept` of nothing, `*/*` or exactly that type, and no `?format=`."""
    accept = request.META.get("HTTP_ACCEPT", "")
    return (accept in ANYTHING or accept == media_type) and (
        api_settings.URL_FORMAT_OVERRIDE not in request.GET
    )


class ContentNegotiation(DefaultContentNegotiation):
    """A request that `takes` the view's first renderer gets it: what DRF's own negotiation
    picks for it too, after parsing the header (a tenth of the favorites list's CPU under
    gunicorn, by py-spy). Anything else goes through DRF."""

    def select_renderer(self, request, renderers, format_suffix=None):
        if not format_suffix and takes(request, renderers[0].media_type):
            return renderers[0], renderers[0].media_type
        return super().select_renderer(request, renderers, format_suffix)
