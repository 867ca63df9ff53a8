"""Clinical specialties a new reader picks from: each maps to MeSH descriptors (with their tree
numbers) and a handful of core journals. The feed's cold start embeds ``describe(s)`` as a
pseudo-like and boosts papers whose MeSH descriptors or journal match.
"""

from __future__ import annotations

from dataclasses import dataclass

from litfeed.errors import InvalidInput


@dataclass(frozen=True)
class Specialty:
    key: str
    name: str
    mesh: tuple[tuple[str, str], ...]  # (descriptor, tree number)
    journals: tuple[str, ...]  # ISO abbreviations (NLM)


def _s(key: str, name: str, mesh: str, journals: str) -> Specialty:
    pairs = tuple(tuple(item.strip().rsplit(" [", 1)) for item in mesh.split(";"))
    return Specialty(key, name, tuple((d, t.rstrip("]")) for d, t in pairs),
                     tuple(j.strip() for j in journals.split(";")))


SPECIALTIES: tuple[Specialty, ...] = (
    _s("allergy", "Allergy & Immunology", "Hypersensitivity [C20.543]; Asthma [C08.127.108]; "
       "Immunotherapy [E02.095.465]", "J Allergy Clin Immunol; Allergy; Clin Exp Allergy"),
    _s("anesthesiology", "Anesthesiology", "Anesthesia [E03.155]; Anesthetics [D27.505.696.399."
       "450]; Pain, Postoperative [C23.888.592.612.050.500]",
       "Anesthesiology; Br J Anaesth; Anesth Analg"),
    _s("cardiology", "Cardiology", "Cardiovascular Diseases [C14]; Heart Failure [C14.280.434]; "
       "Cardiovascular Agents [D27.505.954.411]; Hypertension [C14.907.489]",
       "Circulation; J Am Coll Cardiol; Eur Heart J; JAMA Cardiol"),
    _s("critical_care", "Critical Care Medicine", "Critical Care [E02.760.190]; Intensive Care "
       "Units [N02.278.388.493]; Sepsis [C01.757]; Respiration, Artificial [E02.041.625]",
       "Crit Care Med; Intensive Care Med; Am J Respir Crit Care Med"),
    _s("dermatology", "Dermatology", "Skin Diseases [C17.800]; Dermatologic Agents "
       "[D27.505.954.502]", "JAMA Dermatol; J Am Acad Dermatol; Br J Dermatol"),
    _s("emergency", "Emergency Medicine", "Emergency Medicine [H02.403.290]; Emergency Service, "
       "Hospital [N02.278.388.260]; Wounds and Injuries [C26]",
       "Ann Emerg Med; Acad Emerg Med; Resuscitation"),
    _s("endocrinology", "Endocrinology & Diabetes", "Endocrine System Diseases [C19]; Diabetes "
       "Mellitus [C19.246]; Hypoglycemic Agents [D27.505.954.427.700]; Thyroid Diseases "
       "[C19.874]", "Diabetes Care; Lancet Diabetes Endocrinol; J Clin Endocrinol Metab"),
    _s("family_medicine", "Family Medicine & Primary Care", "Primary Health Care [N04.590.233."
       "727]; Family Practice [H02.403.300]; Preventive Medicine [H02.403.720]",
       "Ann Fam Med; Br J Gen Pract; Am Fam Physician"),
    _s("gastroenterology", "Gastroenterology & Hepatology", "Digestive System Diseases [C06]; "
       "Liver Diseases [C06.552]; Proton Pump Inhibitors [D27.505.519.389.745]; Inflammatory "
       "Bowel Diseases [C06.405.205.731]", "Gastroenterology; Gut; Hepatology; Am J Gastroenterol"),
    _s("geriatrics", "Geriatrics", "Geriatrics [H02.403.340]; Aged [M01.060.116.100]; Dementia "
       "[F03.615.400]; Frailty [C23.888.346]", "J Am Geriatr Soc; Age Ageing; J Gerontol A"),
    _s("hematology", "Hematology", "Hematologic Diseases [C15.378]; Anemia [C15.378.071]; "
       "Anticoagulants [D27.505.954.502.119]; Thrombosis [C14.907.355.830]",
       "Blood; Lancet Haematol; J Thromb Haemost"),
    _s("infectious", "Infectious Diseases", "Infections [C01]; Anti-Bacterial Agents [D27.505."
       "954.122.085]; HIV Infections [C01.925.782.815.616.400]; Vaccines [D20.215.894]",
       "Clin Infect Dis; Lancet Infect Dis; J Infect Dis"),
    _s("internal_medicine", "General Internal Medicine", "Internal Medicine [H02.403.429]; "
       "Chronic Disease [C23.550.291.500]; Multimorbidity [N06.850.490.625]",
       "N Engl J Med; JAMA; Lancet; BMJ; Ann Intern Med; JAMA Intern Med"),
    _s("nephrology", "Nephrology", "Kidney Diseases [C12.777.419]; Renal Dialysis [E05.760.905]; "
       "Renal Insufficiency, Chronic [C12.777.419.780.050]",
       "J Am Soc Nephrol; Kidney Int; Am J Kidney Dis"),
    _s("neurology", "Neurology", "Nervous System Diseases [C10]; Stroke [C10.228.140.300.775]; "
       "Epilepsy [C10.228.140.490]; Parkinson Disease [C10.228.140.079.862.500]",
       "Lancet Neurol; Neurology; JAMA Neurol; Brain"),
    _s("obstetrics", "Obstetrics & Gynecology", "Pregnancy Complications [C13.703]; Pregnancy "
       "[G08.686.784.769]; Genital Diseases, Female [C13.351.500]",
       "Obstet Gynecol; Am J Obstet Gynecol; BJOG"),
    _s("oncology", "Oncology", "Neoplasms [C04]; Antineoplastic Agents [D27.505.954.248]; "
       "Radiotherapy [E02.815]", "J Clin Oncol; Lancet Oncol; JAMA Oncol; CA Cancer J Clin"),
    _s("ophthalmology", "Ophthalmology", "Eye Diseases [C11]; Glaucoma [C11.525.381]; Macular "
       "Degeneration [C11.768.585]", "Ophthalmology; JAMA Ophthalmol; Br J Ophthalmol"),
    _s("orthopedics", "Orthopedics", "Musculoskeletal Diseases [C05]; Fractures, Bone "
       "[C26.404]; Arthroplasty [E04.555.110]; Orthopedic Procedures [E04.555]",
       "J Bone Joint Surg Am; Bone Joint J; Clin Orthop Relat Res"),
    _s("otolaryngology", "Otolaryngology", "Otorhinolaryngologic Diseases [C09]; Hearing Loss "
       "[C09.218.458.341]; Sinusitis [C09.603.692]",
       "JAMA Otolaryngol Head Neck Surg; Laryngoscope; Otolaryngol Head Neck Surg"),
    _s("pediatrics", "Pediatrics", "Child [M01.060.406]; Infant [M01.060.703]; Attention Deficit "
       "Disorder with Hyperactivity [F03.625.094.150]; Infant, Newborn, Diseases [C16.614]",
       "Pediatrics; JAMA Pediatr; Lancet Child Adolesc Health; J Pediatr"),
    _s("psychiatry", "Psychiatry", "Mental Disorders [F03]; Psychotherapy [F04.754]; "
       "Psychotropic Drugs [D27.505.696.577]; Antipsychotic Agents [D27.505.696.577.143]",
       "Am J Psychiatry; JAMA Psychiatry; Lancet Psychiatry; Br J Psychiatry"),
    _s("pulmonology", "Pulmonology", "Respiratory Tract Diseases [C08]; Pulmonary Disease, "
       "Chronic Obstructive [C08.381.495.389]; Asthma [C08.127.108]",
       "Lancet Respir Med; Eur Respir J; Chest; Thorax"),
    _s("radiology", "Radiology", "Diagnostic Imaging [E01.370.350]; Radiography [E01.370.350."
       "700]; Magnetic Resonance Imaging [E01.370.350.825.500]",
       "Radiology; Eur Radiol; AJR Am J Roentgenol"),
    _s("rheumatology", "Rheumatology", "Rheumatic Diseases [C05.799]; Arthritis, Rheumatoid "
       "[C05.550.114.154]; Anti-Inflammatory Agents, Non-Steroidal [D27.505.954.158]; "
       "Osteoarthritis [C05.550.114.606]", "Ann Rheum Dis; Arthritis Rheumatol; Rheumatology"),
    _s("surgery", "General Surgery", "Surgical Procedures, Operative [E04]; Postoperative "
       "Complications [C23.550.767]; Laparoscopy [E01.370.388.250.520]",
       "Ann Surg; JAMA Surg; Br J Surg"),
    _s("urology", "Urology", "Urologic Diseases [C12.950]; Urinary Incontinence [C12.950.926]; "
       "Prostatic Neoplasms [C04.588.945.440.770]", "Eur Urol; J Urol; BJU Int"),
    _s("vascular_surgery", "Vascular Surgery", "Vascular Diseases [C14.907]; Aortic Aneurysm "
       "[C14.907.055.050]; Peripheral Arterial Disease [C14.907.137.780]",
       "J Vasc Surg; Eur J Vasc Endovasc Surg"),
    _s("public_health", "Public Health & Epidemiology", "Public Health [N06.850]; Epidemiologic "
       "Studies [E05.318.372]; Health Policy [N03.349.650]",
       "Am J Public Health; Lancet Public Health; Int J Epidemiol"),
    _s("pharmacology", "Clinical Pharmacology", "Drug Therapy [E02.319]; Drug-Related Side "
       "Effects and Adverse Reactions [C25.100]; Pharmacokinetics [G07.690.773.875]",
       "Clin Pharmacol Ther; Br J Clin Pharmacol; Drug Saf"),
    _s("sports_medicine", "Sports Medicine", "Sports Medicine [H02.403.740]; Athletic Injuries "
       "[C26.088]; Exercise [G11.427.410.698.277]", "Br J Sports Med; Am J Sports Med"),
    _s("palliative", "Palliative Care", "Palliative Care [E02.760.666]; Hospice Care "
       "[N02.421.585.400]; Terminal Care [E02.760.905]",
       "J Pain Symptom Manage; Palliat Med; J Palliat Med"),
    _s("addiction", "Addiction Medicine", "Substance-Related Disorders [F03.900]; Tobacco Use "
       "Disorder [F03.900.900]; Opioid-Related Disorders [F03.900.647]",
       "Addiction; Drug Alcohol Depend; J Subst Abuse Treat"),
    _s("health_services", "Health Services & Quality", "Quality of Health Care [N04.761]; "
       "Practice Patterns, Physicians' [N05.300.625]; Guideline Adherence [N05.300.430]",
       "BMJ Qual Saf; Implement Sci; Health Serv Res"),
)

BY_KEY: dict[str, Specialty] = {s.key: s for s in SPECIALTIES}


def get(key: str) -> Specialty:
    """:raise InvalidInput: not one of the curated specialties."""
    try:
        return BY_KEY[key]
    except KeyError:
        raise InvalidInput(f"unknown specialty {key!r}; expected one of "
                           f"{', '.join(sorted(BY_KEY))}") from None


def describe(s: Specialty) -> str:
    """The text embedded as this specialty's pseudo-like."""
    return f"{s.name}. " + "; ".join(d for d, _ in s.mesh)
