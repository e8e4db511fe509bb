"""The conventions korus shares with the data tools its users know (sqlite-utils, csvkit,
gh, httpie): machine formats, a config file, shell completion, colour, quiet, one spelling
per idea, a linter's exit status, and the small kindnesses of a command line.

Figures are the shipped data's (Census for deficit and growth, UN Comtrade for sectors),
in millions of US dollars unless a test says otherwise.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import make_frame
from korus.cli import cli
from korus.readers.tidy import write_csv

ROOT = Path(__file__).resolve().parents[1]
ARTICLE = ROOT / "examples" / "korus-2017-article.toml"
ENV = {"COLUMNS": "120", "FORCE_COLOR": None, "TTY_COMPATIBLE": None, "NO_COLOR": None}
KOREA_2011 = (
    '{"year": 2011, "reporter": "USA", "partner": "KOR", "exports_usd_millions": 43461.636035, '
    '"imports_usd_millions": 56661.359461, "balance_usd_millions": -13199.723426, '
    '"products": "all goods", "source": "US Census Bureau, U.S. Trade in Goods by Country '
    '(country.xlsx)", "basis": "exports: total exports, F.A.S.; imports: general imports, '
    'customs value", "vintage": "data through 2026-01"}'
)


def invoke(runner, *args: str, **env):
    return runner.invoke(cli, list(args), env={**ENV, **env})


def ok(result):
    assert result.exit_code == 0, (result.output, result.exception)
    return result


def usage_error(result) -> str:
    """Return the error line of a usage error (exit 2), after click's usage lines."""
    assert result.exit_code == 2, result.output
    return result.stderr.splitlines()[-1]


# --- machine formats -----------------------------------------------------------------------


def test_jsonl_writes_one_object_a_line_with_the_csv_columns(runner):
    result = ok(invoke(runner, "deficit", "--years", "2011", "--format", "jsonl"))
    assert result.stdout == KOREA_2011 + "\n"


def test_jsonl_writes_as_many_lines_as_years(runner):
    result = ok(invoke(runner, "deficit", "--years", "2011-2016", "--format", "jsonl"))
    years = [json.loads(line)["year"] for line in result.stdout.splitlines()]
    assert years == [2011, 2012, 2013, 2014, 2015, 2016]


def test_columns_chooses_and_orders_the_csv_columns(runner):
    result = invoke(
        runner, "deficit", "--years", "2011-2012", "--format", "csv",
        "--columns", "balance_usd_millions,year",
    )  # fmt: skip
    assert ok(result).stdout == (
        "balance_usd_millions,year\n-13199.723426,2011\n-16616.361279,2012\n"
    )


def test_columns_chooses_the_keys_of_jsonl(runner):
    result = invoke(
        runner, "deficit", "--years", "2016", "--unit", "billions", "--format", "jsonl",
        "--columns", "year,balance_usd_billions",
    )  # fmt: skip
    assert ok(result).stdout == '{"year": 2016, "balance_usd_billions": -27.624591339}\n'


def test_an_unknown_column_is_a_usage_error_naming_the_columns_there_are(runner):
    result = invoke(runner, "deficit", "--years", "2016", "--format", "csv", "--columns", "bal")
    assert usage_error(result) == (
        "Error: --columns: no column 'bal' in this output; its columns: year, reporter, partner, "
        "exports_usd_millions, imports_usd_millions, balance_usd_millions, products, source, "
        "basis, vintage"
    )
    assert result.stdout == ""


def test_columns_with_a_table_is_a_usage_error_saying_to_choose_a_machine_format(runner):
    result = invoke(runner, "deficit", "--format", "table", "--columns", "year")
    assert usage_error(result) == (
        "Error: --columns chooses the columns of the machine formats: add --format csv "
        "(or tsv, json, jsonl)"
    )


def test_json_without_summary_stays_an_array_of_the_rows(runner):
    result = ok(invoke(runner, "deficit", "--years", "2011,2016", "--format", "json"))
    assert [row["year"] for row in json.loads(result.stdout)] == [2011, 2016]


def test_json_with_summary_holds_the_rows_and_the_summary_rows(runner):
    result = invoke(runner, "deficit", "--years", "2011-2016", "--format", "json", "--summary")
    answer = json.loads(ok(result).stdout)
    assert list(answer) == ["rows", "summary"]
    assert len(answer["rows"]) == 6
    deficit = answer["summary"][2]
    assert {key: deficit[key] for key in list(deficit)[:10]} == {
        "reporter": "USA",
        "partner": "KOR",
        "measure": "deficit",
        "first_year": 2011,
        "last_year": 2016,
        "first_usd_millions": 13199.723426,
        "last_usd_millions": 27624.591339,
        "change_usd_millions": 14424.867913,
        "pct_change": pytest.approx(109.2815921),
        "cagr": pytest.approx(15.9167527),
    }


def test_csv_summary_writes_the_change_rows_instead_of_the_years(runner):
    result = invoke(
        runner, "deficit", "--years", "2011,2016", "--unit", "bn", "--format", "csv",
        "--summary", "--columns", "measure,first_usd_billions,last_usd_billions,pct_change",
    )  # fmt: skip
    assert ok(result).stdout == (
        "measure,first_usd_billions,last_usd_billions,pct_change\n"
        "exports,43.461636035,42.262186687,-2.759788764127687\n"
        "imports,56.661359461,69.886778026,23.341159991233624\n"
        "deficit,13.199723426,27.624591339,109.28159210204956\n"
    )


