#!/usr/bin/env python3
"""ONNX backend node tests against `tessera run`, for the ops Tessera claims. See README.md.

    conformance.py --data DIR/onnx/backend/test/data/node --tessera PATH/tessera
                   [--operators Sources/TesseraEngine/Ops/Operators.swift] [--op NAME]
                   [--timeout 20] [--work DIR] [--out DIR]

A node test directory is selected when every node of its model has an op type that
Tessera claims (the keys of `Operators.factories`). It is "for op X" when its op types are
exactly {X}; `<name>_expanded` (and `<name>_expanded_verN`) tests are filed under the op of
`<name>` — counted for that op when it is claimed, else listed as "expansions of unclaimed
ops" and not counted. Each `test_data_set_*` is converted to .npy (one file per graph input,
named by the input), run through `tessera run`, and every output is compared with its
`output_*.pb`: dtype and shape must match; values with np.allclose(rtol=1e-3, atol=1e-5) for
floating point, exactly for integers and booleans. A case passes when all its data sets do.
"""
from __future__ import annotations

import argparse
import collections
import datetime
import errno
import glob
import json
import os
import re
import shutil
import subprocess
import sys
import time

import numpy as np
import onnx
from onnx import numpy_helper

RTOL, ATOL = 1e-3, 1e-5
MESSAGE_LIMIT = 300
# Default-domain opsets the onnx plugin loads (Plugins/onnx/README.md).
MIN_OPSET, MAX_OPSET = 7, 21
OPSET_RANGE = f"{MIN_OPSET}–{MAX_OPSET}"

# numpy dtype -> the Open Inference Protocol name `tessera run` prints (DType.name).
OIP_NAMES = {
    "float32": "FP32", "float64": "FP64", "float16": "FP16", "int64": "INT64", "int32": "INT32",
    "int16": "INT16", "int8": "INT8", "uint64": "UINT64", "uint32": "UINT32", "uint16": "UINT16",
    "uint8": "UINT8", "bool": "BOOL", "bfloat16": "BF16",
}
# The .npy element types NPYFile.read takes (numpy dtype names).
NPY_TYPES = {"float32", "float64", "float16", "int64", "int32", "int16", "int8",
             "uint64", "uint32", "uint16", "uint8", "bool"}


def claimed_ops(operators_swift: str) -> list[str]:
    """The keys of `Operators.factories`: lines `"Name": { context ... }`."""
    text = open(operators_swift, encoding="utf-8").read()
    body = text[text.index("factories"):]
    return sorted(set(re.findall(r'^\s*"([A-Za-z0-9_]+)"\s*:\s*\{', body, re.M)))


def truncate(text: str, limit: int = MESSAGE_LIMIT) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def default_opset(model: onnx.ModelProto) -> int | None:
    versions = [o.version for o in model.opset_import if o.domain in ("", "ai.onnx")]
    return max(versions) if versions else None


# ---------------------------------------------------------------------------------------
# Selecting the cases


def select_cases(data_dir: str, claimed: set[str]) -> list[dict]:
    models: dict[str, onnx.ModelProto] = {}
    for path in sorted(glob.glob(os.path.join(data_dir, "*", "model.onnx"))):
        name = os.path.basename(os.path.dirname(path))
        try:
            models[name] = onnx.load(path, load_external_data=False)
        except Exception as error:  # a model onnx itself cannot parse is not ours to judge
            print(f"warning: onnx.load({path}) failed: {error}", file=sys.stderr)

    def op_types(model: onnx.ModelProto) -> list[str]:
        return [n.op_type if n.domain in ("", "ai.onnx") else f"{n.domain}.{n.op_type}" for n in model.graph.node]

    cases = []
    for name, model in models.items():
        ops = op_types(model)
        if not ops or not set(ops) <= claimed:
            continue
        match = re.fullmatch(r"(.*)_expanded(_ver\d+)?", name)
        if match:
            base = match.group(1)
            base_ops = sorted(set(op_types(models[base]))) if base in models else []
            original = base_ops[0] if len(base_ops) == 1 else None
            if original in claimed:
                kind, op = "expanded", original
            else:
                kind, op = "expansion-of-unclaimed", original or base
        elif len(set(ops)) == 1:
            kind, op = "direct", ops[0]
        else:
            kind, op = "multi-op", "+".join(sorted(set(ops)))
        cases.append({
            "case": name, "op": op, "kind": kind, "opset": default_opset(model),
            "ops": sorted(set(ops)), "dir": os.path.join(data_dir, name),
        })
    return cases


