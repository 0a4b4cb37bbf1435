from ninja import Router

router = Router(tags=["orders 订单"])
