"""URLconf of the autosave benchmark's server only (bench/autosave_settings.py): every product
URL plus the floor, a bare view that does one INSERT into the bench's own table
(`bench_autosave_floor`, created by bench/autosave.py, in no migration) in the request's one
transaction (ATOMIC_REQUESTS), CSRF-checked like the autosave's POST, through the same
middleware stack. GET hands out the CSRF cookie, as the survey page does."""

import json

from django.db import connection
from django.http import HttpResponse, JsonResponse
from django.middleware.csrf import get_token
from django.urls import include, path


def floor(request):
    if request.method == "GET":
        get_token(request)  # sets the CSRF cookie, like the survey page's form
        return HttpResponse("ok")
    payload = json.loads(request.body)
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO bench_autosave_floor (respondent, item, value) VALUES (%s, %s, %s)",
            [int(payload["respondent"]), int(payload["item"]), int(payload["value"])],
        )
    return JsonResponse({"saved": True})


urlpatterns = [
    path("bench/floor/", floor),
    path("", include("pmo_platform.urls")),
]
