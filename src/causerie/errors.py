"""Every refusal Causerie can give, with its stable code, HTTP status and WebSocket close code.

May import: stdlib only.

One table (``ErrorCode``) maps a stable, documented code to how each transport reports it. Code
anywhere raises :class:`CauserieError`; exactly one mapper per transport (``web.app`` for HTTP,
``realtime.connection`` for the WebSocket) turns it into a response. Anything that is not a
``CauserieError`` becomes a bare ``internal_error`` with no detail, so internals never leak.

    CauserieError(code, message?, retry_after?, data?)
      └─ raised by domain rules, services and the protocol codec alike
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class _Spec:
    http: int
    en: str
    fr: str
    close: int | None = None  # WebSocket close code when the error ends the connection


class ErrorCode(enum.StrEnum):
    """Stable error codes. Clients switch on these; never rename one."""

    # entry and accounts
    UNDERAGE = "underage"
    RULES_NOT_ACCEPTED = "rules_not_accepted"
    NICKNAME_LENGTH = "nickname_length"
    NICKNAME_CHARS = "nickname_chars"
    NICKNAME_TAKEN = "nickname_taken"
    NICKNAME_RESERVED = "nickname_reserved"
    INVALID_GENDER = "invalid_gender"
    INVALID_REGION = "invalid_region"
    INVALID_AGE = "invalid_age"
    EMAIL_INVALID = "email_invalid"
    EMAIL_TAKEN = "email_taken"
    PASSWORD_WEAK = "password_weak"
    LOGIN_FAILED = "login_failed"
    NOT_AUTHENTICATED = "not_authenticated"
    ALREADY_REGISTERED = "already_registered"
    # rooms
    ROOM_NOT_FOUND = "room_not_found"
    ROOM_NAME_LENGTH = "room_name_length"
    ROOM_NAME_CHARS = "room_name_chars"
    ROOM_NAME_TAKEN = "room_name_taken"
    ROOM_TOPIC_LENGTH = "room_topic_length"
    ROOM_AGE_GATE = "room_age_gate"
    ROOM_INVITE_ONLY = "room_invite_only"
    NOT_IN_ROOM = "not_in_room"
    TOO_MANY_ROOMS_JOINED = "too_many_rooms_joined"
    TOO_MANY_ROOMS_CREATED = "too_many_rooms_created"
    NOT_ROOM_OWNER = "not_room_owner"
    # messages
    MESSAGE_EMPTY = "message_empty"
    MESSAGE_TOO_LONG = "message_too_long"
    REPLY_NOT_FOUND = "reply_not_found"
    RATE_LIMITED = "rate_limited"
    # private messages and social
    USER_NOT_FOUND = "user_not_found"
    USER_OFFLINE = "user_offline"
    DM_SELF = "dm_self"
    DM_REFUSED = "dm_refused"
    BLOCKED = "blocked"
    TOO_MANY_BLOCKS = "too_many_blocks"
    TOO_MANY_FRIENDS = "too_many_friends"
    FRIEND_REQUEST_NOT_FOUND = "friend_request_not_found"
    # protocol
    BAD_FRAME = "bad_frame"
    UNSUPPORTED_VERSION = "unsupported_version"
    FRAME_TOO_LARGE = "frame_too_large"
    ORIGIN_FORBIDDEN = "origin_forbidden"
    SLOW_CONSUMER = "slow_consumer"
    HELLO_TIMEOUT = "hello_timeout"
    BAD_REQUEST = "bad_request"
    NOT_FOUND = "not_found"
    SERVICE_UNAVAILABLE = "service_unavailable"
    INTERNAL_ERROR = "internal_error"
    # moderation (issue 4)
    FORBIDDEN = "forbidden"
    MUTED = "muted"
    BANNED = "banned"
    KICKED = "kicked"
    ROOM_LOCKED = "room_locked"
    ROOM_CLOSED = "room_closed"
    SLOW_MODE = "slow_mode"
    ACCOUNT_TOO_NEW = "account_too_new"
    EMERGENCY_READ_ONLY = "emergency_read_only"
    EMERGENCY_DMS_OFF = "emergency_dms_off"
    GUEST_ENTRY_CLOSED = "guest_entry_closed"
    GOOD_FAITH_REQUIRED = "good_faith_required"
    REPORT_TARGET_NOT_FOUND = "report_target_not_found"
    TOO_MANY_REPORTS = "too_many_reports"
    CASE_NOT_FOUND = "case_not_found"
    CASE_CLOSED = "case_closed"
    CASE_CLAIMED = "case_claimed"
    STATEMENT_NOT_FOUND = "statement_not_found"
    APPEAL_NOT_FOUND = "appeal_not_found"
    APPEAL_PERIOD_OVER = "appeal_period_over"
    APPEAL_EXISTS = "appeal_exists"
    APPEAL_SAME_MODERATOR = "appeal_same_moderator"
    APPEAL_DECIDED = "appeal_decided"
    REPORTS_SUSPENDED = "reports_suspended"
    # hardening (issue 9)
    TOO_MANY_CONNECTIONS = "too_many_connections"
    FRAME_FLOOD = "frame_flood"
    REQUEST_TOO_LARGE = "request_too_large"
    # pictures (issue 6)
    IMAGE_TOO_LARGE = "image_too_large"
    UNSUPPORTED_IMAGE = "unsupported_image"
    UPLOAD_FAILED = "upload_failed"
    PICTURES_DISABLED = "pictures_disabled"
    MEDIA_NOT_FOUND = "media_not_found"
    BANK_NOT_FOUND = "bank_not_found"

    MESSAGE_BLOCKED = "message_blocked"
    # flood control, progressive privileges, human check, rule files (issue 5)
    TOO_MANY_NEW_DMS = "too_many_new_dms"
    TOO_MANY_JOINS = "too_many_joins"
    REPEATED_MESSAGE = "repeated_message"
    PRIVILEGE_LOCKED = "privilege_locked"
    HUMAN_CHECK_REQUIRED = "human_check_required"
    HUMAN_CHECK_FAILED = "human_check_failed"
    RULE_FILE_INVALID = "rule_file_invalid"
    # legal (issue 7B)
    SIGNING_KEY_MISSING = "signing_key_missing"
    FLAGGER_KEY_INVALID = "flagger_key_invalid"

    @property
    def spec(self) -> _Spec:
        return _SPECS[self]

    @property
    def http_status(self) -> int:
        return _SPECS[self].http

    @property
    def close_code(self) -> int | None:
        return _SPECS[self].close

    def text(self, lang: str = "en") -> str:
        spec = _SPECS[self]
        return spec.fr if lang == "fr" else spec.en


_SPECS: dict[ErrorCode, _Spec] = {
    ErrorCode.UNDERAGE: _Spec(
        403, "Causerie is for adults (18 or over).", "Causerie est réservé aux adultes (18 ans ou plus)."
    ),
    ErrorCode.RULES_NOT_ACCEPTED: _Spec(
        400,
        "You must confirm you are 18 or over and accept the rules.",
        "Vous devez confirmer avoir 18 ans ou plus et accepter les règles.",
    ),
    ErrorCode.NICKNAME_LENGTH: _Spec(400, "Nickname has the wrong length.", "Le pseudo n'a pas la bonne longueur."),
    ErrorCode.NICKNAME_CHARS: _Spec(
        400, "Nickname contains forbidden characters.", "Le pseudo contient des caractères interdits."
    ),
    ErrorCode.NICKNAME_TAKEN: _Spec(
        409,
        "This nickname is taken, or too close to one in use.",
        "Ce pseudo est pris, ou trop proche d'un pseudo utilisé.",
    ),
    ErrorCode.NICKNAME_RESERVED: _Spec(409, "This nickname is reserved.", "Ce pseudo est réservé."),
    ErrorCode.INVALID_GENDER: _Spec(400, "Unknown gender value.", "Genre inconnu."),
    ErrorCode.INVALID_REGION: _Spec(400, "Unknown region.", "Région inconnue."),
    ErrorCode.INVALID_AGE: _Spec(400, "Age is not valid.", "L'âge n'est pas valide."),
    ErrorCode.EMAIL_INVALID: _Spec(400, "Email address is not valid.", "L'adresse e-mail n'est pas valide."),
    ErrorCode.EMAIL_TAKEN: _Spec(409, "Registration failed.", "L'inscription a échoué."),
    ErrorCode.PASSWORD_WEAK: _Spec(
        400, "Password is too short or too common.", "Mot de passe trop court ou trop courant."
    ),
    ErrorCode.LOGIN_FAILED: _Spec(401, "Wrong login or password.", "Identifiant ou mot de passe incorrect."),
    ErrorCode.NOT_AUTHENTICATED: _Spec(401, "You are not signed in.", "Vous n'êtes pas connecté.", close=4001),
    ErrorCode.ALREADY_REGISTERED: _Spec(409, "This account is already registered.", "Ce compte est déjà enregistré."),
    ErrorCode.ROOM_NOT_FOUND: _Spec(404, "No such room.", "Salon introuvable."),
    ErrorCode.ROOM_NAME_LENGTH: _Spec(
        400, "Room name has the wrong length.", "Le nom du salon n'a pas la bonne longueur."
    ),
    ErrorCode.ROOM_NAME_CHARS: _Spec(
        400, "Room name contains forbidden characters.", "Le nom du salon contient des caractères interdits."
    ),
    ErrorCode.ROOM_NAME_TAKEN: _Spec(409, "A room with this name exists.", "Un salon porte déjà ce nom."),
    ErrorCode.ROOM_TOPIC_LENGTH: _Spec(400, "Room topic is too long.", "Le sujet du salon est trop long."),
    ErrorCode.ROOM_AGE_GATE: _Spec(
        403, "This room is for an age group you are not in.", "Ce salon est réservé à une autre tranche d'âge."
    ),
    ErrorCode.ROOM_INVITE_ONLY: _Spec(403, "This room is invite-only.", "Ce salon est sur invitation."),
    ErrorCode.NOT_IN_ROOM: _Spec(403, "Join the room first.", "Rejoignez d'abord le salon."),
    ErrorCode.TOO_MANY_ROOMS_JOINED: _Spec(429, "You have joined too many rooms.", "Vous avez rejoint trop de salons."),
    ErrorCode.TOO_MANY_ROOMS_CREATED: _Spec(429, "You have created too many rooms.", "Vous avez créé trop de salons."),
    ErrorCode.NOT_ROOM_OWNER: _Spec(
        403, "Only the room owner can do this.", "Seul le propriétaire du salon peut faire cela."
    ),
    ErrorCode.MESSAGE_EMPTY: _Spec(400, "Message is empty.", "Le message est vide."),
    ErrorCode.MESSAGE_TOO_LONG: _Spec(400, "Message is too long.", "Le message est trop long."),
    ErrorCode.REPLY_NOT_FOUND: _Spec(
        404, "The message you reply to does not exist.", "Le message auquel vous répondez n'existe pas."
    ),
    ErrorCode.RATE_LIMITED: _Spec(429, "Slow down.", "Doucement !"),
    ErrorCode.USER_NOT_FOUND: _Spec(404, "No such user.", "Utilisateur introuvable."),
    ErrorCode.USER_OFFLINE: _Spec(409, "This user is not online.", "Cet utilisateur n'est pas en ligne."),
    ErrorCode.DM_SELF: _Spec(400, "You cannot message yourself.", "Vous ne pouvez pas vous écrire à vous-même."),
    ErrorCode.DM_REFUSED: _Spec(
        403,
        "This user does not accept private messages from you.",
        "Cet utilisateur n'accepte pas vos messages privés.",
    ),
    ErrorCode.BLOCKED: _Spec(
        403, "You cannot interact with this user.", "Vous ne pouvez pas interagir avec cet utilisateur."
    ),
    ErrorCode.TOO_MANY_BLOCKS: _Spec(429, "Your block list is full.", "Votre liste de blocage est pleine."),
    ErrorCode.TOO_MANY_FRIENDS: _Spec(429, "Your friend list is full.", "Votre liste d'amis est pleine."),
    ErrorCode.FRIEND_REQUEST_NOT_FOUND: _Spec(404, "No such friend request.", "Demande d'ami introuvable."),
    ErrorCode.BAD_FRAME: _Spec(400, "Malformed frame.", "Trame mal formée.", close=1008),
    ErrorCode.UNSUPPORTED_VERSION: _Spec(
        400, "Unsupported protocol version.", "Version de protocole non prise en charge.", close=4002
    ),
    ErrorCode.FRAME_TOO_LARGE: _Spec(413, "Frame too large.", "Trame trop grande.", close=1009),
    ErrorCode.ORIGIN_FORBIDDEN: _Spec(403, "Origin not allowed.", "Origine non autorisée.", close=1008),
    ErrorCode.SLOW_CONSUMER: _Spec(
        503,
        "Too much unread output; reconnect and resume.",
        "Trop de données en attente ; reconnectez-vous.",
        close=1013,
    ),
    ErrorCode.HELLO_TIMEOUT: _Spec(408, "No hello in time.", "Pas de hello à temps.", close=4008),
    ErrorCode.BAD_REQUEST: _Spec(400, "Bad request.", "Requête invalide."),
    ErrorCode.NOT_FOUND: _Spec(404, "Not found.", "Introuvable."),
    ErrorCode.SERVICE_UNAVAILABLE: _Spec(
        503, "Service temporarily unavailable; retry.", "Service momentanément indisponible ; réessayez."
    ),
    ErrorCode.INTERNAL_ERROR: _Spec(500, "Internal error.", "Erreur interne.", close=1011),
    # moderation (issue 4)
    ErrorCode.FORBIDDEN: _Spec(403, "You are not allowed to do this.", "Vous n'avez pas le droit de faire cela."),
    ErrorCode.MUTED: _Spec(403, "You may not post for now.", "Vous ne pouvez pas écrire pour le moment."),
    ErrorCode.BANNED: _Spec(403, "This account or network is banned.", "Ce compte ou ce réseau est banni.", close=4003),
    ErrorCode.KICKED: _Spec(
        403, "You were removed from this room for a while.", "Vous avez été exclu de ce salon pour un moment."
    ),
    ErrorCode.ROOM_LOCKED: _Spec(
        403,
        "This room is locked: only its moderators may post.",
        "Ce salon est verrouillé : seuls ses modérateurs écrivent.",
    ),
    ErrorCode.ROOM_CLOSED: _Spec(403, "This room is closed.", "Ce salon est fermé."),
    ErrorCode.SLOW_MODE: _Spec(
        429, "Slow mode: wait before posting again.", "Mode lent : attendez avant d'écrire à nouveau."
    ),
    ErrorCode.ACCOUNT_TOO_NEW: _Spec(
        403, "Your account is too new to post in this room.", "Votre compte est trop récent pour écrire dans ce salon."
    ),
    ErrorCode.EMERGENCY_READ_ONLY: _Spec(
        403,
        "New guests may only read for now (safety measure).",
        "Les nouveaux invités peuvent seulement lire pour le moment (mesure de sécurité).",
    ),
    ErrorCode.EMERGENCY_DMS_OFF: _Spec(
        403,
        "Private messages to people who have not accepted you are off for now (safety measure).",
        "Les messages privés aux personnes qui ne vous ont pas accepté sont coupés pour le moment (mesure de sécurité).",
    ),
    ErrorCode.GUEST_ENTRY_CLOSED: _Spec(
        503,
        "Guest entry is closed for now (safety measure); registered members can log in.",
        "L'entrée des invités est fermée pour le moment (mesure de sécurité) ; les membres inscrits peuvent se connecter.",
    ),
    ErrorCode.GOOD_FAITH_REQUIRED: _Spec(
        400,
        "Confirm that your report is made in good faith.",
        "Confirmez que votre signalement est fait de bonne foi.",
    ),
    ErrorCode.REPORT_TARGET_NOT_FOUND: _Spec(
        404,
        "The reported message, user or room does not exist.",
        "Le message, l'utilisateur ou le salon signalé n'existe pas.",
    ),
    ErrorCode.TOO_MANY_REPORTS: _Spec(
        429, "Too many reports; try again later.", "Trop de signalements ; réessayez plus tard."
    ),
    ErrorCode.CASE_NOT_FOUND: _Spec(404, "No such case.", "Dossier introuvable."),
    ErrorCode.CASE_CLOSED: _Spec(409, "This case is closed.", "Ce dossier est clos."),
    ErrorCode.CASE_CLAIMED: _Spec(
        409, "Another moderator has claimed this case.", "Un autre modérateur a pris ce dossier."
    ),
    ErrorCode.STATEMENT_NOT_FOUND: _Spec(404, "No such decision.", "Décision introuvable."),
    ErrorCode.APPEAL_NOT_FOUND: _Spec(404, "No such appeal.", "Recours introuvable."),
    ErrorCode.APPEAL_PERIOD_OVER: _Spec(
        403, "The period to contest this decision is over.", "Le délai pour contester cette décision est dépassé."
    ),
    ErrorCode.APPEAL_EXISTS: _Spec(409, "This decision is already contested.", "Cette décision est déjà contestée."),
    ErrorCode.APPEAL_SAME_MODERATOR: _Spec(
        403,
        "An appeal must be decided by a moderator who did not take the decision.",
        "Un recours doit être tranché par un autre modérateur que l'auteur de la décision.",
    ),
    ErrorCode.APPEAL_DECIDED: _Spec(409, "This appeal was already decided.", "Ce recours a déjà été tranché."),
    ErrorCode.REPORTS_SUSPENDED: _Spec(
        403,
        "Your reports are suspended for frequent manifestly unfounded reports (DSA art. 23).",
        "Vos signalements sont suspendus : trop de signalements manifestement infondés (DSA art. 23).",
    ),
    # hardening (issue 9)
    ErrorCode.TOO_MANY_CONNECTIONS: _Spec(
        429,
        "Too many connections from your network or account; close a tab or retry later.",
        "Trop de connexions depuis votre réseau ou votre compte ; fermez un onglet ou réessayez plus tard.",
        close=1008,
    ),
    ErrorCode.FRAME_FLOOD: _Spec(
        429, "Too many frames; connection closed.", "Trop de trames ; connexion fermée.", close=1008
    ),
    ErrorCode.REQUEST_TOO_LARGE: _Spec(413, "Request body too large.", "Corps de requête trop grand."),
    # pictures (issue 6)
    ErrorCode.IMAGE_TOO_LARGE: _Spec(413, "This picture is too large.", "Cette image est trop grande."),
    ErrorCode.UNSUPPORTED_IMAGE: _Spec(
        415,
        "Unsupported picture: send a JPEG, PNG, WebP or GIF.",
        "Image non prise en charge : envoyez un JPEG, PNG, WebP ou GIF.",
    ),
    # deliberately vague: the same answer for a hash match, a restricted account and a storage failure
    ErrorCode.UPLOAD_FAILED: _Spec(422, "The upload failed.", "L'envoi a échoué."),
    ErrorCode.PICTURES_DISABLED: _Spec(
        403, "Pictures are not available here for now.", "Les images ne sont pas disponibles ici pour le moment."
    ),
    ErrorCode.MEDIA_NOT_FOUND: _Spec(404, "No such picture.", "Image introuvable."),
    ErrorCode.BANK_NOT_FOUND: _Spec(404, "No such hash bank.", "Liste d'empreintes introuvable."),
    ErrorCode.MESSAGE_BLOCKED: _Spec(
        403,
        "This message breaks the rules and was not sent.",
        "Ce message enfreint les règles et n'a pas été envoyé.",
    ),
    ErrorCode.TOO_MANY_NEW_DMS: _Spec(
        429,
        "You have started too many new conversations; wait before writing to someone new.",
        "Vous avez ouvert trop de nouvelles conversations ; attendez avant d'écrire à quelqu'un de nouveau.",
    ),
    ErrorCode.TOO_MANY_JOINS: _Spec(
        429, "Too many rooms entered; wait a moment.", "Trop de salons rejoints ; patientez un instant."
    ),
    ErrorCode.REPEATED_MESSAGE: _Spec(
        429,
        "You have sent this same message too many times; wait before sending it again.",
        "Vous avez envoyé ce même message trop de fois ; attendez avant de le renvoyer.",
    ),
    ErrorCode.PRIVILEGE_LOCKED: _Spec(
        403,
        "Your account is too new for this; it unlocks soon.",
        "Votre compte est trop récent pour cela ; ce sera possible bientôt.",
    ),
    ErrorCode.HUMAN_CHECK_REQUIRED: _Spec(
        403,
        "Please complete the human check to enter.",
        "Veuillez passer la vérification anti-robot pour entrer.",
    ),
    ErrorCode.HUMAN_CHECK_FAILED: _Spec(
        403,
        "The human check failed or expired; try again.",
        "La vérification anti-robot a échoué ou expiré ; réessayez.",
    ),
    ErrorCode.RULE_FILE_INVALID: _Spec(422, "This rule file is invalid.", "Ce fichier de règles est invalide."),
    ErrorCode.SIGNING_KEY_MISSING: _Spec(
        503,
        "No signing key is configured for evidence bundles (causerie legal keygen).",
        "Aucune clé de signature n'est configurée pour les exports de preuves (causerie legal keygen).",
    ),
    ErrorCode.FLAGGER_KEY_INVALID: _Spec(
        401,
        "This trusted flagger key is unknown or revoked.",
        "Cette clé de signaleur de confiance est inconnue ou révoquée.",
    ),
}

assert set(_SPECS) == set(ErrorCode), "every ErrorCode needs a spec"


@dataclass(slots=True)
class CauserieError(Exception):
    """A refusal with a stable code. ``message`` overrides the default text (keep it safe to show)."""

    code: ErrorCode
    message: str | None = None
    retry_after: float | None = None
    data: dict[str, object] = field(default_factory=dict)

    def __post_init__(self) -> None:
        Exception.__init__(self, self.code.value)

    def text(self, lang: str = "en") -> str:
        return self.message or self.code.text(lang)

    def __str__(self) -> str:
        return f"{self.code.value}: {self.text()}"
