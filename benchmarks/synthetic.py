"""A synthetic project of a chosen size, for benchmarks: `manage.py synthesize --size S|M|L`.

Everything is drawn from a seeded random generator, so the same seed gives the same texts, turns,
attributes and codings (`corpus_checksum` proves it). Each interview draws from its own generator,
seeded by (seed, index), so the corpus does not depend on how it is batched.

The large tables (interviews, turns, codings, review events) are written with COPY through Django's
connection: PostgreSQL's row triggers still fire on COPY, so every coding gets its `text` snapshot,
its range and project checks and its audit event exactly as through the ORM.
"""

import argparse
import colorsys
import hashlib
import random
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.db import connection, transaction

from coding.models import Code, Coding, CodingEvent
from interviews.models import (
    Attribute,
    AttributeValue,
    Interview,
    Membership,
    Project,
    Speaker,
    text_checksum,
)


@dataclass(frozen=True)
class Size:
    name: str
    interviews: int
    codings: int
    words: int = 10_000  # mean length of an interview, in words


SIZES = {
    "S": Size("S", 20, 10_000),
    "M": Size("M", 200, 100_000),
    "L": Size("L", 2_000, 1_000_000),
}
PASSWORD = "verbatim-synthetic"
CODERS = ["synth-coder-1", "synth-coder-2", "synth-coder-3", "synth-coder-4"]
SUPERVISOR = "synth-supervisor"
ADMIN = "synth-admin"
BATCH = 50  # interviews generated and copied at a time: bounds memory at size L
BASE_DAY = date(2026, 1, 5)  # fixed, so that timestamps are part of what the seed decides
SEND_BACK_COMMENT = "Le passage déborde sur la réplique suivante : à resserrer."


def size_from_options(options) -> Size:
    """The named size, or a custom one when the hidden --interviews/--codings/--words are given."""
    size = SIZES[options["size"]]
    if options.get("interviews") or options.get("codings") or options.get("words"):
        size = Size(
            size.name,
            options.get("interviews") or size.interviews,
            options.get("codings") or size.codings,
            options.get("words") or size.words,
        )
    return size


def add_size_arguments(parser) -> None:
    parser.add_argument("--size", choices=sorted(SIZES), default="S")
    parser.add_argument("--seed", type=int, default=1)
    # Hidden overrides, for tests: a tiny corpus of the same shape.
    for name in ("interviews", "codings", "words"):
        parser.add_argument(f"--{name}", type=int, help=argparse.SUPPRESS)


def project_name(size: Size) -> str:
    if SIZES.get(size.name) == size:
        return f"Synthetic {size.name}"
    return f"Synthetic {size.name} ({size.interviews} interviews, {size.codings} codings)"


# --- Phrase banks ------------------------------------------------------------------------------
# Québec French as transcribed speech, on the themes of the demo study (harm reduction, proximity).

NBSP = "\u00a0"


def q(text: str) -> str:
    """French quotation marks with their no-break spaces, as the demo transcripts have them."""
    return f"«{NBSP}{text}{NBSP}»"


PARTICIPANTS = [
    "Martine",
    "Karim",
    "Sophie",
    "Nadia",
    "Louis",
    "Geneviève",
    "Éric",
    "Amélie",
    "Patrice",
    "Fatou",
    "Mathieu",
    "Isabelle",
    "Dominique",
    "Hugo",
    "Chantal",
    "Olivier",
    "Marie-Ève",
    "Stéphane",
    "Julie",
    "Benoît",
    "Catherine",
    "Yannick",
    "Mélanie",
    "François",
    "Nathalie",
    "Sébastien",
    "Josée",
    "Maxime",
    "Valérie",
    "Frédéric",
    "Annie",
    "Jérôme",
    "Émilie",
    "Mohamed",
    "Sarah",
    "Guillaume",
    "Caroline",
    "Alexandre",
    "Véronique",
    "Simon",
    "Lyne",
    "Rachid",
    "Manon",
    "Vincent",
    "Noémie",
    "Kevin",
    "Audrey",
    "Gabriel",
    "Chloé",
    "Samuel",
    "Léa",
    "Thierry",
    "Hélène",
    "Jonathan",
    "Marie-Claude",
    "Raphaël",
    "Ginette",
    "Yves",
]
ROLES = [
    "Travailleuse de rue",
    "Travailleur de rue",
    "Intervenant de proximité",
    "Intervenante de milieu",
    "Infirmière de proximité",
    "Pair aidant",
    "Paire aidante",
    "Coordonnatrice clinique",
    "Intervenant de nuit",
    "Intervenante en hébergement",
    "Intervenant en analyse de substances",
    "Travailleuse de parc",
]
ORGANISATIONS = [
    "Organisme communautaire",
    "Établissement public (CIUSSS)",
    "Organisme d'hébergement",
]
SETTINGS = [
    "Travail de rue",
    "Site fixe",
    "Unité mobile",
    "Service de consommation supervisée",
    "Hébergement",
    "Centre de jour",
    "Milieu hospitalier",
]
REGIONS = ["Montréal", "Laval", "Longueuil", "Saint-Jérôme", "Québec", "Gatineau", "Sherbrooke"]

