"""A frozen, inference-only copy of a trained recognizer: the same readings, fewer operations.

Reading one crop at batch 1 on a CPU is dominated by many small operations rather than by
arithmetic: the convolutions are followed by batch norms, and every greedy decoder step is
some twenty tiny tensor ops for one character. :class:`InferenceModel` removes what a frozen
model does not need, without changing what it reads:

- each batch norm is folded into the convolution before it (its scale into the weights, its
  shift into a bias), and on the CPU the feature maps are kept channels-last, the layout
  oneDNN's convolutions run fastest on;
- the decoder's matrices are regrouped so that one greedy step makes three matrix products
  instead of five: the previous state feeds the attention query and the LSTM's recurrent
  gates in one product, the attended feature feeds the LSTM's input gates and its share of
  the output layer in another, and the character embedding's share of the gates becomes a
  lookup table;
- the greedy loop only decodes (no bookkeeping per step): the characters, their
  probabilities, where each reading ended and whether the model ended it itself are worked
  out once, after the loop.

Results match :meth:`engine.model.TextRecognizer.greedy` to float rounding (checked in
``tests/test_inference.py``). Training never uses this copy: it is built once, from frozen
weights, by :class:`engine.recognizer.Recognizer`.
"""

from __future__ import annotations

import copy
import functools
import logging
import warnings
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from .charset import EOS_INDEX
from .model import AttentionDecoder, TextRecognizer

log = logging.getLogger(__name__)


@dataclass
class Reading:
    """Greedy readings of a batch: what :class:`engine.recognizer.Recognizer` needs, no more."""

    indices: Tensor  # (B, S) predicted class per step (EOS_INDEX once finished)
    probabilities: Tensor  # (B, S) softmax probability of the predicted class; 0 past the end
    lengths: Tensor  # (B,) characters before the first EOS
    ended_by_model: Tensor  # (B,) True where the decoder chose EOS itself, not a length cap
    encoder_positions: Tensor  # (B,) valid encoder positions of each crop


def _fold_batchnorm(conv: nn.Conv2d, bn: nn.BatchNorm2d) -> nn.Conv2d:
    """A convolution that computes bn(conv(x)) with the batch norm's running statistics."""
    scale = bn.weight / torch.sqrt(bn.running_var + bn.eps)
    folded = nn.Conv2d(conv.in_channels, conv.out_channels, conv.kernel_size, conv.stride,
                       conv.padding, conv.dilation, conv.groups, bias=True)
    folded.weight.data = conv.weight.data * scale[:, None, None, None]
    bias = conv.bias.data if conv.bias is not None else torch.zeros_like(bn.running_mean)
    folded.bias.data = (bias - bn.running_mean) * scale + bn.bias
    return folded.to(conv.weight.device)


def fold_feature_batchnorms(model: TextRecognizer) -> None:
    """Fold, in place, every (conv, batch norm) pair of the feature extractor."""
    features = model.features
    stem = features.stem
    features.stem = nn.Sequential(_fold_batchnorm(stem[0], stem[1]), *stem[2:])
    for block in features.blocks:
        block.conv1 = _fold_batchnorm(block.conv1, block.bn1)
        block.conv2 = _fold_batchnorm(block.conv2, block.bn2)
        block.bn1, block.bn2 = nn.Identity(), nn.Identity()
        if isinstance(block.shortcut, nn.Sequential):
            block.shortcut = _fold_batchnorm(block.shortcut[0], block.shortcut[1])


