from ninja import Router

router = Router(tags=["sell-through 动销与库存上报"])