PEOPLE = [
    "un gars que j'appellerai Robert",
    "une femme, mettons Lucie",
    "un jeune d'à peine dix-huit ans",
    "une dame qui dormait dans le parc",
    "un ancien du quartier",
    "un couple qui vivait dans leur char",
    "un monsieur qui venait juste pour le café",
    "une fille qui faisait du travail du sexe sur Ontario",
    "un gars sorti de prison la semaine d'avant",
    "une mère de trois enfants",
    "un habitué du terminus",
    "un jeune qui fuguait du centre jeunesse",
    "une femme enceinte de six mois",
    "un vieux de la rue, mort depuis",
    "un gars qui consommait du crystal",
    "une étudiante qui faisait ses premiers pas dans le speed",
    "un homme qui parlait juste anglais",
    "une aînée qui cachait sa consommation à ses voisins",
]
PLACES = [
    "au comptoir",
    "dans la ruelle en arrière du dépanneur",
    "au parc Préfontaine",
    "dans le métro",
    "au refuge",
    "dans la roulotte",
    "à l'urgence",
    "sous le viaduc",
    "au terminus d'autobus",
    "devant la pharmacie",
    "dans la salle de consommation",
    "dans le campement",
    "à la table de cuisine du centre de jour",
    "sur le banc en face de l'église",
    "dans le stationnement du Maxi",
    "dans sa chambre, à la maison de chambres",
]
TIMES = [
    "tous les mardis",
    "pendant des semaines",
    "chaque soir vers minuit",
    "l'hiver passé",
    "au début",
    "après la fermeture",
    "le premier du mois",
    "pendant la canicule",
    "un dimanche matin",
    "pendant presque deux ans",
    "la nuit de la grosse tempête",
    "juste avant Noël",
]
ACTIONS = [
    "je me suis assise à côté, pas devant",
    "je lui ai offert un café, rien de plus",
    "j'ai laissé la porte de la van ouverte",
    "je lui ai laissé une trousse de naloxone",
    "je suis restée dans le décor",
    "j'ai rien demandé",
    "je lui ai dit que je repasserais jeudi",
    "j'ai attendu qu'il me parle en premier",
    "je lui ai proposé de l'accompagner à la clinique",
    "j'ai sorti des seringues neuves sans poser de questions",
    "je me suis accroupi à sa hauteur, pis j'ai compris que c'était une erreur",
    "je lui ai expliqué comment tester sa dope",
    "j'ai appelé l'ambulance",
    "je lui ai donné mon numéro sur un bout de papier",
    "je suis repassé le lendemain, à la même heure",
    "je me suis tassée pour lui laisser son chemin libre",
    "j'ai parlé de la météo, des Canadiens, de n'importe quoi",
    "je lui ai montré où était la salle de bain",
    "j'ai fait semblant de pas voir",
    "je lui ai demandé s'il voulait de la compagnie",
]
REACTIONS = [
    "il m'a regardée sans rien dire",
    "elle a ri",
    "il est parti sans se retourner",
    "elle m'a demandé pour le dépistage de l'hépatite C",
    "il m'a raconté toute sa vie",
    "elle m'a envoyée promener",
    "il est revenu la semaine d'après",
    "elle s'est mise à pleurer",
    "il m'a dit merci, juste merci",
    "elle m'a demandé si je travaillais pour la police",
    "il a pris le café pis il est resté",
    "elle a accepté d'aller à la clinique, mais juste avec moi",
    "il a fait une surdose dans la toilette deux jours plus tard",
    "elle m'a présenté son chum",
]
REFLECTIONS = [
    "c'est là que le lien se crée",
    "faut respecter son rythme",
    "on peut pas forcer une demande",
    "la bonne distance, ça s'apprend pas dans les livres",
    "être là, c'est déjà de l'intervention",
    "le monde sentent tout de suite quand tu veux les sauver",
    "une demande, ça arrive souvent quand on s'y attend le moins",
    "le matériel, c'est une porte d'entrée",
    "si tu brûles le lien, tu le reconstruis pas en une semaine",
    "ils ont le droit de dire non",
    "on travaille avec ce que la personne veut, pas avec ce que nous on veut",
    "la police pis nous autres, faut pas qu'on soit confondus",
    "l'hiver, tout devient plus urgent",
    "le fentanyl a tout changé",
    "on finit par connaître les rythmes de chacun",
    "le silence, des fois, c'est ce qui marche le mieux",
    "se faire reconnaître, ça prend des mois",
    "l'équipe, c'est ce qui nous tient debout",
]
QUOTES = [
    "juste un café",
    "t'es pas obligé de rester",
    "reviens quand tu veux",
    "tu me bouches la vue",
    "je suis pas ton travailleur social",
    "je repasse jeudi",
    "veux-tu que je t'accompagne ?",
    "c'est toi qui décides",
    "as-tu ce qu'il te faut ?",
    "je suis là si jamais",
    "on n'est pas la police",
    "t'as pas l'air dans ton assiette",
]
CONCEPTS = [
    "voisinage courtois",
    "suggestion légitime",
    "bonne distance",
    "non-demande",
    "lien d'intervention",
    "réduction des méfaits",
    "autonomie",
]
FIXED = [
    "Ouf, par où commencer.",
    "Je marche, pis je m'assois, c'est ça ma job.",
    "Le gros de mon travail, c'est d'être là.",
    "Les gens s'imaginent qu'on arrive avec un sac plein de seringues pis qu'on sauve le monde.",
    "Le monde que je côtoie se sont fait aider toute leur vie, entre guillemets.",
    "Aider, pour eux autres, souvent ça veut dire se faire placer, se faire juger.",
    "Quand t'es face à face, t'es obligé de parler.",
    "À côté, tu peux te taire, tu peux regarder passer les autobus.",
    "Je passe aux mêmes places, aux mêmes heures, le plus possible.",
    "C'est niaiseux de même, mais ça change toute.",
    "Le quartier a ben changé, les condos, les terrasses, les cafés à six piasses.",
    "On a eu trois décès en un mois, cet automne-là.",
    "La naloxone, maintenant, tout le monde en a dans son sac.",
    "Au début, je voulais trop en faire.",
    "J'ai appris à me taire, ça m'a pris du temps.",
    "Tu peux pas arriver avec ton formulaire pis tes questions.",
    "Le lien, c'est fragile, ça se brise pour une niaiserie.",
    "Des fois je me demande si on fait une différence.",
    "Pis après, tu rentres chez vous pis tu fais ton souper comme si de rien n'était.",
    "Mon char, c'est mon bureau.",
    "Tout le monde se connaît, ici, c'est ça le problème.",
    "Le refuge interdit la consommation, faque les gars consomment dehors, au froid.",
    "À l'urgence, ils le voient arriver pis ils soupirent.",
    "Les bandelettes de fentanyl, ça ouvre la conversation.",
    "Personne vient nous voir pour parler de ses émotions, au début.",
    "Ils viennent chercher du matériel, pis des fois, ça déborde.",
    "J'ai jamais vu quelqu'un arrêter parce qu'on lui a fait la morale.",
    "Le démantèlement du campement, ça a défait des mois de travail.",
    "Le lendemain, on est retournés, pour qu'ils sachent qu'on était encore là.",
    "On fait des debriefings après chaque décès, même quand on pense que ça va.",
    "J'ai fait un burnout il y a six ans.",
    "Aujourd'hui, je dis aux nouveaux de prendre leur temps.",
    "La première journée, tu observes, tu dis bonjour, c'est tout.",
    "C'est pas de la charité, c'est du travail.",
    "Les pairs aidants ont une crédibilité qu'on aura jamais.",
    "Mon passé, je l'utilise, mais avec des pincettes.",
    "Je dis pas tout, je dis ce qui peut servir.",
    "On a une règle : on ne touche pas sans demander.",
    "J'ai déjà mis ma main sur son bras, pis il a reculé.",
    "La salle de consommation, c'est calme, la plupart du temps.",
    "Le staff apprend à ne pas tourner autour des gens.",
    "Les agents de sécurité du métro nous connaissent, maintenant.",
    "Le premier du mois, c'est toujours plus intense.",
    "L'hiver, on distribue du chocolat chaud pis des bas de laine.",
    "Un café, ça paraît rien, mais c'est un prétexte.",
    "La demande de désintox est arrivée un soir de tempête, à deux heures du matin.",
    "Je l'ai suivi pendant dix ans avant qu'il me demande quoi que ce soit.",
    "On n'est pas là pour qu'ils arrêtent, on est là pour qu'ils restent en vie.",
    "Le dentiste, c'était sa priorité à lui, pas la mienne.",
    "Au bureau d'aide sociale, je m'assois à côté, pis j'attends avec.",
    "Il a manqué trois rendez-vous, pis au quatrième il est venu.",
    "J'ai appris les expressions d'ici une par une.",
    "Le silence, chez nous au Sénégal, c'est pas la même chose.",
    "Le spectromètre, les gens trouvent ça impressionnant.",
    "Du fentanyl dans du speed, on en voit de plus en plus.",
    "Les chiffres, c'est pour les bailleurs de fonds.",
    "Moi, ce qui m'intéresse, c'est la personne devant moi.",
    "C'était son choix, pis je devais le respecter.",
    "Il voulait garder son logement, c'était ça son objectif.",
    "Elle voulait juste consommer moins le week-end, pour ses enfants.",
    "Réduire, c'est déjà énorme.",
    "Je lui ai jamais dit d'arrêter.",
    "Les règles de l'organisme, des fois, elles nous attachent les mains.",
    "La coordination voulait des statistiques, nous autres on voulait du temps.",
    "On se relaie pour que personne reste seul avec ça.",
    "C'est lourd, mais c'est beau aussi.",
    "Je referais la même job demain matin.",
]
INTERJECTIONS = [
    "[rires]",
    "[silence]",
    "Ouf.",
    "Bon.",
    "C'est ça.",
    "Je sais pas.",
    "Euh...",
    "Ben oui.",
    "Tsé.",
    "[inaudible]",
]
OPENERS = [
    "Ben",
    "Pis",
    "Tsé",
    "Faque",
    "Euh",
    "Honnêtement",
    "Dans le fond",
    "Des fois",
    "Mettons",
    "C'est sûr que",
    "Moi, je dirais que",
    "Au début",
    "En tout cas",
]
TEMPLATES = [
    "{time_cap}, {person} venait {place}.",
    "Avec {person}, {action}, pis {reaction}.",
    "Je me souviens de {person} : {action}, pis {reaction}.",
    "{action_cap}, parce que {reflection}.",
    "Quand on parle de {quote_concept}, moi je pense à {person}, {place}.",
    "Je lui ai dit {quote}, pis {reaction}.",
    "{reflection_cap}.",
    "{reflection_cap}, je l'ai appris {place}.",
    "{time_cap}, {action}.",
    "{person_cap} me disait toujours {quote}.",
    "Ce que j'ai compris avec {person}, c'est que {reflection}.",
    "{place_cap}, {reaction}, pis là {action}.",
    "Je dirais que {reflection}, surtout {time}.",
    "On voyait {person} {place} {time}.",
]
QUESTIONS = [
    "Pouvez-vous me parler de votre travail, tel que vous le vivez ?",
    "Comment est-ce que vous abordez quelqu'un que vous ne connaissez pas ?",
    "Et quand il vous parle ?",
    "Ça change quoi, concrètement ?",
    "C'est-à-dire ?",
    "Qu'est-ce qui s'est passé ensuite ?",
    "Comment vous savez que c'est le bon moment ?",
    "Et vous, comment vous l'avez vécu ?",
    "Est-ce que vous pouvez me donner un exemple ?",
    "Qu'est-ce que vous dites aux nouveaux intervenants ?",
    "Comment l'équipe en parle, entre vous ?",
    "Est-ce qu'il y a des choses que vous ne faites plus ?",
    "Où est-ce que vous vous placez, physiquement ?",
    "Et la police, dans tout ça ?",
    "Qu'est-ce qui fait qu'une personne finit par demander quelque chose ?",
    "Vous avez parlé de la bonne distance. C'est quoi, pour vous ?",
    "Est-ce que ça vous arrive de refuser ?",
    "Comment ça se passe l'hiver ?",
    "Qu'est-ce que le matériel permet, dans la relation ?",
    "Et après un décès, qu'est-ce qui se passe pour vous ?",
    "Est-ce que vous avez déjà eu l'impression d'être trop proche ?",
    "Comment vous gérez vos propres limites ?",
    "Hum, hum.",
    "Oui ?",
    "D'accord.",
    "Je vous écoute.",
    "Vous en parlez avec beaucoup d'émotion.",
    "Qu'est-ce qui a changé depuis vos débuts ?",
]
RELAUNCHES = [
    "Vous disiez tout à l'heure {quote}. C'est-à-dire ?",
    "Vous dites {quote}. Pouvez-vous préciser ?",
    "Quand vous dites {quote}, qu'est-ce que vous voulez dire ?",
]
ELISION = re.compile(r"\b([Qq])ue ([aeiouéèêàâîôAEIOUÉ])")  # "que il" is written "qu'il"
EMOJI = ["🙂", "😅", "❤️", "👍🏽", "🚐"]  # rare; astral and multi-code-point on purpose (offsets)


