"""Small helpers shared by the tests."""

import re
import time


def wait_for(predicate, timeout=20.0, interval=0.05):
    """Poll until `predicate()` is truthy; the worker runs in another thread."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = predicate()
        if result:
            return result
        time.sleep(interval)
    raise AssertionError(f"condition not met within {timeout}s")


def link_in(message, pattern=r"https?://\S+/join/[\w-]+/"):
    found = re.search(pattern, message.body)
    assert found, message.body
    return found.group(0)


# A valid 1x1 PNG.
PNG_1PX = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010802000000907753de"
    "0000000c4944415408d763f8cfc0000003010100c9fe92ef0000000049454e44ae426082"
)


def brand(world, **changes):
    """Give the firm a full branding with a logo, through the service."""
    from accounts import services
    from pmo_platform.tenancy import firm_context

    values = {
        "primary_color": "#7A1F5C",
        "accent_color": "#1F4E79",
        "sender_name": "Alpha Insights",
        "reply_to": "hello@alpha.example",
        "email_footer": "Alpha Advisory · Kungsgatan 1, Stockholm",
        "default_language": "sv",
        "logo": (PNG_1PX, "image/png"),
    } | changes
    with firm_context(world.firm):
        return services.branding_update(firm=world.firm, actor=world.owner, **values)


def run_in_worker(task, **kwargs):
    """Send `task` through Redis to the test worker, wait until it has run, return its result."""
    from celery.signals import task_postrun

    finished = {}

    def record(task_id=None, retval=None, **_):
        finished[task_id] = retval

    task_postrun.connect(record, weak=False)
    try:
        task_id = task.apply_async(kwargs=kwargs).id
        wait_for(lambda: task_id in finished)
    finally:
        task_postrun.disconnect(record)
    return finished[task_id]


def form_error_codes(response, form: str = "form") -> dict[str, set[str]]:
    """The error codes of a form in a rendered page, by field ("__all__" for the form)."""
    return {
        field: {error.code for error in errors}
        for field, errors in response.context[form].errors.as_data().items()
    }


def message_codes(response) -> set[str]:
    """The error codes carried by the page messages (see pmo_platform.forms)."""
    return {tag for message in response.context["messages"] for tag in message.extra_tags.split()}


def new_campaign(world, *, version=None, client=None, days=5, **fields):
    """A draft campaign of `world`'s firm, through the service (inside the firm's scope).
    `fields` override the defaults (name, default_language, invitation texts, ...)."""
    from datetime import timedelta

    from django.utils import timezone

    from assessments import services
    from assessments.models import InstrumentVersion

    values = {
        "name": "C",
        "closes_at": timezone.now() + timedelta(days=days),
        "default_language": "en",
        **services.default_invitation_texts(),
    } | fields
    return services.campaign_create(
        firm=world.firm,
        actor=world.owner,
        client=client or world.client,
        version=version or InstrumentVersion.objects.get(),
        **values,
    )


def person(email, name="", language="en", role_level="", department=""):
    """One respondent row as the form and the CSV import give it."""
    return {
        "email": email,
        "name": name,
        "language": language,
        "role_level": role_level,
        "department": department,
    }


def add_people(world, campaign, rows):
    """Add respondent rows (see `person`) through the service (inside the firm's scope)."""
    from assessments import services

    return services.respondents_add(
        firm=world.firm, actor=world.owner, campaign=campaign, rows=rows
    )
