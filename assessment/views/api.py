"""REST API: staff manage studies; readers list their own items and post judgments."""

from __future__ import annotations

from django.db.models import Exists, OuterRef, Q
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import generics, mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.permissions import IsAdminUser, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from assessment.errors import AlreadyAnsweredError, AnswerError, AssessmentError
from assessment.models import Assignment, Judgment, Study
from assessment.serializers import (
    CaseSerializer,
    JudgmentReceiptSerializer,
    JudgmentSubmitSerializer,
    ReaderAssignmentSerializer,
    StudyEnrolResultSerializer,
    StudyEnrolSerializer,
    StudyOpenSerializer,
    StudySeedSerializer,
    StudySerializer,
)
from assessment.services import (
    judgment_submit,
    study_close,
    study_enrol,
    study_open,
    study_seed,
)

STAFF_ONLY = OpenApiResponse(description="not signed in, or not staff")
NO_STUDY = OpenApiResponse(description="no such study")
BAD_REQUEST = OpenApiResponse(description="the request breaks a study rule; detail says which")


@extend_schema_view(
    list=extend_schema(responses={200: StudySerializer(many=True), 403: STAFF_ONLY}),
    retrieve=extend_schema(responses={200: StudySerializer, 403: STAFF_ONLY, 404: NO_STUDY}),
)
class StudyViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):  # fmt: skip
    """Studies (staff only). Creating one seeds it from the ECG store."""

    queryset = Study.objects.all()
    serializer_class = StudySerializer
    permission_classes = [IsAdminUser]

    @extend_schema(
        request=StudySeedSerializer,
        responses={201: StudySerializer, 400: BAD_REQUEST, 403: STAFF_ONLY},
    )
    def create(self, request: Request) -> Response:
        """Seed a study (``study_seed``); bad requests say what is wrong."""
        seed = StudySeedSerializer(data=request.data)
        seed.is_valid(raise_exception=True)
        try:
            study = study_seed(**seed.seed_kwargs())
        except AssessmentError as exc:
            raise ValidationError({"detail": str(exc)}) from exc
        return Response(StudySerializer(study).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        request=StudyOpenSerializer,
        responses={200: StudySerializer, 400: BAD_REQUEST, 403: STAFF_ONLY, 404: NO_STUDY},
    )
    @action(detail=True, methods=["post"])
    def open(self, request: Request, pk: str) -> Response:
        """Run the blinding audit, then freeze the study and build every reader's
        assignments; a study that fails the audit opens only with an override reason."""
        body = StudyOpenSerializer(data=request.data)
        body.is_valid(raise_exception=True)

        def open_with_reason(*, study: Study) -> Study:
            return study_open(
                study=study,
                override_reason=body.validated_data["override_reason"],
                opened_by=request.user.get_username(),
            )

        return self._lifecycle(open_with_reason)

    @extend_schema(
        request=StudyEnrolSerializer,
        responses={
            200: StudyEnrolResultSerializer,
            400: BAD_REQUEST,
            403: STAFF_ONLY,
            404: NO_STUDY,
        },
    )
    @action(detail=True, methods=["post"])
    def enrol(self, request: Request, pk: str) -> Response:
        """Add readers to a draft or open study (in an open one their items are built at
        once); a reader who saw one of its ECGs in another study is refused."""
        body = StudyEnrolSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        study = self.get_object()
        usernames = body.validated_data["readers"]
        try:
            created = study_enrol(study=study, usernames=usernames)
        except AssessmentError as exc:
            raise ValidationError({"detail": str(exc)}) from exc
        enrolled = [enrolment.reader.get_username() for enrolment in created]
        study.refresh_from_db()
        result = {
            "study": study,
            "enrolled": enrolled,
            "already_enrolled": sorted(set(usernames) - set(enrolled)),
        }
        return Response(StudyEnrolResultSerializer(result).data)

    @extend_schema(
        request=None,
        responses={200: StudySerializer, 400: BAD_REQUEST, 403: STAFF_ONLY, 404: NO_STUDY},
    )
    @action(detail=True, methods=["post"])
    def close(self, request: Request, pk: str) -> Response:
        """Stop accepting judgments."""
        return self._lifecycle(study_close)

    def _lifecycle(self, service) -> Response:
        try:
            study = service(study=self.get_object())
        except AssessmentError as exc:
            raise ValidationError({"detail": str(exc)}) from exc
        return Response(StudySerializer(study).data)


@extend_schema(responses={200: CaseSerializer(many=True), 403: STAFF_ONLY, 404: NO_STUDY})
class StudyCaseList(generics.ListAPIView):
    """A study's cases with provenance (staff only)."""

    serializer_class = CaseSerializer
    permission_classes = [IsAdminUser]

    def get_queryset(self):
        study = get_object_or_404(Study, pk=self.kwargs["pk"])
        return study.cases.all()


class MyAssignmentList(generics.ListAPIView):
    """The requesting reader's own items in opened studies, blinded."""

    serializer_class = ReaderAssignmentSerializer
    permission_classes = [IsAuthenticated]

    def get_queryset(self):
        # Before the reveal of an unaware-phase study, only its unaware items are listed:
        # later items would tell the reader that synthetic ECGs are coming.
        before_reveal = Q(
            enrolment__study__unaware_phase=True, enrolment__revealed_at__isnull=True
        ) & ~Q(phase=Assignment.Phase.UNAWARE)
        return (
            Assignment.objects.filter(enrolment__reader=self.request.user)
            .exclude(enrolment__study__status=Study.Status.DRAFT)
            .exclude(before_reveal)
            .select_related("enrolment__study", "case")
            .annotate(answered=Exists(Judgment.objects.filter(assignment=OuterRef("pk"))))
            .order_by("enrolment_id", "position")
        )


class JudgmentCreate(generics.GenericAPIView):
    """Post a judgment; replaying a ``client_token`` returns the stored one (200)."""

    serializer_class = JudgmentSubmitSerializer
    permission_classes = [IsAuthenticated]

    @extend_schema(
        responses={
            201: JudgmentReceiptSerializer,
            200: JudgmentReceiptSerializer,
            400: OpenApiResponse(description="the answer breaks the item's rules"),
            404: OpenApiResponse(description="no such item among the reader's own"),
            409: OpenApiResponse(description="already answered; changes not allowed"),
        }
    )
    def post(self, request: Request) -> Response:
        submit = self.get_serializer(data=request.data)
        submit.is_valid(raise_exception=True)
        try:
            result = judgment_submit(reader=request.user, **submit.service_kwargs())
        except Assignment.DoesNotExist as exc:
            raise NotFound from exc
        except AlreadyAnsweredError as exc:
            return Response({"detail": str(exc)}, status=status.HTTP_409_CONFLICT)
        except AnswerError as exc:
            raise ValidationError({exc.field: [exc.message]}) from exc
        except AssessmentError as exc:
            raise ValidationError({"detail": str(exc)}) from exc
        judgment = result.judgment
        judgment.created = result.created
        code = status.HTTP_201_CREATED if result.created else status.HTTP_200_OK
        return Response(JudgmentReceiptSerializer(judgment).data, status=code)
