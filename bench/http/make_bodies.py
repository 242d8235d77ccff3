#!/usr/bin/env python3
"""FHIR referral Bundles of about 1 KB, 10 KB, 100 KB and 1 MB (compact JSON),
made from the golden referral for the body-size curve of bench/http/intake.sh.

- 1 KB: a MessageHeader, the Patient (NHS number, name, birth date, gender)
  and the ServiceRequest: the least a referral can be.
- 10 KB: the golden Bundle's referral core (person, referral, tasks, consent,
  risk, flags, condition), no care plan or contacts.
- 100 KB and 1 MB: the whole golden Bundle plus service contacts (Encounter
  resources, each its own id) until the size is reached: a long history.

Usage: make_bodies.py GOLDEN_BUNDLE OUT_DIR [SIZE ...]   (sizes: 1k 10k 100k 1m)
Prints the files it wrote, one per line.
"""
import copy
import json
import sys
import uuid

compact = dict(separators=(",", ":"))
golden_path, out_dir = sys.argv[1], sys.argv[2]
sizes = sys.argv[3:] or ["1k", "10k", "100k", "1m"]
golden = json.load(open(golden_path))
by_type = {}
for entry in golden["entry"]:
    by_type.setdefault(entry["resource"]["resourceType"], []).append(entry)


def bundle(entries, header=("resourceType", "id", "meta", "identifier", "type", "timestamp")):
    b = {k: v for k, v in golden.items() if k in header}
    b["entry"] = entries
    return b


def minimal():
    header = copy.deepcopy(by_type["MessageHeader"][0])
    patient = copy.deepcopy(by_type["Patient"][0])
    request = copy.deepcopy(by_type["ServiceRequest"][0])
    p = patient["resource"]
    keep = {"resourceType", "id", "identifier", "name", "birthDate", "gender"}
    patient["resource"] = {k: v for k, v in p.items() if k in keep}
    patient["resource"]["identifier"] = [{"system": i["system"], "value": i["value"]}
                                         for i in p["identifier"] if "nhs-number" in i.get("system", "")][:1]
    patient["resource"]["name"] = [{"family": p["name"][0]["family"], "given": p["name"][0]["given"][:1]}]
    r = request["resource"]
    keep = {"resourceType", "id", "status", "intent", "priority", "subject", "authoredOn"}
    request["resource"] = {k: v for k, v in r.items() if k in keep}
    h = header["resource"]
    header["resource"] = {k: v for k, v in h.items() if k in {"resourceType", "id", "eventCoding", "focus"}}
    header["resource"]["eventCoding"] = {k: v for k, v in h["eventCoding"].items() if k != "display"}
    header["resource"]["source"] = {"endpoint": h["source"]["endpoint"]}
    header["resource"]["focus"] = [{"reference": request["fullUrl"]}]
    return bundle([header, patient, request], ("resourceType", "id", "type", "timestamp"))


def core():
    kinds = ["MessageHeader", "Patient", "ServiceRequest", "Task", "Consent", "RiskAssessment", "Flag", "Condition"]
    entries = [copy.deepcopy(e) for k in kinds for e in by_type.get(k, [])]
    while len(entries) > 3 and len(json.dumps(bundle(entries), **compact)) > 10_500:
        entries.pop(-2)  # a flag or task less; the condition stays last
    return bundle(entries)


def with_contacts(target):
    b = copy.deepcopy(golden)
    template = by_type["Encounter"][0]
    n = 0
    while len(json.dumps(b, **compact)) < target:
        for _ in range(max(1, (target - len(json.dumps(b, **compact))) // 900)):
            e = copy.deepcopy(template)
            new_id = str(uuid.UUID(int=0x5EED0000 + n))
            e["fullUrl"] = "urn:uuid:" + new_id
            e["resource"]["id"] = new_id
            e["resource"]["identifier"][0]["value"] = f"CT-{600000 + n}"
            b["entry"].append(e)
            n += 1
    return b


makers = {"1k": minimal, "10k": core, "100k": lambda: with_contacts(100_000), "1m": lambda: with_contacts(1_000_000)}
for size in sizes:
    path = f"{out_dir}/referral-{size}.fhir.json"
    with open(path, "w") as out:
        out.write(json.dumps(makers[size](), **compact))
    print(path)
