"""How the GAN's steps map onto Lightning's, derived and checked here alone.

One ``training_step`` is one generator step. Its batch holds ``n_critic`` critic batches of
``batch_size`` segments (the data module's batch is ``n_critic * batch_size``, the last short one
dropped), and Lightning counts the step's ``n_critic + 1`` optimiser steps in ``global_step``.
"""

from __future__ import annotations

from dataclasses import dataclass

from emopia_lightning.errors import RequestError


def optimizer_steps(generator_steps, n_critic) -> int:
    """Lightning's step count for ``generator_steps`` (the ``${optimizer_steps:g,n}`` resolver)."""
    return int(generator_steps) * (int(n_critic) + 1)


@dataclass(frozen=True)
class GanSteps:
    n_critic: int
    batch_size: int

    @property
    def data_batch_size(self) -> int:
        """Segments a training batch must hold."""
        return self.n_critic * self.batch_size

    def generator_step(self, global_step: int) -> int:
        """Generator steps taken after ``global_step`` optimiser steps."""
        return global_step // (self.n_critic + 1)

    def generator_steps_between_logs(self, log_every_n_steps: int) -> int:
        """Generator steps between the optimiser steps Lightning's loggers write."""
        return max(1, log_every_n_steps // (self.n_critic + 1))

    def check(self, data_batch_size: int, drop_last: bool, max_steps: int, generator_steps: int) -> None:
        """Before fit: the data module serves whole generator steps, and the trainer stops within
        ``generator_steps`` (the learning-rate decay's length; stopping earlier is a shorter run),
        else :class:`RequestError` saying what to set."""
        if data_batch_size != self.data_batch_size or not drop_last:
            raise RequestError(
                f"the GAN needs training batches of n_critic * batch_size = {self.data_batch_size} segments, "
                f"every one whole; got data.batch_size={data_batch_size}, data.drop_last_train={drop_last}"
            )
        budget = optimizer_steps(generator_steps, self.n_critic)
        if max_steps == -1 or max_steps > budget:
            raise RequestError(
                f"trainer.max_steps={max_steps} exceeds model.generator_steps={generator_steps} generator "
                f"steps of {self.n_critic + 1} optimiser steps ({budget}); set model.generator_steps instead"
            )