# ---------------------------------------------------------------------------------------
# Running one case


def read_tensor(path: str) -> onnx.TensorProto:
    tensor = onnx.TensorProto()
    with open(path, "rb") as f:
        tensor.ParseFromString(f.read())
    return tensor


def index_of(path: str) -> int:
    return int(re.search(r"_(\d+)\.pb$", path).group(1))


def wait_for_binary(tessera: str, budget: float = 900.0) -> None:
    """The CLI is rebuilt by others: wait while it is missing."""
    waited = 0.0
    while not os.access(tessera, os.X_OK):
        if waited >= budget:
            raise SystemExit(f"{tessera} is missing or not executable after {budget:.0f} s")
        if waited == 0:
            print(f"waiting for {tessera} (missing or being rebuilt)…", file=sys.stderr)
        time.sleep(5)
        waited += 5


def run_tessera(tessera: str, argv: list[str], timeout: float) -> subprocess.CompletedProcess | str:
    for attempt in range(60):
        wait_for_binary(tessera)
        try:
            return subprocess.run([tessera, *argv], capture_output=True, text=True, timeout=timeout)
        except subprocess.TimeoutExpired:
            return f"timeout: no answer within {timeout:g} s"
        except OSError as error:  # mid-relink: text file busy, truncated file, vanished
            if error.errno in (errno.ETXTBSY, errno.ENOEXEC, errno.ENOENT, errno.EACCES) and attempt < 59:
                time.sleep(5)
                continue
            raise
    raise AssertionError("unreachable")


def compare(name: str, expected: np.ndarray, got: dict | None) -> str | None:
    """None when `got` (one entry of tessera's "outputs") matches; else what differs."""
    if got is None:
        return f"output '{name}': not printed by tessera"
    want_type = OIP_NAMES.get(expected.dtype.name, expected.dtype.name)
    if got.get("datatype") != want_type:
        return f"output '{name}': dtype {got.get('datatype')}, expected {want_type}"
    if tuple(got.get("shape", ())) != expected.shape:
        return f"output '{name}': shape {list(got.get('shape', []))}, expected {list(expected.shape)}"
    data = np.asarray(got.get("data", []), dtype=np.float64)
    if data.size != expected.size:
        return (f"output '{name}': tessera printed {data.size} values for {expected.size} elements "
                f"of {want_type} {list(expected.shape)}")
    # The CLI prints every element as a JSON double, so integers are compared after the same
    # conversion (exactly), floating point with the tolerances.
    want = expected.astype(np.float64).ravel()
    if expected.dtype.kind in "biu":
        ok = data == want
    else:
        ok = np.isclose(data, want, rtol=RTOL, atol=ATOL, equal_nan=True)
    if ok.all():
        return None
    bad = int(np.argmin(ok))
    where = list(np.unravel_index(bad, expected.shape)) if expected.shape else []
    return (f"output '{name}': {int((~ok).sum())} of {ok.size} elements differ; first at {where}: "
            f"got {data[bad]!r}, expected {want[bad]!r}")


def to_array(tensor: onnx.TensorProto, elem_type: int) -> np.ndarray:
    """numpy_helper.to_array, with BFLOAT16 (which some onnx releases return as raw uint16
    bits) widened to float32 so it can be compared."""
    array = numpy_helper.to_array(tensor)
    if elem_type == onnx.TensorProto.BFLOAT16 and array.dtype == np.uint16:
        array = (array.astype(np.uint32) << 16).view(np.float32)
    return array


def value_kind(value: onnx.ValueInfoProto) -> tuple[str, int]:
    kind = value.type.WhichOneof("value") or "none"
    return kind, value.type.tensor_type.elem_type if kind == "tensor_type" else 0


