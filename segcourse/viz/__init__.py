"""Visualisation: label maps as pictures, training curves, result tables and animations.

- ``labels``: colour-coded label maps, overlays, sample grids, side-by-side comparisons, class frequencies;
- ``training``: learning curves and confusion matrices;
- ``tables``: results as HTML tables (``table``);
- ``animation``: matplotlib animations played by a small offline HTML player (``animate``);
- ``comparison``: models compared on speed, accuracy and boundaries (``plot_speed_accuracy``);
- ``sliding_window``: the sliding-window chapter's training patches and window overlap;
- ``fcn``: diagrams of FCN-32s, FCN-16s and FCN-8s drawn from the models (``plot_fcn``, chapter 2);
- ``unpooling``: chapter 3's maps side by side (``show_maps``) and pooling with indices then unpooling,
  animated (``animate_unpooling``).

Chapter-specific drawings live in their own modules here, named after what they draw:

- ``convolution`` (chapter 4): a window sliding with a stride, a transposed convolution built from zeros,
  the pixels a strided or dilated window reads, upsampled maps side by side;
- ``dilation`` (chapter 6): a dilated stack growing its receptive field, path counts (gridding), where a
  trained score looks.

Every plotting function returns a ``Figure`` that is already closed in ``pyplot``: a notebook cell that ends
with the call shows it exactly once (Jupyter displays the returned figure), ``fig = show_samples(...)`` shows
nothing until ``fig`` (or ``display(fig)``) is evaluated, and ``fig.savefig(path)`` works anywhere.
Class colours come from ``data.PALETTE``; void pixels are drawn in ``data.VOID_COLOR``.
Nothing here needs a display: the package works under the ``Agg`` backend.

Why closed: a figure left open in ``pyplot`` is shown again by the inline backend at the end of the cell, and
the usual ``;`` that hides the returned value is ignored by kernels that run cells without storing history
(nbval does), so the figure would appear twice there.
"""

from __future__ import annotations

from segcourse.viz._common import PANEL_INCHES
from segcourse.viz.animation import Animation, animate
from segcourse.viz.comparison import plot_speed_accuracy
from segcourse.viz.convolution import (
    animate_convolution,
    animate_transposed_convolution,
    plot_responses,
    plot_taps,
)
from segcourse.viz.dilation import animate_receptive_field, plot_path_maps, plot_sensitivity
from segcourse.viz.fcn import plot_fcn
from segcourse.viz.labels import colorize, compare, overlay, plot_class_frequencies, show_samples
from segcourse.viz.sliding_window import plot_window_overlap, show_patches
from segcourse.viz.tables import table
from segcourse.viz.training import plot_confusion, plot_history
from segcourse.viz.unpooling import animate_unpooling, show_maps

__all__ = [
    "PANEL_INCHES",
    "Animation",
    "animate",
    "animate_convolution",
    "animate_receptive_field",
    "animate_transposed_convolution",
    "animate_unpooling",
    "colorize",
    "compare",
    "overlay",
    "plot_class_frequencies",
    "plot_confusion",
    "plot_fcn",
    "plot_history",
    "plot_path_maps",
    "plot_responses",
    "plot_sensitivity",
    "plot_speed_accuracy",
    "plot_taps",
    "plot_window_overlap",
    "show_maps",
    "show_patches",
    "show_samples",
    "table",
]
