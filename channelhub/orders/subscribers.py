"""Reactions of the orders module to other modules' events (connected in ``OrdersConfig.ready``)."""


def connect() -> None:
    pass
