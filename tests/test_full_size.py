"""benchmarks/full_size.py: the full-size dry run's configs, tokenizers, data and estimate, and the
whole run (build, CLI train and evaluate, app and one summary) at toy dims (`--shrink`)."""

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import pytest
import torch

ROOT = Path(__file__).resolve().parent.parent


def load_full_size():
    spec = importlib.util.spec_from_file_location("full_size", ROOT / "benchmarks" / "full_size.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


fs = load_full_size()


def test_the_configs_are_flan_t5_base_and_roberta_base_with_the_real_labels():
    cfg = fs.T5_CONFIG
    assert (cfg["d_model"], cfg["d_ff"], cfg["num_layers"], cfg["num_decoder_layers"], cfg["num_heads"],
            cfg["d_kv"], cfg["vocab_size"]) == (768, 2048, 12, 12, 12, 64, 32128)
    assert cfg["feed_forward_proj"] == "gated-gelu" and cfg["tie_word_embeddings"] is False
    assert cfg["relative_attention_num_buckets"] == 32 and cfg["relative_attention_max_distance"] == 128
    for cls_cfg, labels in ((fs.REWARD_CONFIG, ("nothate", "hate")), (fs.JUDGE_CONFIG, ("neutral", "toxic"))):
        assert (cls_cfg["hidden_size"], cls_cfg["num_hidden_layers"], cls_cfg["num_attention_heads"],
                cls_cfg["intermediate_size"], cls_cfg["vocab_size"], cls_cfg["max_position_embeddings"],
                cls_cfg["type_vocab_size"]) == (768, 12, 12, 3072, 50265, 514, 1)
        assert tuple(cls_cfg["id2label"].values()) == labels
    # The parameter counts of the real checkpoints (built on the meta device: no memory, no time).
    with torch.device("meta"):
        assert fs.count_parameters(fs.t5_model(fs.t5_config())) == 247_577_856  # google/flan-t5-base
        assert fs.count_parameters(fs.roberta_model(fs.REWARD_CONFIG, 1)) == 124_647_170  # roberta-base + head


def test_the_tokenizers_have_t5s_and_robertas_layouts():
    t5 = fs.t5_tokenizer()
    assert (len(t5), t5.pad_token_id, t5.eos_token_id, t5.unk_token_id) == (32100, 0, 1, 2)
    assert t5.convert_tokens_to_ids("<extra_id_0>") == 32099 and t5.convert_tokens_to_ids("<extra_id_99>") == 32000
    ids = t5("#Person1#: Hello, how are you?").input_ids
    assert ids[-1] == 1 and 2 not in ids  # </s> appended; no <unk> for plain English
    assert t5.decode(ids, skip_special_tokens=True) == "#Person1#: Hello, how are you?"
    rows = fs.invented_dialogues(8)
    rb = fs.roberta_tokenizer([r["dialogue"] for r in rows])
    assert [rb.bos_token_id, rb.pad_token_id, rb.eos_token_id, rb.unk_token_id] == [0, 1, 2, 3]
    assert rb.mask_token_id == len(rb) - 1
    ids = rb("you lazy idiot").input_ids
    assert ids[0] == 0 and ids[-1] == 2


def test_the_invented_dialogues_pass_the_products_filters_and_look_like_dialogsum():
    from rlhf_core import get_config

    data = get_config("flan-t5-base").data
    rows = fs.invented_dialogues(40)
    assert len({r["id"] for r in rows}) == 40
    assert all(data.min_chars <= len(r["dialogue"]) <= data.max_chars for r in rows)
    assert all(r["dialogue"].startswith("#Person1#: ") and r["summary"] and r["topic"] for r in rows)


def test_the_t4_estimate_recovers_a_linear_update_model_and_takes_the_larger_phase():
    weights, c, alpha, beta, n = 1500.0, 500.0, 100.0, 2.0, 32
    rises = {(b, L): c + b * (alpha + beta * L) for b, L in ((2, n), (4, n), (4, 2 * n))}
    est = fs.t4_estimate(rises, weights, 300.0, n)
    assert est["update_overhead_mb"] == pytest.approx(c) and est["per_row_token_mb"] == pytest.approx(beta)
    assert est["update_4_rows_mb"] == pytest.approx(c + 4 * (alpha + 400 * beta))
    assert est["estimate_mb"] == pytest.approx(weights + c + 4 * (alpha + 400 * beta))
    assert est["pessimistic_mb"] == pytest.approx(weights + c + 16 * (alpha + 400 * beta))
    assert fs.t4_estimate(rises, weights, 1e5, n)["estimate_mb"] == pytest.approx(weights + 1e5)  # sampling larger


def test_sampling_memory_counts_flan_t5_bases_caches():
    # 16 rows, 273 prompt tokens, 400 new: 12 layers x K,V x 768 per token, plus the encoder output and logits.
    got = fs.generation_mb(fs.T5_CONFIG, 16, 273, 400)
    values = 16 * 273 * 768 + 12 * 2 * 16 * (273 + 400) * 768 + 3 * 16 * 32128
    assert got == pytest.approx(values * 4 / 2**20) and 770 < got < 780


def test_the_peak_wrapper_runs_a_script_as_python_does_and_writes_the_gpu_peak(tmp_path):
    script = tmp_path / "child.py"
    script.write_text("import sys\nprint(sys.argv[1:], __name__)\nsys.exit(3)\n")
    peak = tmp_path / "peak.json"
    done = subprocess.run(fs.child_command(sys.executable, [str(script), "a", "b"], "cuda"), capture_output=True,
                          text=True, env={"FULL_SIZE_PEAK_FILE": str(peak)})
    assert done.returncode == 3 and done.stdout.strip() == "['a', 'b'] __main__"
    assert json.loads(peak.read_text()) == {"gpu_mb": None}  # torch never imported
    assert fs.child_command("py", ["-m", "rlhf_core", "train"], "cpu") == ["py", "-m", "rlhf_core", "train"]
    # The `-m` form on CUDA: the CLI itself, run as `python -m rlhf_core` runs it.
    done = subprocess.run(fs.child_command(sys.executable, ["-m", "rlhf_core", "--help"], "cuda"), cwd=ROOT,
                          capture_output=True, text=True, env={"FULL_SIZE_PEAK_FILE": str(peak)})
    assert done.returncode == 0 and done.stdout.startswith("usage: python -m rlhf_core")


@pytest.mark.slow
def test_shrunk_dry_run_trains_evaluates_and_serves_a_summary(tmp_path):
    """The whole run at toy dims: build, CLI train + evaluate on the local folders, the app on the
    flan-t5-base preset through the Hub-cache layout, summaries through gradio_client."""
    out = tmp_path / "out"
    done = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "full_size.py"), "--shrink", "--out", str(out),
                           "--steps", "1", "--samples", "1", "--batch-size", "2", "--max-new-tokens", "8",
                           "--dtype", "float32", "--no-estimate"], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    summary = json.loads(done.stdout.strip().splitlines()[-1])
    phases = {p["phase"]: p for p in summary["phases"]}
    assert list(phases) == ["build models + data", "train step (float32)", "evaluate", "app start (page answers)",
                            "first summary", "warm summary", "summary with the CLI run"]
    assert all(p["ok"] and p["seconds"] > 0 and p["peak_rss_mb"] > 0 for p in phases.values())
    assert all(p["peak_gpu_mb"] is None for p in phases.values())
    assert summary["build"]["t5_tokenizer"] == {"size": 32100, "pad": 0, "eos": 1, "unk": 2, "extra_id_0": 32099}
    # The app loaded the flan-t5-base preset (no fallback to the demo) and answered with both summaries.
    assert "flan-t5-base (as requested)" in phases["app start (page answers)"]["startup_line"]
    assert phases["summary with the CLI run"]["before"] and phases["summary with the CLI run"]["after"]
    run = out / "runs" / "train-float32"
    assert json.loads((run / "config.json").read_text())["model"]["policy"] == str(out / "models" / "policy")
    assert "train step (float32)" in done.stdout and summary["t4_estimate"] is None
