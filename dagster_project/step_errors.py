"""How a step that opens the warehouse fails: retried, stopped, or stopped with the text safe.

- The working warehouse stayed locked by another process for the whole wait
  (`pcnmo.warehouse_lock`): the step is retried (`RetryRequested`), not the month lost; when
  the retries run out, the failure says which file, which process and what to open instead.
- A problem with the data (a rejected month, a failed blocking check, no key): the step fails
  with what to fix, and is not retried (the same files would fail the same way).
- Anything else: the step fails, and its message and traceback pass the redaction first
  (a database error can quote a value, and the run's event log and compute logs keep it).
"""

from __future__ import annotations

import traceback
from collections.abc import Iterator
from contextlib import contextmanager

import dagster as dg

from pcnmo import settings
from pcnmo.redaction import redact
from pcnmo.warehouse_lock import WarehouseLocked

LOCK_RETRIES = 2


def lock_retry_seconds() -> float:
    """The pause before a step that waited in vain for the lock runs again."""
    return min(30.0, settings.lock_wait_seconds())


class DataProblem(Exception):
    """A failure whose message is already what the user must read (redacted)."""


@contextmanager
def step_errors() -> Iterator[None]:
    try:
        yield
    except (dg.Failure, dg.RetryRequested):
        raise
    except WarehouseLocked as error:
        raise dg.RetryRequested(
            max_retries=LOCK_RETRIES, seconds_to_wait=lock_retry_seconds()
        ) from error
    except DataProblem as error:
        raise dg.Failure(description=redact(str(error)), allow_retries=False) from None
    except Exception as error:
        raise dg.Failure(
            description=redact(f"{type(error).__name__}: {error}"),
            metadata={"traceback": dg.MetadataValue.text(redact(traceback.format_exc()))},
            allow_retries=False,
        ) from None
