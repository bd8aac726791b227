"""`motcua staffing erlang …` (issue 11 §8): the JSON contract, the text, bad input → exit 2."""

import json
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

# the console script beside the interpreter of the venv
MOTCUA = str(Path(sys.executable).with_name("motcua"))
CLASSIC = ["--arrivals-per-hour", "200", "--service-minutes", "3", "--target-wait-seconds", "20"]


def run(*args: str) -> str:
    out = StringIO()
    call_command("staffing", "erlang", *args, stdout=out)
    return out.getvalue()


def test_json_contract_with_erlang_c():
    payload = json.loads(run(*CLASSIC, "--service-level", "0.8", "--json"))
    assert payload == {"agents": 14, "service_level": 0.8884, "average_wait_seconds": 7.84}


def test_json_contract_with_erlang_a_adds_the_abandon_rate():
    payload = json.loads(run(*CLASSIC, "--service-level", "80", "--patience-minutes", "5", "--json"))
    assert set(payload) == {"agents", "service_level", "average_wait_seconds", "abandon_rate"}
    # 13 counters call 85,8 % of everyone within 20 s (12: 77,2 %)
    assert payload["agents"] == 13
    assert payload["service_level"] == 0.8582
    assert 0.0 < payload["abandon_rate"] < 0.1
    assert 0.0 < payload["abandon_rate"] < 0.1


def test_a_percent_and_a_share_are_the_same_level_and_a_comma_is_a_decimal_point():
    share = run(*CLASSIC, "--service-level", "0.8", "--json")
    assert run(*CLASSIC, "--service-level", "80", "--json") == share
    assert run(*CLASSIC, "--service-level", "0,8", "--json") == share


def test_text_output_is_vietnamese():
    text = run(*CLASSIC, "--service-level", "0.8")
    assert text.strip() == (
        "Cần 14 quầy (Erlang C): 88,8 % người dân được gọi trong vòng 20 giây, thời gian chờ trung bình 7,8 giây."
    )
    with_patience = run(*CLASSIC, "--service-level", "0.8", "--patience-minutes", "5")
    assert "(Erlang A)" in with_patience and "bỏ về" in with_patience


def test_erlang_a_level_counts_the_leavers_as_not_called():
    """The reviewer's case: three counters "offered" a call within 15 minutes to 92,4 % while
    50,6 % left — more than 100 %. The level is the share of everyone called within 15 minutes."""
    args = ["--arrivals-per-hour", "60", "--service-minutes", "6", "--target-wait-seconds", "900"]
    args += ["--service-level", "80", "--patience-minutes", "10"]
    payload = json.loads(run(*args, "--json"))
    assert payload["agents"] == 6
    assert payload["service_level"] == 0.8593
    assert payload["service_level"] + payload["abandon_rate"] <= 1.0
    assert run(*args).strip() == (
        "Cần 6 quầy (Erlang A): 85,9 % người dân được gọi trong vòng 900 giây, thời gian chờ trung bình "
        "84,4 giây, 14,1 % bỏ về trước khi được gọi (tính là không được gọi)."
    )


def test_the_help_says_what_the_level_measures():
    help_text = subprocess.run(
        [MOTCUA, "staffing", "erlang", "--help"], capture_output=True, text=True, check=True
    ).stdout
    assert "tính trên mọi người" in " ".join(help_text.split())


def test_no_arrivals_need_no_counter():
    payload = json.loads(
        run(
            "--arrivals-per-hour",
            "0",
            "--service-minutes",
            "3",
            "--target-wait-seconds",
            "20",
            "--service-level",
            "0.8",
            "--json",
        )
    )
    assert payload == {"agents": 0, "service_level": 1.0, "average_wait_seconds": 0.0}


@pytest.mark.parametrize(
    ("flag", "value", "words"),
    [
        ("--arrivals-per-hour", "-5", "Số người đến mỗi giờ"),
        ("--arrivals-per-hour", "abc", "phải là một số"),
        ("--arrivals-per-hour", "nan", "hữu hạn"),
        ("--arrivals-per-hour", "1e12", "Số người đến mỗi giờ"),
        ("--arrivals-per-hour", "12\x00", "phải là một số"),
        ("--arrivals-per-hour", "9" * 200, "tối đa 32 ký tự"),
        ("--service-minutes", "0", "Thời gian phục vụ"),
        ("--target-wait-seconds", "-1", "Thời gian chờ mục tiêu"),
        ("--service-level", "0", "Tỉ lệ phục vụ"),
        ("--service-level", "100", "nhỏ hơn 100 %"),
        ("--service-level", "1", "nhỏ hơn 100 %"),
        ("--service-level", "150", "Tỉ lệ phục vụ"),
        ("--patience-minutes", "0", "Thời gian kiên nhẫn"),
        ("--patience-minutes", "inf", "hữu hạn"),
    ],
)
def test_bad_input_is_a_vietnamese_message_and_exit_2(flag, value, words):
    args = {
        "--arrivals-per-hour": "200",
        "--service-minutes": "3",
        "--target-wait-seconds": "20",
        "--service-level": "0.8",
    }
    args[flag] = value
    flat = [part for pair in args.items() for part in pair]
    with pytest.raises(CommandError) as caught:
        run(*flat, "--json")
    assert caught.value.returncode == 2
    assert words in str(caught.value)


def test_out_of_reach_is_said():
    with pytest.raises(CommandError) as caught:
        run(
            "--arrivals-per-hour",
            "10000",
            "--service-minutes",
            "1440",
            "--target-wait-seconds",
            "20",
            "--service-level",
            "0.8",
        )
    assert caught.value.returncode == 2
    assert "Không đạt được tỉ lệ phục vụ 80,0 %" in str(caught.value)


def test_the_console_script_exits_2_with_the_message():
    """Through `motcua`, as an operator types it: stderr has the message, the exit status is 2."""
    done = subprocess.run(
        [MOTCUA, "staffing", "erlang", *CLASSIC, "--service-level", "abc"],
        capture_output=True,
        text=True,
        env={"DJANGO_SETTINGS_MODULE": "motcua.config.settings.test", "PATH": "/usr/bin:/bin"},
        check=False,
    )
    assert done.returncode == 2
    assert "Tỉ lệ phục vụ (--service-level) phải là một số" in done.stderr
    ok = subprocess.run(
        [MOTCUA, "staffing", "erlang", *CLASSIC, "--service-level", "80", "--json"],
        capture_output=True,
        text=True,
        env={"DJANGO_SETTINGS_MODULE": "motcua.config.settings.test", "PATH": "/usr/bin:/bin"},
        check=False,
    )
    assert ok.returncode == 0, ok.stderr
    assert json.loads(ok.stdout)["agents"] == 14
