// C3P request parsing: ParseC3pRequest (strict pre-scan, RapidXML in place,
// namespace resolution, typed views) on the specification's getConference
// (and the same request as a focus receives it, with a client certificate)
// and on the commands a conference sends most.
//
// Baseline, measured in the same run: RapidXML alone parsing the same bytes
// in place with the flags xml_reader uses (no checks, no namespaces, no
// typed views). `x_rapidxml` is our time per parse over RapidXML's, and
// `allocs_per_op` counts heap allocations per parse (operator new is counted
// in this binary only).
//
//   bazel run -c opt //bench:codec_parse_bench --
//       --benchmark_repetitions=5 --benchmark_report_aggregates_only=true

#include <time.h>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <new>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "benchmark/benchmark.h"
#include "rapidxml/rapidxml.hpp"

#include "bench/allocation_counter.h"
#include "codec/c3p_request.h"

namespace conf {
namespace codec {
namespace {

// MS-CONFBAS 4.4.7, normalized (tests/testdata/seed/).
constexpr char kSeedGetConference[] =
    "<request C3PVersion=\"1\"\n"
    "         requestId=\"5\"\n"
    "         from=\"sip:alice@contoso.com\"\n"
    "         to=\"sip:alice@contoso.com;gruu;opaque=app:conf:focus:id:5D3747C "
    "\"\n"
    "         xmlns=\"urn:ietf:params:xml:ns:cccp\"\n"
    "         xmlns:msci=\"http://schemas.microsoft.com/rtc/2005/08/"
    "confinfoextensions\">\n"
    "  <getConference>\n"
    "    <conferenceKeys "
    "confEntity=\"sip:alice@contoso.com;gruu;opaque=app:conf:focus:id:"
    "5D3747C\" "
    "/>\n"
    "<msci:encryption-key>\n"
    "  <msci:x509-certificate>123213789BC234D</msci:x509-certificate>\n"
    "</msci:encryption-key>\n"
    "  </getConference>\n"
    "</request>\n";

constexpr char kConf[] =
    "sip:alice@contoso.com;gruu;opaque=app:conf:focus:id:ABCD";

std::string Request(absl::string_view command) {
  return absl::StrCat(
      "<request xmlns=\"urn:ietf:params:xml:ns:cccp\" "
      "xmlns:ci=\"urn:ietf:params:xml:ns:conference-info\" "
      "xmlns:msci=\"http://schemas.microsoft.com/rtc/2005/08/"
      "confinfoextensions\" "
      "xmlns:mscp=\"http://schemas.microsoft.com/rtc/2005/08/cccpextensions\" "
      "xmlns:cis=\"urn:ietf:params:xml:ns:conference-info-separator\" "
      "C3PVersion=\"1\" requestId=\"7\" from=\"sip:bob@contoso.com\" to=\"",
      kConf, "\">", command, "</request>");
}

std::string AddUserBody() {
  return Request(absl::StrCat(
      "<addUser><conferenceKeys confEntity=\"", kConf,
      "\"/><ci:user entity=\"sip:bob@contoso.com\"><ci:roles><ci:entry>"
      "attendee</ci:entry></ci:roles><ci:endpoint "
      "entity=\"{6A5B2F30-1C34-4E9A-9A0B-2B2A5E0C7D11}\" "
      "session-type=\"focus\"><msci:clientInfo><cis:separator/><lobby-capable "
      "xmlns=\"http://schemas.microsoft.com/rtc/2008/12/confinfoextensions\">"
      "true</lobby-capable></msci:clientInfo></ci:endpoint></ci:user>"
      "</addUser>"));
}

std::string ModifyEndpointMediaBody() {
  return Request(absl::StrCat(
      "<modifyEndpointMedia mscp:mcuUri=\"sip:alice@contoso.com;gruu;opaque="
      "app:conf:audio-video:id:ABCD\"><mediaKeys confEntity=\"",
      kConf,
      "\" userEntity=\"sip:bob@contoso.com\" endpointEntity=\"{6A5B}\" "
      "mediaId=\"1\"/><ci:media id=\"1\"><ci:type>audio</ci:type>"
      "<ci:status>recvonly</ci:status><msci:media-ingress-filter>block"
      "</msci:media-ingress-filter></ci:media></modifyEndpointMedia>"));
}

std::string AddConferenceBody() {
  return Request(
      "<addConference><ci:conference-info entity=\"\">"
      "<ci:conference-description><ci:subject>Quarterly review</ci:subject>"
      "<msci:conference-id>5D3747C0A1B2C3D4</msci:conference-id>"
      "<msci:expiry-time>2026-12-01T10:00:00Z</msci:expiry-time>"
      "<msci:admission-policy>openAuthenticated</msci:admission-policy>"
      "</ci:conference-description><msci:conference-view>"
      "<msci:entity-view entity=\"chat\"/>"
      "<msci:entity-view entity=\"audio-video\"/>"
      "<msci:entity-view entity=\"applicationsharing\"/>"
      "</msci:conference-view></ci:conference-info></addConference>");
}

// getConference as a client sends it to a focus: the envelope of
// codec::EncodeGetConferenceRequest and the base64 of a certificate for a
// 2048-bit key (882 DER bytes), wrapped at 64 columns. The parser never
// decodes the certificate, so pseudo-random bytes of the same length stand in
// for it.
std::string GetConferenceWithCertificateBody() {
  std::string der(882, '\0');
  uint32_t x = 2463534242u;
  for (char& c : der) {
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    c = static_cast<char>(x >> 24);
  }
  const std::string flat = absl::Base64Escape(der);
  std::string wrapped;
  for (size_t i = 0; i < flat.size(); i += 64) {
    absl::StrAppend(&wrapped, flat.substr(i, 64), "\n");
  }
  return Request(absl::StrCat(
      "<getConference><conferenceKeys confEntity=\"", kConf,
      "\"/><msci:encryption-key><msci:x509-certificate>", wrapped,
      "</msci:x509-certificate></msci:encryption-key></getConference>"));
}

// The body as a focus hands it over (Focus::HandleRequest): one copy, into
// a buffer with room for the NUL RapidXML needs, so that appending it does
// not copy the body again. Both sides of every ratio use it.
std::vector<char> BodyBuffer(const std::string& body) {
  std::vector<char> buffer;
  buffer.reserve(body.size() + 1);
  buffer.assign(body.begin(), body.end());
  return buffer;
}

// CPU time of the calling thread, in nanoseconds: both sides of the ratio
// are measured with it, so that a busy machine skews neither.
double ThreadCpuNanos() {
  timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) * 1e9 + static_cast<double>(ts.tv_nsec);
}

// Nanoseconds per in-place RapidXML parse of `body` (the copy into a
// BodyBuffer included, as for ParseC3pRequest).
double RapidXmlNanosPerParse(const std::string& body) {
  constexpr int kIterations = 2000;
  auto doc = std::make_unique<rapidxml::xml_document<char>>();
  const double start = ThreadCpuNanos();
  for (int i = 0; i < kIterations; ++i) {
    std::vector<char> buffer = BodyBuffer(body);
    buffer.push_back('\0');
    doc->clear();
    doc->parse<rapidxml::parse_no_string_terminators>(buffer.data());
    benchmark::DoNotOptimize(doc->first_node());
  }
  return (ThreadCpuNanos() - start) / kIterations;
}

void RunParse(benchmark::State& state, const std::string& body,
              C3pCommand expected) {
  {
    absl::StatusOr<C3pRequest> check = ParseC3pRequest(BodyBuffer(body));
    if (!check.ok() || check->command_type != expected) {
      state.SkipWithError(check.ok() ? "unexpected command"
                                     : check.status().ToString().c_str());
      return;
    }
  }
  const double rapidxml_ns = RapidXmlNanosPerParse(body);
  const size_t allocations_before = bench::AllocationCount();
  const double start = ThreadCpuNanos();
  for (auto _ : state) {
    absl::StatusOr<C3pRequest> request = ParseC3pRequest(BodyBuffer(body));
    benchmark::DoNotOptimize(request);
  }
  const double ours_ns =
      (ThreadCpuNanos() - start) / static_cast<double>(state.iterations());
  state.counters["allocs_per_op"] =
      static_cast<double>(bench::AllocationCount() - allocations_before) /
      static_cast<double>(state.iterations());
  state.counters["rapidxml_ns"] = rapidxml_ns;
  state.counters["x_rapidxml"] = ours_ns / rapidxml_ns;
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() *
                          static_cast<int64_t>(body.size()));
}

void BM_Codec_ParseGetConference(benchmark::State& state) {
  RunParse(state, kSeedGetConference, C3pCommand::kGetConference);
}
BENCHMARK(BM_Codec_ParseGetConference);

void BM_Codec_ParseGetConference_Certificate(benchmark::State& state) {
  RunParse(state, GetConferenceWithCertificateBody(),
           C3pCommand::kGetConference);
}
BENCHMARK(BM_Codec_ParseGetConference_Certificate);

void BM_Codec_ParseAddUser(benchmark::State& state) {
  RunParse(state, AddUserBody(), C3pCommand::kAddUser);
}
BENCHMARK(BM_Codec_ParseAddUser);

void BM_Codec_ParseModifyEndpointMedia(benchmark::State& state) {
  RunParse(state, ModifyEndpointMediaBody(), C3pCommand::kModifyEndpointMedia);
}
BENCHMARK(BM_Codec_ParseModifyEndpointMedia);

void BM_Codec_ParseAddConference(benchmark::State& state) {
  RunParse(state, AddConferenceBody(), C3pCommand::kAddConference);
}
BENCHMARK(BM_Codec_ParseAddConference);

// Many requests parsed at once on both cores: the parser shares nothing.
void BM_Codec_ParseGetConference_Threads(benchmark::State& state) {
  const std::string body = kSeedGetConference;
  for (auto _ : state) {
    absl::StatusOr<C3pRequest> request = ParseC3pRequest(BodyBuffer(body));
    benchmark::DoNotOptimize(request);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_Codec_ParseGetConference_Threads)
    ->ThreadRange(1, 2)
    ->UseRealTime();

}  // namespace
}  // namespace codec
}  // namespace conf

BENCHMARK_MAIN();
