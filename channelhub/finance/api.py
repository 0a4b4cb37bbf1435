from ninja import Router

router = Router(tags=["finance 财务与信用"])
