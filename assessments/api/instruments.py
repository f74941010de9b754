"""Instrument versions: the list, and one version's content (signs, dimensions with their
statements and advice, the answer scale and the bands) in English and Swedish."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers
from rest_framework.response import Response

from accounts.api.base import FirmAPIView

from .. import selectors
from ..access import access_version
from ..models import Advice, Band, Dimension, Instrument, InstrumentVersion, Item, Sign
from .common import VERSION_ID, TextsField, TranslatedField


class InstrumentSerializer(serializers.ModelSerializer):
    name = TranslatedField()
    builtin = serializers.BooleanField(source="is_builtin", read_only=True)

    class Meta:
        model = Instrument
        fields = ["id", "key", "name", "builtin"]
        read_only_fields = fields


class VersionSerializer(serializers.ModelSerializer):
    instrument = InstrumentSerializer(read_only=True)
    description = TranslatedField()
    frozen = serializers.BooleanField(source="is_frozen", read_only=True)

    class Meta:
        model = InstrumentVersion
        fields = ["id", "instrument", "number", "description", "frozen", "frozen_at", "created_at"]
        read_only_fields = fields


class ScaleLabelsSerializer(serializers.Serializer):
    en = serializers.ListField(child=serializers.CharField())
    sv = serializers.ListField(child=serializers.CharField())


@extend_schema_field(ScaleLabelsSerializer)
class ScaleLabelsField(serializers.Field):
    """The five answer labels per language, from least to most agreement."""

    def __init__(self, **kwargs):
        super().__init__(read_only=True, **kwargs)

    def to_representation(self, value):
        value = value if isinstance(value, dict) else {}
        return {language: [str(v) for v in value.get(language) or []] for language in ("en", "sv")}


class BandSerializer(serializers.Serializer):
    key = serializers.CharField(read_only=True)
    min = serializers.FloatField(read_only=True, help_text="The lowest score (0 to 100) in it.")
    label = TextsField()
    summary = TextsField()

    def to_representation(self, instance):
        band = instance if isinstance(instance, dict) else {}
        return super().to_representation(
            {
                "key": str(band.get("key", "")),
                "min": band.get("min", 0),
                "label": band.get("label"),
                "summary": band.get("summary"),
            }
        )


class SignSerializer(serializers.ModelSerializer):
    title = TranslatedField()

    class Meta:
        model = Sign
        fields = ["number", "title"]
        read_only_fields = fields


class ItemSerializer(serializers.ModelSerializer):
    text = TranslatedField()
    weight = serializers.DecimalField(
        max_digits=4, decimal_places=2, coerce_to_string=False, read_only=True
    )

    class Meta:
        model = Item
        fields = ["id", "key", "order", "sign", "text", "reverse", "weight"]
        read_only_fields = fields


class TipsSerializer(serializers.Serializer):
    en = serializers.ListField(child=serializers.CharField())
    sv = serializers.ListField(child=serializers.CharField())


class AdviceSerializer(serializers.ModelSerializer):
    band = serializers.ChoiceField(choices=Band.choices, read_only=True)
    step = TranslatedField()
    tips = serializers.SerializerMethodField()

    class Meta:
        model = Advice
        fields = ["id", "band", "step", "tips"]
        read_only_fields = fields

    @extend_schema_field(TipsSerializer)
    def get_tips(self, advice) -> dict:
        return {
            language: [str(tip) for tip in getattr(advice, f"tips_{language}") or []]
            for language in ("en", "sv")
        }


class DimensionSerializer(serializers.ModelSerializer):
    name = TranslatedField()
    description = TranslatedField()
    items = ItemSerializer(many=True, read_only=True)
    advice = AdviceSerializer(many=True, read_only=True)

    class Meta:
        model = Dimension
        fields = ["id", "key", "order", "name", "description", "items", "advice"]
        read_only_fields = fields


class VersionDetailSerializer(VersionSerializer):
    scale_labels = ScaleLabelsField()
    dont_know_label = TextsField()
    bands = BandSerializer(many=True, read_only=True)
    min_answered_share = serializers.FloatField(
        read_only=True, help_text="Share of statements a response must answer to be scored."
    )
    signs = serializers.SerializerMethodField()
    dimensions = serializers.SerializerMethodField()

    class Meta(VersionSerializer.Meta):
        fields = [
            *VersionSerializer.Meta.fields,
            "scale_labels",
            "dont_know_label",
            "bands",
            "min_answered_share",
            "signs",
            "dimensions",
        ]
        read_only_fields = fields

    # The content comes from `selectors.version_content` (a fixed number of queries).
    @extend_schema_field(SignSerializer(many=True))
    def get_signs(self, version) -> list:
        return SignSerializer(self.context["content"]["signs"], many=True).data

    @extend_schema_field(DimensionSerializer(many=True))
    def get_dimensions(self, version) -> list:
        return DimensionSerializer(self.context["content"]["dimensions"], many=True).data


class VersionListView(FirmAPIView):
    """The firm's instrument versions (its copy of the built-in instrument and its own ones),
    newest last. A version's content is at `/instrument-versions/{id}/`."""

    read_scope, write_scope, schema_tag = "campaigns:read", "campaigns:write", "instruments"

    @extend_schema(operation_id="instrument_versions_list", responses=VersionSerializer(many=True))
    def get(self, request):
        return self.paginated(selectors.versions_for_campaigns(firm=self.firm), VersionSerializer)


class VersionDetailView(FirmAPIView):
    """One instrument version with all it asks and advises: the nine signs, the dimensions with
    their statements (`items`; reverse-scored ones are mirrored when scoring) and the advice per
    band, the answer scale and the score bands, every text in English (`en`) and Swedish (`sv`)."""

    read_scope, write_scope, schema_tag = "campaigns:read", "campaigns:write", "instruments"

    @extend_schema(
        operation_id="instrument_versions_retrieve",
        parameters=[VERSION_ID],
        responses=VersionDetailSerializer,
    )
    def get(self, request, version_id: str):
        version = access_version(self.access, version_id)
        content = selectors.version_content(firm=self.firm, version=version)
        return Response(VersionDetailSerializer(version, context={"content": content}).data)
