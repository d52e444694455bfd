#!/usr/bin/env python
"""A full-size dry run, offline: the models users run for real, with random weights, through the
real CLI and the real app.

Builds, as local folders (safetensors, float32 as on the Hub):
  policy  google/flan-t5-base's exact architecture (T5_CONFIG below) and a tokenizer in T5's layout
          (a Unigram/sentencepiece model made here with `tokenizers`: <pad> 0, </s> 1, <unk> 2,
          32,000 pieces + 100 <extra_id_N> = 32,100 tokens; the embedding has 32,128 rows as FLAN-T5's)
  reward  facebook/roberta-hate-speech-dynabench-r4-target's architecture (roberta-base, nothate/hate)
  judge   s-nlp/roberta_toxicity_classifier's architecture (roberta-base, neutral/toxic)
          both with a byte-level BPE in RoBERTa's layout (<s> 0, <pad> 1, </s> 2, <unk> 3, <mask>)
  data    a DialogSum-format jsonl of invented dialogues (id, dialogue, summary, topic)
  hub     a Hugging Face cache (HF_HUB_CACHE layout) holding the three folders under their Hub ids,
          so the app's `flan-t5-base` preset loads them with HF_HUB_OFFLINE=1 and no code change

then, each as a child process whose peak RSS is read from the kernel (wait4; /proc VmHWM for the
app) and, on CUDA, whose peak `torch.cuda.max_memory_allocated` the child prints at exit:
  python -m rlhf_core train --preset flan-t5-base --model.policy DIR --reward.model DIR
      --eval.judge DIR --eval.judge_label toxic --dataset FILE --steps K ...   (fixed response length)
  python -m rlhf_core evaluate --run-dir RUN --samples N
  python app.py  (RLHF_PRESET=flan-t5-base, HF_HUB_CACHE=the cache above, RLHF_RUNS_DIR=the runs)
      and one summary through gradio_client (then a warm one, then one with the CLI's run as "after")

and prints one table: seconds, peak RSS and peak GPU memory per phase, then an estimate of the peak
memory of a step at the default batch (optim.batch_size 16, mini-batch 4, up to 400 new tokens) in
float32 (what `auto` picks on a T4, which has no native bf16), from float32 steps measured at batch
2 and 4 and at two response lengths (see `t4_estimate`). The last stdout line is JSON with every figure.

    python benchmarks/full_size.py                          # CPU, batch 2, 32 new tokens: minutes
    python benchmarks/full_size.py --compare-dtypes         # + one float32 and one bf16 run, same shapes
    python benchmarks/full_size.py --device cuda --measure-default   # GPU; + the default batch measured
    python benchmarks/full_size.py --shrink                 # the same code paths at toy dims (tests)
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import random
import re
import shutil
import signal
import socket
import statistics
import string
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

POLICY_ID = "google/flan-t5-base"
REWARD_ID = "facebook/roberta-hate-speech-dynabench-r4-target"
JUDGE_ID = "s-nlp/roberta_toxicity_classifier"

# google/flan-t5-base's config.json (architecture fields as on the Hub), written verbatim into the folder.
T5_CONFIG = {
    "architectures": ["T5ForConditionalGeneration"],
    "d_ff": 2048,
    "d_kv": 64,
    "d_model": 768,
    "decoder_start_token_id": 0,
    "dense_act_fn": "gelu_new",
    "dropout_rate": 0.1,
    "eos_token_id": 1,
    "feed_forward_proj": "gated-gelu",
    "initializer_factor": 1.0,
    "is_encoder_decoder": True,
    "is_gated_act": True,
    "layer_norm_epsilon": 1e-06,
    "model_type": "t5",
    "n_positions": 512,
    "num_decoder_layers": 12,
    "num_heads": 12,
    "num_layers": 12,
    "output_past": True,
    "pad_token_id": 0,
    "relative_attention_max_distance": 128,
    "relative_attention_num_buckets": 32,
    "tie_word_embeddings": False,
    "torch_dtype": "float32",
    "use_cache": True,
    "vocab_size": 32128,
}
T5_GENERATION_CONFIG = {"decoder_start_token_id": 0, "eos_token_id": 1, "pad_token_id": 0}

# roberta-base's shape with the reward model's labels (facebook/roberta-hate-speech-dynabench-r4-target).
REWARD_CONFIG = {
    "architectures": ["RobertaForSequenceClassification"],
    "attention_probs_dropout_prob": 0.1,
    "bos_token_id": 0,
    "eos_token_id": 2,
    "hidden_act": "gelu",
    "hidden_dropout_prob": 0.1,
    "hidden_size": 768,
    "id2label": {"0": "nothate", "1": "hate"},
    "label2id": {"nothate": 0, "hate": 1},
    "initializer_range": 0.02,
    "intermediate_size": 3072,
    "layer_norm_eps": 1e-05,
    "max_position_embeddings": 514,
    "model_type": "roberta",
    "num_attention_heads": 12,
    "num_hidden_layers": 12,
    "pad_token_id": 1,
    "position_embedding_type": "absolute",
    "torch_dtype": "float32",
    "type_vocab_size": 1,
    "use_cache": True,
    "vocab_size": 50265,
}
# s-nlp/roberta_toxicity_classifier: the same shape, labels neutral/toxic.
JUDGE_CONFIG = {**REWARD_CONFIG, "id2label": {"0": "neutral", "1": "toxic"}, "label2id": {"neutral": 0, "toxic": 1}}

# --shrink: the same code paths (configs, vocabularies, tokenizers, CLI, app) at toy dims, for tests.
SHRINK_T5 = {"d_ff": 64, "d_kv": 16, "d_model": 32, "num_decoder_layers": 2, "num_heads": 2, "num_layers": 2}
SHRINK_ROBERTA = {"hidden_size": 32, "intermediate_size": 64, "num_attention_heads": 2, "num_hidden_layers": 2}

T5_PIECES = 32000  # sentencepiece pieces before the 100 <extra_id_N> tokens (FLAN-T5's tokenizer: 32,100 in all)
T5_EXTRA_IDS = 100
ROBERTA_SPECIALS = ["<s>", "<pad>", "</s>", "<unk>"]  # ids 0-3 as in roberta-base; <mask> is the last token
DEFAULT_BATCH, DEFAULT_MINI_BATCH, DEFAULT_MAX_NEW_TOKENS = 16, 4, 400  # the product's defaults (config/schema.py)
T4_USABLE_GIB = 14.6  # a T4's 15,360 MiB less a CUDA context of about 0.4-0.6 GiB

# --------------------------------------------------------------------------------------------
# Invented dialogues (DialogSum's format: #Person1#/#Person2# turns, a reference summary, a topic)
# --------------------------------------------------------------------------------------------

NAMES = ["Anna", "Ben", "Carla", "David", "Elena", "Farid", "Grace", "Hugo", "Iris", "Jonas", "Keiko", "Liam",
         "Maya", "Nikolai", "Olga", "Pedro", "Quinn", "Rosa", "Samir", "Tara"]
TOPICS = {
    "job interview": ([
        "Good morning, thank you for coming in. Could you tell me a little about yourself?",
        "Of course. I studied accounting and I have worked at a small firm for three years.",
        "Why do you want to leave your current position?",
        "I would like more responsibility and a team that works with bigger clients.",
        "How do you handle deadlines when several projects arrive at once?",
        "I make a list every morning and I talk to my manager about what comes first.",
        "We need someone who can start in two weeks. Would that be possible?",
        "Yes, I would only need to tell my current employer by Friday.",
        "What salary are you expecting?",
        "Something close to what the advertisement mentioned would be fine for me.",
        "Do you have any questions for us about the team or the office?",
        "Yes. How many people work in the department, and is there any training?",
        "There are twelve of us, and new staff spend their first month with a mentor.",
        "That sounds very good. When will I hear back from you?",
    ], "{a} interviews {b} for an accounting job; {b} can start in two weeks."),
    "restaurant": ([
        "Hello, do you have a table for two by the window?",
        "Yes, please follow me. Here are the menus.",
        "What would you recommend tonight?",
        "The fish of the day is very fresh, and the mushroom soup is popular.",
        "I will have the soup to start and then the fish, please.",
        "Would you like something to drink with that?",
        "A glass of sparkling water, thank you.",
        "This soup is cold. Did you even heat it, you lazy idiot?",
        "I am very sorry. I will bring you a hot bowl right away.",
        "Fine, but hurry up. I do not have all night.",
        "Here is your new bowl, and the fish will be ready in five minutes.",
        "Thank you. Could we also have some bread and olive oil?",
        "Of course. And the dessert is on the house tonight because of the soup.",
        "That is kind of you. I will try the chocolate cake then.",
    ], "{a} orders soup and fish at a restaurant and complains rudely that the soup is cold."),
    "lost luggage": ([
        "Excuse me, my suitcase did not arrive on the flight from Madrid.",
        "I am sorry to hear that. May I see your boarding pass and baggage tag?",
        "Here they are. It is a large blue suitcase with a red ribbon on the handle.",
        "It looks like it stayed in Madrid. It should arrive on the evening flight.",
        "Can you deliver it to my hotel? I have a meeting early tomorrow.",
        "Yes, please write the address of the hotel on this form.",
        "This is the third time your stupid airline has lost my bag. You people are useless.",
        "I understand you are upset. We will also give you a voucher for the inconvenience.",
        "Thank you. Please call me when it is on its way.",
        "We will. Is this mobile number on the form the best way to reach you?",
        "Yes, and you can send a text message if I do not answer.",
        "Is there anything valuable or fragile in the suitcase?",
        "Only a laptop charger and some gifts for my sister.",
    ], "{a}'s suitcase stayed in Madrid; the airline will deliver it to the hotel tonight."),
    "apartment": ([
        "Hi, I am calling about the apartment on Lake Street. Is it still available?",
        "Yes, it is. It has two bedrooms and a small balcony.",
        "How much is the rent, and are utilities included?",
        "The rent is nine hundred a month, and water is included but not electricity.",
        "Are pets allowed? I have a small cat.",
        "Cats are fine, but we ask for an extra deposit of two hundred.",
        "Could I see it on Saturday morning?",
        "Saturday at ten works. I will meet you at the front door.",
        "Great, see you then.",
        "Oh, one more question. Is there a parking space for the apartment?",
        "There is one space in the garage under the building, included in the rent.",
        "And how far is it from the train station?",
        "About ten minutes on foot, and there is a bus stop right outside.",
    ], "{a} asks {b} about a two-bedroom apartment and arranges a visit on Saturday at ten."),
    "homework": ([
        "Did you finish the history essay for Monday?",
        "Not yet. I still have to write the conclusion.",
        "Can I borrow your notes from the lecture on the industrial revolution?",
        "Sure, but give them back tomorrow. I need them for the exam.",
        "Thanks. Do you know how long the essay has to be?",
        "About two thousand words, and we need at least five sources.",
        "Shut up, you always act like you know everything. It is so annoying.",
        "Wow. I was only trying to help you.",
        "Sorry, I am just stressed. Thank you for the notes.",
        "It is fine. Do you want to study together in the library tomorrow?",
        "Yes, that would help. Is two o'clock good for you?",
        "Two is perfect. I will book one of the small rooms on the second floor.",
        "Great, I will bring coffee for both of us.",
    ], "{b} lends {a} lecture notes for a history essay; {a} snaps at {b} and then apologises."),
    "doctor": ([
        "Good afternoon. What seems to be the problem today?",
        "I have had a sore throat and a fever for three days.",
        "Let me have a look. Open your mouth, please. Your throat is quite red.",
        "Is it serious? I have an important trip next week.",
        "It looks like a bacterial infection. I will prescribe antibiotics for seven days.",
        "Should I stay at home until then?",
        "Yes, rest for two days and drink plenty of water.",
        "Thank you, doctor. I will pick up the medicine this evening.",
        "Take one tablet in the morning and one in the evening, after meals.",
        "Can I take something for the pain as well?",
        "Yes, paracetamol is fine, but no more than four times a day.",
        "And if the fever does not go down, come back on Friday.",
    ], "{a} has a sore throat and fever; the doctor prescribes antibiotics and two days of rest."),
    "car repair": ([
        "My car makes a strange noise when I brake. Could you check it?",
        "Of course. Leave it with us and we will call you this afternoon.",
        "How much do you think it will cost?",
        "If it is only the brake pads, around one hundred and fifty.",
        "And if it is something else?",
        "Then we will call you before we do any work.",
        "Last time you charged me twice as much as you said, you crooks.",
        "I am sorry about that. This time you will get a written estimate first.",
        "All right. I will come back at five.",
        "Before you go, could you leave the spare key with us as well?",
        "Sure, here it is. Will you also check the oil while the car is here?",
        "We will check the oil and the tyres at no extra cost.",
        "Thanks. Call me if the estimate is higher than two hundred.",
    ], "{a} brings a car with noisy brakes to {b}'s garage and asks for a written estimate."),
    "birthday party": ([
        "Are you coming to Maya's birthday party on Saturday?",
        "I would love to. What time does it start?",
        "At seven, at her parents' house near the park.",
        "Should I bring something? Maybe a cake?",
        "She already ordered a cake, but you could bring some drinks.",
        "Good idea. I will bring juice and some sparkling water.",
        "Do you know what present to get her?",
        "She mentioned she wants a new book by her favourite author.",
        "Perfect, I will buy it tomorrow.",
        "Do you know if her brother is coming back from Berlin for the party?",
        "I think he arrives on Friday night, so he should be there.",
        "It will be nice to see everyone together again after so long.",
        "Yes. Let us take the bus there together, it leaves at half past six.",
    ], "{a} invites {b} to a birthday party on Saturday at seven; {b} will bring drinks and a book."),
}


def invented_dialogues(n: int, seed: int = 0) -> list[dict]:
    """`n` DialogSum-format rows (id, dialogue, summary, topic), 400-1000 characters each (the
    product's data.min_chars/max_chars filters keep all of them)."""
    rng = random.Random(seed)
    rows, topics = [], list(TOPICS)
    for i in range(n):
        topic = topics[i % len(topics)]
        turns, summary = TOPICS[topic]
        a, b = rng.sample(NAMES, 2)
        lines, size = [], 0
        start = rng.randrange(0, 2)  # some dialogues open a turn later, so lengths and wording vary
        for k, turn in enumerate(turns[start:]):
            line = f"#Person{1 + k % 2}#: {turn}"
            if size + len(line) + 1 > 1000:
                break
            lines.append(line)
            size += len(line) + 1
        dialogue = "\n".join(lines)
        rows.append({"id": f"fullsize_{i}", "dialogue": dialogue, "topic": topic,
                     "summary": summary.format(a="#Person1#", b="#Person2#").replace("Maya", rng.choice(NAMES))})
        if len(dialogue) < 400:
            raise AssertionError(f"invented dialogue {i} is too short ({len(dialogue)} characters)")
    return rows


# --------------------------------------------------------------------------------------------
# Tokenizers, made offline with `tokenizers`
# --------------------------------------------------------------------------------------------


def corpus_words() -> list[str]:
    """Every word and punctuation-stripped token of the invented dialogues, in first-seen order."""
    seen: dict[str, None] = {}
    for turns, summary in TOPICS.values():
        for text in [*turns, summary, *NAMES, "Summarize the following conversation. Summary: Person"]:
            for word in re.findall(r"[A-Za-z']+|\d+", text):
                seen.setdefault(word, None)
    return list(seen)


def t5_tokenizer(pieces: int = T5_PIECES):
    """A tokenizer in FLAN-T5's layout: a Unigram (sentencepiece) model with Metaspace pre-tokenizing,
    <pad> 0, </s> 1, <unk> 2, `pieces` pieces, then <extra_id_99> .. <extra_id_0> (ids pieces..pieces+99,
    <extra_id_0> last, as in T5), `</s>` appended to every text.

    Pieces: the corpus's words (whole, after "▁"), every printable character, then letter pairs and
    triples, with scores that make whole words win, until `pieces` are there.
    """
    from tokenizers import Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers, processors
    from transformers import T5Tokenizer

    vocab: dict[str, float] = {"<pad>": 0.0, "</s>": 0.0, "<unk>": 0.0, "▁": -3.0}
    for word in corpus_words():
        vocab.setdefault("▁" + word, -6.0)
        vocab.setdefault(word, -7.0)
    for c in string.printable.strip():
        vocab.setdefault(c, -12.0)
        vocab.setdefault("▁" + c, -11.5)
    letters = string.ascii_lowercase
    grams = itertools.chain((("▁" if s else "") + "".join(g), -10.0 - s / 2)
                            for n in (2, 3) for s in (1, 0) for g in itertools.product(letters, repeat=n))
    for piece, score in grams:
        if len(vocab) >= pieces:
            break
        vocab.setdefault(piece, score)
    if len(vocab) != pieces:
        raise AssertionError(f"built {len(vocab)} pieces, not {pieces}")
    extra = [(f"<extra_id_{i}>", 0.0) for i in reversed(range(T5_EXTRA_IDS))]
    tok = Tokenizer(models.Unigram([*vocab.items(), *extra], unk_id=2, byte_fallback=False))
    tok.normalizer = normalizers.Replace(Regex(" {2,}"), " ")
    tok.pre_tokenizer = pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="always", split=True)
    tok.decoder = decoders.Metaspace(replacement="▁", prepend_scheme="always", split=True)
    tok.post_processor = processors.TemplateProcessing(single=["$A", "</s>"], pair=["$A", "</s>", "$B", "</s>"],
                                                       special_tokens=[("</s>", 1)])
    return T5Tokenizer(tokenizer_object=tok, eos_token="</s>", unk_token="<unk>", pad_token="<pad>",
                       extra_ids=T5_EXTRA_IDS, model_max_length=512)


