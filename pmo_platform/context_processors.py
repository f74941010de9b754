from django.conf import settings


def platform(request):
    """Values every page needs, firm or not."""
    return {"site_url": settings.SITE_URL}