# --- Codebook ----------------------------------------------------------------------------------

CODEBOOK: list[tuple[str, list[tuple[str, list[str]]]]] = [
    (
        "Gestion de la proximité",
        [
            ("Voisinage courtois", ["Où se placer", "Rester dans le décor", "Disponibilité"]),
            ("Suggestion légitime", ["Choix du moment", "Formulation", "Offre de matériel"]),
            ("Bonne distance", ["Intrusion", "Retrait volontaire"]),
        ],
    ),
    (
        "Lien d'intervention",
        [
            ("Création du lien", ["Premier contact", "Reconnaissance mutuelle", "Patience"]),
            ("Entretien du lien", ["Présence régulière", "Petits services"]),
            ("Rupture du lien", ["Départ", "Conflit", "Décès"]),
        ],
    ),
    (
        "Demandes de soins",
        [
            ("Non-demande", ["Refus explicite", "Silence"]),
            ("Contextes d'énonciation", ["Moment de crise", "Conversation banale", "Hiver"]),
            ("Orientation", ["Dépistage", "Désintoxication", "Hébergement"]),
        ],
    ),
    (
        "Autonomie de l'usager",
        [
            ("Rythmes personnels", []),
            ("Objectifs personnels", ["Réduire la consommation", "Garder son logement"]),
            ("Choix de consommation", []),
        ],
    ),
    (
        "Pratiques de réduction des méfaits",
        [
            ("Distribution de matériel", ["Seringues", "Pipes à crack", "Naloxone"]),
            ("Consommation supervisée", []),
            ("Analyse de substances", ["Fentanyl", "Bandelettes"]),
        ],
    ),
    (
        "Contexte institutionnel",
        [
            ("Police et sécurité", []),
            ("Hôpital et urgence", []),
            ("Règles des organismes", []),
            ("Équipe et soutien", ["Débriefing", "Épuisement"]),
        ],
    ),
]