def test_growth_summary_gives_the_cagr_of_the_span(runner):
    result = invoke(
        runner, "growth", "--years", "2011-2016", "--format", "tsv", "--summary",
        "--columns", "measure,first_year,last_year,cagr",
    )  # fmt: skip
    assert ok(result).stdout == "measure\tfirst_year\tlast_year\tcagr\nexports\t2011\t2016\t" + (
        f"{-0.5581537857829999!r}\n"
    )


def test_sectors_summary_is_the_whole_of_the_groups(runner):
    result = invoke(
        runner, "sectors", "--year", "2016", "--flow", "imports", "--format", "jsonl",
        "--summary",
    )  # fmt: skip
    assert ok(result).stdout == (
        '{"reporter": "USA", "partner": "KOR", "year": 2016, "flow": "imports", "by": "chapter", '
        '"groups": 97, "value_usd_millions": 71887.628102, "source": "UN Comtrade (legacy CSV)", '
        '"basis": "imports: CIF", "vintage": "legacy Comtrade extract; release date not stated '
        'in the file"}\n'
    )


def test_a_single_year_has_an_empty_summary_with_its_header(runner):
    result = invoke(
        runner, "deficit", "--years", "2016", "--format", "csv", "--summary",
        "--columns", "measure,pct_change",
    )  # fmt: skip
    assert ok(result).stdout == "measure,pct_change\n"


@pytest.mark.parametrize("command", [["mirror"], ["partners"]])
def test_summary_is_offered_only_by_commands_with_summary_rows(runner, command):
    result = invoke(runner, *command, "--summary")
    assert usage_error(result) == "Error: No such option '--summary'."


# --- the config file -----------------------------------------------------------------------


@pytest.fixture
def config_file(monkeypatch, tmp_path):
    """Return a function writing the user's config file (where XDG_CONFIG_HOME says)."""
    home = tmp_path / "config-home"
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home))

    def write(text: str) -> Path:
        path = home / "korus" / "config.toml"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        return path

    return write


def test_the_config_file_sets_the_default_partner(runner, config_file):
    config_file('partner = "China"\n')
    result = invoke(runner, "deficit", "--years", "2016", "--format", "csv", "--columns",
                    "partner,balance_usd_millions")  # fmt: skip
    assert ok(result).stdout == "partner,balance_usd_millions\nCHN,-346825.207126\n"


def test_the_config_file_sets_the_unit_in_any_spelling(runner, config_file):
    config_file('unit = "bn"\nformat = "csv"\n')
    result = invoke(runner, "deficit", "--years", "2016", "--columns", "balance_usd_billions")
    assert ok(result).stdout == "balance_usd_billions\n-27.624591339\n"


def test_a_flag_wins_over_the_config_file(runner, config_file):
    config_file('partner = "China"\n')
    result = invoke(runner, "deficit", "--years", "2016", "--partner", "Japan", "--format",
                    "csv", "--columns", "partner")  # fmt: skip
    assert ok(result).stdout == "partner\nJPN\n"


def test_no_config_ignores_the_config_file(runner, config_file):
    config_file('partner = "China"\n')
    result = invoke(runner, "deficit", "--years", "2016", "--no-config", "--format", "csv",
                    "--columns", "partner")  # fmt: skip
    assert ok(result).stdout == "partner\nKOR\n"


def test_no_config_before_the_command_ignores_the_config_file_too(runner, config_file):
    config_file('partner = "China"\n')
    result = invoke(runner, "--no-config", "deficit", "--years", "2016", "--format", "csv",
                    "--columns", "partner")  # fmt: skip
    assert ok(result).stdout == "partner\nKOR\n"


def test_the_config_files_partner_is_the_one_fetch_asks_for(runner, config_file):
    config_file('partner = "China"\n')
    args = ["fetch", "census", "--flow", "imports", "--months", "2016-01", "--dry-run"]
    assert "&CTY_CODE=5700&" in ok(invoke(runner, *args)).stdout
    assert "&CTY_CODE=5800&" in ok(invoke(runner, *args, "--partner", "KOR")).stdout
    assert usage_error(invoke(runner, *args, "--no-config")) == "Error: Missing option '--partner'."


def test_the_config_files_reporter_is_the_one_fetch_comtrade_asks_for(runner, config_file):
    config_file('reporter = "Korea"\npartner = "World"\n')
    result = invoke(runner, "fetch", "comtrade", "--years", "2016", "--dry-run", "-q")
    assert "?reporterCode=410&period=2016&partnerCode=0&" in ok(result).stdout


def test_korus_config_names_a_config_file_of_ones_choice(runner, tmp_path):
    path = tmp_path / "elsewhere.toml"
    path.write_text('partner = "MEX"\n')
    result = invoke(runner, "deficit", "--years", "2016", "--format", "csv", "--columns",
                    "partner", KORUS_CONFIG=str(path))  # fmt: skip
    assert ok(result).stdout == "partner\nMEX\n"


