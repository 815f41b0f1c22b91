// A fixed registry for metrics_exposition_test: `metrics_sample render`
// writes its text to stdout; `metrics_sample serve` serves it on a free
// loopback port, prints the port on a line of its own, and serves until
// stdin reaches end of file. metrics_exposition_check.py holds the values
// expected of it.

#include <cstdio>
#include <memory>
#include <string>

#include "absl/status/statusor.h"

#include "server/admin/admin_server.h"
#include "server/admin/metrics.h"

namespace conf {
namespace server {
namespace {

std::unique_ptr<MetricsRegistry> MakeSampleRegistry() {
  auto registry = std::make_unique<MetricsRegistry>();
  constexpr absl::string_view kRequestsHelp =
      "SIP requests by method and outcome.";
  registry
      ->AddCounter("sip_requests_total", kRequestsHelp,
                   {{"method", "INFO"}, {"outcome", "success"}})
      ->Increment(3);
  registry
      ->AddCounter("sip_requests_total", kRequestsHelp,
                   {{"method", "INFO"}, {"outcome", "failure"}})
      ->Increment();
  registry
      ->AddCounter("label_escapes_total",
                   "Help with \\ backslash\nand newline.",
                   {{"value", "quote\" backslash\\ newline\n"}})
      ->Increment();
  registry->AddGauge("temperature_celsius", "A gauge.")->Set(-2.5);
  registry->AddCallbackGauge("sip_connections_open", "Open connections.", {},
                             [] { return 7.0; });
  const double bounds[] = {0.25, 0.5, 1};
  Histogram* histogram =
      registry->AddHistogram("c3p_request_duration_seconds", "C3P latency.",
                             bounds, {{"op", "addUser"}});
  for (const double seconds : {0.125, 0.25, 0.5, 2.0}) {
    histogram->Observe(seconds);
  }
  return registry;
}

int Serve(const MetricsRegistry& registry) {
  absl::StatusOr<std::unique_ptr<AdminServer>> admin =
      AdminServer::Start("127.0.0.1", 0, &registry, nullptr);
  if (!admin.ok()) {
    std::fprintf(stderr, "%s\n", admin.status().ToString().c_str());
    return 1;
  }
  std::printf("%u\n", static_cast<unsigned>((*admin)->port()));
  std::fflush(stdout);
  while (std::getchar() != EOF) {
  }
  return 0;
}

}  // namespace
}  // namespace server
}  // namespace conf

int main(int argc, char** argv) {
  const std::string mode = argc == 2 ? argv[1] : "";
  const std::unique_ptr<conf::server::MetricsRegistry> registry =
      conf::server::MakeSampleRegistry();
  if (mode == "render") {
    const std::string text = registry->Render();
    std::fwrite(text.data(), 1, text.size(), stdout);
    return 0;
  }
  if (mode == "serve") {
    return conf::server::Serve(*registry);
  }
  std::fprintf(stderr, "usage: %s render|serve\n", argv[0]);
  return 2;
}
