"""A JSON Schema of the drejebog language, for editors (autocomplete, hover help, red lines).

Built from the parser's own definitions: the keys each part may have are engine/parser.py's
`*_KEYS` tuples, imported here, and the units, adjustments, fact types and built-in roles come
from the engine's enums; what the schema adds is the shape of each value and a Danish text per
key. tests/test_schema.py keeps the rest in step: every key has a description, every key the
schema calls required is one `check` refuses to do without, and every shipped drejebog and
every example in the guide validates. `drejebog schema` prints it; the shipped drejebøger point
their editor at workflows/drejebog.schema.json, which the same test compares with the output.
"""

from __future__ import annotations

from typing import Any

from drejebog.engine import casewide, parser, targets
from drejebog.engine.durations import Adjust, Unit
from drejebog.engine.model import BUILTIN_ROLES, FactType

SCHEMA_ID = "https://drejebog.dk/schema/drejebog.schema.json"
Shape = dict[str, Any]
Shapes = dict[str, tuple[Shape, str]]

_NAME: Shape = {"type": "string", "pattern": "^[a-zæøå][a-z0-9æøå_]*$", "maxLength": 64}
_UNIT_WORDS = "dag|dage|arbejdsdag|arbejdsdage|uge|uger|måned|måneder"
_DURATION: Shape = {
    "type": "string",
    "pattern": (
        rf"^\s*([0-9]+\s+({_UNIT_WORDS})(\s+\(?månedsslut\)?)?"
        r"|(inden\s+)?udgangen\s+af\s+uge\s+[0-9]+)\s*$"
    ),
    "description": (
        "En varighed: et helt tal og en enhed ("
        + ", ".join(u.value for u in Unit if u is not Unit.WEEK_ENDS)
        + "), fx '14 dage', '10 arbejdsdage', '1 måned (månedsslut)' eller 'udgangen af uge 10'."
    ),
    "examples": ["14 dage", "10 arbejdsdage", "6 uger", "1 måned", "udgangen af uge 10"],
}
_SPAN: Shape = {
    "type": "string",
    "pattern": r"^\s*[0-9]+\s+(dag|dage|uge|uger|måned|måneder|år)(\s+(før|efter))?\s*$",
    "examples": ["10 år før", "6 måneder efter", "5 år"],
}
_TIME: Shape = {"type": "string", "pattern": "^[0-9]{1,2}:[0-9]{2}$", "examples": ["08:00"]}
_DATE: Shape = {"type": "string", "format": "date", "examples": ["2027-05-07"]}
_ROLE: Shape = {
    "anyOf": [{"enum": list(BUILTIN_ROLES)}, _NAME],
    "description": "En rolle: "
    + ", ".join(BUILTIN_ROLES)
    + " eller en rolle erklæret under 'roller'.",
}
_ROLES: Shape = {"anyOf": [_ROLE, {"type": "array", "items": _ROLE, "minItems": 1}]}
_NAMES: Shape = {"anyOf": [_NAME, {"type": "array", "items": _NAME}]}
_ADJUST: Shape = {"enum": [a.value for a in Adjust]}
_CONDITION: Shape = {"type": "string", "examples": ["indstilling == 'ressourceforloeb'"]}
_TEXT: Shape = {"type": "string"}
_BOOL: Shape = {"type": "boolean"}
_SCALAR: Shape = {"type": ["string", "number", "boolean", "null"]}

