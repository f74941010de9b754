"""A firm's send rate with a real worker process and an SMTP sink: the fan-out of a firm at a
low rate is spread out and still arrives whole; the firm's result email is not held back by it
(priority mail is exempt); the setting's form refuses a rate out of range."""

from __future__ import annotations

from collections import Counter

import pytest
from django.urls import reverse

from accounts.error_codes import AccountsErrorCode as Code
from accounts.models import AuditEntry, Firm
from assessments import services
from assessments.models import Campaign, EmailLog, Item, Respondent
from pmo_platform.tenancy import firm_context
from tests.helpers import add_people, form_error_codes, new_campaign, person, wait_for

from .test_email_faults import launch


@pytest.mark.django_db(transaction=True, databases="__all__")
def test_a_low_rate_spreads_the_fan_out_and_a_result_email_is_not_held_back(faults, firm_a):
    Firm.objects.filter(pk=firm_a.firm.pk).update(email_rate_per_minute=60)  # one a second
    sink = faults.sink()
    faults.worker(sink)
    with firm_context(firm_a.firm):  # a respondent who will finish while the fan-out waits
        other = new_campaign(firm_a, name="Results", days=3)
        add_people(firm_a, other, [person("rita@client.example", "Rita")])
        Campaign.objects.filter(pk=other.pk).update(status="open")
    launch(firm_a, 4)
    wait_for(lambda: sink.count() >= 1, timeout=60, interval=0.01)
    with firm_context(firm_a.firm):
        rita = Respondent.objects.get(email="rita@client.example")
        for item in Item.objects.filter(version=other.version):
            services.answer_save(firm=firm_a.firm, respondent=rita, item_id=item.pk, value=4)
        services.respondent_submit(firm=firm_a.firm, respondent=rita, followup_opt_in=False)
    wait_for(lambda: sink.count() >= 5, timeout=60, interval=0.05)

    invitations = [m for m in sink.messages if m.rcpt_tos[0] != "rita@client.example"]
    result = next(m for m in sink.messages if m.rcpt_tos[0] == "rita@client.example")
    assert len(invitations) == 4
    assert Counter(m.rcpt_tos[0] for m in sink.messages).most_common(1)[0][1] == 1
    # Spread out: one token a second, not the four at once.
    assert invitations[-1].at - invitations[0].at > 1.0
    # The result email went ahead of the fan-out it was published behind.
    assert result.at < invitations[-1].at

    def all_sent():
        with firm_context(firm_a.firm):
            return sorted(EmailLog.objects.values_list("status", flat=True)) == ["sent"] * 5

    wait_for(all_sent, timeout=30, interval=0.1)  # the sink has them; outcomes follow


@pytest.mark.django_db
def test_the_email_rate_form_refuses_out_of_range_and_audits_a_change(client, firm_a):
    client.force_login(firm_a.owner)
    url = reverse("accounts:email_sending", args=[firm_a.firm.slug])
    assert client.get(url).status_code == 200
    for bad in ("59", "100001", "-5"):
        response = client.post(url, {"email_rate_per_minute": bad})
        assert response.status_code == 400
        codes = form_error_codes(response)["email_rate_per_minute"]
        assert Code.EMAIL_RATE_OUT_OF_RANGE in codes
    assert Firm.objects.get(pk=firm_a.firm.pk).email_rate_per_minute is None
    assert client.post(url, {"email_rate_per_minute": "600"}).status_code == 302
    assert Firm.objects.get(pk=firm_a.firm.pk).email_rate_per_minute == 600
    with firm_context(firm_a.firm):
        assert AuditEntry.objects.filter(action="firm.email_rate_set").count() == 1
    assert client.post(url, {"email_rate_per_minute": ""}).status_code == 302
    assert Firm.objects.get(pk=firm_a.firm.pk).email_rate_per_minute is None
