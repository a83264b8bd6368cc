"""The lessons' exercise checkers (a package from here on; the first edition's checker is in :mod:`.step`)."""
from .step import STEPS, StepCheck, check_step_backward, random_step

__all__ = ["STEPS", "StepCheck", "check_step_backward", "random_step"]
