#!/usr/bin/env python3
"""Writes the small hand-made seeds of the fuzz corpora (fuzz/corpus/<target>/seed_*).

The rest of each corpus is a copy of the plugin's fixtures (Plugins/<plugin>/fixtures/*.gguf,
*.safetensors, *.onnx), which come from the reference implementations. These seeds add small
valid files that reach corners the fixtures do not: every safetensors dtype and JSON escapes,
GGUF metadata of every type with nested arrays, alignment 1 and a skipped k-quant, ONNX
attributes of every kind, ConstantOfShape with a Cast, optional inputs and outputs, and an
external-data tensor pointing at the "external.data" side file the onnx target creates.

Standard library only (the encoders are a few lines each), deterministic:
    python3 fuzz/corpus/make_seeds.py
"""
import json
import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))


def put(target, name, content):
    os.makedirs(os.path.join(HERE, target), exist_ok=True)
    with open(os.path.join(HERE, target, name), "wb") as f:
        f.write(content)


# ------------------------------------------------------------------------------------------
# safetensors: 8-byte header length, JSON header, data
# ------------------------------------------------------------------------------------------

def safetensors(tensors, metadata=None, raw_header=None):
    data = b""
    header = {}
    if metadata is not None:
        header["__metadata__"] = metadata
    for name, dtype, shape, payload in tensors:
        header[name] = {"dtype": dtype, "shape": shape, "data_offsets": [len(data), len(data) + len(payload)]}
        data += payload
    text = raw_header if raw_header is not None else json.dumps(header, separators=(",", ":")).encode()
    text += b" " * ((-len(text)) % 8)
    return struct.pack("<Q", len(text)) + text + data


put("safetensors", "seed_empty.safetensors", safetensors([]))
put("safetensors", "seed_metadata_only.safetensors", safetensors([], metadata={"format": "pt", "k\u00e9y": "v\"al\\ue"}))
put("safetensors", "seed_every_dtype.safetensors", safetensors([
    ("f64", "F64", [1], struct.pack("<d", 1.5)),
    ("f32", "F32", [2], struct.pack("<2f", 1.0, -2.0)),
    ("f16", "F16", [1, 1], b"\x00\x3c"),
    ("bf16", "BF16", [1], b"\x80\x3f"),
    ("i64", "I64", [], struct.pack("<q", -7)),
    ("i32", "I32", [1], struct.pack("<i", 7)),
    ("i16", "I16", [1], struct.pack("<h", -2)),
    ("i8", "I8", [2], b"\x80\x7f"),
    ("u64", "U64", [1], struct.pack("<Q", 2 ** 64 - 1)),
    ("u32", "U32", [1], struct.pack("<I", 5)),
    ("u16", "U16", [1], struct.pack("<H", 6)),
    ("u8", "U8", [3], b"\x00\x01\xff"),
    ("bool", "BOOL", [2], b"\x00\x01"),
    ("zero", "F32", [0, 4], b""),
]))
# Escapes the strict parser decodes: \u with a surrogate pair, \/ and \t in names.
put("safetensors", "seed_escapes.safetensors", safetensors([], raw_header=(
    b'{"a\\/b\\t\\ud83d\\ude00\\u00e9":{"dtype":"U8","shape":[1],"data_offsets":[0,1]},'
    b'"__metadata__":{}}')) + b"\x07")

# ------------------------------------------------------------------------------------------
# GGUF
# ------------------------------------------------------------------------------------------


def gstr(s):
    b = s.encode() if isinstance(s, str) else s
    return struct.pack("<Q", len(b)) + b


def gkv(key, vtype, payload):
    return gstr(key) + struct.pack("<I", vtype) + payload


def garr(etype, items):
    return struct.pack("<IQ", etype, len(items)) + b"".join(items)


def gti(name, dims, gtype, offset):
    return gstr(name) + struct.pack("<I", len(dims)) + b"".join(struct.pack("<Q", d) for d in dims) + struct.pack("<IQ", gtype, offset)


def gguf(kvs, tensors, blobs, align=32, version=3):
    """tensors: (name, dims, type); blobs: their bytes, laid out in order at `align`."""
    infos, data = [], b""
    for (name, dims, gtype), blob in zip(tensors, blobs):
        data += b"\0" * ((-len(data)) % align)
        infos.append(gti(name, dims, gtype, len(data)))
        data += blob
    head = b"GGUF" + struct.pack("<IQQ", version, len(tensors), len(kvs)) + b"".join(kvs) + b"".join(infos)
    return head + b"\0" * ((-len(head)) % align) + data


U8, I8, U16, I16, U32, I32, F32, BOOL, STR, ARR, U64, I64, F64 = range(13)
put("gguf", "seed_minimal.gguf", gguf([], [], []))
put("gguf", "seed_every_value_type.gguf", gguf([
    gkv("general.architecture", STR, gstr("seed")),
    gkv("u8", U8, b"\x01"), gkv("i8", I8, b"\xff"), gkv("u16", U16, b"\x01\x02"), gkv("i16", I16, b"\xff\xff"),
    gkv("u32", U32, b"\x01\0\0\0"), gkv("i32", I32, b"\xff\xff\xff\xff"), gkv("f32", F32, struct.pack("<f", 0.5)),
    gkv("bool", BOOL, b"\x01"), gkv("u64", U64, b"\x01" * 8), gkv("i64", I64, b"\xff" * 8), gkv("f64", F64, struct.pack("<d", 2.5)),
    gkv("strings", ARR, garr(STR, [gstr("a"), gstr(""), gstr("\u00fc")])),
    gkv("nested", ARR, garr(ARR, [garr(U8, [b"\x01", b"\x02"]), garr(STR, [gstr("x")]), garr(ARR, [])])),
    gkv("empty", ARR, garr(F64, [])),
], [("s", [], 0)], [struct.pack("<f", 1.0)]))
q8 = struct.pack("<e", 0.25) + bytes(range(256 - 16, 256)) + bytes(range(16))
put("gguf", "seed_q8_0_align1.gguf", gguf(
    [gkv("general.alignment", U32, struct.pack("<I", 1))],
    [("q", [32, 2], 8), ("b", [3], 24), ("w", [2], 0), ("h", [1], 1), ("bf", [1], 30), ("d", [1], 28), ("i16", [1], 25),
     ("i32", [1], 26), ("i64", [1], 27)],
    [q8 + q8, b"\x01\x02\x03", struct.pack("<2f", 1, 2), b"\x00\x3c", b"\x80\x3f", struct.pack("<d", 1), b"\x01\x00",
     b"\x01\0\0\0", b"\x01" + b"\0" * 7], align=1))
