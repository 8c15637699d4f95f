"""Content negotiation: DRF's, with the commonest request answered without parsing."""

from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.settings import api_settings

ANYTHING = ("", "*/*")


class ContentNegotiation(DefaultContentNegotiation):
    """No `Accept` header or `*/*`, and no `?format=`, is the view's first renderer: what
    DRF's own negotiation picks for it too, after parsing the header (a tenth of the
    favorites list's CPU under gunicorn, by py-spy). Anything else goes through DRF."""

    def select_renderer(self, request, renderers, format_suffix=None):
        if (
            not format_suffix
            and request.META.get("HTTP_ACCEPT", "") in ANYTHING
            and api_settings.URL_FORMAT_OVERRIDE not in request.query_params
        ):
            return renderers[0], renderers[0].media_type
        return super().select_renderer(request, renderers, format_suffix)
