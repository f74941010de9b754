"""Every user-facing text exists in English and Swedish."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import translation

ROOT = Path(settings.BASE_DIR)
CATALOGUE = Path("locale/sv/LC_MESSAGES/django.po")
SOURCES = ["accounts", "assessments", "reports", "pmo_platform", "templates", "manage.py", "locale"]


def untranslated(po_file: Path) -> str:
    checks = []
    for flag in ("--untranslated", "--only-fuzzy"):
        result = subprocess.run(
            ["msgattrib", flag, "--no-wrap", str(po_file)],
            capture_output=True,
            text=True,
            check=True,
        )
        checks.append(result.stdout.strip())
    return "\n".join(c for c in checks if c)


def test_swedish_catalogue_covers_every_message_in_the_code(tmp_path):
    """Extract the messages afresh from a copy of the code: none may lack a Swedish text."""
    for name in SOURCES:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(
                source, tmp_path / name, ignore=shutil.ignore_patterns("*.mo", "__pycache__")
            )
        else:
            shutil.copy(source, tmp_path / name)
    subprocess.run(
        [sys.executable, "manage.py", "makemessages", "-l", "sv", "--no-obsolete", "-v0"],
        cwd=tmp_path,
        check=True,
        capture_output=True,
        text=True,
        env={
            "PATH": "/usr/bin:/bin",
            "DJANGO_SETTINGS_MODULE": "pmo_platform.settings",
            "PYTHONPATH": str(tmp_path),
        },
    )
    missing = untranslated(tmp_path / CATALOGUE)
    assert missing == "", f"messages without a Swedish translation:\n{missing}"


def test_committed_catalogue_is_complete_and_compiles():
    assert untranslated(ROOT / CATALOGUE) == ""
    subprocess.run(
        ["msgfmt", "--check-format", "-o", "/dev/null", str(ROOT / CATALOGUE)], check=True
    )


def test_compiled_catalogue_is_in_use():
    with translation.override("sv"):
        assert translation.gettext("Clients") == "Kunder"
        assert str(translation.gettext_lazy("Client executive")) != "Client executive"


@pytest.mark.django_db
@pytest.mark.parametrize("language", ["en", "sv"])
def test_public_pages_render_in_both_languages(client, language):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    for path in ("/", reverse("account_login"), reverse("account_signup"), "/no-such-page/"):
        response = client.get(path)
        assert f'<html lang="{language}">'.encode() in response.content, path
    landing = client.get("/").content.decode()
    expected = "Registrera ditt konsultbolag" if language == "sv" else "Sign up your firm"
    assert expected in landing


def test_translation_functions_keep_names_that_makemessages_finds():
    """xgettext only extracts gettext, gettext_lazy, ngettext, pgettext... and `_`: an alias such
    as `_lazy` would leave its texts out of the catalogue without anyone noticing."""
    import re

    pattern = re.compile(r"import (?:gettext|gettext_lazy|ngettext|pgettext_lazy) as (\w+)")
    for path in ROOT.glob("*/**/*.py"):
        if ".venv" in path.parts or "migrations" in path.parts:
            continue
        for alias in pattern.findall(path.read_text("utf-8")):
            assert alias == "_", f"{path}: translation function imported as {alias}"
