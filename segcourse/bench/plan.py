"""What one benchmark run measures: sizes, repeats and which chapters to execute."""

from __future__ import annotations

import dataclasses


@dataclasses.dataclass(frozen=True)
class Plan:
    """Sizes and repeats of a benchmark run, full (``FULL``) or quick (``QUICK``).

    Attributes:
        name: ``"full"`` or ``"quick"``.
        rounds: how many times each contestant runs, in turn with the others (the shortest run counts).
        warmup_steps: training steps before timing: the first traces the step (and compiles it with XLA).
        image: height and width of the image for the dense-versus-sliding comparison.
        patch_width: channel factor of the patch classifier (chapter 1 uses 0.25).
        unpool_shape: ``(batch, height, width, channels)`` of the feature maps that are pooled and unpooled.
        train_sizes: name -> ``(height, width)`` of the training comparisons.
        train_batch: name -> batch size of the training comparisons.
        train_width: channel factor of the article's listing (1.0: its 64-128-256-512); SegNet gets the
            same channels (``segnet(width=2 * train_width)``, whose base is 32-64-128-256).
        matmul_size: side of the square float32 matrices whose product measures the machine's FLOP/s.
        memory_size: ``(height, width)`` of the SegNet inference whose memory is measured.
        memory_width: channel factor of that SegNet.
        memory_repeats: fresh processes per variant of that SegNet (its peak changes a little between runs).
        execute_book: execute every chapter (full), or read the times the last run recorded (quick).
        pets_size: ``(height, width)`` of chapter 7's Oxford-IIIT Pet recipe, whose data path is measured.
        pets_scales: the fractions of the full Pet splits loaded, one fresh process each (large enough to give
            the training and test splits more than 256 images, ``median_frequency_weights``' chunk).
        pets_batch: the batch size of that data path.
        pets_measure_full: the image dtypes whose full splits are measured too (one large process each).
    """

    name: str
    rounds: int
    warmup_steps: int
    image: tuple[int, int]
    patch_width: float
    unpool_shape: tuple[int, int, int, int]
    train_sizes: dict[str, tuple[int, int]]
    train_batch: dict[str, int]
    train_width: float
    matmul_size: int
    memory_size: tuple[int, int]
    memory_width: float
    memory_repeats: int
    execute_book: bool
    pets_size: tuple[int, int]
    pets_scales: tuple[float, ...]
    pets_batch: int
    pets_measure_full: tuple[str, ...]


#: CamVid's 360x480 where a model allows it. SegNet pools four times, so it needs multiples of 16: it
#: trains on the 352x480 crop that ``models.segnet`` recommends, and the article's listing on the same crop.
FULL = Plan(
    name="full",
    rounds=3,
    warmup_steps=2,
    image=(360, 480),
    patch_width=0.25,
    unpool_shape=(4, 360, 480, 64),
    train_sizes={"camvid": (352, 480), "chapter": (64, 96)},
    train_batch={"camvid": 2, "chapter": 16},
    train_width=1.0,
    matmul_size=4096,
    memory_size=(352, 480),
    memory_width=1.0,
    memory_repeats=3,
    execute_book=True,
    pets_size=(256, 256),
    pets_scales=(0.1, 0.15, 0.2),
    pets_batch=16,
    pets_measure_full=("uint8",),
)

#: Small sizes: every figure is produced and every equality checked in well under two minutes; the
#: timings mean little.
QUICK = Plan(
    name="quick",
    rounds=1,
    warmup_steps=1,
    image=(24, 32),
    patch_width=0.25,
    unpool_shape=(1, 16, 24, 8),
    train_sizes={"camvid": (32, 48), "chapter": (16, 16)},
    train_batch={"camvid": 2, "chapter": 2},
    train_width=0.125,
    matmul_size=512,
    memory_size=(32, 48),
    memory_width=0.25,
    memory_repeats=1,
    execute_book=False,
    pets_size=(32, 32),
    pets_scales=(0.005, 0.02),
    pets_batch=4,
    pets_measure_full=(),
)
