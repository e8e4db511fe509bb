"""Docs that cannot drift: the CLI reference and the man page are what the commands say
of themselves, and the README names every command and every chart picture."""

from __future__ import annotations

import importlib.util
import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def build_docs():
    """Return scripts/build_docs.py as a module."""
    spec = importlib.util.spec_from_file_location("build_docs", ROOT / "scripts" / "build_docs.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_cli_reference_is_what_the_commands_say_of_themselves():
    written = (ROOT / "docs" / "cli.md").read_text(encoding="utf-8")
    assert written == build_docs().reference_markdown(), "run python scripts/build_docs.py"


def test_the_man_page_is_what_the_commands_say_of_themselves():
    written = (ROOT / "docs" / "korus.1").read_text(encoding="utf-8")
    assert written == build_docs().man_page(), "run python scripts/build_docs.py"


def test_a_stale_reference_is_found_and_named_by_check(tmp_path, monkeypatch, capsys):
    module = build_docs()
    stale = tmp_path / "docs" / "cli.md"
    stale.parent.mkdir()
    stale.write_text(module.reference_markdown().replace("--years", "--year"))
    fresh = tmp_path / "docs" / "korus.1"
    fresh.write_text(module.man_page())
    api = tmp_path / "docs" / "api.md"
    api.write_text(module.api_page())
    monkeypatch.setattr(module, "ROOT", tmp_path)
    monkeypatch.setattr(module, "REFERENCE", stale)
    monkeypatch.setattr(module, "MAN_PAGE", fresh)
    monkeypatch.setattr(module, "API_PAGE", api)
    assert module.main(["--check"]) == 1
    assert capsys.readouterr().err == "stale: docs/cli.md; run python scripts/build_docs.py\n"


def test_the_api_reference_is_what_the_functions_say_of_themselves():
    written = (ROOT / "docs" / "api.md").read_text(encoding="utf-8")
    assert written == build_docs().api_page(written), "run python scripts/build_docs.py"


def test_the_api_reference_has_every_function_with_its_signature_and_docstring():
    import korus

    reference = build_docs().api_reference()
    for name in korus._API:
        first_line = getattr(korus, name).__doc__.strip().splitlines()[0]
        assert f"### korus.{name}\n\n```python\nkorus.{name}(" in reference
        assert first_line in reference
    assert "korus.deficit(partner='KOR', reporter='USA', years=None, *, months=None" in reference
    assert "- `dedupe` (default `False`): Drop rows that repeat another exactly" in reference


def test_a_stale_api_reference_is_found_by_check(tmp_path, monkeypatch, capsys):
    module = build_docs()
    for name, text in (("cli.md", module.reference_markdown()), ("korus.1", module.man_page())):
        (tmp_path / name).write_text(text)
    api = tmp_path / "api.md"
    api.write_text(module.api_page().replace("korus.growth(flow='exports'", "korus.growth(flow"))
    monkeypatch.setattr(module, "ROOT", tmp_path)
    monkeypatch.setattr(module, "REFERENCE", tmp_path / "cli.md")
    monkeypatch.setattr(module, "MAN_PAGE", tmp_path / "korus.1")
    monkeypatch.setattr(module, "API_PAGE", api)
    assert module.main(["--check"]) == 1
    assert capsys.readouterr().err == "stale: api.md; run python scripts/build_docs.py\n"


def test_the_readme_links_the_python_api_page():
    assert "(docs/api.md)" in README


def test_the_cli_reference_has_a_section_for_every_command():
    module = build_docs()
    paths = [ctx.command_path for ctx, _ in module.commands()]
    headings = re.findall(r"^## (.+)$", module.reference_markdown(), re.MULTILINE)
    assert headings == paths
    assert {"korus deficit", "korus config show", "korus completion"} <= set(paths)


@pytest.mark.skipif(shutil.which("groff") is None, reason="needs groff")
def test_the_man_page_is_read_by_groff_without_a_warning():
    result = subprocess.run(
        ["groff", "-man", "-Tutf8", "-ww", str(ROOT / "docs" / "korus.1")],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0 and result.stderr == ""
    assert "korus deficit --years 2011-2016" in result.stdout.replace("\u2010", "-")


def test_the_readme_names_every_command():
    module = build_docs()
    top_level = {
        ctx.command_path for ctx, _ in module.commands() if ctx.command_path.count(" ") == 1
    }
    missing = [path for path in sorted(top_level) if f"`{path}" not in README]
    assert missing == []


CHART_KINDS = ["deficit", "growth", "sectors", "sectors-share", "partners", "months"]


def test_a_picture_of_each_kind_of_chart_is_in_the_docs():
    pictures = sorted(path.stem for path in (ROOT / "docs" / "charts").glob("*.png"))
    assert pictures == sorted(CHART_KINDS)


def test_the_readme_shows_every_chart_picture():
    listed = re.findall(r"\]\((docs/charts/[\w-]+\.png)\)", README)
    assert sorted(listed) == sorted(f"docs/charts/{kind}.png" for kind in CHART_KINDS)
