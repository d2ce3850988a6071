"""Rates, stimulus propagation and plots from a :class:`~multiarea.spiking.recording.SpikeRecord`.

Conventions shared by every function here:

* ``population`` is ``'E'`` or ``'I'``; rates are per neuron of that
  population, in Hz.
* Sliding windows (:func:`population_rate`) are ``window_ms`` long and start
  every ``step_ms`` from time 0; both sizes, like every other time given in
  ms, are rounded to whole time steps.  A window covers the steps
  ``[begin, begin + window)`` and its reported time is its centre.
* An interval ``[start_ms, stop_ms)`` selects the windows lying entirely
  inside it.

Submodules (every public name is re-exported here):

* :mod:`.rates`: :func:`spike_counts`, :func:`population_rate`,
  :func:`baseline`, :func:`peak_rate`, :func:`mean_rate`, :func:`rate_table`,
  :func:`write_rate_table`;
* :mod:`.stimulus_propagation`: :func:`propagation`,
  :func:`propagation_summary`, :func:`seed_summary`;
* :mod:`.plots`: :func:`raster_plot` (a subsample of every population,
  :func:`raster_selection`), :func:`raster_figure` (raster beside a rate
  heatmap), :func:`rate_heatmap`, :func:`peak_rate_plot`,
  :func:`latency_plot`, :data:`LOG_FLOOR_HZ` (matplotlib is imported only
  when a plot is drawn);
* :mod:`.population_stats`: :func:`population_distributions` /
  :func:`population_statistics` (rate, ISI CV, LvR, correlation per
  population), :func:`lvr`;
* :mod:`._common`: the argument checks and time conversions they share.
"""
from .population_stats import (CORR_BIN_MS, CORR_SAMPLE, LVR_REF_MS, lvr, population_distributions,
                               population_statistics)
from .plots import (LOG_FLOOR_HZ, RASTER_NEURONS, latency_plot, peak_rate_plot, raster_figure, raster_plot,
                    raster_selection, rate_heatmap)
from .rates import baseline, mean_rate, peak_rate, population_rate, rate_table, spike_counts, write_rate_table
from .stimulus_propagation import propagation, propagation_summary, seed_summary

__all__ = ["population_distributions", "population_statistics", "CORR_BIN_MS", "CORR_SAMPLE", "LVR_REF_MS", "lvr",
           "spike_counts",
           "population_rate", "mean_rate", "rate_table", "write_rate_table", "baseline", "peak_rate", "propagation",
           "propagation_summary", "seed_summary", "raster_plot", "raster_figure", "raster_selection", "RASTER_NEURONS",
           "rate_heatmap", "peak_rate_plot", "latency_plot", "LOG_FLOOR_HZ"]
