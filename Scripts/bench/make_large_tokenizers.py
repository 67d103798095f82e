"""Trains realistic-size tokenizers for the `tokenizers` bench section into .build/bench-tokenizers/.

The parity fixtures are tiny (a few hundred tokens, so words split into many pieces); these show
speeds at the sizes real models use. Trained offline with tokenizers 0.20.3 on the text of the
.py, .txt and .rst files of the virtual environment's site-packages (the first ~8 MB, in path
order, so the result is the same on every run of the same environment):

  gpt2_large/tokenizer.json  byte-level BPE like GPT-2's (ByteLevel pre-tokenizer, 32,000 tokens)
  bert_large/tokenizer.json  WordPiece like bert-base-uncased (BertNormalizer lowercasing,
                             BertPreTokenizer, [CLS]/[SEP] template, 30,000 tokens)

Usage: .venv/bin/python Scripts/bench/make_large_tokenizers.py [OUTPUT_FOLDER]
(default .build/bench-tokenizers; a tokenizer already there is kept). torch_bench.py's
`tokenizers` section calls `make_all` itself.
"""
import pathlib
import sys
import sysconfig

from tokenizers import Tokenizer, decoders, models, normalizers, pre_tokenizers, processors, trainers

LIMIT = 8_000_000


def texts():
    root = pathlib.Path(sysconfig.get_paths()["purelib"])
    total = 0
    for path in sorted(root.rglob("*")):
        if path.suffix not in (".py", ".txt", ".rst") or not path.is_file():
            continue
        try:
            text = path.read_text(encoding="utf-8")
        except (UnicodeDecodeError, OSError):
            continue
        yield text
        total += len(text)
        if total >= LIMIT:
            return


def gpt2_like():
    tokenizer = Tokenizer(models.BPE())
    tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tokenizer.decoder = decoders.ByteLevel()
    tokenizer.post_processor = processors.ByteLevel(trim_offsets=True)
    trainer = trainers.BpeTrainer(
        vocab_size=32_000,
        special_tokens=["<|endoftext|>"],
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tokenizer.train_from_iterator(texts(), trainer)
    return tokenizer


def bert_like():
    tokenizer = Tokenizer(models.WordPiece(unk_token="[UNK]"))
    tokenizer.normalizer = normalizers.BertNormalizer(lowercase=True)
    tokenizer.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    tokenizer.decoder = decoders.WordPiece()
    trainer = trainers.WordPieceTrainer(
        vocab_size=30_000, special_tokens=["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"], show_progress=False
    )
    tokenizer.train_from_iterator(texts(), trainer)
    cls, sep = tokenizer.token_to_id("[CLS]"), tokenizer.token_to_id("[SEP]")
    tokenizer.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]", pair="[CLS] $A [SEP] $B:1 [SEP]:1", special_tokens=[("[CLS]", cls), ("[SEP]", sep)]
    )
    return tokenizer


def make_all(out):
    for name, make in (("gpt2_large", gpt2_like), ("bert_large", bert_like)):
        target = out / name / "tokenizer.json"
        if target.exists():
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        make().save(str(target))
        print(f"wrote {target}", file=sys.stderr)


def main():
    make_all(pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else ".build/bench-tokenizers"))


if __name__ == "__main__":
    main()
