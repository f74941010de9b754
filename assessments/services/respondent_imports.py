"""A campaign's respondents from a large CSV file, imported by a worker, all or nothing.

`respondent_import_start` (the web request) stores the file and queues the task; the task
calls `respondent_import_process`, which claims the import (a conditional UPDATE whose
`attempts` value is the claim), checks every row reporting progress every `PROGRESS_EVERY`
rows in short transactions of their own, and then writes every row in one transaction (new
people by email are created, existing ones updated exactly as `respondents_add` does). A
redelivered task finds the import claimed or finished and does nothing; a worker that dies
leaves a stale heartbeat, and `assessments.import_sweep` queues the import again."""

from __future__ import annotations

from datetime import timedelta

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import F, Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts.models import Firm, User
from accounts.services import audit
from pmo_platform.tasks import enqueue
from pmo_platform.tenancy import firm_context

from ..error_codes import AssessmentsErrorCode as Code
from ..models import (
    IMPORT_RUNNING,
    Campaign,
    CampaignStatus,
    EmailKind,
    ImportStatus,
    Respondent,
    RespondentImport,
)
from ..respondent_csv import (
    IMPORT_MAX_BYTES,
    IMPORT_MAX_ROWS,
    CsvImportError,
    CsvProblem,
    csv_reader,
    csv_size_problem,
    decode_csv,
    read_respondent_rows,
)
from ..selectors.imports import IMPORT_STALE_SECONDS
from .emails import enqueue_campaign_emails
from .respondents import new_respondent

PROGRESS_EVERY = 1000
IMPORT_MAX_STORED_PROBLEMS = 200
IMPORT_MAX_ATTEMPTS = 5
_WRITE_BATCH = 5000
_FIELDS = ("name", "language", "role_level", "department")
# Existing people by id: a non-empty value replaces theirs, an empty one keeps it.
_UPDATE_SQL = """
UPDATE assessments_respondent AS r SET
    name = COALESCE(NULLIF(v.name, ''), r.name),
    language = COALESCE(NULLIF(v.language, ''), r.language),
    role_level = COALESCE(NULLIF(v.role_level, ''), r.role_level),
    department = COALESCE(NULLIF(v.department, ''), r.department)
FROM unnest(%s::bigint[], %s::text[], %s::text[], %s::text[], %s::text[])
    AS v(id, name, language, role_level, department)
WHERE r.id = v.id AND r.firm_id = %s
"""


def _refuse_closed(campaign: Campaign) -> None:
    if campaign.status in (CampaignStatus.CLOSED, CampaignStatus.REPORTED):
        raise ValidationError(
            _("People cannot be added to a closed campaign."), code=Code.CAMPAIGN_CLOSED
        )


@transaction.atomic
def respondent_import_start(
    *, firm: Firm, actor: User, campaign: Campaign, file_name: str, content: bytes
) -> RespondentImport:
    """Store the file and queue its import; one import runs per campaign at a time."""
    too_large = csv_size_problem(len(content), IMPORT_MAX_BYTES)
    if too_large is not None:
        raise ValidationError(too_large.reason, code=too_large.code)
    campaign = Campaign.objects.select_for_update().get(pk=campaign.pk)
    _refuse_closed(campaign)
    if RespondentImport.objects.filter(campaign=campaign, status__in=IMPORT_RUNNING).exists():
        raise ValidationError(
            _("An import of this campaign is still running. Wait for it to finish."),
            code=Code.IMPORT_RUNNING,
        )
    lines = content.count(b"\n") + (0 if content.endswith(b"\n") else 1)
    job = RespondentImport.objects.create(
        firm=firm,
        campaign=campaign,
        file_name=file_name[:200],
        file_size=len(content),
        content=content,
        total_rows=max(lines - 1, 0),  # an estimate until the rows are read
        created_by=actor,
    )
    audit(
        firm=firm,
        actor=actor,
        action="respondents.import_started",
        target=campaign,
        import_id=job.pk,
        bytes=len(content),
    )
    from ..tasks import import_respondents

    enqueue(import_respondents, firm_id=firm.pk, import_id=job.pk)
    return job


def respondent_import_process(*, firm: Firm, import_id: int) -> str:
    """Run one import to its end (call outside a transaction). Returns its final status, or
    "skipped" when another run holds it or it has finished."""
    attempt = _claim(firm, import_id)
    if attempt is None:
        return "skipped"
    with firm_context(firm):
        job = RespondentImport.objects.select_related("campaign", "created_by").get(pk=import_id)
        content = bytes(job.content or b"")
        campaign = job.campaign
    # Problems are stored in the words of whoever uploaded the file.
    language = job.created_by.language if job.created_by else campaign.default_language
    with translation.override(language):
        return _process(firm, job, attempt, content, campaign)


def _process(firm, job, attempt, content, campaign) -> str:
    import_id = job.pk
    if attempt > IMPORT_MAX_ATTEMPTS:
        problem = CsvProblem(
            0, _("The import could not be completed. Upload the file again."), Code.IMPORT_FAILED
        )
        return _fail(firm, job, attempt, [problem])
    try:
        reader = csv_reader(decode_csv(content))
    except CsvImportError as exc:
        return _fail(firm, job, attempt, exc.problems)
    del content

    def on_row(count: int) -> None:
        if count and count % PROGRESS_EVERY == 0:
            _report(firm, import_id, attempt, processed_rows=count)

    rows, problems = read_respondent_rows(
        reader,
        default_language=campaign.default_language,
        max_rows=IMPORT_MAX_ROWS,
        on_row=on_row,
    )
    if problems:
        return _fail(firm, job, attempt, problems)
    if not _report(
        firm, import_id, attempt, processed_rows=len(rows), status=ImportStatus.IMPORTING
    ):
        return "skipped"
    return _write(firm, import_id, attempt, rows)


