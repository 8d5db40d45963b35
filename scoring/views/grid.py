"""grid pages."""

urlpatterns = []
