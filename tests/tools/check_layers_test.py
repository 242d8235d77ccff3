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
    """mappers/model <- mappers/fhir; gateway/store; gateway/http <- gateway/api."""

    def __init__(self):
        self.dir = tempfile.TemporaryDirectory()
        self.top = self.dir.name
        write(self.top, "mappers/CMakeLists.txt",
              "carebridge_folder_library(model)\ncarebridge_folder_library(fhir model OpenSSL::Crypto)\n")
        write(self.top, "gateway/CMakeLists.txt",
              "carebridge_folder_library(store SQLite::SQLite3)\n"
              "carebridge_folder_library(http model)\n"
              "# a comment naming carebridge_folder_library(ghost) is not a library\n"
              "carebridge_folder_library(api http store fhir SOURCES ${GENERATED})\n")
        write(self.top, "mappers/model/record.hpp", "#pragma once\n")
        write(self.top, "mappers/fhir/decode.cpp", '#include "model/record.hpp"\n#include <openssl/sha.h>\n')
        write(self.top, "gateway/store/store.hpp", "#pragma once\n")
        write(self.top, "gateway/store/sqlite.cpp", '#include "store.hpp"\n#include <sqlite3.h>\n')
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
        self.assertEqual(tree.findings(), ["gateway/api/audit.cpp: includes <sqlite3.h>, which only gateway/store may"])

    def test_boost_in_the_mappers_is_found(self):
        tree = Tree()
        write(tree.top, "mappers/fhir/net.cpp", "#include <boost/asio.hpp>\n")
        self.assertEqual(len(tree.findings()), 1)

    def test_a_store_that_reaches_http_is_found_even_when_linked(self):
        tree = Tree()
        write(tree.top, "gateway/CMakeLists.txt",
              "carebridge_folder_library(store http SQLite::SQLite3)\n"
              "carebridge_folder_library(http model)\n"
              "carebridge_folder_library(api http store fhir)\n")
        self.assertEqual(tree.findings(), ["gateway/store reaches gateway/http, which it must never depend on"])

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
