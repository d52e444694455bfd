"""`python -m rlhf_core push`: a trained run to a Hub model repository, in one commit.

What goes up: the LoRA adapter (adapter_model.safetensors + adapter_config.json), the PPO value
head, the model card (rewritten first) with its curves figure, the run's configuration (as
`rlhf_config.json`: a root `config.json` would read as a transformers model config) and the
evaluation files when the run was evaluated. The optimizer state stays local.
"""

from __future__ import annotations

from pathlib import Path

from ..errors import UserError
from ..training.runs import RunDir

CHECKPOINT_FILES = ("adapter_model.safetensors", "adapter_config.json", "value_head.safetensors", "README.md",
                    "training_curves.png")
RUN_FILES = {"config.json": "rlhf_config.json", "eval.json": "eval.json", "eval_samples.csv": "eval_samples.csv",
             "eval_samples.json": "eval_samples.json", "metrics.jsonl": "metrics.jsonl",
             "ratings.jsonl": "ratings.jsonl"}


def files_to_push(run: RunDir) -> dict[str, Path]:
    """Returns {path in the repository: local file} for a run with a checkpoint."""
    folder = run.checkpoint_dir()
    if folder is None:
        raise UserError(f"cannot push {run.path}: it has no checkpoint yet; train at least one step first")
    files = {name: folder / name for name in CHECKPOINT_FILES if (folder / name).is_file()}
    files.update({target: run.path / name for name, target in RUN_FILES.items() if (run.path / name).is_file()})
    return files


def push_run(run_dir: str | Path, repo_id: str, private: bool = False, token: str | None = None) -> str:
    """Writes the run's model card, uploads the run to `repo_id` and returns the commit's URL.

    Raises UserError with one line when the Hub cannot be reached, offline mode is on, no token is
    set, or the Hub refuses (bad name, no write access).
    """
    import httpx2
    from huggingface_hub import CommitOperationAdd, HfApi
    from huggingface_hub.errors import HfHubHTTPError, LocalTokenNotFoundError, OfflineModeIsEnabled

    from ..models.hub import hub_offline, offline_env_set
    from .model_card import write_model_card

    run = RunDir(run_dir)
    run.config()  # a clear error for a folder that is not a run
    write_model_card(run.path)
    files = files_to_push(run)
    if hub_offline():
        why = "HF_HUB_OFFLINE is set" if offline_env_set() else "the Hub was found unreachable"
        raise UserError(f"cannot push to {repo_id}: {why}; unset HF_HUB_OFFLINE on a machine with Hub access "
                        "and log in (hf auth login)")
    api = HfApi(token=token)
    try:
        api.create_repo(repo_id, private=private, repo_type="model", exist_ok=True)
        commit = api.create_commit(
            repo_id, repo_type="model", commit_message=f"Upload detox-rlhf run {run.path.name}",
            operations=[CommitOperationAdd(path_in_repo=name, path_or_fileobj=str(path))
                        for name, path in files.items()],
        )
    except LocalTokenNotFoundError:
        raise UserError(f"cannot push to {repo_id}: no Hugging Face token; run `hf auth login` or set HF_TOKEN"
                        ) from None
    except OfflineModeIsEnabled:
        raise UserError(f"cannot push to {repo_id}: HF_HUB_OFFLINE is set") from None
    except HfHubHTTPError as error:
        status = error.response.status_code if error.response is not None else "?"
        first = str(error).splitlines()[0]
        raise UserError(f"cannot push to {repo_id}: the Hub answered HTTP {status} ({first})") from None
    except (httpx2.HTTPError, OSError) as error:
        raise UserError(f"cannot push to {repo_id}: the Hugging Face Hub is not reachable "
                        f"({type(error).__name__})") from None
    return commit.commit_url
