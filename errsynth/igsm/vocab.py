"""Names for our own iGSM-style generator: hierarchies of four categories with items.

``full`` names read like the paper's (multi-word, some with digits, hyphens, "and" or an
apostrophe, to keep every parser honest); ``short`` names are one word each (``A3``, ``B``)
for tiny word-level models. Names are unique across all hierarchies and never double as a
category, so :func:`vocabulary_lookup` can place any of our names on its layer, which lets
the checker settle category layers without looking at the solution.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

__all__ = [
    "FULL_HIERARCHIES",
    "SHORT_HIERARCHY",
    "HierarchySpec",
    "short_item",
    "vocabulary_lookup",
]


@dataclass(frozen=True, slots=True)
class HierarchySpec:
    """Four categories, top first, and the item names of each."""

    name: str
    categories: tuple[str, str, str, str]
    items: tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...], tuple[str, ...]]


def _names(text: str) -> tuple[str, ...]:
    return tuple(x.strip() for x in text.split(";") if x.strip())


FULL_HIERARCHIES: tuple[HierarchySpec, ...] = (
    HierarchySpec(
        "library",
        ("Library", "Hall", "Bookcase", "Book"),
        (
            _names(
                "Maple Street Library; Riverside Library; Oakwood Library; Hilltop Library;"
                " Lakeview Library; Cedar Grove Library; Old Town Library; Westgate Library;"
                " Pinecrest Library; Brookside Library; Elmwood Library; Stonebridge Library;"
                " Willow Creek Library; 5th Avenue Library; Queen's Park Library"
            ),
            _names(
                "Reading Hall; Map Hall; Archive Hall; Periodicals Hall; Children's Hall;"
                " Music Hall; Science Hall; History Hall; Poetry Hall; Rare Books Hall;"
                " Study Hall; Lecture Hall; Media Hall; Arts and Crafts Hall; Law Hall"
            ),
            _names(
                "Oak Bookcase; Glass Bookcase; Corner Bookcase; Rolling Bookcase;"
                " Tall Bookcase; Ladder Bookcase; Steel Bookcase; Pine Bookcase;"
                " Walnut Bookcase; Wall Bookcase; Low Bookcase; Locked Bookcase;"
                " Revolving Bookcase; Cherry Bookcase; Double Bookcase"
            ),
            _names(
                "Atlas; Almanac; Dictionary; Encyclopedia; Cookbook; Novel; Poetry Book;"
                " Biography; Field Guide; Textbook; Comic Book; Travel Guide; Songbook;"
                " Picture Book; Journal"
            ),
        ),
    ),
    HierarchySpec(
        "harbor",
        ("Port", "Ship", "Hold", "Cargo"),
        (
            _names(
                "North Port; Coral Bay Port; Granite Harbor; Misty Cove; Anchor Point;"
                " Seagull Wharf; Saltmarsh Port; Driftwood Harbor; Lighthouse Bay;"
                " Foghorn Quay; Tidewater Port; Kelp Bay; Sandbar Harbor; Windward Port;"
                " Starfish Cove"
            ),
            _names(
                "Sea Falcon; Blue Heron; Northern Star; Iron Whale; Silver Gull;"
                " Red Lantern; Morning Tide; Storm Petrel; Golden Anchor;"
                " Wandering Albatross; Captain's Pride; Jade Dolphin; Old Mariner;"
                " Swift Otter; Endeavour II"
            ),
            _names(
                "Forward Hold; Aft Hold; Cold Hold; Dry Hold; Lower Hold; Upper Hold;"
                " Bow Hold; Stern Hold; Main Hold; Spare Hold; Deep Hold; Side Hold;"
                " Tank Hold; Mail Hold; Hold 7"
            ),
            _names(
                "Coffee Sack; Tea Chest; Salt Barrel; Spice Box; Copper Coil; Wool Bale;"
                " Rice Bag; Oil Drum; Timber Bundle; Cotton Bale; Iron Ingot; Sugar Sack;"
                " Rum Cask; Silk Roll; Marble Slab"
            ),
        ),
    ),
    HierarchySpec(
        "garden",
        ("Park", "Greenhouse", "Flower Bed", "Flower"),
        (
            _names(
                "Emerald Park; Bramble Park; Rosewood Park; Fernhill Park; Meadowlark Park;"
                " Thistle Park; Clover Park; Juniper Park; Heather Park; Foxglove Park;"
                " Hazel Park; Acorn Park; Primrose Park; Birchwood Park; Larkspur Park"
            ),
            _names(
                "Glass Greenhouse; Tropical Greenhouse; Desert Greenhouse; Orchid House;"
                " Palm House; Fern House; Cactus House; Butterfly House; Alpine House;"
                " Water Lily House; Herb House; Seedling House; Winter House;"
                " Rainforest House; Bonsai House"
            ),
            _names(
                "Round Bed; Raised Bed; Border Bed; Shade Bed; Sunny Bed; Rock Bed;"
                " Island Bed; Corner Bed; Pond Bed; Spiral Bed; Long Bed; Hedge Bed;"
                " Square Bed; Terrace Bed; Cottage Bed"
            ),
            _names(
                "Tulip; Daisy; Orchid; Lily; Peony; Marigold; Iris; Lavender; Sunflower;"
                " Poppy; Dahlia; Violet; Camellia; Begonia; Zinnia"
            ),
        ),
    ),
    HierarchySpec(
        "toys",
        ("Mall", "Store", "Shelf", "Toy"),
        (
            _names(
                "Riverfront Mall; Galaxy Mall; Crystal Mall; Summit Mall; Harborside Mall;"
                " Parkway Mall; Northgate Mall; Sunrise Mall; Lakeside Mall; Grand Arcade;"
                " Village Arcade; Festival Mall; Metro Mall; Canyon Mall; Orchard Mall"
            ),
            _names(
                "Toy Barn; Puzzle Palace; Kite Corner; Game Den; Marble Market; Yo-Yo Shop;"
                " Teddy Depot; Robot Works; Doll House; Block Shop; Wonder Toys;"
                " Tiny Town; Play Planet; Hobby Hub; Toys and Games"
            ),
            _names(
                "Top Shelf; Bottom Shelf; Window Shelf; Front Shelf; Back Shelf;"
                " Sale Shelf; Glass Shelf; Wire Shelf; Display Shelf; Clearance Shelf;"
                " Corner Shelf; End Shelf; Middle Shelf; Kids Shelf; Gift Shelf"
            ),
            _names(
                "Spinning Top; Yo-Yo; Kite; Jigsaw Puzzle; Rubber Duck; Teddy Bear;"
                " Toy Robot; Toy Train; Marble Bag; Jump Rope; Rag Doll; Block Set; Kazoo;"
                " Slinky; Water Pistol"
            ),
        ),
    ),
    HierarchySpec(
        "space",
        ("Galaxy", "Star System", "Planet", "Moon"),
        (
            _names(
                "Andromeda Reach; Whirlpool Expanse; Sombrero Cluster; Pinwheel Drift;"
                " Triangulum Deep; Cartwheel Ring; Sunflower Spiral; Tadpole Stream;"
                " Black Eye Veil; Cigar Belt; Comet Tail Arc; Needle Spire; Hoag Loop;"
                " Magellan Cloud; Sculptor Haze"
            ),
            _names(
                "Sirius System; Vega System; Altair System; Rigel System; Deneb System;"
                " Polaris System; Antares System; Procyon System; Capella System;"
                " Arcturus System; Gliese 581; Kepler 22; Tau Ceti; Wolf 359; Barnard's Star"
            ),
            _names(
                "Aurelia; Boreas; Calypso; Dorado; Erebus; Fenris; Gaia Nova; Helios Minor;"
                " Icarus; Juno Prime; Kronos; Lumen; Mira; Nyx; Orion Nine"
            ),
            _names(
                "Pale Moon; Red Moon; Ice Moon; Dust Moon; Twin Moon; Glass Moon;"
                " Iron Moon; Crescent Moon; Storm Moon; Ember Moon; Frost Moon; Shadow Moon;"
                " Coral Moon; Amber Moon; Silver Moon"
            ),
        ),
    ),
)

SHORT_LETTERS = "ABCD"
#: The one hierarchy of short names: categories A..D, items A1..A20 etc.
SHORT_HIERARCHY = HierarchySpec(
    "short",
    ("A", "B", "C", "D"),
    tuple(  # type: ignore[arg-type]
        tuple(f"{c}{i}" for i in range(1, 21)) for c in SHORT_LETTERS
    ),
)
_SHORT_RE = re.compile(r"([A-D])(?:[1-9][0-9]?)?")


def short_item(layer: int, index: int) -> str:
    """The short name of item ``index`` (1-based) on ``layer``."""
    return f"{SHORT_LETTERS[layer]}{index}"


@cache
def _full_table() -> dict[str, int]:
    table: dict[str, int] = {}
    for h in FULL_HIERARCHIES:
        for layer, (cat, items) in enumerate(zip(h.categories, h.items, strict=True)):
            for name in (cat, *items):
                if name in table:
                    raise ValueError(f"vocabulary name {name!r} is used twice")
                table[name] = layer
    return table


def vocabulary_lookup(name: str) -> int | None:
    """Layer (0 = top) of one of our item or category names, None for any other name."""
    got = _full_table().get(name)
    if got is not None:
        return got
    m = _SHORT_RE.fullmatch(name)
    return None if m is None else SHORT_LETTERS.index(m.group(1))