def run_data_sets(case: dict, model: onnx.ModelProto, model_path: str, tessera: str, work: str,
                  timeout: float, fold: set[str] = frozenset(), outputs_kept: int | None = None) -> list[str]:
    """Runs every test_data_set_* of `case` through `model_path`; returns one message per
    failing data set. `fold` names graph inputs that the (rewritten) model holds as
    initializers, so they are not passed; only the first `outputs_kept` outputs are compared."""
    original = onnx.load(os.path.join(case["dir"], "model.onnx"), load_external_data=False).graph
    inputs = [i for i in original.input if i.name not in {t.name for t in original.initializer}]
    outputs = list(model.graph.output)
    failures = []
    for data_set in sorted(glob.glob(os.path.join(case["dir"], "test_data_set_*"))):
        label = os.path.basename(data_set)
        tmp = os.path.join(work, "npy", case["case"], label)
        shutil.rmtree(tmp, ignore_errors=True)
        os.makedirs(tmp)
        argv = ["run", "--format", "onnx", model_path]
        notes = []
        for path in sorted(glob.glob(os.path.join(data_set, "input_*.pb")), key=index_of):
            j = index_of(path)
            info = inputs[j] if j < len(inputs) else None
            name = info.name if info is not None else read_tensor(path).name
            if name in fold:
                continue
            kind, elem = value_kind(info) if info is not None else ("tensor_type", 0)
            if kind != "tensor_type":
                notes.append(f"input '{name}' is a {kind.replace('_type', '')}, which `tessera run` cannot be given")
                continue
            if elem == onnx.TensorProto.BFLOAT16:
                notes.append(f"input '{name}' is BFLOAT16, which `tessera run`'s .npy reader has no type for")
                continue
            try:
                array = numpy_helper.to_array(read_tensor(path))
            except Exception as error:
                notes.append(f"input '{name}' cannot be read by onnx.numpy_helper: {truncate(str(error), 80)}")
                continue
            if array.dtype.name not in NPY_TYPES:
                notes.append(f"input '{name}' is {onnx.TensorProto.DataType.Name(elem) if elem else array.dtype.name}, "
                             f"which `tessera run`'s .npy reader does not take")
                continue
            file = os.path.join(tmp, f"input_{j}.npy")
            # np.array(order="C"), not np.ascontiguousarray: that one turns 0-d arrays into 1-d.
            np.save(file, np.array(array, order="C"), allow_pickle=False)
            argv += ["--input", f"{name}=@{file}"]
        result = run_tessera(tessera, argv, timeout)
        if isinstance(result, str):
            failures.append(f"{label}: {result}")
            continue
        if result.returncode != 0:
            if result.returncode < 0:
                message = f"tessera crashed (signal {-result.returncode}): {result.stderr.strip()[-200:]}"
            else:
                message = result.stderr.strip() or result.stdout.strip()
                message = re.sub(r"^Error:\s*", "", message)
                message = re.split(r"\n\s*Usage: tessera", message)[0]
            for folder in (os.path.dirname(model_path), case["dir"], os.path.dirname(case["dir"]), os.path.join(work, "npy")):
                message = message.replace(folder + "/", "")
            if notes:
                message += " [harness: " + "; ".join(notes) + "]"
            failures.append(f"{label}: {message}")
            continue
        try:
            printed = json.loads(result.stdout[result.stdout.index("{"):])["outputs"]
        except (ValueError, KeyError) as error:
            failures.append(f"{label}: tessera's output is not the expected JSON ({error}): {result.stdout[:100]}")
            continue
        by_name = {o.get("name"): o for o in printed}
        for path in sorted(glob.glob(os.path.join(data_set, "output_*.pb")), key=index_of):
            j = index_of(path)
            if outputs_kept is not None and j >= outputs_kept:
                continue
            info = outputs[j] if j < len(outputs) else None
            name = info.name if info is not None else read_tensor(path).name
            try:
                expected = to_array(read_tensor(path), value_kind(info)[1] if info is not None else 0)
            except Exception as error:
                failures.append(f"{label}: expected output '{name}' cannot be read: {error}")
                break
            mismatch = compare(name, expected, by_name.get(name))
            if mismatch:
                failures.append(f"{label}: {mismatch}")
                break
    shutil.rmtree(os.path.join(work, "npy", case["case"]), ignore_errors=True)
    return failures


