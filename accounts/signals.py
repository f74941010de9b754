from django.dispatch import Signal

# Sent inside the sign-up transaction and firm scope, with `firm`: other apps set up what every
# firm needs (for example its copy of the built-in instrument).
firm_created = Signal()