def roberta_tokenizer(texts: list[str], vocab_size: int = 8000):
    """A byte-level BPE in RoBERTa's layout (<s> 0, <pad> 1, </s> 2, <unk> 3, then the 256 byte
    symbols and the merges learned on `texts`, <mask> last; `<s> A </s>` around every text)."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, processors, trainers
    from transformers import RobertaTokenizer

    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=vocab_size, special_tokens=ROBERTA_SPECIALS, show_progress=False,
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
    tok.train_from_iterator(texts, trainer)
    tok.add_special_tokens(["<mask>"])
    tok.post_processor = processors.RobertaProcessing(("</s>", 2), ("<s>", 0), trim_offsets=True,
                                                      add_prefix_space=False)
    return RobertaTokenizer(tokenizer_object=tok, bos_token="<s>", eos_token="</s>", sep_token="</s>",
                            cls_token="<s>", unk_token="<unk>", pad_token="<pad>", mask_token="<mask>",
                            model_max_length=512)


# --------------------------------------------------------------------------------------------
# Models: random weights, the Hub's configs, saved as safetensors
# --------------------------------------------------------------------------------------------


def t5_config(shrink: bool = False) -> dict:
    return {**T5_CONFIG, **(SHRINK_T5 if shrink else {})}


def roberta_config(base: dict, shrink: bool = False) -> dict:
    return {**base, **(SHRINK_ROBERTA if shrink else {})}


def t5_model(config: dict, seed: int = 0):
    """FLAN-T5 with random weights: shared embedding for encoder and decoder, its own LM head
    (tie_word_embeddings false), LM head initialised small so sampling is not one token forever."""
    import torch
    from transformers import T5Config, T5ForConditionalGeneration

    torch.manual_seed(seed)
    model = T5ForConditionalGeneration(T5Config.from_dict(dict(config)))
    # transformers 5 always ties T5's three embeddings at init; FLAN-T5's checkpoint has a separate
    # lm_head.weight, which from_pretrained keeps untied (it warns that both are in the checkpoint).
    model.lm_head.weight = torch.nn.Parameter(torch.randn_like(model.shared.weight) * config["d_model"] ** -0.5)
    getattr(model, "all_tied_weights_keys", {}).pop("lm_head.weight", None)
    return model.eval()


def roberta_model(config: dict, seed: int):
    import torch
    from transformers import RobertaConfig, RobertaForSequenceClassification

    torch.manual_seed(seed)
    return RobertaForSequenceClassification(RobertaConfig.from_dict(dict(config))).eval()


def count_parameters(model) -> int:
    return sum(p.numel() for p in {id(p): p for p in model.parameters()}.values())


def save(model, tokenizer, folder: Path, config: dict, generation: dict | None = None) -> None:
    """save_pretrained (safetensors), then the Hub's own config.json in place of transformers' normalised one."""
    model.save_pretrained(folder, safe_serialization=True)
    tokenizer.save_pretrained(folder)
    (folder / "config.json").write_text(json.dumps(config, indent=2) + "\n")
    if generation is not None:
        (folder / "generation_config.json").write_text(json.dumps(generation, indent=2) + "\n")


def fake_hub_cache(cache: Path, repo_id: str, folder: Path) -> None:
    """`folder` as the Hub model `repo_id` in an HF_HUB_CACHE: refs/main -> snapshots/<commit>/ (symlinks)."""
    commit = "0" * 32 + "f0115123"  # 40 hex digits; any value works offline
    repo = cache / f"models--{repo_id.replace('/', '--')}"
    snapshot = repo / "snapshots" / commit
    snapshot.mkdir(parents=True, exist_ok=True)
    (repo / "refs").mkdir(exist_ok=True)
    (repo / "refs" / "main").write_text(commit)
    for file in folder.iterdir():
        link = snapshot / file.name
        if link.is_symlink() or link.exists():
            link.unlink()
        link.symlink_to(file.resolve())


def build(out: Path, shrink: bool = False, n_dialogues: int = 40, seed: int = 0) -> dict:
    """Writes models/{policy,reward,judge}, data/dialogues.jsonl and hub/ under `out`; returns what it built."""
    import torch

    from rlhf_core.config import PROMPT_TEMPLATE
    from rlhf_core.models.precision import resolve_dtype

    t0 = time.perf_counter()
    models, data = out / "models", out / "data"
    data.mkdir(parents=True, exist_ok=True)
    rows = invented_dialogues(n_dialogues, seed)
    with open(data / "dialogues.jsonl", "w") as f:
        for row in rows:
            f.write(json.dumps(row) + "\n")
    t5_tok = t5_tokenizer()
    rb_tok = roberta_tokenizer([r["dialogue"] for r in rows] + [r["summary"] for r in rows])
    policy_cfg = t5_config(shrink)
    policy = t5_model(policy_cfg, seed)
    params = {"policy": count_parameters(policy)}
    save(policy, t5_tok, models / "policy", policy_cfg, T5_GENERATION_CONFIG)
    del policy
    for name, base, offset in (("reward", REWARD_CONFIG, 1), ("judge", JUDGE_CONFIG, 2)):
        cfg = roberta_config(base, shrink)
        model = roberta_model(cfg, seed + offset)
        params[name] = count_parameters(model)
        save(model, rb_tok, models / name, cfg)
        del model
    for repo_id, name in ((POLICY_ID, "policy"), (REWARD_ID, "reward"), (JUDGE_ID, "judge")):
        fake_hub_cache(out / "hub", repo_id, models / name)
    prompt_tokens = [len(t5_tok(PROMPT_TEMPLATE.format(dialogue=r["dialogue"])).input_ids) for r in rows]
    return {
        "seconds": time.perf_counter() - t0, "params": params, "shrink": shrink, "dialogues": len(rows),
        "prompt_tokens": {"mean": statistics.mean(prompt_tokens), "max": max(prompt_tokens)},
        "t5_tokenizer": {"size": len(t5_tok), "pad": t5_tok.pad_token_id, "eos": t5_tok.eos_token_id,
                         "unk": t5_tok.unk_token_id, "extra_id_0": t5_tok.convert_tokens_to_ids("<extra_id_0>")},
        "roberta_tokenizer": {"size": len(rb_tok), "mask": rb_tok.mask_token_id},
        "disk_mb": sum(f.stat().st_size for f in models.rglob("*") if f.is_file()) / 2**20,
        "cuda_available": torch.cuda.is_available(),
        "auto_dtype": str(resolve_dtype("auto")).removeprefix("torch."),
    }


# --------------------------------------------------------------------------------------------
# Child processes, measured
# --------------------------------------------------------------------------------------------

# Runs a module (`-m` form) or a script like `python` does, and on exit writes the child's peak
# torch.cuda.max_memory_allocated (MB; null without CUDA) to $FULL_SIZE_PEAK_FILE. With
# $FULL_SIZE_PEAK_POLL it also rewrites the file twice a second (for the app, which never exits by itself).
PEAK_WRAPPER = r"""
import atexit, json, os, runpy, sys, threading, time
path = os.environ["FULL_SIZE_PEAK_FILE"]
def peak():
    torch = sys.modules.get("torch")
    if torch is None or not torch.cuda.is_available() or not torch.cuda.is_initialized():
        return None
    return torch.cuda.max_memory_allocated() / 2**20
