from scoring.views import appeals, grid, results, selfeval

urlpatterns = [
    *selfeval.urlpatterns,
    *grid.urlpatterns,
    *results.urlpatterns,
    *appeals.urlpatterns,
]