def test_a_config_file_named_by_korus_config_must_exist(runner, tmp_path):
    path = tmp_path / "missing.toml"
    result = invoke(runner, "deficit", KORUS_CONFIG=str(path))
    assert result.exit_code == 1
    assert result.stderr == (
        f"Error: {path}: no such config file (named by KORUS_CONFIG); create it, or unset "
        "KORUS_CONFIG\n"
    )


@pytest.mark.parametrize("name", ["api_key", "comtrade_token", "secret", "Password"])
def test_a_key_in_the_config_file_is_refused_it_lives_in_the_environment(runner, config_file, name):
    path = config_file(f'partner = "China"\n{name} = "abc123"\n')
    result = invoke(runner, "deficit", "--years", "2016")
    assert result.exit_code == 1
    assert result.stderr == (
        f"Error: {path}: {name}: a key, token, secret or password is never read from the "
        "config file; keep it in the environment only, and remove it from the file\n"
    )
    assert result.stdout == ""


def test_a_key_in_a_table_of_the_config_file_is_refused_too(runner, config_file):
    path = config_file('[comtrade]\nsubscription_key = "abc123"\n')
    result = invoke(runner, "deficit")
    assert result.exit_code == 1
    assert result.stderr.startswith(f"Error: {path}: comtrade.subscription_key: a key")


def test_an_unknown_setting_is_refused_naming_the_settings(runner, config_file):
    path = config_file('partenr = "China"\n')
    result = invoke(runner, "deficit")
    assert result.exit_code == 1
    assert result.stderr == (
        f"Error: {path}: unknown setting 'partenr'; the settings are reporter, partner, unit, "
        "format, data, encoding, cache_dir\n"
    )


def test_a_config_file_that_is_not_toml_is_one_error_line(runner, config_file):
    path = config_file("partner = China\n")
    result = invoke(runner, "deficit")
    assert result.exit_code == 1
    assert result.stderr.startswith(f"Error: {path}: not a TOML file (")
    assert result.stderr.endswith("); fix it, or use --no-config\n")


def test_a_broken_config_file_does_not_stop_no_config(runner, config_file):
    config_file("partner = China\n")
    result = invoke(runner, "deficit", "--years", "2016", "--format", "csv", "--no-config",
                    "--columns", "partner")  # fmt: skip
    assert ok(result).stdout == "partner\nKOR\n"


def test_the_config_file_gives_the_data_to_read(runner, config_file, tmp_path):
    frame = make_frame(
        [(2016, None, "export", "TOTAL", 5e9), (2016, None, "import", "TOTAL", 7e9)],
        source="my own file",
    )
    write_csv(frame, tmp_path / "mine.csv")
    config_file(f'data = "{tmp_path / "mine.csv"}"\n')
    result = invoke(runner, "deficit", "--years", "2016", "--format", "csv", "--columns",
                    "balance_usd_millions,source")  # fmt: skip
    assert ok(result).stdout == "balance_usd_millions,source\n-2000.0,my own file\n"


def shown_settings(output: str) -> list[tuple[str, ...]]:
    """Return the (setting, value, source) lines of ``korus config show``."""
    return [tuple(re.split(r"\s{2,}", line)) for line in output.splitlines()[1:]]


def test_config_show_says_where_each_value_comes_from(runner, config_file, tmp_path):
    path = config_file('partner = "China"\nencoding = "cp1252"\n')
    result = invoke(
        runner, "config", "show", "--unit", "bn", KORUS_CACHE_DIR=str(tmp_path / "cache")
    )
    assert (
        ok(result).stdout.splitlines()[0] == f"config file: {path} (read; found by XDG_CONFIG_HOME)"
    )
    assert shown_settings(result.stdout) == [
        ("reporter", "USA", "default"),
        ("partner", "CHN", "config file"),
        ("unit", "billions", "flag"),
        ("format", "auto", "default"),
        ("data", "(the data korus ships)", "default"),
        ("encoding", "cp1252", "config file"),
        ("cache_dir", str(tmp_path / "cache"), "environment (KORUS_CACHE_DIR)"),
    ]


def test_config_show_lines_up_its_columns(runner):
    lines = ok(invoke(runner, "config", "show")).stdout.splitlines()[1:]
    assert len({line.index(line.split()[1]) for line in lines}) == 1
    assert len({len(line) - len(line.split()[-1]) for line in lines[:-1]}) == 1


def test_config_show_with_no_config_says_the_file_is_ignored(runner, config_file):
    path = config_file('partner = "China"\n')
    result = ok(invoke(runner, "--no-config", "config", "show"))
    assert result.stdout.splitlines()[0] == (
        f"config file: {path} (ignored (--no-config); found by XDG_CONFIG_HOME)"
    )
    assert shown_settings(result.stdout)[1] == ("partner", "KOR", "default")


def test_the_config_files_cache_dir_is_the_cache_folder_when_the_environment_has_none(
    runner, config_file, tmp_path, monkeypatch
):
    monkeypatch.delenv("KORUS_CACHE_DIR")
    config_file(f'cache_dir = "{tmp_path / "my-cache"}"\n')
    result = ok(invoke(runner, "config", "show"))
    assert result.stdout.splitlines()[-1] == f"cache_dir  {tmp_path / 'my-cache'}  config file"
    os.environ.pop("KORUS_CACHE_DIR", None)  # set in this process for the cache to read


# --- shell completion ----------------------------------------------------------------------


