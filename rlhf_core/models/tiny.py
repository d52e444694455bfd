"""The `tiny` preset's models and data: real architectures (T5, RoBERTa) at toy size, random
weights, built in memory with a byte-level tokenizer that needs no files. Offline and
deterministic, so tests and smoke runs never touch the network."""

from __future__ import annotations

import torch
from transformers import (
    ByT5Tokenizer,
    RobertaConfig,
    RobertaForSequenceClassification,
    T5Config,
    T5ForConditionalGeneration,
)

TINY_DIALOGUES = [
    {
        "id": "tiny_0",
        "dialogue": "#Person1#: Hi, I'd like to return this jacket.\n#Person2#: Do you have the receipt?\n"
        "#Person1#: Yes, here it is.\n#Person2#: Great, I'll refund it to your card.",
        "summary": "#Person1# returns a jacket and #Person2# refunds it.",
    },
    {
        "id": "tiny_1",
        "dialogue": "#Person1#: Are we still meeting at six?\n#Person2#: Yes, at the cafe near the station.\n"
        "#Person1#: Perfect, see you there.",
        "summary": "#Person1# and #Person2# will meet at six at the cafe.",
    },
    {
        "id": "tiny_2",
        "dialogue": "#Person1#: My laptop won't start.\n#Person2#: Did you try charging it?\n"
        "#Person1#: Oh, the battery was empty. It works now, thanks.",
        "summary": "#Person1#'s laptop had an empty battery.",
    },
    {
        "id": "tiny_3",
        "dialogue": "#Person1#: What time does the library close?\n#Person2#: At eight on weekdays.\n"
        "#Person1#: Then I have two more hours to study.",
        "summary": "The library closes at eight, so #Person1# can study two more hours.",
    },
    {
        "id": "tiny_4",
        "dialogue": "#Person1#: You are late again, you idiot.\n#Person2#: Sorry, the bus broke down.\n"
        "#Person1#: Whatever. Just start working.",
        "summary": "#Person1# insults #Person2# for being late because the bus broke down.",
    },
    {
        "id": "tiny_5",
        "dialogue": "#Person1#: Could you recommend a good book?\n#Person2#: Try a mystery novel, they are fun.\n"
        "#Person1#: I'll take the one on the top shelf.",
        "summary": "#Person2# recommends a mystery novel to #Person1#.",
    },
    {
        "id": "tiny_6",
        "dialogue": "#Person1#: The soup is cold.\n#Person2#: I'm so sorry, I'll bring you a fresh bowl.\n"
        "#Person1#: Thank you, that's kind.",
        "summary": "#Person2# replaces #Person1#'s cold soup.",
    },
    {
        "id": "tiny_7",
        "dialogue": "#Person1#: This shop is useless and so are you.\n#Person2#: Please calm down, sir.\n"
        "#Person1#: Just give me my money back.",
        "summary": "#Person1# is rude to #Person2# and asks for a refund.",
    },
    {
        "id": "tiny_8",
        "dialogue": "#Person1#: How was your trip to the mountains?\n#Person2#: Wonderful, we hiked every day.\n"
        "#Person1#: I'd love to go next summer.",
        "summary": "#Person2# enjoyed hiking in the mountains.",
    },
    {
        "id": "tiny_9",
        "dialogue": "#Person1#: Can I book a table for four tonight?\n#Person2#: We have one at half past seven.\n"
        "#Person1#: That works, thank you.",
        "summary": "#Person1# books a table for four at half past seven.",
    },
]


def tiny_tokenizer() -> ByT5Tokenizer:
    """A byte-level tokenizer (pad=0, eos=1, like T5) that needs no vocabulary file."""
    return ByT5Tokenizer()


def tiny_policy_model(seed: int = 0) -> T5ForConditionalGeneration:
    """A 2-layer T5 with random weights, T5's special-id layout, and the ByT5 vocabulary."""
    tokenizer = tiny_tokenizer()
    config = T5Config(
        vocab_size=len(tokenizer),
        d_model=32,
        d_ff=64,
        d_kv=16,
        num_layers=2,
        num_decoder_layers=2,
        num_heads=2,
        feed_forward_proj="gated-gelu",
        dropout_rate=0.1,
        pad_token_id=tokenizer.pad_token_id,
        eos_token_id=tokenizer.eos_token_id,
        decoder_start_token_id=tokenizer.pad_token_id,
    )
    with torch.random.fork_rng():
        torch.manual_seed(seed)
        model = T5ForConditionalGeneration(config)
        # Embeddings are tied (transformers 5's T5Config default). T5's default init makes the
        # logits so peaked that sampling repeats one token; smaller embeddings give diverse samples,
        # so rewards vary and PPO has a signal.
        with torch.no_grad():
            model.lm_head.weight.mul_(0.1)
    return model.eval()


JUDGE_SEED = 2  # the tiny judge: the reward model's architecture with other random weights


def tiny_reward_model(seed: int = 1) -> RobertaForSequenceClassification:
    """A 2-layer RoBERTa classifier with `nothate`/`hate` labels and random weights.

    The labels are deliberately stored in the order (hate, nothate) so that code reading the
    reward by position instead of by name gets it wrong in tests.
    """
    tokenizer = tiny_tokenizer()
    config = RobertaConfig(
        vocab_size=len(tokenizer),
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=64,
        max_position_embeddings=512 + 2,
        pad_token_id=tokenizer.pad_token_id,
        bos_token_id=tokenizer.pad_token_id,
        eos_token_id=tokenizer.eos_token_id,
        num_labels=2,
        id2label={0: "hate", 1: "nothate"},
        label2id={"hate": 0, "nothate": 1},
    )
    with torch.random.fork_rng():
        torch.manual_seed(seed)
        model = RobertaForSequenceClassification(config)
    return model.eval()