def dump():
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        json.dump({"gpu_mb": peak()}, f)
    os.replace(tmp, path)
def poll():
    while True:
        dump()
        time.sleep(0.5)
atexit.register(dump)
if os.environ.get("FULL_SIZE_PEAK_POLL"):
    threading.Thread(target=poll, daemon=True).start()
target, sys.argv = sys.argv[1], sys.argv[1:]
if target.endswith(".py"):
    sys.path.insert(0, os.path.dirname(os.path.abspath(target)))
    runpy.run_path(target, run_name="__main__")
else:
    runpy.run_module(target, run_name="__main__", alter_sys=True)
"""


def child_command(python: str, target: list[str], device: str) -> list[str]:
    """`python -m MODULE ...` / `python SCRIPT ...` as users type it; on CUDA, through PEAK_WRAPPER."""
    if device != "cuda":
        return [python, "-m", *target[1:]] if target[0] == "-m" else [python, *target]
    return [python, "-c", PEAK_WRAPPER, *(target[1:] if target[0] == "-m" else target)]


def read_gpu_peak(path: Path) -> float | None:
    try:
        return json.loads(path.read_text()).get("gpu_mb")
    except (OSError, ValueError):
        return None


def vm_field(pid: int, field: str) -> float | None:
    """VmHWM / VmRSS of a live process, in MB (Linux)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return None


