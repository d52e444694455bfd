"""Evaluating and summarizing never touch torch's global random state, so a training run in
another thread (the app trains in one) repeats exactly whether or not anyone evaluates meanwhile."""

import threading

import pytest
import torch

from rlhf_core import Summarizer, build_policy, get_config
from rlhf_core.evaluation.evaluate import evaluate_run
from rlhf_core.models.reward import RewardModel
from rlhf_core.models.sampling import SamplingSettings, decode, sample_from_scores
from rlhf_core.training.run_loop import iter_train

DIALOGUES = ["#Person1#: Hi Anna, are we meeting at six?\n#Person2#: Yes, at the cafe.",
             "#Person1#: You idiot, you are late.\n#Person2#: Sorry, the bus broke down."]


def trained_run(tmp_path):
    run = tmp_path / "evaluated"
    for _ in iter_train(get_config("tiny", {"steps": 1}), run):
        pass
    return run


def evaluate_and_summarize(summarizer: Summarizer, run) -> None:
    """What the app does while a run trains: evaluate a finished run, summarize with and without a seed."""
    evaluate_run(run, samples=2, summarizer=summarizer, judge=False, write=False, sampled_k=2)
    summarizer.summarize(DIALOGUES, "after", seed=7, do_sample=True)
    summarizer.summarize(DIALOGUES, "before", do_sample=True)


def test_evaluation_and_summaries_leave_the_global_random_state_alone(tmp_path):
    run = trained_run(tmp_path)
    config = get_config("tiny")
    summarizer = Summarizer(config, RewardModel.from_config(config.reward))
    torch.manual_seed(123)
    state = torch.get_rng_state()
    evaluate_and_summarize(summarizer, run)  # loads the run's adapter too
    assert torch.equal(torch.get_rng_state(), state)


@pytest.mark.parametrize("dtype", ["float32", "bfloat16"])
def test_an_adapter_loads_as_pefts_load_adapter_loads_it_without_random_draws(tmp_path, dtype):
    config = get_config("tiny", {"model.dtype": dtype})
    torch.manual_seed(0)
    policy, _ = build_policy(config.model)
    with torch.no_grad():  # a trained-looking adapter
        for p in policy.parameters():
            if p.requires_grad:
                p.normal_(0, 0.3)
    policy.save(tmp_path / "adapter")
    ours, theirs = Summarizer(config), Summarizer(config)
    state = torch.get_rng_state()
    ours.load_adapter("after", tmp_path / "adapter")
    assert torch.equal(torch.get_rng_state(), state)
    theirs.model.load_adapter(str(tmp_path / "adapter"), adapter_name="after", is_trainable=False)
    theirs.model.set_adapter("before")
    theirs.adapters["after"] = str(tmp_path / "adapter")
    mine = {k: v for k, v in ours.model.state_dict().items() if ".after." in k}
    peft = {k: v for k, v in theirs.model.state_dict().items() if ".after." in k}
    assert mine.keys() == peft.keys() and mine
    assert all(torch.equal(mine[k], peft[k]) and mine[k].dtype == peft[k].dtype for k in mine)
    assert not any(module.training for module in ours.model.modules())  # LoRA dropout off
    assert ours.summarize(DIALOGUES, "after", seed=3, do_sample=True) == theirs.summarize(
        DIALOGUES, "after", seed=3, do_sample=True)


def test_seeded_summaries_repeat_and_use_the_draws_a_global_reseed_gave():
    """Per-call generators seeded like the old global reseed: the evaluation's numbers do not change."""
    config = get_config("tiny")
    summarizer = Summarizer(config)
    first = summarizer.summarize(DIALOGUES, "before", seed=11, do_sample=True, num_return_sequences=2)
    assert summarizer.summarize(DIALOGUES, "before", seed=11, do_sample=True, num_return_sequences=2) == first
    seq2seq = summarizer.model.get_base_model()
    cfg = seq2seq.config
    settings = SamplingSettings(max_new_tokens=config.eval.max_new_tokens, pad_id=cfg.pad_token_id,
                                eos_id=cfg.eos_token_id, start_id=cfg.decoder_start_token_id,
                                top_k=config.generation.top_k, top_p=config.generation.top_p,
                                temperature=config.generation.temperature, min_length=config.generation.min_length)
    query_ids = summarizer.tokenizer(summarizer.prompts(DIALOGUES), truncation=True,
                                     max_length=config.model.max_prompt_tokens)["input_ids"]
    torch.manual_seed(11)  # what generate_summaries did before it had a generator of its own
    with summarizer.model.disable_adapter(), torch.inference_mode():
        old = decode(seq2seq, query_ids, settings, "cpu", repeats=2, record=False).response_ids
    texts = [t.strip() for t in summarizer.tokenizer.batch_decode(old, skip_special_tokens=True)]
    assert texts == first


def test_sample_from_scores_and_decode_draw_from_the_given_generator():
    scores = torch.randn(3, 50)
    a = sample_from_scores(scores, generator=torch.Generator().manual_seed(5))
    state = torch.get_rng_state()
    b = sample_from_scores(scores, generator=torch.Generator().manual_seed(5))
    assert torch.equal(a, b) and torch.equal(torch.get_rng_state(), state)


def metrics(results) -> list[dict]:
    return [{k: v for k, v in r.stats.items() if not k.startswith("time/")} for r in results]


def test_a_training_run_in_a_thread_repeats_exactly_while_another_thread_evaluates(tmp_path):
    run = trained_run(tmp_path)
    config = get_config("tiny", {"steps": 3})
    eval_config = get_config("tiny")
    summarizer = Summarizer(eval_config, RewardModel.from_config(eval_config.reward))
    summarizer.load_adapter("after", run / "checkpoint")
    alone = metrics(iter_train(config))

    results, errors, done = [], [], threading.Event()

    def train():
        try:
            results.extend(iter_train(config))
        except Exception as error:  # noqa: BLE001 - re-raised below
            errors.append(error)
        finally:
            done.set()

    def evaluate():
        try:
            rounds = 0
            while not done.is_set() or rounds == 0:
                evaluate_and_summarize(summarizer, run)
                rounds += 1
        except Exception as error:  # noqa: BLE001 - re-raised below
            errors.append(error)

    threads = [threading.Thread(target=train), threading.Thread(target=evaluate)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(600)
    assert not errors, errors
    assert metrics(results) == alone
