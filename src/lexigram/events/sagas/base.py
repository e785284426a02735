"""``SagaBase``: an orchestrated saga, its steps declared with ``@saga_step`` in the order they run."""

from __future__ import annotations

import math
from typing import Any, ClassVar

from lexigram.events.exceptions import SagaDefinitionError
from lexigram.events.sagas.steps import STEP_ATTRIBUTE, StepDefinition

__all__ = ["SagaBase"]


class SagaBase:
    """Base class of orchestrated sagas.

    Example::

        class OrderFulfillmentSaga(SagaBase):
            timeout = 60.0  # the whole saga; None: no deadline

            @saga_step(compensation="release_inventory", retries=2, timeout=5.0)
            async def reserve_inventory(self, ctx: SagaContext) -> SagaStepResult:
                reservation = await ctx.services.inventory.reserve(ctx.data["order_id"])
                return SagaStepResult.success(data={"reservation_id": reservation.id})

            async def release_inventory(self, ctx: SagaContext) -> None:
                await ctx.services.inventory.release(ctx.data["reservation_id"])

    Steps run in declaration order (a subclass's steps follow its base's). ``name`` (default: the
    class name) is how the saga is stored and how ``SagaManager.start("name")`` finds it; the
    manager builds one instance per run with no arguments, so keep state in ``ctx.data``.
    """

    name: ClassVar[str] = "SagaBase"
    timeout: ClassVar[float | None] = None
    """Seconds the whole saga may take; when they pass, the running step is cancelled, the
    completed steps are compensated and the saga ends TIMED_OUT."""
    saga_steps: ClassVar[tuple[StepDefinition, ...]] = ()
    """The steps, in the order they run."""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "name" not in cls.__dict__:
            cls.name = cls.__name__
        if not isinstance(cls.name, str) or not cls.name:
            raise SagaDefinitionError(f"{cls.__qualname__}.name must be a non-empty str, got {cls.name!r}")
        timeout = cls.timeout
        if timeout is not None and (
            isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or not 0 < timeout < math.inf
        ):
            raise SagaDefinitionError(
                f"{cls.__qualname__}.timeout must be a number of seconds > 0 or None, got {timeout!r}"
            )
        steps: dict[str, StepDefinition] = {}
        for klass in reversed(cls.__mro__):
            for attribute, value in vars(klass).items():
                definition = getattr(value, STEP_ATTRIBUTE, None)
                if isinstance(definition, StepDefinition):
                    steps[attribute] = definition
                elif attribute in steps:
                    del steps[attribute]  # a subclass replaced the step with a plain attribute
        for definition in steps.values():
            compensation = definition.compensation
            if isinstance(compensation, str) and not callable(getattr(cls, compensation, None)):
                raise SagaDefinitionError(
                    f"{cls.__qualname__}.{definition.name}: the compensation {compensation!r} is not a "
                    f"method of {cls.__qualname__}; define `async def {compensation}(self, ctx)`"
                )
        cls.saga_steps = tuple(steps.values())

    @classmethod
    def check_runnable(cls) -> None:
        """Raise ``SagaDefinitionError`` unless the saga declares at least one step."""
        if not cls.saga_steps:
            raise SagaDefinitionError(
                f"{cls.__qualname__} declares no steps; decorate its step methods with @saga_step"
            )
