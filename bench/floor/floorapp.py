"""The floor: the least a Django process can do to answer a favorites page.

A dev-only baseline for `make bench`, never imported by the service: one raw
query on the favorites table, no authentication, no DRF, CommonMiddleware only,
JSON from Django's own encoder. Served as the service is (gunicorn, 2 workers):

    DATABASE_URL=postgres://... gunicorn --chdir bench/floor floorapp:application -w 2
"""

import os
from urllib.parse import unquote, urlsplit

from django.conf import settings
from django.core.wsgi import get_wsgi_application
from django.db import connection
from django.http import JsonResponse
from django.urls import path

_database = urlsplit(os.environ["DATABASE_URL"])
settings.configure(
    DEBUG=False,
    SECRET_KEY="floor-only-not-secret",
    ALLOWED_HOSTS=["127.0.0.1", "localhost"],
    ROOT_URLCONF=__name__,
    INSTALLED_APPS=[],
    MIDDLEWARE=["django.middleware.common.CommonMiddleware"],
    DATABASES={
        "default": {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": _database.path.lstrip("/"),
            "USER": unquote(_database.username or "postgres"),
            "PASSWORD": unquote(_database.password or ""),
            "HOST": _database.hostname or "127.0.0.1",
            "PORT": _database.port or 5432,
            "CONN_MAX_AGE": 600,
        }
    },
    USE_TZ=True,
)

COLUMNS = (
    "product_id",
    "title",
    "image_url",
    "price",
    "review_score",
    "brand",
    "price_when_added",
    "available",
    "created_at",
    "refreshed_at",
)
PAGE = (
    f"SELECT {', '.join(COLUMNS)} FROM favorites_favorite WHERE customer_id = %s"
    " ORDER BY created_at DESC, id DESC LIMIT 20"
)


def favorites(request, customer_id):
    with connection.cursor() as cursor:
        cursor.execute(PAGE, [customer_id])
        rows = [dict(zip(COLUMNS, row, strict=True)) for row in cursor.fetchall()]
    for row in rows:
        row["price"] = str(row["price"])
        row["price_when_added"] = str(row["price_when_added"])
    return JsonResponse({"count": len(rows), "next": None, "previous": None, "results": rows})


urlpatterns = [path("favorites/<int:customer_id>/", favorites)]

application = get_wsgi_application()