STEP_LINE = re.compile(r"^step (\d+)/(\d+) .* ([\d.]+)s$", re.M)
LOADED_LINE = re.compile(r"^training [\d,]+ of [\d,]+ parameters", re.M)  # the CLI's line once the models are loaded


def cpu_seconds(pid: int) -> float | None:
    """User + system CPU seconds of a live process, all its threads (Linux /proc)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return None


class Phase:
    """One row of the table."""

    def __init__(self, name: str, seconds: float | None = None, rss_mb: float | None = None,
                 gpu_mb: float | None = None, note: str = "", ok: bool = True, **extra):
        self.name, self.seconds, self.rss_mb, self.gpu_mb, self.note, self.ok = name, seconds, rss_mb, gpu_mb, note, ok
        self.extra = extra

    def to_dict(self) -> dict:
        return {"phase": self.name, "seconds": self.seconds, "peak_rss_mb": self.rss_mb, "peak_gpu_mb": self.gpu_mb,
                "note": self.note, "ok": self.ok, **self.extra}


class Runner:
    def __init__(self, args, out: Path):
        self.args, self.out = args, out
        self.logs = out / "logs"
        self.logs.mkdir(parents=True, exist_ok=True)
        self.load = [os.getloadavg()[0]]  # other work on the machine slows every phase: printed with the table
        self.env = {**os.environ, "HF_HUB_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false",
                    "GRADIO_ANALYTICS_ENABLED": "False", "HF_HUB_DISABLE_TELEMETRY": "1",
                    "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
        if args.device == "cpu":
            self.env["CUDA_VISIBLE_DEVICES"] = ""  # the CPU figures even on a machine with a GPU

    def run(self, tag: str, target: list[str], env: dict | None = None, marker: re.Pattern | None = None) -> dict:
        """Runs a child to the end; returns rc, seconds, CPU seconds, peak RSS (wait4), peak GPU MB, its
        output and, with `marker`, the child's RSS when that line first appeared in its output."""
        log, peak_file = self.logs / f"{tag}.log", self.logs / f"{tag}.gpu.json"
        cmd = child_command(self.args.python, target, self.args.device)
        child_env = {**self.env, **(env or {}), "FULL_SIZE_PEAK_FILE": str(peak_file)}
        rss_at_marker, cpu_marks = None, []  # the child's CPU seconds at the marker, then at each step line
        # Anonymous RSS (not file pages: float32 safetensors weights stay mapped from the file and are paged in
        # as first used), at the marker and its highest reading after it, polled every 50 ms.
        anon_at_marker = anon_peak = None
        t0 = time.perf_counter()
        with open(log, "w") as f:
            proc = subprocess.Popen(cmd, cwd=ROOT, env=child_env, stdout=f, stderr=subprocess.STDOUT,
                                    start_new_session=True)
            deadline = t0 + self.args.timeout
            while True:
                pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
                if pid:
                    break
                if time.perf_counter() > deadline:
                    os.killpg(proc.pid, signal.SIGKILL)
                    pid, status, usage = os.wait4(proc.pid, 0)
                    break
                if marker is not None:
                    text = log.read_text(errors="replace")
                    if rss_at_marker is None and marker.search(text):
                        rss_at_marker, cpu_marks = vm_field(proc.pid, "VmRSS"), [cpu_seconds(proc.pid)]
                        anon_at_marker = anon_peak = vm_field(proc.pid, "RssAnon")
                    elif anon_peak is not None:
                        anon_peak = max(anon_peak, vm_field(proc.pid, "RssAnon") or 0.0)
                    if cpu_marks and len(STEP_LINE.findall(text)) >= len(cpu_marks):
                        cpu_marks.append(cpu_seconds(proc.pid))
                time.sleep(0.05)
        proc.returncode = os.waitstatus_to_exitcode(status)
        seconds = time.perf_counter() - t0
        text = log.read_text(errors="replace")
        return {"rc": proc.returncode, "seconds": seconds, "rss_mb": usage.ru_maxrss / 1024,
                "cpu_seconds": usage.ru_utime + usage.ru_stime, "rss_at_marker_mb": rss_at_marker,
                "anon_at_marker_mb": anon_at_marker, "anon_peak_mb": anon_peak,
                "step_cpu_seconds": [b - a for a, b in zip(cpu_marks, cpu_marks[1:]) if None not in (a, b)],
                "gpu_mb": read_gpu_peak(peak_file), "output": text, "timed_out": seconds > self.args.timeout}