# (shape, Danish description) per key of each part; the keys are the parser's own
_TOP: Shapes = {
    "drejebog": (_NAME, "Drejebogens id, fx ressourceforloeb."),
    "hele_sagen": (
        {"$ref": "#/$defs/hele_sagen"},
        "Regler for hele sagen: de starter, når sagen åbnes, og gælder, til sagen når en "
        "sluttilstand, uanset tilstandsskift (se guidens afsnit 2.19).",
    ),
    "titel": (_TEXT, "Drejebogens titel på dansk."),
    "version": ({"type": ["integer", "string"]}, "Versionsnummer, som I selv tæller op."),
    "beskrivelse": (_TEXT, "Fri beskrivelse."),
    "klokken": (_TIME, "Klokkeslæt (dansk tid) for alle frister, påmindelser og eskaleringer."),
    "lukkedage": (
        {"type": "array", "items": _DATE},
        "Jobcentrets egne lukkedage; tæller som ikke-arbejdsdage.",
    ),
    "roller": (
        {
            "type": "object",
            "propertyNames": _NAME,
            "additionalProperties": {"$ref": "#/$defs/rolle"},
        },
        "Ekstra roller ud over de indbyggede.",
    ),
    "fakta": (
        {
            "type": "object",
            "propertyNames": _NAME,
            "additionalProperties": {"$ref": "#/$defs/faktum"},
        },
        "De oplysninger, der gemmes på sagen.",
    ),
    "skabeloner": (
        {
            "type": "object",
            "propertyNames": _NAME,
            "additionalProperties": {"$ref": "#/$defs/skabelon"},
        },
        "Beskedtekster, der bruges flere steder.",
    ),
    "start": (_NAME, "Den tilstand, en ny sag starter i."),
    "tilstande": (
        {
            "type": "object",
            "propertyNames": _NAME,
            "additionalProperties": {"$ref": "#/$defs/tilstand"},
        },
        "Forløbets tilstande.",
    ),
    "hændelser": (
        {
            "type": "object",
            "propertyNames": _NAME,
            "additionalProperties": {"$ref": "#/$defs/hændelse"},
        },
        "Forløbets hændelser.",
    ),
    "måltal": (
        {"type": "array", "items": {"$ref": "#/$defs/måltal"}},
        "De tal, jobcentret måles på (se guidens afsnit 2.17).",
    ),
    "opbevaring": (
        _SPAN,
        "Hvor længe en lukket sags personoplysninger gemmes (standard 5 år), derefter "
        "anonymiseres sagen.",
    ),
}
_STATE: Shapes = {
    "titel": (_TEXT, "Tilstandens titel."),
    "beskrivelse": (_TEXT, "Fri beskrivelse."),
    "slut": (_BOOL, "true: en sluttilstand; sagen lukkes her."),
    "frister": ({"type": "array", "items": {"$ref": "#/$defs/frist"}}, "Tilstandens frister."),
    "opgaver": ({"type": "array", "items": {"$ref": "#/$defs/opgave"}}, "Tilstandens opgaver."),
    "tilbagevendende": (
        {"type": "array", "items": {"$ref": "#/$defs/pligt"}},
        "Tilbagevendende pligter, fx en månedlig tilbagemelding.",
    ),
    "mindst": (
        {"type": "array", "items": {"$ref": "#/$defs/mindst"}},
        "Mindst et antal hændelser inden en periode, ellers får nogen besked (afsnit 2.21).",
    ),
}
_MESSAGE: Shapes = {
    "skabelon": (_NAME, "En skabelon fra 'skabeloner'."),
    "emne": (_TEXT, "Beskedens emne (en skabelontekst)."),
    "tekst": (_TEXT, "Beskedens tekst (en skabelontekst)."),
}
_RULE_COMMON: Shapes = {
    "navn": (_NAME, "Reglens navn, unikt i drejebogen."),
    "titel": (_TEXT, "Reglens titel."),
    "regnes_fra": (
        _NAME,
        "Udgangspunktet: 'indtræden' eller et dato- eller tidspunkt-faktum (et tidspunkt: "
        "påmindelserne kommer på mødets eget klokkeslæt).",
    ),
    "helligdag": (_ADJUST, "Hvad der sker, hvis datoen er en ikke-arbejdsdag."),
    "klokken": (_TIME, "Klokkeslæt for reglens beskeder (ellers drejebogens)."),
    "opfyldes_af": (_NAMES, "Hændelser, der opfylder reglen."),
    "påmindelser": (
        {"type": "array", "items": {"$ref": "#/$defs/påmindelse"}},
        "Påmindelser før fristdagen.",
    ),
    "eskalering": (
        {"type": "array", "items": {"$ref": "#/$defs/eskaleringstrin"}},
        "Trin efter overskridelsen.",
    ),
    "hvis": (_CONDITION, "Reglen gælder kun, hvis betingelsen er sand."),
}
_DEADLINE: Shapes = {
    **_RULE_COMMON,
    "frist": (_DURATION, "Hvor lang fristen er."),
    "ejer": (_ROLE, "Hvem fristen påhviler."),
}
_TASK: Shapes = {
    **_RULE_COMMON,
    **_MESSAGE,
    "rolle": (_ROLE, "Hvem opgaven er til."),
    "frist": (_DURATION, "Opgavens frist."),
    "valgfri": (_BOOL, "true: opgaven må springes over."),
    "titel": (_TEXT, "Opgavens titel."),
}
_RECURRING: Shapes = {
    **_RULE_COMMON,
    "hver": (_DURATION, "Perioden."),
    "ejer": (_ROLE, "Hvem der skylder pligten (fx borger)."),
    "henstand": (_DURATION, "Ekstra tid efter fristdagen, før pligten regnes som manglende."),
    "mangler": ({"$ref": "#/$defs/mangler"}, "Besked, når pligten ikke er opfyldt."),
    "fristdage": (
        {"enum": ["faste", "fra_opfyldelse"]},
        "faste: fristdagene er ankeret + k perioder og flytter sig aldrig; fra_opfyldelse: "
        "hver opfyldelse starter perioden forfra.",
    ),
    "lovbestemt": (_BOOL, "true: pligten er fastsat ved lov; så er faste fristdage standard."),
    "løser_mangel": (
        _NAMES,
        "Hændelser, der løser en mangel uden at være borgerens opfyldelse (tællingen fortsætter).",
    ),
    "mangler_i_træk": (
        {"type": "array", "items": {"$ref": "#/$defs/mangler_i_træk"}},
        "Hvad der sker, når pligten har manglet et antal gange i træk.",
    ),
}
_IN_A_ROW: Shapes = {
    **_MESSAGE,
    "antal": ({"type": "integer", "minimum": 1}, "Hvor mange mangler i træk, før trinnet sker."),
    "til": (_ROLES, "Modtagere af trinnets besked."),
    "sæt": (
        {"type": "object", "propertyNames": _NAME, "additionalProperties": _SCALAR},
        "Fakta, der sættes på sagen, når trinnet sker.",
    ),
    "opgave": ({"$ref": "#/$defs/trinopgave"}, "En opgave, der oprettes, når trinnet sker."),
}
_IN_A_ROW_TASK: Shapes = {
    **_MESSAGE,
    "navn": (_NAME, "Opgavens navn, unikt i drejebogen."),
    "titel": (_TEXT, "Opgavens titel."),
    "rolle": (_ROLE, "Hvem opgaven er til."),
    "opfyldes_af": (_NAMES, "Hændelser, der gør opgaven færdig."),
    "valgfri": (_BOOL, "true: opgaven må springes over."),
}
_REMINDER: Shapes = {
    **_MESSAGE,
    "før": (_DURATION, "Hvor længe før fristen; '0 dage' = på fristdagen."),
    "til": (_ROLES, "Modtagere."),
    "helligdag": (_ADJUST, "Hvis påmindelsesdagen er en ikke-arbejdsdag."),
    "klokken": (
        _TIME,
        "Fast klokkeslæt for påmindelsen; ellers mødets klokkeslæt (regnes_fra et tidspunkt) "
        "eller reglens.",
    ),
    "hvis": (_CONDITION, "Påmindelsen sendes kun, hvis betingelsen er sand på dagen."),
}
_ESCALATION: Shapes = {
    **_MESSAGE,
    "efter": (_DURATION, "Hvor længe efter overskridelsesdagen."),
    "til": (_ROLES, "Modtagere."),
    "helligdag": (_ADJUST, "Hvis dagen er en ikke-arbejdsdag."),
    "hvis": (_CONDITION, "Trinnet sendes kun, hvis betingelsen er sand på dagen."),
}
_MISSING: Shapes = {**_MESSAGE, "til": (_ROLES, "Modtagere af mangel-beskeden.")}
_BRANCH: Shapes = {
    "tilstand": (_NAME, "Hvor sagen går hen, hvis grenen vælges."),
    "hvis": (_CONDITION, "Grenen vælges, hvis betingelsen er sand."),
}
_EVENT: Shapes = {
    "titel": (_TEXT, "Hændelsens titel."),
    "fra": (_NAMES, "Hvor hændelsen er tilladt."),
    "til": (
        {"anyOf": [_NAME, {"type": "array", "items": {"$ref": "#/$defs/gren"}, "minItems": 1}]},
        "Hvor sagen går hen: en tilstand eller en liste af grene.",
    ),
    "betingelse": (_CONDITION, "Hændelsen afvises, hvis betingelsen er falsk."),
    "data": (_NAMES, "Fakta, der skal følge med hændelsen."),
    "valgfri_data": (_NAMES, "Fakta, der må følge med hændelsen."),
    "sæt": (
        {"type": "object", "propertyNames": _NAME, "additionalProperties": _SCALAR},
        "Fakta, der sættes til en fast værdi.",
    ),
    "ryd": (
        _NAMES,
        "Fakta, der tømmes (fx et aflyst møde); frister regnet fra dem venter, til faktummet "
        "får en værdi igen.",
    ),
    "milepæl": (_BOOL, "true: hændelsen tæller som milepæl i målingerne."),
    "frister": (
        {"type": "array", "items": {"$ref": "#/$defs/hændelsesfrist"}},
        "Frister, som hændelsen starter (også uden at skifte tilstand), se afsnit 2.20.",
    ),
    "opgaver": (
        {"type": "array", "items": {"$ref": "#/$defs/hændelsesopgave"}},
        "Opgaver, som hændelsen opretter (også uden at skifte tilstand), se afsnit 2.20.",
    ),
}
_ENDS: Shapes = {
    "ophører_ved": (
        {"enum": list(casewide.ENDS)},
        "Hvornår reglen ophører, hvis ingen hændelse i 'opfyldes_af' har opfyldt den: "
        "sagens_slut (standard) eller tilstandsskift.",
    ),
    "regnes_fra": (_NAME, "Udgangspunktet: 'indtræden' (hændelsens dato) eller et dato-faktum."),
}
_AT_LEAST: Shapes = {
    **_MESSAGE,
    "navn": (_NAME, "Reglens navn, unikt i drejebogen."),
    "titel": (_TEXT, "Reglens titel, fx 'Mindst 4 jobsamtaler i de første 6 måneder'."),
    "faktum": (_NAME, "Et faktum med 'tæller': de hændelser, der tælles."),
    "antal": ({"type": "integer", "minimum": 1}, "Mindst så mange hændelser."),
    "inden": (_DURATION, "Perioden fra reglens start (tilstandens eller sagens start)."),
    "til": (_ROLES, "Hvem der får besked, hvis der er for få."),
    "klokken": (_TIME, "Klokkeslæt for tjekket (ellers drejebogens)."),
    "hvis": (_CONDITION, "Reglen gælder kun, hvis betingelsen er sand, når den starter."),
}
_FACT: Shapes = {
    "titel": (_TEXT, "Faktummets titel."),
    "type": ({"enum": [t.value for t in FactType]}, "Hvilken slags oplysning."),
    "værdier": ({"type": "array", "items": _NAME, "minItems": 1}, "De mulige værdier (valg)."),
    "tidligst": (_SPAN, "Hvor langt før hændelsens dato en dato eller et tidspunkt må ligge."),
    "senest": (_SPAN, "Hvor langt efter hændelsens dato en dato eller et tidspunkt må ligge."),
    "tæller": (
        _NAMES,
        "Hændelser, der hver lægger 1 til faktummet (type: tal, starter på 0).",
    ),
}
_TARGET: Shapes = {
    "navn": (_NAME, "Måltallets id; må kun bruges én gang."),
    "titel": (_TEXT, "Måltallet, som I siger det, fx '30 % i virksomhedspraktik inden 3 måneder'."),
    "milepæl": (_NAMES, "Nået, når den første af hændelserne er sket."),
    "tilstand": (_NAMES, "Nået, når sagen er kommet i en af tilstandene."),
    "faktum": (_NAME, "Andelen af sager, hvor faktummet har værdien under 'er'."),
    "er": (_SCALAR, "Den værdi af faktummet, der tæller med (standard true)."),
    "regnes_fra": (
        _NAME,
        "Ankeret: et dato-faktum eller en tilstand (standard: sagens oprettelse).",
    ),
    "inden": (_DURATION, "Perioden fra ankeret, fx '3 måneder'."),
    "mål": (
        {"type": ["string", "number"], "examples": ["30 %", "35-40 %", "10 uger"]},
        "En procentsats, et interval eller en tid (median).",
    ),
    "blandt": (
        {"type": "object", "additionalProperties": {"anyOf": [_SCALAR, _NAMES]}},
        "Hvilke sager måltallet gælder for: fakta → værdi, og evt. 'tilstand'.",
    ),
}
_ROLE_DEF: Shapes = {"titel": (_TEXT, "Rollens titel.")}
_TEMPLATE: Shapes = {"emne": (_TEXT, "Beskedens emne."), "tekst": (_TEXT, "Beskedens tekst.")}

