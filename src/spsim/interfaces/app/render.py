"""Fast PNGs of the app's kept figures: the parts that do not change (axes, ticks, titles, legends,
the previous run, the town's ties) are drawn once and kept as a background; each week only the
changing artists are drawn over it and the pixels are encoded. The background is redrawn whenever
its key (e.g. the axis limits) changes. The picture is the same as ``fig.savefig`` would make
(tests/test_app.py compares them); it is only faster (``benchmarks/bench_app.py``)."""

from __future__ import annotations

import io


class Blit:
    """Background cache for one figure."""

    def __init__(self, fig):
        from matplotlib.backends.backend_agg import FigureCanvasAgg

        self.fig = fig
        self.canvas = FigureCanvasAgg(fig)
        self.key = None
        self.background = None

    def png(self, changing: list, key=None) -> bytes:
        """PNG bytes of the figure, with ``changing`` (artists, in drawing order) drawn over the kept
        background; the background is drawn anew (without them) when ``key`` differs from last time."""
        from PIL import Image

        if self.background is None or key != self.key:
            for a in changing:
                a.set_visible(False)
            self.canvas.draw()
            self.background = self.canvas.copy_from_bbox(self.fig.bbox)
            self.key = key
            for a in changing:
                a.set_visible(True)
        else:
            self.canvas.restore_region(self.background)
        renderer = self.canvas.get_renderer()
        for a in sorted(changing, key=lambda a: a.get_zorder()):
            a.draw(renderer)
        w, h = self.canvas.get_width_height()
        img = Image.frombuffer("RGBA", (w, h), self.canvas.buffer_rgba(), "raw", "RGBA", 0, 1)
        out = io.BytesIO()
        img.save(out, format="png", compress_level=1)
        return out.getvalue()
