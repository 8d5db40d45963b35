"""selfeval pages."""

urlpatterns = []
