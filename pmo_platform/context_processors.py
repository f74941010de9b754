from django.conf import settings


def platform(request):
    """Firm and branding for the page chrome, when the URL names a firm."""
    firm = getattr(request, "firm", None)
    context = {"site_url": settings.SITE_URL, "firm": firm}
    if firm is not None:
        from accounts.selectors import branding_for_firm

        context["branding"] = branding_for_firm(firm=firm)
        context["firm_access"] = getattr(request, "firm_access", None)
    return context