def completions(words: list[str], incomplete: str) -> list[str]:
    """Return what korus's completion offers after ``korus WORDS`` for ``incomplete``."""
    from click.shell_completion import BashComplete

    complete = BashComplete(cli, {}, "korus", "_KORUS_COMPLETE")
    return [item.value for item in complete.get_completions(words, incomplete)]


@pytest.mark.parametrize(
    ("words", "incomplete", "expected"),
    [
        (["deficit", "--partner"], "Jap", ["Japan"]),
        (["deficit", "--reporter"], "US", ["USA"]),
        (["sectors", "--by"], "", ["chapter", "section", "heading", "enduse", "sector"]),
        (["growth", "--flow"], "", ["exports", "imports", "balance", "deficit"]),
        (["deficit", "--unit"], "", ["usd", "thousands", "millions", "billions"]),
        (["deficit", "--format"], "j", ["json", "jsonl"]),
        (["inspect", "--input-format"], "census-api", ["census-api-json", "census-api-csv"]),
        (["partners", "--reporter"], "Kore", ["Korea", "Korea Rep.", "Korea South"]),
        (["completion"], "", ["bash", "zsh", "fish"]),
        (["fetch", "census", "--partner"], "Jap", ["Japan"]),
        (["fetch", "census", "--by"], "", ["hs", "enduse", "naics"]),
        (["fetch", "comtrade", "--reporter"], "Kore", ["Korea", "Korea Rep.", "Korea South"]),
        (["fetch", "comtrade", "--partner"], "CH", ["CHE", "CHL", "CHN"]),
        (["ingest", "--input-format"], "kosis", ["kosis-annual", "kosis-monthly"]),
    ],
)
def test_completion_offers_the_values_an_option_takes(words, incomplete, expected):
    assert completions(words, incomplete)[: len(expected)] == expected


def test_completion_of_a_partner_code_offers_the_code_first():
    assert completions(["mirror", "--partner"], "KO")[:2] == ["KOR", "Korea"]


def test_completion_offers_the_commands():
    assert completions([], "co") == ["completion", "config", "convert"]


def korus_on_path() -> dict[str, str]:
    return {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}


