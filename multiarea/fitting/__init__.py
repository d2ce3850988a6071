"""Fitting models to activity: activation maximisation, saliency, parameter
training (:mod:`.activations`) on any :class:`ActivationModel`, and tables of
activations and paths (:mod:`.activation_frames`)."""
from . import activation_frames
from .activations import (ActivationModel, MaximisationResult, TargetActivation, TrainResult,
                          activation_maximisation, saliency, train_model)

__all__ = ["activation_frames", "ActivationModel", "TargetActivation", "MaximisationResult",
           "activation_maximisation", "saliency", "TrainResult", "train_model"]