class Projection:
    """``x @ weight.T + bias``, in float or with int8 weights (dynamic quantization).

    A greedy step multiplies one state vector by each matrix, so its cost is reading the
    weights from memory: int8 weights read a quarter of the bytes (the activations are
    quantized on the fly, per call). Per-row scales keep every output row's precision.
    """

    def __init__(self, weight: Tensor, bias: Tensor | None, int8: bool):
        weight = weight.detach()
        bias = None if bias is None else bias.detach()
        self.weight = self.bias = self.packed = None
        if not int8:
            self.weight, self.bias = weight.clone(), None if bias is None else bias.clone()
            return
        w = weight.float().cpu()
        scales = (w.abs().amax(dim=1) / 127.0).clamp(min=1e-12).double()
        with warnings.catch_warnings():  # quantized tensors are marked for a future removal
            warnings.simplefilter("ignore")
            q = torch.quantize_per_channel(w, scales, torch.zeros(w.shape[0], dtype=torch.long),
                                           0, torch.qint8)
            self.packed = torch.ops.quantized.linear_prepack(
                q, None if bias is None else bias.float().cpu())

    def __call__(self, x: Tensor) -> Tensor:
        if self.packed is not None:
            return torch.ops.quantized.linear_dynamic(x, self.packed)
        return F.linear(x, self.weight, self.bias)


@functools.cache
def int8_supported() -> bool:
    """Whether this PyTorch build can run int8 dynamic-quantized matrix products on the CPU
    (probed once per process: every Recognizer asks)."""
    try:
        Projection(torch.ones(2, 2), torch.zeros(2), int8=True)(torch.ones(1, 2))
    except (RuntimeError, AttributeError) as exc:  # no quantized engine on this platform
        log.info("int8 decoding unavailable: %s", exc)
        return False
    return True


class FusedGreedyDecoder(nn.Module):
    """The attention decoder's greedy loop with its matrices regrouped (see module doc)."""

    def __init__(self, decoder: AttentionDecoder, int8: bool = False):
        super().__init__()
        hidden, glimpse_dim = decoder.hidden, decoder.glimpse_dim
        cell, gen = decoder.cell, decoder.generator
        # LSTM gate rows reordered from PyTorch's (i, f, g, o) to (i, f, o, g): one sigmoid
        # over the first three quarters, one tanh over the last.
        order = torch.cat([torch.arange(0, 2 * hidden), torch.arange(3 * hidden, 4 * hidden),
                           torch.arange(2 * hidden, 3 * hidden)]).to(cell.weight_ih.device)
        w_ih = cell.weight_ih[order]
        w_ih_glimpse, w_ih_embed = w_ih[:, :glimpse_dim], w_ih[:, glimpse_dim:]
        self.attention_dim = decoder.query_proj.out_features
        self.hidden, self.gates = hidden, 4 * hidden
        self.num_classes = gen.out_features
        self.start_index = decoder.start_index
        self.key_proj = decoder.key_proj
        # previous h -> [attention query | recurrent gates (+ both gate biases)]
        self.from_state = Projection(
            torch.cat([decoder.query_proj.weight, cell.weight_hh[order]]),
            torch.cat([decoder.query_proj.bias, (cell.bias_hh + cell.bias_ih)[order]]), int8)
        self.score = decoder.score.weight[0].detach().clone()  # (A,)
        # glimpse -> [input gates | its share of the output logits (+ the output bias)]
        self.from_glimpse = Projection(
            torch.cat([w_ih_glimpse, gen.weight[:, hidden:]]),
            torch.cat([torch.zeros_like(cell.bias_ih), gen.bias]), int8)
        # previous character -> its share of the gates, one row per class (+ start)
        self.embed_gates = (decoder.embedding.weight @ w_ih_embed.T).detach()
        # new h -> its share of the output logits (small: kept in float)
        self.w_out_t = gen.weight[:, :hidden].detach().T.contiguous()

    def forward(self, enc: Tensor, mask: Tensor, max_steps: int) -> Reading:
        """Greedy readings, each ended by its end token or at twice its encoder positions.

        The loop only decodes; where each reading ended, and whether the model ended it, is
        worked out once afterwards (the same rules as :meth:`AttentionDecoder.forward_greedy`).
        """
        batch, hidden = enc.shape[0], self.hidden
        keys = self.key_proj(enc)
        neg_mask = None
        if not bool(mask.all()):  # no padded positions at batch 1: nothing to mask
            neg_mask = torch.zeros(mask.shape, dtype=enc.dtype, device=enc.device)
            neg_mask = neg_mask.masked_fill(~mask, torch.finfo(enc.dtype).min)
        h = enc.new_zeros(batch, hidden)
        c = torch.zeros_like(h)
        prev = torch.full((batch,), self.start_index, dtype=torch.long, device=enc.device)
        seen_end = torch.zeros(batch, dtype=torch.bool, device=enc.device)
        positions = mask.sum(1)
        step_cap = (positions * 2).clamp(max=max_steps - 1)
        last_step = int(step_cap.max())
        picks, step_logits = [], []
        for t in range(last_step + 1):
            query, recurrent = self.from_state(h).split([self.attention_dim, self.gates], dim=1)
            scores = (keys + query.unsqueeze(1)).tanh_().matmul(self.score)
            if neg_mask is not None:
                scores = scores + neg_mask
            glimpse = torch.bmm(torch.softmax(scores, dim=-1).unsqueeze(1), enc).squeeze(1)
            input_gates, glimpse_logits = self.from_glimpse(glimpse).split(
                [self.gates, self.num_classes], dim=1)
            gates = (recurrent + input_gates).add_(self.embed_gates.index_select(0, prev))
            i, f, o = gates[:, :3 * hidden].sigmoid().chunk(3, dim=1)
            c = torch.addcmul(f * c, i, gates[:, 3 * hidden:].tanh())
            h = o * c.tanh()
            logits = torch.addmm(glimpse_logits, h, self.w_out_t)
            prev = logits.argmax(dim=-1)
            picks.append(prev)
            step_logits.append(logits)
            seen_end |= prev == EOS_INDEX
            if bool(seen_end.all()):
                break
        raw = torch.stack(picks, 1)
        steps = torch.arange(raw.shape[1], device=raw.device)
        is_end = raw == EOS_INDEX
        first_end = torch.where(is_end.any(1), is_end.float().argmax(1),
                                torch.full_like(step_cap, max_steps))
        ended_by_model = first_end < step_cap
        lengths = torch.minimum(first_end, step_cap)
        width = int(lengths.max()) + 1
        indices = raw.masked_fill(steps[None, :] >= lengths[:, None], EOS_INDEX)[:, :width]
        probs = torch.softmax(torch.stack(step_logits, 1)[:, :width].float(), dim=-1)
        probs = probs.gather(2, raw[:, :width, None]).squeeze(2)
        probs = probs.masked_fill(steps[None, :width] > lengths[:, None], 0.0)  # past the end
        return Reading(indices, probs, lengths.long(), ended_by_model, positions)


