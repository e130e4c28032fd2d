"""Named errors, and the one source of the state machine's retry policy.

Step Functions sees an exception's class name as the task's error name (Lambda's ``errorType``),
so every class here is part of the state machine's contract. The names the ASL retries
(:data:`TRANSIENT_ERROR_NAMES`) and the ones it sends straight to the dead-letter path
(:data:`PERMANENT_ERROR_NAMES`) are computed from the class tree below, and :data:`RETRY_POLICY`
is the ``Retry`` list every Lambda task of ``statemachine/*.asl.json`` must carry (a test checks
each task against it). Renaming a class is an interface change.

No exception message ever contains a credential: messages are built from service names, status
codes, SOLIDserver's ``errno``/``errmsg`` and parameter *names* only.
"""

from __future__ import annotations


class IpamsyncError(Exception):
    """Base class of every error ipamsync raises on purpose."""

    retryable = False

    def to_dict(self) -> dict[str, object]:
        return {"error": type(self).__name__, "message": str(self)}


class TransientError(IpamsyncError):
    """Worth retrying later with backoff: nothing was (or may have been) applied."""

    retryable = True


class PermanentError(IpamsyncError):
    """Retrying the same input gives the same failure: dead-letter it."""


# --------------------------------------------------------------------------- SOLIDserver


class SolidServerError(IpamsyncError):
    """An error from (or on the way to) SOLIDserver, with what the API said about it."""

    def __init__(
        self,
        message: str,
        *,
        service: str = "",
        status: int | None = None,
        errno: str | None = None,
        errmsg: str | None = None,
        method: str = "",
        details: dict[str, str] | None = None,
    ) -> None:
        self.service = service
        self.status = status
        self.errno = errno
        self.errmsg = errmsg
        self.method = method
        #: the other fields of SOLIDserver's error object (``parameters``, ``severity``,
        #: ``service_name``, ``category``, and what names the object in the way: ``site_name``,
        #: ``ip_addr``…), as strings
        self.details: dict[str, str] = dict(details or {})
        detail = [f"service={service}" if service else "", f"status={status}" if status is not None else ""]
        if errno:
            detail.append(f"errno={errno}")
        if errmsg:
            detail.append(f"errmsg={errmsg}")
        text = " ".join(d for d in detail if d)
        super().__init__(f"{message} ({text})" if text else message)

    def to_dict(self) -> dict[str, object]:
        return {
            "error": type(self).__name__,
            "message": str(self),
            "service": self.service,
            "status": self.status,
            "errno": self.errno,
            "errmsg": self.errmsg,
            "details": self.details,
        }


class SolidServerUnavailable(SolidServerError, TransientError):
    """5xx, connection refused or reset, TLS handshake cut: the appliance is not answering well."""


class SolidServerTimeout(SolidServerError, TransientError):
    """Connect or read timeout."""


class SolidServerThrottled(SolidServerError, TransientError):
    """HTTP 429. ``retry_after`` is the server's ``Retry-After`` in seconds, when it sent one."""

    def __init__(self, message: str, *, retry_after: float | None = None, **kw: object) -> None:
        self.retry_after = retry_after
        super().__init__(message, **kw)  # type: ignore[arg-type]


class SolidServerAuthError(SolidServerError, PermanentError):
    """401/403 or a token signature/clock problem (412 on the version probe)."""


class SolidServerRequestError(SolidServerError, PermanentError):
    """4xx: the appliance refused the request (validation or business rule)."""


class SolidServerNotFound(SolidServerRequestError):
    """The object the request names does not exist (or no longer exists)."""


class SolidServerConflict(SolidServerRequestError):
    """The appliance refused because the object (name, address, network) already exists."""


class UnexpectedResponse(SolidServerError, PermanentError):
    """The answer does not have the documented shape (not JSON, not rows, no ret_oid...)."""


# --------------------------------------------------------------------------- sync


class _Held(IpamsyncError):
    """An error about an object ipamsync wants: its kind, its key and who holds it."""

    def __init__(self, message: str, *, object_type: str = "", key: str = "", holder: str = "") -> None:
        self.object_type = object_type
        self.key = key
        self.holder = holder
        super().__init__(message)

    def to_dict(self) -> dict[str, object]:
        return {
            "error": type(self).__name__,
            "message": str(self),
            "object_type": self.object_type,
            "key": self.key,
            "holder": self.holder,
        }


class OwnershipConflict(_Held, PermanentError):
    """An address, name or object ipamsync wants is held by something ipamsync does not own.

    Nothing is overwritten: the event goes to the dead-letter queue with this error.
    """


class HeldByAnotherInstance(_Held, TransientError):
    """An address or record ipamsync wants is held by another managed instance whose newer
    observation is being applied right now: once that execution ends, which of the two holds it
    is decided by their observation times (README, "Addresses change hands")."""


class InstanceBusy(_Held, TransientError):
    """Another execution holds this instance's lease (``ipamsync.sync.lease``): retried until it
    gives it back or its lease expires."""


class InvalidMessage(PermanentError):
    """The input is not a valid ipamsync message or EventBridge event (the message says which field)."""


class InstanceNotFound(TransientError):
    """EC2 does not (yet) know the instance of a non-terminal event.

    Right after launch EC2's API is eventually consistent, so the enrich Lambda's asynchronous
    retries are the right remedy; after them the event lands in the dead-letter queue.
    """


