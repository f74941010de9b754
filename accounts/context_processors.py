from .selectors import branding_for_firm


def firm(request):
    """Firm, branding and the viewer's access for the page chrome, when the URL names a firm."""
    firm = getattr(request, "firm", None)
    if firm is None:
        return {"firm": None}
    return {
        "firm": firm,
        "branding": branding_for_firm(firm=firm),
        "firm_access": getattr(request, "firm_access", None),
    }