class InferenceModel(nn.Module):
    """A frozen recognizer for reading only: folded batch norms, fused greedy decoder.

    ``int8`` (CPU only) runs the decoder's two large per-step matrix products with int8
    weights: about a quarter less time per handwritten line on a CPU; ``unitext eval
    --no-int8`` measures what it changes in accuracy.
    """

    def __init__(self, model: TextRecognizer, int8: bool = False):
        super().__init__()
        frozen = copy.deepcopy(model).eval()
        on_cpu = next(model.parameters()).device.type == "cpu"
        if int8 and not on_cpu:
            raise ValueError("int8 decoding runs on the CPU only")
        with torch.no_grad():
            fold_feature_batchnorms(frozen)
            self.decoder = FusedGreedyDecoder(frozen.decoder, int8)
        self.features, self.encoder = frozen.features, frozen.encoder
        self.channels_last = on_cpu
        if self.channels_last:
            self.features.to(memory_format=torch.channels_last)
        self.config = model.config
        self.requires_grad_(False)
        self.eval()

    @torch.inference_mode()
    def read(self, images: Tensor, widths: Tensor, max_steps: int | None = None) -> Reading:
        if self.channels_last:
            images = images.contiguous(memory_format=torch.channels_last)
        feats, lengths = self.features(images, widths)
        lengths = lengths.clamp(min=1)
        enc = self.encoder(feats, lengths)
        mask = torch.arange(enc.shape[1], device=enc.device)[None, :] < lengths[:, None]
        return self.decoder(enc, mask, (max_steps or self.config.max_length) + 1)
