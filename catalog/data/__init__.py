"""The bundled demo catalog's data file, and its reader (no Django needed).

One product per line, in the neutral shape `catalog.demo_data` (the generator,
a development tool) writes and both the in-process demo provider and the mock
catalog server read.
"""

import json
from functools import cache
from pathlib import Path
from typing import Any

DATA_PATH = Path(__file__).resolve().parent / "products.json"


@cache
def load_records() -> tuple[dict[str, Any], ...]:
    """The bundled products as the file holds them (read once per process)."""
    with DATA_PATH.open(encoding="utf-8") as file:
        return tuple(json.load(file))
