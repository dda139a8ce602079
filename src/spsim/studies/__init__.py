"""What runs many models: replicates, experiment files and sweeps, sensitivity analysis, calibration,
counterfactual evaluation and scenario comparison. Imports :mod:`spsim.model`, never
:mod:`spsim.interfaces`."""
