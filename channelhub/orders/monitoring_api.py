from ninja import Router

router = Router(tags=["promotion monitoring 促销执行监控"])
