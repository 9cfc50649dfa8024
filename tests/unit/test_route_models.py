"""Routes name their models (``@endpoint(response="ComplaintOut")``): every name must
resolve to a model in ``chalicelib.api.schemas``."""

import pytest
from pydantic import BaseModel

from app import app
from chalicelib.api.http import RouteSpec, route_spec
from chalicelib.api.pages import is_page


def test_every_route_declares_models_that_exist() -> None:
    """Every route is an API endpoint with its models, or a page (``api.pages``)."""
    specs = [
        route_spec(entry.view_function)
        for methods in app.routes.values()
        for entry in methods.values()
        if not is_page(entry.view_function)
    ]
    assert specs and all(spec is not None for spec in specs)
    for spec in specs:
        assert spec is not None
        models = spec.models()
        assert all(issubclass(model, BaseModel) for model in models.values())
        assert set(models) == {"response"} | {
            role for role in ("request", "query") if getattr(spec, role) is not None
        }


def test_a_misspelt_model_name_fails_loudly() -> None:
    with pytest.raises(LookupError, match="ComplaintOuts"):
        RouteSpec(roles=(), response="ComplaintOuts").models()