@dataclass(frozen=True)
class CodeSpec:
    name: str
    parent: int | None  # index in the flat list
    level: int
    color: str


def flat_codebook() -> list[CodeSpec]:
    """The codebook, parents before children, each code with its own colour (hues spread evenly)."""
    specs: list[CodeSpec] = []

    def add(name, parent, level):
        hue = (len(specs) * 0.618034) % 1.0  # golden ratio: neighbours get distant hues
        red, green, blue = colorsys.hls_to_rgb(hue, 0.45 + 0.1 * (level % 2), 0.65)
        color = f"#{round(red * 255):02x}{round(green * 255):02x}{round(blue * 255):02x}"
        specs.append(CodeSpec(name, parent, level, color))
        return len(specs) - 1

    for theme, categories in CODEBOOK:
        top = add(theme, None, 1)
        for category, leaves in categories:
            middle = add(category, top, 2)
            for leaf in leaves:
                add(leaf, middle, 3)
    return specs


# --- Interviews --------------------------------------------------------------------------------


@dataclass
class GeneratedInterview:
    index: int
    title: str
    participant: str
    interviewer: str
    interviewed_on: date
    text: str
    speakers: list[tuple[str, str]]  # label, role
    turns: list[tuple[int, int, int]]  # speaker index, start, end
    passages: list[list[tuple[int, int]]]  # per participant turn: its sentences' [start, end)
    attributes: dict[str, object]


class _TextBuilder:
    """Appends pieces and knows every offset (code points), so turns need no parsing afterwards."""

    def __init__(self):
        self.pieces: list[str] = []
        self.length = 0
        self.words = 0

    def add(self, piece: str) -> tuple[int, int]:
        start = self.length
        self.pieces.append(piece)
        self.length += len(piece)
        return start, self.length

    def text(self) -> str:
        return "".join(self.pieces)


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:]


def _sentence(rng: random.Random) -> str:
    roll = rng.random()
    if roll < 0.08:
        return rng.choice(INTERJECTIONS)
    if roll < 0.40:
        sentence = rng.choice(FIXED)
    else:
        person, place, time_ = rng.choice(PEOPLE), rng.choice(PLACES), rng.choice(TIMES)
        action, reflection = rng.choice(ACTIONS), rng.choice(REFLECTIONS)
        sentence = rng.choice(TEMPLATES).format(
            person=person,
            person_cap=_cap(person),
            place=place,
            place_cap=_cap(place),
            time=time_,
            time_cap=_cap(time_),
            action=action,
            action_cap=_cap(action),
            reaction=rng.choice(REACTIONS),
            reflection=reflection,
            reflection_cap=_cap(reflection),
            quote=q(rng.choice(QUOTES)),
            quote_concept=q(rng.choice(CONCEPTS)),
        )
    if rng.random() < 0.25:
        sentence = f"{rng.choice(OPENERS)}, {sentence[:1].lower()}{sentence[1:]}"
    if rng.random() < 0.004:
        sentence = f"{sentence} {rng.choice(EMOJI)}"
    return ELISION.sub(r"\1u'\2", sentence)


