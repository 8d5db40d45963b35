from surveys.ballots import views as ballots

urlpatterns = ballots.public_urlpatterns
