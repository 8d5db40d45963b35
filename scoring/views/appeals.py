"""appeals pages."""

urlpatterns = []
