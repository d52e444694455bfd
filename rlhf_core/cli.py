"""Command line: `python -m rlhf_core {train,evaluate,push,presets,sft,reward-train,build-demo,ratings} ...`.

Every configuration field is a flag (`--optim.learning_rate 1e-5`, `--data.dataset FILE`), and the
common ones have short forms (`--batch-size`, `--dataset`, ...). Bad input prints one line on
stderr and exits with status 2; it never shows a traceback or waits on the network.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import sys
import typing

from .config import apply_overrides, coerce, field_paths, get_config, list_presets, validate
from .config.describe import describe, field_docs
from .errors import UserError

SHORT_FLAGS = {
    "--dataset": "data.dataset",
    "--adapter": "model.adapter",
    "--policy": "model.policy",
    "--reward-model": "reward.model",
    "--batch-size": "optim.batch_size",
    "--mini-batch-size": "optim.mini_batch_size",
    "--learning-rate": "optim.learning_rate",
    "--seed": "seed",
    "--steps": "steps",
    "--report-to": "report_to",
}


def _type_name(hint) -> str:
    args = [a for a in typing.get_args(hint) if a is not type(None)]
    hint = args[0] if args else hint
    return getattr(hint, "__name__", str(hint))


# Short forms that mean the same in `sft` (its --learning-rate / --batch-size are its own).
SFT_SHORT_FLAGS = {flag: key for flag, key in SHORT_FLAGS.items() if flag in ("--dataset", "--policy", "--seed")}


def _add_config_flags(parser: argparse.ArgumentParser, short_flags: dict[str, str] = SHORT_FLAGS) -> None:
    docs = field_docs()
    group = parser.add_argument_group("configuration (any field; overrides the preset)")
    for flag, key in short_flags.items():
        group.add_argument(flag, dest=f"cfg:{key}", metavar=key.split(".")[-1].upper(), help=f"= --{key}: {docs[key]}")
    for key, hint in field_paths().items():
        if key in ("preset", "seed", "steps"):
            continue  # --preset is its own option; --seed / --steps are above
        group.add_argument(f"--{key}", dest=f"cfg:{key}", metavar=_type_name(hint).upper(), help=docs[key])


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m rlhf_core", description="Detoxify a seq2seq summarizer with PPO.")
    sub = parser.add_subparsers(dest="command", required=True)

    train = sub.add_parser("train", help="run PPO and save the run", epilog=(
        "Every configuration field is also a flag, e.g. --optim.learning_rate 1e-5 --generation.max_new_tokens_max 64; "
        "see `python -m rlhf_core presets --show tiny` for a preset's values. With --resume the saved run's settings "
        "are the base: flags that change how it learns are refused; steps, save_every, eval.* and batch splits apply."))
    train.add_argument("--preset", default=None, help=(
        f"one of: {', '.join(list_presets())} (default: flan-t5-base; with --resume: the run's own)"))
    train.add_argument("--run-dir", required=True, help="folder for config, metrics and checkpoints")
    train.add_argument("--resume", action="store_true", help="continue the run in --run-dir from its last checkpoint")
    train.add_argument("--no-progress", action="store_true", help="print one line per step instead of a progress bar")
    train.add_argument("--trl-config", metavar="FILE.json", help=(
        "a TRL 0.11 PPOConfig as JSON (e.g. PPOConfig.to_dict()): every field with a counterpart is mapped "
        "(target -> ppo.target_kl, target_kl -> ppo.early_stopping_kl), fields that cannot be honoured are "
        "refused by name; other flags override it"))
    _add_config_flags(train)

    evaluate = sub.add_parser("evaluate", help="compare a run's policy before and after PPO")
    evaluate.add_argument("--run-dir", required=True)
    evaluate.add_argument("--samples", type=int, default=None,
                          help="test dialogues to compare (default: the run's eval.samples)")
    evaluate.add_argument("--show", type=int, default=5, help="rows of the before/after table to print")
    evaluate.add_argument("--judge", default=None, help=(
        "independent toxicity classifier (Hub id or folder; default: the run's eval.judge); 'none' for no judge"))
    evaluate.add_argument("--judge-label", default=None,
                          help="the judge's toxic label (default: the run's eval.judge_label)")
    evaluate.add_argument("--sampled-k", type=int, default=None, help=(
        "summaries sampled per dialogue beside the greedy one (default: the run's eval.sampled_k; 0 = greedy only)"))
    evaluate.add_argument("--format", choices=("text", "markdown"), default="text",
                          help="markdown: a table to paste into a model card or a pull request")

    push = sub.add_parser("push", help="upload a run (adapter, value head, model card, evaluation) to the Hub")
    push.add_argument("--run-dir", required=True, help="the trained run to upload")
    push.add_argument("--repo-id", required=True, help="Hub model repository, e.g. YOUR_NAME/flan-t5-detox-ppo")
    push.add_argument("--private", action="store_true", help="create the repository as private")

    presets = sub.add_parser("presets", help="list presets, or print one with every field described")
    presets.add_argument("--show", metavar="PRESET", help="print this preset's full configuration, one field a line")

    from .prep.trainer_args import RewardTrainConfig, SFTConfig

    sft = sub.add_parser("sft", help="stage-1 SFT: fine-tune the policy on dialogue -> summary pairs", epilog=(
        "The preset gives the model, the LoRA shape, the prompt template and the data settings; "
        "--mode lora writes PPO's starting adapter (train --adapter OUT), --mode full a policy folder "
        "(train --policy OUT)."))
    sft.add_argument("--preset", default="flan-t5-base", help=f"one of: {', '.join(list_presets())}")
    sft.add_argument("--out", required=True, help="folder for the adapter or model (must be new or empty)")
    sft.add_argument("--threads", type=int, default=None, help="torch CPU threads (default: torch's choice)")
    _add_dataclass_flags(sft, SFTConfig(), "sft")
    _add_config_flags(sft, SFT_SHORT_FLAGS)

    reward = sub.add_parser("reward-train", help="stage 2: train the nothate/hate reward classifier on labelled texts")
    reward.add_argument("--out", required=True, help="folder for the classifier (must be new or empty)")
    reward.add_argument("--threads", type=int, default=None, help="torch CPU threads (default: torch's choice)")
    _add_dataclass_flags(reward, RewardTrainConfig(), "reward")

    demo = sub.add_parser("build-demo",
                          help="build the offline demo checkpoints from scratch (about 15 min on one core)")
    demo.add_argument("--out", default=None, help=(
        "demo folder, replaced once the build succeeds (default: the checkpoints/demo that the demo preset loads)"))
    demo.add_argument("--data-dir", default=None, help="keep the generated corpus here (default: a temporary folder)")
    demo.add_argument("--only", choices=["reward", "judge"], default=None, help=(
        "retrain only this classifier of an existing demo folder and update its metrics and README "
        "(minutes; the reward model only with the same summarizer tokenizer)"))
    demo.add_argument("--threads", type=int, default=1, help=(
        "torch CPU threads (default 1: on a shared 2-core machine, two threads wait on each other)"))
    from .evaluation.ratings_export import add_parser as add_ratings

    add_ratings(sub)  # `ratings`: a run's human ratings and preference pairs
    return parser


def _add_dataclass_flags(parser: argparse.ArgumentParser, defaults, prefix: str) -> None:
    """Adds --field-name for every field of a settings dataclass, with its default in the help."""
    group = parser.add_argument_group(f"{prefix} settings")
    for f in dataclasses.fields(defaults):
        group.add_argument(f"--{f.name.replace('_', '-')}", dest=f"{prefix}:{f.name}", metavar=f.name.upper(),
                           help=f"default: {getattr(defaults, f.name)!r}")


def _dataclass_from_args(cls, args: argparse.Namespace, prefix: str):
    """Returns `cls()` with the fields given on the command line, converted to their types."""
    hints = typing.get_type_hints(cls)
    values = {key.split(":", 1)[1]: value for key, value in vars(args).items()
              if key.startswith(f"{prefix}:") and value is not None}
    return cls(**{name: coerce(value, hints[name], f"--{name.replace('_', '-')}") for name, value in values.items()})


def _set_threads(threads: int | None) -> None:
    if threads is None:
        return
    if threads < 1:
        raise UserError(f"--threads must be at least 1 (got {threads})")
    import torch

    torch.set_num_threads(threads)


def _overrides(args: argparse.Namespace) -> dict:
    return {k[4:]: v for k, v in vars(args).items() if k.startswith("cfg:") and v is not None}


def _train_overrides(args) -> dict:
    """The --trl-config file's settings (if any), then every configuration flag on top."""
    if not args.trl_config:
        return _overrides(args)
    from .config.trl import load_trl_config

    trl, ignored = load_trl_config(args.trl_config)
    if ignored:
        print(f"--trl-config: ignored (no effect here): {', '.join(ignored)}", file=sys.stderr)
    return {**trl, **_overrides(args)}


