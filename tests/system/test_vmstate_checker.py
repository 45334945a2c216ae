"""scripts/vmstate-static-checker.py on hand-made -dump-vmstate dumps."""
import copy
import json
import subprocess

from conftest import ROOT

CHECKER = ROOT / "scripts" / "vmstate-static-checker.py"

BASE = {
    "vmschkmachine": {"Name": "pc"},
    "serial": {
        "Name": "serial",
        "version_id": 4,
        "minimum_version_id": 2,
        "Description": {
            "name": "serial",
            "version_id": 4,
            "minimum_version_id": 2,
            "Fields": [
                {"field": "divider", "version_id": 2, "field_exists": False,
                 "size": 2},
                {"field": "lcr", "version_id": 0, "field_exists": False,
                 "size": 1},
                {"field": "fifo", "version_id": 0, "field_exists": False,
                 "num": 16, "size": 1},
                {"field": "timer", "version_id": 0, "field_exists": False,
                 "size": 8,
                 "Description": {
                     "name": "fifo_timer", "version_id": 1,
                     "minimum_version_id": 1,
                     "Fields": [
                         {"field": "expire", "version_id": 0,
                          "field_exists": False, "size": 8}]}},
            ],
            "Subsections": [
                {"name": "serial/thr_ipending", "version_id": 1,
                 "minimum_version_id": 1,
                 "Fields": [
                     {"field": "thr_ipending", "version_id": 0,
                      "field_exists": False, "size": 4}]},
            ],
        },
    },
    "i8254": {
        "Name": "i8254",
        "version_id": 3,
        "minimum_version_id": 2,
        "Description": {
            "name": "i8254", "version_id": 3, "minimum_version_id": 2,
            "Fields": [{"field": "channels", "version_id": 0,
                        "field_exists": False, "size": 56}],
        },
    },
}


def run_checker(tmp_path, src, dest, *extra):
    s, d = tmp_path / "src.json", tmp_path / "dest.json"
    s.write_text(json.dumps(src, indent=2))
    d.write_text(json.dumps(dest, indent=2))
    return subprocess.run(["/usr/bin/python3", str(CHECKER), "-s", str(s),
                           "-d", str(d), *extra],
                          capture_output=True, text=True, timeout=30)


def serial_desc(dump):
    return dump["serial"]["Description"]


def test_identical_dumps_pass(tmp_path):
    r = run_checker(tmp_path, BASE, BASE)
    assert r.returncode == 0, r.stdout
    assert r.stdout == ""


def test_section_removed(tmp_path):
    dest = copy.deepcopy(BASE)
    del dest["i8254"]
    r = run_checker(tmp_path, BASE, dest)
    assert r.returncode == 1
    assert 'Section "i8254" does not exist in dest' in r.stdout
    # The other way round a new section is harmless.
    assert run_checker(tmp_path, dest, BASE).returncode == 0
    assert run_checker(tmp_path, BASE, dest, "--reverse").returncode == 0


def test_field_removed(tmp_path):
    dest = copy.deepcopy(BASE)
    del serial_desc(dest)["Fields"][1]
    r = run_checker(tmp_path, BASE, dest)
    assert r.returncode == 1
    assert ('Section "serial", Description "serial": expected field "lcr", '
            'got "fifo"; skipping rest') in r.stdout


def test_field_resized_and_array_shrunk(tmp_path):
    dest = copy.deepcopy(BASE)
    serial_desc(dest)["Fields"][0]["size"] = 4
    serial_desc(dest)["Fields"][2]["num"] = 8
    r = run_checker(tmp_path, BASE, dest)
    assert r.returncode == 2
    assert 'Field "divider": size mismatch: 2, 4' in r.stdout
    assert 'Field "fifo": element count mismatch: 16, 8' in r.stdout


def test_version_lowered(tmp_path):
    dest = copy.deepcopy(BASE)
    dest["serial"]["version_id"] = 3
    serial_desc(dest)["version_id"] = 3
    r = run_checker(tmp_path, BASE, dest)
    assert r.returncode == 2
    assert 'Section "serial": version error: 4 > 3' in r.stdout


def test_minimum_version_raised_past_old_version(tmp_path):
    dest = copy.deepcopy(BASE)
    dest["i8254"]["version_id"] = 5
    dest["i8254"]["minimum_version_id"] = 4
    dest["i8254"]["Description"]["version_id"] = 5
    dest["i8254"]["Description"]["minimum_version_id"] = 4
    r = run_checker(tmp_path, BASE, dest)
    assert r.returncode == 2
    assert 'Section "i8254": minimum version error: 3 < 4' in r.stdout
    # Raising it only up to the old version is fine.
    for d in (dest["i8254"], dest["i8254"]["Description"]):
        d["minimum_version_id"] = 3
    assert run_checker(tmp_path, BASE, dest).returncode == 0


def test_new_field_must_be_versioned(tmp_path):
    dest = copy.deepcopy(BASE)
    fields = serial_desc(dest)["Fields"]
    fields.append({"field": "scr", "version_id": 0, "field_exists": False,
                   "size": 1})
    r = run_checker(tmp_path, BASE, dest)
    assert r.returncode == 1
    assert 'dest expects field "scr" at version 4' in r.stdout
    # Added with a version bump it is fine.
    fields[-1]["version_id"] = 5
    for d in (dest["serial"], serial_desc(dest)):
        d["version_id"] = 5
    assert run_checker(tmp_path, BASE, dest).returncode == 0


def test_nested_and_subsection_changes(tmp_path):
    dest = copy.deepcopy(BASE)
    serial_desc(dest)["Subsections"] = []
    timer = serial_desc(dest)["Fields"][3]["Description"]
    timer["Fields"][0]["size"] = 4
    r = run_checker(tmp_path, BASE, dest)
    assert r.returncode == 2
    assert 'Subsection "serial/thr_ipending" not found' in r.stdout
    assert ('Description "fifo_timer", Field "expire": size mismatch: 8, 4'
            in r.stdout)


def test_machine_type_is_a_warning(tmp_path):
    dest = copy.deepcopy(BASE)
    dest["vmschkmachine"]["Name"] = "q35"
    r = run_checker(tmp_path, BASE, dest)
    assert r.returncode == 0
    assert 'Warning: checking incompatible machine types: "pc", "q35"' \
        in r.stdout


def test_malformed_dump(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text("{ not json")
    good = tmp_path / "good.json"
    good.write_text(json.dumps(BASE))
    r = subprocess.run(["/usr/bin/python3", str(CHECKER), "-s", str(bad),
                        "-d", str(good)], capture_output=True, text=True,
                       timeout=30)
    assert r.returncode == 255
    assert "bad.json" in r.stderr


def test_osprey_dump_checks_against_itself(osprey, tmp_path):
    out = tmp_path / "dump.json"
    r = subprocess.run([osprey, "-M", "none", "-dump-vmstate", str(out)],
                       capture_output=True, text=True, timeout=30)
    assert r.returncode == 0, r.stderr
    dump = json.loads(out.read_text())
    assert dump["vmschkmachine"] == {"Name": "none"}
    r = subprocess.run(["/usr/bin/python3", str(CHECKER), "-s", str(out),
                        "-d", str(out)], capture_output=True, text=True,
                       timeout=30)
    assert r.returncode == 0, r.stdout
