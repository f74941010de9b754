"""Role checks for views under /f/<firm_slug>/. The middleware already admitted only members and
client executives; these narrow it further. A refusal is a 404, like a missing object."""

from functools import wraps

from django.http import Http404

from .models import Role

MANAGERS = (Role.OWNER, Role.ADMIN)
STAFF = (Role.OWNER, Role.ADMIN, Role.CONSULTANT)


def firm_roles(*roles):
    def decorator(view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            access = getattr(request, "firm_access", None)
            if access is None or access.role not in roles:
                raise Http404
            return view(request, *args, **kwargs)

        wrapper.firm_roles = roles
        return wrapper

    return decorator


firm_staff = firm_roles(*STAFF)
firm_managers = firm_roles(*MANAGERS)


def firm_viewers(view):
    """Pages for everyone the firm admits: its staff and its client executives. Which client an
    executive may see is the access helper's check (`access_client_for_viewer`)."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        access = getattr(request, "firm_access", None)
        if access is None or not access.can_enter:
            raise Http404
        return view(request, *args, **kwargs)

    wrapper.firm_viewers = True
    return wrapper
