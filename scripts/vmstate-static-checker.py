#!/usr/bin/env python3
"""Compare two -dump-vmstate JSON dumps and report what breaks migration.

    vmstate-static-checker.py -s SRC.json -d DEST.json [--reverse]

SRC is the dump of the binary that sends (saves) state, DEST of the one
that receives (loads) it; --reverse swaps them.  Reported as errors:
  - a section, description, field or subsection of SRC missing in DEST
  - a field renamed, resized, or with another element count
  - a version_id lowered (SRC sends a version DEST cannot load)
  - a minimum_version_id raised past SRC's version_id
  - a field DEST expects at SRC's version that SRC does not send
A different machine type is only a warning.

The exit status is the number of errors (at most 255), as with QEMU's
checker of the same name: 0 means the migration should work; 255 also
means an unreadable or malformed dump (said on stderr).
Standard library only, for Debian's python3.
"""

import argparse
import json
import sys


class Checker:
    def __init__(self):
        self.errors = 0

    def error(self, msg):
        print(msg)
        self.errors = min(self.errors + 1, 255)

    def check_version(self, src, dest, where):
        if src["version_id"] > dest["version_id"]:
            self.error(f"{where}: version error: {src['version_id']} > "
                       f"{dest['version_id']}")
        if "minimum_version_id" in dest and \
                src["version_id"] < dest["minimum_version_id"]:
            self.error(f"{where}: minimum version error: {src['version_id']}"
                       f" < {dest['minimum_version_id']}")

    def check_fields(self, src_fields, dest_fields, src_version, where):
        for i, s_field in enumerate(src_fields):
            name = s_field["field"]
            if i >= len(dest_fields):
                self.error(f"{where}: expected field \"{name}\", while dest "
                           "has no further fields")
                return
            d_field = dest_fields[i]
            if d_field["field"] != name:
                self.error(f"{where}: expected field \"{name}\", got "
                           f"\"{d_field['field']}\"; skipping rest")
                return
            fwhere = f"{where}, Field \"{name}\""
            if s_field.get("version_id", 0) != d_field.get("version_id", 0):
                self.error(f"{fwhere}: field version changed: "
                           f"{s_field.get('version_id', 0)} -> "
                           f"{d_field.get('version_id', 0)}")
            if s_field.get("num") != d_field.get("num"):
                self.error(f"{fwhere}: element count mismatch: "
                           f"{s_field.get('num')}, {d_field.get('num')}")
            if "Description" in s_field:
                if "Description" not in d_field:
                    self.error(f"{fwhere}: missing description")
                else:
                    self.check_description(s_field["Description"],
                                           d_field["Description"], where)
            elif s_field["size"] != d_field["size"]:
                self.error(f"{fwhere}: size mismatch: {s_field['size']}, "
                           f"{d_field['size']}")
        for d_field in dest_fields[len(src_fields):]:
            # A new field is fine only if older streams do not carry it.
            if not d_field.get("field_exists") and \
                    d_field.get("version_id", 0) <= src_version:
                self.error(f"{where}: dest expects field "
                           f"\"{d_field['field']}\" at version {src_version},"
                           " which src does not send")

    def check_subsections(self, src_subs, dest_subs, where):
        dest_by_name = {d["name"]: d for d in dest_subs}
        for s_sub in src_subs:
            d_sub = dest_by_name.get(s_sub["name"])
            if d_sub is None:
                self.error(f"{where}: Subsection \"{s_sub['name']}\" not "
                           "found")
                continue
            self.check_description(s_sub, d_sub, where)

    def check_description(self, src, dest, section):
        where = f"Section \"{section}\", Description \"{src['name']}\""
        if src["name"] != dest["name"]:
            self.error(f"Section \"{section}\": Description \"{src['name']}\""
                       f" missing, got \"{dest['name']}\" instead; skipping")
            return
        self.check_version(src, dest, where)
        for entry in src:
            if entry not in dest and entry in ("Fields", "Subsections"):
                self.error(f"{where}: Entry \"{entry}\" missing")
        self.check_fields(src.get("Fields", []), dest.get("Fields", []),
                          src["version_id"], where)
        self.check_subsections(src.get("Subsections", []),
                               dest.get("Subsections", []), where)

    def check(self, src, dest):
        for name, s in src.items():
            if name not in dest:
                self.error(f"Section \"{name}\" does not exist in dest")
                continue
            d = dest[name]
            if name == "vmschkmachine":
                if s.get("Name") != d.get("Name"):
                    print("Warning: checking incompatible machine types: "
                          f"\"{s.get('Name')}\", \"{d.get('Name')}\"")
                continue
            self.check_version(s, d, f"Section \"{name}\"")
            if "Description" in s:
                if "Description" not in d:
                    self.error(f"Section \"{name}\": Entry \"Description\" "
                               "missing")
                else:
                    self.check_description(s["Description"],
                                           d["Description"], name)
        return self.errors


def fail(msg):
    """Unreadable input: exit 255, beyond any count of errors found."""
    print(f"vmstate-static-checker: {msg}", file=sys.stderr)
    sys.exit(255)


def load(path):
    try:
        with open(path, encoding="utf-8") as f:
            data = json.load(f)
    except (OSError, ValueError) as e:
        fail(f"{path}: {e}")
    if not isinstance(data, dict):
        fail(f"{path}: not a -dump-vmstate dump")
    return data


def main():
    parser = argparse.ArgumentParser(
        description="Check whether migration from SRC to DEST would break, "
        "from the JSON dumps of their -dump-vmstate option.")
    parser.add_argument("-s", "--src", required=True,
                        help="dump of the sending (source) binary")
    parser.add_argument("-d", "--dest", required=True,
                        help="dump of the receiving (destination) binary")
    parser.add_argument("--reverse", action="store_true",
                        help="check migration from DEST to SRC instead")
    args = parser.parse_args()

    src, dest = load(args.src), load(args.dest)
    if args.reverse:
        src, dest = dest, src
    try:
        return Checker().check(src, dest)
    except (KeyError, TypeError, AttributeError) as e:
        fail(f"malformed dump: {e!r}")


if __name__ == "__main__":
    sys.exit(main())