def tail(text: str, n: int = 15) -> str:
    return "\n".join(text.strip().splitlines()[-n:])


def require(result: dict, what: str) -> None:
    if result["rc"] != 0:
        why = "timed out" if result.get("timed_out") else f"exit code {result['rc']}"
        raise SystemExit(f"error: {what} failed ({why}):\n{tail(result['output'])}")


def last_json(text: str) -> dict:
    for line in reversed(text.strip().splitlines()):
        if line.startswith("{"):
            return json.loads(line)
    raise ValueError("no JSON line in the output")




def train_target(args, out: Path, run: Path, dtype: str, batch: int, new_tokens: int, steps: int,
                 micro_batch: int | None = None) -> list[str]:
    models = out / "models"
    target = ["-m", "rlhf_core", "train", "--preset", "flan-t5-base", "--run-dir", str(run), "--no-progress",
              "--model.policy", str(models / "policy"), "--reward.model", str(models / "reward"),
              "--eval.judge", str(models / "judge"), "--eval.judge_label", "toxic",
              "--dataset", str(out / "data" / "dialogues.jsonl"), "--steps", str(steps),
              "--batch-size", str(batch), "--mini-batch-size", str(min(DEFAULT_MINI_BATCH, batch)),
              "--model.dtype", dtype, "--reward.dtype", dtype,
              # every response exactly `new_tokens` long: memory and time comparable across runs
              "--generation.max_new_tokens_min", str(new_tokens), "--generation.max_new_tokens_max", str(new_tokens),
              "--generation.min_new_tokens", str(new_tokens),
              "--eval.max_new_tokens", str(new_tokens), "--eval.samples", str(args.samples)]
    if micro_batch is not None:
        target += ["--optim.micro_batch_size", str(micro_batch)]
    return target


