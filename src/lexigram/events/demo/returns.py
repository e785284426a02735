"""The demo's returns: an orchestrated saga that refunds a payment and books a courier pickup.

``ReturnSaga`` runs two steps in order. Refunding is undone by charging again (its compensation)
when the pickup cannot be booked, so a return either completes or leaves nothing half done.
``Payments`` and ``Couriers`` are the services the steps reach through ``ctx.services``; the
application's container builds them.
"""

from __future__ import annotations

from decimal import Decimal

from lexigram.events.sagas import SagaBase, SagaContext, SagaStepResult, saga_step

__all__ = ["Couriers", "Payments", "ReturnSaga"]


class Payments:
    """The payment provider's client, as the demo sees it: refunds and charges by order."""

    def __init__(self) -> None:
        self.ledger: list[str] = []

    async def refund(self, order_id: str, amount: Decimal) -> str:
        """Refund ``amount`` for an order; return the refund's reference."""
        self.ledger.append(f"refund {order_id} {amount:.2f}")
        return f"rf-{order_id}"

    async def charge_again(self, order_id: str, amount: Decimal) -> None:
        """Take back a refund that must not stand."""
        self.ledger.append(f"charge {order_id} {amount:.2f}")


class Couriers:
    """The courier's booking API: it has no van for some addresses."""

    unreachable = frozenset({"o-1001"})

    async def book_pickup(self, order_id: str) -> str:
        """Book a pickup for a returned parcel; raise when no courier can come."""
        if order_id in self.unreachable:
            raise RuntimeError(f"no courier can collect {order_id} this week")
        return f"pickup-{order_id}"


async def _charge_again(ctx: SagaContext) -> None:
    await ctx.services.payments.charge_again(ctx.data["order_id"], Decimal(ctx.data["amount"]))


class ReturnSaga(SagaBase):
    """A customer returns an order: refund the payment, then book the courier pickup."""

    @saga_step(compensation=_charge_again)
    async def refund_payment(self, ctx: SagaContext) -> SagaStepResult:
        """Refund what the customer paid."""
        reference = await ctx.services.payments.refund(ctx.data["order_id"], Decimal(ctx.data["amount"]))
        return SagaStepResult.success(data={"refund": reference})

    @saga_step
    async def book_pickup(self, ctx: SagaContext) -> SagaStepResult:
        """Book the courier that collects the parcel."""
        pickup = await ctx.services.couriers.book_pickup(ctx.data["order_id"])
        return SagaStepResult.success(data={"pickup": pickup})