def _question(rng: random.Random, last_sentence: str | None) -> str:
    if last_sentence and rng.random() < 0.2:
        words = last_sentence.rstrip(".!?»").split()
        if len(words) >= 4:
            cut = rng.randint(3, min(7, len(words)))
            fragment = " ".join(words[:cut]).strip(",:;«» \u00a0").lower()
            return rng.choice(RELAUNCHES).format(quote=q(fragment))
    return rng.choice(QUESTIONS)


def generate_interview(seed: int, index: int, mean_words: int) -> GeneratedInterview:
    rng = random.Random(f"verbatim-synthetic:{seed}:{index}")
    participant = rng.choice(PARTICIPANTS)
    interviewer = rng.choice(["Intervieweuse", "Intervieweur"])
    role, setting = rng.choice(ROLES), rng.choice(SETTINGS)
    speakers = [(interviewer, Speaker.Role.INTERVIEWER), (participant, Speaker.Role.PARTICIPANT)]
    if rng.random() < 0.1:  # a colleague sometimes joins the interview
        speakers.append(("Collègue", Speaker.Role.OTHER))
    target = max(200, round(rng.gauss(mean_words, mean_words * 0.25)))

    out, turns, passages = _TextBuilder(), [], []
    number = index + 1
    last_sentence = None
    out.add(f"{interviewer} : Entretien {number} avec {participant}, {role.lower()}. ")
    first_question = rng.choice(QUESTIONS)
    turns.append((0, len(f"{interviewer} : "), out.add(first_question)[1]))
    out.words += len(out.text().split())
    while out.words < target:
        speaker = 2 if len(speakers) == 3 and rng.random() < 0.05 else 1
        out.add(f"\n\n{speakers[speaker][0]} : ")
        sentences = []
        for paragraph in range(rng.choice([1, 1, 2, 2, 3])):
            if paragraph:
                out.add("\n")
            for position in range(rng.randint(2, 8)):
                if position:
                    out.add(" ")
                last_sentence = _sentence(rng)
                sentences.append(out.add(last_sentence))
                out.words += len(last_sentence.split())
        turns.append((speaker, sentences[0][0], sentences[-1][1]))
        passages.append(sentences)
        question = _question(rng, last_sentence)
        start = out.add(f"\n\n{interviewer} : ")[1]
        turns.append((0, start, out.add(question)[1]))
        out.words += len(question.split()) + 2

    attributes = {
        "organisation": rng.choice(ORGANISATIONS),
        "role": role,
        "years": rng.randint(1, 25),
        "setting": setting,
        "region": rng.choice(REGIONS),
    }
    return GeneratedInterview(
        index=index,
        title=f"Entretien {number:04d} — {participant}, {role.lower()}",
        participant=participant,
        interviewer=interviewer,
        interviewed_on=BASE_DAY - timedelta(days=rng.randint(30, 700)),
        text=out.text(),
        speakers=speakers,
        turns=turns,
        passages=passages,
        attributes=attributes,
    )


ATTRIBUTES = [
    # key, name, type
    ("organisation", "Type d'organisme", Attribute.Type.CHOICE, ORGANISATIONS),
    ("role", "Rôle", Attribute.Type.TEXT, []),
    ("years", "Années de pratique", Attribute.Type.NUMBER, []),
    ("setting", "Milieu d'intervention", Attribute.Type.CHOICE, SETTINGS),
    ("region", "Région", Attribute.Type.CHOICE, REGIONS),
]


# --- Codings -----------------------------------------------------------------------------------


@dataclass
class GeneratedCoding:
    code: int  # index in flat_codebook()
    coder: int  # index in CODERS
    start: int
    end: int
    status: str
    created_at: datetime


@dataclass
class _CodingPlan:
    codes: list[CodeSpec]
    weights: list[float]
    siblings: list[list[int]] = field(default_factory=list)


def _coding_plan(seed: int) -> _CodingPlan:
    """How popular each code is: a Zipf-like spread, mostly on the finer codes, as in real projects."""
    codes = flat_codebook()
    rng = random.Random(f"verbatim-synthetic:{seed}:codes")
    ranks = list(range(len(codes)))
    rng.shuffle(ranks)
    level_weight = {1: 0.3, 2: 1.5, 3: 3.0}
    weights = [
        level_weight[c.level] / (rank + 1) ** 0.8 for c, rank in zip(codes, ranks, strict=True)
    ]
    siblings = [[j for j, o in enumerate(codes) if o.parent == c.parent] for c in codes]
    return _CodingPlan(codes, weights, siblings)


def source_name(index: int) -> str:
    """The source name of the interview generated `index`th: how the benchmark finds it again."""
    return f"synthétique · {index + 1}"


def allocate(total: int, parts: int, seed: int) -> list[int]:
    """`total` codings over `parts` interviews, unevenly (0.4× to 1.6× the mean), summing exactly."""
    rng = random.Random(f"verbatim-synthetic:{seed}:allocation")
    weights = [rng.uniform(0.4, 1.6) for _ in range(parts)]
    scale = total / sum(weights)
    counts = [int(w * scale) for w in weights]
    by_remainder = sorted(range(parts), key=lambda i: counts[i] - weights[i] * scale)
    for i in by_remainder[: total - sum(counts)]:
        counts[i] += 1
    return counts


