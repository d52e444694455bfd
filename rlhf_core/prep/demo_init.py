"""The demo's byte-level BPE tokenizers and its randomly initialised models (a T5 summarizer, RoBERTa
classifiers): what the demo build trains from scratch, and what the benchmarks rebuild to probe it.
"""

from __future__ import annotations

import torch

from .demo_spec import DemoSpec

PAD, EOS, UNK, BOS = "<pad>", "</s>", "<unk>", "<s>"  # ids 0, 1, 2, 3: T5's layout, plus RoBERTa's <s>
SPECIAL_TOKENS = [PAD, EOS, UNK, BOS]


def subword_vocabulary(texts, vocab_size: int, split_digits: bool = True):
    """Returns a byte-level BPE `tokenizers.Tokenizer` trained on `texts`, with T5's special ids
    (pad=0, eos=1, unk=2; <s>=3) and no post-processor (`wrap_tokenizer` adds one). Every string
    encodes (bytes are the base alphabet), and digits are single tokens, so the summarizer can copy
    any name or number it has never seen, piece by piece."""
    from tokenizers import (
        Regex,
        Tokenizer,
        decoders,
        models,
        normalizers,
        pre_tokenizers,
        trainers,
    )

    tokenizer = Tokenizer(models.BPE())
    tokenizer.normalizer = normalizers.Sequence([normalizers.Replace(Regex(r"\s+"), " "), normalizers.Strip()])
    byte_level = pre_tokenizers.ByteLevel(add_prefix_space=True, use_regex=True)
    tokenizer.pre_tokenizer = pre_tokenizers.Sequence([
        # byte-level pieces, then one digit a token ("\u0120" = space)
        byte_level, pre_tokenizers.Split(Regex("\u0120?[0-9]"), behavior="isolated"),
    ]) if split_digits else byte_level
    tokenizer.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=vocab_size, special_tokens=SPECIAL_TOKENS, show_progress=False,
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
    tokenizer.train_from_iterator(texts, trainer)
    return tokenizer


def word_vocabulary(texts, vocab_size: int):
    """Returns the judge's tokenizer: lower-cased whole words with a character fallback (the
    library's WordPiece model, greedy longest match, over a vocabulary of the special tokens, every
    character seen alone and as a continuation "##c", then the most frequent words, ties in
    alphabetical order), one token per digit. It cuts words nowhere the reward model's byte-level
    BPE does, and unlike the library's WordPiece trainer (whose vocabulary changes from one process
    to the next) the same texts always give the same ids."""
    from collections import Counter

    from tokenizers import Tokenizer, decoders, models, normalizers, pre_tokenizers

    normalizer = normalizers.BertNormalizer(lowercase=True, handle_chinese_chars=False)
    pre_tokenizer = pre_tokenizers.Sequence([pre_tokenizers.BertPreTokenizer(),
                                             pre_tokenizers.Digits(individual_digits=True)])
    counts = Counter(word for text in texts
                     for word, _ in pre_tokenizer.pre_tokenize_str(normalizer.normalize_str(text)))
    chars = sorted({c for word in counts for c in word})
    base = SPECIAL_TOKENS + chars + [f"##{c}" for c in chars]
    known = set(base)
    words = sorted((w for w in counts if w not in known), key=lambda w: (-counts[w], w))
    vocab = base + words[:max(0, vocab_size - len(base))]
    tokenizer = Tokenizer(models.WordPiece({token: i for i, token in enumerate(vocab)}, unk_token=UNK))
    tokenizer.normalizer, tokenizer.pre_tokenizer, tokenizer.decoder = normalizer, pre_tokenizer, decoders.WordPiece()
    return tokenizer


def wrap_tokenizer(vocabulary, classifier: bool = False):
    """Returns the vocabulary as a transformers tokenizer for the summarizer (text </s>), or for
    the classifier (<s> text </s>, so RoBERTa's head reads the first position)."""
    from tokenizers import Tokenizer, processors
    from transformers import PreTrainedTokenizerFast

    tokenizer = Tokenizer.from_str(vocabulary.to_str())  # a copy: the two post-processors differ
    if classifier:
        tokenizer.post_processor = processors.TemplateProcessing(
            single=f"{BOS} $A {EOS}", pair=f"{BOS} $A {EOS} $B {EOS}",
            special_tokens=[(BOS, tokenizer.token_to_id(BOS)), (EOS, tokenizer.token_to_id(EOS))])
    else:
        tokenizer.post_processor = processors.TemplateProcessing(
            single=f"$A {EOS}", pair=f"$A {EOS} $B {EOS}", special_tokens=[(EOS, tokenizer.token_to_id(EOS))])
    special = {"pad_token": PAD, "eos_token": EOS, "unk_token": UNK}
    if classifier:
        special.update(bos_token=BOS, cls_token=BOS, sep_token=EOS)
    return PreTrainedTokenizerFast(tokenizer_object=tokenizer, model_max_length=512, **special)


def init_summarizer(tokenizer, spec: DemoSpec, seed: int = 0):
    """Returns a randomly initialised T5 sized by `spec`, with T5's special-id layout."""
    from transformers import GenerationConfig, T5Config, T5ForConditionalGeneration

    config = T5Config(
        vocab_size=len(tokenizer), d_model=spec.d_model, d_ff=spec.d_ff, d_kv=spec.d_model // spec.num_heads,
        num_layers=spec.num_layers, num_decoder_layers=spec.num_layers, num_heads=spec.num_heads,
        feed_forward_proj="relu", dropout_rate=0.0, relative_attention_max_distance=128,
        pad_token_id=tokenizer.pad_token_id, eos_token_id=tokenizer.eos_token_id,
        decoder_start_token_id=tokenizer.pad_token_id,
    )
    torch.manual_seed(seed)
    model = T5ForConditionalGeneration(config)
    model.generation_config = GenerationConfig(
        pad_token_id=tokenizer.pad_token_id, eos_token_id=tokenizer.eos_token_id,
        decoder_start_token_id=tokenizer.pad_token_id)
    return model


def init_classifier(tokenizer, spec: DemoSpec, seed: int = 0, shape: tuple[int, int] | None = None):
    """Returns a randomly initialised RoBERTa classifier with `nothate`/`hate` labels, of `shape`
    (hidden size, layers; the reward model's by default), one attention head per 32 dimensions."""
    hidden, layers = shape or (spec.reward_hidden, spec.reward_layers)
    from transformers import RobertaConfig, RobertaForSequenceClassification

    config = RobertaConfig(
        vocab_size=len(tokenizer), hidden_size=hidden, num_hidden_layers=layers,
        num_attention_heads=max(1, hidden // 32), intermediate_size=4 * hidden,
        max_position_embeddings=spec.reward.max_length + 2, type_vocab_size=1,
        pad_token_id=tokenizer.pad_token_id, bos_token_id=tokenizer.bos_token_id, eos_token_id=tokenizer.eos_token_id,
        num_labels=2, id2label={0: "nothate", 1: "hate"}, label2id={"nothate": 0, "hate": 1},
    )
    torch.manual_seed(seed)
    return RobertaForSequenceClassification(config)
