def tenant(request):
    return {"actor": getattr(request, "actor", None)}