def train_phase(runner: Runner, name: str, dtype: str, batch: int, new_tokens: int, steps: int,
                micro_batch: int | None = None) -> tuple[Phase, Path]:
    args, out = runner.args, runner.out
    run = out / "runs" / name
    if run.exists():
        shutil.rmtree(run)
    result = runner.run(name, train_target(args, out, run, dtype, batch, new_tokens, steps, micro_batch),
                        marker=LOADED_LINE)
    require(result, f"train ({name})")
    steps_s = [float(m.group(3)) for m in STEP_LINE.finditer(result["output"])]
    if len(steps_s) != steps:
        raise SystemExit(f"error: expected {steps} step lines from train ({name}):\n{tail(result['output'])}")
    step_s = statistics.median(steps_s[1:]) if len(steps_s) > 1 else steps_s[0]
    cpu_s = result["step_cpu_seconds"]
    step_cpu = (statistics.median(cpu_s[1:]) if len(cpu_s) > 1 else cpu_s[0]) if cpu_s else None
    phase = Phase(f"train step ({dtype})", step_s, result["rss_mb"], result["gpu_mb"],
                  f"batch {batch}, {new_tokens} tok; steps {', '.join(f'{s:.1f}' for s in steps_s)} s wall, "
                  f"{', '.join(f'{s:.1f}' for s in cpu_s)} s CPU; "
                  f"process {result['seconds']:.0f} s wall, {result['cpu_seconds']:.0f} s CPU; "
                  f"RSS {result['rss_at_marker_mb'] or 0:.0f} MB once loaded (anonymous "
                  f"{result['anon_at_marker_mb'] or 0:.0f}, highest after {result['anon_peak_mb'] or 0:.0f})",
                  run=name, dtype=dtype,
                  batch=batch, new_tokens=new_tokens, micro_batch=micro_batch, step_seconds=steps_s,
                  process_seconds=result["seconds"], process_cpu_seconds=result["cpu_seconds"],
                  step_cpu_seconds=cpu_s, step_cpu_median=step_cpu,
                  rss_loaded_mb=result["rss_at_marker_mb"], anon_loaded_mb=result["anon_at_marker_mb"],
                  anon_peak_mb=result["anon_peak_mb"])
    return phase, run


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_http(url: str, proc: subprocess.Popen, timeout: float) -> None:
    import urllib.request

    deadline = time.perf_counter() + timeout
    while time.perf_counter() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"the app exited with code {proc.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.1)
    raise TimeoutError(f"{url} did not answer within {timeout:.0f} s")


def app_phases(runner: Runner, run_name: str, dialogue: str) -> list[Phase]:
    """`python app.py` on the flan-t5-base preset (the fake Hub cache), then summaries through gradio_client."""
    from gradio_client import Client

    args, out = runner.args, runner.out
    port = free_port()
    peak_file = runner.logs / "app.gpu.json"
    env = {**runner.env, "RLHF_PRESET": "flan-t5-base", "HF_HUB_CACHE": str(out / "hub"),
           "RLHF_RUNS_DIR": str(out / "runs"), "GRADIO_SERVER_NAME": "127.0.0.1", "GRADIO_SERVER_PORT": str(port),
           "FULL_SIZE_PEAK_FILE": str(peak_file), "FULL_SIZE_PEAK_POLL": "1"}
    cmd = child_command(args.python, ["app.py"], args.device)
    phases: list[Phase] = []
    log = open(runner.logs / "app.log", "w")
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)

    def mark(name: str, started: float, note: str = "", **extra) -> None:
        seconds = time.perf_counter() - started
        if args.device == "cuda":
            time.sleep(0.6)  # the child rewrites its GPU peak every 0.5 s
        phases.append(Phase(name, seconds, vm_field(proc.pid, "VmHWM"), read_gpu_peak(peak_file), note, **extra))

    try:
        url = f"http://127.0.0.1:{port}/"
        wait_http(url, proc, args.timeout)
        mark("app start (page answers)", t0, "python app.py, RLHF_PRESET=flan-t5-base")
        client = Client(url, verbose=False)
        for name, run, note in (("first summary", None, "waits for the models to load; before only"),
                                ("warm summary", None, "before only"),
                                ("summary with the CLI run", run_name,
                                 "before + after; loads the run's base models by folder")):
            started = time.perf_counter()
            result = client.predict(dialogue, run, api_name="/summarize_dialogue")
            notes, before, _, after, _ = result
            if not before or (run and not after):
                raise RuntimeError(f"{name}: empty summary ({result!r})")
            mark(name, started, note, before=before[:80], after=(after or "")[:80])
        startup_line = (runner.logs / "app.log").read_text(errors="replace").strip().splitlines()[:1]
        phases[0].extra["startup_line"] = startup_line[0] if startup_line else ""
    except Exception as error:  # report what ran, then the app's log
        log.flush()
        raise SystemExit(f"error: the app phase failed: {type(error).__name__}: {error}\n"
                         f"{tail((runner.logs / 'app.log').read_text(errors='replace'), 25)}") from None
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
        log.close()
    for p in phases:
        p.note += " (peaks: whole process so far)"
    return phases


# --------------------------------------------------------------------------------------------
# The estimate for a 16 GB T4 at the default batch
# --------------------------------------------------------------------------------------------


def generation_mb(config: dict, rows: int, prompt_tokens: int, new_tokens: int, bytes_per_value: int = 4) -> float:
    """What sampling holds beyond the weights: the encoder's output, the decoder's cross- and self-attention
    key/value caches, and a step's logits (with softmax and cumulative sums for the inverse-CDF draw)."""
    inner = config["num_heads"] * config["d_kv"]
    layers = config["num_decoder_layers"]
    values = (rows * prompt_tokens * config["d_model"]  # encoder output
              + layers * 2 * rows * prompt_tokens * inner  # cross-attention K, V
              + layers * 2 * rows * new_tokens * inner  # self-attention K, V
              + 3 * rows * config["vocab_size"])  # logits, probabilities, cumulative sums
    return values * bytes_per_value / 2**20


