"""The base class of domain errors: each declares how the API answers it.

Apps raise their own errors (`FavoriteAlreadyExists`, `ProductNotFound`, ...)
next to the code that raises them; each subclasses `DomainError` and declares
its HTTP `status` and machine-readable `code`. The one handler in
`favorites_project.exceptions` reads these attributes, so it imports no app.
"""

from typing import ClassVar


class DomainError(Exception):
    """An error the client can act on, answered as a problem with `status` and `code`.

    The message (`str(error)`) is the problem's `detail`. `retry_after`, when
    set, becomes the `Retry-After` header. An error about one input field
    names it in `field`: it is answered as a `validation_error` with
    `errors: {field: [message]}`, like any other invalid input.
    """

    status: ClassVar[int] = 400
    code: ClassVar[str] = "bad_request"
    field: ClassVar[str | None] = None
    retry_after: int | None = None
