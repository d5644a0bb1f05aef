"""The ONNX graph of a BERT encoder, written directly from its config and safetensors.

all-MiniLM-L6-v2 is a plain BERT (6 layers, 384 wide, 12 heads, erf GELU, post-layer
norm), so its graph takes a page of `onnx.helper` calls: building it needs only
`onnx`, `safetensors` and numpy, never torch (0.9 s). The graph used to be traced with
`torch.onnx.export`; that needed torch, transformers and their 3.7 s of imports on a
service's first start (5.4 s per build in all), printed a weight-loading progress bar,
and relied on the TorchScript exporter that torch is retiring. The vectors are the
ones sentence-transformers computes on torch fp32 (mean cosine 1.0000 on the test
texts, `tests/test_embeddings.py`), and ONNX Runtime runs this graph (218 nodes against
the traced 669; it fuses the layer norms and GELUs itself) at least as fast: 62 against
53 chunks/s on 2 cores (`bench/embed.py`).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

INPUTS = ("input_ids", "attention_mask", "token_type_ids")
OUTPUT = "last_hidden_state"
OPSET = 17
"""LayerNormalization arrived in opset 17; GELU is written with Erf (the op came in 20)."""


def build_bert_graph(weights: Path, target: Path) -> None:
    """Write the encoder in `weights` (a Hugging Face model folder: `config.json` and
    `model.safetensors`) to `target` as ONNX: token ids, attention mask and token types
    (batch x tokens, int64) in, the last hidden state (batch x tokens x width) out."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper
    from safetensors import SafetensorError
    from safetensors.numpy import load_file

    try:
        config = json.loads((weights / "config.json").read_text())
        stored = load_file(str(weights / "model.safetensors"))
        width, heads = int(config["hidden_size"]), int(config["num_attention_heads"])
        head_width, eps = width // heads, float(config["layer_norm_eps"])
    except (OSError, ValueError, KeyError, SafetensorError) as exc:
        raise ValueError(f"cannot read the model files in {weights}: {exc}") from exc
    if config.get("model_type") != "bert" or config.get("hidden_act") != "gelu":
        raise ValueError(f"{weights} is not a BERT encoder with GELU: cannot build its graph")
    tensors = {
        name.removeprefix("bert."): array.astype(np.float32)
        for name, array in stored.items()
        if array.dtype.kind == "f"
    }
    nodes: list[onnx.NodeProto] = []
    initializers: dict[str, onnx.TensorProto] = {}

    def const(name: str, value: np.ndarray) -> str:
        initializers.setdefault(name, numpy_helper.from_array(value, name))
        return name

    def weight(name: str, transpose: bool = False) -> str:
        if name not in tensors:
            raise ValueError(f"{weights} has no tensor {name}: not the BERT layout expected")
        array = tensors[name]
        return const(name, np.ascontiguousarray(array.T) if transpose else array)

    def node(op: str, inputs: list[str], output: str, **attributes: object) -> str:
        nodes.append(helper.make_node(op, inputs, [output], name=output, **attributes))
        return output

    def dense(x: str, prefix: str, out: str) -> str:
        """x @ W.T + b: torch stores Linear weights as (out, in)."""
        product = node("MatMul", [x, weight(f"{prefix}.weight", transpose=True)], f"{out}/mm")
        return node("Add", [product, weight(f"{prefix}.bias")], out)

    def layer_norm(x: str, prefix: str, out: str) -> str:
        scale, bias = weight(f"{prefix}.weight"), weight(f"{prefix}.bias")
        return node("LayerNormalization", [x, scale, bias], out, axis=-1, epsilon=eps)

    split = const("split_heads", np.array([0, 0, heads, head_width], np.int64))

    def per_head(x: str, prefix: str, out: str, perm: list[int]) -> str:
        """A projection split into heads: (batch, heads, tokens, width) by `perm`."""
        split_up = node("Reshape", [dense(x, prefix, out), split], f"{out}/split")
        return node("Transpose", [split_up], f"{out}/heads", perm=perm)

    # embeddings: words + positions 0..T-1 + token types, then a layer norm
    shape = node("Shape", ["input_ids"], "ids/shape")
    tokens = node("Gather", [shape, const("one", np.array(1, np.int64))], "ids/tokens", axis=0)
    positions = node("Range", [const("zero", np.array(0, np.int64)), tokens, "one"], "positions")
    words = node("Gather", [weight("embeddings.word_embeddings.weight"), "input_ids"], "emb/w")
    where = node("Gather", [weight("embeddings.position_embeddings.weight"), positions], "emb/p")
    kinds = node(
        "Gather", [weight("embeddings.token_type_embeddings.weight"), "token_type_ids"], "emb/t"
    )
    summed = node("Add", [node("Add", [words, where], "emb/wp"), kinds], "emb/sum")
    hidden = layer_norm(summed, "embeddings.LayerNorm", "emb/out")

    # padding: masked keys get the lowest float added to their scores, as transformers does
    mask = node("Cast", ["attention_mask"], "mask/float", to=TensorProto.FLOAT)
    inverted = node("Sub", [const("one_f", np.array(1.0, np.float32)), mask], "mask/inv")
    lowest = const("lowest", np.array(np.finfo(np.float32).min, np.float32))
    bias = node("Mul", [inverted, lowest], "mask/bias")
    bias = node("Unsqueeze", [bias, const("axes_1_2", np.array([1, 2], np.int64))], "mask/4d")

    merge = const("merge_heads", np.array([0, 0, width], np.int64))
    scale = const("scale", np.array(1.0 / np.sqrt(head_width), np.float32))
    root2 = const("sqrt2", np.array(np.sqrt(2.0), np.float32))
    half = const("half", np.array(0.5, np.float32))
    for i in range(int(config["num_hidden_layers"])):
        p, n = f"encoder.layer.{i}", f"l{i}"

        query = per_head(hidden, f"{p}.attention.self.query", f"{n}/query", [0, 2, 1, 3])
        key_t = per_head(hidden, f"{p}.attention.self.key", f"{n}/key", [0, 2, 3, 1])
        value = per_head(hidden, f"{p}.attention.self.value", f"{n}/value", [0, 2, 1, 3])
        scores = node("MatMul", [query, key_t], f"{n}/scores")
        scores = node("Add", [node("Mul", [scores, scale], f"{n}/scaled"), bias], f"{n}/masked")
        probs = node("Softmax", [scores], f"{n}/probs", axis=-1)
        context = node("MatMul", [probs, value], f"{n}/context")
        context = node("Transpose", [context], f"{n}/context/t", perm=[0, 2, 1, 3])
        context = node("Reshape", [context, merge], f"{n}/context/merged")
        attended = dense(context, f"{p}.attention.output.dense", f"{n}/attn_out")
        residual = node("Add", [attended, hidden], f"{n}/attn_res")
        hidden = layer_norm(residual, f"{p}.attention.output.LayerNorm", f"{n}/attn_norm")

        inner = dense(hidden, f"{p}.intermediate.dense", f"{n}/inner")
        erf = node("Erf", [node("Div", [inner, root2], f"{n}/gelu/div")], f"{n}/gelu/erf")
        gate = node("Add", [erf, "one_f"], f"{n}/gelu/add")
        gelu = node("Mul", [node("Mul", [inner, gate], f"{n}/gelu/mul"), half], f"{n}/gelu")
        outer = dense(gelu, f"{p}.output.dense", f"{n}/outer")
        residual = node("Add", [outer, hidden], f"{n}/out_res")
        hidden = layer_norm(residual, f"{p}.output.LayerNorm", f"{n}/out_norm")
    node("Identity", [hidden], OUTPUT)

    dims = ["batch", "tokens"]
    graph = helper.make_graph(
        nodes,
        "bert",
        [helper.make_tensor_value_info(name, TensorProto.INT64, dims) for name in INPUTS],
        [helper.make_tensor_value_info(OUTPUT, TensorProto.FLOAT, [*dims, width])],
        list(initializers.values()),
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)])
    onnx.checker.check_model(model)
    onnx.save_model(model, str(target))