def cmd_train(args) -> int:
    from .models.hub import ensure_downloadable, limit_hub_timeouts
    from .models.loading import check_adapter_folder
    from .training.diagnostics import kl_warning

    if not args.run_dir.strip():
        raise UserError("--run-dir is empty: name the folder for the run's config, metrics and checkpoints")
    if args.resume:  # the saved run is the base; flags change it (iter_train refuses unsafe changes)
        from .training.runs import RunDir

        saved = RunDir(args.run_dir)
        if not saved.exists():
            raise UserError(f"cannot resume: {args.run_dir} holds no run (config.json missing)")
        config = saved.config()
        _check_eval_report(args.run_dir)  # the model card written after training reads it
        if args.preset and args.preset != config.preset:
            raise UserError(f"cannot resume {args.run_dir} with --preset {args.preset}: it is a {config.preset} run")
        config = apply_overrides(config, _train_overrides(args))
    else:
        config = get_config(args.preset or "flan-t5-base", _train_overrides(args))
    validate(config)  # every range and type, before any probe or model load
    if config.model.adapter:
        check_adapter_folder(config.model.adapter)
    if int(os.environ.get("RANK", "0")) != 0:  # under `accelerate launch`, only rank 0 reports
        sys.stderr = open(os.devnull, "w")
    from .training.tracking import check_trackers

    check_trackers(config, args.run_dir)
    limit_hub_timeouts()
    # Fail in seconds, before any output, when a model can come neither from the cache nor the Hub.
    ensure_downloadable(config.model.policy, "policy model")
    ensure_downloadable(config.reward.model, "reward model")
    print(f"resolved configuration (preset {config.preset}):\n{describe(config)}", file=sys.stderr)
    from tqdm import tqdm

    from .training.run_loop import iter_train

    bar, warned = None, None
    for result in iter_train(config, args.run_dir, resume=args.resume,
                             on_status=lambda m: print(m, file=sys.stderr)):
        s = result.stats
        warning = kl_warning([{**s, "step": result.step}])
        if warning and warning != warned:
            print(f"warning: {warning}", file=sys.stderr)
        warned = warning
        line = (f"reward {s['env/reward_mean']:+.3f}  kl {s['objective/kl']:.3f}  "
                f"kl_coef {s['objective/kl_coef']:.3f}  {result.seconds:.1f}s")
        if args.no_progress:
            print(f"step {result.step}/{result.total_steps}  {line}", file=sys.stderr)
            continue
        if bar is None:
            bar = tqdm(total=result.total_steps, initial=result.step - 1, desc=config.algo.upper(), unit="step")
        bar.update(1)
        bar.set_postfix_str(line)
    if bar is not None:
        bar.close()
    from .evaluation.model_card import write_model_card

    write_model_card(args.run_dir)
    print(f"saved to {args.run_dir}", file=sys.stderr)
    return 0