def generate_codings(
    seed: int, interview: GeneratedInterview, count: int, plan: _CodingPlan
) -> list[GeneratedCoding]:
    """`count` codings by 2–4 coders, a third of them on a passage another coder coded too.

    One coder never applies the same code twice to overlapping text (a rule the workspace may
    enforce), so the corpus stays valid if it does.
    """
    rng = random.Random(f"verbatim-synthetic:{seed}:{interview.index}:codings")
    coders = rng.sample(range(len(CODERS)), rng.choice([2, 2, 3, 3, 4]))
    turn_weights = [len(p) for p in interview.passages]
    taken: dict[tuple[int, int], list[tuple[int, int]]] = {}
    made: list[GeneratedCoding] = []
    day = datetime.combine(BASE_DAY, datetime.min.time(), UTC) + timedelta(
        days=interview.index % 300
    )
    attempts = 0
    while len(made) < count and attempts < count * 20:
        attempts += 1
        if made and rng.random() < 0.33:
            candidate = _shared_passage(rng, interview.text, made, coders, plan)
        else:
            candidate = _new_passage(rng, interview, turn_weights, coders, plan)
        if candidate is None:
            continue
        code, coder, start, end = candidate
        spans = taken.setdefault((coder, code), [])
        if any(start < e and s < end for s, e in spans):
            continue
        spans.append((start, end))
        roll = rng.random()
        status = Coding.Status.APPROVED if roll < 0.12 else Coding.Status.PENDING
        if 0.12 <= roll < 0.15:
            status = Coding.Status.NEEDS_CHANGE
        at = day + timedelta(seconds=len(made) * 37 + rng.randint(0, 30))
        made.append(GeneratedCoding(code, coder, start, end, status.value, at))
    return made


def _new_passage(rng, interview, turn_weights, coders, plan):
    sentences = rng.choices(interview.passages, weights=turn_weights)[0]
    first = rng.randrange(len(sentences))
    length = rng.choices([1, 2, 3, 4], weights=[35, 35, 20, 10])[0]
    last = min(len(sentences) - 1, first + length - 1)
    start, end = sentences[first][0], sentences[last][1]
    if rng.random() < 0.1:  # part of a sentence: cut at a word boundary
        cut = interview.text.rfind(" ", start + 1, start + (end - start) // 2 + 10)
        end = cut if cut > start else end
    code = rng.choices(range(len(plan.codes)), weights=plan.weights)[0]
    return code, rng.choice(coders), start, end


def _shared_passage(rng, text, made, coders, plan):
    """Another coder codes a passage already coded: same bounds or nearly, same code or a sibling."""
    other = rng.choice(made)
    others = [c for c in coders if c != other.coder]
    start, end = other.start, other.end
    if rng.random() < 0.35:  # the second coder selected a little more or a little less
        start = _word_boundary(text, start + rng.randint(-25, 25), low=0, high=end - 1)
        end = _word_boundary(text, end + rng.randint(-25, 25), low=start + 1, high=len(text))
    code = other.code if rng.random() < 0.75 else rng.choice(plan.siblings[other.code])
    return code, rng.choice(others), start, end


def _word_boundary(text: str, position: int, *, low: int, high: int) -> int:
    position = max(low, min(high, position))
    while low < position < high and not text[position - 1].isspace():
        position -= 1
    return position


# --- Writing -----------------------------------------------------------------------------------


@dataclass
class Report:
    project: Project
    interviews: int = 0
    codings: int = 0
    timings: dict[str, float] = field(default_factory=dict)

    def timed(self, name: str, started: float) -> None:
        self.timings[name] = self.timings.get(name, 0.0) + time.perf_counter() - started


def synthesize(
    size: Size, *, seed: int = 1, replace: bool = False, log: Callable[[str], None] = print
) -> Report:
    """Create the project of `size`; refuse (ValueError) if it exists, unless `replace`."""
    name = project_name(size)
    existing = Project.objects.filter(name=name).first()
    if existing and not replace:
        raise ValueError(f"« {name} » already exists: use --replace to generate it again.")
    started = time.perf_counter()
    if existing:
        delete_project(existing)
        log(f"Deleted the previous « {name} » in {time.perf_counter() - started:.1f} s.")
    with transaction.atomic():
        users = _users()
        project = Project.objects.create(
            name=name,
            description=f"Synthetic corpus for benchmarks (seed {seed}): fictional, generated text.",
        )
        report = Report(project)
        _members(project, users)
        code_ids = _codebook(project, users[ADMIN])
        attributes = _attributes(project)
        plan = _coding_plan(seed)
        counts = allocate(size.codings, size.interviews, seed)
        for first in range(0, size.interviews, BATCH):
            indexes = range(first, min(first + BATCH, size.interviews))
            _write_batch(
                seed, size, indexes, counts, plan, project, users, code_ids, attributes, report
            )
            log(
                f"  {report.interviews}/{size.interviews} interviews, {report.codings} codings "
                f"({time.perf_counter() - started:.0f} s)"
            )
    step = time.perf_counter()
    analyze()
    report.timed("analyze", step)
    return report


LONG_PROJECT = "Synthetic long interview"
LONG_CHARACTERS = 1_000_000
LONG_CODINGS = 5_000


def long_interview(
    *,
    characters: int = LONG_CHARACTERS,
    codings: int = LONG_CODINGS,
    seed: int = 1,
    log: Callable[[str], None] = print,
) -> Interview:
    """A project of its own holding one interview of about `characters` characters (at least)
    with `codings` codings (issue 14: a long interview stays fast), made once; the same users and
    codebook as the sized projects, so their sessions reach it."""
    name = LONG_PROJECT
    if (characters, codings) != (LONG_CHARACTERS, LONG_CODINGS):
        name = f"{LONG_PROJECT} ({characters} characters, {codings} codings)"
    project = Project.objects.filter(name=name).first()
    if project is not None:
        return project.interviews.get()
    log(f"Generating « {name} »: one interview of {characters:,} characters.")
    plan = _coding_plan(seed)
    index = 1_000_000  # its own random generator, apart from the sized projects' interviews
    generated = generate_interview(seed, index, 10_000)
    # The length of the text grows with the mean number of words (same draws): scale it once, a
    # little over, so that the text is at least LONG_CHARACTERS long.
    words = round(10_000 * characters / len(generated.text) * 1.02)
    generated = generate_interview(seed, index, words)
    with transaction.atomic():
        users = _users()
        project = Project.objects.create(
            name=name,
            description="Synthetic long interview for benchmarks: fictional, generated text.",
        )
        _members(project, users)
        code_ids = _codebook(project, users[ADMIN])
        ids = _interviews(project, [generated], users[ADMIN])
        _turns([generated], ids, _speakers([generated], ids))
        _attribute_values([generated], ids, _attributes(project))
        made = {index: generate_codings(seed, generated, codings, plan)}
        coder_ids = [users[name].pk for name in CODERS]
        _codings(made, ids, code_ids, coder_ids, users[SUPERVISOR].pk)
    analyze()
    return project.interviews.get()


def _write_batch(seed, size, indexes, counts, plan, project, users, code_ids, attributes, report):
    step = time.perf_counter()
    generated = [generate_interview(seed, i, size.words) for i in indexes]
    codings = {g.index: generate_codings(seed, g, counts[g.index], plan) for g in generated}
    report.timed("generate", step)

    step = time.perf_counter()
    ids = _interviews(project, generated, users[ADMIN])
    speaker_ids = _speakers(generated, ids)
    _turns(generated, ids, speaker_ids)
    _attribute_values(generated, ids, attributes)
    report.timed("interviews", step)
    report.interviews += len(generated)

    step = time.perf_counter()
    coder_ids = [users[name].pk for name in CODERS]
    report.codings += _codings(codings, ids, code_ids, coder_ids, users[SUPERVISOR].pk)
    report.timed("codings", step)


def _users() -> dict:
    User = get_user_model()
    password = make_password(PASSWORD)  # hashed once: hashing is slow on purpose
    users = {}
    for username in [*CODERS, SUPERVISOR, ADMIN]:
        users[username], _ = User.objects.get_or_create(
            username=username,
            defaults={"password": password, "email": f"{username}@synthetic.invalid"},
        )
    return users


def _members(project, users):
    roles = dict.fromkeys(CODERS, Membership.Role.RESEARCHER)
    roles |= {SUPERVISOR: Membership.Role.SUPERVISOR, ADMIN: Membership.Role.ADMIN}
    Membership.objects.bulk_create(
        Membership(project=project, user=users[name], role=role) for name, role in roles.items()
    )


def _codebook(project, author) -> list[int]:
    ids: list[int] = []
    for position, spec in enumerate(flat_codebook()):
        code = Code.objects.create(
            project=project,
            parent_id=None if spec.parent is None else ids[spec.parent],
            name=spec.name,
            color=spec.color,
            description=f"Code synthétique « {spec.name} » (niveau {spec.level}).",
            position=position,
            created_by=author,
        )
        ids.append(code.pk)
    return ids


def _attributes(project) -> dict[str, Attribute]:
    return {
        key: Attribute.objects.create(
            project=project, name=name, type=type_, choices=list(choices), position=position
        )
        for position, (key, name, type_, choices) in enumerate(ATTRIBUTES)
    }


def _allocate_ids(table: str, count: int) -> list[int]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
            [table, count],
        )
        return [row[0] for row in cursor.fetchall()]


