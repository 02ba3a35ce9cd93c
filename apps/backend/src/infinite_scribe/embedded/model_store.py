"""The models `scribe model pull` fetched (issue 77): GGUF files in SCRIBE_DATA_DIR/models, each
with a sidecar `<file>.json` saying where it came from and its SHA-256, and the small catalogue
of named models a writer can pull by name (`qwen3-8b`) instead of `owner/repo/file.gguf`.

The catalogue's files and checksums are the ones their repositories publish (each file's
SHA-256 is its Git LFS object id); its sizes, licences and languages are the model cards'.
"""

import json
import re
from dataclasses import asdict, dataclass
from pathlib import Path

#: The folder of pulled models, inside SCRIBE_DATA_DIR.
MODELS_FOLDER = "models"
#: What a repository and a file name may hold: Hugging Face's own rule for repository ids,
#: and a file name (no folder: nothing outside the models folder is ever written).
_REPO = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,95}/[A-Za-z0-9][A-Za-z0-9._-]{0,95}$")
_FILE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,199}\.gguf$")
_REVISION = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")
_SHA256 = re.compile(r"^[0-9a-f]{64}$")


class UnknownModel(ValueError):
    """A name neither in the catalogue nor of the form `owner/repo/file.gguf`."""


@dataclass(frozen=True)
class Published:
    """One model of the catalogue: a published GGUF file and what its card says of it."""

    repo: str
    file: str
    sha256: str
    size_gb: float
    #: Resident memory it needs at an 8k window: the file plus the engine's KV cache.
    memory_gb: float
    licence: str
    languages: str


#: A few models for real writing in Chinese and English, Q4_K_M (4-bit) quantizations: the
#: size most local tools default to. Pull them by these names.
CATALOGUE: dict[str, Published] = {
    "qwen3-1.7b": Published(
        "MaziyarPanahi/Qwen3-1.7B-GGUF",
        "Qwen3-1.7B.Q4_K_M.gguf",
        "ea2aa5f1cce3c8df81ae5fd292a6ed265b8393cc89534dc21fc5327cc974116a",
        1.1,
        2.0,
        "Apache-2.0",
        "Chinese, English (100+ languages)",
    ),
    "qwen3-4b": Published(
        "unsloth/Qwen3-4B-GGUF",
        "Qwen3-4B-Q4_K_M.gguf",
        "f6f851777709861056efcdad3af01da38b31223a3ba26e61a4f8bf3a2195813a",
        2.5,
        4.0,
        "Apache-2.0",
        "Chinese, English (100+ languages)",
    ),
    "qwen3-8b": Published(
        "unsloth/Qwen3-8B-GGUF",
        "Qwen3-8B-Q4_K_M.gguf",
        "120307ba529eb2439d6c430d94104dabd578497bc7bfe7e322b5d9933b449bd4",
        5.0,
        7.0,
        "Apache-2.0",
        "Chinese, English (100+ languages)",
    ),
    "llama-3.2-3b": Published(
        "hugging-quants/Llama-3.2-3B-Instruct-Q4_K_M-GGUF",
        "llama-3.2-3b-instruct-q4_k_m.gguf",
        "c55a83bfb6396799337853ca69918a0b9bbb2917621078c34570bc17d20fd7a1",
        2.0,
        3.5,
        "Llama 3.2 Community License",
        "English (and 7 more; no Chinese)",
    ),
    "mistral-7b": Published(
        "MaziyarPanahi/Mistral-7B-Instruct-v0.3-GGUF",
        "Mistral-7B-Instruct-v0.3.Q4_K_M.gguf",
        "14850c84ff9f06e9b51d505d64815d5cc0cea0257380353ac0b3d21b21f6e024",
        4.4,
        5.5,
        "Apache-2.0",
        "English",
    ),
}


@dataclass(frozen=True)
class ModelSource:
    """What to fetch: a repository's file at a revision, the SHA-256 it must have (None: ask the
    server), and the name the engine will serve it under."""

    name: str
    repo: str
    file: str
    revision: str = "main"
    sha256: str | None = None


def source_of(spec: str, revision: str = "main", sha256: str | None = None) -> ModelSource:
    """A catalogue name or `owner/repo/file.gguf`; raises UnknownModel (or ValueError for a
    malformed revision or checksum) saying what is accepted."""
    spec = spec.strip()
    if not _REVISION.match(revision):
        raise ValueError(f"not a revision: {revision!r} (a branch, tag or commit)")
    if sha256 is not None and not _SHA256.match(sha256.lower()):
        raise ValueError(f"not a SHA-256: {sha256!r} (64 hexadecimal digits)")
    expected = sha256.lower() if sha256 else None
    published = CATALOGUE.get(spec.lower())
    if published is not None:
        pinned = expected or (published.sha256 if revision == "main" else None)
        return ModelSource(spec.lower(), published.repo, published.file, revision, pinned)
    repo, _, file = spec.rpartition("/")
    if not (_REPO.match(repo) and _FILE.match(file)) or ".." in spec:
        names = ", ".join(CATALOGUE)
        raise UnknownModel(
            f"unknown model {spec!r}: name one of {names}, or a GGUF file of a repository "
            "as owner/repo/file.gguf"
        )
    return ModelSource(Path(file).stem, repo, file, revision, expected)


def models_dir(data_dir: Path) -> Path:
    return data_dir / MODELS_FOLDER


@dataclass(frozen=True)
class PulledModel:
    """A pulled file and its sidecar's facts."""

    name: str
    repo: str
    file: str
    revision: str
    sha256: str
    size: int
    path: Path

    def sidecar(self) -> dict[str, object]:
        facts = asdict(self)
        del facts["path"]
        return facts


def sidecar_path(file: Path) -> Path:
    return file.with_name(file.name + ".json")


def record_pulled(pulled: PulledModel) -> None:
    """Write the sidecar (after the file is in place: a file without one is not listed)."""
    sidecar_path(pulled.path).write_text(json.dumps(pulled.sidecar(), indent=2) + "\n")


def pulled_models(data_dir: Path) -> list[PulledModel]:
    """Every complete pulled model, by name."""
    found = []
    for sidecar in sorted(models_dir(data_dir).glob("*.gguf.json")):
        path = sidecar.with_name(sidecar.name.removesuffix(".json"))
        try:
            facts = json.loads(sidecar.read_text())
            found.append(PulledModel(**{**facts, "path": path}))
        except (OSError, ValueError, TypeError):
            continue  # a sidecar edited by hand, or of another version: not ours to read
        if not path.is_file():
            found.pop()
    return sorted(found, key=lambda model: model.name)


def partial_downloads(data_dir: Path) -> list[tuple[str, int]]:
    """Interrupted pulls (`<file>.part`) and the bytes they hold."""
    folder = models_dir(data_dir)
    return [(part.name, part.stat().st_size) for part in sorted(folder.glob("*.gguf.part"))]


def find_pulled(data_dir: Path, spec: str) -> PulledModel | None:
    """The pulled model `spec` names: its name (`qwen3-8b`), `owner/repo/file.gguf`, or its
    file's name."""
    spec = spec.strip()
    for model in pulled_models(data_dir):
        if spec in (model.name, f"{model.repo}/{model.file}", model.file):
            return model
    return None


def looks_pullable(spec: str) -> bool:
    """True for a catalogue name or `owner/repo/file.gguf` (what `scribe model pull` takes)."""
    try:
        source_of(spec)
    except ValueError:
        return False
    return True
