"""Publish a trained model, and optionally the web demo, to the Hugging Face Hub.

    python -m training.publish --run RUN_DIR --repo owner/name [--private] [--space owner/name]

``RUN_DIR/export/`` holds the model folder (``config.json``, ``model.tflite``,
``model.weights.h5``), its ``MODEL_CARD.md`` and the evaluation report
``metrics.json``. Everything to upload is built and checked first (the model
card's metadata by the Hub's own validator), then each repo gets exactly one
commit made with ``create_commit`` (``upload_folder`` may split a folder into
several commits), based on the commit it read, so a failure leaves nothing
partial. ``HF_ENDPOINT`` and ``HF_TOKEN`` choose the Hub and the account.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import tomllib
from collections.abc import Sequence
from importlib import metadata
from pathlib import Path
from typing import Any

import httpx2
from huggingface_hub import (
    CommitOperationAdd,
    CommitOperationDelete,
    EvalResult,
    HfApi,
    ModelCard,
    RepoFile,
    SpaceCard,
)
from huggingface_hub.errors import HfHubHTTPError

from colorize_model.errors import ColorizeError
from colorize_model.hub import HUB_PREFIX, parse_ref

ROOT = Path(__file__).resolve().parents[1]  # the project: space/, the package, pyproject.toml
MODEL_FILES = ("config.json", "model.tflite", "model.weights.h5", "metrics.json")
CARD_FILE = "MODEL_CARD.md"
EVAL_MODEL = "model"  # the report's name for the model being published
METRIC_NAMES = {
    "psnr": "PSNR (dB)", "ssim": "SSIM", "delta_e2000": "CIEDE2000 colour difference",
    "auc": "AuC of ab error", "auc_rebalanced": "AuC of ab error, rebalanced",
    "colorfulness_ratio": "Colourfulness ratio", "seed_accuracy": "Accuracy vs seed model",
}
KEEP = (".gitattributes",)  # the Hub's own file in every repo: never deleted
SKIP = ("__pycache__", "*.pyc", "*.egg-info")


class PublishError(ColorizeError):
    """A run folder or card that cannot be published as it is."""


def model_card(export: Path, repo_id: str, license: str | None, datasets: Sequence[str]) -> ModelCard:
    """MODEL_CARD.md with the Hub metadata: its own front matter, then ours over it."""
    card = with_metadata(ModelCard, (export / CARD_FILE).read_text(encoding="utf-8"))
    data = card.data
    data.library_name, data.pipeline_tag = "keras", "image-to-image"
    data.tags = sorted({*(data.tags or []), "colorization"})
    data.license = license or data.license
    data.datasets = list(datasets) or data.datasets
    for field, option in (("license", "--license"), ("datasets", "--dataset")):
        if not getattr(data, field):
            raise PublishError(f"{export / CARD_FILE}: no {field}; add '{field}:' to its front matter or pass {option}")
    data.model_name = repo_id.split("/")[1]
    report = export / "metrics.json"
    try:
        data.eval_results = eval_results(json.loads(report.read_text()))
    except (ValueError, AttributeError) as error:  # not JSON, or not the report's shape
        raise PublishError(f"{report}: not an evaluation report ({error})") from None
    if not data.eval_results:
        raise PublishError(f"{report}: no evaluation results for {EVAL_MODEL!r}")
    return card


def with_metadata(card_type: type, text: str) -> Any:
    """A card of ``text``, given an empty metadata block if it has none."""
    if not text.lstrip().startswith("---"):
        text = f"---\n{{}}\n---\n{text}"
    return card_type(text, ignore_metadata_errors=True)


def eval_results(report: dict[str, Any]) -> list[EvalResult]:
    """model-index entries: every numeric score of the model, per evaluation set.

    Accepts a set's scores per model directly (``sets.kodak24.model``) or under
    ``mean`` as ``colorize_model.evaluate`` writes them; other keys are ignored.
    """
    results = []
    for set_name, entry in (report.get("sets") or {}).items():
        scores = entry.get("mean", entry) if isinstance(entry, dict) else {}
        for metric, value in (scores.get(EVAL_MODEL) or {}).items():
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                results.append(EvalResult(
                    task_type="image-to-image", task_name="Image colorization",
                    dataset_type=set_name, dataset_name=set_name,
                    metric_type=metric, metric_name=METRIC_NAMES.get(metric, metric), metric_value=value,
                ))
    return results


def build_model_folder(run: Path, repo_id: str, license: str | None, datasets: Sequence[str], into: Path) -> ModelCard:
    """Copy the exported model and write README.md (the card) into ``into``."""
    export = run / "export"
    missing = [name for name in (*MODEL_FILES, CARD_FILE) if not (export / name).is_file()]
    if missing:
        raise PublishError(f"{export}: missing {', '.join(missing)} (train and export the run first)")
    card = model_card(export, repo_id, license, datasets)
    for name in MODEL_FILES:
        shutil.copy2(export / name, into / name)
    (into / "README.md").write_text(str(card), encoding="utf-8")
    return card


def build_space_folder(space: Path, into: Path) -> SpaceCard:
    """The demo app, the package it runs and its requirements, as a Gradio Space."""
    if not (space / "app.py").is_file():
        raise PublishError(f"{space}: no app.py to deploy")
    shutil.copytree(space, into, ignore=shutil.ignore_patterns(*SKIP), dirs_exist_ok=True)
    # Inference needs no Keras weights: the Space gets the package without them.
    package = shutil.ignore_patterns(*SKIP, "*.weights.h5")
    shutil.copytree(ROOT / "colorize_model", into / "colorize_model", ignore=package)
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    listed = (space / "requirements.txt").read_text().splitlines() if (space / "requirements.txt").is_file() else []
    extra = [line.split("#")[0].strip() for line in listed if line.split("#")[0].strip()]
    (into / "requirements.txt").write_text("\n".join(dict.fromkeys([*project["dependencies"], *extra])) + "\n")
    readme = space / "README.md"
    card = with_metadata(SpaceCard, readme.read_text(encoding="utf-8") if readme.is_file() else "# Colorize\n")
    card.data.sdk, card.data.app_file = "gradio", card.data.app_file or "app.py"
    card.data.sdk_version = card.data.sdk_version or gradio_version()  # the Gradio the demo was tested with
    card.data.title = card.data.title or "Colorize"
    card.data.license = card.data.license or project["license"]["text"].lower()
    (into / "README.md").write_text(str(card), encoding="utf-8")
    return card


def gradio_version() -> str:
    try:
        return metadata.version("gradio")
    except metadata.PackageNotFoundError:
        raise PublishError("gradio is not installed here: cannot tell the Space which Gradio the demo needs") from None


def commit_folder(api: HfApi, repo_id: str, folder: Path, message: str, kind: str | None = None) -> Any:
    """Make the repo hold exactly ``folder`` (plus KEEP), in one commit on what it had."""
    head = api.repo_info(repo_id, repo_type=kind).sha
    new = {path.relative_to(folder).as_posix(): path for path in sorted(folder.rglob("*")) if path.is_file()}
    old = {entry.path for entry in api.list_repo_tree(repo_id, repo_type=kind, revision=head, recursive=True)
           if isinstance(entry, RepoFile)}
    operations = [CommitOperationDelete(path) for path in sorted(old - set(new) - set(KEEP))]
    operations += [CommitOperationAdd(path_in_repo=name, path_or_fileobj=path) for name, path in new.items()]
    return api.create_commit(repo_id, operations, commit_message=message, repo_type=kind, parent_commit=head)


def publish(run: Path, repo_id: str, *, private: bool = False, space_id: str | None = None,
            license: str | None = None, datasets: Sequence[str] = ()) -> list[Any]:
    """Build and validate every folder, then commit the model, then the Space."""
    api = HfApi()
    with tempfile.TemporaryDirectory(prefix="publish-") as temp:
        model_dir, space_dir = Path(temp, "model"), Path(temp, "space")
        model_dir.mkdir()
        card = build_model_folder(run, repo_id, license, datasets, model_dir)
        card.validate()
        if space_id:
            build_space_folder(ROOT / "space", space_dir).validate()
        api.create_repo(repo_id, private=private, exist_ok=True)
        commits = [commit_folder(api, repo_id, model_dir, f"Publish model from {run.name}")]
        if space_id:
            model_ref = f"hf://{repo_id}@{commits[0].oid}"
            api.create_repo(space_id, repo_type="space", space_sdk="gradio", private=private, exist_ok=True)
            api.add_space_variable(space_id, "COLORIZE_MODELS", model_ref,
                                   description="Hub models the demo offers beside the embedded one")
            commits.append(commit_folder(api, space_id, space_dir, f"Deploy demo with {model_ref}", "space"))
    return commits


def repo_id(text: str) -> str:
    """argparse type: an ``owner/name`` the Hub can have."""
    try:
        repo, revision = parse_ref(HUB_PREFIX + text)
        if revision is None:
            return repo
    except ColorizeError:
        pass
    raise argparse.ArgumentTypeError(f"expected owner/name, got {text!r}")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m training.publish", description=__doc__.split("\n\n")[0])
    parser.add_argument("--run", required=True, type=Path, help="training run folder (with export/)")
    parser.add_argument("--repo", required=True, type=repo_id, help="model repo, owner/name")
    parser.add_argument("--private", action="store_true", help="create the repos private")
    parser.add_argument("--space", type=repo_id, help="also deploy space/ and the package as this Gradio Space")
    parser.add_argument("--license", help="licence id for the card (default: the card's own)")
    parser.add_argument("--dataset", action="append", default=[], help="training data for the card (repeatable)")
    args = parser.parse_args(argv)
    try:
        commits = publish(args.run, args.repo, private=args.private, space_id=args.space,
                          license=args.license, datasets=args.dataset)
    except HfHubHTTPError as error:
        status, url = error.response.status_code, error.response.request.url
        hint = " (check HF_TOKEN)" if status in (401, 403) else ""
        print(f"publish: error: {url} answered {status}{hint}: {error.server_message or ''}".rstrip(": "),
              file=sys.stderr)
        return 1
    except (ColorizeError, OSError, ValueError, httpx2.HTTPError) as error:
        print(f"publish: error: {str(error).strip().splitlines()[0]}", file=sys.stderr)
        return 1
    for commit in commits:
        print(f"{commit.commit_url} {commit.oid}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