# Operands a kernel needs as plan-time constants: (op type, input position) — for the
# diagnostic only, which holds them as initializers to see whether the kernel is right.
PLAN_TIME_OPERANDS = {
    "Reshape": {1}, "Expand": {1}, "Unsqueeze": {1}, "Squeeze": {1}, "ReduceSum": {1},
    "ReduceMean": {1}, "Slice": {1, 2, 3, 4}, "ConstantOfShape": {0}, "Range": {0, 1, 2},
}


def diagnose(case: dict, message: str, tessera: str, work: str, timeout: float) -> dict | None:
    """For three limits, a rewritten copy of the model shows whether the rest is right:
    plan-time operands given as graph inputs are held as initializers (the first data set's
    values); a node with extra outputs keeps only its first; a model outside the opsets the
    plugin loads is converted with onnx.version_converter to the nearest one it loads. Not
    counted anywhere."""
    model = onnx.load(os.path.join(case["dir"], "model.onnx"), load_external_data=False)
    if len(model.graph.node) != 1:
        return None
    node = model.graph.node[0]
    sets = sorted(glob.glob(os.path.join(case["dir"], "test_data_set_*")))
    fold: set[str] = set()
    outputs_kept = None
    if "must be known when the plan is made" in message:
        if len(sets) != 1:
            return None
        names = [i.name for i in model.graph.input]
        wanted = {node.input[k] for k in PLAN_TIME_OPERANDS.get(node.op_type, ()) if k < len(node.input) and node.input[k]}
        for path in glob.glob(os.path.join(sets[0], "input_*.pb")):
            j = index_of(path)
            if j < len(names) and names[j] in wanted:
                tensor = read_tensor(path)
                tensor.name = names[j]
                model.graph.initializer.append(tensor)
                fold.add(names[j])
        what = "plan-time operands " + ", ".join(sorted(fold)) + " held as initializers"
    elif re.search(r"uses opset (\d+) of the default ONNX domain", message):
        found = int(re.search(r"uses opset (\d+)", message).group(1))
        target = MIN_OPSET if found < MIN_OPSET else MAX_OPSET
        try:
            from onnx import version_converter
            model = version_converter.convert_version(model, target)
        except Exception:
            return None
        outputs_kept = len(model.graph.output)
        what = f"converted from opset {found} to {target} with onnx.version_converter"
    elif "exactly one output" in message:
        del node.output[1:]
        del model.graph.output[1:]
        outputs_kept = 1
        what = f"only the first output ({node.output[0]}) kept and compared"
    else:
        return None
    if not fold and outputs_kept is None:
        return None
    folder = os.path.join(work, "diagnostic", case["case"])
    os.makedirs(folder, exist_ok=True)
    path = os.path.join(folder, "model.onnx")
    onnx.save(model, path)
    failures = run_data_sets(case, model, path, tessera, work, timeout, fold, outputs_kept)
    return {"rewrite": what, "passed": not failures, "message": truncate(failures[0]) if failures else ""}


def run_case(case: dict, tessera: str, work: str, timeout: float, diagnostics: bool = True) -> dict:
    start = time.monotonic()
    model = onnx.load(os.path.join(case["dir"], "model.onnx"), load_external_data=False)
    sets = glob.glob(os.path.join(case["dir"], "test_data_set_*"))
    failures = run_data_sets(case, model, os.path.join(case["dir"], "model.onnx"), tessera, work, timeout)
    cause = classify(failures[0]) if failures else ("" if sets else "no data set")
    result = {
        "case": case["case"], "op": case["op"], "kind": case["kind"], "opset": case["opset"],
        "ops": case["ops"], "data_sets": len(sets), "passed": not failures and bool(sets),
        "message": truncate(failures[0]) if failures else ("no test_data_set_*" if not sets else ""),
        "cause": cause,
    }
    if failures and diagnostics:
        diagnostic = diagnose(case, failures[0], tessera, work, timeout)
        if diagnostic:
            result["diagnostic"] = diagnostic
    result["seconds"] = round(time.monotonic() - start, 3)
    return result


