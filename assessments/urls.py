from django.urls import path

from .views import campaigns, imports, instruments, privacy, public

app_name = "assessments"

# Under /f/<firm_slug>/: FirmScopeMiddleware enters the firm's scope. The survey, open-link,
# unsubscribe and erase pages are public (@firm_public): their token is the credential.
urlpatterns = [
    # First: the respondents' pages are the most requested (each request resolves its URL twice:
    # FirmScopeMiddleware, then the handler).
    path("s/<str:token>/", public.survey, name="survey"),
    path("s/<str:token>/answer/", public.survey_answer, name="survey_answer"),
    path("s/<str:token>/language/", public.survey_language, name="survey_language"),
    path("s/<str:token>/result/", public.survey_result, name="survey_result"),
    path("s/<str:token>/unsubscribe/", public.unsubscribe, name="unsubscribe"),
    path("s/<str:token>/erase/", public.survey_erase, name="survey_erase"),
    path("t/<str:token>/", public.open_link, name="open_link"),
    path("campaigns/", campaigns.campaign_list, name="campaign_list"),
    path("campaigns/new/", campaigns.campaign_create, name="campaign_create"),
    path("campaigns/<int:campaign_id>/", campaigns.campaign_detail, name="campaign_detail"),
    path("campaigns/<int:campaign_id>/edit/", campaigns.campaign_edit, name="campaign_edit"),
    path("campaigns/<int:campaign_id>/stats/", campaigns.campaign_stats, name="campaign_stats"),
    path("campaigns/<int:campaign_id>/launch/", campaigns.campaign_launch, name="campaign_launch"),
    path("campaigns/<int:campaign_id>/close/", campaigns.campaign_close, name="campaign_close"),
    path("campaigns/<int:campaign_id>/remind/", campaigns.campaign_remind, name="campaign_remind"),
    path(
        "campaigns/<int:campaign_id>/respondents/add/",
        campaigns.respondent_add,
        name="respondent_add",
    ),
    path(
        "campaigns/<int:campaign_id>/respondents/import/",
        imports.respondents_import,
        name="respondents_import",
    ),
    path(
        "campaigns/<int:campaign_id>/imports/<int:import_id>/status/",
        imports.import_status,
        name="import_status",
    ),
    path(
        "campaigns/<int:campaign_id>/respondents/<int:respondent_id>/resend/",
        campaigns.respondent_resend,
        name="respondent_resend",
    ),
    path("leads/", campaigns.leads, name="leads"),
    path("privacy/", privacy.privacy, name="privacy"),
    path("privacy/export/", privacy.privacy_export, name="privacy_export"),
    path("privacy/erase/", privacy.privacy_erase, name="privacy_erase"),
    path("settings/privacy/", privacy.privacy_settings, name="privacy_settings"),
    path("instruments/", instruments.instrument_list, name="instrument_list"),
    path("instruments/<int:version_id>/", instruments.version_detail, name="version_detail"),
    path("instruments/<int:version_id>/copy/", instruments.version_copy, name="version_copy"),
    path("instruments/items/<int:item_id>/edit/", instruments.item_edit, name="item_edit"),
    path("instruments/items/<int:item_id>/remove/", instruments.item_remove, name="item_remove"),
    path(
        "instruments/dimensions/<int:dimension_id>/add-item/", instruments.item_add, name="item_add"
    ),
    path(
        "instruments/dimensions/<int:dimension_id>/edit/",
        instruments.dimension_edit,
        name="dimension_edit",
    ),
    path("instruments/advice/<int:advice_id>/edit/", instruments.advice_edit, name="advice_edit"),
]
