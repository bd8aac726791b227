"""The board's offline voice: the shipped clips cover every letter, digit and counter word; the
sequence of clips of a call; a ward's own recordings (MOTCUA_VOICE_DIR) replace the shipped ones."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.contrib.staticfiles import finders
from django.test import Client

from motcua.queueing.voice import CHIME, CLIPS, call_clips, call_sentence, number_words

VOICE = Path(__file__).resolve().parents[1] / "static" / "queueing" / "voice"
ROOT = Path(__file__).resolve().parents[3]


def test_the_folder_has_a_clip_for_every_letter_digit_and_counter():
    shipped = {p.stem for p in VOICE.glob("*.ogg")}
    letters = {f"chu-{chr(c)}" for c in range(ord("a"), ord("z") + 1)}
    digits = {f"so-{d}" for d in range(10)}
    counters = {f"quay-{n}" for n in range(1, 31)}
    assert letters | digits | counters | {"moi-cong-dan-co-so", "den-quay-so"} == set(CLIPS)
    assert set(CLIPS) | {CHIME} == shipped
    for p in VOICE.glob("*.ogg"):
        head = p.read_bytes()[:64]
        assert head.startswith(b"OggS") and b"vorbis" in head, f"{p.name} is not OGG Vorbis"
        assert 2_000 < p.stat().st_size < 20_000, p.name
    assert sum(p.stat().st_size for p in VOICE.glob("*.ogg")) < 600 * 1024, "well under 1 MB"
    readme = (VOICE / "README.md").read_text()
    assert "tools/make_voice.sh" in readme and "MOTCUA_VOICE_DIR" in readme


def test_the_words_of_the_clips():
    assert [CLIPS[f"chu-{c}"] for c in "bcdgklwy"] == [
        "bê", "xê", "đê", "giê", "ca", "e lờ", "đúp lơ vê", "i cờ rét"
    ]  # fmt: skip
    assert [CLIPS[f"so-{d}"] for d in (0, 1, 4, 5, 7)] == ["không", "một", "bốn", "năm", "bảy"]
    assert [number_words(n) for n in (1, 10, 11, 15, 20, 21, 24, 25, 30)] == [
        "một", "mười", "mười một", "mười lăm", "hai mươi", "hai mươi mốt", "hai mươi tư", "hai mươi lăm", "ba mươi"
    ]  # fmt: skip
    assert CLIPS["quay-30"] == "ba mươi" and CLIPS["moi-cong-dan-co-so"] == "Mời công dân có số"


def test_the_clips_of_a_call():
    assert call_clips("B012", 3) == [
        "moi-cong-dan-co-so", "chu-b", "so-0", "so-1", "so-2", "den-quay-so", "quay-3"
    ]  # fmt: skip
    assert call_clips("Z500", 30)[-1] == "quay-30"
    assert call_clips("A001", 31)[-3:] == ["den-quay-so", "so-3", "so-1"], "above 30: digit by digit"
    assert call_sentence("B012", 3) == "Mời công dân có số bê không một hai đến quầy số ba"
    assert call_sentence("D105", 21).endswith("đê một không năm đến quầy số hai mươi mốt")
    for bad in ("b012", "BB12", "B", "", "B01\x00", "B0123456"):
        with pytest.raises(ValueError):
            call_clips(bad, 1)


def test_make_voice_reads_the_table_of_the_module():
    out = subprocess.run(
        [sys.executable, "-m", "motcua.queueing.voice"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout
    rows = [line.split("\t") for line in out.splitlines()]
    assert dict(rows) == CLIPS
    assert "motcua.queueing.voice" in (ROOT / "tools" / "make_voice.sh").read_text()


def _ward_voice(tmp_path: Path) -> Path:
    folder = tmp_path / "voice"
    folder.mkdir()
    (folder / "chu-b.ogg").write_bytes(b"OggS our own recording of b")
    return folder


def test_motcua_voice_dir_puts_the_wards_recordings_ahead(tmp_path):
    """The setting read from the environment: the ward's file wins, the others stay shipped."""
    folder = _ward_voice(tmp_path)
    code = (
        "import django; django.setup()\n"
        "from django.conf import settings\n"
        "from django.contrib.staticfiles import finders\n"
        "print(settings.MOTCUA_VOICE_DIR)\n"
        "print(finders.find('queueing/voice/chu-b.ogg'))\n"
        "print(finders.find('queueing/voice/chu-c.ogg'))\n"
    )
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "motcua.config.settings.test",
        "MOTCUA_VOICE_DIR": str(folder),
    }
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert out.returncode == 0, out.stderr
    voice_dir, b, c = out.stdout.splitlines()
    assert voice_dir == str(folder)
    assert b == str(folder / "chu-b.ogg")
    assert c == str(VOICE / "chu-c.ogg")


def test_the_wards_recording_is_served_at_the_same_address(tmp_path, settings):
    folder = _ward_voice(tmp_path)
    assert finders.find("queueing/voice/chu-b.ogg") == str(VOICE / "chu-b.ogg")
    settings.STATICFILES_DIRS = [("queueing/voice", str(folder))]
    resp = Client().get("/static/queueing/voice/chu-b.ogg")
    assert resp.status_code == 200
    assert resp.getvalue() == b"OggS our own recording of b"
    shipped = Client().get("/static/queueing/voice/chu-c.ogg")
    assert shipped.getvalue() == (VOICE / "chu-c.ogg").read_bytes()
