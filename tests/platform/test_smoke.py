import pytest
from django.db import connection


@pytest.mark.django_db
def test_tests_run_as_the_application_role(firm_a):
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT current_user, rolsuper, rolbypassrls FROM pg_roles WHERE rolname = current_user"
        )
        user, is_super, bypass = cursor.fetchone()
    assert user == "pmo_app"
    assert not is_super and not bypass


@pytest.mark.django_db
def test_landing_page(client):
    response = client.get("/")
    assert response.status_code == 200
    assert b"Sign up your firm" in response.content