def _copy(table: str, columns: list[str], rows) -> int:
    names = ", ".join(f'"{c}"' for c in columns)
    count = 0
    with connection.cursor() as cursor, cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)
            count += 1
    return count


def _interviews(project, generated, admin) -> dict[int, int]:
    ids = dict(
        zip(
            (g.index for g in generated),
            _allocate_ids("interviews_interview", len(generated)),
            strict=True,
        )
    )
    created = datetime.combine(BASE_DAY, datetime.min.time(), UTC)
    _copy(
        "interviews_interview",
        ["id", "project_id", "title", "participant", "language", "source_name", "source_format",
         "interviewed_on", "text", "word_count", "checksum", "imported_by_id", "created_at"],
        (
            (ids[g.index], project.pk, g.title, g.participant, "fr", source_name(g.index),
             "txt", g.interviewed_on, g.text, len(g.text.split()), text_checksum(g.text),
             admin.pk, created)
            for g in generated
        ),
    )  # fmt: skip
    return ids


def _speakers(generated, ids) -> dict[tuple[int, int], int]:
    rows = [
        (ids[g.index], label, role, i)
        for g in generated
        for i, (label, role) in enumerate(g.speakers)
    ]
    speaker_ids = _allocate_ids("interviews_speaker", len(rows))
    _copy(
        "interviews_speaker",
        ["id", "interview_id", "label", "name", "role"],
        (
            (sid, iid, label, label, role)
            for sid, (iid, label, role, _) in zip(speaker_ids, rows, strict=True)
        ),
    )
    return {(iid, i): sid for sid, (iid, _, _, i) in zip(speaker_ids, rows, strict=True)}


def _turns(generated, ids, speaker_ids):
    _copy(
        "interviews_turn",
        ["interview_id", "speaker_id", "start", "end"],
        (
            (ids[g.index], speaker_ids[ids[g.index], speaker], start, end)
            for g in generated
            for speaker, start, end in g.turns
        ),
    )


