"""Slower recorded prompts for the slower-speech switch (issue 14; docs/ui.md "Voice"): a recording is
stretched in time without changing its pitch, by WSOLA (waveform-similarity overlap-add: Verhelst and
Roelands, ICASSP 1993) — each output frame is the input frame, near where the slower clock says, that
best continues the previous one, overlap-added under a Hann window.

Only 16-bit PCM WAV files (what ``ui.recordings`` plays) are handled; several channels are mixed down to
one (prompts are speech).  The slowed copies go to a cache folder, made once per recording and rate.
"""

from __future__ import annotations

import hashlib
import wave
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

FRAME_S = 0.030  # analysis frame: a few pitch periods of a voice
SEEK_S = 0.010  # how far from its nominal place a frame may be taken to continue the waveform


class StretchError(ValueError):
    """A recording that cannot be stretched (not 16-bit PCM WAV)."""


def stretch(samples: NDArray[np.float64], factor: float, rate: int) -> NDArray[np.float64]:
    """``samples`` (mono) made ``factor`` times longer at the same pitch."""
    frame = max(16, int(FRAME_S * rate))
    hop_out = frame // 2
    hop_in = hop_out / factor
    seek = int(SEEK_S * rate)
    x = np.concatenate([samples, np.zeros(frame + seek)])
    window = np.hanning(frame)
    out = np.zeros(int(len(samples) * factor) + 2 * frame)
    norm = np.zeros_like(out)
    pos_in, pos_out, natural = 0.0, 0, 0
    while int(pos_in) + frame + seek < len(x) and pos_out + frame < len(out):
        nominal = int(pos_in)
        if pos_out == 0:
            start = 0
        else:  # the candidate that best continues what the previous frame would have continued with
            lo, hi = max(0, nominal - seek), nominal + seek
            target = x[natural:natural + frame]
            corr = np.correlate(x[lo:hi + frame], target, mode="valid")
            start = lo + int(np.argmax(corr))
        out[pos_out:pos_out + frame] += x[start:start + frame] * window
        norm[pos_out:pos_out + frame] += window
        natural = start + hop_out
        pos_in += hop_in
        pos_out += hop_out
    length = int(len(samples) * factor)
    result: NDArray[np.float64] = out[:length] / np.maximum(norm[:length], 1e-3)
    return result


def read_wav(path: Path) -> tuple[NDArray[np.float64], int]:
    """Mono samples in −1…1 and the sample rate of a 16-bit PCM WAV file."""
    try:
        with wave.open(str(path), "rb") as w:
            if w.getsampwidth() != 2 or w.getcomptype() != "NONE":
                raise StretchError(f"{path.name}: not 16-bit PCM")
            rate, channels = w.getframerate(), w.getnchannels()
            data = np.frombuffer(w.readframes(w.getnframes()), dtype="<i2").astype(np.float64)
    except (wave.Error, EOFError) as exc:
        raise StretchError(f"{path.name}: not a WAV file") from exc
    if channels > 1:
        data = data.reshape(-1, channels).mean(axis=1)
    return data / 32768.0, rate


def write_wav(path: Path, samples: NDArray[np.float64], rate: int) -> None:
    pcm = np.clip(np.round(samples * 32767.0), -32768, 32767).astype("<i2")
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".part")
    with wave.open(str(tmp), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(pcm.tobytes())
    tmp.replace(path)


def slowed_copy(path: Path, factor: float, cache: Path) -> Path:
    """The cached slowed copy of ``path`` (made now if missing or older than the recording)."""
    st = path.stat()
    tag = hashlib.sha256(f"{path.resolve()}|{st.st_mtime_ns}|{st.st_size}|{factor}".encode()).hexdigest()
    out = cache / f"{path.stem}.{tag[:16]}.wav"
    if not out.is_file():
        samples, rate = read_wav(path)
        write_wav(out, stretch(samples, factor, rate), rate)
    return out
