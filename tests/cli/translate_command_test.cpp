// The `carebridge translate` command as IT teams run it: the real binary,
// real files, exit codes, stdout and stderr.
#include <gtest/gtest.h>
#include <rapidjson/document.h>
#include <sys/wait.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "golden_record.hpp"

namespace {

namespace fs = std::filesystem;

struct CommandResult {
    int exit_code = -1;
    std::string out;
    std::string err;
};

std::string slurp(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}

class TranslateCommand : public ::testing::Test {
protected:
    void SetUp() override {
        dir_ = fs::temp_directory_path() /
               ("carebridge-cli-" + std::to_string(::getpid()) + "-" +
                ::testing::UnitTest::GetInstance()->current_test_info()->name());
        fs::create_directories(dir_);
    }
    void TearDown() override { fs::remove_all(dir_); }

    fs::path write(const std::string& name, const std::string& content) {
        const fs::path p = dir_ / name;
        std::ofstream(p, std::ios::binary) << content;
        return p;
    }

    // Runs the binary with `args` (already shell-quoted where needed).
    CommandResult run(const std::string& args, const std::string& stdin_text = "") {
        const fs::path in = write("stdin", stdin_text), out = dir_ / "stdout", err = dir_ / "stderr";
        const std::string command = std::string("'") + CAREBRIDGE_BINARY + "' " + args + " < '" + in.string() +
                                    "' > '" + out.string() + "' 2> '" + err.string() + "'";
        const int status = std::system(command.c_str());
        CommandResult r;
        r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
        r.out = slurp(out);
        r.err = slurp(err);
        return r;
    }

    static std::string golden(const std::string& name) { return std::string(CAREBRIDGE_SOURCE_DIR) + "/tests/golden/" + name; }

    // The last line of stderr: the one-line human message.
    static std::string last_line(const std::string& text) {
        std::string trimmed = text;
        while (!trimmed.empty() && trimmed.back() == '\n') trimmed.pop_back();
        const auto pos = trimmed.rfind('\n');
        return pos == std::string::npos ? trimmed : trimmed.substr(pos + 1);
    }

