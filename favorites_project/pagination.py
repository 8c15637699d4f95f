from rest_framework import pagination
from rest_framework.exceptions import NotFound
from rest_framework.request import Request
from rest_framework.utils.urls import remove_query_param, replace_query_param


class PageNumberPagination(pagination.PageNumberPagination):
    """`?page=` and `?page_size=` (default 20, at most 100) on every list.

    Querysets go through DRF's `paginate_queryset`; a hand-read list (the
    favorites list) asks `page_window` for its slice and `page_body` for the
    same envelope, `{"count", "next", "previous", "results"}`.
    """

    page_size = 20
    page_size_query_param = "page_size"
    max_page_size = 100

    def page_window(self, request: Request) -> tuple[int | None, int]:
        """(page number, page size); the number is None for `page=last`. NotFound when no number."""
        self.request = request
        size = self.get_page_size(request)
        raw = request.query_params.get(self.page_query_param) or "1"
        if raw in self.last_page_strings:
            return None, size
        if not (raw.isascii() and raw.isdigit()) or int(raw) < 1:
            raise NotFound(self.invalid_page_message)
        return int(raw), size

    def page_body(
        self, request: Request, *, number: int, size: int, count: int, results: list
    ) -> dict:
        url = request.build_absolute_uri()
        next_link = (
            replace_query_param(url, self.page_query_param, number + 1)
            if number * size < count
            else None
        )
        if number == 1:
            previous_link = None
        elif number == 2:
            previous_link = remove_query_param(url, self.page_query_param)
        else:
            previous_link = replace_query_param(url, self.page_query_param, number - 1)
        return {"count": count, "next": next_link, "previous": previous_link, "results": results}
