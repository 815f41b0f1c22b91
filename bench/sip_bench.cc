// SIP message parsing: ParseMessage (zero-copy views, typed Call-ID, CSeq,
// From, To, Via, Contact, Content-Length, ...) on the specification's
// getConference INFO request and the INFO carrying its response (MS-CONFBAS
// 4.4.7), as they come off the wire: CRLF line ends, the bodies byte for
// byte (sip/testdata/seed/), Content-Length set to the body's size.
//
// Baseline, measured in the same run: GNU oSIP's osip_message_parse
// (libosip2-dev) on the same bytes, with osip_message_init and
// osip_message_free, as a server using it would call them. oSIP copies
// every header into allocated structures and parses URIs completely; we
// hand out views. `x_osip2` is our time per parse over oSIP's (thread CPU
// time on both sides), and `allocs_per_op` counts our heap allocations
// (operator new, counted in this binary only; oSIP allocates with malloc).
//
// Also: framing the two messages pipelined through StreamFramer, and
// writing a 200 response to the request with MessageWriter.
//
//   bazel run -c opt //bench:sip_bench --
//       --benchmark_repetitions=5 --benchmark_report_aggregates_only=true

#include <osipparser2/osip_message.h>
#include <osipparser2/osip_parser.h>
#include <time.h>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <new>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "benchmark/benchmark.h"

#include "bench/allocation_counter.h"
#include "sip/framer.h"
#include "sip/message.h"
#include "sip/writer.h"

