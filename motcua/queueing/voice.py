"""The hall board's spoken call (issue 8 §5), without Django: the clips and what each one says,
the sequence of clips for a call, and the sentence for the browser's own Vietnamese voice.

A call "B012 at counter 3" is spoken as
    "Mời công dân có số" + "bê" + "không" + "một" + "hai" + "đến quầy số" + "ba".
`tools/make_voice.sh` makes every clip of `CLIPS` with espeak-ng's Vietnamese voice
(`python -m motcua.queueing.voice` prints the table it reads); board.js builds the same
sequence as `call_clips` (the browser test compares them). No Django import here, so the
script runs without a database or settings.
"""

from __future__ import annotations

import re
import sys

# How a Vietnamese office reads the Latin letters of a ticket number. D is "đê", not "dê": in the
# northern accent "dê" and G's "giê" sound alike; the others follow the usual spelling of codes.
LETTER_WORDS: dict[str, str] = {
    "A": "a",
    "B": "bê",
    "C": "xê",
    "D": "đê",
    "E": "e",
    "F": "ép",
    "G": "giê",
    "H": "hát",
    "I": "i",
    "J": "gi",
    "K": "ca",
    "L": "e lờ",
    "M": "em mờ",
    "N": "en nờ",
    "O": "o",
    "P": "pê",
    "Q": "quy",
    "R": "e rờ",
    "S": "ét",
    "T": "tê",
    "U": "u",
    "V": "vê",
    "W": "đúp lơ vê",
    "X": "ích",
    "Y": "i cờ rét",
    "Z": "dét",
}

DIGIT_WORDS = ["không", "một", "hai", "ba", "bốn", "năm", "sáu", "bảy", "tám", "chín"]

MAX_SPOKEN_COUNTER = 30


def number_words(n: int) -> str:
    """A counter number 1–99 as a Vietnamese says it: 15 "mười lăm", 21 "hai mươi mốt",
    24 "hai mươi tư", 30 "ba mươi"."""
    if not 0 < n < 100:
        raise ValueError(n)
    tens, units = divmod(n, 10)
    if tens == 0:
        return DIGIT_WORDS[units]
    head = "mười" if tens == 1 else f"{DIGIT_WORDS[tens]} mươi"
    if units == 0:
        return head
    if units == 5:
        tail = "lăm"
    elif units == 1 and tens > 1:
        tail = "mốt"
    elif units == 4 and tens > 1:
        tail = "tư"
    else:
        tail = DIGIT_WORDS[units]
    return f"{head} {tail}"


INVITE = "moi-cong-dan-co-so"
TO_COUNTER = "den-quay-so"
CHIME = "chuong"

# Every clip (file name without ".ogg") and the words it says. The chime is made by sox, not spoken.
CLIPS: dict[str, str] = {
    INVITE: "Mời công dân có số",
    **{f"chu-{letter.lower()}": word for letter, word in LETTER_WORDS.items()},
    **{f"so-{d}": word for d, word in enumerate(DIGIT_WORDS)},
    TO_COUNTER: "đến quầy số",
    **{f"quay-{n}": number_words(n) for n in range(1, MAX_SPOKEN_COUNTER + 1)},
}

_NUMBER = re.compile(r"([A-Z])([0-9]{1,6})")


def counter_clips(counter: int) -> list[str]:
    """Counters 1–30 have their own clip; a larger number is read digit by digit."""
    if 0 < counter <= MAX_SPOKEN_COUNTER:
        return [f"quay-{counter}"]
    return [f"so-{d}" for d in str(counter)]


def call_clips(number: str, counter: int) -> list[str]:
    """The clips of one call, in order: "B012" at counter 3 → moi-cong-dan-co-so, chu-b, so-0,
    so-1, so-2, den-quay-so, quay-3. Raises ValueError for anything that is not a number."""
    match = _NUMBER.fullmatch(number)
    if match is None or counter < 0:
        raise ValueError(number)
    letter, digits = match.groups()
    return [
        INVITE,
        f"chu-{letter.lower()}",
        *(f"so-{d}" for d in digits),
        TO_COUNTER,
        *counter_clips(counter),
    ]


def call_sentence(number: str, counter: int) -> str:
    """The sentence for a Vietnamese speech-synthesis voice, spelled as the clips say it: the
    letter by its Vietnamese name (a voice may read a bare "B" as "bờ"), each digit, the counter
    in words: "Mời công dân có số bê không một hai đến quầy số ba"."""
    return " ".join(CLIPS[c] for c in call_clips(number, counter))


if __name__ == "__main__":  # the table tools/make_voice.sh reads: "<file name>\t<words>"
    for name, text in CLIPS.items():
        sys.stdout.write(f"{name}\t{text}\n")
