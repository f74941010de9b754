"""Reads for the respondent's side: links, the survey page, answers and the personal result."""

from __future__ import annotations

from accounts.models import Firm
from accounts.selectors import hash_token

from .. import results, scoring
from ..models import Advice, Campaign, Dimension, Item, Respondent, localized


def respondent_by_token(*, firm: Firm, token: str) -> Respondent | None:
    if not token or len(token) > 64:
        return None
    return (
        Respondent.objects.select_related("campaign", "campaign__client", "campaign__version")
        .filter(token_hash=hash_token(token))
        .first()
    )


# What the autosave reads of a respondent and its campaign (nothing else is loaded).
ANSWERING_FIELDS = (
    "firm_id", "campaign_id", "language", "completed_at", "campaign__firm_id",
    "campaign__version_id", "campaign__default_language", "campaign__status",
    "campaign__closes_at",
)  # fmt: skip


def respondent_for_answer(*, firm: Firm, token: str) -> Respondent | None:
    """The respondent of a personal link with only what saving an answer needs (one narrow
    query; the pages take `respondent_by_token`)."""
    if not token or len(token) > 64:
        return None
    return (
        Respondent.objects.select_related("campaign")
        .only(*ANSWERING_FIELDS)
        .filter(token_hash=hash_token(token))
        .first()
    )


def campaign_by_open_token(*, firm: Firm, token: str) -> Campaign | None:
    if not token or len(token) > 64:
        return None
    return Campaign.objects.select_related("client").filter(open_link_token=token).first()


def survey_items(*, respondent: Respondent) -> list[Item]:
    return list(
        Item.objects.filter(version_id=respondent.campaign.version_id)
        .select_related("dimension")
        .order_by("order")
    )


def answers_of(*, respondent: Respondent) -> dict[int, int | None]:
    return dict(respondent.answers.values_list("item_id", "value"))


def answer_count(*, respondent: Respondent) -> int:
    return respondent.answers.count()


def item_in_version(*, item_id: int, version_id: int) -> bool:
    return Item.objects.filter(pk=item_id, version_id=version_id).exists()


def unanswered_count(*, respondent: Respondent) -> int:
    """How many statements of the respondent's campaign have no answer yet."""
    return respondent.campaign.version.items.exclude(answers__respondent=respondent).count()


def campaign_has_email(*, campaign: Campaign, email: str) -> bool:
    return Respondent.objects.filter(campaign=campaign, email=email).exists()


def survey_page(*, respondent: Respondent, language: str) -> dict:
    """The statements with the respondent's answers so far, the scale and progress."""
    items = survey_items(respondent=respondent)
    answers = answers_of(respondent=respondent)
    version = respondent.campaign.version
    labels = version.scale_labels.get(language) or version.scale_labels.get("en")
    # Each statement's choices as (value, label, checked), "dk" last: the page renders them in
    # one loop with no lookups (the survey page is what every respondent loads).
    scale = [(str(value), label) for value, label in enumerate(labels, start=1)]
    scale.append(("dk", version.dont_know_label.get(language, "Don't know")))
    questions = []
    for item in items:
        answered = item.pk in answers
        checked = ("dk" if answers[item.pk] is None else str(answers[item.pk])) if answered else ""
        questions.append(
            {
                "pk": item.pk,
                "text": localized(item, "text", language),
                "unanswered": not answered,
                "choices": [(value, label, value == checked) for value, label in scale],
            }
        )
    return {
        "questions": questions,
        "answered": len(answers),
        "total": len(items),
        "description": localized(version, "description", language),
    }


def personal_result(*, respondent: Respondent) -> dict:
    version = respondent.campaign.version
    rules = [
        scoring.ItemRule(
            item_id=i.pk, dimension_key=i.dimension.key, reverse=i.reverse, weight=float(i.weight)
        )
        for i in version.items.select_related("dimension")
    ]
    answers = dict(respondent.answers.values_list("item_id", "value"))
    order = list(version.dimensions.values_list("key", flat=True))
    return scoring.score(
        rules,
        answers,
        dimension_order=order,
        bands=version.bands,
        min_answered_share=version.min_answered_share,
    )


def advice_for(*, version_id: int, result: dict, language: str, limit: int = 2) -> list[dict]:
    """Development steps and tips for the weakest scored dimensions."""
    weakest = results.weakest_dimensions(result, limit)
    dimensions = {
        d.key: d for d in Dimension.objects.filter(version_id=version_id, key__in=weakest)
    }
    advice = {
        (a.dimension.key, a.band): a
        for a in Advice.objects.filter(
            dimension__version_id=version_id, dimension__key__in=weakest
        ).select_related("dimension")
    }
    return results.advice_rows(
        weakest=weakest, result=result, dimensions=dimensions, advice=advice, language=language
    )


def result_view(*, respondent: Respondent, language: str) -> dict:
    """The personal result with labels in `language`, for the result page and email."""
    version = respondent.campaign.version
    result = respondent.result or {}
    return results.result_summary(
        version=version,
        dimensions=list(version.dimensions.all()),
        result=result,
        language=language,
        advice=lambda: advice_for(version_id=version.pk, result=result, language=language),
    )
