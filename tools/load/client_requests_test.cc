#include "tools/load/client_requests.h"

#include <string>
#include <variant>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "gtest/gtest.h"

#include "codec/c3p_request.h"
#include "codec/c3p_request_encoder.h"

namespace conf {
namespace load {
namespace {

constexpr char kFocus[] =
    "sip:alice@contoso.com;gruu;opaque=app:conf:focus:id:X1";
constexpr char kBob[] = "sip:bob@contoso.com";

absl::StatusOr<codec::C3pRequest> Parse(const std::string& body) {
  return codec::ParseC3pRequest(std::vector<char>(body.begin(), body.end()));
}

TEST(ClientRequestsTest, HostileRequestsAreRefusedByTheParser) {
  const codec::RequestEnvelope envelope{"9", kBob, kFocus};
  EXPECT_EQ(Parse(TruncatedRequest(envelope, kFocus)).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Parse(OversizedJoinRequest(envelope, kFocus, kBob)).status().code(),
            absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(Parse(DeeplyNestedRequest(envelope)).status().code(),
            absl::StatusCode::kResourceExhausted);
  absl::StatusOr<codec::C3pRequest> unknown =
      Parse(UnknownCommandRequest(envelope));
  ASSERT_TRUE(unknown.ok()) << unknown.status();
  EXPECT_TRUE(
      std::holds_alternative<codec::C3pUnknownCommand>(unknown->command));
}

}  // namespace
}  // namespace load
}  // namespace conf
