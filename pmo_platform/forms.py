from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError

from . import text
from .dates import date_range_error, validate_date_range


def add_service_errors(form, exc: ValidationError) -> None:
    """Show a service's ValidationError on a form: field errors on their fields, others on top."""
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc)


def error_codes(exc: ValidationError) -> list[str]:
    """The codes a ValidationError carries, in order."""
    if hasattr(exc, "error_dict"):
        errors = [error for field in exc.error_dict.values() for error in field]
    else:
        errors = exc.error_list
    return [str(error.code) for error in errors if error.code]


def service_error_message(request, exc: ValidationError) -> None:
    """Show a service's ValidationError as a page message (for actions without a form). The
    codes go along as message tags, so the page and its tests can tell errors apart."""
    messages.error(request, " ".join(exc.messages), extra_tags=" ".join(error_codes(exc)))


def perform(request, call, *, success: str) -> bool:
    """Run `call()` (a service call for a button without a form) and report the outcome as a
    page message: `success`, or the service's error with its codes. True when it succeeded."""
    try:
        call()
    except ValidationError as exc:
        service_error_message(request, exc)
        return False
    messages.success(request, success)
    return True


class TextField(forms.CharField):
    """A text input with a length limit (always) and no control characters: single-line by
    default; `multiline=True` allows line breaks and tabs (CR LF is stored as LF)."""

    def __init__(self, *, max_length: int, multiline: bool = False, **kwargs):
        self.multiline = multiline
        validator = text.validate_multi_line if multiline else text.validate_single_line
        kwargs["validators"] = [validator, *kwargs.get("validators", ())]
        super().__init__(max_length=max_length, **kwargs)

    def to_python(self, value):
        value = super().to_python(value)
        return text.normalize_newlines(value) if self.multiline else value


class BoundedDateTimeField(forms.DateTimeField):
    """A date and time within EARLIEST_DATE and LATEST_DATE."""

    default_validators = [validate_date_range]

    def to_python(self, value):
        try:
            return super().to_python(value)
        except (OverflowError, ValueError):  # a year the time zone cannot shift
            raise date_range_error() from None