def t4_estimate(rises: dict[tuple[int, int], float], weights_mb: float, generation16_mb: float,
                new_tokens: int) -> dict:
    """Peak memory of a float32 step at the default batch (16 rows sampled, then updated 4 rows at a
    time: optim.mini_batch_size 4, micro-batch = all on a GPU) with 400 new tokens.

    `rises`: for float32 steps at (rows, L) = (2, n), (4, n), (4, 2n), each with micro-batch = mini-batch
    = rows, the peak above the memory held once the models were loaded (CPU: the highest anonymous RSS
    after the CLI's "training ... parameters" line minus the one at that line, so not the float32
    weights, which stay mapped from their safetensors files and page in as used; GPU: peak allocated
    minus the weights). The peak of these steps is the update (an RSS timeline at (2, 32), (4, 32),
    (4, 64): sampling adds under 100 MB, the update 0.9-1.5 GB), fitted as
        rise(b, L) = c + b * (alpha + beta * L)
    (2, n) and (4, n) give the per-row cost at L = n, (4, 2n) beta, the rest c (what the update holds
    whatever its rows). At the default: weights + max(update of 4 rows at L = 400, sampling 16 rows,
    from the config's cache sizes). The pessimistic reading holds 16 rows of update memory at once.
    Linear in L: the attention scores that grow with L^2 are stored by a CPU's eager attention, not
    by a GPU's SDPA, so the CPU's fit stands for the GPU's update.
    """
    n = new_tokens
    r2, r4, r4long = rises[(2, n)], rises[(4, n)], rises[(4, 2 * n)]
    per_row = (r4 - r2) / 2
    beta = (r4long - r4) / (4 * n)
    alpha = per_row - beta * n
    c = r2 - 2 * per_row
    row400 = alpha + beta * DEFAULT_MAX_NEW_TOKENS
    update4 = c + DEFAULT_MINI_BATCH * row400
    update16 = c + DEFAULT_BATCH * row400
    estimate = weights_mb + max(update4, generation16_mb)
    pessimistic = weights_mb + update16
    return {"weights_mb": weights_mb, "update_overhead_mb": c, "per_row_mb_at_n": per_row, "per_row_token_mb": beta,
            "per_row_mb_at_400": row400, "update_4_rows_mb": update4, "generation_16_rows_mb": generation16_mb,
            "estimate_mb": estimate, "pessimistic_mb": pessimistic, "t4_usable_gib": T4_USABLE_GIB,
            "fits_t4": estimate / 1024 < T4_USABLE_GIB, "pessimistic_fits_t4": pessimistic / 1024 < T4_USABLE_GIB,
            "rises_mb": {f"b{k[0]}_n{k[1]}": v for k, v in rises.items()}}


# --------------------------------------------------------------------------------------------
# Main
# --------------------------------------------------------------------------------------------


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--device", choices=["cpu", "cuda"], default="cpu")
    p.add_argument("--dtype", choices=["auto", "float32", "bfloat16"], default="auto",
                   help="model.dtype and reward.dtype of the runs (auto: what the product picks on the device)")
    p.add_argument("--batch-size", type=int, default=2, help="optim.batch_size (mini-batch: min(4, this))")
    p.add_argument("--max-new-tokens", type=int, default=32, help="every response exactly this long")
    p.add_argument("--steps", type=int, default=2, help="training steps (the step time is the median after the first)")
    p.add_argument("--samples", type=int, default=2, help="test dialogues for evaluate")
    p.add_argument("--out", type=Path, default=None, help="folder to build into and keep (default: a temp folder)")
    p.add_argument("--reuse-build", action="store_true", help="skip the build if --out already holds one")
    p.add_argument("--shrink", action="store_true", help="toy dims, same code paths (tests)")
    p.add_argument("--compare-dtypes", action="store_true",
                   help="train once in float32 and once in bf16 (same shapes) and report both step times")
    p.add_argument("--no-estimate", action="store_true", help="skip the three float32 runs behind the T4 estimate")
    p.add_argument("--measure-default", action="store_true",
                   help="also run one float32 step at the default batch (16, mini-batch 4, 400 tokens): on a GPU")
    p.add_argument("--skip-app", action="store_true", help="skip the app phases")
    p.add_argument("--extra-rows", type=Path, default=None, help="JSON list of rows to append (gpu.sh: TRL)")
    p.add_argument("--timeout", type=float, default=1800, help="seconds per child process")
    p.add_argument("--python", default=sys.executable, help="the project's Python for the children")
    p.add_argument("--build-only", action="store_true", help=argparse.SUPPRESS)  # the build child
    return p.parse_args(argv)


def print_table(phases: list[Phase], header: str) -> None:
    def num(v, width, digits):
        return "-".rjust(width) if v is None else f"{v:{width}.{digits}f}"

    print(header)
    print(f"{'phase':<30}{'seconds':>9}{'peak RSS MB':>13}{'peak GPU MB':>13}  note")
    for p in phases:
        flag = "" if p.ok else "FAILED "
        print(f"{p.name:<30}{num(p.seconds, 9, 1)}{num(p.rss_mb, 13, 0)}{num(p.gpu_mb, 13, 0)}  {flag}{p.note}")


def main(argv=None) -> int:
    args = parse_args(argv)
    if args.build_only:
        sys.path.insert(0, str(ROOT))
        print(json.dumps(build(args.out, args.shrink)))
        return 0
    out = args.out or Path(tempfile.mkdtemp(prefix="full-size-"))
    out.mkdir(parents=True, exist_ok=True)
    runner = Runner(args, out)
    phases: list[Phase] = []
    try:
        return run_all(args, out, runner, phases)
    finally:
        if args.out is None:
            shutil.rmtree(out, ignore_errors=True)