namespace conf {
namespace sip {
namespace {

// MS-CONFBAS 4.4.7 on the wire (generated from sip/testdata/seed/: header
// lines with CRLF, Content-Length corrected, the .xml body byte for byte,
// U+00A0 indentation included).
constexpr char kSeedRequest[] =
    "INFO sip:Alice@fabrikam.com;gruu;opaque=app:conf:focus:id:5D3747C "
    "SIP/2.0\r\n"
    "From: <sip:bob@fabrikam.com>;tag=958d8a3fbc;epid=c5574cd6b6\r\n"
    "To: <sip:Alice@fabrikam.com;gruu;opaque=app:conf:focus:id:5D3747C>\r\n"
    "Content-Type: application/cccp+xml\r\n"
    "Content-Length: 589\r\n"
    "Via: SIP/2.0/TLS 10.1.2.50:4237\r\n"
    "Max-Forwards: 70\r\n"
    "Call-ID: ad0da39085864c768630674f17692101\r\n"
    "CSeq: 12 INFO\r\n"
    "Contact: "
    "<sip:bob@fabrikam.com;opaque=user:epid:HT07tI-f3F-fdDyic8rblwAA;gruu>\r\n"
    "User-Agent: UCCP/2.0.6362.0 OC/2.0.6362.0 (Microsoft Office "
    "Communicator)\r\n"
    "Supported: timer\r\n"
    "ms-keep-alive: UAC;hop-hop=yes\r\n"
    "Proxy-Authorization: NTLM qop=\"auth\", realm=\"SIP Communications "
    "Service\", opaque=\"99052D67\", crand=\"6475c82f\", cnum=\"82\", "
    "targetname=\"sip/ocs.fabrikam.com\", "
    "response=\"01000000e44de73c187afc887f8f5ef3\"\r\n"
    "\r\n"
    "<request C3PVersion=\"1\"\n"
    "         requestId=\"5\" \n"
    "         from=\"sip:alice@contoso.com\"\n"
    "         to=\"sip:alice@contoso.com;gruu;opaque=app:conf:focus:id:5D3747C "
    "\"\n"
    "         xmlns=\"urn:ietf:params:xml:ns:cccp\"\n"
    "         "
    "xmlns:msci=\"http://schemas.microsoft.com/rtc/2005/08/"
    "confinfoextensions\">\n"
    "  <getConference>\n"
    "    <conferenceKeys "
    "confEntity=\"sip:alice@contoso.com;gruu;opaque=app:conf:focus:id:"
    "5D3747C\" />\n"
    "<msci:encryption-key>\n"
    "  <msci:x509-certificate>123213789BC234D</msci:x509-certificate>\n"
    "</msci:encryption-key>\n"
    "  </getConference>\n"
    "</request>\n";

constexpr char kSeedResponse[] =
    "INFO "
    "sip:10.54.78.109:4237;transport=tls;ms-opaque=6fb3a8330a;ms-received-cid="
    "10A0D00;grid SIP/2.0\r\n"
    "To: <sip:bob@fabrikam.com>;tag=958d8a3fbc;epid=c5574cd6b6\r\n"
    "From: <sip:Alice@fabrikam.com;gruu;opaque=app:conf:focus:id:5D3747C>\r\n"
    "Content-Type: application/cccp+xml\r\n"
    "Content-Length: 7651\r\n"
    "Via: SIP/2.0/TLS 10.1.2.50:4237\r\n"
    "Max-Forwards: 70\r\n"
    "Call-ID: ad0da39085864c768630674f17692101\r\n"
    "CSeq: 53 INFO\r\n"
    "Authentication-Info: NTLM rspauth=\"01000000180D3416377238967F8F5EF3\", "
    "srand=\"D6CD41F7\", snum=\"180\", opaque=\"99052D67\", qop=\"auth\", "
    "targetname=\"sip/ocs.fabrikam.com\", realm=\"SIP Communications "
    "Service\"\r\n"
    "\r\n"
    "<response C3PVersion=\"1\"\n"
    "          requestId=\"5\" \n"
    "      from=\"sip:alice@fabrikam.com;gruu;opaque=app:conf:focus:id:5D3747C "
    "\"\n"
    "          to=\"sip:bob@fabrikam.com\"\n"
    "          code=\"success\"\n"
    "          xmlns=\"urn:ietf:params:xml:ns:cccp\"\n"
    "          xmlns=\"urn:ietf:params:xml:ns:conference-info\"\n"
    "  "
    "xmlns:msci=\"http://schemas.fabrikam.com/rtc/2005/08/"
    "confinfoextensions\"\n"
    "  "
    "xmlns:msim=\"http://schemas.fabrikam.com/rtc/2005/08/"
    "imconfinfoextensions\"\n"
    "  xmlns:ci=\"urn:ietf:params:xml:ns:conference-info\"\n"
    " xmlns:cis=\"urn:ietf:params:xml:ns:conference-info-separator\"\n"
    "> \n"
    "  <getConference>\n"
    "  <conference-info \n"
    "    "
    "entity=\"sip:alice@fabrikam.com;gruu;opaque=app:conf:focus:id:5D3747C\"\n"
    "  state=\"full\" version=\"4\">\n"
    "  <conference-description>\n"
    "    <conf-uris>\n"
    "      <entry>\n"
    "        "
    "<uri>sip:alice@fabrikam.com;gruu;opaque=app:conf:chat:id:5D3747C</uri>\n"
    "        <display-text>chat</display-text>\n"
    "        <purpose>chat</purpose>\n"
    "      </entry>\n"
    "      <entry>\n"
    "        "
    "<uri>sip:alice@fabrikam.com;gruu;opaque=app:conf:meeting:id:5D3747C</"
    "uri>\n"
    "        <display-text>meeting</display-text>\n"
    "        <purpose>meeting</purpose>\n"
    "      </entry>\n"
    "      <entry>\n"
    "        "
    "<uri>sip:alice@fabrikam.com;gruu;opaque=app:conf:audio-video:id:5D3747C</"
    "uri>\n"
    "        <display-text>audio-video</display-text>\n"
    "        <purpose>audio-video</purpose>\n"
    "      </entry>\n"
    "      <entry>\n"
    "        "
    "<uri>sip:alice@fabrikam.com;gruu;opaque=app:conf:applicationsharing:id:"
    "5D3747C</uri>\n"
    "        <display-text>applicationsharing</display-text>\n"
    "        <purpose>applicationsharing</purpose>\n"
    "      </entry>\n"
    " \n"
    "<ci:entry>\n"
    "<ci:uri>http://schemas.microsoft.com/2008/05/confxmlenc#content</ci:uri>\n"
    "<ci:purpose>web-internal</ci:purpose>\n"
    "<cis:separator/>\n"
    "<msci:encrypted-uri>\n"
    "<msci:cms-data>"
    "MIIBxQYJKoZIhvcNAQcDoIIBtjCCAbICAQAxgd0wgdoCAQAwQzAvMS0wKwYDVQQD\n"
    "HiQAVQBDAEMAUABfAEMATwBOAEYAXwBNAEcAUgBfAEMARQBSAFQCEJZl58V5VBmQ\n"
    "TbGUrNBQKJIwDQYJKoZIhvcNAQEBBQAEgYAF3rI5FWWEDcrrxJGS93WC3HC4YlmQ\n"
    "+D/Ti6cICFX0opLmIwwwoWIlKBAjob8/HAWxmHjns2LrOafkvdDB9s0TJF7Bhl0f\n"
    "v9L5PYZmj4DhttJqYiN0SxHssSPsdWBi/JYNlno4erqeLEkRiJh5P8mz0XtooO0b\n"
    "zgrMNVpf+woSlTCBzAYJKoZIhvcNAQcBMBQGCCqGSIb3DQMHBAgF+wlt0hvIRoCB\n"
    "qLTZ/YMC/7B2pF+V6oBpwo66uJRh6MseJFHbdWT8ptJVx9wJ5jUjFP5lfP+vqIKd\n"
    "eX8aRvXffwFZJD4Kynzfd/0gQjZMlR90GHhyNimbeehrWuPwli+G14n0s+tejJjS\n"
    "mf8t9oUSEKHxoljcyaK/fptHFXpp4W0sXa5QRIxcaw6FLIJGdPclVArRw1Bkaxx+\n"
    "n+f32O/1wBAq2TT2MfRlgW9qzc3sPekOrw==\n"
    "</msci:cms-data>\n"
    "</msci:encrypted-uri>\n"
    "</ci:entry>\n"
    "<ci:entry>\n"
    "<ci:uri>http://schemas.microsoft.com/2008/05/confxmlenc#content</ci:uri>\n"
    "<ci:purpose>web-external</ci:purpose>\n"
    "<cis:separator/>\n"
    "<msci:encrypted-uri>\n"
    "<msci:cms-data>"
    "MIIBxQYJKoZIhvcNAQcDoIIBtjCCAbICAQAxgd0wgdoCAQAwQzAvMS0wKwYDVQQD\n"
    "HiQAVQBDAEMAUABfAEMATwBOAEYAXwBNAEcAUgBfAEMARQBSAFQCEJZl58V5VBmQ\n"
    "TbGUrNBQKJIwDQYJKoZIhvcNAQEBBQAEgYCaFGVjZW/VHnfp23SzJAuW/Q9OnkfB\n"
    "+qbwTsH6RBkZ3kX9yzFIrZsU+2R7z+nd3JcvTkJw/mmKxTaKRZksEDwbQGt/kG/V\n"
    "4Fwx/XRQP9mFI+m6YNy56jgnwTiG97ClNNe+/1tJtiy/h4cFn5lfvoz5eZXPC8MO\n"
    "Ls75p7hXLPdemTCBzAYJKoZIhvcNAQcBMBQGCCqGSIb3DQMHBAjTd6Z5fKA2K4CB\n"
    "qBhSEZ5JbWkQ0dLYq8pcK/tbYHfODpwUcDAglGOgrpVWjHmnzm6gwGMURlfQ4X5Y\n"
    "4wYpamBqfR5XDe6MP+99gpxdAelXTgUKE2/unwAr1pn69BgeiceZlX7kCV748wU6\n"
    "P7ouOzbKBbLqRGEDO09MXmEwuWSJMacVdo94WkdNKie8cyFt9Q5d0CRltvG87OT2\n"
    "YOI1xotrcyNwxbJUATHDMjC3+TMaq5UAPg==\n"
    "</msci:cms-data>\n"
    "</msci:encrypted-uri>\n"
    "</ci:entry>\n"
    "    </conf-uris>\n"
    "<msci:conference-key>\n"
    "<msci:cms-data>"
    "MIIBGwYJKoZIhvcNAQcDoIIBDDCCAQgCAQAxgd0wgdoCAQAwQzAvMS0wKwYDVQQD\n"
    "HiQAVQBDAEMAUABfAEMATwBOAEYAXwBNAEcAUgBfAEMARQBSAFQCEHnE9lxFzvyH\n"
    "Sz3dZuY7xq4wDQYJKoZIhvcNAQEBBQAEgYATbyHXHUnm0kqBO5T7vbhkPTnx8eVJ\n"
    "YAa0OBid9dh7MwOWhC27pffS83ZwLaZVHsSxAUUR5h0Weq+TU5W+7VlZaTLYaxHF\n"
    "jh3qElBX9gSf+KPRKTde2tCnP2FcJJL2Ksn20P2tt0mXgBmnbrf20niJxmjY028O\n"
    "qt4UURxU7M5eFzAjBgkqhkiG9w0BBwEwFAYIKoZIhvcNAwcECP++R9m7uH9QgAA=\n"
    "</msci:cms-data>\n"
    "</msci:conference-key>\n"
    " \n"
    "<cis:separator/>\n"
    "<msci:pstn-access>\n"
    "<msci:id>37890</msci:id>\n"
    "</msci:pstn-access>\n"
    " \n"
    "</conference-description>\n"
    "  <users state=\"full\">\n"
    "    <user entity=\"sip:alice@fabrikam.com\" state=\"full\">\n"
    "      <display-text>Alice Gates</display-text>\n"
    "        <roles>\n"
    "          <entry>presenter</entry>\n"
    "        </roles>\n"
    "        <endpoint entity=\"{09AA504C-BA41-4458-8669-8F35470F6CA2}\" "
    "msci:session-type=\"focus\" "
    "msci:endpoint-uri=\"sip:alice@fabrikam.com;opaque=user:epid:HT07tI-f3F-"
    "fdDyic8rblwAA;gruu\">\n"
    "          <status>connected</status>\n"
    "        </endpoint>\n"
    "    </user>\n"
    "  </users>\n"
    " \n"
    "  <msci:conference-view ci:state=\"full\">\n"
    "    <msci:entity-view ci:state=\"full\" "
    "entity=\"sip:alice@fabrikam.com;gruu;opaque=app:conf:focus:id:5D3747C\">\n"
    "      <msci:entity-state>\n"
    "        <msci:locked>false</msci:locked>\n"
    "      </msci:entity-state>\n"
    "    </msci:entity-view>\n"
    "    <msci:entity-view ci:state=\"full\" "
    "entity=\"sip:alice@fabrikam.com;gruu;opaque=app:conf:audio-video:id:"
    "5D3747C\">\n"
    "      <msci:entity-capabilities>\n"
    "        <msav:capabilities>\n"
    "          <msav:supports-audio>true</msav:supports-audio>\n"
    "          <msav:supports-video>true</msav:supports-video>\n"
    "        </msav:capabilities>\n"
    "      </msci:entity-capabilities>\n"
    "      <msci:entity-state>\n"
    "        <msci:media>\n"
    "          <entry label=\"main-audio\">\n"
    "            <type>audio</type>\n"
    "            <status>sendrecv</status>\n"
    "          </entry>\n"
    "          <entry label=\"main-video\">\n"
    "            <type>video</type>\n"
    "            <status>sendrecv</status>\n"
    "            <msci:modal-parameters>\n"
    "              <msci:video-parameters>\n"
    "                "
    "<msav:video-mode>dominant-speaker-switched</msav:video-mode>\n"
    "              </msci:video-parameters>\n"
    "            </msci:modal-parameters>\n"
    "          </entry>\n"
    "          <entry label=\"panoramic-video\">\n"
    "            <type>panoramic-video</type>\n"
    "            <status>sendrecv</status>\n"
    "          </entry>\n"
    "        </msci:media>\n"
    "      </msci:entity-state>\n"
    "    </msci:entity-view>\n"
    "    <msci:entity-view ci:state=\"full\" "
    "entity=\"sip:alice@fabrikam.com;gruu;opaque=app:conf:chat:id:5D3747C\">\n"
    "      <msci:entity-state>\n"
    "        <msci:locked>false</msci:locked>\n"
    "        <msci:media>\n"
    "          <entry label=\"chat\">\n"
    "            <type>chat</type>\n"
    "          </entry>\n"
    "        </msci:media>\n"
    "      </msci:entity-state>\n"
    "    </msci:entity-view>\n"
    "    <msci:entity-view ci:state=\"full\" "
    "entity=\"sip:alice@fabrikam.com;gruu;opaque=app:conf:meeting:id:5D3747C\">"
    "\n"
    "      <msci:entity-state "
    "application=\"27877e66-615c-4582-ab88-0cb2ca05d951\">\n"
    "      <msci:locked>false</msci:locked>\n"
    "        <msci:media>\n"
    "          <entry label=\"meeting\">\n"
    "            <type>meeting</type>\n"
    "          </entry>\n"
    "        </msci:media>\n"
    "      </msci:entity-state>\n"
    "    </msci:entity-view>\n"
    "<msci:entity-view ci:state=\"full\" "
    "entity=\"sip:alice@fabrikam.com;gruu;opaque=app:conf:applicationsharing:"
    "id:5D3747C \">\n"
    "<msci:entity-capabilities>\n"
    "<cis:separator/>\n"
    "<msas:capabilities>\n"
    "<msas:control-permission>ActiveDirectoryUsers</msas:control-permission>\n"
    "</msas:capabilities>\n"
    "</msci:entity-capabilities>\n"
    "<msci:entity-state>\n"
    "<msci:locked>false</msci:locked>\n"
    "<msci:media>\n"
    "<entry label=\"applicationsharing\">\n"
    "<type>applicationsharing</type>\n"
    "</entry>\n"
    "</msci:media>\n"
    "</msci:entity-state>\n"
    "</msci:entity-view>\n"
    "  </msci:conference-view>\n"
    "   </conference-info>\n"
    "  </getConference>\n"
    "</response>\n";

// CPU time of the calling thread, in nanoseconds: both sides of the ratio
// are measured with it, so that a busy machine skews neither.
double ThreadCpuNanos() {
  timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) * 1e9 + static_cast<double>(ts.tv_nsec);
}

// oSIP's parser tables, built once.
bool OsipReady() {
  static const bool kReady = parser_init() == 0;
  return kReady;
}

// Nanoseconds per osip_message_parse of `wire`, init and free included;
// a negative value if oSIP refuses it.
double OsipNanosPerParse(absl::string_view wire) {
  constexpr int kIterations = 2000;
  const double start = ThreadCpuNanos();
  for (int i = 0; i < kIterations; ++i) {
    osip_message_t* message = nullptr;
    if (osip_message_init(&message) != 0)
      return -1;
    const int result = osip_message_parse(message, wire.data(), wire.size());
    benchmark::DoNotOptimize(message->call_id);
    osip_message_free(message);
    if (result != 0)
      return -1;
  }
  return (ThreadCpuNanos() - start) / kIterations;
}

void RunParse(benchmark::State& state, absl::string_view wire) {
  {
    absl::StatusOr<Message> check = ParseMessage(wire);
    if (!check.ok()) {
      state.SkipWithError(check.status().ToString().c_str());
      return;
    }
  }
  if (!OsipReady()) {
    state.SkipWithError("osip parser_init failed");
    return;
  }
  // oSIP is timed before and after our loop, and averaged, so that a
  // change in machine load during the run skews the ratio less.
  const double osip_before = OsipNanosPerParse(wire);
  const size_t allocations_before = bench::AllocationCount();
  const double start = ThreadCpuNanos();
  for (auto _ : state) {
    absl::StatusOr<Message> message = ParseMessage(wire);
    benchmark::DoNotOptimize(message);
  }
  const double ours_ns =
      (ThreadCpuNanos() - start) / static_cast<double>(state.iterations());
  state.counters["allocs_per_op"] =
      static_cast<double>(bench::AllocationCount() - allocations_before) /
      static_cast<double>(state.iterations());
  const double osip_after = OsipNanosPerParse(wire);
  if (osip_before < 0 || osip_after < 0) {
    state.SkipWithError("osip_message_parse refused the message");
    return;
  }
  const double osip_ns = (osip_before + osip_after) / 2;
  state.counters["osip2_ns"] = osip_ns;
  state.counters["x_osip2"] = ours_ns / osip_ns;
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() *
                          static_cast<int64_t>(wire.size()));
}

void BM_Sip_ParseSeedRequest(benchmark::State& state) {
  RunParse(state, kSeedRequest);
}
BENCHMARK(BM_Sip_ParseSeedRequest);

void BM_Sip_ParseSeedResponseInfo(benchmark::State& state) {
  RunParse(state, kSeedResponse);
}
BENCHMARK(BM_Sip_ParseSeedResponseInfo);

// oSIP alone, for its absolute figure in the same table.
void BM_Sip_ParseSeedRequest_Osip2(benchmark::State& state) {
  if (!OsipReady()) {
    state.SkipWithError("osip parser_init failed");
    return;
  }
  const absl::string_view wire = kSeedRequest;
  for (auto _ : state) {
    osip_message_t* message = nullptr;
    osip_message_init(&message);
    const int result = osip_message_parse(message, wire.data(), wire.size());
    benchmark::DoNotOptimize(result);
    osip_message_free(message);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_Sip_ParseSeedRequest_Osip2);

// Both seed messages pipelined in one read, framed and parsed.
void BM_Sip_FrameSeedPipelined(benchmark::State& state) {
  const std::string stream = absl::StrCat(kSeedRequest, kSeedResponse);
  size_t frames = 0;
  for (auto _ : state) {
    StreamFramer framer;
    if (!framer.Feed(stream).ok()) {
      state.SkipWithError("framing failed");
      return;
    }
    while (std::optional<Frame> frame = framer.Next()) {
      benchmark::DoNotOptimize(frame->message().body().size());
      ++frames;
    }
  }
  state.SetItemsProcessed(static_cast<int64_t>(frames));
  state.SetBytesProcessed(state.iterations() *
                          static_cast<int64_t>(stream.size()));
}
BENCHMARK(BM_Sip_FrameSeedPipelined);

// A 200 to the seed request with a C3P body, into a reused buffer.
void BM_Sip_WriteResponse(benchmark::State& state) {
  absl::StatusOr<Message> request = ParseMessage(kSeedRequest);
  if (!request.ok()) {
    state.SkipWithError(request.status().ToString().c_str());
    return;
  }
  constexpr absl::string_view kBody =
      "<response C3PVersion=\"1\" requestId=\"5\" code=\"success\"/>";
  MessageWriter writer;
  const size_t allocations_before = bench::AllocationCount();
  for (auto _ : state) {
    writer.StartResponseTo(*request, 200, "OK", "f0cus");
    writer.AddHeader("Supported", "ms-benotify");
    absl::StatusOr<absl::string_view> bytes =
        writer.Finish("application/cccp+xml", kBody);
    benchmark::DoNotOptimize(bytes);
  }
  state.counters["allocs_per_op"] =
      static_cast<double>(bench::AllocationCount() - allocations_before) /
      static_cast<double>(state.iterations());
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_Sip_WriteResponse);

}  // namespace
}  // namespace sip
}  // namespace conf

BENCHMARK_MAIN();