def _attribute_values(generated, ids, attributes):
    values = []
    for g in generated:
        for key, attribute in attributes.items():
            value = AttributeValue(interview_id=ids[g.index], attribute=attribute)
            if attribute.type == Attribute.Type.NUMBER:
                value.number = Decimal(g.attributes[key])
            else:
                value.text = g.attributes[key]
            values.append(value)
    AttributeValue.objects.bulk_create(values)


def _codings(codings, ids, code_ids, coder_ids, supervisor_id) -> int:
    # The trigger of migration coding 0002 fills `text`, checks the range and writes the audit event.
    count = _copy(
        "coding_coding",
        ["interview_id", "code_id", "coder_id", "start", "end", "status", "created_at", "updated_at"],
        (
            (ids[index], code_ids[c.code], coder_ids[c.coder], c.start, c.end, c.status,
             c.created_at, c.created_at)
            for index, made in codings.items()
            for c in made
        ),
    )  # fmt: skip
    with connection.cursor() as cursor:
        # Reviewed codings get the supervisor's decision, as the review screen would have written it:
        # sending one back takes a comment (review.workflow.send_back), approving does not.
        cursor.execute(
            """
            INSERT INTO coding_reviewevent (coding_id, reviewer_id, status, comment, created_at)
            SELECT id, %s, status,
                   CASE WHEN status = 'needs_change' THEN %s ELSE '' END,
                   updated_at + interval '2 days'
              FROM coding_coding
             WHERE interview_id = ANY(%s) AND status <> 'pending'
            """,
            [supervisor_id, SEND_BACK_COMMENT, list(ids.values())],
        )
    return count


def analyze():
    """Fresh statistics and visibility map, so the first benchmark after a load plans like the hundredth.

    `manage.py bench` also runs it before measuring: its applies and removals (and its floors')
    leave dead codings that autovacuum, at its default threshold (a fifth of a table), never
    reaches in a cluster that only runs while the bench does. L held 19,853 after one night's runs,
    and its excerpts' first page took 9.8–10.1 ms over HTTP before a VACUUM, 8.5 after.

    The counts kept by triggers are also written again compactly (VACUUM FULL): each batch's COPY
    writes a new version of its counts (each coding copied did, before migration coding 0027),
    and none can be pruned in the one transaction. At L the pending counts' 2,001 rows had come to
    fill 4,617 pages, which the review queue read whole on every page (2.3 ms). A project coded
    one coding at a time keeps them in a few pages: its updates are pruned as they go.

    VACUUM cannot run inside a transaction (tests run in one): there, only ANALYZE.
    """
    command = "ANALYZE" if connection.in_atomic_block else "VACUUM (ANALYZE)"
    compact = "ANALYZE" if connection.in_atomic_block else "VACUUM (FULL, ANALYZE)"
    with connection.cursor() as cursor:
        for table in TABLES:
            cursor.execute(f"{command} {table}")
        for table in COUNTS:
            cursor.execute(f"{compact} {table}")


TABLES = (
    "interviews_interview",
    "interviews_turn",
    "interviews_speaker",
    "interviews_attributevalue",
    "interviews_searchsegment",
    "coding_coding",
    "coding_codingevent",
    "coding_reviewevent",
)
COUNTS = ("coding_pendingcount", "coding_codecount", "coding_codetotal", "coding_codercount")


def delete_project(project: Project) -> None:
    """Delete a (large) project without loading its codings into Python.

    The ORM's cascade would fetch every coding because other tables point at codings; here what
    points at them goes first (through the ORM, whatever models exist), then codings and turns in
    one statement each, then the rest through the ORM. The audit rows of the project go too: this
    is generated data, and they would only skew later benchmarks.
    """
    codings = Coding.objects.filter(interview__project=project)
    for relation in Coding._meta.related_objects:
        relation.related_model._base_manager.filter(
            **{f"{relation.field.name}__in": codings}
        ).delete()
    with connection.cursor() as cursor:
        cursor.execute(
            "DELETE FROM coding_coding WHERE interview_id IN "
            "(SELECT id FROM interviews_interview WHERE project_id = %s)",
            [project.pk],
        )
        cursor.execute(
            "DELETE FROM interviews_turn WHERE interview_id IN "
            "(SELECT id FROM interviews_interview WHERE project_id = %s)",
            [project.pk],
        )
    Project.objects.filter(pk=project.pk).delete()
    CodingEvent.objects.filter(project_id=project.pk).delete()


def corpus_checksum(project: Project) -> str:
    """A digest of what the seed decides: texts, turns, attribute values and codings (not ids)."""
    digest = hashlib.sha256()
    interviews = Interview.objects.filter(project=project).order_by("title")
    for interview in interviews.values_list("title", "checksum"):
        digest.update(repr(interview).encode())
    turns = (
        Speaker.objects.filter(interview__project=project)
        .order_by("interview__title", "turns__start")
        .values_list("interview__title", "label", "turns__start", "turns__end")
    )
    for row in turns.iterator(chunk_size=5000):
        digest.update(repr(row).encode())
    values = (
        AttributeValue.objects.filter(interview__project=project)
        .order_by("interview__title", "attribute__position")
        .values_list("interview__title", "attribute__name", "text", "number")
    )
    for row in values.iterator(chunk_size=5000):
        digest.update(repr(row).encode())
    codings = (
        Coding.objects.filter(interview__project=project)
        .order_by("interview__title", "start", "end", "code__position", "coder__username")
        .values_list(
            "interview__title", "code__name", "coder__username", "start", "end", "status", "text"
        )
    )
    for row in codings.iterator(chunk_size=5000):
        digest.update(repr(row).encode())
    return digest.hexdigest()