    fs::path dir_;
};

TEST_F(TranslateCommand, HelpIsClearAndSucceeds) {
    const CommandResult top = run("--help");
    EXPECT_EQ(top.exit_code, 0);
    EXPECT_NE(top.out.find("translate"), std::string::npos);
    const CommandResult sub = run("translate --help");
    EXPECT_EQ(sub.exit_code, 0);
    EXPECT_NE(sub.out.find("--from FORMAT"), std::string::npos);
    EXPECT_NE(sub.out.find("Exit status"), std::string::npos);
}

TEST_F(TranslateCommand, UsageErrorsExitOneWithOneLine) {
    for (const std::string args : {"", "nonsense", "translate --from fhir", "translate --from fhir --to xml",
                                   "translate --from fhir --to referral --bogus"}) {
        const CommandResult r = run(args);
        EXPECT_EQ(r.exit_code, 1) << args;
        EXPECT_FALSE(r.err.empty()) << args;
        EXPECT_TRUE(r.out.empty()) << args;
    }
    const CommandResult r = run("translate --from fhir --to xml");
    EXPECT_NE(r.err.find("unknown format 'xml'"), std::string::npos) << r.err;
}

TEST_F(TranslateCommand, MissingFileIsAnIoError) {
    const CommandResult r = run("translate --from fhir --to referral /nonexistent/referral.json");
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_NE(r.err.find("cannot read /nonexistent/referral.json"), std::string::npos) << r.err;
    EXPECT_TRUE(r.out.empty());
}

TEST_F(TranslateCommand, FhirToReferralWritesTheReferralAndWarnsAboutWhatItCannotCarry) {
    const CommandResult r = run("translate --from fhir --to referral '" + golden("referral.fhir.json") + "'");
    ASSERT_EQ(r.exit_code, 0) << r.err;
    rapidjson::Document doc;
    doc.Parse(r.out.c_str());
    ASSERT_FALSE(doc.HasParseError()) << r.out;
    EXPECT_STREQ(doc["schema"].GetString(), "partnership-referral/1");
    EXPECT_STREQ(doc["person"]["nhsNumber"].GetString(), "9990000085");
    // Contacts and the admission have no home in the partnership format: reported, not dropped.
    EXPECT_NE(r.err.find("\"resourceType\": \"OperationOutcome\""), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("\"severity\": \"warning\""), std::string::npos) << r.err;
    EXPECT_NE(last_line(r.err).find("with 3 warnings"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("\"Bundle.entry[22].resource\""), std::string::npos) << r.err;  // the admission
}

TEST_F(TranslateCommand, ReadsStdinAndEveryDirectionSucceedsOnTheGolden) {
    const std::pair<std::string, std::string> inputs[] = {
        {"fhir", "referral.fhir.json"}, {"referral", "referral.json"}, {"carenotes", "referral.carenotes.xml"}};
    for (const auto& [from, file] : inputs) {
        for (const std::string to : {"fhir", "referral", "carenotes"}) {
            const CommandResult r = run("translate --from " + from + " --to " + to + " -", slurp(golden(file)));
            EXPECT_EQ(r.exit_code, 0) << from << " → " << to << ": " << r.err;
            EXPECT_FALSE(r.out.empty()) << from << " → " << to;
        }
    }
}

TEST_F(TranslateCommand, InvalidNhsNumberExitsTwoWithItsPath) {
    std::string text = slurp(golden("referral.json"));
    const auto pos = text.find("9990000085");
    ASSERT_NE(pos, std::string::npos);
    text.replace(pos, 10, "9990000086");
    const CommandResult r = run("translate --from referral --to fhir '" + write("bad.json", text).string() + "'");
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_TRUE(r.out.empty());
    EXPECT_NE(r.err.find("person.nhsNumber"), std::string::npos) << r.err;
    EXPECT_NE(last_line(r.err).find("is not valid referral"), std::string::npos) << r.err;
}

TEST_F(TranslateCommand, MalformedInputsExitTwo) {
    const std::pair<std::string, std::string> cases[] = {
        {"fhir", "{\"resourceType\": \"Bundle\", "},
        {"referral", "[1, 2"},
        {"carenotes", "<CareNotesExport><Client>"},
        {"fhir", std::string(200, '[') + std::string(200, ']')},
        {"carenotes",
         "<?xml version=\"1.0\"?><!DOCTYPE x [<!ENTITY e SYSTEM \"file:///etc/passwd\">]>"
         "<CareNotesExport xmlns=\"urn:carebridge:carenotes:1\">&e;</CareNotesExport>"},
    };
    for (const auto& [from, text] : cases) {
        const CommandResult r = run("translate --from " + from + " --to referral -", text);
        EXPECT_EQ(r.exit_code, 2) << text.substr(0, 60) << "\n" << r.err;
        EXPECT_NE(r.err.find("OperationOutcome"), std::string::npos) << r.err;
        EXPECT_EQ(r.out.find("root:"), std::string::npos);  // nothing from /etc/passwd
    }
}

TEST_F(TranslateCommand, BytesThatAreNotUtf8NeverReachStderrRaw) {
    // Found by fuzzing: with a UTF-7 declaration libxml2's charset converter
    // printed the offending input bytes on stderr, outside the OperationOutcome.
    const std::string text = std::string("<?xml version=\"1.0\" encoding=\"UTF-7\"?>\n<!2") + "\xb4\xb4\xb4" + "0";
    for (const std::string to : {"carenotes", "referral"}) {
        const CommandResult r = run("translate --from carenotes --to " + to + " -", text);
        EXPECT_EQ(r.exit_code, 2);
        EXPECT_EQ(r.err.rfind("{", 0), 0u) << "stderr must start with the OperationOutcome:\n" << r.err;
        EXPECT_EQ(r.err.find("0xB4"), std::string::npos) << r.err;
        EXPECT_EQ(r.err.find("encoding error"), std::string::npos) << r.err;
    }
}

TEST_F(TranslateCommand, ExportOfManyClientsBecomesOneJsonDocumentPerLine) {
    // Three clients: the golden client repeated with its own ids and NHS numbers.
    std::string xml = slurp(golden("referral.carenotes.xml"));
    const auto start = xml.find("<Client");
    const auto end = xml.rfind("</Client>") + std::string("</Client>").size();
    ASSERT_NE(start, std::string::npos);
    const std::string client = xml.substr(start, end - start);
    std::string second = client, third = client;
    for (auto* c : {&second, &third}) {
        const auto nhs = c->find("9990000085");
        ASSERT_NE(nhs, std::string::npos);
        c->replace(nhs, 10, c == &second ? "9990000018" : "9990000026");
    }
    xml.insert(end, "\n" + second + "\n" + third);
    const CommandResult r = run("translate --from carenotes --to referral '" + write("export.xml", xml).string() + "'");
    ASSERT_EQ(r.exit_code, 0) << r.err;
    std::istringstream lines(r.out);
    std::string line;
    std::vector<std::string> numbers;
    while (std::getline(lines, line)) {
        rapidjson::Document doc;
        doc.Parse(line.c_str());
        ASSERT_FALSE(doc.HasParseError()) << line;
        numbers.emplace_back(doc["person"]["nhsNumber"].GetString());
    }
    EXPECT_EQ(numbers, (std::vector<std::string>{"9990000085", "9990000018", "9990000026"}));
    EXPECT_NE(last_line(r.err).find("3 clients translated"), std::string::npos) << r.err;
}

TEST_F(TranslateCommand, OneBadClientIsRejectedAndTheOthersStillTranslate) {
    std::string xml = slurp(golden("referral.carenotes.xml"));
    const auto start = xml.find("<Client");
    const auto end = xml.rfind("</Client>") + std::string("</Client>").size();
    std::string bad = xml.substr(start, end - start);
    bad.replace(bad.find("9990000085"), 10, "9990000086");
    xml.insert(end, "\n" + bad);
    const CommandResult r = run("translate --from carenotes --to fhir '" + write("export.xml", xml).string() + "'");
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_EQ(std::count(r.out.begin(), r.out.end(), '\n'), 1) << r.out.substr(0, 200);
    EXPECT_NE(r.err.find("CareNotesExport.Client[1]"), std::string::npos) << r.err;
    EXPECT_NE(last_line(r.err).find("1 client translated, 1 rejected"), std::string::npos) << r.err;
}

TEST_F(TranslateCommand, StrictRejectsWhatLenientReports) {
    std::string text = slurp(golden("referral.json"));
    text.insert(text.find('{') + 1, "\n  \"favouriteColour\": \"green\",");
    const fs::path p = write("extra.json", text);
    const CommandResult lenient = run("translate --from referral --to fhir '" + p.string() + "'");
    EXPECT_EQ(lenient.exit_code, 0) << lenient.err;
    EXPECT_NE(lenient.err.find("favouriteColour"), std::string::npos) << lenient.err;
    const CommandResult strict = run("translate --strict --from referral --to fhir '" + p.string() + "'");
    EXPECT_EQ(strict.exit_code, 2) << strict.err;
    EXPECT_NE(strict.err.find("favouriteColour"), std::string::npos) << strict.err;
}

TEST_F(TranslateCommand, ProgressIsShownForLargeExportsOnATerminalOnly) {
    // About 20 MB: the golden client repeated, over the 16 MB progress threshold.
    std::string xml = slurp(golden("referral.carenotes.xml"));
    const auto start = xml.find("<Client");
    const auto end = xml.rfind("</Client>") + std::string("</Client>").size();
    const std::string client = xml.substr(start, end - start);
    std::string clients;
    const std::size_t copies = (20u << 20) / client.size();
    clients.reserve(copies * (client.size() + 1));
    for (std::size_t i = 0; i < copies; ++i) (clients += client) += '\n';
    xml.replace(start, end - start, clients);
    const fs::path big = write("big.xml", xml);

    const CommandResult piped = run("translate --quiet --from carenotes --to carenotes '" + big.string() + "'");
    ASSERT_EQ(piped.exit_code, 0) << last_line(piped.err);
    EXPECT_EQ(piped.err.find(" MB ("), std::string::npos) << "no progress when stderr is not a terminal";

    // script(1) gives the command a terminal; its output is the terminal's.
    const fs::path typescript = dir_ / "terminal";
    const std::string command = "script -qec \"'" + std::string(CAREBRIDGE_BINARY) +
                                "' translate --quiet --from carenotes --to carenotes '" + big.string() +
                                "' > /dev/null\" '" + typescript.string() + "' > /dev/null 2>&1";
    ASSERT_EQ(std::system(command.c_str()), 0);
    const std::string terminal = slurp(typescript);
    EXPECT_NE(terminal.find("(100%), " + std::to_string(copies) + " clients"), std::string::npos) << terminal;
}

TEST_F(TranslateCommand, FhirStu3IsReadFromAndRefusedAsATarget) {
    const std::string ers = std::string(CAREBRIDGE_SOURCE_DIR) + "/tests/mappers/fhir_stu3/examples/eRS-Unbooked.json";
    const CommandResult r = run("translate --from fhir-stu3 --to referral '" + ers + "'");
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.out.find("\"nhsNumber\": \"9912003888\""), std::string::npos) << r.out;
    EXPECT_NE(r.err.find("\"ReferralRequest.contained[0]\""), std::string::npos) << r.err;

    const CommandResult refused = run("translate --from fhir --to fhir-stu3 '" + golden("referral.fhir.json") + "'");
    EXPECT_EQ(refused.exit_code, 2);
    EXPECT_TRUE(refused.out.empty());
    EXPECT_EQ(refused.err, "carebridge translate: fhir-stu3 is read, not written: translate to fhir (R4), carenotes or referral\n");
}

}  // namespace
