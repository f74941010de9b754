"""Respondent rows from a form or a CSV file: cleaning and parsing only (pure: no database).

`parse_respondent_csv` returns every row cleaned, or raises a `CsvImportError` listing every bad
row with its line number, so a file is imported whole or not at all."""

from __future__ import annotations

import csv
import io
from typing import NamedTuple

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext as _

from accounts.models import Language
from pmo_platform.text import has_control_characters, has_invisible_characters

from .error_codes import AssessmentsErrorCode as Code
from .models import RoleLevel

CSV_MAX_BYTES = 1024 * 1024
CSV_MAX_ROWS = 5000
# The campaign page's import runs in a worker (services/respondent_imports.py): larger files.
IMPORT_MAX_BYTES = 20 * 1024 * 1024
IMPORT_MAX_ROWS = 200_000


# Respondent.email's column (an EmailField); Django's validator alone allows up to 320.
EMAIL_MAX_LENGTH = 254


def validate_email_address(email: str) -> None:
    """Django's email check, with the assessments code on the error, and no longer than the
    column that stores it."""
    try:
        validate_email(email)
    except ValidationError as exc:
        raise ValidationError(exc.message, code=Code.INVALID_EMAIL, params=exc.params) from None
    if len(email) > EMAIL_MAX_LENGTH:
        raise ValidationError(_("Enter a valid email address."), code=Code.INVALID_EMAIL)


def respondent_row_problems(row: dict, default_language: str) -> tuple[dict, dict]:
    """The cleaned row, and every problem in it by field (`{field: ValidationError}`, in the
    order `clean_respondent_row` reports them; empty when the row is valid)."""
    problems: dict[str, ValidationError] = {}
    email = (row.get("email") or "").strip().lower()
    try:
        validate_email_address(email)
    except ValidationError as exc:
        problems["email"] = exc
    language = (row.get("language") or "").strip().lower() or default_language
    if language not in Language.values:
        problems["language"] = ValidationError(
            _("language must be en or sv"), code=Code.INVALID_LANGUAGE
        )
    role = (row.get("role_level") or "").strip().lower().replace(" ", "_").replace("-", "_")
    if role and role not in RoleLevel.values:
        problems["role_level"] = ValidationError(
            _("role level must be one of: %(choices)s") % {"choices": ", ".join(RoleLevel.values)},
            code=Code.INVALID_ROLE_LEVEL,
        )
    name = (row.get("name") or "").strip()
    department = (row.get("department") or "").strip()
    for field, value in (("name", name), ("department", department)):
        if has_control_characters(value):
            problems[field] = ValidationError(
                _("name and department cannot contain control characters"),
                code=Code.CONTROL_CHARACTERS,
            )
    if len(name) > 150 and "name" not in problems:
        problems["name"] = ValidationError(
            _("name is longer than 150 characters"), code=Code.NAME_TOO_LONG
        )
    for field, value in (("name", name), ("department", department)):
        if field not in problems and has_invisible_characters(value):
            problems[field] = ValidationError(
                _(
                    "name and department cannot contain invisible formatting characters (such "
                    "as text direction overrides)"
                ),
                code=Code.INVISIBLE_CHARACTERS,
            )
    if len(department) > 100 and "department" not in problems:
        problems["department"] = ValidationError(
            _("department is longer than 100 characters"), code=Code.DEPARTMENT_TOO_LONG
        )
    cleaned = {
        "email": email,
        "name": name,
        "language": language,
        "role_level": role,
        "department": department,
    }
    return cleaned, problems


def clean_respondent_row(row: dict, default_language: str) -> dict:
    """The cleaned row, or the first problem in it (a ValidationError with its code)."""
    cleaned, problems = respondent_row_problems(row, default_language)
    if problems:
        raise next(iter(problems.values()))
    return cleaned


def clean_respondent_rows(rows: list[dict], default_language: str) -> list[dict]:
    """Every row cleaned, or one ValidationError naming every problem of every row as
    `rows.<index>.<field>` (index from 0), so a batch is added whole or not at all."""
    cleaned, problems = [], {}
    for index, row in enumerate(rows):
        clean, row_problems = respondent_row_problems(row, default_language)
        cleaned.append(clean)
        for field, error in row_problems.items():
            problems[f"rows.{index}.{field}"] = [error]
    if problems:
        raise ValidationError(problems)
    return cleaned


