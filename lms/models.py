"""Every model, imported in one place so metadata (and Alembic) sees all tables."""
from lms.db import Base
from lms.accounts.models import Role, User
from lms.audit.models import AuditEvent
from lms.cohorts.models import CourseTrainer, SessionCourse, SessionMember, SessionTrainer, TrainingSession
from lms.assessment.models import Attempt, AttemptItem, Question
from lms.catalog.learning_models import Enrolment, LessonProgress
from lms.catalog.models import Course, CourseAsset, CourseVersion, Lesson, Module
from lms.credentials.models import Certificate, CertificateEvent
from lms.onboarding.models import ApiClient, OcopProduct, OnboardingRuleSet, SellerNote, SellerProfile, ShopHandle, WebhookEvent

__all__ = ["ApiClient", "OcopProduct", "OnboardingRuleSet", "SellerNote", "SellerProfile", "ShopHandle", "WebhookEvent", "Attempt", "AttemptItem", "AuditEvent", "Base", "CourseTrainer", "SessionCourse", "SessionMember", "SessionTrainer", "TrainingSession", "Certificate", "CertificateEvent", "Course", "CourseAsset", "CourseVersion", "Enrolment", "Lesson", "LessonProgress", "Module", "Question", "Role", "User"]
