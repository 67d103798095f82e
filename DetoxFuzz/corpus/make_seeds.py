"""Writes the generated seeds of DetoxFuzz/corpus (the others are copies of test fixtures).

Run from the repository root with the pinned stack (the tokenizer seeds need `tokenizers`):
    /work/main/.venv/bin/python DetoxFuzz/corpus/make_seeds.py
Every file is small (under 20 KB). The files are the same on every run except the Unigram
tokenizer, whose trainer is not deterministic; any of its outputs is a fine seed.
"""

import json
import os
import struct
import zlib

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)))


def write(target, name, data):
    folder = os.path.join(ROOT, target)
    os.makedirs(folder, exist_ok=True)
    if isinstance(data, str):
        data = data.encode("utf-8")
    with open(os.path.join(folder, name), "wb") as handle:
        handle.write(data)


def raw_deflate(data, level):
    compressor = zlib.compressobj(level, zlib.DEFLATED, -15)
    return compressor.compress(data) + compressor.flush()


TEXT = b"The quick brown fox jumps over the lazy dog. " * 8 + bytes(range(256))

# fuzz-inflate: a little-endian u16 output size, then a raw DEFLATE stream.
for level in (0, 1, 6, 9):
    write("inflate", f"text-level{level}", struct.pack("<H", len(TEXT)) + raw_deflate(TEXT, level))
write("inflate", "empty", struct.pack("<H", 0) + raw_deflate(b"", 6))
# Fixed Huffman codes only (a short input with repeats).
write("inflate", "fixed-codes", struct.pack("<H", 20) + raw_deflate(b"abcabcabcabcabcabcab", 9))

# fuzz-table: JSON Lines and CSV as the dataset readers take them.
write(
    "table",
    "dialogs.jsonl",
    "\n".join(
        json.dumps(row, ensure_ascii=False)
        for row in [
            {"dialogue": "#Person1#: Hi.\n#Person2#: Hello.", "summary": "They greet."},
            {"dialogue": "Ünïcödé 🙂", "summary": None},
            {"text": "only a text field"},
        ]
    )
    + "\n",
)
write("table", "quoted.csv", 'dialogue,summary\n"a ""quoted"" field","multi\nline"\r\nplain,row\n')
write("table", "bom.csv", "\ufeffdialogue,summary\nx,y\n")

# fuzz-hub: a repository listing, and header blocks of HEAD answers (status on the first line).
commit = "4b6008f10efd2908de4b4e9592579415b9cdf808"
write(
    "hub",
    "listing.json",
    json.dumps(
        {
            "id": "detox-test/tiny-model",
            "sha": commit,
            "siblings": [
                {"rfilename": name}
                for name in [
                    "config.json",
                    "model.safetensors",
                    "pytorch_model.bin",
                    "tokenizer.json",
                    "onnx/model.onnx",
                    "README.md",
                ]
            ],
        }
    ),
)
write(
    "hub",
    "head-lfs",
    f"200\nX-Repo-Commit: {commit}\nX-Linked-Etag: \"{'ab' * 32}\"\nX-Linked-Size: 1234\n"
    "ETag: W/\"1234\"\nContent-Length: 0\n",
)
write(
    "hub",
    "head-redirect",
    f"302\nX-Repo-Commit: {commit}\nETag: \"abc\"\nContent-Length: 12\n"
    "Location: /api/resolve-cache/models/detox-test/tiny-model/main/config.json?x=1\n",
)
write("hub", "head-missing", "404\nX-Error-Code: EntryNotFound\nX-Error-Message: Entry not found\n")

# fuzz-encode: texts for the seed tokenizers.
write("encode", "plain", "Hello world! The quick brown fox jumps over the lazy dog.")
write("encode", "unicode", "Ünïcödé  text\twith 123 numbers, émojis 🙂🙂, 日本語, Ελληνικά, ﬁ ligatures, e\u0301")
write("encode", "specials", "<s> [CLS] <pad> </s> [SEP] <|endoftext|> <unk> [MASK] <0xFF> ▁▁ ")
write("encode", "dialogue", "#Person1#: Hi, how are you?\r\n#Person2#: Fine... thanks!!!   (really)\n\n")

# fuzz-tokenizer: tiny trained tokenizers of the kinds the fixtures above do not cover.
try:
    from tokenizers import Tokenizer, decoders, models, normalizers, pre_tokenizers, processors, trainers
except ImportError:
    print("tokenizers is not installed: tokenizer seeds skipped")
else:
    corpus = [
        "Hello world, this is a tiny corpus.",
        "The quick brown fox jumps over the lazy dog!",
        "Ünïcödé text, numbers 12345 and emoji 🙂 too.",
    ] * 4

    bpe = Tokenizer(models.BPE(unk_token=None))
    bpe.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    bpe.decoder = decoders.ByteLevel()
    bpe.post_processor = processors.ByteLevel(trim_offsets=True)
    bpe.train_from_iterator(
        corpus,
        trainers.BpeTrainer(
            vocab_size=300, special_tokens=["<|endoftext|>"], initial_alphabet=pre_tokenizers.ByteLevel.alphabet()
        ),
    )
    write("tokenizer", "byte-level-bpe.json", bpe.to_str())

    unigram = Tokenizer(models.Unigram())
    unigram.normalizer = normalizers.Sequence([normalizers.NFKC(), normalizers.Replace("  ", " ")])
    unigram.pre_tokenizer = pre_tokenizers.Metaspace()
    unigram.decoder = decoders.Metaspace()
    unigram.train_from_iterator(
        corpus, trainers.UnigramTrainer(vocab_size=80, special_tokens=["<pad>", "</s>", "<unk>"], unk_token="<unk>")
    )
    unigram.post_processor = processors.TemplateProcessing(
        single="$A </s>", pair="$A </s> $B </s>", special_tokens=[("</s>", unigram.token_to_id("</s>"))]
    )
    write("tokenizer", "metaspace-unigram.json", unigram.to_str())

    fallback = Tokenizer(models.BPE(unk_token="<unk>", byte_fallback=True, fuse_unk=True))
    fallback.normalizer = normalizers.Sequence([normalizers.Prepend("▁"), normalizers.Replace(" ", "▁")])
    fallback.decoder = decoders.Sequence(
        [decoders.Replace("▁", " "), decoders.ByteFallback(), decoders.Fuse(), decoders.Strip(" ", 1, 0)]
    )
    fallback.train_from_iterator(
        corpus,
        trainers.BpeTrainer(
            vocab_size=300, special_tokens=["<unk>", "<s>", "</s>"] + [f"<0x{b:02X}>" for b in range(0x80, 0xC0)]
        ),
    )
    write("tokenizer", "byte-fallback-bpe.json", fallback.to_str())
