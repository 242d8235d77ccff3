#!/usr/bin/env python3
"""tools/check_layers.py on small trees made to pass and to break each rule.

Usage: check_layers_test.py PATH/TO/check_layers.py
"""

import importlib.util
import os
import sys
import tempfile
import unittest

spec = importlib.util.spec_from_file_location("check_layers", sys.argv.pop(1))
check_layers = importlib.util.module_from_spec(spec)
spec.loader.exec_module(check_layers)


def write(top, path, text):
    full = os.path.join(top, path)
    os.makedirs(os.path.dirname(full), exist_ok=True)
    with open(full, "w", encoding="utf-8") as f:
        f.write(text)


class Tree:
    """mappers/model <- mappers/fhir; gateway/store <- its backends; gateway/http <- gateway/api."""

    def __init__(self):
        self.dir = tempfile.TemporaryDirectory()
        self.top = self.dir.name
        write(self.top, "mappers/CMakeLists.txt",
              "carebridge_folder_library(model)\ncarebridge_folder_library(fhir model OpenSSL::Crypto)\n")
        write(self.top, "gateway/CMakeLists.txt",
              "carebridge_folder_library(store Threads::Threads)\n"
              "carebridge_folder_library(store/sqlite store SQLite::SQLite3)\n"
              "carebridge_folder_library(store/postgresql store PkgConfig::LIBPQ)\n"
              "carebridge_folder_library(http model)\n"
              "# a comment naming carebridge_folder_library(ghost) is not a library\n"
              "carebridge_folder_library(api http store fhir SOURCES ${GENERATED})\n"
              "carebridge_folder_library(server api store/sqlite store/postgresql)\n")
        write(self.top, "mappers/model/record.hpp", "#pragma once\n")
        write(self.top, "mappers/fhir/decode.cpp", '#include "model/record.hpp"\n#include <openssl/sha.h>\n')
        write(self.top, "gateway/store/store.hpp", "#pragma once\n")
        write(self.top, "gateway/store/sqlite/sqlite_store.cpp", '#include "store/store.hpp"\n#include <sqlite3.h>\n')
        write(self.top, "gateway/store/sqlite/sqlite_store.hpp", '#pragma once\n#include "store/store.hpp"\n')
        write(self.top, "gateway/store/postgresql/pg_store.cpp", '#include "store/store.hpp"\n#include <libpq-fe.h>\n')
        write(self.top, "gateway/server/server.cpp",
              '#include "store/sqlite/sqlite_store.hpp"\n#include "api/pipeline.hpp"\n')
        write(self.top, "gateway/api/pipeline.hpp", "#pragma once\n")
        write(self.top, "gateway/http/exchange.hpp", '#pragma once\n#include "model/record.hpp"\n')
        write(self.top, "gateway/api/pipeline.cpp",
              '#include "http/exchange.hpp"\n#include "store/store.hpp"\n#include <boost/beast.hpp>\n')

    def findings(self, readme=None):
        return check_layers.check(self.top, readme)[0]