ONNX_TYPE_NAMES = {v: k for k, v in onnx.TensorProto.DataType.items()}


def classify(message: str) -> str:
    """A short, stable label for grouping failures; the message itself is kept too."""
    m = message.split(": ", 1)[1] if message.startswith("test_data_set_") else message
    node = re.search(r"node '[^']*' \((\w+)\)", m)
    op = node.group(1) if node else "?"
    rules = [
        (r"uses opset (\d+) of the default ONNX domain", lambda g: f"loader: opset {g[0]} outside {OPSET_RANGE}"),
        (r"the model uses opset (\d+), and below opset \d+ this plugin maps only",
         lambda g: f"loader: {op} not mapped at opset {g[0]}"),
        (r"ONNX defines \w+ from opset (\d+) on, but the model uses opset (\d+)",
         lambda g: f"loader: {op} not defined at opset {g[1]} (from {g[0]})"),
        (r"has element type (\w+), which Tessera does not support", lambda g: f"loader: element type {g[0]} refused"),
        (r"graph (?:input|output) '[^']*' is (?:an? )?(optional|sequence|map)", lambda g: f"loader: {g[0]} value refused (tensors only)"),
        (r"the (\w+) input must be known when the plan is made",
         lambda g: f"engine: {op} needs its {g[0]} input as a plan-time constant (the test gives it as a graph input)"),
        (r"must have exactly one output, not (\d+)", lambda g: f"engine: {op} supports exactly one output (the test has {g[0]})"),
        (r"takes (\d+) inputs? but has (\d+)", lambda g: f"engine: {op} takes {g[0]} input(s), the test gives {g[1]}"),
        (r"attribute 'to' is ONNX type (\d+)",
         lambda g: f"engine: Cast to {ONNX_TYPE_NAMES.get(int(g[0]), g[0])} not supported"),
        (r"input(?: \w+)? must be [A-Z0-9 ,or]+, not (\w+)", lambda g: f"engine: {op} does not take {g[0]} inputs"),
        (r"attribute '(\w+)'[^;]*?(?:not supported|unsupported)", lambda g: f"engine: {op} attribute '{g[0]}' not supported"),
        (r"\[harness: input '[^']*' is (BFLOAT16|\w+), which `tessera run`'s \.npy reader",
         lambda g: f"CLI: `tessera run` cannot be given a {g[0]} input"),
        (r"Unable to encode", lambda g: "CLI: cannot print NaN/Inf as JSON"),
        (r"tessera printed 0 values for \d+ elements of (\w+)", lambda g: f"CLI: prints no values for {g[0]}"),
        (r"^timeout:", lambda g: "timeout"),
        (r"crashed \(signal (\d+)\)", lambda g: f"crash (signal {g[0]})"),
        (r"elements differ", lambda g: "numerical mismatch"),
        (r"dtype (\w+), expected (\w+)", lambda g: f"output dtype {g[0]} instead of {g[1]}"),
        (r"shape \[.*\], expected", lambda g: "output shape mismatch"),
        (r"not printed by tessera", lambda g: "output missing"),
    ]
    for pattern, label in rules:
        found = re.search(pattern, m)
        if found:
            return label(found.groups())
    # Otherwise the message itself, with names and numbers taken out.
    generic = re.sub(r"'[^']*'", "'…'", m)
    generic = re.sub(r"\b\d+\b", "N", generic)
    generic = re.sub(r"\[[^\]]*\]", "[…]", generic)
    return truncate(generic, 120)


# ---------------------------------------------------------------------------------------
# Summaries