def cmd_evaluate(args) -> int:
    import pandas as pd

    from .evaluation.evaluate import evaluate_run
    from .evaluation.report import format_markdown, format_report

    if args.samples is not None and args.samples < 1:
        raise UserError(f"--samples must be at least 1 (got {args.samples})")
    if args.sampled_k is not None and args.sampled_k < 0:
        raise UserError(f"--sampled-k must be 0 or more (got {args.sampled_k})")
    from .training.runs import RunDir

    run = RunDir(args.run_dir)
    config = run.config()  # a damaged run is one line before any model loads
    run.load_state()
    run.check_writable()  # and so is a folder the results could not be written to
    judge = None
    if args.judge is not None or args.judge_label is not None:
        from .evaluation.judge import Judge

        cfg = config.eval
        if args.judge is not None:
            cfg.judge = None if args.judge.lower() in ("none", "") else args.judge
        cfg.judge_label = args.judge_label or cfg.judge_label
        judge = Judge.from_config(cfg) or False
    report, table = evaluate_run(args.run_dir, args.samples, judge=judge, sampled_k=args.sampled_k)
    from .evaluation.ratings import ratings_report

    human = ratings_report(args.run_dir, markdown=args.format == "markdown")  # people's blind ratings, if any
    if args.format == "markdown":
        print(format_markdown(report, table, args.show) + (f"\n\n{human}" if human else ""))
        print(f"wrote {args.run_dir}/eval.json", file=sys.stderr)
        return 0
    print(format_report(report))
    columns = [c for c in ("summary_before", "summary_after", "greedy_judge_toxicity_before",
                           "greedy_judge_toxicity_after", "reward_diff") if c in table.columns]
    with pd.option_context("display.max_colwidth", 60, "display.width", 200):
        print(table[columns].head(args.show).to_string() + (f"\n{human}" if human else ""))
    print(f"wrote {args.run_dir}/eval.json", file=sys.stderr)
    return 0


def cmd_push(args) -> int:
    from .evaluation.publish import push_run
    from .models.hub import limit_hub_timeouts

    _check_eval_report(args.run_dir)  # the model card pushed with the run reads it
    limit_hub_timeouts()
    url = push_run(args.run_dir, args.repo_id, private=args.private)
    print(url)
    print(f"pushed {args.run_dir} to https://huggingface.co/{args.repo_id}", file=sys.stderr)
    return 0


