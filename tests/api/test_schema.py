"""The OpenAPI schema is valid OpenAPI 3.1 and generates without a warning (every view says
what it takes and returns), and it is served to anyone at /api/v1/schema/."""

import pytest
from django.core.management import call_command
from django.test import Client


def test_schema_validates_without_warnings(tmp_path):
    call_command(
        "spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "schema.yml")
    )
    text = (tmp_path / "schema.yml").read_text()
    assert text.startswith("openapi: 3.1.0") and "/api/v1/clients/" in text


@pytest.mark.django_db
def test_schema_is_public_and_names_the_bearer_scheme():
    response = Client().get("/api/v1/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    schema = response.json()
    assert schema["components"]["securitySchemes"]["ApiKey"]["scheme"] == "bearer"
    assert "Problem" in schema["components"]["schemas"]
