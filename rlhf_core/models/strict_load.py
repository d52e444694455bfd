"""Adapter and value-head files loaded strictly: a file whose tensors do not fit the model exactly
is refused with one line naming it, never loaded halfway.

PEFT loads an adapter non-strictly (`set_peft_model_state_dict` is `load_state_dict(strict=False)`
over the whole model), so a file holding one unrelated tensor "loads" and leaves the LoRA layers at
their fresh initialisation: an evaluation would compare the base model with an untrained adapter, a
resume would restart from scratch and overwrite the run. Here PEFT's own load result (its missing
and unexpected keys) and torch's size check decide; the value head loads with torch's strict
`load_state_dict`.
"""

from __future__ import annotations

from pathlib import Path

from ..errors import UserError

ADAPTER_FILE = "adapter_model.safetensors"
VALUE_HEAD_FILE = "value_head.safetensors"


def _examples(keys: list[str]) -> str:
    return ", ".join(keys[:2]) + (f" and {len(keys) - 2} more" if len(keys) > 2 else "")


def _first_line(error: Exception) -> str:
    lines = [line.strip() for line in str(error).splitlines() if line.strip()]
    sized = [line for line in lines if "size mismatch" in line]  # torch lists the mismatch after a header
    return (sized or lines or [type(error).__name__])[0]


def refuse_mismatch(file: Path | str, missing: list[str], unexpected: list[str]) -> None:
    """Raises UserError naming `file` if it lacks weights the model needs or holds weights it has no place for."""
    problems = []
    if missing:
        problems.append(f"{len(missing)} weight(s) missing ({_examples(missing)})")
    if unexpected:
        problems.append(f"{len(unexpected)} weight(s) the model has no place for ({_examples(unexpected)})")
    if problems:
        raise UserError(f"{file} does not fit the model: {'; '.join(problems)}; it is damaged or belongs to "
                        "another model or LoRA shape: restore it, or start a new run")


def read_tensors(file: Path) -> dict:
    """The tensors of a safetensors file, or UserError naming the file if it is missing or unreadable."""
    from safetensors import SafetensorError
    from safetensors.torch import load_file

    if not Path(file).is_file():
        raise UserError(f"{file} is missing; restore it, or start a new run")
    try:
        return load_file(str(file))
    except (SafetensorError, OSError) as error:
        raise UserError(f"{file} is damaged (not a readable safetensors file: {_first_line(error)}); "
                        "restore it, or start a new run") from None


def adapter_missing_keys(result, adapter_name: str) -> list[str]:
    """The LoRA weights of `adapter_name` that a load left out (the whole model's keys are in the result)."""
    return [key for key in result.missing_keys if "lora_" in key and f".{adapter_name}." in key]


def load_adapter_weights(model, folder: Path | str, adapter_name: str) -> None:
    """Loads `folder/adapter_model.safetensors` into `model`'s adapter `adapter_name`: every LoRA weight
    present, nothing else, every shape equal; else UserError naming the file."""
    from peft import set_peft_model_state_dict

    file = Path(folder) / ADAPTER_FILE
    weights = read_tensors(file)
    try:
        result = set_peft_model_state_dict(model, weights, adapter_name=adapter_name)
    except (RuntimeError, ValueError, KeyError) as error:  # torch refuses a shape even when not strict
        raise UserError(f"{file} does not fit the model: {_first_line(error)}; "
                        "restore it, or start a new run") from None
    refuse_mismatch(file, adapter_missing_keys(result, adapter_name), list(result.unexpected_keys))


def open_adapter(base, adapter: str, adapter_name: str = "default", is_trainable: bool = False):
    """`PeftModel.from_pretrained`, strictly: returns `base` wrapped with the adapter saved in `adapter`
    (a folder or Hub id), refusing a file whose weights do not fit. `from_pretrained` is these two
    steps (wrap, then `load_adapter`) but drops the load result, only warning on missing keys."""
    from peft import PeftConfig, get_peft_model

    config = PeftConfig.from_pretrained(adapter)
    config.inference_mode = not is_trainable
    model = get_peft_model(base, config, adapter_name=adapter_name)
    try:
        result = model.load_adapter(adapter, adapter_name, is_trainable=is_trainable, use_safetensors=True)
    except RuntimeError as error:
        raise UserError(f"{Path(adapter) / ADAPTER_FILE} does not fit the model: {_first_line(error)}; "
                        "restore it, or pass another adapter") from None
    refuse_mismatch(Path(adapter) / ADAPTER_FILE, list(result.missing_keys), list(result.unexpected_keys))
    return model


def load_value_head(head, folder: Path | str) -> None:
    """Loads `folder/value_head.safetensors` into `head` with torch's strict check; a missing file is refused
    too (a PPO run resumed with a fresh value head would not repeat the uninterrupted run)."""
    file = Path(folder) / VALUE_HEAD_FILE
    if not file.is_file():
        raise UserError(f"{file} is missing: this PPO checkpoint has no value head, and a fresh one would not "
                        "repeat the run; restore it, or start a new run")
    device = head.weight.device
    tensors = {key: value.to(device) for key, value in read_tensors(file).items()}
    try:
        head.load_state_dict(tensors, strict=True)
    except RuntimeError as error:
        raise UserError(f"{file} does not fit the value head: {_first_line(error)}; "
                        "restore it, or start a new run") from None
