"""The recognizer: ResNet feature extractor -> BiLSTM encoder -> attention decoder.

This is the attention framework of Baek et al. (2019) that "Text is Text, No Matter What"
builds on, without the TPS stage (crops are rectified geometrically before they get here).
One class serves both teachers and the student; :class:`~engine.config.ModelConfig` sizes it.

Variable widths: a batch is right-padded to its widest crop. Padded columns are forced to
zero after every convolution, the BiLSTM runs on packed sequences and the attention gives
padded positions zero weight, so a crop reads the same whatever batch it is in.

The decoder returns, for every step, the logits, the attention weights over encoder
positions and the attended (glimpse) feature, with teacher forcing and with greedy decoding:
distillation matches all three.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor, nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from .charset import EOS_INDEX
from .config import ModelConfig

WIDTH_STRIDE = 4  # encoder positions per input pixel column: 1/4


@dataclass
class DecoderOutput:
    """Per-step decoder outputs; S steps, T encoder positions, C classes, D glimpse width."""

    logits: Tensor  # (B, S, C)
    attention: Tensor  # (B, S, T)
    glimpses: Tensor  # (B, S, D)
    encoder_mask: Tensor  # (B, T) True where the position holds image content
    ctc_logits: Tensor | None = None  # (B, T, C) auxiliary CTC head (blank = EOS_INDEX), if any


@dataclass
class GreedyResult:
    indices: Tensor  # (B, S) predicted class per step (EOS_INDEX once finished)
    probabilities: Tensor  # (B, S) softmax probability of the predicted class
    lengths: Tensor  # (B,) characters before the first EOS
    ended_by_model: Tensor  # (B,) True where the decoder chose EOS itself, not a length cap
    steps: DecoderOutput


def _mask_columns(x: Tensor, widths: Tensor) -> Tensor:
    """Zero the feature-map columns at or past each sample's valid width."""
    cols = torch.arange(x.shape[-1], device=x.device)
    keep = cols[None, :] < widths[:, None]
    return x * keep[:, None, None, :].to(x.dtype)


class ResidualBlock(nn.Module):
    def __init__(self, cin: int, cout: int, stride: tuple[int, int]):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride=stride, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.shortcut: nn.Module = nn.Identity()
        if stride != (1, 1) or cin != cout:
            self.shortcut = nn.Sequential(
                nn.Conv2d(cin, cout, 1, stride=stride, bias=False), nn.BatchNorm2d(cout))
        self.width_stride = stride[1]

    def forward(self, x: Tensor, widths: Tensor, padded: bool = True) -> tuple[Tensor, Tensor]:
        """``padded=False`` promises every sample fills the batch width: masking is skipped."""
        out_widths = torch.div(widths + self.width_stride - 1, self.width_stride,
                               rounding_mode="floor")
        y = F.relu(self.bn1(self.conv1(x)))
        if padded:
            y = _mask_columns(y, out_widths)
        y = self.bn2(self.conv2(y))
        y = F.relu(y + self.shortcut(x))
        return (_mask_columns(y, out_widths) if padded else y), out_widths


class FeatureExtractor(nn.Module):
    """ResNet: a stride-2 stem, then four stages; width stride 4, height collapsed by mean."""

    def __init__(self, cfg: ModelConfig):
        super().__init__()
        c = cfg.channels
        self.stem = nn.Sequential(
            nn.Conv2d(1, c[0], 3, stride=2, padding=1, bias=False),
            nn.BatchNorm2d(c[0]), nn.ReLU(inplace=True))
        strides = [(1, 1), (2, 2), (2, 1), (2, 1)]
        blocks: list[ResidualBlock] = []
        cin = c[0]
        for cout, n, stride in zip(c, cfg.blocks, strides):
            for i in range(n):
                blocks.append(ResidualBlock(cin, cout, stride if i == 0 else (1, 1)))
                cin = cout
        self.blocks = nn.ModuleList(blocks)
        self.out_channels = cin

    def forward(self, images: Tensor, widths: Tensor) -> tuple[Tensor, Tensor]:
        """images (B, 1, H, W) -> features (B, T, C), valid lengths (B,)."""
        # A batch with no padded columns (always so at batch 1) needs no masking: every
        # stride keeps feature-map width and valid width equal (both round up).
        padded = bool((widths < images.shape[-1]).any())
        widths = torch.div(widths + 1, 2, rounding_mode="floor")
        x = self.stem(images)
        if padded:
            x = _mask_columns(x, widths)
        for block in self.blocks:
            x, widths = block(x, widths, padded)
        return x.mean(dim=2).transpose(1, 2), widths


