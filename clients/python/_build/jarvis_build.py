"""A PEP 517 build backend in the standard library only, so `pip install ./clients/python` works
offline and on every Python the package supports (a fresh 3.12 venv has no setuptools, a 3.9 one
has a setuptools too old for pyproject metadata, and PyPI may be out of reach).

It packs jarvis_context/ into a pure-Python wheel whose metadata comes from pyproject.toml's
[project] table (plain `key = "value"` lines: tomllib is 3.11+).
"""
import base64
import hashlib
import io
import os
import re
import tarfile
import zipfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PACKAGE = "jarvis_context"


def _project():
    with open(os.path.join(ROOT, "pyproject.toml"), encoding="utf-8") as f:
        text = f.read()
    table = re.search(r"^\[project\]\n(.*?)(?=^\[|\Z)", text, re.S | re.M).group(1)
    fields = dict(re.findall(r'^([\w-]+)\s*=\s*"([^"]*)"\s*$', table, re.M))
    fields["classifiers"] = re.findall(r'^\s*"([^"]+ :: [^"]+)",?\s*$', table, re.M)
    # [project.optional-dependencies]: `extra = ["requirement", ...]` lines.
    extras = re.search(r"^\[project\.optional-dependencies\]\n(.*?)(?=^\[|\Z)", text, re.S | re.M)
    fields["extras"] = [(name, re.findall(r'"([^"]+)"', reqs)) for name, reqs in re.findall(r"^([\w-]+)\s*=\s*\[(.*?)\]", extras.group(1), re.M)] if extras else []
    return fields


def _metadata():
    p = _project()
    lines = ["Metadata-Version: 2.1", "Name: " + p["name"], "Version: " + p["version"],
             "Summary: " + p["description"], "Requires-Python: " + p["requires-python"],
             "License: " + p.get("license-expression", "MIT")]
    lines += ["Classifier: " + c for c in p["classifiers"]]
    for extra, requirements in p["extras"]:
        lines += ["Provides-Extra: " + extra] + ['Requires-Dist: %s; extra == "%s"' % (r, extra) for r in requirements]
    with open(os.path.join(ROOT, p.get("readme", "README.md")), encoding="utf-8") as f:
        readme = f.read()
    lines += ["Description-Content-Type: text/markdown", "", readme]
    return p, "\n".join(lines)


def _files():
    for dirpath, dirnames, filenames in os.walk(os.path.join(ROOT, PACKAGE)):
        dirnames[:] = [d for d in dirnames if d != "__pycache__"]
        for name in sorted(filenames):
            if name.endswith(".py") or name == "py.typed":
                full = os.path.join(dirpath, name)
                yield os.path.relpath(full, ROOT).replace(os.sep, "/"), full


def _wheel(wheel_directory, files):
    p, metadata = _metadata()
    dist = "%s-%s" % (p["name"].replace("-", "_"), p["version"])
    name = dist + "-py3-none-any.whl"
    contents = [(arc, open(full, "rb").read()) for arc, full in files]
    contents.append((dist + ".dist-info/METADATA", metadata.encode("utf-8")))
    contents.append((dist + ".dist-info/WHEEL", b"Wheel-Version: 1.0\nGenerator: jarvis_build\nRoot-Is-Purelib: true\nTag: py3-none-any\n"))
    record = []
    with zipfile.ZipFile(os.path.join(wheel_directory, name), "w", zipfile.ZIP_DEFLATED) as z:
        for arc, data in contents:
            z.writestr(zipfile.ZipInfo(arc, (2020, 1, 1, 0, 0, 0)), data)
            digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
            record.append("%s,sha256=%s,%d" % (arc, digest, len(data)))
        record.append(dist + ".dist-info/RECORD,,")
        z.writestr(zipfile.ZipInfo(dist + ".dist-info/RECORD", (2020, 1, 1, 0, 0, 0)), "\n".join(record) + "\n")
    return name


def get_requires_for_build_wheel(config_settings=None):
    return []


get_requires_for_build_sdist = get_requires_for_build_editable = get_requires_for_build_wheel


def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    return _wheel(wheel_directory, _files())


def build_editable(wheel_directory, config_settings=None, metadata_directory=None):
    # A .pth naming this folder: edits to jarvis_context/ apply without reinstalling.
    pth = os.path.join(wheel_directory, "_jarvis_context_editable.pth")
    with open(pth, "w", encoding="utf-8") as f:
        f.write(ROOT + "\n")
    try:
        return _wheel(wheel_directory, [("_jarvis_context_editable.pth", pth)])
    finally:
        os.unlink(pth)


def build_sdist(sdist_directory, config_settings=None):
    p = _project()
    base = "%s-%s" % (p["name"].replace("-", "_"), p["version"])
    name = base + ".tar.gz"
    with tarfile.open(os.path.join(sdist_directory, name), "w:gz") as t:
        for rel in ["pyproject.toml", "README.md", "_build/jarvis_build.py"] + [arc for arc, _ in _files()]:
            t.add(os.path.join(ROOT, rel), arcname=base + "/" + rel)
        info = tarfile.TarInfo(base + "/PKG-INFO")
        data = _metadata()[1].encode("utf-8")
        info.size = len(data)
        t.addfile(info, io.BytesIO(data))
    return name