def _claim(firm: Firm, import_id: int) -> int | None:
    now = timezone.now()
    stale = now - timedelta(seconds=IMPORT_STALE_SECONDS)
    with firm_context(firm):
        claimed = RespondentImport.objects.filter(
            Q(status=ImportStatus.QUEUED)
            | Q(
                status__in=[ImportStatus.VALIDATING, ImportStatus.IMPORTING], heartbeat_at__lt=stale
            ),
            pk=import_id,
        ).update(
            status=ImportStatus.VALIDATING,
            processed_rows=0,
            heartbeat_at=now,
            attempts=F("attempts") + 1,
        )
        if not claimed:
            return None
        return RespondentImport.objects.values_list("attempts", flat=True).get(pk=import_id)


def _report(firm: Firm, import_id: int, attempt: int, **fields) -> bool:
    """Progress in its own short transaction; False when another run has taken the import."""
    with firm_context(firm):
        return bool(
            RespondentImport.objects.filter(
                pk=import_id, attempts=attempt, status__in=IMPORT_RUNNING
            ).update(heartbeat_at=timezone.now(), **fields)
        )


def _locked(import_id: int, attempt: int) -> RespondentImport | None:
    job = RespondentImport.objects.select_for_update().get(pk=import_id)
    if job.attempts != attempt or job.status not in IMPORT_RUNNING:
        return None
    return job


def _fail(firm: Firm, job: RespondentImport, attempt: int, problems: list[CsvProblem]) -> str:
    with firm_context(firm):
        if _locked(job.pk, attempt) is None:
            return "skipped"
        return _fail_locked(firm, job, problems)


def _write(firm: Firm, import_id: int, attempt: int, rows: list[dict]) -> str:
    """Every row in one transaction: all of them or none."""
    merged: dict[str, dict] = {}
    for row in rows:  # duplicates merge; the later row wins (as respondents_add)
        merged[row["email"]] = row
    del rows
    with firm_context(firm):
        job = _locked(import_id, attempt)
        if job is None:
            return "skipped"
        campaign = Campaign.objects.select_for_update().get(pk=job.campaign_id)
        try:
            _refuse_closed(campaign)
        except ValidationError as exc:
            problem = CsvProblem(0, " ".join(exc.messages), Code.CAMPAIGN_CLOSED)
            return _fail_locked(firm, job, [problem])
        existing = dict(
            Respondent.objects.filter(campaign=campaign, email__in=list(merged)).values_list(
                "email", "id"
            )
        )
        updated = _update_existing(firm, [(existing[e], merged.pop(e)) for e in list(existing)])
        created = 0
        batch = []
        for row in merged.values():
            batch.append(new_respondent(firm=firm, campaign=campaign, **row))
            if len(batch) >= _WRITE_BATCH:
                created += len(Respondent.objects.bulk_create(batch))
                batch = []
        created += len(Respondent.objects.bulk_create(batch))
        RespondentImport.objects.filter(pk=job.pk).update(
            status=ImportStatus.DONE,
            content=None,
            created_count=created,
            updated_count=updated,
            finished_at=timezone.now(),
            heartbeat_at=timezone.now(),
        )
        audit(
            firm=firm,
            actor=job.created_by,
            action="respondents.added",
            target=campaign,
            created=created,
            updated=updated,
            import_id=job.pk,
        )
        if created and campaign.is_open:
            enqueue_campaign_emails(firm=firm, campaign=campaign, kind=EmailKind.INVITATION)
    return ImportStatus.DONE


def _fail_locked(firm: Firm, job: RespondentImport, problems: list[CsvProblem]) -> str:
    RespondentImport.objects.filter(pk=job.pk).update(
        status=ImportStatus.FAILED,
        content=None,
        problems=[
            {"line": p.line, "reason": str(p.reason), "code": str(p.code)}
            for p in problems[:IMPORT_MAX_STORED_PROBLEMS]
        ],
        problems_total=len(problems),
        finished_at=timezone.now(),
    )
    audit(
        firm=firm,
        actor=job.created_by,
        action="respondents.import_failed",
        target=job.campaign,
        import_id=job.pk,
        problems=len(problems),
    )
    return ImportStatus.FAILED


def _update_existing(firm: Firm, pairs: list[tuple[int, dict]]) -> int:
    """Existing people: each non-empty field of their row replaces theirs (respondents_add)."""
    if not pairs:
        return 0
    with connection.cursor() as cursor:
        for start in range(0, len(pairs), _WRITE_BATCH):
            chunk = pairs[start : start + _WRITE_BATCH]
            cursor.execute(
                _UPDATE_SQL,
                [[pk for pk, _row in chunk]]
                + [[row[f] for _pk, row in chunk] for f in _FIELDS]
                + [firm.pk],
            )
    return len(pairs)