class CheckLayersTest(unittest.TestCase):
    def test_a_layered_tree_passes(self):
        self.assertEqual(Tree().findings(), [])

    def test_an_upward_include_is_found(self):
        tree = Tree()
        write(tree.top, "mappers/model/bad.cpp", '#include "fhir/decode.hpp"\n')
        write(tree.top, "mappers/fhir/decode.hpp", "#pragma once\n")
        self.assertEqual(tree.findings(),
                         ['mappers/model/bad.cpp: includes "fhir/decode.hpp", but mappers/model does not link mappers/fhir'])

    def test_a_sideways_include_is_found(self):
        tree = Tree()
        write(tree.top, "gateway/http/auth.cpp", '#include "store/store.hpp"\n')
        self.assertEqual(len(tree.findings()), 1)
        self.assertIn("gateway/http does not link gateway/store", tree.findings()[0])

    def test_a_cycle_is_found(self):
        tree = Tree()
        write(tree.top, "mappers/CMakeLists.txt",
              "carebridge_folder_library(model fhir)\ncarebridge_folder_library(fhir model)\n")
        findings = tree.findings()
        self.assertEqual(len(findings), 1)
        self.assertIn("cycle", findings[0])

    def test_a_folder_that_is_no_library_is_found(self):
        tree = Tree()
        write(tree.top, "gateway/stray/thing.cpp", "\n")
        self.assertEqual(tree.findings(), ["gateway/stray/thing.cpp: its folder is not a library (add carebridge_folder_library)"])

    def test_sqlite_outside_the_store_is_found(self):
        tree = Tree()
        write(tree.top, "gateway/api/audit.cpp", "#include <sqlite3.h>\n")
        self.assertEqual(tree.findings(),
                         ["gateway/api/audit.cpp: includes <sqlite3.h>, which only gateway/store/sqlite may"])

    def test_sqlite_in_the_store_interface_or_the_other_backend_is_found(self):
        tree = Tree()
        write(tree.top, "gateway/store/group_commit.cpp", "#include <sqlite3.h>\n")
        write(tree.top, "gateway/store/postgresql/pg_audit.cpp", "#include <sqlite3.h>\n")
        self.assertEqual(sorted(tree.findings()),
                         ["gateway/store/group_commit.cpp: includes <sqlite3.h>, which only gateway/store/sqlite may",
                          "gateway/store/postgresql/pg_audit.cpp: includes <sqlite3.h>, which only gateway/store/sqlite may"])

    def test_libpq_outside_its_backend_is_found(self):
        tree = Tree()
        write(tree.top, "gateway/store/sqlite/pg.cpp", "#include <libpq-fe.h>\n")
        self.assertEqual(tree.findings(),
                         ["gateway/store/sqlite/pg.cpp: includes <libpq-fe.h>, which only gateway/store/postgresql may"])

    def test_an_api_include_of_a_backend_it_does_not_link_is_found(self):
        tree = Tree()
        write(tree.top, "gateway/api/audit.cpp", '#include "store/sqlite/sqlite_store.hpp"\n')
        self.assertEqual(tree.findings(),
                         ['gateway/api/audit.cpp: includes "store/sqlite/sqlite_store.hpp", '
                          'but gateway/api does not link gateway/store/sqlite'])

    def test_api_http_or_intake_reaching_a_backend_is_found_even_when_linked(self):
        for folder in ("api", "http", "intake"):
            tree = Tree()
            write(tree.top, "gateway/CMakeLists.txt",
                  "carebridge_folder_library(store)\n"
                  "carebridge_folder_library(store/sqlite store)\n"
                  "carebridge_folder_library(store/postgresql store)\n"
                  "carebridge_folder_library(http model)\n"
                  "carebridge_folder_library(intake store)\n"
                  "carebridge_folder_library(api http store fhir)\n"
                  "carebridge_folder_library(server api store/sqlite store/postgresql)\n")
            # The folder links the SQLite backend outright: the links allow it, the rule does not.
            with open(os.path.join(tree.top, "gateway/CMakeLists.txt"), encoding="utf-8") as f:
                text = f.read()
            write(tree.top, "gateway/CMakeLists.txt",
                  text.replace(f"carebridge_folder_library({folder} ", f"carebridge_folder_library({folder} store/sqlite "))
            self.assertIn(f"gateway/{folder} reaches gateway/store/sqlite, which it must never depend on",
                          tree.findings(), folder)

    def test_boost_in_the_mappers_is_found(self):
        tree = Tree()
        write(tree.top, "mappers/fhir/net.cpp", "#include <boost/asio.hpp>\n")
        self.assertEqual(len(tree.findings()), 1)

    def test_a_store_that_reaches_http_is_found_even_when_linked(self):
        tree = Tree()
        write(tree.top, "gateway/CMakeLists.txt",
              "carebridge_folder_library(store http)\n"
              "carebridge_folder_library(store/sqlite store SQLite::SQLite3)\n"
              "carebridge_folder_library(store/postgresql store)\n"
              "carebridge_folder_library(http model)\n"
              "carebridge_folder_library(api http store fhir)\n"
              "carebridge_folder_library(server api store/sqlite store/postgresql)\n")
        # Its backends reach http through it, and are told so too.
        self.assertEqual(sorted(tree.findings()),
                         ["gateway/store reaches gateway/http, which it must never depend on",
                          "gateway/store/postgresql reaches gateway/http, which it must never depend on",
                          "gateway/store/sqlite reaches gateway/http, which it must never depend on"])

    def test_the_readme_diagram_must_match(self):
        tree = Tree()
        wanted = check_layers.diagram(check_layers.check(tree.top)[1])
        write(tree.top, "README.md", "# x\n<!-- layers:begin -->\n```\n" + wanted + "\n```\n<!-- layers:end -->\n")
        self.assertEqual(tree.findings("README.md"), [])
        write(tree.top, "README.md", "# x\n<!-- layers:begin -->\n```\n 0  old\n```\n<!-- layers:end -->\n")
        self.assertEqual(len(tree.findings("README.md")), 1)
        self.assertIn("out of date", tree.findings("README.md")[0])


if __name__ == "__main__":
    unittest.main()