def summarize(results: list[dict], claimed: list[str]) -> dict:
    per_op = {}
    counted = [r for r in results if r["kind"] in ("direct", "expanded")]
    for op in claimed:
        rows = [r for r in counted if r["op"] == op]
        direct = [r for r in rows if r["kind"] == "direct"]
        expanded = [r for r in rows if r["kind"] == "expanded"]
        per_op[op] = {
            "cases": len(rows), "passed": sum(r["passed"] for r in rows),
            "failed": sum(not r["passed"] for r in rows),
            "direct_cases": len(direct), "direct_passed": sum(r["passed"] for r in direct),
            "expanded_cases": len(expanded), "expanded_passed": sum(r["passed"] for r in expanded),
        }
    total = len(counted)
    passed = sum(r["passed"] for r in counted)
    in_range = [r for r in counted if r["opset"] is not None and MIN_OPSET <= r["opset"] <= MAX_OPSET]
    causes = collections.Counter(r["cause"] for r in counted if not r["passed"])
    diagnostics: dict[str, dict] = {}
    for r in counted:
        if "diagnostic" in r:
            entry = diagnostics.setdefault(r["cause"], {"cases": 0, "pass_after_rewrite": 0})
            entry["cases"] += 1
            entry["pass_after_rewrite"] += r["diagnostic"]["passed"]
    return {
        "cases": total, "passed": passed, "failed": total - passed,
        "pass_rate": round(100.0 * passed / total, 1) if total else None,
        "ops_with_cases": sum(1 for v in per_op.values() if v["cases"]),
        "ops_without_cases": [op for op, v in per_op.items() if not v["cases"]],
        "ops_all_passed": sum(1 for v in per_op.values() if v["cases"] and not v["failed"]),
        "in_opset_range": {
            "cases": len(in_range), "passed": sum(r["passed"] for r in in_range),
            "pass_rate": round(100.0 * sum(r["passed"] for r in in_range) / len(in_range), 1) if in_range else None,
        },
        "failure_causes": dict(causes.most_common()),
        "diagnostics": diagnostics,
        "per_op": per_op,
    }


def rate(passed: int, cases: int) -> str:
    return f"{100.0 * passed / cases:.1f}%" if cases else "—"


def text_table(summary: dict, results: list[dict]) -> str:
    lines = [f"{'op':<20} {'cases':>5} {'passed':>6} {'failed':>6} {'rate':>7}  {'expanded':>8}  first failure"]
    for op, v in summary["per_op"].items():
        if not v["cases"]:
            continue
        first = next((r for r in results if r["op"] == op and r["kind"] in ("direct", "expanded")
                      and not r["passed"]), None)
        expanded = f"{v['expanded_passed']}/{v['expanded_cases']}" if v["expanded_cases"] else ""
        lines.append(f"{op:<20} {v['cases']:>5} {v['passed']:>6} {v['failed']:>6} {rate(v['passed'], v['cases']):>7}"
                     f"  {expanded:>8}  {truncate(first['case'] + ': ' + first['message'], 110) if first else ''}")
    if summary["ops_without_cases"] and len(results) > 0 and len(summary["ops_without_cases"]) < len(summary["per_op"]) - 1:
        lines.append(f"claimed ops without a node test here: {', '.join(summary['ops_without_cases'])}")
    lines.append(f"TOTAL claimed ops: {summary['passed']} of {summary['cases']} cases passed "
                 f"({rate(summary['passed'], summary['cases'])}); "
                 f"{summary['ops_all_passed']} of {summary['ops_with_cases']} ops pass every case")
    r = summary["in_opset_range"]
    lines.append(f"      cases whose model declares opset {OPSET_RANGE}: {r['passed']} of {r['cases']} "
                 f"({rate(r['passed'], r['cases'])})")
    others = [x for x in results if x["kind"] in ("expansion-of-unclaimed", "multi-op")]
    if others:
        lines.append("")
        lines.append("not counted (expansions of unclaimed ops, built only from claimed ops):")
        for x in others:
            lines.append(f"  {'PASS' if x['passed'] else 'FAIL'} {x['case']} ({x['op']})"
                         + ("" if x["passed"] else f": {truncate(x['message'], 100)}"))
    lines.append("")
    lines.append("failure causes (claimed ops):")
    for cause, count in summary["failure_causes"].items():
        lines.append(f"  {count:>4}  {cause}")
    if summary["diagnostics"]:
        lines.append("")
        lines.append("diagnostic, not counted (the model rewritten around one limit):")
        for cause, d in summary["diagnostics"].items():
            lines.append(f"  {d['pass_after_rewrite']:>4} of {d['cases']:<4} pass after the rewrite — {cause}")
    lines.append(f"{summary['passed']} passed, {summary['failed']} failed")
    return "\n".join(lines)