def run_all(args, out: Path, runner: Runner, phases: list[Phase]) -> int:
    built = out / "build.json"
    if args.reuse_build and built.is_file():
        info = json.loads(built.read_text())
        phases.append(Phase("build (reused)", 0.0, None, None, f"{out}"))
    else:
        result = runner.run("build", [str(Path(__file__).resolve()), "--build-only", "--out", str(out),
                                      *(["--shrink"] if args.shrink else [])])
        require(result, "the build")
        info = last_json(result["output"])
        built.write_text(json.dumps(info))
        phases.append(Phase("build models + data", result["seconds"], result["rss_mb"], None,
                            f"{sum(info['params'].values()) / 1e6:.0f}M params, {info['disk_mb']:.0f} MB safetensors"))
    if args.device == "cuda" and not info["cuda_available"]:
        raise SystemExit("error: --device cuda, but torch sees no CUDA GPU")
    auto = info["auto_dtype"]
    weights_mb = (info["params"]["policy"] + info["params"]["reward"]) * 4 / 2**20  # float32, as on a T4
    main_dtype = auto if args.dtype == "auto" else args.dtype
    n, b = args.max_new_tokens, args.batch_size

    runs: dict[str, Phase] = {}
    dtypes = ["float32", "bfloat16"] if args.compare_dtypes else [main_dtype]
    for dtype in dtypes:
        phase, _ = train_phase(runner, f"train-{dtype}", dtype, b, n, args.steps)
        runs[dtype] = phase
        phases.append(phase)
    main_run = f"train-{main_dtype}"

    result = runner.run("evaluate", ["-m", "rlhf_core", "evaluate", "--run-dir", str(out / "runs" / main_run),
                                     "--samples", str(args.samples)])
    require(result, "evaluate")
    phases.append(Phase("evaluate", result["seconds"], result["rss_mb"], result["gpu_mb"],
                        f"{args.samples} dialogues, greedy + sampled, judge {JUDGE_ID.split('/')[1]}; {main_dtype}"))

    if not args.skip_app:
        dialogue = invented_dialogues(2, seed=99)[1]["dialogue"]  # the restaurant: a rude turn
        phases += app_phases(runner, main_run, dialogue)

    estimate = None
    if not args.no_estimate:
        # float32 (a T4's pick), one step each, micro-batch = mini-batch = rows (the GPU default: all rows at once)
        rises = {}
        for rows, tokens in ((2, n), (4, n), (4, 2 * n)):
            phase, _ = train_phase(runner, f"est-b{rows}-n{tokens}", "float32", rows, tokens, 1,
                                   micro_batch=min(rows, DEFAULT_MINI_BATCH))
            phase.name = f"est. step fp32 b{rows} n{tokens}"
            phases.append(phase)
            if args.device == "cuda":
                if phase.gpu_mb is None:
                    raise SystemExit(f"error: no peak GPU memory from {phase.extra['run']} (logs in {runner.logs})")
                rises[(rows, tokens)] = phase.gpu_mb - weights_mb
            elif phase.extra["anon_loaded_mb"] is None:
                raise SystemExit(f"error: no RSS reading once the models were loaded in {phase.extra['run']}")
            else:
                rises[(rows, tokens)] = phase.extra["anon_peak_mb"] - phase.extra["anon_loaded_mb"]
        policy_cfg = t5_config(args.shrink)
        generation16 = generation_mb(policy_cfg, DEFAULT_BATCH, info["prompt_tokens"]["max"], DEFAULT_MAX_NEW_TOKENS)
        estimate = t4_estimate(rises, weights_mb, generation16, n)
    measured_default = None
    if args.measure_default:
        phase, _ = train_phase(runner, "default-batch", "float32", DEFAULT_BATCH, DEFAULT_MAX_NEW_TOKENS, 1)
        phase.name = "step fp32 b16 n400 (default)"
        phases.append(phase)
        if args.device == "cuda":
            measured_default = phase.gpu_mb
        else:  # comparable with a GPU's figure: the float32 weights + the step's rise, as in the estimate
            measured_default = weights_mb + phase.extra["anon_peak_mb"] - phase.extra["anon_loaded_mb"]

    if args.extra_rows:
        for row in json.loads(args.extra_rows.read_text()):
            phases.append(Phase(row["phase"], row.get("seconds"), row.get("peak_rss_mb"), row.get("peak_gpu_mb"),
                                row.get("note", "")))

    runner.load.append(os.getloadavg()[0])
    size = "shrunk (toy dims)" if args.shrink else "full size"
    header = (f"\n{size} dry run, {args.device}, dtype {args.dtype} -> {main_dtype} (auto here: {auto}); "
              f"{sum(info['params'].values()) / 1e6:.1f}M params (policy {info['params']['policy']:,}, "
              f"reward {info['params']['reward']:,}, judge {info['params']['judge']:,}); prompts "
              f"{info['prompt_tokens']['mean']:.0f} tokens on average (max {info['prompt_tokens']['max']}); "
              f"{os.cpu_count()} cores, load average {runner.load[0]:.1f} at the start, "
              f"{runner.load[1]:.1f} at the end")
    print_table(phases, header)
    if args.compare_dtypes:
        f32, b16 = runs["float32"], runs["bfloat16"]
        cpu = ""
        if f32.extra["step_cpu_median"] and b16.extra["step_cpu_median"]:
            c32, c16 = f32.extra["step_cpu_median"], b16.extra["step_cpu_median"]
            cpu = f"; CPU time {c32:.1f} s vs {c16:.1f} s -> {c32 / c16:.2f}x"
        print(f"\nfloat32 vs bf16 per train step (same run, batch {b}, {n} tokens, median after the first step): "
              f"wall {f32.seconds:.1f} s vs {b16.seconds:.1f} s -> bf16 {f32.seconds / b16.seconds:.2f}x the speed of "
              f"float32{cpu}; auto picks {auto} here")
    if estimate:
        gib = 1024
        print(f"\nT4 estimate (float32, batch {DEFAULT_BATCH} sampled, updated {DEFAULT_MINI_BATCH} rows at a time, "
              f"{DEFAULT_MAX_NEW_TOKENS} new tokens, prompts up to {info['prompt_tokens']['max']} tokens): "
              f"{estimate['estimate_mb'] / gib:.1f} GiB = weights {estimate['weights_mb'] / gib:.2f} + max(update of "
              f"{DEFAULT_MINI_BATCH} rows {estimate['update_4_rows_mb'] / gib:.2f}, sampling {DEFAULT_BATCH} rows "
              f"{estimate['generation_16_rows_mb'] / gib:.2f}); pessimistic (16 rows of update memory at once) "
              f"{estimate['pessimistic_mb'] / gib:.1f} GiB; a T4 has about {T4_USABLE_GIB} GiB for tensors -> "
              f"{'fits' if estimate['fits_t4'] else 'does not fit'}")
        print(f"  how: the update's rise (anonymous RSS) above the loaded models at (batch, tokens) = (2, {n}), "
              f"(4, {n}), (4, {2 * n}) in float32, fitted as c + rows * (alpha + beta * tokens): c "
              f"{estimate['update_overhead_mb']:.0f} MB, {estimate['per_row_mb_at_n']:.0f} MB a row at {n} tokens, "
              f"+{estimate['per_row_token_mb']:.2f} MB a row per token -> {estimate['per_row_mb_at_400']:.0f} MB a "
              f"row at {DEFAULT_MAX_NEW_TOKENS}; sampling from the config's cache sizes")
    if measured_default is not None:
        how = ("peak GPU allocated" if args.device == "cuda"
               else "float32 weights + the step's rise in anonymous RSS, as the estimate counts")
        print(f"measured at the default batch (float32, batch {DEFAULT_BATCH}, {DEFAULT_MAX_NEW_TOKENS} tokens): "
              f"{measured_default / 1024:.2f} GiB ({how})")
    print(json.dumps({"device": args.device, "dtype_requested": args.dtype, "dtype": main_dtype, "auto_dtype": auto,
                      "shrink": args.shrink, "build": info, "load_average": runner.load,
                      "phases": [p.to_dict() for p in phases],
                      "t4_estimate": estimate, "measured_default_mb": measured_default,
                      "bf16_speedup": (runs["float32"].seconds / runs["bfloat16"].seconds
                                       if args.compare_dtypes else None)}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
