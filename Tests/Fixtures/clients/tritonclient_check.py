#!/usr/bin/env python3
"""Drives a running tesserad with NVIDIA's unmodified tritonclient.http (PyPI), as an existing
KServe v2 / Triton client would: server and model metadata, readiness, JSON inference and
binary-data inference, checked against scikit-learn's outputs in demo/iris/expected.json.

Usage: tritonclient_check.py HOST:PORT EXPECTED_JSON. Exits 0 when every check passes, 1 with
a message otherwise.
"""
import json
import sys

import numpy as np
import tritonclient.http as httpclient


def main() -> int:
    url, expected_path = sys.argv[1], sys.argv[2]
    expected = json.load(open(expected_path))
    features = np.array(expected["features"], dtype=np.float32)
    probabilities = np.array(expected["probabilities"], dtype=np.float64)
    labels = np.array(expected["labels"], dtype=np.int64)

    client = httpclient.InferenceServerClient(url=url)
    assert client.is_server_live(), "server not live"
    assert client.is_server_ready(), "server not ready"
    assert client.is_model_ready("iris"), "iris not ready"
    server = client.get_server_metadata()
    assert server["name"] == "tessera", server
    metadata = client.get_model_metadata("iris")
    assert metadata["inputs"][0]["name"] == "features", metadata
    assert metadata["inputs"][0]["shape"] == [-1, 4], metadata
    assert [o["name"] for o in metadata["outputs"]] == ["probabilities", "label"], metadata

    for binary in (False, True):
        inputs = [httpclient.InferInput("features", list(features.shape), "FP32")]
        inputs[0].set_data_from_numpy(features, binary_data=binary)
        outputs = [httpclient.InferRequestedOutput("probabilities", binary_data=binary),
                   httpclient.InferRequestedOutput("label", binary_data=binary)]
        result = client.infer("iris", inputs, outputs=outputs, request_id="check-%d" % binary)
        got = result.as_numpy("probabilities")
        assert got is not None and got.shape == probabilities.shape, (binary, got)
        assert np.max(np.abs(got - probabilities)) < 1e-5, (binary, got, probabilities)
        assert np.array_equal(result.as_numpy("label"), labels), (binary, result.as_numpy("label"))
        response = result.get_response()
        assert response["model_name"] == "iris" and response["id"] == "check-%d" % binary, response

    stats = client.get_inference_statistics("iris")
    assert stats["model_stats"][0]["inference_count"] >= 2, stats
    print("tritonclient %s: all checks passed" % httpclient.__name__)
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except AssertionError as failure:
        print("check failed: %r" % (failure,), file=sys.stderr)
        sys.exit(1)