def _check_eval_report(run_dir) -> None:
    """Refuses a damaged RUN/eval.json now, before any model loads: the model card reads it."""
    from pathlib import Path

    from .evaluation.report import format_markdown
    from .training.runs import read_json

    path = Path(run_dir) / "eval.json"
    if not os.path.lexists(path):
        return
    report = read_json(path, "the evaluation report")
    try:
        format_markdown(report)
    except (AttributeError, IndexError, KeyError, TypeError, ValueError) as error:
        raise UserError(f"{path} is not an evaluation report this version can read ({type(error).__name__}: "
                        f"{str(error).splitlines()[0] if str(error) else 'bad layout'}); run evaluate again, or "
                        "delete it") from None


def cmd_presets(args) -> int:
    if args.show:
        print(describe(get_config(args.show)))
    else:
        for name in list_presets():
            cfg = get_config(name)
            print(f"{name:15s} policy={cfg.model.policy}  reward={cfg.reward.model}  data={cfg.data.dataset}")
    return 0


def _status(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def cmd_sft(args) -> int:
    from .prep.sft import METRICS_FILE, SFTConfig, run_sft

    _set_threads(args.threads)
    config = get_config(args.preset, _overrides(args))
    sft = _dataclass_from_args(SFTConfig, args, "sft")
    metrics = run_sft(config, sft, args.out, _status)
    line = (f"SFT ({sft.mode}) {metrics['steps']} steps in {metrics['train_seconds']:.0f}s, "
            f"train loss {metrics['train_loss']:.4f}")
    if "rouge" in metrics:
        r = metrics["rouge"]
        line += (f"; held-out ({metrics['eval_samples']}) ROUGE-1 {r['rouge1']:.3f}, ROUGE-2 {r['rouge2']:.3f}, "
                 f"ROUGE-L {r['rougeL']:.3f}")
    print(line)
    use = f"--adapter {args.out}" if sft.mode == "lora" else f"--policy {args.out}"
    print(f"wrote {args.out}/{METRICS_FILE}; start PPO from it with: train --preset {args.preset} {use}",
          file=sys.stderr)
    return 0


def cmd_reward_train(args) -> int:
    from .prep.reward_model import METRICS_FILE, RewardTrainConfig, format_metrics, run_reward_training

    _set_threads(args.threads)
    cfg = _dataclass_from_args(RewardTrainConfig, args, "reward")
    metrics = run_reward_training(cfg, args.out, _status)
    print(format_metrics(metrics))
    print(f"wrote {args.out}/{METRICS_FILE}; use it with: train --reward-model {args.out}", file=sys.stderr)
    return 0


def cmd_build_demo(args) -> int:
    from .config import DEMO_DIR
    from .prep.build_demo import build_demo, rebuild_classifier

    _set_threads(args.threads)
    out = args.out or str(DEMO_DIR)
    if args.only:
        if args.data_dir:
            raise UserError(f"--data-dir is for a full build; --only {args.only} keeps no corpus")
        metrics = rebuild_classifier(out, args.only, on_status=_status)
        probes = metrics["classifier_checks"][args.only].get("handwritten_probes")
        print(f"{args.only} rebuilt in {metrics['seconds'][args.only] / 60:.1f} min: held-out F1 "
              f"{metrics[args.only]['test']['f1']:.4f}" + (f", hand-written probes accuracy {probes['accuracy']:.3f} "
                                                          f"({probes['tp'] + probes['tn']}/{probes['texts']})"
                                                          if probes else ""))
        print(f"wrote {out}/{args.only}, {out}/demo_metrics.json and {out}/README.md", file=sys.stderr)
        return 0
    metrics = build_demo(out, data_dir=args.data_dir, on_status=_status)
    sft, reward = metrics["sft"], metrics["reward"]["test"]
    print(f"demo built in {metrics['seconds']['total'] / 60:.1f} min: summarizer ROUGE-L {sft['rouge']['rougeL']:.3f}, "
          f"reward model F1 {reward['f1']:.4f}, accuracy {reward['accuracy']:.4f}")
    print(f"wrote {out}; try it with: train --preset demo --run-dir /tmp/demo-run", file=sys.stderr)
    return 0


def cmd_ratings(args) -> int:
    from .evaluation.ratings_export import cmd_ratings as export

    return export(args)


def main(argv=None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    commands = {"train": cmd_train, "evaluate": cmd_evaluate, "push": cmd_push, "presets": cmd_presets, "sft": cmd_sft,
                "reward-train": cmd_reward_train, "build-demo": cmd_build_demo, "ratings": cmd_ratings}
    try:
        return commands[args.command](args)
    except UserError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted; the last checkpoint is kept (resume with --resume)", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