class CsvProblem(NamedTuple):
    """One reason a file cannot be imported; `line` 0 is about the whole file."""

    line: int
    reason: str
    code: str


class CsvImportError(ValidationError):
    def __init__(self, problems: list[CsvProblem]):
        self.problems = problems
        super().__init__([ValidationError(f"{p.line}: {p.reason}", code=p.code) for p in problems])


def _unreadable(reader, exc: csv.Error) -> CsvProblem:
    return CsvProblem(
        reader.line_num,
        _("The file could not be read as CSV (%(error)s).") % {"error": exc},
        Code.CSV_UNREADABLE,
    )


def csv_size_problem(size: int, max_bytes: int = CSV_MAX_BYTES) -> CsvProblem | None:
    """The one size rule of an import (the form checks an upload's size with it before
    reading it; the parsers check the content, whoever calls)."""
    if size <= max_bytes:
        return None
    return CsvProblem(
        0,
        _("The file is larger than %(mb)s MB. Split it into smaller files.")
        % {"mb": max_bytes // (1024 * 1024)},
        Code.CSV_TOO_LARGE,
    )


def decode_csv(content: bytes) -> str:
    try:
        return content.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise CsvImportError([not_utf8_problem()]) from None


def not_utf8_problem() -> CsvProblem:
    return CsvProblem(0, _("The file is not UTF-8 text. Save it as CSV UTF-8."), Code.CSV_NOT_UTF8)


def csv_reader(text: str) -> csv.DictReader:
    """A reader over `text` whose header names an email column, or a CsvImportError."""
    sample = text[:4096]
    try:
        dialect = csv.Sniffer().sniff(sample, delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    # Universal newlines: files saved with CR-only line endings (old Mac Excel) read as rows.
    reader = csv.DictReader(io.StringIO(text, newline=None), dialect=dialect)
    try:
        headers = [h.strip().lower() for h in (reader.fieldnames or [])]
    except csv.Error as exc:
        raise CsvImportError([_unreadable(reader, exc)]) from None
    if "email" not in headers:
        raise CsvImportError(
            [
                CsvProblem(
                    1,
                    _("The first line must name the columns and include “email”."),
                    Code.CSV_NO_EMAIL_COLUMN,
                )
            ]
        )
    reader.fieldnames = headers
    return reader


def read_respondent_rows(
    reader: csv.DictReader, *, default_language: str, max_rows: int, on_row=None
) -> tuple[list[dict], list[CsvProblem]]:
    """Every row cleaned and every problem with its line, reading the file once; `on_row(n)` is
    called after each line (the worker reports progress with it)."""
    rows, problems = [], []
    try:
        _read_rows(reader, rows, problems, default_language, max_rows, on_row)
    except csv.Error as exc:
        problems.append(_unreadable(reader, exc))
    if not rows and not problems:
        problems.append(CsvProblem(0, _("The file has no rows to import."), Code.CSV_EMPTY))
    return rows, problems


def parse_respondent_csv(*, content: bytes, default_language: str) -> list[dict]:
    """Every row valid, or a CsvImportError listing every bad row with its line number."""
    too_large = csv_size_problem(len(content))
    if too_large is not None:
        raise CsvImportError([too_large])
    reader = csv_reader(decode_csv(content))
    rows, problems = read_respondent_rows(
        reader, default_language=default_language, max_rows=CSV_MAX_ROWS
    )
    if problems:
        raise CsvImportError(problems)
    return rows


def _read_rows(reader, rows, problems, default_language, max_rows, on_row) -> None:
    for row in reader:
        line = reader.line_num
        if on_row is not None:
            on_row(len(rows) + len(problems))
        if len(rows) + len(problems) >= max_rows:
            problems.append(
                CsvProblem(
                    line,
                    _("More than %(max)s rows.") % {"max": max_rows},
                    Code.CSV_TOO_MANY_ROWS,
                )
            )
            break
        if not any((value or "").strip() for key, value in row.items() if key):
            continue  # blank line
        if None in row:
            problems.append(
                CsvProblem(
                    line,
                    _("This row has more columns than the header."),
                    Code.CSV_TOO_MANY_COLUMNS,
                )
            )
            continue
        try:
            rows.append(clean_respondent_row(row, default_language))
        except ValidationError as exc:
            code = getattr(exc, "code", None) or Code.CSV_ROW_INVALID
            problems.append(CsvProblem(line, " ".join(exc.messages), code))
