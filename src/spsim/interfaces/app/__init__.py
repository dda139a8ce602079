"""The classroom app (``spsim app``): a Mesa SolaraViz page for a small town."""
