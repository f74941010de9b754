from django.urls import path

from . import views

app_name = "assessments"

# Under /f/<firm_slug>/: FirmScopeMiddleware enters the firm's scope. The survey, open-link and
# unsubscribe pages are public (@firm_public): their token is the credential.
urlpatterns = [
    path("campaigns/", views.campaign_list, name="campaign_list"),
    path("campaigns/new/", views.campaign_create, name="campaign_create"),
    path("campaigns/<int:campaign_id>/", views.campaign_detail, name="campaign_detail"),
    path("campaigns/<int:campaign_id>/edit/", views.campaign_edit, name="campaign_edit"),
    path("campaigns/<int:campaign_id>/stats/", views.campaign_stats, name="campaign_stats"),
    path("campaigns/<int:campaign_id>/launch/", views.campaign_launch, name="campaign_launch"),
    path("campaigns/<int:campaign_id>/close/", views.campaign_close, name="campaign_close"),
    path("campaigns/<int:campaign_id>/remind/", views.campaign_remind, name="campaign_remind"),
    path(
        "campaigns/<int:campaign_id>/respondents/add/", views.respondent_add, name="respondent_add"
    ),
    path(
        "campaigns/<int:campaign_id>/respondents/import/",
        views.respondents_import,
        name="respondents_import",
    ),
    path(
        "campaigns/<int:campaign_id>/respondents/<int:respondent_id>/resend/",
        views.respondent_resend,
        name="respondent_resend",
    ),
    path("leads/", views.leads, name="leads"),
    path("instruments/", views.instrument_list, name="instrument_list"),
    path("instruments/<int:version_id>/", views.version_detail, name="version_detail"),
    path("instruments/<int:version_id>/copy/", views.version_copy, name="version_copy"),
    path("instruments/items/<int:item_id>/edit/", views.item_edit, name="item_edit"),
    path("instruments/items/<int:item_id>/remove/", views.item_remove, name="item_remove"),
    path("instruments/dimensions/<int:dimension_id>/add-item/", views.item_add, name="item_add"),
    path(
        "instruments/dimensions/<int:dimension_id>/edit/",
        views.dimension_edit,
        name="dimension_edit",
    ),
    path("instruments/advice/<int:advice_id>/edit/", views.advice_edit, name="advice_edit"),
    path("s/<str:token>/", views.survey, name="survey"),
    path("s/<str:token>/answer/", views.survey_answer, name="survey_answer"),
    path("s/<str:token>/language/", views.survey_language, name="survey_language"),
    path("s/<str:token>/result/", views.survey_result, name="survey_result"),
    path("s/<str:token>/unsubscribe/", views.unsubscribe, name="unsubscribe"),
    path("t/<str:token>/", views.open_link, name="open_link"),
]
