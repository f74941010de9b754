"""Rate limits key on the client's address: X-Forwarded-For counts only from a trusted proxy."""

import ipaddress
import itertools
import json

import pytest
from django.urls import reverse

from tests.assessments.test_survey import make_campaign, survey_path
from tests.helpers import form_error_codes

PROXY = "10.0.0.5"
_clients = itertools.count(1)


def fresh_ip() -> str:
    """A client address no other test (of this run) has used: rate-limit counters are in Redis."""
    return str(ipaddress.ip_address("198.18.0.0") + next(_clients))


@pytest.fixture
def behind_proxy(settings):
    settings.TRUSTED_PROXIES = ["10.0.0.0/24"]
    return settings


def test_resolution_rules():
    from pmo_platform.client_ip import _networks, resolve_client_ip

    nets = _networks(("10.0.0.0/24", "fd00::/8"))
    assert resolve_client_ip("10.0.0.5", "203.0.113.7", nets) == "203.0.113.7"
    # From the right: trusted hops skipped, the first untrusted one is the client; what the
    # client wrote to the left of it is not believed.
    assert resolve_client_ip("10.0.0.5", "6.6.6.6, 203.0.113.7, 10.0.0.9", nets) == "203.0.113.7"
    assert resolve_client_ip("10.0.0.5", "", nets) == "10.0.0.5"
    assert resolve_client_ip("10.0.0.5", "garbage, 10.0.0.8", nets) == "10.0.0.8"
    assert resolve_client_ip("fd00::1", "2001:db8::1", nets) == "2001:db8::1"
    # An untrusted peer's header is ignored.
    assert resolve_client_ip("203.0.113.9", "1.2.3.4", nets) == "203.0.113.9"
    assert resolve_client_ip("203.0.113.9", "10.0.0.5", _networks(())) == "203.0.113.9"


def failed_login(client, peer, forwarded_for=None):
    headers = {"REMOTE_ADDR": peer}
    if forwarded_for:
        headers["HTTP_X_FORWARDED_FOR"] = forwarded_for
    response = client.post(
        reverse("account_login"),
        # A new address each time: only the per-IP limit (10/m) is in play, not the per-key one.
        {"login": f"nobody{next(_clients)}@example.com", "password": "wrong-password"},
        **headers,
    )
    return "too_many_login_attempts" in form_error_codes(response).get("__all__", set())


@pytest.mark.django_db
def test_login_limit_counts_each_client_behind_the_proxy(client, behind_proxy):
    first, second = fresh_ip(), fresh_ip()
    assert not any(failed_login(client, PROXY, first) for _ in range(10))
    assert failed_login(client, PROXY, first)
    # Another client through the same proxy is not locked out with the first.
    assert not failed_login(client, PROXY, second)


@pytest.mark.django_db
def test_login_limit_ignores_forwarded_for_from_an_untrusted_peer(client, behind_proxy):
    attacker = fresh_ip()
    # Rotating a forged header does not give the attacker fresh counters.
    assert not any(failed_login(client, attacker, fresh_ip()) for _ in range(10))
    assert failed_login(client, attacker, fresh_ip())


@pytest.mark.django_db
def test_open_link_limit_per_client_behind_the_proxy(client, firm_a, behind_proxy):
    behind_proxy.OPEN_LINK_RATE = "2/h"
    campaign, _respondent, _token = make_campaign(firm_a, open_link=True)
    start = reverse("assessments:open_link", args=[firm_a.firm.slug, campaign.open_link_token])
    first, second = fresh_ip(), fresh_ip()

    def post(peer, forwarded_for):
        return client.post(start, REMOTE_ADDR=peer, HTTP_X_FORWARDED_FOR=forwarded_for)

    assert [post(PROXY, first).status_code for _ in range(3)] == [302, 302, 429]
    assert post(PROXY, second).status_code == 302
    attacker = fresh_ip()
    codes = [post(attacker, fresh_ip()).status_code for _ in range(3)]
    assert codes == [302, 302, 429]


def autosave(client, world, token, item, peer, forwarded_for=""):
    return client.post(
        survey_path(world, token, "answer/"),
        data=json.dumps({"item": item, "value": 3}),
        content_type="application/json",
        REMOTE_ADDR=peer,
        HTTP_X_FORWARDED_FOR=forwarded_for,
    )


@pytest.mark.django_db
def test_autosave_is_rate_limited_per_link_and_per_client(client, firm_a, behind_proxy):
    from assessments.models import Item
    from pmo_platform.tenancy import firm_context

    behind_proxy.SURVEY_ANSWER_RATE = "3/m"
    behind_proxy.SURVEY_ANSWER_IP_RATE = "6/m"
    _campaign, respondent, token = make_campaign(firm_a)
    _campaign2, _respondent2, token2 = make_campaign(firm_a, name="Second")
    with firm_context(firm_a.firm):
        item = Item.objects.filter(version=respondent.campaign.version).first().pk
        item2 = Item.objects.filter(version=_campaign2.version).first().pk
    peer = fresh_ip()
    codes = [autosave(client, firm_a, token, item, peer).status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    # The other link from the same address still saves, until the address's own limit.
    codes = [autosave(client, firm_a, token2, item2, peer).status_code for _ in range(3)]
    assert codes == [200, 200, 429]
    # Through the proxy the address limit is the client's, not the proxy's.
    client_one, client_two = fresh_ip(), fresh_ip()
    assert autosave(client, firm_a, token2, item2, PROXY, client_one).status_code == 429  # link
    _campaign3, _respondent3, token3 = make_campaign(firm_a, name="Third")
    with firm_context(firm_a.firm):
        item3 = Item.objects.filter(version=_campaign3.version).first().pk
    assert autosave(client, firm_a, token3, item3, PROXY, client_two).status_code == 200
