"""Request parsing and response checking with the pydantic models of ``api.schemas``.

Routes name their models (``@endpoint(request="SubmitComplaint", ...)``) and ``api.http``
loads this module on the first request that needs a model.  Importing pydantic and
building the models costs more than importing Chalice and PynamoDB together, and every
Lambda function of the app imports ``app.py``: the queue and schedule functions never
validate a request, so they never pay for it.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ValidationError

from chalicelib.api import schemas
from chalicelib.domain.errors import InvalidRequest


def model(name: str) -> type[BaseModel]:
    """The model called ``name`` in ``api.schemas``."""
    found = getattr(schemas, name, None)
    if not (isinstance(found, type) and issubclass(found, BaseModel)):
        raise LookupError(f"no model {name!r} in chalicelib.api.schemas")
    return found


def _problems(error: ValidationError) -> list[dict[str, str]]:
    return [
        {"field": ".".join(str(p) for p in item["loc"]) or "(body)", "problem": item["msg"]}
        for item in error.errors(include_url=False)
    ]


def parse(name: str, data: dict[str, Any], what: str) -> BaseModel:
    """``data`` validated by the model ``name``; ``InvalidRequest`` naming every problem."""
    try:
        return model(name).model_validate(data)
    except ValidationError as exc:
        raise InvalidRequest(f"invalid {what}", details=_problems(exc)) from exc


def check_response(name: str, body: Any) -> None:
    """A response that does not match its model is a bug: the error surfaces as a 500."""
    model(name).model_validate(body)