# each part: (the parser's keys, shapes and descriptions, required keys)
PARTS: dict[str, tuple[tuple[str, ...], Shapes, tuple[str, ...]]] = {
    "drejebog": (parser.TOP_KEYS, _TOP, ("drejebog", "titel", "start", "tilstande")),
    "tilstand": (parser.STATE_KEYS, _STATE, ("titel",)),
    "frist": (parser.DEADLINE_KEYS, _DEADLINE, ("navn", "frist", "ejer")),
    "opgave": (parser.TASK_KEYS, _TASK, ("navn", "titel", "rolle")),
    "pligt": (parser.RECURRING_KEYS, _RECURRING, ("navn", "hver", "ejer", "opfyldes_af")),
    "mangler_i_træk": (parser.IN_A_ROW_KEYS, _IN_A_ROW, ("antal",)),
    "trinopgave": (parser.IN_A_ROW_TASK_KEYS, _IN_A_ROW_TASK, ("navn", "titel", "rolle")),
    "påmindelse": (parser.REMINDER_KEYS, _REMINDER, ("før", "til")),
    "eskaleringstrin": (parser.ESCALATION_KEYS, _ESCALATION, ("efter", "til")),
    "mangler": (parser.MISSING_KEYS, _MISSING, ("til",)),
    "hændelse": (parser.EVENT_KEYS, _EVENT, ()),
    "gren": (parser.BRANCH_KEYS, _BRANCH, ("tilstand",)),
    "faktum": (parser.FACT_KEYS, _FACT, ("type",)),
    "rolle": (parser.ROLE_KEYS, _ROLE_DEF, ()),
    "måltal": (targets.TARGET_KEYS, _TARGET, ("navn", "titel", "mål")),
    "skabelon": (parser.TEMPLATE_KEYS, _TEMPLATE, ("emne", "tekst")),
    "hele_sagen": (casewide.WHOLE_CASE_KEYS, _STATE, ()),
    "hændelsesfrist": (
        casewide.EVENT_DEADLINE_KEYS,
        {**_DEADLINE, **_ENDS},
        ("navn", "frist", "ejer"),
    ),
    "hændelsesopgave": (casewide.EVENT_TASK_KEYS, {**_TASK, **_ENDS}, ("navn", "titel", "rolle")),
    "mindst": (casewide.AT_LEAST_KEYS, _AT_LEAST, casewide.AT_LEAST_REQUIRED),
}


def _object(part: str) -> dict[str, Any]:
    keys, shapes, required = PARTS[part]
    missing = [key for key in keys if key not in shapes]
    if missing:  # a key the parser knows but the schema does not describe: a bug here
        raise KeyError(f"skemaet mangler en beskrivelse af {', '.join(missing)} i {part}")
    properties = {key: {**shapes[key][0], "description": shapes[key][1]} for key in keys}
    schema: dict[str, Any] = {
        "type": "object",
        "properties": properties,
        "additionalProperties": False,
    }
    if required:
        schema["required"] = list(required)
    return schema


def drejebog_schema() -> dict[str, Any]:
    top = _object("drejebog")
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_ID,
        "title": "Drejebog",
        "description": "En drejebog for et jobcenter (se workflows/README.md).",
        **top,
        "$defs": {part: _object(part) for part in PARTS if part != "drejebog"},
    }
