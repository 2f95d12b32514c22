"""The maker skills taxonomy: a versioned data file with stable URIs, and lookups over it.

>>> from passport_vc.taxonomy import load_taxonomy
>>> taxonomy = load_taxonomy()
>>> taxonomy.skill("LASER-CUT").uri
'https://passport-vc.org/skills/LASER-CUT'
"""

from passport_vc.taxonomy.errors import (
    InvalidTaxonomyError,
    TaxonomyError,
    UnknownCategoryError,
    UnknownLevelError,
    UnknownSkillError,
)
from passport_vc.taxonomy.loader import (
    TAXONOMY_FILE,
    load_taxonomy,
    load_taxonomy_file,
    parse_taxonomy,
)
from passport_vc.taxonomy.model import (
    CATEGORIES_BASE,
    LEVEL_SCALE,
    SKILLS_BASE,
    TAXONOMY_ID,
    Category,
    EscoAlignment,
    EscoMatch,
    Level,
    Skill,
    SkillKind,
    SkillStatus,
    Taxonomy,
    category_uri,
    level_uri,
    skill_uri,
)
from passport_vc.taxonomy.validation import taxonomy_problems

__all__ = [
    "CATEGORIES_BASE",
    "LEVEL_SCALE",
    "SKILLS_BASE",
    "TAXONOMY_FILE",
    "TAXONOMY_ID",
    "Category",
    "EscoAlignment",
    "EscoMatch",
    "InvalidTaxonomyError",
    "Level",
    "Skill",
    "SkillKind",
    "SkillStatus",
    "Taxonomy",
    "TaxonomyError",
    "UnknownCategoryError",
    "UnknownLevelError",
    "UnknownSkillError",
    "category_uri",
    "level_uri",
    "load_taxonomy",
    "load_taxonomy_file",
    "parse_taxonomy",
    "skill_uri",
    "taxonomy_problems",
]