class SequenceEncoder(nn.Module):
    """BiLSTM over the feature columns, run packed so padding never reaches valid steps."""

    def __init__(self, cin: int, hidden: int, layers: int, dropout: float):
        super().__init__()
        self.lstm = nn.LSTM(cin, hidden, num_layers=layers, bidirectional=True,
                            batch_first=True, dropout=dropout if layers > 1 else 0.0)
        self.out_dim = 2 * hidden

    def forward(self, x: Tensor, lengths: Tensor) -> Tensor:
        packed = pack_padded_sequence(x, lengths.cpu(), batch_first=True, enforce_sorted=False)
        out, _ = self.lstm(packed)
        out, _ = pad_packed_sequence(out, batch_first=True, total_length=x.shape[1])
        return out


class AttentionDecoder(nn.Module):
    """Additive attention + LSTMCell, one character per step (Baek et al. 2019, Attn)."""

    def __init__(self, enc_dim: int, cfg: ModelConfig):
        super().__init__()
        self.num_classes = cfg.num_classes
        self.start_index = cfg.num_classes  # the extra embedding row
        self.key_proj = nn.Linear(enc_dim, cfg.attention_dim, bias=False)
        self.query_proj = nn.Linear(cfg.decoder_hidden, cfg.attention_dim)
        self.score = nn.Linear(cfg.attention_dim, 1, bias=False)
        self.embedding = nn.Embedding(cfg.num_classes + 1, cfg.embedding_dim)
        self.cell = nn.LSTMCell(enc_dim + cfg.embedding_dim, cfg.decoder_hidden)
        self.dropout = nn.Dropout(cfg.dropout)
        self.generator = nn.Linear(cfg.decoder_hidden + enc_dim, cfg.num_classes)
        self.hidden = cfg.decoder_hidden
        self.glimpse_dim = enc_dim

    def _step(self, enc: Tensor, keys: Tensor, neg_mask: Tensor, prev: Tensor,
              state: tuple[Tensor, Tensor]) -> tuple[Tensor, Tensor, Tensor, tuple[Tensor, Tensor]]:
        h, c = state
        scores = self.score(torch.tanh(keys + self.query_proj(h)[:, None, :])).squeeze(-1)
        alpha = torch.softmax(scores + neg_mask, dim=-1)
        glimpse = torch.bmm(alpha[:, None, :], enc).squeeze(1)
        h, c = self.cell(torch.cat([glimpse, self.embedding(prev)], dim=-1), (h, c))
        logits = self.generator(self.dropout(torch.cat([h, glimpse], dim=-1)))
        return logits, alpha, glimpse, (h, c)

    def _init(self, enc: Tensor, mask: Tensor) -> tuple[Tensor, Tensor, tuple[Tensor, Tensor]]:
        keys = self.key_proj(enc)
        neg_mask = torch.zeros(mask.shape, dtype=enc.dtype, device=enc.device)
        neg_mask = neg_mask.masked_fill(~mask, torch.finfo(enc.dtype).min)
        zeros = enc.new_zeros(enc.shape[0], self.hidden)
        return keys, neg_mask, (zeros, zeros.clone())

    def forward_teacher(self, enc: Tensor, mask: Tensor, targets: Tensor) -> DecoderOutput:
        """Teacher forcing: targets (B, S) hold the characters then EOS (padding ignored)."""
        keys, neg_mask, state = self._init(enc, mask)
        prev = torch.full((enc.shape[0],), self.start_index, dtype=torch.long, device=enc.device)
        logits, attn, glimpses = [], [], []
        for t in range(targets.shape[1]):
            lg, a, g, state = self._step(enc, keys, neg_mask, prev, state)
            logits.append(lg)
            attn.append(a)
            glimpses.append(g)
            prev = targets[:, t].clamp(min=0)
        return DecoderOutput(torch.stack(logits, 1), torch.stack(attn, 1),
                             torch.stack(glimpses, 1), mask)

    def forward_greedy(self, enc: Tensor, mask: Tensor, max_steps: int) -> GreedyResult:
        keys, neg_mask, state = self._init(enc, mask)
        batch = enc.shape[0]
        prev = torch.full((batch,), self.start_index, dtype=torch.long, device=enc.device)
        finished = torch.zeros(batch, dtype=torch.bool, device=enc.device)
        ended_by_model = torch.zeros(batch, dtype=torch.bool, device=enc.device)
        # No sample can hold more characters than twice its encoder positions; cap each one.
        step_cap = (mask.sum(1) * 2).clamp(max=max_steps - 1)
        logits, attn, glimpses, picks, probs = [], [], [], [], []
        for t in range(max_steps):
            lg, a, g, state = self._step(enc, keys, neg_mask, prev, state)
            p = torch.softmax(lg.float(), dim=-1)
            prob, idx = p.max(dim=-1)
            ended_by_model = ended_by_model | (~finished & (t < step_cap) & (idx == EOS_INDEX))
            idx = torch.where(finished | (t >= step_cap), torch.full_like(idx, EOS_INDEX), idx)
            logits.append(lg)
            attn.append(a)
            glimpses.append(g)
            picks.append(idx)
            probs.append(prob)
            finished = finished | (idx == EOS_INDEX)
            prev = idx
            if bool(finished.all()):
                break
        indices = torch.stack(picks, 1)
        is_eos = indices == EOS_INDEX
        lengths = torch.where(is_eos.any(1), is_eos.float().argmax(1),
                              torch.full((batch,), indices.shape[1], device=enc.device))
        steps = DecoderOutput(torch.stack(logits, 1), torch.stack(attn, 1),
                              torch.stack(glimpses, 1), mask)
        return GreedyResult(indices, torch.stack(probs, 1), lengths.long(), ended_by_model, steps)