def test_completion_through_the_environment_answers_the_shell():
    result = subprocess.run(
        [sys.executable, "-m", "korus"],
        env={
            **korus_on_path(),
            "_KORUS_COMPLETE": "bash_complete",
            "COMP_WORDS": "korus sectors --flow im",
            "COMP_CWORD": "3",
        },
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.stdout == "plain,imports\n"


@pytest.mark.parametrize(
    ("shell", "line"),
    [
        ("bash", "complete -o nosort -F _korus_completion korus"),
        ("zsh", "#compdef korus"),
        ("fish", 'complete --no-files --command korus --arguments "(_korus_completion)";'),
    ],
)
def test_completion_prints_the_script_of_each_shell(runner, shell, line):
    script = ok(invoke(runner, "completion", shell)).stdout
    assert line in [text.strip() for text in script.splitlines()]
    assert f"_KORUS_COMPLETE={shell}_complete" in script


@pytest.mark.skipif(shutil.which("bash") is None, reason="needs bash")
def test_the_bash_script_completes_a_choice_in_bash():
    program = (
        'eval "$(korus completion bash)"; COMP_WORDS=(korus sectors --by en); COMP_CWORD=3; '
        '_korus_completion korus; printf "%s\\n" "${COMPREPLY[@]}"'
    )
    result = subprocess.run(
        ["bash", "--norc", "-c", program],
        env=korus_on_path(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.stdout == "enduse\n", result.stderr


def test_an_unknown_shell_is_a_usage_error(runner):
    result = invoke(runner, "completion", "powershell")
    assert usage_error(result) == (
        "Error: Invalid value for '{bash|zsh|fish}': 'powershell' is not one of 'bash', 'zsh', "
        "'fish'."
    )


# --- colour --------------------------------------------------------------------------------


def in_terminal(args: list[str], env: dict[str, str | None], data: bytes | None = None) -> bytes:
    """Return what korus writes to a pseudo-terminal (stdout and stderr both), run with
    ``env`` changes; ``data`` is typed once korus has said something."""
    import pty
    import select

    environment = {**os.environ, "COLUMNS": "100"}
    for name in ("NO_COLOR", "FORCE_COLOR", "TERM", "TTY_COMPATIBLE"):
        environment.pop(name, None)
    environment.update({k: v for k, v in env.items() if v is not None})
    leader, follower = pty.openpty()
    process = subprocess.Popen(
        [sys.executable, "-m", "korus", *args],
        stdin=follower,
        stdout=follower,
        stderr=follower,
        env=environment,
        close_fds=True,
    )
    os.close(follower)
    output = b""
    typed = data is None
    while True:
        ready, _, _ = select.select([leader], [], [], 60)
        if not ready:
            process.kill()
            break
        try:
            chunk = os.read(leader, 65536)
        except OSError:  # the terminal closed: korus ended
            break
        if not chunk:
            break
        output += chunk
        if not typed:
            os.write(leader, data)
            typed = True
    process.wait(timeout=60)
    os.close(leader)
    return output.replace(b"\r\n", b"\n")


TABLE = ["deficit", "--years", "2016"]


def test_a_table_on_a_terminal_is_styled():
    assert b"\x1b[" in in_terminal(TABLE, {"TERM": "xterm"})


def test_no_color_gives_no_escape_sequence_at_all_on_a_terminal():
    output = in_terminal(TABLE, {"NO_COLOR": "1", "TERM": "xterm"})
    assert b"United States trade in goods with South Korea, 2016" in output
    assert b"\x1b" not in output


@pytest.mark.parametrize(
    ("args", "shown"),
    [
        (["sectors", "--year", "2016", "--top", "3"], b"top 3 of 97"),
        (["check", "--measure", "deficit", "--year", "2016", "--stated", "$24 billion"],
         b"verdicts off: exit status 1"),
        (["deficit", "--years", "2011-2016", "--chart"], b"Balance, millions of US dollars"),
        (["partners", "--top", "2", "--unit", "bn"], b"Values in billions of US dollars."),
        (["deficit", "--years", "2026"], b"Error: 2026 holds January only"),
    ],
)  # fmt: skip
@pytest.mark.parametrize("env", [{"NO_COLOR": "1", "TERM": "xterm"}, {"TERM": "dumb"}])
def test_no_escape_byte_on_a_terminal_from_any_command_when_the_environment_says_so(
    args, shown, env
):
    output = in_terminal(args, env)
    assert shown in output
    assert b"\x1b" not in output


def test_term_dumb_gives_no_escape_sequence_at_all_on_a_terminal():
    output = in_terminal(TABLE, {"TERM": "dumb"})
    assert b"Values in millions of US dollars." in output
    assert b"\x1b" not in output


def test_force_color_styles_a_table_in_a_pipe(runner):
    result = ok(invoke(runner, *TABLE, "--format", "table", FORCE_COLOR="1"))
    assert "\x1b[1m" in result.stdout


def test_a_table_in_a_pipe_is_not_styled(runner):
    result = ok(invoke(runner, *TABLE, "--format", "table"))
    assert "\x1b" not in result.stdout


@pytest.mark.parametrize(
    ("environ", "terminal", "expected"),
    [
        ({}, True, True),
        ({}, False, False),
        ({"NO_COLOR": "1"}, True, False),
        ({"NO_COLOR": ""}, True, True),  # no-color.org: an empty value is no value
        ({"TERM": "dumb"}, True, False),
        ({"FORCE_COLOR": "1"}, False, True),
        ({"FORCE_COLOR": "1", "NO_COLOR": "1"}, False, False),
    ],
)
def test_escapes_are_wanted_on_a_terminal_unless_the_environment_says_otherwise(
    environ, terminal, expected
):
    from korus.render import escapes_wanted

    class Stream:
        def isatty(self):
            return terminal

    assert escapes_wanted(Stream(), environ) is expected


# --- quiet ---------------------------------------------------------------------------------


def test_quiet_leaves_out_the_notes_on_stderr(runner):
    loud = invoke(runner, "check", str(ARTICLE), "--format", "csv")
    quiet = invoke(runner, "check", str(ARTICLE), "--format", "csv", "-q")
    assert loud.stderr == "5 of 19 verdicts off: exit status 1 (--exit-zero for 0)\n"
    assert quiet.stderr == ""
    assert quiet.stdout == loud.stdout


def test_quiet_leaves_out_the_notes_of_fetch(runner):
    args = ["fetch", "comtrade", "--partner", "KOR", "--years", "2016", "--dry-run"]
    loud = ok(invoke(runner, *args, COMTRADE_API_KEY=None))
    quiet = ok(invoke(runner, *args, "--quiet", COMTRADE_API_KEY=None))
    assert loud.stderr.startswith("Note: COMTRADE_API_KEY is not set: using Comtrade+'s keyless")
    assert quiet.stderr == ""
    assert quiet.stdout == loud.stdout and "reporterCode=842" in quiet.stdout


def test_quiet_leaves_out_what_ingest_says_of_each_file(runner, tmp_path):
    data = tmp_path / "mine.csv"
    write_csv(make_frame([(2016, None, "export", "TOTAL", 10.0)]), data)
    loud = ok(invoke(runner, "ingest", str(data), "--into", str(tmp_path / "store")))
    quiet = ok(invoke(runner, "ingest", str(data), "--into", str(tmp_path / "other"), "-q"))
    assert "mine.csv" in loud.stderr
    assert quiet.stderr == "" and quiet.stdout == ""


def test_quiet_still_shows_errors(runner):
    result = invoke(runner, "deficit", "--years", "2026", "--quiet")
    assert result.exit_code == 1
    assert result.stderr == (
        "Error: 2026 holds January only (data through 2026-01): a partial year is not a year; "
        "choose years up to 2025\n"
    )


def every_command(group=cli, path=()):
    import click

    for name, command in sorted(group.commands.items()):
        if isinstance(command, click.Group):
            yield (*path, name)
            yield from every_command(command, (*path, name))
        else:
            yield (*path, name)


@pytest.mark.parametrize("command", list(every_command()), ids=" ".join)
def test_every_command_takes_quiet_and_no_config(runner, command):
    help_text = ok(invoke(runner, *command, "--help")).stdout
    assert "-q, --quiet" in help_text
    assert "--no-config" in help_text


@pytest.mark.parametrize(
    "command",
    [("deficit",), ("growth",), ("sectors",), ("partners",), ("mirror",), ("check",),
     ("inspect",), ("convert",), ("ingest",), ("fetch", "census"), ("fetch", "comtrade")],
)  # fmt: skip
def test_every_command_that_reads_or_fetches_shows_examples_of_itself(runner, command):
    help_text = ok(invoke(runner, *command, "--help")).stdout
    assert "Examples:\n" in help_text
    examples = help_text.split("Examples:\n", 1)[1].split("\n\n", 1)[0].splitlines()
    assert any(line.strip().startswith(f"korus {' '.join(command)} ") for line in examples)


# --- korus help environment ----------------------------------------------------------------

# Where korus's own source reads a variable: os.environ.get("X"), os.environ["X"],
# os.getenv("X"), "X" in os.environ, environ.get("X") or env.get("X") on a mapping passed
# in, and the names it keeps in constants (ENV_DIR = "KORUS_CACHE_DIR", KEY_VARIABLE =
# "CENSUS_API_KEY").
READS = [
    re.compile(r"""\benv(?:iron)?(?:\.get\(|\[)\s*["']([A-Z_][A-Z0-9_]*)["']"""),
    re.compile(r"""getenv\(\s*["']([A-Z_][A-Z0-9_]*)["']"""),
    re.compile(r"""["']([A-Z_][A-Z0-9_]*)["']\s+in\s+(?:os\.)?environ"""),
    re.compile(
        r"""^\s*(?:ENV_[A-Z_]*|[A-Z_]*_VARIABLE)\s*=\s*["']([A-Z_][A-Z0-9_]*)["']""",
        re.MULTILINE,
    ),
]


def variables_read_by_the_source() -> set[str]:
    found = set()
    for path in (ROOT / "src" / "korus").rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        for pattern in READS:
            found.update(pattern.findall(text))
    return found


def test_the_scan_of_the_source_finds_the_variables_korus_is_known_to_read():
    assert {"KORUS_CACHE_DIR", "KORUS_NO_CACHE", "KORUS_DEBUG", "NO_COLOR"} <= (
        variables_read_by_the_source()
    )


def test_the_scan_of_the_source_finds_the_variables_korus_fetch_reads():
    assert {
        "CENSUS_API_KEY",
        "COMTRADE_API_KEY",
        "KORUS_CENSUS_API",
        "KORUS_COMTRADE_API",
        "KORUS_COMTRADE_MAX_RECORDS",
    } <= variables_read_by_the_source()


def test_the_defaults_help_environment_states_are_korus_fetchs_own():
    from korus.environment import VARIABLES
    from korus.fetch import census, comtrade

    assert f"(default {census.BASE})" in VARIABLES[census.BASE_VARIABLE]
    assert f"(default {comtrade.BASE})" in VARIABLES[comtrade.BASE_VARIABLE]
    assert f"(default {comtrade.DEFAULT_MAX_RECORDS})" in VARIABLES["KORUS_COMTRADE_MAX_RECORDS"]
    assert f"{comtrade.PREVIEW_RECORDS} records" in VARIABLES[comtrade.KEY_VARIABLE]


def listed_variables(runner) -> list[str]:
    """Return the names ``korus help environment`` lists (each starts a line)."""
    lines = ok(invoke(runner, "help", "environment")).stdout.splitlines()
    return [line.split()[0] for line in lines if not line.startswith(" ")]


def test_help_environment_lists_every_variable_the_source_reads(runner):
    assert variables_read_by_the_source() - set(listed_variables(runner)) == set()


def test_help_environment_lists_the_variables_of_the_terminal_and_the_config(runner):
    listed = listed_variables(runner)
    for name in ("KORUS_CONFIG", "XDG_CONFIG_HOME", "XDG_CACHE_HOME", "COLUMNS", "TERM"):
        assert name in listed


def test_help_environment_lists_a_variable_the_source_reads_only_once(runner):
    listed = listed_variables(runner)
    assert len(listed) == len(set(listed))


# --- one spelling per idea -----------------------------------------------------------------


def csv_of(runner, *args: str) -> str:
    return ok(invoke(runner, *args, "--format", "csv")).stdout


@pytest.mark.parametrize("command", ["sectors", "partners"])
def test_years_is_accepted_where_one_year_is_asked(runner, command):
    assert csv_of(runner, command, "--years", "2016") == csv_of(runner, command, "--year", "2016")


@pytest.mark.parametrize("command", ["sectors", "world"])
def test_a_range_of_years_where_one_is_asked_is_a_usage_error(runner, command):
    result = invoke(runner, command, "--years", "2015-2016")
    assert usage_error(result) == (
        f"Error: --years 2015-2016: {command} answers for one year; give one"
    )


def test_partners_ranks_each_year_of_a_range_whichever_option_names_it(runner):
    both = csv_of(runner, "partners", "--years", "2015-2016", "--top", "1")
    assert both == csv_of(runner, "partners", "--year", "2015-2016", "--top", "1")
    rows = csv.DictReader(io.StringIO(both))
    assert [(row["year"], row["rank"], row["partner"]) for row in rows] == [
        ("2015", "1", "CHN"),
        ("2016", "1", "CHN"),
    ]


def test_sectors_without_a_year_answers_for_the_latest_whole_year_of_product_figures(runner):
    result = invoke(runner, "sectors", "--top", "1", "--format", "csv", "--columns", "year")
    assert ok(result).stdout == "year\n2019\n"


def test_partners_without_a_year_answers_for_the_latest_whole_year(runner):
    result = invoke(runner, "partners", "--top", "1", "--format", "csv", "--columns", "year")
    assert ok(result).stdout == "year\n2025\n"


@pytest.mark.parametrize("years", ["2011–2013", "2011 – 2013", "2011—2013", "2011..2013"])
def test_a_range_of_years_may_be_written_with_an_en_dash(runner, years):
    assert csv_of(runner, "deficit", "--years", years) == csv_of(
        runner, "deficit", "--years", "2011-2013"
    )


@pytest.mark.parametrize("months", ["2017-1..2017-3", "2017-01–2017-03", "2017-1–2017-3"])
def test_months_may_have_one_digit_and_an_en_dash_range(runner, months):
    assert csv_of(runner, "deficit", "--months", months) == csv_of(
        runner, "deficit", "--months", "2017-01..2017-03"
    )


@pytest.mark.parametrize(
    ("spelling", "unit"),
    [
        ("bn", "billions"),
        ("b", "billions"),
        ("billion", "billions"),
        ("mn", "millions"),
        ("m", "millions"),
        ("million", "millions"),
        ("k", "thousands"),
        ("thousand", "thousands"),
        ("BN", "billions"),
    ],
)
def test_a_unit_may_be_written_as_people_write_it(runner, spelling, unit):
    assert csv_of(runner, "deficit", "--years", "2016", "--unit", spelling) == csv_of(
        runner, "deficit", "--years", "2016", "--unit", unit
    )


def test_a_misspelt_unit_is_refused_with_the_right_spelling(runner):
    result = invoke(runner, "deficit", "--unit", "bilions")
    assert usage_error(result) == (
        "Error: Invalid value for '--unit': 'bilions' is not a unit; did you mean billions? "
        "(usd, thousands, millions or billions; also k, m, mn, b, bn)"
    )


def claim_csv(runner, *args: str) -> str:
    """Return check's verdict on one claim, as CSV of its figure and its verdict."""
    result = invoke(runner, "check", *args, "--format", "csv", "--columns", "korus,verdict")
    assert result.exit_code in (0, 1), result.output
    return result.stdout


@pytest.mark.parametrize("option", ["--year", "--years"])
def test_check_takes_the_year_of_a_claim_as_year_or_years(runner, option):
    args = ["--measure", "deficit", option, "2016", "--stated", "$27.6 billion"]
    assert claim_csv(runner, *args) == "korus,verdict\n$27.62 billion,matches\n"


@pytest.mark.parametrize("span", ["2011-2016", "2011–2016", "2011,2016", "2011..2016"])
def test_check_takes_the_years_of_a_claim_as_every_command_writes_them(runner, span):
    args = ["--measure", "pct_change", "--of", "exports", "--years", span, "--stated", "-2.7%"]
    assert claim_csv(runner, *args) == "korus,verdict\n'-2.76%,matches-rounded\n"


def test_check_takes_a_month_of_one_digit(runner):
    args = ["--measure", "exports", "--month", "2016-9", "--stated", "$3.64 billion"]
    assert claim_csv(runner, *args) == "korus,verdict\n$3.641 billion,matches\n"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--year", "2011-2016"],
         "Error: --year 2011-2016: --year is one year; for a first and a last, give --years "
         "2011-2016"),
        (["--years", "2011,2013,2016"],
         "Error: --years 2011,2013,2016: a claim is of one year, or of a first and a last "
         "(--years 2011-2016 or 2011,2016)"),
        (["--year", "2016", "--years", "2016"], "Error: give one period, not --year and --years"),
        (["--month", "2016-09..2016-10"],
         "Error: --month 2016-09..2016-10: a claim is of one month; give one"),
    ],
)  # fmt: skip
def test_check_refuses_a_period_a_claim_cannot_have(runner, args, message):
    result = invoke(runner, "check", "--measure", "deficit", "--stated", "$1 billion", *args)
    assert usage_error(result) == message


