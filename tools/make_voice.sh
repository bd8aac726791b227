#!/usr/bin/env bash
# Make the hall board's speech clips offline (issue 8 §5) with espeak-ng's Vietnamese voice, and
# the chime with sox: small mono OGG Vorbis files in motcua/queueing/static/queueing/voice/.
#
#   tools/make_voice.sh [OUT_DIR]      # default: motcua/queueing/static/queueing/voice
#
# The words come from motcua/queueing/voice.py (CLIPS), the one list the board also reads.
# Needs Debian's espeak-ng, sox and libsox-fmt-all (installed here when missing). The clips are
# committed: tests and the board never run this script. A ward that prefers its own recordings
# does not run it either: see the README in the voice folder (MOTCUA_VOICE_DIR).
#
# Env: VOICE (espeak-ng voice, default "vi" = Vietnamese northern; "vi-vn-x-south" for the
# southern accent), SPEED (words per minute, default 140), QUALITY (Vorbis quality, default 0).
set -euo pipefail
cd "$(dirname "$0")/.."
. tools/_apt.sh
ensure_debs espeak-ng sox libsox-fmt-all

OUT=${1:-motcua/queueing/static/queueing/voice}
VOICE=${VOICE:-vi}
SPEED=${SPEED:-140}
QUALITY=${QUALITY:-0}
PY=.venv/bin/python
[ -x "$PY" ] || PY=python3
mkdir -p "$OUT"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# 16 kHz mono, the silence before and after each clip trimmed (clips are joined one after the
# other), a little gain, 60 ms of silence at the end so that the words do not run together.
encode() { # in.wav out.ogg
  sox "$1" -r 16000 -c 1 -C "$QUALITY" "$2" \
    silence 1 0.01 0.5% reverse silence 1 0.01 0.5% reverse \
    gain -n -1 pad 0 0.06
}

count=0
while IFS=$'\t' read -r name text; do
  [ -n "$name" ] || continue
  espeak-ng -v "$VOICE" -s "$SPEED" -w "$tmp/$name.wav" "$text"
  encode "$tmp/$name.wav" "$tmp/$name.ogg"
  mv "$tmp/$name.ogg" "$OUT/$name.ogg"
  count=$((count + 1))
done < <(PYTHONPATH=. "$PY" -m motcua.queueing.voice)

# The chime: two soft bell tones (E6 then C6), 0.9 s, fading out.
sox -n -r 16000 -c 1 "$tmp/a.wav" synth 0.45 sine 1318.5 fade q 0.01 0.45 0.35 gain -8
sox -n -r 16000 -c 1 "$tmp/b.wav" synth 0.6 sine 1046.5 fade q 0.01 0.6 0.5 gain -8
sox "$tmp/a.wav" "$tmp/b.wav" -C "$QUALITY" "$OUT/chuong.ogg"
count=$((count + 1))

total=$(du -cb "$OUT"/*.ogg | tail -1 | cut -f1)
echo "make_voice: $count clips in $OUT, $total bytes (voice $VOICE, $SPEED wpm)"
