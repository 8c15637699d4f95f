"""Celery tasks of favorites: the scheduled refresh (favorites/refresh.py)."""

import os
import threading

from favorites.idempotency import idempotency_records_purge
from favorites.refresh import refresh_chunk_run, refresh_chunks_requeue, refresh_run_start
from favorites_project.celery import app


@app.task(name="favorites.refresh")
def refresh() -> int | None:
    run = refresh_run_start()
    return None if run is None else run.pk


@app.task(name="favorites.refresh_chunk", bind=True)
def refresh_chunk(self, chunk_id: int) -> None:
    # Host, process and thread: which worker, and which of its pool's threads.
    worker = f"{self.request.hostname}/{os.getpid()}/{threading.current_thread().name}"
    refresh_chunk_run(chunk_id=chunk_id, worker=worker)


@app.task(name="favorites.refresh_requeue")
def refresh_requeue() -> int:
    return refresh_chunks_requeue()


@app.task(name="favorites.idempotency_purge")
def idempotency_purge() -> int:
    return idempotency_records_purge()