put("gguf", "seed_skipped_q4_k.gguf", gguf(
    [gkv("general.alignment", U32, struct.pack("<I", 64))],
    [("k", [256], 12), ("w", [4, 1, 1, 1], 0)], [b"\0" * 144, struct.pack("<4f", 1, 2, 3, 4)], align=64, version=2))

# ------------------------------------------------------------------------------------------
# ONNX: a minimal protobuf encoder
# ------------------------------------------------------------------------------------------


def varint(n):
    n &= (1 << 64) - 1
    out = b""
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out += bytes([b | 0x80])
        else:
            return out + bytes([b])


def f_varint(number, value):
    return varint(number << 3) + varint(value)


def f_bytes(number, payload):
    payload = payload.encode() if isinstance(payload, str) else payload
    return varint(number << 3 | 2) + varint(len(payload)) + payload


def f_fixed32(number, value):
    return varint(number << 3 | 5) + struct.pack("<f", value)


def tensor(name, data_type, dims, raw=None, fields=b""):
    out = b"".join(f_varint(1, d) for d in dims) + f_varint(2, data_type) + f_bytes(8, name)
    if raw is not None:
        out += f_bytes(9, raw)
    return out + fields


def value_info(name, elem_type, dims):
    shape = b"".join(f_bytes(1, f_varint(1, d) if isinstance(d, int) else f_bytes(2, d)) for d in dims)
    return f_bytes(1, name) + f_bytes(2, f_bytes(1, f_varint(1, elem_type) + f_bytes(2, shape)))


def node(op, inputs, outputs, name="", attributes=()):
    return (b"".join(f_bytes(1, i) for i in inputs) + b"".join(f_bytes(2, o) for o in outputs) +
            (f_bytes(3, name) if name else b"") + f_bytes(4, op) + b"".join(f_bytes(5, a) for a in attributes))


def attr(name, kind, payload):
    return f_bytes(1, name) + payload + f_varint(20, kind)


def model(graph, opset=17, ir=8):
    return f_varint(1, ir) + f_bytes(2, "seed") + f_bytes(7, graph) + f_bytes(8, f_varint(2, opset))


FLOAT, INT64, INT32, BOOL_T, DOUBLE = 1, 7, 6, 9, 11
put("onnx", "seed_add.onnx", model(
    f_bytes(1, node("Add", ["x", "b"], ["y"], "add")) + f_bytes(2, "g") +
    f_bytes(5, tensor("b", FLOAT, [2], struct.pack("<2f", 1, 2))) +
    f_bytes(11, value_info("x", FLOAT, ["batch", 2])) + f_bytes(12, value_info("y", FLOAT, ["batch", 2]))))
put("onnx", "seed_attributes.onnx", model(
    f_bytes(1, node("Constant", [], ["c"], "const", [attr("value", 4, f_bytes(5, tensor("", FLOAT, [2], fields=f_bytes(4, struct.pack("<2f", 3, 4)))))])) +
    f_bytes(1, node("ConstantOfShape", ["shape"], ["filled"], "fill", [attr("value", 4, f_bytes(5, tensor("", INT32, [1], struct.pack("<i", 5))))])) +
    f_bytes(1, node("Dropout", ["c", "", ""], ["d", ""], "", [])) +
    f_bytes(1, node("Custom", ["d"], ["e"], "every_kind", [
        attr("f", 1, f_fixed32(2, 0.5)), attr("i", 2, f_varint(3, (1 << 64) - 3)), attr("s", 3, f_bytes(4, "text")),
        attr("fs", 6, f_bytes(7, struct.pack("<2f", 1, -1))), attr("is", 7, f_varint(8, 1) + f_varint(8, 2))])) +
    f_bytes(5, tensor("shape", INT64, [2], struct.pack("<2q", 2, 3))) +
    f_bytes(12, value_info("e", FLOAT, [2])) + f_bytes(12, value_info("filled", INT32, [2, 3])), opset=13, ir=7))
external = f_bytes(13, f_bytes(1, "location") + f_bytes(2, "external.data")) + \
    f_bytes(13, f_bytes(1, "offset") + f_bytes(2, "64")) + f_bytes(13, f_bytes(1, "length") + f_bytes(2, "16")) + f_varint(14, 1)
put("onnx", "seed_external.onnx", model(
    f_bytes(1, node("Identity", ["w"], ["y"])) + f_bytes(5, tensor("w", DOUBLE, [2], fields=external)) +
    f_bytes(5, tensor("typed", INT64, [2], fields=f_bytes(7, varint(5) + varint((1 << 64) - 1)))) +
    f_bytes(5, tensor("flags", BOOL_T, [2], fields=f_varint(5, 1) + f_varint(5, 0))) +
    f_bytes(12, value_info("y", DOUBLE, [2])), opset=21, ir=10))

print("seeds written")
