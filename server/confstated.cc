// confstated: the focus over SIP (docs/SERVER.md).
//
//   confstated --sip_tcp=127.0.0.1:5060 --admin=127.0.0.1:9090
//       [--state_dir=DIR] [--trusted_peers=10.0.0.0/8,...]
//
// Serves SIP over TCP on event loops (one per core), the admin port's
// /metrics (Prometheus text) and /ready, and on SIGTERM or SIGINT drains:
// stops accepting, ends every subscription with `deactivated` (clients
// subscribe again, to the successor), lets requests in flight finish, closes
// the connections and, with a state directory, closes the journal after its
// last sync. Exit status 0 after a drain, 2 on bad flags or a failed start.

#include <signal.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <string>
#include <thread>  // NOLINT(build/c++11)
#include <utility>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"

#include "focus/focus.h"
#include "server/admin/admin_server.h"
#include "server/admin/metrics.h"
#include "server/cidr.h"
#include "server/sip_service.h"
#include "server/transport.h"
#include "spdlog/sinks/stdout_sinks.h"
#include "spdlog/spdlog.h"

ABSL_FLAG(std::string, sip_tcp, "127.0.0.1:5060",
          "SIP over TCP: HOST:PORT, a numeric address (PORT 0: any free one)");
ABSL_FLAG(std::string, admin, "127.0.0.1:9090",
          "the admin HTTP port (/metrics, /ready): HOST:PORT; empty: none");
ABSL_FLAG(std::string, state_dir, "",
          "the journal and snapshots; empty: state lives in memory only");
ABSL_FLAG(std::string, trusted_peers, "",
          "proxies whose P-Asserted-Identity is taken: CIDR,CIDR,...");
ABSL_FLAG(bool, insecure_identity_from_from, false,
          "development only: take From as the identity of requests that no "
          "trusted peer or client certificate vouches for");
ABSL_FLAG(int, loops, 0, "event loop threads (0: one per core)");
ABSL_FLAG(int, max_connections, 10000, "open connections at most");
ABSL_FLAG(int, max_connections_per_peer, 256,
          "open connections per peer address at most");
ABSL_FLAG(absl::Duration, message_deadline, absl::Seconds(10),
          "a SIP message must be complete this long after its first byte");
ABSL_FLAG(absl::Duration, drain_grace, absl::Seconds(5),
          "on SIGTERM, how long requests in flight and queued bytes get");
ABSL_FLAG(std::string, ready_file, "",
          "once serving, write 'sip_tcp PORT' and 'admin PORT' lines here "
          "(for scripts that start it on port 0)");

namespace conf {
namespace server {
namespace {

absl::Status SplitHostPort(absl::string_view flag, absl::string_view value,
                           std::string* host, uint16_t* port) {
  const size_t colon = value.rfind(':');
  uint32_t number = 0;
  if (colon == absl::string_view::npos ||
      !absl::SimpleAtoi(value.substr(colon + 1), &number) || number > 65535) {
    return absl::InvalidArgumentError(
        absl::StrCat("--", flag, ": want HOST:PORT, got \"", value, "\""));
  }
  absl::string_view h = value.substr(0, colon);
  if (h.size() >= 2 && h.front() == '[' && h.back() == ']')
    h = h.substr(1, h.size() - 2);
  *host = std::string(h);
  *port = static_cast<uint16_t>(number);
  return absl::OkStatus();
}

// Requests by method and outcome, and their latency by method.
class SipMetrics {
 public:
  explicit SipMetrics(MetricsRegistry* registry) {
    for (int m = 0; m < kSipMethodCount; ++m) {
      const absl::string_view method = SipMethodName(static_cast<SipMethod>(m));
      for (int o = 0; o < kSipOutcomeCount; ++o) {
        const Label labels[] = {
            {"method", method},
            {"outcome", SipOutcomeName(static_cast<SipOutcome>(o))}};
        requests_[m][o] = registry->AddCounter(
            "confstated_sip_requests_total",
            "SIP requests answered, by method and outcome", labels);
      }
      const Label labels[] = {{"method", method}};
      latency_[m] = registry->AddHistogram(
          "confstated_sip_request_duration_seconds",
          "From a request's arrival to its final answer (for INFO, the C3P "
          "response INFO)",
          kLatencyBoundsSeconds, labels);
    }
  }

  void Record(SipMethod method, SipOutcome outcome, absl::Duration latency) {
    const int m = static_cast<int>(method);
    requests_[m][static_cast<int>(outcome)]->Increment();
    latency_[m]->Observe(absl::ToDoubleSeconds(latency));
  }