# --- pictures only where there is a picture; check like a linter --------------------------


@pytest.mark.parametrize(
    ("command", "option"),
    [("mirror", "--chart"), ("mirror", "--plot"), ("check", "--chart"), ("check", "--plot"),
     ("inspect", "--chart"), ("convert", "--plot")],
)  # fmt: skip
def test_commands_that_draw_nothing_offer_no_chart_option(runner, command, option):
    help_text = ok(invoke(runner, command, "--help")).stdout
    assert option not in help_text


@pytest.mark.parametrize("command", ["deficit", "growth", "sectors", "partners"])
def test_commands_that_draw_offer_chart_and_plot(runner, command):
    help_text = ok(invoke(runner, command, "--help")).stdout
    assert "--chart" in help_text and "--plot" in help_text


def test_check_exits_1_when_a_claim_is_off(runner):
    result = invoke(runner, "check", "--measure", "deficit", "--year", "2016", "--stated",
                    "$24 billion", "--format", "csv")  # fmt: skip
    assert result.exit_code == 1
    assert result.stderr == "1 of 1 verdicts off: exit status 1 (--exit-zero for 0)\n"
    assert result.stdout.splitlines()[1].split(",")[0] == "command line"


def test_check_with_exit_zero_exits_0_when_a_claim_is_off(runner):
    result = invoke(runner, "check", "--measure", "deficit", "--year", "2016", "--stated",
                    "$24 billion", "--format", "csv", "--exit-zero")  # fmt: skip
    assert ok(result).stderr == ""


