"""A model artifact is data: loading one never runs code it carries (issue #16, item 1)."""

from __future__ import annotations

import io
import json
import shlex
import shutil
import zipfile
from pathlib import Path

import pytest
import skops.io as sio

from detente.cli import main
from detente.model import (
    DEFAULT_MODEL_PATH,
    ModelError,
    StanceModel,
    checksum_path,
    read_checksum,
    write_checksum,
)

ROOT = Path(__file__).resolve().parents[3]
needs_artifact = pytest.mark.skipif(not DEFAULT_MODEL_PATH.exists(), reason="no model artifact")


def calling(module: str, function: str, argument: str) -> bytes:
    """A skops archive whose `pipeline` entry is `module.function(argument)`, written the
    way skops writes an object rebuilt from its constructor: a hostile artifact."""
    honest = sio.dumps({"pipeline": (argument,), "name": "detente-stance-v1"})
    with zipfile.ZipFile(io.BytesIO(honest)) as archive:
        schema = json.loads(archive.read("schema.json"))
    arguments = schema["content"]["pipeline"]
    schema["content"]["pipeline"] = {
        "__class__": function,
        "__module__": module,
        "__loader__": "ConstructorFromReduceNode",
        "content": arguments,
    }
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("schema.json", json.dumps(schema))
    return out.getvalue()


def hostile_files(marker: Path) -> dict[str, bytes]:
    return {
        "builtins.exec": calling("builtins", "exec", f"open({str(marker)!r}, 'w').write('ran')"),
        "os.system": calling("os", "system", f"touch {shlex.quote(str(marker))}"),
    }


@pytest.mark.parametrize("call", ["builtins.exec", "os.system"])
def test_a_file_that_calls_a_function_is_refused_with_nothing_run(
    tmp_path: Path, call: str
) -> None:
    marker = tmp_path / "ran"
    path = tmp_path / "stance.skops"
    path.write_bytes(hostile_files(marker)[call])
    write_checksum(path)  # whoever can replace the file can replace its checksum too

    for verify in (True, False):
        with pytest.raises(ModelError, match=f"types outside the reviewed list.*{call}"):
            StanceModel.load(path, verify_checksum=verify)
    assert not marker.exists()


def test_the_hostile_files_do_run_code_when_loaded_trusting_what_they_name(
    tmp_path: Path,
) -> None:
    # The control: without the reviewed list, skops builds them, and the call runs.
    for call, data in hostile_files(tmp_path / "ran").items():
        (tmp_path / "ran").unlink(missing_ok=True)
        sio.loads(data, trusted=sio.get_untrusted_types(data=data))
        assert (tmp_path / "ran").exists(), call


def test_a_type_skops_trusts_by_itself_is_refused_when_the_model_does_not_use_it(
    tmp_path: Path,
) -> None:
    from sklearn.naive_bayes import MultinomialNB

    path = tmp_path / "stance.skops"
    sio.dump({"pipeline": MultinomialNB(), "name": "detente-stance-v1"}, path)
    write_checksum(path)
    with pytest.raises(ModelError, match=r"sklearn\.naive_bayes\.MultinomialNB"):
        StanceModel.load(path)


@pytest.fixture
def shipped_copy(tmp_path: Path) -> Path:
    if not DEFAULT_MODEL_PATH.exists():
        pytest.skip("no model artifact")
    path = tmp_path / "stance.skops"
    shutil.copyfile(DEFAULT_MODEL_PATH, path)
    shutil.copyfile(checksum_path(DEFAULT_MODEL_PATH), checksum_path(path))
    return path


def test_a_changed_byte_is_refused_by_its_checksum(shipped_copy: Path) -> None:
    data = bytearray(shipped_copy.read_bytes())
    data[len(data) // 2] ^= 0x01
    shipped_copy.write_bytes(bytes(data))
    with pytest.raises(ModelError, match=r"its SHA-256 is .* recorded in stance\.skops\.sha256"):
        StanceModel.load(shipped_copy)


def test_a_given_digest_overrides_the_file_and_must_match(shipped_copy: Path) -> None:
    recorded = read_checksum(shipped_copy)
    checksum_path(shipped_copy).write_text("0" * 64 + "  stance.skops\n")
    with pytest.raises(ModelError, match="recorded in"):
        StanceModel.load(shipped_copy)
    assert StanceModel.load(shipped_copy, sha256=recorded.upper()).version.endswith(recorded[:12])
    with pytest.raises(ModelError, match="is given"):
        StanceModel.load(shipped_copy, sha256="f" * 64)
    with pytest.raises(ModelError, match="not 64 hex digits"):
        StanceModel.load(shipped_copy, sha256="f5ba84c0")


def test_without_a_checksum_file_it_says_how_to_allow_the_model(shipped_copy: Path) -> None:
    checksum_path(shipped_copy).unlink()
    with pytest.raises(ModelError, match="no checksum") as refused:
        StanceModel.load(shipped_copy)
    for way in ("sha256sum stance.skops > stance.skops.sha256", "DETENTE_MODEL_SHA256",
                "DETENTE_MODEL_VERIFY=false"):  # fmt: skip
        assert way in str(refused.value)
    assert StanceModel.load(shipped_copy, verify_checksum=False).agency is not None


def test_the_command_line_refuses_an_unrecorded_model_with_the_reason(
    shipped_copy: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    checksum_path(shipped_copy).unlink()
    sample = str(ROOT / "data" / "sample" / "articles.jsonl")
    assert main(["--model", str(shipped_copy), "classify", sample]) == 2
    assert "no checksum for" in capsys.readouterr().err
    assert main(["--model", str(shipped_copy), "--no-model-verify", "classify", sample]) == 0


@needs_artifact
def test_the_shipped_model_loads_and_its_card_states_its_checksum() -> None:
    recorded = read_checksum(DEFAULT_MODEL_PATH)
    model = StanceModel.load()
    assert model.version == f"detente-stance-v1-{recorded[:12]}"
    card = (ROOT / "models" / "README.md").read_text(encoding="utf-8")
    assert recorded in card, "models/README.md must state the artifact's SHA-256"
