from django.contrib import messages
from django.core.exceptions import ValidationError


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