def test_check_exits_0_when_every_claim_matches(runner):
    result = invoke(runner, "check", "--measure", "deficit", "--year", "2016", "--stated",
                    "$27.6 billion", "--format", "csv")  # fmt: skip
    assert ok(result).stderr == ""


def test_a_claim_that_cannot_be_computed_is_not_off(runner):
    result = invoke(runner, "check", "--measure", "exports", "--reporter", "KOR", "--partner",
                    "WLD", "--month", "2017-09", "--stated", "$55.1 billion", "--format", "csv",
                    "--columns", "verdict")  # fmt: skip
    assert ok(result).stdout == "verdict\ncannot\n"


# --- small kindnesses ----------------------------------------------------------------------


def test_data_from_a_terminal_says_it_waits_for_standard_input_and_how_to_end_it():
    output = in_terminal(["deficit", "--data", "-"], {"TERM": "dumb"}, data=b"\x04")
    assert output.startswith(
        b"Reading the data from standard input (--data -): paste or type it, then end it with "
        b"Ctrl-D (Ctrl-Z and Enter on Windows).\n"
    )


def test_data_from_a_pipe_says_nothing_of_waiting(runner, tmp_path):
    frame = make_frame([(2016, None, "export", "TOTAL", 5e9), (2016, None, "import", "TOTAL", 7e9)])
    write_csv(frame, tmp_path / "mine.csv")
    result = runner.invoke(
        cli, ["deficit", "--years", "2016", "--data", "-", "--format", "csv"],
        input=(tmp_path / "mine.csv").read_text(), env=ENV,
    )  # fmt: skip
    assert ok(result).stderr == ""