 private:
  Counter* requests_[kSipMethodCount][kSipOutcomeCount];
  Histogram* latency_[kSipMethodCount];
};

void AddServerGauges(MetricsRegistry* registry, const Transport* transport,
                     const SipService* service, const focus::Focus* focus) {
  auto gauge = [registry](absl::string_view name, absl::string_view help,
                          std::function<double()> read) {
    registry->AddCallbackGauge(name, help, {}, std::move(read));
  };
  gauge("confstated_connections", "SIP connections open",
        [transport] { return transport->stats().connections_open; });
  gauge("confstated_connections_accepted", "SIP connections admitted so far",
        [transport] { return transport->stats().accepted_total; });
  gauge("confstated_connections_refused",
        "SIP connections refused at a connection limit so far", [transport] {
          const TransportStats s = transport->stats();
          return s.refused_limit + s.refused_per_peer_limit;
        });
  gauge("confstated_connections_closed_deadline",
        "SIP connections closed for a message past its deadline so far",
        [transport] { return transport->stats().closed_message_deadline; });
  gauge("confstated_subscriptions", "conference subscriptions active",
        [service] { return service->stats().subscriptions.load(); });
  gauge("confstated_dialogs", "join dialogs open",
        [service] { return service->stats().dialogs.load(); });
  gauge("confstated_notifications_sent",
        "NOTIFY and BENOTIFY requests sent so far",
        [service] { return service->stats().notifications_sent.load(); });
  gauge("confstated_notifications_deferred",
        "notifications a full send queue deferred so far",
        [service] { return service->stats().notifications_deferred.load(); });
  gauge("confstated_requests_in_flight", "C3P requests the focus is answering",
        [service] { return service->stats().requests_in_flight.load(); });
  if (focus->durable() != nullptr) {
    gauge("confstated_journal_records", "journal records appended so far",
          [focus] { return focus->durable()->journal_stats().records; });
    gauge("confstated_journal_syncs", "journal fdatasync calls so far",
          [focus] { return focus->durable()->journal_stats().syncs; });
  }
}

absl::StatusOr<std::unique_ptr<focus::Focus>> OpenFocus() {
  focus::FocusOptions options;
  const std::string dir = absl::GetFlag(FLAGS_state_dir);
  if (dir.empty())
    return std::make_unique<focus::Focus>(std::move(options));
  focus::DurabilityOptions durability;
  durability.state_dir = dir;
  durability.log = [](absl::string_view line) {
    spdlog::info("event=journal {}", std::string(line));
  };
  return focus::Focus::Open(std::move(options), std::move(durability));
}

int Run() {
  // Every thread started from here on inherits the blocked signals, so
  // that only the sigwait below takes them.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  std::string sip_host;
  uint16_t sip_port = 0;
  absl::Status status = SplitHostPort("sip_tcp", absl::GetFlag(FLAGS_sip_tcp),
                                      &sip_host, &sip_port);
  absl::StatusOr<CidrList> trusted =
      CidrList::Parse(absl::GetFlag(FLAGS_trusted_peers));
  if (!status.ok() || !trusted.ok()) {
    spdlog::error(
        "event=bad_flags error=\"{}\"",
        std::string((status.ok() ? trusted.status() : status).message()));
    return 2;
  }
  absl::StatusOr<std::unique_ptr<focus::Focus>> focus = OpenFocus();
  if (!focus.ok()) {
    spdlog::error("event=focus_open_failed error=\"{}\"",
                  std::string(focus.status().message()));
    return 2;
  }

  MetricsRegistry registry;
  SipMetrics sip_metrics(&registry);
  SipServiceOptions service_options;
  service_options.identity_from_from_header =
      absl::GetFlag(FLAGS_insecure_identity_from_from);
  service_options.on_request = [&sip_metrics](SipMethod m, SipOutcome o,
                                              absl::Duration latency) {
    sip_metrics.Record(m, o, latency);
  };
  service_options.log = [](absl::string_view line) {
    spdlog::warn("event=sip {}", std::string(line));
  };
  if (service_options.identity_from_from_header) {
    spdlog::warn(
        "event=insecure_identity detail=\"From is taken as the identity of "
        "requests nobody vouches for: for development only\"");
  }
  // Made once the port is bound (its Via names it); connections arrive
  // only after Start().
  std::unique_ptr<SipService> service;

  TransportOptions transport_options;
  transport_options.loops = absl::GetFlag(FLAGS_loops);
  transport_options.max_connections = absl::GetFlag(FLAGS_max_connections);
  transport_options.max_connections_per_peer =
      absl::GetFlag(FLAGS_max_connections_per_peer);
  transport_options.message_deadline = absl::GetFlag(FLAGS_message_deadline);
  transport_options.trusted_peers = *std::move(trusted);
  transport_options.log = [](absl::string_view line) {
    spdlog::info("event=transport {}", std::string(line));
  };
  absl::StatusOr<std::unique_ptr<Transport>> transport = Transport::Create(
      std::move(transport_options),
      [&service](Connection* c) { return service->NewHandler(c); });
  if (!transport.ok()) {
    spdlog::error("event=bad_flags error=\"{}\"",
                  std::string(transport.status().message()));
    return 2;
  }
  absl::StatusOr<uint16_t> bound = (*transport)->ListenTcp(sip_host, sip_port);
  if (!bound.ok()) {
    spdlog::error("event=listen_failed error=\"{}\"",
                  std::string(bound.status().message()));
    return 2;
  }
  service_options.via_host = absl::StrCat(sip_host, ":", *bound);
  service = std::make_unique<SipService>(focus->get(), service_options);
  AddServerGauges(&registry, transport->get(), service.get(), focus->get());

  std::atomic<bool> ready{false};
  std::unique_ptr<AdminServer> admin;
  uint16_t admin_port = 0;
  if (const std::string flag = absl::GetFlag(FLAGS_admin); !flag.empty()) {
    std::string host;
    if (absl::Status s = SplitHostPort("admin", flag, &host, &admin_port);
        !s.ok()) {
      spdlog::error("event=bad_flags error=\"{}\"", std::string(s.message()));
      return 2;
    }
    absl::StatusOr<std::unique_ptr<AdminServer>> started = AdminServer::Start(
        host, admin_port, &registry, [&ready] { return ready.load(); });
    if (!started.ok()) {
      spdlog::error("event=admin_failed error=\"{}\"",
                    std::string(started.status().message()));
      return 2;
    }
    admin = *std::move(started);
    admin_port = admin->port();
  }
  (*transport)->Start();
  ready.store(true);
  spdlog::info("event=serving sip_tcp={}:{} admin_port={} state_dir=\"{}\"",
               sip_host, *bound, admin_port, absl::GetFlag(FLAGS_state_dir));
  if (const std::string path = absl::GetFlag(FLAGS_ready_file); !path.empty()) {
    std::ofstream out(path + ".tmp");
    out << "sip_tcp " << *bound << "\nadmin " << admin_port << "\n";
    out.close();
    std::rename((path + ".tmp").c_str(), path.c_str());
  }

  // Until a signal: expire conferences once a second.
  const struct timespec second = {1, 0};
  int signal_number = -1;
  while (signal_number < 0) {
    signal_number = sigtimedwait(&signals, nullptr, &second);
    (*focus)->ExpireConferences(absl::Now());
  }
  spdlog::info("event=draining signal={}", signal_number);
  ready.store(false);
  (*transport)->StopAccepting();
  (*transport)->ForEachConnection([](ConnectionHandler& handler) {
    SipService::Terminate(handler, "deactivated");
  });
  const absl::Duration grace = absl::GetFlag(FLAGS_drain_grace);
  const absl::Time deadline = absl::Now() + grace;
  while (service->stats().requests_in_flight.load() > 0 &&
         absl::Now() < deadline) {
    absl::SleepFor(absl::Milliseconds(5));
  }
  (*transport)
      ->Shutdown(std::max(deadline - absl::Now(), absl::ZeroDuration()));
  if (admin != nullptr)
    admin->Stop();
  // Destroying a durable focus writes and syncs what was appended, then
  // closes the journal.
  focus->reset();
  spdlog::info("event=stopped");
  return 0;
}

}  // namespace
}  // namespace server
}  // namespace conf

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "the focus over SIP: confstated --sip_tcp=HOST:PORT --admin=HOST:PORT "
      "[--state_dir=DIR] [--trusted_peers=CIDR,...]");
  absl::ParseCommandLine(argc, argv);
  // Logs go to standard error, one line per event, key=value.
  spdlog::set_default_logger(spdlog::stderr_logger_mt("confstated"));
  spdlog::set_pattern("%Y-%m-%dT%H:%M:%S.%fZ level=%l %v",
                      spdlog::pattern_time_type::utc);
  return conf::server::Run();
}