class TextRecognizer(nn.Module):
    """Images (B, 1, H, W) in [-1, 1], right-padded, with per-sample valid widths."""

    def __init__(self, cfg: ModelConfig):
        super().__init__()
        if cfg.num_classes < 2:
            raise ValueError("ModelConfig.num_classes must be set from the charset")
        self.config = cfg
        self.features = FeatureExtractor(cfg)
        self.encoder = SequenceEncoder(self.features.out_channels, cfg.lstm_hidden,
                                       cfg.lstm_layers, cfg.dropout)
        self.decoder = AttentionDecoder(self.encoder.out_dim, cfg)
        self.ctc_head = nn.Linear(self.encoder.out_dim, cfg.num_classes) if cfg.ctc_aux else None

    def encode(self, images: Tensor, widths: Tensor) -> tuple[Tensor, Tensor]:
        """-> encoder sequence (B, T, D) and its validity mask (B, T)."""
        feats, lengths = self.features(images, widths)
        lengths = lengths.clamp(min=1)
        enc = self.encoder(feats, lengths)
        mask = torch.arange(enc.shape[1], device=enc.device)[None, :] < lengths[:, None]
        return enc, mask

    def forward(self, images: Tensor, widths: Tensor, targets: Tensor) -> DecoderOutput:
        """Teacher-forced pass (training and distillation)."""
        enc, mask = self.encode(images, widths)
        out = self.decoder.forward_teacher(enc, mask, targets)
        if self.ctc_head is not None:
            out.ctc_logits = self.ctc_head(enc)
        return out

    def greedy(self, images: Tensor, widths: Tensor, max_steps: int | None = None) -> GreedyResult:
        enc, mask = self.encode(images, widths)
        steps = (max_steps or self.config.max_length) + 1
        return self.decoder.forward_greedy(enc, mask, steps)


def count_parameters(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())