def folder_with_pictures(tmp_path: Path) -> Path:
    folder = tmp_path / "downloads"
    folder.mkdir()
    frame = make_frame([(2016, None, "export", "TOTAL", 5e9), (2016, None, "import", "TOTAL", 7e9)])
    write_csv(frame, folder / "mine.csv")
    (folder / "chart.png").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(100))
    (folder / "photo.JPG").write_bytes(b"\xff\xd8\xff\xe0" + bytes(100))
    (folder / "baci.zip").write_bytes(b"PK\x03\x04" + bytes(100))
    return folder


def test_a_folder_with_pictures_and_archives_reads_its_data_and_leaves_them_aside(runner, tmp_path):
    folder = folder_with_pictures(tmp_path)
    result = invoke(runner, "deficit", "--years", "2016", "--data", str(folder), "--format",
                    "csv", "--columns", "balance_usd_millions")  # fmt: skip
    assert ok(result).stdout == "balance_usd_millions\n-2000.0\n"


def test_the_files_left_aside_in_a_folder_are_named(runner, tmp_path):
    folder = folder_with_pictures(tmp_path)
    result = ok(invoke(runner, "deficit", "--years", "2016", "--data", str(folder), "--verbose",
                       "--format", "csv"))  # fmt: skip
    notes = [line.strip() for line in result.stderr.splitlines() if "not read as data" in line]
    assert notes == [
        "note: not read as data: baci.zip: an archive, not data (unpack it first)",
        "note: not read as data: chart.png: an image, not data",
        "note: not read as data: photo.JPG: an image, not data",
    ]


def test_a_folder_of_pictures_only_is_an_error_naming_what_was_left_aside(runner, tmp_path):
    folder = tmp_path / "pictures"
    folder.mkdir()
    (folder / "chart.png").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(100))
    result = invoke(runner, "deficit", "--data", str(folder))
    assert result.exit_code == 1
    assert result.stderr == (
        f"Error: {folder}: the folder holds no data files (left aside: chart.png: an image, "
        "not data)\n"
    )


def test_cache_build_names_the_layout_of_a_parquet_file(runner, tmp_path):
    from korus.readers.tidy import write_parquet

    frame = make_frame([(2016, None, "export", "TOTAL", 5e9)])
    write_parquet(frame, tmp_path / "mine.parquet")
    result = invoke(runner, "cache", "build", str(tmp_path / "mine.parquet"))
    assert result.exit_code == 1
    assert result.stderr == (
        f"Error: {tmp_path / 'mine.parquet'}: the korus-parquet layout is read without a cache "
        "(only large BACI files are cached)\n"
    )


def test_a_reporter_the_shipped_data_does_not_hold_is_told_to_give_its_data(runner):
    result = invoke(runner, "deficit", "--reporter", "JPN", "--partner", "USA")
    assert result.exit_code == 1
    assert result.stderr == (
        "Error: the data holds no whole-year trade of JPN with USA; the shipped data holds what "
        "USA and KOR report: for JPN's own figures, give a file of them with --data FILE\n"
    )


def test_the_same_country_as_reporter_and_partner_is_a_usage_error(runner):
    result = invoke(runner, "deficit", "--reporter", "KOR")
    assert usage_error(result) == "Error: --reporter and --partner are both KOR: give two countries"
