"""Training data: loaders (labels.tsv folders, benchmark LMDBs), augmentation of real crops,
the mixed resumable sample stream, batching for the model, and the no-leakage guard."""

from .augment import AUGMENT_PRESETS, AugmentConfig, Augmenter, augment
from .batching import (
    Batch,
    CropDataset,
    PreparedItem,
    StreamBatches,
    WidthBucketBatchSampler,
    approx_width,
    approx_widths,
    collate_items,
    encode_batch,
    encode_targets,
    padding_fraction,
    prepare_sample,
)
from .folder import TsvFolderDataset, read_labels_tsv, read_meta_tsv
from .leakage import (
    EvalIndex,
    LeakageError,
    LeakageReport,
    check_no_leakage,
    find_evaluation_sets,
    guard_training,
    hash_training_dataset,
)
from .lmdb_dataset import LmdbDataset, tsv_to_lmdb, write_lmdb  # 'lmdb' imported when used
from .mixing import IndexSubset, MixComponent, MixedSource, held_out_split, nested_weights
from .samples import (
    DOMAIN_INDEX,
    DOMAINS,
    CorruptImageError,
    LabelFormatError,
    Sample,
    SkipReport,
    decode_gray,
    load_gray,
)


__all__ = [
    "AUGMENT_PRESETS", "AugmentConfig", "Augmenter", "augment",
    "Batch", "CropDataset", "PreparedItem", "StreamBatches", "WidthBucketBatchSampler",
    "approx_width", "approx_widths", "collate_items", "encode_batch", "encode_targets",
    "padding_fraction", "prepare_sample",
    "TsvFolderDataset", "read_labels_tsv", "read_meta_tsv",
    "LmdbDataset", "write_lmdb", "tsv_to_lmdb",
    "EvalIndex", "LeakageError", "LeakageReport", "check_no_leakage", "find_evaluation_sets",
    "guard_training", "hash_training_dataset",
    "IndexSubset", "MixComponent", "MixedSource", "held_out_split", "nested_weights",
    "DOMAIN_INDEX", "DOMAINS", "CorruptImageError", "LabelFormatError", "Sample", "SkipReport",
    "decode_gray", "load_gray",
]
