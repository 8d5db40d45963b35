"""REST API of key tasks (重点工作 / 挂图作战, SPEC §2): /api/v1/key-tasks/ (county
managers create, change and delete with If-Match), /api/v1/key-task-assignments/
(read, with the status today), /api/v1/progress-reports/ (read; the community's
secretary or town assessor creates, evidence files as multipart `files`). Serializers
only carry data: the rules are in `evidence.keytasks.services`."""

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import mixins, permissions, serializers, viewsets

from assessment.models import Cycle
from assessment.services import may_manage
from core.api import FilterSet, IdFilter, VersionedViewSetMixin
from evidence.keytasks import selectors, services
from evidence.models import KeyTask, KeyTaskAssignment, ProgressReport
from indicators.models import EventType
from org.access import writes_only_for
from org.models import OrgUnit
from org.scope import Role

PLAN_FIELDS = ["plan_q1", "plan_q2", "plan_q3", "plan_q4"]


@extend_schema_field(OpenApiTypes.INT)
class ScopedField(serializers.PrimaryKeyRelatedField):
    """A related object looked up within the requesting user's scope: anything else
    reads as "does not exist"."""

    def __init__(self, scoped, **kwargs):
        self.scoped = scoped
        super().__init__(**kwargs)

    def get_queryset(self):
        return self.scoped(self.context["request"].user)


def _frozen_event_types(user):
    return EventType.objects.filter(template__frozen_for__in=Cycle.objects.for_user(user))


class PlannedCommunitySerializer(serializers.Serializer):
    community = ScopedField(OrgUnit.objects.for_user)
    plan_q1 = serializers.IntegerField()
    plan_q2 = serializers.IntegerField()
    plan_q3 = serializers.IntegerField()
    plan_q4 = serializers.IntegerField()


class KeyTaskSerializer(serializers.ModelSerializer):
    cycle = ScopedField(Cycle.objects.for_user)
    on_time_type = ScopedField(_frozen_event_types, allow_null=True, required=False)
    late_type = ScopedField(_frozen_event_types, allow_null=True, required=False)
    assignments = PlannedCommunitySerializer(many=True, write_only=True, required=False)

    class Meta:
        model = KeyTask
        fields = [
            "id",
            "cycle",
            "title",
            "description",
            "deadline",
            "on_time_type",
            "late_type",
            "assignments",
            "created_by",
            "created_at",
            "version",
        ]
        read_only_fields = ["created_by", "created_at", "version"]


class AssignmentSerializer(serializers.ModelSerializer):
    community_name = serializers.CharField(source="community.name", read_only=True)
    task_title = serializers.CharField(source="task.title", read_only=True)
    deadline = serializers.DateField(source="task.deadline", read_only=True)
    status = serializers.SerializerMethodField(
        help_text="Status today: " + ", ".join(str(s) for s in selectors.STATUS_STYLES)
    )
    completion = serializers.SerializerMethodField()
    days_overdue = serializers.SerializerMethodField()

    class Meta:
        model = KeyTaskAssignment
        fields = [
            "id",
            "task",
            "task_title",
            "community",
            "community_name",
            *PLAN_FIELDS,
            "progress",
            "completed_on",
            "deadline",
            "status",
            "completion",
            "days_overdue",
            "version",
        ]
        read_only_fields = fields

    def _state(self, assignment):
        return self.context["states"][assignment.pk]

    def get_status(self, assignment) -> str:
        return str(self._state(assignment).status)

    def get_completion(self, assignment) -> str | None:
        completion = self._state(assignment).completion
        return str(completion) if completion else None

    def get_days_overdue(self, assignment) -> int:
        return self._state(assignment).days_overdue


class ProgressReportSerializer(serializers.ModelSerializer):
    assignment = ScopedField(KeyTaskAssignment.objects.for_user)
    files = serializers.ListField(child=serializers.FileField(), write_only=True, required=False)
    attachments = serializers.SerializerMethodField()

    class Meta:
        model = ProgressReport
        fields = [
            "id",
            "assignment",
            "reported_on",
            "progress",
            "note",
            "files",
            "attachments",
            "reported_by",
            "created_at",
        ]
        read_only_fields = ["reported_by", "created_at"]
        # The service checks the range and says so in its own words.
        extra_kwargs = {"progress": {"validators": []}}

    def get_attachments(self, report) -> list[dict]:
        return [
            {"id": a.pk, "name": a.original_name, "size": a.size} for a in report.attachments.all()
        ]


