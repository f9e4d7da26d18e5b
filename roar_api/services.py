"""The services of the API: proto module under ``roar_api.v1`` -> service name. roard registers
a handler for each; roarctl opens a stub for each by the same short name (``stubs.jobs``)."""

SERVICES: dict[str, str] = {
    "daemon": "DaemonService",
    "events": "EventService",
    "runs": "RunService",
    "jobs": "JobService",
    "workspaces": "WorkspaceService",
    "lineage": "LineageService",
    "artifacts": "ArtifactService",
    "config": "ConfigService",
    "tracers": "TracerService",
    "env": "EnvService",
    "labels": "LabelService",
    "transfers": "TransferService",
    "reproductions": "ReproductionService",
    "registration": "RegistrationService",
    "files": "FileService",
}
