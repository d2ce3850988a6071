"""Rate networks on the projection abstraction.

* :mod:`.connectome_rnn`: :class:`ConnectomeRNN`, a continuous-time RNN on a
  typed connectome (shared signs, time constants, biases, nonlinearities per
  cell type), and :func:`fly_visual_rnn`;
* :mod:`.layered`: :class:`LayeredConnectomeNet`, a connectome unrolled into
  layers (connectome_interpreter's activation model).
"""
from .connectome_rnn import ConnectomeRNN, fly_visual_rnn
from .layered import LayeredConnectomeNet

__all__ = ["ConnectomeRNN", "fly_visual_rnn", "LayeredConnectomeNet"]