@extend_schema(tags=[_("重点工作")])
class KeyTaskViewSet(VersionedViewSetMixin, viewsets.ModelViewSet):
    serializer_class = KeyTaskSerializer
    permission_classes = [
        permissions.IsAuthenticated,
        writes_only_for((Role.ADMIN, Role.COUNTY_ASSESSOR)),
    ]
    filterset_fields = ["cycle"]
    write_rules = dict.fromkeys(
        ("update", "partial_update", "destroy"), lambda user, task: may_manage(user, task.cycle)
    )

    def get_queryset(self):
        return KeyTask.objects.for_user(self.request.user).select_related("cycle")

    def perform_create(self, serializer):
        data = serializer.validated_data
        serializer.instance = services.create_task(
            actor=self.request.user,
            cycle=data["cycle"],
            title=data.get("title", ""),
            description=data.get("description", ""),
            deadline=data.get("deadline"),
            on_time_type=data.get("on_time_type"),
            late_type=data.get("late_type"),
            assignments=[
                (item["community"], tuple(item[f] for f in PLAN_FIELDS))
                for item in data.get("assignments", [])
            ],
        )

    # If-Match is checked first: a write without it is refused whatever its body.
    def update(self, request, *args, **kwargs):
        self.expected_version(request, self.get_object().version)
        return super().update(request, *args, **kwargs)

    def destroy(self, request, *args, **kwargs):
        self.expected_version(request, self.get_object().version)
        return super().destroy(request, *args, **kwargs)

    def perform_update(self, serializer):
        changes = {
            field: value
            for field, value in serializer.validated_data.items()
            if field in services.TASK_FIELDS
        }
        serializer.instance = services.update_task(
            actor=self.request.user,
            task=serializer.instance,
            version=self.expected_version(self.request, serializer.instance.version),
            **changes,
        )

    def perform_destroy(self, instance):
        services.delete_task(
            actor=self.request.user,
            task=instance,
            version=self.expected_version(self.request, instance.version),
        )


class AssignmentFilter(FilterSet):
    cycle = IdFilter(field_name="task__cycle")

    class Meta:
        model = KeyTaskAssignment
        fields = ["cycle", "task", "community"]


@extend_schema(tags=[_("重点工作")])
class KeyTaskAssignmentViewSet(viewsets.ReadOnlyModelViewSet):
    """Each community's part of a task, with its status today (`status`: not_started,
    on_plan, behind 滞后, overdue 逾期 → 约谈, done)."""

    serializer_class = AssignmentSerializer
    permission_classes = [permissions.IsAuthenticated]
    filterset_class = AssignmentFilter

    def get_queryset(self):
        return KeyTaskAssignment.objects.for_user(self.request.user).select_related(
            "task", "community"
        )

    def get_serializer(self, *args, **kwargs):
        rows = args[0] if args else kwargs.get("instance")
        if rows is not None:
            rows = [rows] if isinstance(rows, KeyTaskAssignment) else list(rows)
            today = timezone.localdate()
            kwargs.setdefault("context", self.get_serializer_context())
            kwargs["context"]["states"] = {
                s.assignment.pk: s for s in selectors.states(rows, today)
            }
        return super().get_serializer(*args, **kwargs)


@extend_schema(tags=[_("重点工作")])
class ProgressReportViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    serializer_class = ProgressReportSerializer
    permission_classes = [
        permissions.IsAuthenticated,
        writes_only_for((Role.SECRETARY, Role.TOWN_ASSESSOR)),
    ]
    filterset_fields = ["assignment"]

    def get_queryset(self):
        return (
            ProgressReport.objects.for_user(self.request.user)
            .select_related("assignment")
            .prefetch_related("attachments")
        )

    def perform_create(self, serializer):
        data = serializer.validated_data
        outcome = services.report_progress(
            actor=self.request.user,
            assignment=data["assignment"],
            progress=data.get("progress"),
            reported_on=data.get("reported_on"),
            note=data.get("note", ""),
            uploads=data.get("files", []),
        )
        serializer.instance = outcome.report


def register(router):
    """Add this area's API routes to the project's router."""
    router.register("key-tasks", KeyTaskViewSet, basename="keytask")
    router.register("key-task-assignments", KeyTaskAssignmentViewSet, basename="keytaskassignment")
    router.register("progress-reports", ProgressReportViewSet, basename="progressreport")
