from typing import Any

from rest_framework import pagination
from rest_framework.exceptions import NotFound, ValidationError
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
    # Past any list's end, and small enough that its offset fits the database's integers.
    max_page_number = 2**31

    page_size_query_description = "Results per page: a whole number from 1; larger than 100 is 100."

    def get_schema_operation_parameters(self, view) -> list[dict]:
        """DRF's parameters, with the lower bounds the view enforces."""
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            parameter["schema"]["minimum"] = 1
        return parameters

    def get_page_size(self, request: Request) -> int:
        """`?page_size=`: a whole number from 1, capped at 100; anything else is a 400."""
        raw = request.GET.get(self.page_size_query_param)
        if raw is None:
            return self.page_size
        if not (raw.isascii() and raw.isdigit()) or int(raw) < 1:
            raise ValidationError(
                {
                    self.page_size_query_param: [
                        f"A whole number from 1 (at most {self.max_page_size})."
                    ]
                }
            )
        return min(int(raw), self.max_page_size)

    # DRF's passes a paginator and answers a number or a string; this one is also called
    # without one (the hand-written page query) and answers None for `last` then.
    def get_page_number(  # type: ignore[override]
        self, request: Request, paginator: Any = None
    ) -> int | None:
        """`?page=`: a whole number from 1, or `last` (None here; the paginator's last page
        for DRF's querysets). Anything else, an empty value too, is a 404, as past the end."""
        raw = request.GET.get(self.page_query_param)
        if raw is None:
            return 1
        if raw in self.last_page_strings:
            return None if paginator is None else paginator.num_pages
        if not (raw.isascii() and raw.isdigit()) or not 1 <= int(raw) <= self.max_page_number:
            raise NotFound(self.invalid_page_message)
        return int(raw)

    def page_window(self, request: Request) -> tuple[int | None, int]:
        """(page number, page size); the number is None for `page=last`."""
        self.request = request
        return self.get_page_number(request), self.get_page_size(request)

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