def md_escape(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def markdown(meta: dict, summary: dict, results: list[dict]) -> str:
    out = [f"# ONNX conformance results", "",
           f"- date: {meta['date']}; onnx {meta['onnx_version']} ({meta['data_dir_label']}); "
           f"numpy {meta['numpy_version']}; `{meta['tessera_version']}` ({meta['tessera']}, built "
           f"{meta['tessera_binary_mtime']})",
           f"- claimed ops ({len(meta['claimed'])}): {', '.join(meta['claimed'])}",
           f"- **{summary['passed']} of {summary['cases']} cases pass ({rate(summary['passed'], summary['cases'])})**; "
           f"cases whose model declares opset {OPSET_RANGE}: {summary['in_opset_range']['passed']} of "
           f"{summary['in_opset_range']['cases']} ({rate(summary['in_opset_range']['passed'], summary['in_opset_range']['cases'])})",
           f"- tolerance: np.allclose(rtol={RTOL:g}, atol={ATOL:g}) for floating point, exact for integers and booleans; "
           f"{meta['timeout']:g} s per data set", "",
           "| op | cases | passed | failed | pass rate | of which `_expanded` (passed/cases) |",
           "|---|---:|---:|---:|---:|---:|"]
    for op, v in summary["per_op"].items():
        if v["cases"]:
            expanded = f"{v['expanded_passed']}/{v['expanded_cases']}" if v["expanded_cases"] else ""
            out.append(f"| {op} | {v['cases']} | {v['passed']} | {v['failed']} | {rate(v['passed'], v['cases'])} | {expanded} |")
    out.append(f"| **all claimed ops** | **{summary['cases']}** | **{summary['passed']}** | **{summary['failed']}** | "
               f"**{rate(summary['passed'], summary['cases'])}** | |")
    if summary["ops_without_cases"]:
        out += ["", f"Claimed ops with no node test in this onnx release: {', '.join(summary['ops_without_cases'])}."]
    out += ["", "## Failure causes (claimed ops)", "", "| cause | cases |", "|---|---:|"]
    for cause, count in summary["failure_causes"].items():
        out.append(f"| {md_escape(cause)} | {count} |")
    if summary["diagnostics"]:
        out += ["", "## Diagnostic (not counted)", "",
                "For three limits the harness also runs a rewritten copy of the model: plan-time operands "
                "(shape, axes, starts/ends) that the test gives as graph inputs are held as initializers; a node "
                f"with extra outputs keeps only its first; a model outside opsets {OPSET_RANGE} is converted with "
                "onnx.version_converter. This shows whether the kernel is otherwise right.", "",
                "| cause | cases | pass after the rewrite |", "|---|---:|---:|"]
        for cause, d in summary["diagnostics"].items():
            out.append(f"| {md_escape(cause)} | {d['cases']} | {d['pass_after_rewrite']} |")
    out += ["", "## Failing cases", "", "| case | op | opset | cause | first failure | diagnostic |", "|---|---|---:|---|---|---|"]
    for r in results:
        if r["kind"] in ("direct", "expanded") and not r["passed"]:
            d = r.get("diagnostic")
            note = ("" if not d else "passes" if d["passed"] else "still fails: " + d["message"])
            out.append(f"| {r['case']} | {r['op']} | {r['opset']} | {md_escape(r['cause'])} | {md_escape(r['message'])} | {md_escape(note)} |")
    others = [x for x in results if x["kind"] in ("expansion-of-unclaimed", "multi-op")]
    if others:
        out += ["", "## Not counted: expansions of unclaimed ops built only from claimed ops", "",
                "| case | expands | result | first failure |", "|---|---|---|---|"]
        for x in others:
            out.append(f"| {x['case']} | {x['op']} | {'pass' if x['passed'] else 'FAIL'} | {md_escape(x['message'])} |")
    out += ["", "## All cases", "", "| case | op | kind | opset | data sets | result |", "|---|---|---|---:|---:|---|"]
    for r in results:
        out.append(f"| {r['case']} | {r['op']} | {r['kind']} | {r['opset']} | {r['data_sets']} | {'pass' if r['passed'] else 'FAIL'} |")
    return "\n".join(out) + "\n"


# ---------------------------------------------------------------------------------------


def main() -> int:
    here = os.path.dirname(os.path.abspath(__file__))
    root = os.path.normpath(os.path.join(here, "..", ".."))
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", required=True, help="onnx/backend/test/data/node")
    parser.add_argument("--tessera", default=os.path.join(root, ".build", "debug", "tessera"))
    parser.add_argument("--operators", default=os.path.join(root, "Sources", "TesseraEngine", "Ops", "Operators.swift"))
    parser.add_argument("--op", help="run only the cases for this op (results go to the work folder)")
    parser.add_argument("--timeout", type=float, default=20.0, help="seconds per data set [20]")
    parser.add_argument("--work", default=os.path.join(here, ".build", "work"))
    parser.add_argument("--out", default=here, help="where results.json and results.md go (full runs only)")
    parser.add_argument("--date", default=datetime.date.today().isoformat())
    args = parser.parse_args()

    tessera = os.path.abspath(args.tessera)
    claimed = claimed_ops(args.operators)
    if args.op and args.op not in claimed:
        print(f"note: {args.op} is not a claimed op (claimed: {', '.join(claimed)})", file=sys.stderr)
    cases = select_cases(args.data, set(claimed))
    if args.op:
        cases = [c for c in cases if c["op"] == args.op]
        if not cases:
            print(f"no node test for op {args.op} uses only claimed ops", file=sys.stderr)
            return 2
    os.makedirs(args.work, exist_ok=True)
    wait_for_binary(tessera)
    answer = run_tessera(tessera, ["version"], args.timeout)
    version = answer.stdout.splitlines() if not isinstance(answer, str) else []
    binary_mtime = os.stat(tessera).st_mtime

    print(f"{len(cases)} node test cases use only the {len(claimed)} claimed ops; "
          f"running them with {tessera}", file=sys.stderr)
    results = []
    for n, case in enumerate(cases, 1):
        result = run_case(case, tessera, args.work, args.timeout)
        results.append(result)
        if n % 50 == 0:
            print(f"  {n}/{len(cases)}", file=sys.stderr)
    results.sort(key=lambda r: (r["op"], r["case"]))

    changed = os.path.exists(tessera) and os.stat(tessera).st_mtime != binary_mtime
    summary = summarize(results, claimed)
    meta = {
        "date": args.date, "onnx_version": onnx.__version__, "numpy_version": np.__version__,
        "data_dir_label": "onnx/backend/test/data/node",
        "tessera": os.path.relpath(tessera, root) if tessera.startswith(root + os.sep) else tessera,
        "tessera_version": version[0] if version else "?",
        "tessera_binary_mtime": datetime.datetime.fromtimestamp(binary_mtime, datetime.timezone.utc).isoformat(timespec="seconds"),
        "tessera_binary_changed_during_run": changed,
        "claimed": claimed, "timeout": args.timeout, "rtol": RTOL, "atol": ATOL, "op_filter": args.op,
    }
    print(text_table(summary, results))
    if changed:
        print(f"warning: {tessera} was rebuilt during the run; results may mix two builds", file=sys.stderr)
    out = args.work if args.op else args.out
    suffix = f"-{args.op}" if args.op else ""
    with open(os.path.join(out, f"results{suffix}.json"), "w") as f:
        json.dump({"meta": meta, "summary": summary, "cases": results}, f, indent=1, ensure_ascii=False)
        f.write("\n")
    with open(os.path.join(out, f"results{suffix}.md"), "w") as f:
        f.write(markdown(meta, summary, results))
    print(f"wrote {os.path.join(out, 'results' + suffix + '.json')} and .md", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
