// Documents parsed from several threads at once: each thread reuses its own
// RapidXML document across parses, so every parse, refused or not, must
// leave nothing behind that the next one on the same or another thread could
// see. Run under TSan in CI (tag "concurrency").

#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

#include "codec/xml_reader.h"
#include "testing/status_matchers.h"

namespace conf {
namespace codec {
namespace {

using ::conf::testing::StatusIs;
using ::testing::HasSubstr;

std::vector<char> Bytes(absl::string_view s) {
  return std::vector<char>(s.begin(), s.end());
}

TEST(XmlDocumentConcurrencyTest, ThreadsParseAndRefuseIndependently) {
  constexpr int kThreads = 4;
  constexpr int kRounds = 300;
  std::vector<std::string> texts;
  for (int t = 0; t < kThreads; ++t) {
    std::string text;
    for (int i = 0; i < 700 + 97 * t; ++i) {
      text.push_back(i % 65 == 64 ? '\n'
                                  : static_cast<char>('A' + (i + t) % 26));
    }
    texts.push_back(text);
  }
  std::vector<std::string> failures(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([t, &texts, &failures] {
      for (int round = 0; round < kRounds; ++round) {
        const std::string id = absl::StrCat(t, "-", round);
        const std::string body =
            absl::StrCat("<r xmlns=\"urn:r\" id=\"", id, "\"><a>", t, "</a><k>",
                         texts[t], "</k></r>");
        absl::StatusOr<XmlDocument> doc = XmlDocument::Parse(Bytes(body));
        if (!doc.ok() || doc->root().attributes.size() != 1 ||
            doc->root().attributes[0].value != id ||
            doc->root().first_child->text != absl::StrCat(t) ||
            doc->root().first_child->next_sibling->text != texts[t] ||
            doc->element_count() != 3) {
          failures[t] =
              absl::StrCat("round ", round, ": ",
                           doc.ok() ? "wrong tree" : doc.status().ToString());
          return;
        }
        // A refused document between two good ones.
        absl::StatusOr<XmlDocument> bad =
            XmlDocument::Parse(Bytes("<r><p:b/></r>"));
        if (bad.ok()) {
          failures[t] = absl::StrCat("round ", round, ": bad accepted");
          return;
        }
      }
    });
  }
  for (std::thread& thread : threads)
    thread.join();
  for (int t = 0; t < kThreads; ++t)
    EXPECT_EQ(failures[t], "") << "thread " << t;
  EXPECT_THAT(XmlDocument::Parse(Bytes("<r><p:b/></r>")),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("undeclared namespace prefix p")));
}

}  // namespace
}  // namespace codec
}  // namespace conf
