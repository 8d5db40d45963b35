"""results pages."""

urlpatterns = []
