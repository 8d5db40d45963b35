from surveys.views import ballots

urlpatterns = ballots.public_urlpatterns