class QueueRefused(TransientError):
    """SQS refused some messages of a batch: the event is retried whole (the FIFO queue drops the
    copies already accepted: deduplication ids are per event and instance)."""


class OverlappingRange(OwnershipConflict):
    """A VPC or subnet CIDR overlaps a network ipamsync already synced for a VPC of another account
    or region in the same IP space. With ``IPAM_SPACE_STRATEGY=single`` every account
    shares one space, and SOLIDserver keeps one network per range in a space: choose
    ``per-account``, ``per-account-region`` or ``per-vpc`` when ranges are reused (README, "Overlapping
    ranges"). Nothing is written over the other VPC's networks; the event is dead-lettered."""


class MemberAccessRefused(PermanentError):
    """The member account's read-only role refused the hub (``sts:AssumeRole`` denied: the member
    stack is missing, or its trust policy, role name or external id do not match). Retrying gives the
    same answer: the event is dead-lettered with the account named, and the ``MemberAccessRefused``
    metric raises its alarm."""

    def __init__(self, message: str, *, account: str = "", role_arn: str = "") -> None:
        self.account = account
        self.role_arn = role_arn
        super().__init__(message)

    def to_dict(self) -> dict[str, object]:
        return {
            "error": type(self).__name__,
            "message": str(self),
            "account": self.account,
            "role_arn": self.role_arn,
        }


class ConfigurationError(PermanentError):
    """ipamsync's configuration does not match SOLIDserver (missing DNS server, bad setting...)."""


# --------------------------------------------------------------------------- reconcile


class ListingIncomplete(IpamsyncError):
    """Reconcile could not list EC2 or SOLIDserver in full for an account and region (throttling,
    a timeout, the appliance down, a role refused): that account and region's run fails and queues
    nothing, since an incomplete listing would declare instances orphaned. Only the reconcile
    workflow sees it (it retries it a bounded number of times, then the run fails and alarms): it is
    neither in the sync workflow's retry list nor in its dead-letter list."""

    retryable = True

    def __init__(self, message: str, *, source: str, cause: str) -> None:
        self.source = source  # "ec2" | "solidserver"
        self.cause = cause  # the underlying error's name
        super().__init__(message)

    def to_dict(self) -> dict[str, object]:
        return {
            "error": type(self).__name__,
            "message": str(self),
            "source": self.source,
            "cause": self.cause,
        }


def _leaves(base: type[IpamsyncError]) -> tuple[str, ...]:
    """Names of the concrete errors under ``base``, in definition order."""
    out: list[str] = []

    def walk(cls: type) -> None:
        sub: type
        for sub in cls.__subclasses__():
            if sub.__module__ == __name__ and sub.__name__ not in out:
                out.append(sub.__name__)
            walk(sub)

    walk(base)
    return tuple(n for n in out if n not in _ABSTRACT)


_ABSTRACT = frozenset({"SolidServerError", "_Held"})

#: Error names the state machine retries with backoff: every :class:`TransientError`.
TRANSIENT_ERROR_NAMES: tuple[str, ...] = _leaves(TransientError)

#: Error names that go straight to the dead-letter path: every :class:`PermanentError`.
PERMANENT_ERROR_NAMES: tuple[str, ...] = _leaves(PermanentError)

#: Errors that say the input itself can never be applied: ``redrive`` keeps such entries in their
#: queue instead of replaying them (every other error may succeed once its cause is fixed).
INPUT_ERROR_NAMES: tuple[str, ...] = ("InvalidMessage",)

#: Lambda's own service errors (the ``lambda:invoke`` integration's names).
LAMBDA_SERVICE_ERRORS: tuple[str, ...] = (
    "Lambda.ServiceException",
    "Lambda.AWSLambdaException",
    "Lambda.SdkClientException",
)

#: The ``Retry`` list of every Lambda task, in order (README "State machine" explains each):
#: L = Lambda service errors, R = throttling by the sync functions' reserved concurrency (the load
#: bound on SOLIDserver: expected under bursts, waited out), T = ipamsync's transient errors,
#: Timeout = a task or function timeout, retried once.
RETRY_POLICY: tuple[dict[str, object], ...] = (
    {
        "ErrorEquals": list(LAMBDA_SERVICE_ERRORS),
        "IntervalSeconds": 1,
        "BackoffRate": 2.0,
        "MaxAttempts": 3,
        "MaxDelaySeconds": 4,
        "JitterStrategy": "FULL",
    },
    {
        "ErrorEquals": ["Lambda.TooManyRequestsException"],
        "IntervalSeconds": 1,
        "BackoffRate": 2.0,
        "MaxAttempts": 6,
        "MaxDelaySeconds": 4,
        "JitterStrategy": "FULL",
    },
    {
        "ErrorEquals": list(TRANSIENT_ERROR_NAMES),
        "IntervalSeconds": 2,
        "BackoffRate": 2.0,
        "MaxAttempts": 3,
        "MaxDelaySeconds": 8,
        "JitterStrategy": "FULL",
    },
    {"ErrorEquals": ["States.Timeout", "Sandbox.Timedout"], "IntervalSeconds": 2, "MaxAttempts": 1},
)
