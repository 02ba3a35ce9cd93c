"""Status enums shared by the database (PostgreSQL enum types) and every service."""

from enum import StrEnum


class CommandStatus(StrEnum):
    RECEIVED = "RECEIVED"
    PROCESSING = "PROCESSING"
    COMPLETED = "COMPLETED"
    FAILED = "FAILED"


#: A command in one of these states blocks a second command of the same type (partial unique index).
PENDING_COMMAND_STATUSES = frozenset({CommandStatus.RECEIVED, CommandStatus.PROCESSING})


class TaskStatus(StrEnum):
    PENDING = "PENDING"
    RUNNING = "RUNNING"
    COMPLETED = "COMPLETED"
    FAILED = "FAILED"
    CANCELLED = "CANCELLED"


TERMINAL_TASK_STATUSES = frozenset({TaskStatus.COMPLETED, TaskStatus.FAILED, TaskStatus.CANCELLED})


class OutboxStatus(StrEnum):
    PENDING = "PENDING"
    SENT = "SENT"
    FAILED = "FAILED"


class HandleStatus(StrEnum):
    PENDING_PAUSE = "PENDING_PAUSE"
    PAUSED = "PAUSED"
    RESUMED = "RESUMED"
    EXPIRED = "EXPIRED"


#: At most one handle per correlation id may be waiting (partial unique index).
WAITING_HANDLE_STATUSES = frozenset({HandleStatus.PENDING_PAUSE, HandleStatus.PAUSED})


class GenesisStatus(StrEnum):
    IN_PROGRESS = "IN_PROGRESS"
    COMPLETED = "COMPLETED"
    ABANDONED = "ABANDONED"


class GenesisStage(StrEnum):
    CONCEPT_SELECTION = "CONCEPT_SELECTION"
    STORY_CONCEPTION = "STORY_CONCEPTION"
    WORLDVIEW = "WORLDVIEW"
    CHARACTERS = "CHARACTERS"
    PLOT_OUTLINE = "PLOT_OUTLINE"
    FINISHED = "FINISHED"


class NovelStatus(StrEnum):
    GENESIS = "GENESIS"
    GENERATING = "GENERATING"
    PAUSED = "PAUSED"
    COMPLETED = "COMPLETED"
    FAILED = "FAILED"


class IdempotencyState(StrEnum):
    IN_PROGRESS = "IN_PROGRESS"
    COMPLETED = "COMPLETED"


#: PostgreSQL enum type name -> Python enum, the single list migrations and tests check against.
DATABASE_ENUMS: dict[str, type[StrEnum]] = {
    "command_status": CommandStatus,
    "task_status": TaskStatus,
    "outbox_status": OutboxStatus,
    "handle_status": HandleStatus,
    "genesis_status": GenesisStatus,
    "genesis_stage": GenesisStage,
    "novel_status": NovelStatus,
    "idempotency_state": IdempotencyState,
}
